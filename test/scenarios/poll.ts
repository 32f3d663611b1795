/**
 * Polls `check` every 50 ms until it returns a value other than undefined; fails with
 * `what` after `seconds`. An assertion failing inside `check` ends the wait at once; other
 * errors are retried (a node still starting, a link coming back) and the last one is told.
 */
export async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, seconds = 30): Promise<T> {
  const end = Date.now() + seconds * 1000;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof Error && error.name === 'AssertionError') throw error;
      last = error;
    }
    if (Date.now() > end) throw new Error(`${what} did not happen within ${seconds} s${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
