/**
 * One byte-stream interface over WebSockets, whether the browser's own or Node's `ws`:
 * both offer the WHATWG `addEventListener`/`send`/`close` surface, so everything above
 * this file runs one code path.
 */
import { asBytes } from './bytes.ts';
import { WireError } from './errors.ts';
import { longTimeout } from './timers.ts';

/** The part of the WHATWG WebSocket API ampkit uses; the browser's WebSocket and `ws` both fit. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: any) => void): void;
}

/** A WebSocket constructor: `globalThis.WebSocket` in browsers, `WebSocket` from `ws` in Node. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** An ordered, reliable byte stream. `onData` and `onClose` are set by the owner. */
export interface ByteSocket {
  send(bytes: Uint8Array): void;
  /** Closes the stream; `onClose` fires once, with no error. */
  close(): void;
  onData: (bytes: Uint8Array) => void;
  onClose: (error?: WireError) => void;
}

const OPEN = 1;

/**
 * A WebSocket as a {@link ByteSocket}. A class, not an object literal: rollup's tree-shaker
 * took an object literal's placeholder `onData: () => {}` for the handler ever called and
 * dropped the call, though the peer assigns the real handler later (a bundle without it
 * never reads a byte; the worker bundle test catches that).
 */
class WebSocketBytes implements ByteSocket {
  private closed = false;
  onData: (bytes: Uint8Array) => void = ignore;
  onClose: (error?: WireError) => void = ignore;

  constructor(private readonly ws: WebSocketLike) {
    if (ws.binaryType === 'blob') ws.binaryType = 'arraybuffer';
    ws.addEventListener('message', (event: { data: unknown }) => {
      if (this.closed) return;
      const bytes = asBytes(event.data);
      if (!bytes) {
        this.closed = true;
        ws.close(1003);
        this.onClose(new WireError('PROTOCOL', 'received a text WebSocket frame; BOLT 8 over WebSocket is binary'));
        return;
      }
      this.onData(bytes);
    });
    // An 'error' (e.g. `ws` refusing an oversized frame) is always followed by 'close'; without
    // a listener, Node would turn it into an uncaught exception and take the process down.
    ws.addEventListener('error', ignore);
    ws.addEventListener('close', (event: { code?: number; reason?: string }) => {
      if (this.closed) return;
      this.closed = true;
      const why = event.code ? ` (code ${event.code}${event.reason ? `: ${event.reason}` : ''})` : '';
      this.onClose(new WireError('CONNECTION', `WebSocket closed${why}`));
    });
  }

  send(bytes: Uint8Array): void {
    if (this.closed || this.ws.readyState !== OPEN) throw new WireError('CONNECTION', 'socket is not open');
    this.ws.send(bytes);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.ws.close(1000);
    } catch {
      // Already closing: nothing to do.
    }
    this.onClose();
  }
}

function ignore(): void {}

/** Wraps an already open WebSocket (e.g. one a `ws` server accepted). */
export function wrapWebSocket(ws: WebSocketLike): ByteSocket {
  return new WebSocketBytes(ws);
}

/** Opens a WebSocket and resolves once it is open, or rejects with a CONNECTION error. */
export function openWebSocket(url: string, Ctor: WebSocketConstructor, timeoutMs: number): Promise<ByteSocket> {
  return new Promise((resolve, reject) => {
    let ws: WebSocketLike;
    try {
      ws = new Ctor(url);
    } catch (cause) {
      reject(new WireError('CONNECTION', `cannot open WebSocket to ${url}`, { cause }));
      return;
    }
    if (ws.binaryType === 'blob' || ws.binaryType === undefined) ws.binaryType = 'arraybuffer';
    let settled = false;
    const cancelTimer = longTimeout(() => {
      if (settled) return;
      settled = true;
      try {
        ws.close();
      } catch {
        // It never opened.
      }
      reject(new WireError('CONNECTION', `WebSocket to ${url} did not open within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.addEventListener('open', () => {
      if (settled) return;
      settled = true;
      cancelTimer();
      resolve(wrapWebSocket(ws));
    });
    const fail = (event: { code?: number }) => {
      if (settled) return;
      settled = true;
      cancelTimer();
      reject(new WireError('CONNECTION', `WebSocket to ${url} failed to open${event?.code ? ` (code ${event.code})` : ''}`));
    };
    ws.addEventListener('error', fail);
    ws.addEventListener('close', fail);
  });
}

/** The platform's WebSocket, if it has one (browsers, workers, Node 22+). */
export function globalWebSocket(): WebSocketConstructor | undefined {
  const ctor = (globalThis as { WebSocket?: unknown }).WebSocket;
  return typeof ctor === 'function' ? (ctor as WebSocketConstructor) : undefined;
}
