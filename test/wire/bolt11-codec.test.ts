/** BOLT 11 codec against the official examples (test/fixtures/reference) and a real CLN invoice. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { bech32 } from '@scure/base';
import { Bolt11Error, decodeBolt11, encodeBolt11, type Bolt11Invoice } from '../../packages/wire/src/bolt11-codec.ts';
import { fromHex } from '../../packages/wire/src/bytes.ts';

const reference = new URL('../fixtures/reference/', import.meta.url);
const PRIV = fromHex('e126f68f7eafcc8b74f54d269fe206be715000f94dac067d1c04a8ca3b2db734');
const PAYEE = '03e7156ae33b0a208d0744199163177e909e80176e55d97a2f221ede0f934dd9ad';

interface Example {
  title: string;
  invoice: string;
  valid: boolean;
}

function examples(): Example[] {
  const lines = readFileSync(new URL('bolt11-examples.txt', reference), 'utf8').split('\n');
  const out: Example[] = [];
  let valid = true;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('# Examples of Invalid Invoices')) valid = false;
    if (!/^> #+ /.test(line)) continue;
    const invoice = lines[i + 1]?.startsWith('> ') ? lines[i + 1]!.slice(2).trim() : '';
    if (invoice) out.push({ title: line.replace(/^> #+ /, ''), invoice, valid });
  }
  return out;
}

function reencodeOptions(d: Bolt11Invoice) {
  return {
    currency: d.currency,
    ...(d.amount_msat !== undefined ? { amount_msat: d.amount_msat } : {}),
    created_at: d.created_at,
    payment_hash: d.payment_hash,
    payment_secret: d.payment_secret!,
    ...(d.description !== undefined ? { description: d.description } : {}),
    ...(d.description_hash !== undefined ? { description_hash: d.description_hash } : {}),
    expiry: d.expiry,
    min_final_cltv_expiry: d.min_final_cltv_expiry,
    features: d.featureBits,
    ...(d.routes ? { routes: d.routes } : {}),
    ...(d.payment_metadata !== undefined ? { payment_metadata: d.payment_metadata } : {}),
  };
}

const all = examples();
const valid = all.filter((e) => e.valid);
const invalid = all.filter((e) => !e.valid);

describe('BOLT 11 examples, valid', () => {
  test('the file yields the examples', () => {
    assert.ok(valid.length >= 15, `found ${valid.length} valid examples`);
    assert.ok(invalid.length >= 10, `found ${invalid.length} invalid examples`);
  });

  for (const example of valid) {
    test(`decodes and round-trips: ${example.title}`, () => {
      const d = decodeBolt11(example.invoice);
      assert.equal(d.payee, PAYEE);
      assert.match(d.payment_hash, /^[0-9a-f]{64}$/);
      assert.equal(d.payment_secret, '11'.repeat(32));
      const again = decodeBolt11(encodeBolt11(reencodeOptions(d), PRIV));
      const { signature: _a, fallbacks: _f, ...rest } = d;
      const { signature: _b, ...restAgain } = again;
      assert.deepEqual(restAgain, rest);
    });
  }

  test('amounts, descriptions, expiry, features and metadata read as the examples say', () => {
    const byTitle = (t: string) => decodeBolt11(valid.find((e) => e.title.startsWith(t))!.invoice);
    assert.equal(byTitle('Please make a donation').amount_msat, undefined);
    assert.equal(byTitle('Please make a donation').payment_hash, '0001020304050607080900010203040506070809000102030405060708090102');
    assert.equal(byTitle('Please send $3').amount_msat, 250_000_000);
    assert.equal(byTitle('Please send $3').expiry, 60);
    assert.equal(byTitle('Please send $3').description, '1 cup coffee');
    assert.equal(byTitle('Please send 0.0025 BTC').description, 'ナンセンス 1杯');
    assert.equal(byTitle('Please send 0.00967878534').amount_msat, 967_878_534);
    assert.equal(byTitle('Now send $24').description_hash, '3925b6f67e2c340036ed12093dd44e0368df1b6ea26c53dbe4811f58fd5db8c1');
    assert.ok(byTitle('Please send $30 for coffee beans').featureBits.includes(99));
    assert.equal(byTitle('Please send 0.01 BTC with payment metadata').payment_metadata, '01fafaf0');
    assert.deepEqual(byTitle('Same, but all upper case'), byTitle('Please send $30 for coffee beans'));
    const routed = byTitle('On mainnet, with fallback address 1RustyRX2oai4EYYDpQGWvEL62BBGqN9T');
    assert.deepEqual(routed.routes, [
      [
        {
          pubkey: '029e03a901b85534ff1e92c43c74431f7ce72046060fcf7a95c37e148f78c77255',
          short_channel_id: '66051x263430x1800',
          fee_base_msat: 1,
          fee_proportional_millionths: 20,
          cltv_expiry_delta: 3,
        },
        {
          pubkey: '039e03a901b85534ff1e92c43c74431f7ce72046060fcf7a95c37e148f78c77255',
          short_channel_id: '197637x395016x2314',
          fee_base_msat: 2,
          fee_proportional_millionths: 30,
          cltv_expiry_delta: 4,
        },
      ],
    ]);
  });

  test('signing is byte-exact: the first example re-encodes to the same string', () => {
    const first = valid[0]!;
    const d = decodeBolt11(first.invoice);
    // The example writes s, p, d, 9 with no x or c: the encoder's order (s, p, d, …, 9).
    const { expiry: _e, min_final_cltv_expiry: _c, ...base } = reencodeOptions(d);
    assert.equal(encodeBolt11(base, PRIV), first.invoice);
  });

  test('a real Core Lightning v25.12 invoice decodes exactly as its `decode` does', () => {
    const invoice = JSON.parse(readFileSync(new URL('cln-fixtures/invoice.json', reference), 'utf8')).bolt11 as string;
    const expected = JSON.parse(readFileSync(new URL('cln-fixtures/decode.json', reference), 'utf8')) as Record<string, unknown>;
    const d = decodeBolt11(invoice) as unknown as Record<string, unknown>;
    for (const key of Object.keys(expected).filter((k) => !['type', 'valid'].includes(k))) {
      assert.deepEqual(d[key], expected[key], key);
    }
  });
});

describe('BOLT 11 examples, invalid', () => {
  const reasons: [string, string][] = [
    ['Same, but adding invalid unknown feature 100', 'UNKNOWN_REQUIRED_FEATURE'],
    ['Bech32 checksum is invalid', 'BECH32'],
    ['Malformed bech32 string (no 1)', 'BECH32'],
    ['Malformed bech32 string (mixed case)', 'BECH32'],
    ['Signature is not recoverable', 'SIGNATURE'],
    ['String is too short', 'TOO_SHORT'],
    ['Invalid multiplier', 'AMOUNT'],
    ['Invalid sub-millisatoshi precision', 'SUB_MSAT'],
    ['Missing required `s` field', 'MISSING_FIELD'],
    ["Non canonical signature (high-S) with 'n' field defined", 'SIGNATURE'],
  ];
  for (const [title, reason] of reasons) {
    test(`refused with ${reason}: ${title}`, () => {
      const example = invalid.find((e) => e.title.startsWith(title));
      assert.ok(example, `example '${title}' is in the file`);
      assert.throws(
        () => decodeBolt11(example.invoice),
        (e: unknown) => e instanceof Bolt11Error && e.code === 'BAD_INVOICE' && e.reason === reason,
      );
    });
  }

  test('an amount of zero is refused (found by bolt11-fuzz): an invoice for any amount leaves it out', () => {
    const any = encodeBolt11(
      { currency: 'bc', created_at: 1_700_000_000, payment_hash: '11'.repeat(32), payment_secret: '22'.repeat(32), description: 'x' },
      PRIV,
    );
    const { words } = bech32.decode(any as `${string}1${string}`, false);
    for (const hrp of ['lnbc0', 'lnbc0m', 'lnbc0p']) {
      assert.throws(
        () => decodeBolt11(bech32.encode(hrp, words, false)),
        (e: unknown) => e instanceof Bolt11Error && e.reason === 'AMOUNT',
        hrp,
      );
    }
  });

  test('every invalid example is refused', () => {
    for (const example of invalid) assert.throws(() => decodeBolt11(example.invoice), Bolt11Error, example.title);
  });

  test('2,000 mutations of a valid invoice fail only with Bolt11Error', () => {
    let state = 42;
    const rand = (n: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % n;
    };
    const source = valid[1]!.invoice;
    const charset = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l1QA';
    for (let i = 0; i < 2000; i++) {
      let s = source;
      if (rand(3) === 0) s = s.slice(0, rand(s.length));
      else {
        const at = rand(s.length);
        s = s.slice(0, at) + charset[rand(charset.length)] + s.slice(at + 1);
      }
      try {
        decodeBolt11(s);
      } catch (error) {
        assert.ok(error instanceof Bolt11Error, `unexpected ${String(error)} for ${s}`);
      }
    }
  });

  test('the encoder refuses amounts that are not positive safe integers', () => {
    const base = { currency: 'bcrt', created_at: 1, payment_hash: '00'.repeat(32), payment_secret: '11'.repeat(32) };
    for (const amount_msat of [0, -1, 1.5, 2 ** 53]) assert.throws(() => encodeBolt11({ ...base, amount_msat }, PRIV), Bolt11Error);
  });
});
