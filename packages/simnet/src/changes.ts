import { longTimeout } from '@ampkit/wire';

/** A change signal: RPC waits (waitsendpay, waitinvoice, ...) sleep on it until the state they watch moves. */
export class Changes {
  private readonly waiters = new Set<() => void>();
  private stopped = false;

  /**
   * Resolves at the next {@link wake}, or after `ms` when given. After {@link stop} it
   * rejects (code -1, as lightningd answers a call it abandons when shutting down), so a
   * wait loop ends instead of arming its timer again and keeping the process alive.
   */
  next(ms?: number): Promise<void> {
    if (this.stopped) return Promise.reject(Object.assign(new Error('lightningd shutting down'), { code: -1 }));
    return new Promise((resolve) => {
      let cancel: (() => void) | undefined;
      const waiter = (): void => {
        cancel?.();
        this.waiters.delete(waiter);
        resolve();
      };
      this.waiters.add(waiter);
      // A caller's wait may pass setTimeout's 24.8 days (lightningd takes any u32 of seconds).
      if (ms !== undefined) cancel = longTimeout(waiter, ms);
    });
  }

  wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Ends every wait, now and later. */
  stop(): void {
    this.stopped = true;
    this.wake();
  }
}
