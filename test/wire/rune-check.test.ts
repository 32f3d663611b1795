import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { auditRune } from '../../packages/wire/src/rune-audit.ts';
import { createRuneChecker } from '../../packages/wire/src/rune-check.ts';
import { createRune, encodeRune, parseRune, restrictRune } from '../../packages/wire/src/runes.ts';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../shared/reference/cln-fixtures/${name}`, import.meta.url), 'utf8').replace(/\nrc=1\s*$/, ''));

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

  test('the read-only rune is read-only and the bare rune has full access', () => {
    const [full, readonly] = shown;
    assert.equal(auditRune(full!.rune).unrestricted, true);
    assert.equal(auditRune(full!.rune).canSpend, true);
    assert.match(auditRune(full!.rune).summary, /^Full access/);
    const ro = auditRune(readonly!.rune);
    assert.equal(ro.readOnly, true);
    assert.equal(ro.canSpend, false);
    assert.ok(!ro.methods.includes('listdatastore'));
  });

  test('checking the invoice rune for pay fails with the reason checkrune gives', () => {
    // We do not hold that node's secret, so rebuild the same restrictions under ours.
    const { rune } = fixture('createrune-restricted.json');
    const parsed = parseRune(rune);
    const ours = createRune({ masterSecret, restrictions: parsed.restrictions });
    const denied = fixture('checkrune-denied.json');
    const verdict = createRuneChecker({ masterSecret }).check(ours, { method: 'pay', params: {} });
    assert.equal(verdict.ok, false);
    assert.equal(`Not permitted: ${(verdict as { reason: string }).reason}`, denied.message);
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
    const pnameStripped = createRune({ masterSecret, restrictions: ['pnameamountmsat=5'] });
    assert.equal(c.check(pnameStripped, { method: 'x', params: { amount_msat: 5 } }).ok, true);
    const tooMuch = c.check(rune, { method: 'pay', params: { bolt11: 'lnbcrt1x', amount_msat: 100_001 }, peerId });
    assert.deepEqual(tooMuch, {
      ok: false,
      reason: 'pnameamount_msat is greater or equal to 100001 AND parr1 not present',
    });
    assert.equal(c.check(rune, { method: 'pay', params: ['lnbcrt1', 5], peerId }).ok, false, 'pnamebolt11 absent for arrays');
    const positional = createRune({ masterSecret, restrictions: ['method=pay', 'parr0^lnbcrt', 'parr1<100001'] });
    assert.equal(c.check(positional, { method: 'pay', params: ['lnbcrt1', 5] }).ok, true);
    assert.deepEqual(c.check(rune, { method: 'pay', params: {}, peerId: '03' + '00'.repeat(32) }), {
      ok: false,
      reason: 'pnameamount_msat not present AND parr1 not present',
    });
    assert.deepEqual(c.check(rune, { method: 'xpay', params: {} }), { ok: false, reason: 'method is not equal to pay' });
  });

  test('time limits', () => {
    const { checker: c, tick } = checker();
    const rune = createRune({ masterSecret, restrictions: [`time<${1_700_000_000 + 60}`] });
    assert.equal(c.check(rune, { method: 'getinfo' }).ok, true);
    tick(61_000);
    assert.deepEqual(c.check(rune, { method: 'getinfo' }), { ok: false, reason: `time is greater or equal to ${1_700_000_000 + 60}` });
  });

  test('rate=N allows N calls a minute per unique id, counting only calls that pass', () => {
    const { checker: c, tick } = checker();
    const rune = createRune({ masterSecret, uniqueId: 3, restrictions: ['method=invoice', 'rate=2'] });
    assert.equal(c.check(rune, { method: 'pay' }).ok, false); // refused calls do not count
    assert.equal(c.check(rune, { method: 'invoice' }).ok, true);
    assert.equal(c.check(rune, { method: 'invoice' }).ok, true);
    assert.deepEqual(c.check(rune, { method: 'invoice' }), { ok: false, reason: 'Rate of 2 per minute exceeded' });
    tick(60_000);
    assert.equal(c.check(rune, { method: 'invoice' }).ok, true);
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
    assert.deepEqual(c.check(child, { method: 'listfunds' }), { ok: false, reason: 'method is equal to listfunds' });
    assert.equal(c.check(child, { method: 'pay' }).ok, false);
    // Drop the child's restriction but keep its authcode: no longer derived.
    const parsed = parseRune(child);
    const stripped = encodeRune({ ...parsed, restrictions: parsed.restrictions.slice(0, 2) });
    assert.deepEqual(c.check(stripped, { method: 'listfunds' }), { ok: false, reason: 'Not derived from master' });
    for (let bit = 0; bit < 256; bit += 37) {
      const flipped = parseRune(parent);
      flipped.authcode[bit >> 3]! ^= 1 << (bit & 7);
      assert.deepEqual(c.check(encodeRune(flipped), { method: 'listpeers' }), { ok: false, reason: 'Not derived from master' });
    }
    assert.equal(createRuneChecker({ masterSecret: new Uint8Array(32) }).check(parent, { method: 'listpeers' }).ok, false);
  });

  test('values with \\, | and & survive encoding and checks', () => {
    const { checker: c } = checker();
    const rune = createRune({ masterSecret, restrictions: [[{ fieldname: 'pnamelabel', condition: '=', value: 'a|b&c\\d' }]] });
    assert.equal(c.check(rune, { method: 'invoice', params: { label: 'a|b&c\\d' } }).ok, true);
    assert.equal(c.check(rune, { method: 'invoice', params: { label: 'a|b' } }).ok, false);
  });
});

describe('auditRune for pages', () => {
  test('a pay rune limited by amount can still spend, and says so', () => {
    const rune = createRune({ masterSecret, uniqueId: 5, restrictions: ['method=pay|method=xpay', 'pnameamount_msat<100000001', 'rate=6'] });
    const audit = auditRune(rune);
    assert.equal(audit.canSpend, true);
    assert.equal(audit.rateLimit, 6);
    assert.match(audit.summary, /^Can spend/);
  });

  test('a rune that excludes spending methods by name is not a spender', () => {
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
