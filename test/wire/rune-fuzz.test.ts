/** FUZZ_N (10,000; 100,000 in `npm run fuzz`) hostile runes at each rune decoder: success or a typed BAD_RUNE, nothing else, quickly. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FUZZ_N } from '../fuzz-count.ts';
import { base64url } from '@scure/base';
import { WireError } from '../../packages/wire/src/errors.ts';
import { auditRune } from '../../packages/wire/src/rune-audit.ts';
import { createRuneChecker } from '../../packages/wire/src/rune-check.ts';
import { createRune, parseRune } from '../../packages/wire/src/runes.ts';
import { prng, randomBytes } from './helpers.ts';

const N = FUZZ_N;
const masterSecret = new Uint8Array(32).fill(1);
const seeds = [
  createRune({ masterSecret, uniqueId: 0 }),
  createRune({ masterSecret, uniqueId: 1, restrictions: ['method^list|method^get|method=summary', 'method/listdatastore'] }),
  createRune({
    masterSecret,
    uniqueId: 2,
    restrictions: ['method=pay', 'pnameamount_msat<1000', 'rate=3', 'per=1min', 'time<99999999999'],
  }),
];
const specials = ['\\', '|', '&', '=', '!', '<', '>', '{', '}', '#', '^', '$', '~', '/', '_', '\u0000', 'é', '-'];

function hostileRune(rand: () => number): string {
  const kind = rand();
  if (kind < 0.25) {
    // Random text, random base64url.
    return rand() < 0.5
      ? String.fromCharCode(...randomBytes(rand, (rand() * 80) | 0))
      : base64url.encode(randomBytes(rand, (rand() * 120) | 0));
  }
  const seed = seeds[(rand() * seeds.length) | 0]!;
  const bytes = base64url.decode(seed);
  if (kind < 0.5) {
    // Bit flips, truncation.
    const out = rand() < 0.5 ? bytes.slice() : bytes.slice(0, (rand() * bytes.length) | 0);
    if (out.length) out[(rand() * out.length) | 0]! ^= 1 << ((rand() * 8) | 0);
    return base64url.encode(out);
  }
  if (kind < 0.85) {
    // Restriction text with special characters spliced in, including NUL and invalid UTF-8.
    const text = new TextDecoder().decode(bytes.subarray(32));
    const at = (rand() * (text.length + 1)) | 0;
    const extra = Array.from({ length: 1 + ((rand() * 4) | 0) }, () => specials[(rand() * specials.length) | 0]).join('');
    const body = new TextEncoder().encode(text.slice(0, at) + extra + text.slice(at));
    const tail = rand() < 0.1 ? Uint8Array.of(0xff, 0xfe) : new Uint8Array(0);
    const all = new Uint8Array(32 + body.length + tail.length);
    all.set(bytes.subarray(0, 32));
    all.set(body, 32);
    all.set(tail, 32 + body.length);
    return base64url.encode(all);
  }
  if (kind < 0.95) return seed.replace(/=+$/, '') + '='.repeat((rand() * 4) | 0) + (rand() < 0.5 ? '' : '*');
  // Huge: up to ~100 kB of restrictions.
  const big = new Uint8Array(32 + ((rand() * 75_000) | 0)).fill(0x61);
  for (let i = 40; i < big.length; i += 97) big[i] = '|&=\\'.charCodeAt((rand() * 4) | 0);
  return base64url.encode(big);
}

describe('rune fuzz', () => {
  test(`${N} hostile runes at parseRune, the checker and auditRune`, () => {
    const rand = prng(2024);
    const checker = createRuneChecker({ masterSecret });
    const outcomes = { parsed: 0, rejected: 0, permitted: 0 };
    const started = performance.now();
    for (let i = 0; i < N; i++) {
      const rune = hostileRune(rand);
      try {
        parseRune(rune);
        outcomes.parsed++;
      } catch (e) {
        assert.ok(e instanceof WireError && e.code === 'BAD_RUNE', `parseRune threw ${String(e)}`);
        outcomes.rejected++;
      }
      const verdict = checker.check(rune, { method: rand() < 0.5 ? 'pay' : 'listfunds', params: { amount_msat: (rand() * 2000) | 0 } });
      assert.ok(verdict.ok === true || typeof verdict.reason === 'string');
      if (verdict.ok) outcomes.permitted++;
      try {
        const audit = auditRune(rune);
        assert.equal(typeof audit.summary, 'string');
      } catch (e) {
        assert.ok(e instanceof WireError && e.code === 'BAD_RUNE', `auditRune threw ${String(e)}`);
      }
    }
    assert.ok(outcomes.parsed > N / 10 && outcomes.rejected > N / 10, JSON.stringify(outcomes));
    // Only untouched seeds can pass the checker; a mutation that still passes would be a forgery.
    assert.ok(outcomes.permitted < N / 10, JSON.stringify(outcomes));
    assert.ok(performance.now() - started < 20_000, 'linear-time decoding');
  });

  test('forged runes never pass: every mutated seed that the checker accepts decodes to the seed itself', () => {
    const rand = prng(77);
    const checker = createRuneChecker({ masterSecret });
    for (let i = 0; i < 2000; i++) {
      const seed = seeds[(rand() * seeds.length) | 0]!;
      const bytes = base64url.decode(seed);
      bytes[(rand() * bytes.length) | 0]! ^= 1 << ((rand() * 8) | 0);
      const forged = base64url.encode(bytes);
      assert.equal(checker.check(forged, { method: 'listfunds', params: {} }).ok, false);
    }
  });
});
