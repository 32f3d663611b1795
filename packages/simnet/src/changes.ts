/** A change signal: RPC waits (waitsendpay, waitinvoice, ...) sleep on it until the state they watch moves. */
export class Changes {
  private readonly waiters = new Set<() => void>();

  /** Resolves at the next {@link wake}, or after `ms` when given. */
  next(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve();
      };
      this.waiters.add(waiter);
      if (ms !== undefined) timer = setTimeout(waiter, ms);
    });
  }

  wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
