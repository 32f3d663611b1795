/**
 * Hostile BOLT 11 strings at the decoder: mutations of valid invoices (the spec's examples
 * and our own, with every field) at the character level, checksum-valid mutations of their
 * data words (so the field readers are reached, not only the checksum), hostile amounts in
 * the prefix, junk and huge strings. Each must decode or fail with a Bolt11Error
 * (`BAD_INVOICE` with a reason), in bounded time; what decodes must be an invoice whose
 * signature verified (a payee key) and whose required fields are there.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { bech32 } from '@scure/base';
import { Bolt11Error, decodeBolt11, encodeBolt11, type Bolt11Invoice } from '../../packages/wire/src/bolt11-codec.ts';
import { FUZZ_N } from '../fuzz-count.ts';
import { prng } from './helpers.ts';

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const REASONS = new Set([
  'BECH32',
  'PREFIX',
  'AMOUNT',
  'SUB_MSAT',
  'TOO_SHORT',
  'SIGNATURE',
  'MISSING_FIELD',
  'UNKNOWN_REQUIRED_FEATURE',
  'FIELD',
]);

/** The spec's examples (valid and invalid) and two of our own with every field. */
function seeds(): string[] {
  const text = readFileSync(new URL('../fixtures/reference/bolt11-examples.txt', import.meta.url), 'utf8');
  const spec = [...text.matchAll(/^> (ln[0-9a-z]+)$/gim)].map((m) => m[1]!);
  const key = new Uint8Array(32).fill(3);
  const ours = [
    encodeBolt11(
      {
        currency: 'bcrt',
        amount_msat: 1_234_567,
        created_at: 1_700_000_000,
        payment_hash: 'ab'.repeat(32),
        payment_secret: 'cd'.repeat(32),
        description: 'coffee ☕',
        expiry: 600,
        min_final_cltv_expiry: 18,
        features: [8, 14, 17],
      },
      key,
    ),
    encodeBolt11(
      {
        currency: 'bc',
        created_at: 1_800_000_000,
        payment_hash: '01'.repeat(32),
        payment_secret: '02'.repeat(32),
        description_hash: '03'.repeat(32),
        features: [9, 15, 16, 48],
        routes: [
          [
            {
              pubkey: `02${'11'.repeat(32)}`,
              short_channel_id: '800000x10x1',
              fee_base_msat: 1000,
              fee_proportional_millionths: 100,
              cltv_expiry_delta: 40,
            },
          ],
        ],
        payment_metadata: 'beef',
        includePayee: true,
      },
      key,
    ),
  ];
  return [...spec, ...ours];
}

/** A verdict on one input: decoded (and sane) or refused with a typed reason. */
function judge(input: string): 'ok' | 'refused' {
  let invoice: Bolt11Invoice;
  try {
    invoice = decodeBolt11(input);
  } catch (error) {
    assert.ok(error instanceof Bolt11Error, `untyped failure for ${JSON.stringify(input.slice(0, 200))}: ${String(error)}`);
    assert.equal(error.code, 'BAD_INVOICE');
    assert.ok(REASONS.has(error.reason), `reason ${error.reason}`);
    return 'refused';
  }
  assert.match(invoice.payee, /^0[23][0-9a-f]{64}$/);
  assert.match(invoice.payment_hash, /^[0-9a-f]{64}$/);
  assert.ok(Number.isSafeInteger(invoice.created_at) && invoice.created_at >= 0);
  if (invoice.amount_msat !== undefined)
    assert.ok(Number.isSafeInteger(invoice.amount_msat) && invoice.amount_msat > 0, `amount ${invoice.amount_msat}`);
  return 'ok';
}

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[(rand() * xs.length) | 0]!;

/** One character-level change. */
function mutateText(rand: () => number, s: string): string {
  const at = (rand() * s.length) | 0;
  switch ((rand() * 8) | 0) {
    case 0:
      return s.slice(0, at) + pick(rand, [...CHARSET]) + s.slice(at + 1);
    case 1:
      return s.slice(0, at) + s.slice(at + 1 + ((rand() * 8) | 0));
    case 2:
      return s.slice(0, at) + pick(rand, [...CHARSET]).repeat(1 + ((rand() * 20) | 0)) + s.slice(at);
    case 3:
      return s.slice(0, at);
    case 4:
      return s.slice(0, at) + s.slice(at, at + 1).toUpperCase() + s.slice(at + 1);
    case 5:
      return s.slice(0, at) + pick(rand, ['1', 'b', 'i', 'o', 'é', '\u0000', ' ', '\n', '😀']) + s.slice(at);
    case 6:
      return s.slice(0, at) + s.slice(at, at + 40) + s.slice(at);
    default:
      return s.toUpperCase();
  }
}

/** A change of the data words, re-checksummed: a bech32-valid string that the field readers must judge. */
function mutateWords(rand: () => number, s: string): string {
  const { prefix, words } = bech32.decode(s.toLowerCase() as `${string}1${string}`, false);
  const w = [...words];
  let hrp: string = prefix;
  const n = 1 + ((rand() * 3) | 0);
  for (let k = 0; k < n; k++) {
    const at = (rand() * w.length) | 0;
    switch ((rand() * 7) | 0) {
      case 0:
        w[at] = (rand() * 32) | 0;
        break;
      case 1:
        w.splice(at, 1 + ((rand() * 4) | 0));
        break;
      case 2:
        w.splice(at, 0, ...Array.from({ length: 1 + ((rand() * 60) | 0) }, () => (rand() * 32) | 0));
        break;
      case 3:
        // A field's length words: past the end, zero, huge.
        w.splice(7 + ((rand() * 5) | 0), 0, pick(rand, [0, 1, 5, 9, 16, 19, 23, 24, 27]), (rand() * 32) | 0, (rand() * 32) | 0);
        break;
      case 4:
        w.length = Math.max(0, at);
        break;
      case 5:
        hrp = pick(rand, [
          'lnbc',
          'lnbc0',
          'lnbc1',
          'lnbc10p',
          'lnbc11p',
          'lnbc2500u',
          'lnbc99999999999999999999m',
          'lnbc1000000000000000000000n',
          'lnbc1.5m',
          'lnbcm',
          'lnbc01m',
          'lntb',
          'lnbcrt',
          'lnsb1u',
          'ln',
          'bc',
          'lnbc-1m',
          'lnbc9007199254740993p',
        ]);
        break;
      default:
        w.splice(0, 7, ...Array.from({ length: 7 }, () => (rand() * 32) | 0));
    }
  }
  return bech32.encode(hrp, w, false);
}

describe(`BOLT 11 decoder, ${FUZZ_N.toLocaleString('en')} hostile invoices each`, () => {
  const valid = seeds();

  test('the seeds decode', () => {
    assert.ok(valid.length >= 15);
    for (const s of valid.slice(-2)) assert.equal(judge(s), 'ok');
  });

  test('character-level mutations of valid invoices', () => {
    const rand = prng(11);
    const tally = { ok: 0, refused: 0 };
    for (let i = 0; i < FUZZ_N; i++) {
      let s = pick(rand, valid);
      for (let k = 1 + ((rand() * 3) | 0); k > 0; k--) s = mutateText(rand, s);
      tally[judge(s)]++;
    }
    assert.equal(tally.ok + tally.refused, FUZZ_N);
    assert.ok(tally.refused > FUZZ_N * 0.9, `${tally.refused} refused`);
  });

  test('checksum-valid mutations of the data words reach the field readers', () => {
    const rand = prng(12);
    const checksummed = valid.filter((v) => {
      try {
        bech32.decode(v.toLowerCase() as `${string}1${string}`, false);
        return true;
      } catch {
        return false; // the spec's examples of a bad checksum
      }
    });
    const tally = { ok: 0, refused: 0 };
    const reasons = new Map<string, number>();
    for (let i = 0; i < FUZZ_N; i++) {
      const s = mutateWords(rand, pick(rand, checksummed));
      const verdict = judge(s);
      tally[verdict]++;
      if (verdict === 'refused') {
        try {
          decodeBolt11(s);
        } catch (e) {
          const r = (e as Bolt11Error).reason;
          reasons.set(r, (reasons.get(r) ?? 0) + 1);
        }
      }
    }
    // Past the checksum, the readers refuse for many reasons, not one.
    assert.ok(reasons.size >= 5, JSON.stringify([...reasons]));
    assert.ok((reasons.get('BECH32') ?? 0) < FUZZ_N / 2, JSON.stringify([...reasons]));
  });

  test('junk, huge and non-string inputs', () => {
    const rand = prng(13);
    for (let i = 0; i < Math.max(1000, FUZZ_N / 10); i++) {
      const length = (rand() * 2000) | 0;
      const junk = Array.from({ length }, () =>
        rand() < 0.9 ? pick(rand, [...CHARSET, '1']) : String.fromCharCode((rand() * 0x3000) | 0),
      ).join('');
      judge(pick(rand, ['', 'ln', 'lnbc1', 'lnbc']) + junk);
    }
    const t = performance.now();
    judge(`lnbc1${'q'.repeat(1_000_000)}`);
    judge(`lnbc${'9'.repeat(100_000)}1qqqq`);
    assert.ok(performance.now() - t < 5000, 'huge inputs are refused quickly');
    for (const value of [undefined, null, 42, {}, [], Symbol('x')]) {
      assert.throws(
        () => decodeBolt11(value as never),
        (e: unknown) => e instanceof Bolt11Error,
      );
    }
  });
});
