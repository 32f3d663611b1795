/**
 * The browser's tools for tabs that share one journal: Web Locks (an exclusive lock by
 * name across every tab and worker of the origin, released when its holder goes away) and
 * a BroadcastChannel (messages to every other tab and worker of the origin).
 */
import type { Lock, PeerChannel } from '@ampkit/core';

/** A {@link Lock} over Web Locks, or undefined where the browser has none. */
export function webLocks(): Lock | undefined {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return undefined;
  return <T>(name: string, task: () => Promise<T>) => locks.request(name, { mode: 'exclusive' }, task) as Promise<T>;
}

/**
 * Holds the Web Lock `name` until the returned function is called, if no other tab or worker
 * of the origin holds it; undefined when one does. Where the browser has no Web Locks it
 * holds nothing and always succeeds.
 */
export function holdLock(name: string): Promise<(() => void) | undefined> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return Promise.resolve(() => undefined);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  return new Promise((resolve) => {
    void locks.request(name, { ifAvailable: true }, (lock) => {
      resolve(lock ? release : undefined);
      return lock ? held : undefined;
    });
  });
}

/** A {@link PeerChannel} over a BroadcastChannel named `name`, or undefined where there is none. */
export function broadcastPeers(name: string): (PeerChannel & { close(): void }) | undefined {
  if (typeof BroadcastChannel === 'undefined') return undefined;
  const channel = new BroadcastChannel(name);
  const listeners = new Set<(message: unknown) => void>();
  channel.onmessage = (event: MessageEvent) => {
    for (const listener of [...listeners]) listener(event.data);
  };
  return {
    post: (message) => channel.postMessage(message),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => channel.close(),
  };
}
