/**
 * The LNC mailbox as the client sees it (lightning-node-connect `mailbox/client_conn.go`, the
 * lnd WebSocket proxy in front of aperture's hashmail): two WebSockets per session, one to
 * receive on the session's stream and one to send on its partner stream. Every go-back-N
 * packet travels base64-encoded in a JSON text frame:
 *
 * - receive socket, `…/hashmail/receive?method=POST`: we send one init frame
 *   `{"stream_id":"<b64>"}`, then read `{"result":{"desc":{"stream_id":…},"msg":"<b64>"}}`
 *   or, on failure, `{"error":{"code":…,"message":"stream not found",…}}`;
 * - send socket, `…/hashmail/send?method=POST`: we write `{"desc":{"stream_id":"<b64>"},"msg":"<b64>"}`;
 *   a failure comes back as `{"code":…,"message":…}` before the server closes the socket.
 *
 * The server's messages tell apart a session that does not exist (expired, revoked, wrong
 * phrase, litd offline) from one another client holds; {@link MailboxError} carries that.
 */
import { textDecoder } from '../bytes.ts';
import { WireError, type WireErrorCode } from '../errors.ts';
import { globalWebSocket, type WebSocketConstructor, type WebSocketLike } from '../socket.ts';
import { longTimeout } from '../timers.ts';
import type { LncStreamIds } from './session.ts';

/** The public mailbox litd uses by default (host and port). */
export const DEFAULT_MAILBOX_SERVER = 'mailbox.terminal.lightning.today:443';
/** Path of the receive socket (`?method=POST` is the lnd WebSocket proxy's method override). */
export const MAILBOX_RECEIVE_PATH = '/v1/lightning-node-connect/hashmail/receive?method=POST';
/** Path of the send socket. */
export const MAILBOX_SEND_PATH = '/v1/lightning-node-connect/hashmail/send?method=POST';

/**
 * What a mailbox failure means for the user (the Go client's `statusFromError`):
 * - `SESSION_NOT_FOUND`: the server has no such stream ("stream not found"): the session
 *   expired or was revoked, the pairing phrase is wrong, or litd is offline;
 * - `SESSION_IN_USE`: another client holds the stream ("read/write stream occupied"), e.g.
 *   another tab or device;
 * - `NOT_CONNECTED`: anything else: the socket did not open or dropped, or the server said
 *   something else.
 */
export type MailboxFailure = 'SESSION_NOT_FOUND' | 'SESSION_IN_USE' | 'NOT_CONNECTED';

/**
 * A mailbox failure: `reason` is the {@link MailboxFailure}; `code` is `CONNECTION`, or
 * `PROTOCOL` when the server sent something that is not a mailbox frame; `serverMessage` is
 * the server's own words when it sent any.
 */
export class MailboxError extends WireError {
  /** What the failure means for the session. */
  readonly reason: MailboxFailure;
  /** The error message the mailbox server sent, if it sent one. */
  readonly serverMessage: string | undefined;

  /** `detail` says what happened in plain words. */
  constructor(reason: MailboxFailure, detail: string, options?: { serverMessage?: string; code?: WireErrorCode; cause?: unknown }) {
    super(options?.code ?? 'CONNECTION', `LNC mailbox: ${reason} (${detail})`, { cause: options?.cause, data: { reason } });
    this.name = 'MailboxError';
    this.reason = reason;
    this.serverMessage = options?.serverMessage;
  }
}

/** Maps the mailbox server's error message to what it means, by the substrings the Go client looks for. */
export function mailboxFailureOf(serverMessage: string): MailboxFailure {
  if (serverMessage.includes('stream not found')) return 'SESSION_NOT_FOUND';
  if (serverMessage.includes('stream occupied')) return 'SESSION_IN_USE';
  return 'NOT_CONNECTED';
}

function serverError(serverMessage: string): MailboxError {
  return new MailboxError(mailboxFailureOf(serverMessage), `the mailbox said "${serverMessage}"`, { serverMessage });
}

/**
 * The two socket URLs of a mailbox. `server` is a host with its port as litd gives it
 * (`mailbox.terminal.lightning.today:443`, reached over `wss://`), or a base URL with its
 * scheme (`ws://127.0.0.1:8080` for a local test server).
 */
export function mailboxUrls(server: string): { receive: string; send: string } {
  if (typeof server !== 'string' || server.trim() === '')
    throw new WireError('INVALID_ARGUMENT', 'the mailbox server must be a non-empty string');
  const base = /^wss?:\/\//i.test(server) ? server.replace(/\/+$/, '') : `wss://${server}`;
  return { receive: base + MAILBOX_RECEIVE_PATH, send: base + MAILBOX_SEND_PATH };
}

/**
 * Standard base64 with padding, as grpc-gateway writes `bytes`, through the platform's
 * `btoa`/`atob` (browsers, workers, Node 16+): the worker's own base64 code is base64url,
 * and a second alphabet would grow the chunk every page loads.
 */
const base64 = {
  encode(bytes: Uint8Array): string {
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
  },
  decode(text: string): Uint8Array {
    // atob forgives spaces and missing padding; the mailbox sends neither.
    if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new Error('not padded standard base64');
    const raw = atob(text);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  },
};

/** The receive socket's first frame: which stream to read. */
export function receiveInitFrame(streamId: Uint8Array): string {
  return JSON.stringify({ stream_id: base64.encode(streamId) });
}

/** One packet on the send socket. */
export function sendFrame(streamId: Uint8Array, packet: Uint8Array): string {
  return JSON.stringify({ desc: { stream_id: base64.encode(streamId) }, msg: base64.encode(packet) });
}

/**
 * Reads one frame of the receive socket: the packet it carries, or the {@link MailboxError}
 * the server reported (returned, not thrown). A frame that is neither throws a `PROTOCOL`
 * MailboxError.
 */
export function parseReceiveFrame(text: string): Uint8Array | MailboxError {
  const frame = parseJson(text);
  const result = frame['result'];
  if (isObject(result)) {
    const msg = result['msg'];
    // proto3 JSON may leave out an empty `msg`.
    if (msg === undefined) return new Uint8Array(0);
    if (typeof msg !== 'string') throw malformed('the result has no base64 msg');
    try {
      return base64.decode(msg);
    } catch (cause) {
      throw malformed('msg is not base64', cause);
    }
  }
  const error = frame['error'];
  if (isObject(error)) return serverError(typeof error['message'] === 'string' ? error['message'] : JSON.stringify(error));
  throw malformed('neither a result nor an error');
}

/** Reads a frame of the send socket, which only ever carries an error (`{"code":…,"message":…}`). */
export function parseSendReply(text: string): MailboxError {
  const frame = parseJson(text);
  const inner = isObject(frame['error']) ? frame['error'] : frame;
  if (typeof inner['message'] !== 'string')
    return new MailboxError('NOT_CONNECTED', `the mailbox sent ${text.slice(0, 200)}`, { code: 'PROTOCOL' });
  return serverError(inner['message']);
}

function parseJson(text: string): Record<string, unknown> {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch (cause) {
    throw malformed('not JSON', cause);
  }
  if (!isObject(frame)) throw malformed('not a JSON object');
  return frame;
}

function malformed(detail: string, cause?: unknown): MailboxError {
  return new MailboxError('NOT_CONNECTED', `the mailbox sent a frame that is ${detail}`, { code: 'PROTOCOL', cause });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Options of {@link MailboxConnection.open}. */
export interface MailboxOptions {
  /** The mailbox: `host:port` (over wss) or a `ws://` / `wss://` base URL; see {@link mailboxUrls}. */
  server: string;
  /** The streams to use: the client receives on `receive` and sends on `send` (`streamIdsOf`). A server peer swaps them. */
  streams: LncStreamIds;
  /** WebSocket constructor; `globalThis.WebSocket` by default. In Node 20 pass `NodeWebSocket` from `@ampkit/wire/node`. */
  WebSocket?: WebSocketConstructor;
  /** How long each socket may take to open (10 s by default). */
  openTimeoutMs?: number;
}

const OPEN = 1;
function ignore(): void {}

/** The WebSocket surface this file uses: text frames, which `WebSocketLike.send`'s type leaves out. */
type TextWebSocket = WebSocketLike & { send(data: string): void };

/**
 * The two sockets of one mailbox session. Open it with {@link MailboxConnection.open}, set
 * `onPacket` and `onClose`, send go-back-N packets with {@link MailboxConnection.send}.
 * Either socket failing closes both and calls `onClose` once with a {@link MailboxError}.
 *
 * @example
 * ```ts
 * const mailbox = await MailboxConnection.open({ server: DEFAULT_MAILBOX_SERVER, streams });
 * mailbox.onPacket = (packet) => gbn.receive(packet);
 * mailbox.onClose = (error) => { if (error?.reason === 'SESSION_IN_USE') showInUse(); };
 * ```
 */
export class MailboxConnection {
  /** Called with each packet from the receive stream, in order. */
  onPacket: (packet: Uint8Array) => void = ignore;
  /** Called once when the connection ends: no error after {@link MailboxConnection.close}, else what went wrong. */
  onClose: (error?: MailboxError) => void = ignore;
  private closed = false;

  private constructor(
    private readonly receiveSocket: TextWebSocket,
    private readonly sendSocket: TextWebSocket,
    private readonly sendStreamId: Uint8Array,
  ) {
    this.watch(receiveSocket, 'receive');
    this.watch(sendSocket, 'send');
  }

  /**
   * Opens both sockets and sends the receive socket's init frame. Rejects with a
   * `NOT_CONNECTED` {@link MailboxError} if either socket does not open in time; the
   * server's verdict on the streams ("stream not found", "occupied") comes later, through
   * `onClose`, since the mailbox answers only once it has looked the stream up.
   */
  static async open(options: MailboxOptions): Promise<MailboxConnection> {
    const urls = mailboxUrls(options.server);
    const { receive, send } = options.streams ?? {};
    for (const id of [receive, send]) {
      if (!(id instanceof Uint8Array) || id.length !== 64) throw new WireError('INVALID_ARGUMENT', 'mailbox stream ids are 64 bytes');
    }
    const Ctor = options.WebSocket ?? globalWebSocket();
    if (!Ctor)
      throw new WireError(
        'INVALID_ARGUMENT',
        'no WebSocket available: pass options.WebSocket (in Node 20, NodeWebSocket from @ampkit/wire/node)',
      );
    const timeout = options.openTimeoutMs ?? 10_000;
    const opening = [openTextSocket(urls.receive, Ctor, timeout), openTextSocket(urls.send, Ctor, timeout)] as const;
    const settled = await Promise.allSettled(opening);
    const failure = settled.find((s) => s.status === 'rejected');
    if (failure) {
      for (const s of settled) if (s.status === 'fulfilled') closeQuietly(s.value);
      throw (failure as PromiseRejectedResult).reason;
    }
    const [rs, ss] = settled.map((s) => (s as PromiseFulfilledResult<TextWebSocket>).value) as [TextWebSocket, TextWebSocket];
    const connection = new MailboxConnection(rs, ss, send!.slice());
    try {
      rs.send(receiveInitFrame(receive!));
    } catch (cause) {
      connection.fail(new MailboxError('NOT_CONNECTED', 'the receive socket closed before its init frame', { cause }));
      throw cause instanceof MailboxError
        ? cause
        : new MailboxError('NOT_CONNECTED', 'the receive socket closed before its init frame', { cause });
    }
    return connection;
  }

  /** Whether both sockets are still in use. */
  get isOpen(): boolean {
    return !this.closed;
  }

  /** Sends one packet on the send stream; throws a `NOT_CONNECTED` {@link MailboxError} once closed. */
  send(packet: Uint8Array): void {
    if (this.closed || this.sendSocket.readyState !== OPEN) throw new MailboxError('NOT_CONNECTED', 'the send socket is closed');
    this.sendSocket.send(sendFrame(this.sendStreamId, packet));
  }

  /** Closes both sockets; `onClose` fires with no error. Harmless to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeQuietly(this.receiveSocket);
    closeQuietly(this.sendSocket);
    this.onClose();
  }

  private watch(ws: TextWebSocket, which: 'receive' | 'send'): void {
    ws.addEventListener('message', (event: { data: unknown }) => {
      if (this.closed) return;
      const text = frameText(event.data);
      if (text === undefined) {
        this.fail(new MailboxError('NOT_CONNECTED', `the ${which} socket sent a frame that is not UTF-8 text`, { code: 'PROTOCOL' }));
        return;
      }
      if (which === 'send') {
        this.fail(parseSendReply(text));
        return;
      }
      let parsed: Uint8Array | MailboxError;
      try {
        parsed = parseReceiveFrame(text);
      } catch (error) {
        this.fail(error as MailboxError);
        return;
      }
      if (parsed instanceof MailboxError) this.fail(parsed);
      else this.onPacket(parsed);
    });
    ws.addEventListener('error', ignore); // always followed by 'close'
    ws.addEventListener('close', (event: { code?: number; reason?: string }) => {
      const why = event.code ? ` (code ${event.code}${event.reason ? `: ${event.reason}` : ''})` : '';
      this.fail(new MailboxError('NOT_CONNECTED', `the ${which} socket closed${why}`));
    });
  }

  private fail(error: MailboxError): void {
    if (this.closed) return;
    this.closed = true;
    closeQuietly(this.receiveSocket);
    closeQuietly(this.sendSocket);
    this.onClose(error);
  }
}

function frameText(data: unknown): string | undefined {
  if (typeof data === 'string') return data;
  const bytes =
    data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : ArrayBuffer.isView(data)
        ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : undefined;
  if (!bytes) return undefined;
  try {
    return textDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

function closeQuietly(ws: WebSocketLike): void {
  try {
    ws.close(1000);
  } catch {
    // Already closing, or never opened.
  }
}

function openTextSocket(url: string, Ctor: WebSocketConstructor, timeoutMs: number): Promise<TextWebSocket> {
  return new Promise((resolve, reject) => {
    let ws: TextWebSocket;
    try {
      ws = new Ctor(url) as TextWebSocket;
    } catch (cause) {
      reject(new MailboxError('NOT_CONNECTED', `cannot open a WebSocket to ${url}`, { cause }));
      return;
    }
    let settled = false;
    const cancelTimer = longTimeout(() => {
      if (settled) return;
      settled = true;
      closeQuietly(ws);
      reject(new MailboxError('NOT_CONNECTED', `the WebSocket to ${url} did not open within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.addEventListener('open', () => {
      if (settled) return;
      settled = true;
      cancelTimer();
      resolve(ws);
    });
    const fail = (event: { code?: number }) => {
      if (settled) return;
      settled = true;
      cancelTimer();
      reject(new MailboxError('NOT_CONNECTED', `the WebSocket to ${url} failed to open${event?.code ? ` (code ${event.code})` : ''}`));
    };
    ws.addEventListener('error', fail);
    ws.addEventListener('close', fail);
  });
}
