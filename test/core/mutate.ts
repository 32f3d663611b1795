/**
 * Seeded mutation of structured values, shared by the fuzz tests: a known-good record or
 * reply is copied and changed in one to three places (a field deleted, replaced by junk,
 * blown up into a huge array or a deep nesting, a number pushed past 2^53, a key added),
 * the way a corrupted disk, a foreign writer or a hostile node would leave it.
 */

export type Rand = () => number;

/** What a test adds to the shared mutations. */
export interface MutatorOptions {
  /** Values that may be put anywhere, besides the generic ones (hashes, ids, statuses …). */
  readonly values: readonly unknown[];
  /** Keys a junk object is made of, besides `k0`, `k1` … */
  readonly keys: readonly string[];
  /** Longest junk string, in characters. */
  readonly longString: number;
  /** How long a blown-up array is. */
  readonly arrayLength: (rand: Rand) => number;
  /** How deep a deep nesting goes. */
  readonly nesting: number;
  /** Further replacements for a value, `old` being the value there before. */
  readonly replacements?: readonly ((rand: Rand, old: unknown) => unknown)[];
}

export const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[(rand() * xs.length) | 0]!;

const GENERIC: readonly unknown[] = [
  null,
  undefined,
  true,
  false,
  0,
  -1,
  1.5,
  Number.NaN,
  Infinity,
  -Infinity,
  2 ** 53,
  2 ** 53 + 2,
  18446744073709551615,
  1e308,
  -0,
  '',
  'x',
  '0',
  'pending',
  'complete',
  'failed',
];

/** Every path to a value inside `v`, the root's included (at most 400). */
function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (out.length > 400) return out;
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v !== null && typeof v === 'object' && !(v instanceof Date) && !ArrayBuffer.isView(v))
    for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

/** `junk` and `mutate` for one test's kind of value. */
export function mutator(o: MutatorOptions) {
  const simple = [...GENERIC, ...o.values];
  const keys = ['id', 'status', 'amount_msat', ...o.keys];

  /** A value that might turn up anywhere. */
  function junk(rand: Rand, depth = 0): unknown {
    switch ((rand() * 6) | 0) {
      case 0:
        return depth > 3 ? null : Array.from({ length: (rand() * 4) | 0 }, () => junk(rand, depth + 1));
      case 1:
        return depth > 3
          ? {}
          : Object.fromEntries(Array.from({ length: (rand() * 4) | 0 }, (_, i) => [pick(rand, [...keys, `k${i}`]), junk(rand, depth + 1)]));
      case 2:
        return 'é'.repeat((rand() * o.longString) | 0);
      default:
        return pick(rand, simple);
    }
  }

  /** A replacement for `old`. */
  function replace(rand: Rand, old: unknown): unknown {
    const extra = o.replacements ?? [];
    const n = (rand() * (5 + extra.length)) | 0;
    switch (n) {
      case 0:
        return junk(rand);
      case 1: {
        // A huge array, of copies of a small value that was there, or of numbers.
        const first = Array.isArray(old) ? old[0] : old;
        const small = first !== undefined && (JSON.stringify(first)?.length ?? 0) < 2000;
        return Array.from({ length: o.arrayLength(rand) }, (_, i) => (small && rand() < 0.5 ? structuredClone(first) : i));
      }
      case 2:
        return typeof old === 'number' ? pick(rand, [2 ** 53 + 1, -old - 1, old + 0.5, Number.NaN, 2 ** 64, String(old)]) : junk(rand);
      case 3: {
        let deep: unknown = 1;
        for (let d = 0; d < o.nesting; d++) deep = [deep];
        return deep;
      }
      case 4:
        return pick(rand, simple);
      default:
        return extra[n - 5]!(rand, old);
    }
  }

  /** One to three changes somewhere in a copy of `seed` (`keep`: a top-level field left alone, a store's key). */
  function mutate(rand: Rand, seed: unknown, keep?: string): unknown {
    let root = structuredClone(seed);
    for (let n = 1 + ((rand() * 3) | 0); n > 0; n--) {
      const at = pick(
        rand,
        paths(root).filter((p) => keep === undefined || p[0] !== keep || p.length > 1),
      );
      if (at.length === 0) {
        if (keep === undefined && rand() < 0.3) root = junk(rand);
        continue;
      }
      const parent = at.slice(0, -1).reduce<any>((v, k) => v[k], root);
      if (parent === null || typeof parent !== 'object') continue;
      const key = at[at.length - 1]!;
      const r = rand();
      if (r < 0.15) {
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key];
      } else if (r < 0.25) parent[`extra_${(rand() * 100) | 0}`] = junk(rand);
      else parent[key] = replace(rand, parent[key]);
    }
    return root;
  }

  return { junk, mutate };
}
