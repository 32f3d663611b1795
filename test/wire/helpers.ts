/** Test doubles shared by the wire tests. */
import type { ByteSocket } from '../../packages/wire/src/socket.ts';
import type { WireError } from '../../packages/wire/src/errors.ts';

/** Two in-memory byte sockets wired to each other; bytes arrive asynchronously, like a network. */
export function socketPair(): [ByteSocket, ByteSocket] {
  const make = (): ByteSocket & { closed: boolean } => ({
    closed: false,
    send() {},
    close() {},
    onData: () => {},
    onClose: () => {},
  });
  const a = make();
  const b = make();
  const link = (from: typeof a, to: typeof a) => {
    from.send = (bytes) => {
      if (from.closed) throw new Error('send on a closed socket');
      const copy = bytes.slice();
      queueMicrotask(() => {
        if (!to.closed) to.onData(copy);
      });
    };
    from.close = () => {
      if (from.closed) return;
      from.closed = true;
      from.onClose();
      queueMicrotask(() => {
        if (to.closed) return;
        to.closed = true;
        to.onClose({ code: 'CONNECTION', message: 'peer closed' } as WireError);
      });
    };
  };
  link(a, b);
  link(b, a);
  return [a, b];
}

/** A byte socket that records what is sent and lets the test feed raw bytes in. */
export function scriptedSocket(): ByteSocket & { sent: Uint8Array[]; closed: boolean; feed(bytes: Uint8Array): void } {
  const socket = {
    sent: [] as Uint8Array[],
    closed: false,
    send(bytes: Uint8Array) {
      socket.sent.push(bytes.slice());
    },
    close() {
      if (socket.closed) return;
      socket.closed = true;
      socket.onClose();
    },
    feed(bytes: Uint8Array) {
      socket.onData(bytes);
    },
    onData: (_bytes: Uint8Array) => {},
    onClose: (_error?: WireError) => {},
  };
  return socket;
}

/** A deterministic PRNG (mulberry32) so randomized tests replay exactly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytes(rand: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (rand() * 256) | 0;
  return out;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
