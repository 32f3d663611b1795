/**
 * How many generated inputs each fuzz test feeds: 10,000 in `npm test`, 100,000 in
 * `npm run fuzz` (`AMPKIT_FUZZ_N`). Seeds are fixed, so a failure replays.
 */
export const FUZZ_N = (() => {
  const n = Number(process.env.AMPKIT_FUZZ_N ?? 10_000);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error('AMPKIT_FUZZ_N must be a positive whole number');
  return n;
})();

/** A seeded generator of numbers in [0, 1) (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
