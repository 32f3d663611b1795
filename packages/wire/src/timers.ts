/**
 * Timers of any length. `setTimeout` keeps its delay in a signed 32-bit integer: anything
 * over 2^31 − 1 ms (24.8 days) fires at once (browsers and Node alike; Node warns with
 * `TimeoutOverflowWarning`). A caller's `timeout: 30 days` must not end in 1 ms.
 */

/** The longest delay `setTimeout` honours: 2^31 − 1 ms, about 24.8 days. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Calls `callback` once after `ms` milliseconds, however long: a delay past
 * {@link MAX_TIMER_MS} is waited in steps of at most that. `Infinity` never fires; a
 * negative or `NaN` delay fires as soon as possible, as `setTimeout` would. Returns the
 * function that cancels it (harmless to call again, or after it fired).
 *
 * @example
 * ```ts
 * const cancel = longTimeout(() => console.log('30 days later'), 30 * 86_400_000);
 * cancel();
 * ```
 */
export function longTimeout(callback: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let cancelled = false;
  // Counted down step by step rather than against a wall clock: a clock set back or
  // forward neither shortens nor stretches the wait, as with setTimeout itself.
  const wait = (left: number): void => {
    if (left === Infinity) return;
    const step = left > MAX_TIMER_MS ? MAX_TIMER_MS : left;
    timer = setTimeout(() => {
      timer = undefined;
      if (cancelled) return;
      if (left > MAX_TIMER_MS) wait(left - MAX_TIMER_MS);
      else callback();
    }, step);
  };
  wait(Number.isNaN(ms) || ms < 0 ? 0 : ms);
  return () => {
    cancelled = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
}

/** How a client comes back after a drop: up to `attempts` (8) with backoff from `minDelay` (250 ms) to `maxDelay` (10 s), or `false` to stay down. */
export type ReconnectPolicy = false | { attempts?: number; minDelay?: number; maxDelay?: number };

/**
 * The wait in ms before reconnection attempt `attempt` (0 for the first) under `policy`, or
 * undefined once its attempts are spent. Exponential backoff with jitter (half fixed, half
 * random) spreads clients apart after an outage.
 */
export function reconnectDelay(policy: ReconnectPolicy | undefined, attempt: number): number | undefined {
  const attempts = policy === false ? 0 : (policy?.attempts ?? 8);
  if (attempt >= attempts) return undefined;
  const { minDelay: min = 250, maxDelay: max = 10_000 } = policy || {};
  const ceiling = Math.min(max, min * 2 ** attempt);
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}
