/**
 * Callers waiting for something to resolve, keyed (a part id, a payment hash). One
 * resolution wakes all of a key's waiters; each waiter has its own timeout; closing rejects
 * them all, so no promise is left pending forever.
 */
import { longTimeout } from '@ampkit/wire';
import { engineError, type AmpkitError } from '../errors.ts';

interface Waiter<V> {
  resolve(value: V): void;
  reject(error: AmpkitError): void;
  cancelTimer?: () => void;
}

export class Waiters<K, V> {
  private readonly waiting = new Map<K, Set<Waiter<V>>>();

  /** Waits for `key`; `timeout` in seconds, of any length (undefined: no limit). */
  add(key: K, timeout: number | undefined, what: string): Promise<V> {
    const waiting = new Promise<V>((resolve, reject) => {
      let set = this.waiting.get(key);
      if (!set) this.waiting.set(key, (set = new Set()));
      const waiter: Waiter<V> = { resolve, reject };
      set.add(waiter);
      if (timeout !== undefined) {
        waiter.cancelTimer = longTimeout(() => {
          this.remove(key, waiter);
          reject(engineError('TIMEOUT', `timed out after ${timeout} s waiting for ${what}`));
        }, timeout * 1000);
      }
    });
    // Closing may reject a wait before its caller has it in hand (an await in between):
    // that is no unhandled rejection; the caller still gets the error.
    waiting.catch(() => undefined);
    return waiting;
  }

  private remove(key: K, waiter: Waiter<V>): void {
    const set = this.waiting.get(key);
    set?.delete(waiter);
    if (set?.size === 0) this.waiting.delete(key);
    waiter.cancelTimer?.();
  }

  has(key: K): boolean {
    return this.waiting.has(key);
  }

  resolve(key: K, value: V): void {
    for (const waiter of [...(this.waiting.get(key) ?? [])]) {
      this.remove(key, waiter);
      waiter.resolve(value);
    }
  }

  reject(key: K, error: AmpkitError): void {
    for (const waiter of [...(this.waiting.get(key) ?? [])]) {
      this.remove(key, waiter);
      waiter.reject(error);
    }
  }

  rejectAll(error: AmpkitError): void {
    for (const key of [...this.waiting.keys()]) this.reject(key, error);
  }
}

/** Runs tasks one at a time per key, in call order. */
export class KeyedLock<K> {
  private readonly tails = new Map<K, Promise<unknown>>();

  run<T>(key: K, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
