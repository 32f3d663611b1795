import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { auditRune } from '../../packages/wire/src/rune-audit.ts';
import { checkruneError, createRuneChecker } from '../../packages/wire/src/rune-check.ts';
import { createRune, encodeRune, parseRune, restrictRune } from '../../packages/wire/src/runes.ts';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/reference/cln-fixtures/${name}`, import.meta.url), 'utf8').replace(/\nrc=1\s*$/, ''));

const masterSecret = new Uint8Array(32).fill(0x42);
const peerId = '02' + 'ab'.repeat(32);

describe('runes made by a real Core Lightning v25.12 node', () => {
  const shown = fixture('showrunes.json').runes as {
    rune: string;
    unique_id: string;
    restrictions: { alternatives: { fieldname: string; value: string; condition: string; english: string }[]; english: string }[];
    restrictions_as_english: string;
  }[];

  for (const r of shown) {
    test(`rune ${r.unique_id} parses, re-encodes and reads as showrunes says`, () => {
      const parsed = parseRune(r.rune);
      assert.equal(parsed.uniqueId, r.unique_id);
      assert.equal(encodeRune(parsed), r.rune);
      const audit = auditRune(r.rune);
      assert.deepEqual(audit.restrictions, r.restrictions);
      assert.equal(audit.restrictionsAsEnglish, r.restrictions_as_english);
    });
  }

  test('createrune-restricted: the invoice rune with rate=10 cannot spend', () => {
    const { rune, unique_id } = fixture('createrune-restricted.json');
    const audit = auditRune(rune);
    assert.equal(audit.uniqueId, unique_id);
    assert.equal(audit.canSpend, false);
    assert.equal(audit.rateLimit, 10);
    assert.deepEqual(audit.methods, ['invoice']);
    assert.match(audit.summary, /invoice/);
  });

  test('the list*/get* rune is not provably read-only (default deny) and the bare rune has full access', () => {
    const [full, readonly] = shown;
    assert.equal(auditRune(full!.rune).unrestricted, true);
    assert.equal(auditRune(full!.rune).canSpend, true);
    assert.match(auditRune(full!.rune).summary, /^Full access/);
    // It reaches listconfigs (bitcoind's RPC password) and any list…/get… a plugin adds.
    const ro = auditRune(readonly!.rune);
    assert.equal(ro.readOnly, false);
    assert.equal(ro.canSpend, true);
    assert.deepEqual(ro.spendingMethods, []);
    assert.ok(!ro.methods.includes('listdatastore'));
    assert.match(ro.summary, /^Not known to be safe/);
  });

  test('checking the invoice rune for pay fails with the reason checkrune gives', () => {
    // We do not hold that node's secret, so rebuild the same restrictions under ours.
    const { rune } = fixture('createrune-restricted.json');
    const parsed = parseRune(rune);
    const ours = createRune({ masterSecret, restrictions: parsed.restrictions });
    const denied = fixture('checkrune-denied.json');
    const verdict = createRuneChecker({ masterSecret }).check(ours, { method: 'pay', params: {} });
    if (verdict.ok || verdict.stage !== 'not-permitted') return assert.fail(JSON.stringify(verdict));
    assert.deepEqual(checkruneError({ stage: verdict.stage, reason: verdict.reason }, JSON.stringify(ours)), denied);
  });
});

describe('rune checks over calls', () => {
  const checker = () => {
    let now = 1_700_000_000_000;
    return { tick: (ms: number) => (now += ms), checker: createRuneChecker({ masterSecret, now: () => now }) };
  };

  test('method, named and positional params (with or without punctuation), pnum, id', () => {
    const { checker: c } = checker();
    const rune = createRune({
      masterSecret,
      uniqueId: 7,
      restrictions: ['method=pay', 'pnameamount_msat<100001|parr1<100001', 'pnamebolt11^lnbcrt', `id=${peerId}`, 'pnum<3'],
    });
    assert.deepEqual(c.check(rune, { method: 'pay', params: { bolt11: 'lnbcrt1x', amount_msat: 100_000 }, peerId }).ok, true);
    const pnameStripped = createRune({ masterSecret, uniqueId: 8, restrictions: ['pnameamountmsat=5'] });
    assert.equal(c.check(pnameStripped, { method: 'x', params: { amount_msat: 5 } }).ok, true);
    const tooMuch = c.check(rune, { method: 'pay', params: { bolt11: 'lnbcrt1x', amount_msat: 100_001 }, peerId });
    assert.deepEqual(tooMuch, {
      ok: false,
      stage: 'not-permitted',
      reason: 'pnameamount_msat is greater or equal to 100001 AND parr1 not present',
    });
    assert.equal(c.check(rune, { method: 'pay', params: ['lnbcrt1', 5], peerId }).ok, false, 'pnamebolt11 absent for arrays');
    const positional = createRune({ masterSecret, uniqueId: 10, restrictions: ['method=pay', 'parr0^lnbcrt', 'parr1<100001'] });
    assert.equal(c.check(positional, { method: 'pay', params: ['lnbcrt1', 5] }).ok, true);
    assert.deepEqual(c.check(rune, { method: 'pay', params: {}, peerId: '03' + '00'.repeat(32) }), {
      ok: false,
      stage: 'not-permitted',
      reason: 'pnameamount_msat not present AND parr1 not present',
    });
    assert.deepEqual(c.check(rune, { method: 'xpay', params: {} }), {
      ok: false,
      stage: 'not-permitted',
      reason: 'method is not equal to pay',
    });
    // Only a JSON number is an integer: a string of digits is text, as lightningd reads the token.
    assert.deepEqual(c.check(rune, { method: 'pay', params: { bolt11: 'lnbcrt1x', amount_msat: '5' }, peerId }), {
      ok: false,
      stage: 'not-permitted',
      reason: 'pnameamount_msat is not an integer field AND parr1 not present',
    });
  });

  test('time limits', () => {
    const { checker: c, tick } = checker();
    const rune = createRune({ masterSecret, uniqueId: 2, restrictions: [`time<${1_700_000_000 + 60}`] });
    assert.equal(c.check(rune, { method: 'getinfo' }).ok, true);
    tick(61_000);
    assert.deepEqual(c.check(rune, { method: 'getinfo' }), {
      ok: false,
      stage: 'not-permitted',
      reason: `time is greater or equal to ${1_700_000_000 + 60}`,
    });
  });

  test('rate=N allows one call per 60/N seconds per unique id, counting only calls that pass (v25.12, no per-minute bucket)', () => {
    const { checker: c, tick } = checker();
    const rune = createRune({ masterSecret, uniqueId: 3, restrictions: ['method=invoice', 'rate=2'] });
    assert.equal(c.check(rune, { method: 'pay' }).ok, false); // refused calls do not count
    assert.equal(c.check(rune, { method: 'invoice' }).ok, true);
    assert.deepEqual(c.check(rune, { method: 'invoice' }), { ok: false, stage: 'not-permitted', reason: 'too soon' });
    tick(29_999);
    assert.equal(c.check(rune, { method: 'invoice' }).ok, false);
    tick(1);
    assert.equal(c.check(rune, { method: 'invoice' }).ok, true);
    // Any call that passes with the same unique id is its last use, rate-limited or not.
    tick(30_000);
    assert.equal(c.check(restrictRune(rune, ['pnum<9']), { method: 'invoice' }).ok, true);
    assert.equal(c.check(rune, { method: 'invoice' }).ok, false);
    for (const [value, reason] of [
      ['0', 'malformed rate'],
      ['x', 'malformed rate'],
      ['4294967295', 'malformed rate'],
      ['2x', 'malformed rate'],
    ]) {
      const bad = createRune({ masterSecret, uniqueId: 30, restrictions: [`rate=${value}`] });
      assert.deepEqual(c.check(bad, { method: 'invoice' }), { ok: false, stage: 'not-permitted', reason });
    }
    assert.deepEqual(c.check(createRune({ masterSecret, uniqueId: 31, restrictions: ['rate<2'] }), { method: 'x' }), {
      ok: false,
      stage: 'not-permitted',
      reason: 'rate operator must be =',
    });
  });

  test('per=5sec allows one call per period', () => {
    const { checker: c, tick } = checker();
    const rune = createRune({ masterSecret, uniqueId: 4, restrictions: ['per=5sec'] });
    assert.equal(c.check(rune, { method: 'getinfo' }).ok, true);
    assert.equal(c.check(rune, { method: 'getinfo' }).ok, false);
    tick(5000);
    assert.equal(c.check(rune, { method: 'getinfo' }).ok, true);
  });

  test('a restricted child passes only what both allow; tampering is caught', () => {
    const { checker: c } = checker();
    const parent = createRune({ masterSecret, uniqueId: 9, restrictions: ['method^list|method^get'] });
    const child = restrictRune(parent, ['method/listfunds']);
    assert.equal(c.check(child, { method: 'listpeers' }).ok, true);
    assert.deepEqual(c.check(child, { method: 'listfunds' }), {
      ok: false,
      stage: 'not-permitted',
      reason: 'method is equal to listfunds',
    });
    assert.equal(c.check(child, { method: 'pay' }).ok, false);
    // Drop the child's restriction but keep its authcode: no longer derived.
    const parsed = parseRune(child);
    const stripped = encodeRune({ ...parsed, restrictions: parsed.restrictions.slice(0, 2) });
    assert.deepEqual(c.check(stripped, { method: 'listfunds' }), { ok: false, stage: 'not-authorized', reason: 'Not derived from master' });
    for (let bit = 0; bit < 256; bit += 37) {
      const flipped = parseRune(parent);
      flipped.authcode[bit >> 3]! ^= 1 << (bit & 7);
      assert.deepEqual(c.check(encodeRune(flipped), { method: 'listpeers' }), {
        ok: false,
        stage: 'not-authorized',
        reason: 'Not derived from master',
      });
    }
    assert.equal(createRuneChecker({ masterSecret: new Uint8Array(32) }).check(parent, { method: 'listpeers' }).ok, false);
  });

  test('values with \\, | and & survive encoding and checks; a string param is compared as its JSON text', () => {
    const { checker: c } = checker();
    // The label a|b&c\d is the JSON text a|b&c\\d: that is what the rune must say (lightningd compares the token).
    const rune = createRune({
      masterSecret,
      uniqueId: 6,
      restrictions: [[{ fieldname: 'pnamelabel', condition: '=', value: 'a|b&c\\\\d' }]],
    });
    assert.equal(parseRune(rune).restrictions[1]![0]!.value, 'a|b&c\\\\d');
    assert.equal(c.check(rune, { method: 'invoice', params: { label: 'a|b&c\\d' } }).ok, true);
    assert.equal(c.check(rune, { method: 'invoice', params: { label: 'a|b' } }).ok, false);
  });

  test('a unique id must read as a number, as checkrune reads it (strtoull, base 0)', () => {
    const { checker: c } = checker();
    for (const id of ['abc', '08', '0x', ' ', '1 ', '99999999999999999999']) {
      const verdict = c.check(createRune({ masterSecret, uniqueId: id, restrictions: ['method=x'] }), { method: 'x' });
      assert.deepEqual(verdict, { ok: false, stage: 'unique-id', reason: 'should have valid numeric unique_id' }, id);
    }
    for (const id of ['0', '7', '0x1f', '017', ' 5', '+5', '9223372036854775807']) {
      assert.equal(c.check(createRune({ masterSecret, uniqueId: id, restrictions: ['method=x'] }), { method: 'x' }).ok, true, id);
    }
    assert.equal(c.check(createRune({ masterSecret, restrictions: ['method=x'] }), { method: 'x' }).ok, false, 'no unique id at all');
  });

  test('checkruneError words a verdict as lightningd does', () => {
    assert.deepEqual(checkruneError({ stage: 'not-permitted', reason: 'pnamelabel is not equal to a"b\\c' }, '"r"'), {
      code: 1502,
      message: 'Not permitted: parameter label is not equal to a\\"b\\\\c',
    });
    assert.equal(
      checkruneError({ stage: 'not-permitted', reason: 'parr0 not present' }, '').message,
      'Not permitted: parameter #0 not present',
    );
    assert.equal(
      checkruneError({ stage: 'not-permitted', reason: 'pnum is greater or equal to 1' }, '').message,
      'Not permitted: number of parameters is greater or equal to 1',
    );
    assert.deepEqual(checkruneError({ stage: 'not-authorized', reason: 'Version mismatch' }, ''), {
      code: 1501,
      message: 'Not authorized: Version mismatch',
    });
    assert.deepEqual(checkruneError({ stage: 'unique-id', reason: 'should have valid numeric unique_id' }, '"AAAA"'), {
      code: -32602,
      message: 'rune: should have valid numeric unique_id: invalid token \'"AAAA"\'',
    });
  });
});

describe('auditRune for pages', () => {
  test('a pay rune limited by amount can still spend, and says so', () => {
    const rune = createRune({
      masterSecret,
      uniqueId: 5,
      restrictions: ['method=pay|method=xpay', 'pnameamount_msat<100000001', 'rate=6'],
    });
    const audit = auditRune(rune);
    assert.equal(audit.canSpend, true);
    assert.equal(audit.rateLimit, 6);
    assert.match(audit.summary, /^Can spend/);
  });

  test('a rune that lists only invoice and read-only methods is not a spender', () => {
    const rune = createRune({ masterSecret, restrictions: ['method=invoice|method=listinvoices|method=waitinvoice'] });
    const audit = auditRune(rune);
    assert.equal(audit.canSpend, false);
    assert.equal(audit.readOnly, false);
    assert.deepEqual(audit.methods, ['listinvoices', 'waitinvoice', 'invoice']);
  });

  test('an expired rune allows nothing', () => {
    const rune = createRune({ masterSecret, restrictions: ['time<1000'] });
    const audit = auditRune(rune);
    assert.equal(audit.canSpend, false);
    assert.match(audit.summary, /^Useless/);
    assert.equal(audit.expiresAt?.getTime(), 1_000_000);
  });
});
