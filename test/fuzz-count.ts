/**
 * How many generated inputs each fuzz test feeds: 10,000 in `npm test`, 100,000 in
 * `npm run fuzz` (`AMPKIT_FUZZ_N`). Seeds are fixed (test/wire/helpers.ts `prng`), so a
 * failure replays.
 */
export const FUZZ_N = (() => {
  const n = Number(process.env.AMPKIT_FUZZ_N ?? 10_000);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error('AMPKIT_FUZZ_N must be a positive whole number');
  return n;
})();
