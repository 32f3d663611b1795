/**
 * gRPC over an {@link Http2Connection} (the gRPC "HTTP/2 protocol" document): each call is
 * one stream, requests and replies are length-prefixed messages (a flag byte, which must be
 * 0 as we offer no compression, then a u32 length), and the outcome comes in trailers
 * (`grpc-status`, `grpc-message` percent-encoded), or in the response headers alone when
 * the server fails at once ("trailers-only"). Messages are opaque bytes here; protobuf is a
 * layer above.
 *
 * A call in flight when the connection drops fails with a `CONNECTION` WireError and is
 * never sent again: the caller decides whether to retry.
 */
import { ByteQueue } from '../byte-queue.ts';
import { AmpkitError, WireError } from '../errors.ts';
import { longTimeout } from '../timers.ts';
import type { HeaderField } from './hpack.ts';
import { Http2ErrorCode, type Http2Connection, type Http2Stream } from './http2.ts';

/** gRPC status codes (grpc/doc/statuscodes.md). */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

const STATUS_NAMES = Object.fromEntries(Object.entries(GrpcStatus).map(([name, code]) => [code, name])) as Record<number, string>;

/**
 * A call the server answered with a status other than OK. Like `RpcError` for commando, `code` (and `nodeCode`) is the server's number: `grpc-status`, e.g. 2 (UNKNOWN)
 * for lnd's "no route found"; `message` is the decoded `grpc-message`.
 */
export class GrpcError extends AmpkitError {
  declare readonly code: number;
  /** The call's path, e.g. `/lnrpc.Lightning/GetInfo`. */
  readonly method: string;
  /** The status's name, e.g. `UNKNOWN`, `UNAVAILABLE`. */
  readonly statusName: string;

  constructor(method: string, status: number, message: string) {
    super(status, message, { nodeCode: status });
    this.name = 'GrpcError';
    this.method = method;
    this.statusName = STATUS_NAMES[status] ?? `STATUS_${status}`;
  }
}

/** Options of a {@link GrpcClient}. */
export interface GrpcClientOptions {
  /** `:authority` of every call: `lnd`, as grpc-go over LNC sends (the server ignores it). */
  authority?: string;
  /** `:scheme` of every call: `http` (LNC's Noise channel is not TLS to grpc-go). */
  scheme?: 'http' | 'https';
  /** Metadata sent with every call, e.g. `{ macaroon: hex }` for lnd behind litd. */
  metadata?: Record<string, string>;
  /** The largest reply message accepted, in bytes; 4 MiB by default (grpc-go's default). */
  maxMessageSize?: number;
  /** Default timeout of unary calls in ms (60 000); server streams have none unless given. */
  timeout?: number;
  /** `user-agent` header; `ampkit` by default. */
  userAgent?: string;
}

/** Options of one call. */
export interface GrpcCallOptions {
  /** Timeout in ms, sent as `grpc-timeout` too (`0` or `Infinity`: none). Fails the call with `TIMEOUT`. */
  timeout?: number;
  /** Cancels the call (RST_STREAM CANCEL); it fails with `TIMEOUT`, as commando requests do. */
  signal?: AbortSignal;
  /** Metadata for this call, added to the client's (lowercase names; printable ASCII values). */
  metadata?: Record<string, string>;
}

/**
 * A server-streaming call: iterate it to get the messages in order. The iteration ends when
 * the server ends the call with OK, or after {@link cancel}; it throws {@link GrpcError} for a
 * failed status and WireError for everything else. Leaving a `for await` early cancels the call.
 */
export interface GrpcServerStream extends AsyncIterable<Uint8Array> {
  /** The call's path. */
  readonly method: string;
  /** Stops the call: RST_STREAM(CANCEL) to the server, buffered messages dropped, iteration ends. */
  cancel(): void;
}

const RESERVED_METADATA = new Set(['content-type', 'te', 'user-agent', 'grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding', 'host']);

function checkMetadata(metadata: Record<string, string>): HeaderField[] {
  return Object.entries(metadata).map(([name, value]) => {
    if (!/^[0-9a-z_.-]+$/.test(name) || RESERVED_METADATA.has(name) || name.startsWith('grpc-')) {
      throw new WireError('INVALID_ARGUMENT', `bad gRPC metadata name ${JSON.stringify(name)}`);
    }
    if (typeof value !== 'string' || !/^[\x20-\x7e]*$/.test(value)) {
      throw new WireError('INVALID_ARGUMENT', `gRPC metadata ${name} must be printable ASCII`);
    }
    return [name, value];
  });
}

/** `grpc-timeout`: at most 8 digits and a unit (gRPC HTTP/2 protocol, "Timeout"). */
function timeoutHeader(ms: number): string {
  const units: [string, number][] = [
    ['m', 1],
    ['S', 1000],
    ['M', 60_000],
    ['H', 3_600_000],
  ];
  for (const [unit, size] of units) {
    const value = Math.ceil(ms / size);
    if (value <= 99_999_999) return `${value}${unit}`;
  }
  return '99999999H';
}

/** Percent-decodes `grpc-message` (UTF-8 inside); malformed escapes are kept as they are, as grpc-go does. */
export function decodeGrpcMessage(value: string): string {
  if (!value.includes('%')) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x25 && i + 2 < value.length && /^[0-9a-fA-F]{2}$/.test(value.slice(i + 1, i + 3))) {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(c & 0xff);
    }
  }
  return new TextDecoder('utf-8').decode(Uint8Array.from(bytes));
}

/** grpc-go's mapping of a non-200 HTTP status to a gRPC code (internal/transport/http_util.go). */
function statusFromHttp(status: number): number {
  switch (status) {
    case 400:
      return GrpcStatus.INTERNAL;
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
      return GrpcStatus.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcStatus.UNAVAILABLE;
    default:
      return GrpcStatus.UNKNOWN;
  }
}

function frameMessage(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + message.length);
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}

interface CallEvents {
  /** A whole reply message; `framed` is its size on the wire (5 + length), for flow control. */
  message(message: Uint8Array): void;
  /** The call is over: `undefined` for status OK. Called once. */
  end(error?: AmpkitError): void;
  /** Whether the owner is behind (messages given but not yet taken), so stream credit is held back. */
  backlog(): boolean;
}

/** One call's stream: the response state machine shared by unary and streaming calls. */
class Call {
  private readonly queue = new ByteQueue();
  private messageLength: number | undefined;
  private gotHeaders = false;
  private finished = false;
  private stream: Http2Stream | undefined;
  private cancelTimer: (() => void) | undefined;
  private owed = 0;
  private readonly onAbort = () => this.fail(new WireError('TIMEOUT', `${this.method} aborted by its signal`));

  constructor(
    private readonly method: string,
    private readonly maxMessageSize: number,
    private readonly events: CallEvents,
    private readonly signal: AbortSignal | undefined,
  ) {}

  start(connection: Http2Connection, headers: HeaderField[], request: Uint8Array, timeout: number): void {
    if (this.signal?.aborted) return this.fail(new WireError('TIMEOUT', `${this.method} aborted by its signal`));
    try {
      this.stream = connection.request(
        headers,
        {
          onHeaders: (fields, endStream) => this.onHeaders(fields, endStream),
          onData: (data, endStream) => this.onData(data, endStream),
          onClose: (error) => {
            if (error) this.fail(error, false);
            else if (!this.finished) this.fail(new GrpcError(this.method, GrpcStatus.INTERNAL, 'stream closed without a status'), false);
          },
        },
        { body: frameMessage(request), endStream: true },
      );
    } catch (error) {
      return this.fail(error instanceof AmpkitError ? error : new WireError('CONNECTION', String(error)), false);
    }
    if (this.finished) return;
    this.signal?.addEventListener('abort', this.onAbort);
    if (timeout > 0 && timeout !== Infinity) {
      this.cancelTimer = longTimeout(
        () => this.fail(new WireError('TIMEOUT', `${this.method} got no reply within ${timeout} ms`)),
        timeout,
      );
    }
  }

  /** The owner took queued messages: give the held-back stream credit to the server. */
  drained(): void {
    if (this.owed > 0 && !this.finished) {
      this.stream?.consume(this.owed);
      this.owed = 0;
    }
  }

  /** Ends the call from our side (RST_STREAM with `code`) without reporting anything. */
  cancel(code: number = Http2ErrorCode.CANCEL): void {
    if (this.finished) return;
    this.finished = true;
    this.cleanup();
    this.stream?.cancel(code);
  }

  private onHeaders(fields: HeaderField[], endStream: boolean): void {
    if (this.finished) return;
    const get = (name: string) => fields.find(([n]) => n === name)?.[1];
    if (!this.gotHeaders) {
      this.gotHeaders = true;
      const httpStatus = Number(get(':status'));
      if (httpStatus !== 200) {
        return this.fail(new GrpcError(this.method, statusFromHttp(httpStatus), `unexpected HTTP status ${httpStatus}`));
      }
      const contentType = get('content-type') ?? '';
      if (!/^application\/grpc($|[+;])/.test(contentType)) {
        return this.fail(new GrpcError(this.method, GrpcStatus.UNKNOWN, `unexpected content-type ${JSON.stringify(contentType)}`));
      }
      const encoding = get('grpc-encoding');
      if (encoding !== undefined && encoding !== 'identity') {
        return this.fail(new WireError('PROTOCOL', `${this.method}: server chose encoding ${encoding}, which we never offered`));
      }
      if (!endStream) return;
    }
    // Trailers, or trailers-only headers.
    if (this.messageLength !== undefined || this.queue.length > 0) {
      return this.fail(new GrpcError(this.method, GrpcStatus.INTERNAL, 'stream ended inside a message'));
    }
    const statusText = get('grpc-status');
    if (statusText === undefined || !/^[0-9]{1,9}$/.test(statusText)) {
      return this.fail(new GrpcError(this.method, GrpcStatus.INTERNAL, `missing or bad grpc-status ${JSON.stringify(statusText)}`));
    }
    const status = Number(statusText);
    if (status === GrpcStatus.OK) return this.finish();
    this.fail(new GrpcError(this.method, status, decodeGrpcMessage(get('grpc-message') ?? '')), false);
  }

  private onData(data: Uint8Array, endStream: boolean): void {
    if (this.finished) return;
    // Credit goes back at once unless the owner is behind; then it waits for `drained`.
    if (this.events.backlog()) this.owed += data.length;
    else this.stream?.consume(data.length);
    this.queue.push(data);
    for (;;) {
      if (this.messageLength === undefined) {
        const prefix = this.queue.read(5);
        if (!prefix) break;
        if (prefix[0] !== 0) {
          return this.fail(
            new WireError('PROTOCOL', `${this.method}: reply message flag ${prefix[0]} (compressed, but we offered no compression)`),
          );
        }
        const length = new DataView(prefix.buffer, prefix.byteOffset, 5).getUint32(1);
        if (length > this.maxMessageSize) {
          return this.fail(
            new WireError('BAD_REPLY', `${this.method}: reply message of ${length} bytes, over the ${this.maxMessageSize}-byte limit`),
          );
        }
        this.messageLength = length;
      }
      const message = this.queue.read(this.messageLength);
      if (!message) break;
      this.messageLength = undefined;
      this.events.message(new Uint8Array(message)); // a copy: the view may share a larger chunk
      if (this.finished) return;
    }
    if (endStream) this.fail(new GrpcError(this.method, GrpcStatus.INTERNAL, 'server closed the stream without sending trailers'));
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.cleanup();
    // The server is done; if our request is still queued behind flow control, stop it
    // quietly (a no-op when the stream is already closed both ways).
    this.stream?.cancel(Http2ErrorCode.NO_ERROR);
    this.events.end();
  }

  /**
   * Ends the call with `error`. With `reset` (we give up on a live call) the server gets
   * RST_STREAM(CANCEL); without (the server ended it), NO_ERROR if anything is left open.
   */
  private fail(error: AmpkitError, reset = true): void {
    if (this.finished) return;
    this.finished = true;
    this.cleanup();
    this.stream?.cancel(reset ? Http2ErrorCode.CANCEL : Http2ErrorCode.NO_ERROR);
    this.events.end(error);
  }

  private cleanup(): void {
    this.cancelTimer?.();
    this.signal?.removeEventListener('abort', this.onAbort);
    this.queue.clear();
  }
}

/**
 * Unary and server-streaming gRPC calls over one HTTP/2 connection.
 *
 * @example
 * ```ts
 * const grpc = new GrpcClient(h2, { metadata: { macaroon } });
 * const info = await grpc.unary('/lnrpc.Lightning/GetInfo', new Uint8Array(0));
 * const updates = grpc.serverStream('/invoicesrpc.Invoices/SubscribeSingleInvoice', request);
 * for await (const invoice of updates) if (settled(invoice)) updates.cancel();
 * ```
 */
export class GrpcClient {
  private readonly metadata: HeaderField[];
  private readonly maxMessageSize: number;

  constructor(
    private readonly connection: Http2Connection,
    private readonly options: GrpcClientOptions = {},
  ) {
    this.metadata = checkMetadata(options.metadata ?? {});
    this.maxMessageSize = options.maxMessageSize ?? 4 * 1024 * 1024;
  }

  /**
   * Calls a unary method: one request message, one reply message. Rejects with
   * {@link GrpcError} for a status other than OK, or WireError: `TIMEOUT` (timeout or
   * signal), `CONNECTION` (connection lost, stream reset, GOAWAY), `PROTOCOL` or `BAD_REPLY`
   * (a reply we cannot read), `INVALID_ARGUMENT` (bad metadata).
   */
  unary(method: string, request: Uint8Array, options: GrpcCallOptions = {}): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      let reply: Uint8Array | undefined;
      let count = 0;
      const call: Call = new Call(
        method,
        this.maxMessageSize,
        {
          message: (message) => {
            if (++count > 1) {
              call.cancel();
              reject(new GrpcError(method, GrpcStatus.UNIMPLEMENTED, 'more than one reply message to a unary call'));
            }
            reply = message;
          },
          end: (error) => {
            if (error) reject(error);
            else if (reply === undefined) reject(new GrpcError(method, GrpcStatus.UNIMPLEMENTED, 'no reply message to a unary call'));
            else resolve(reply);
          },
          backlog: () => false,
        },
        options.signal,
      );
      this.startCall(call, method, request, options, options.timeout ?? this.options.timeout ?? 60_000, reject);
    });
  }

  /**
   * Starts a server-streaming call: one request message, then the server's messages until
   * it ends the call. Nothing is sent until the call is created; iterate it to read. Errors
   * as for {@link unary}, thrown by the iteration.
   */
  serverStream(method: string, request: Uint8Array, options: GrpcCallOptions = {}): GrpcServerStream {
    const buffered: Uint8Array[] = [];
    let ended = false;
    let failure: AmpkitError | undefined;
    let waiter: { resolve(result: IteratorResult<Uint8Array>): void; reject(error: unknown): void } | undefined;

    const wake = () => {
      if (!waiter) return;
      const w = waiter;
      if (buffered.length > 0) {
        waiter = undefined;
        w.resolve({ value: buffered.shift()!, done: false });
        if (buffered.length === 0) call.drained();
      } else if (ended) {
        waiter = undefined;
        if (failure) w.reject(failure);
        else w.resolve({ value: undefined, done: true });
      }
    };
    const call: Call = new Call(
      method,
      this.maxMessageSize,
      {
        message: (message) => {
          buffered.push(message);
          wake();
        },
        end: (error) => {
          ended = true;
          failure = error;
          wake();
        },
        backlog: () => buffered.length > 0,
      },
      options.signal,
    );
    this.startCall(call, method, request, options, options.timeout ?? Infinity, (error) => {
      ended = true;
      failure = error;
    });

    const cancel = () => {
      call.cancel();
      buffered.length = 0;
      if (!ended) {
        ended = true;
        failure = undefined;
      }
      wake();
    };
    return {
      method,
      cancel,
      [Symbol.asyncIterator]: () => ({
        next: () =>
          new Promise<IteratorResult<Uint8Array>>((resolve, reject) => {
            if (waiter) return reject(new WireError('INVALID_ARGUMENT', `${method}: next() called before the previous one settled`));
            waiter = { resolve, reject };
            wake();
          }),
        return: () => {
          cancel();
          return Promise.resolve({ value: undefined, done: true });
        },
      }),
    };
  }

  private startCall(
    call: Call,
    method: string,
    request: Uint8Array,
    options: GrpcCallOptions,
    timeout: number,
    reject: (error: AmpkitError) => void,
  ): void {
    let headers: HeaderField[];
    try {
      if (!/^\/[^/\s]+\/[^/\s]+$/.test(method))
        throw new WireError('INVALID_ARGUMENT', `gRPC method must look like /package.Service/Method, got ${method}`);
      headers = [
        [':method', 'POST'],
        [':scheme', this.options.scheme ?? 'http'],
        [':path', method],
        [':authority', this.options.authority ?? 'lnd'],
        ['content-type', 'application/grpc'],
        ['user-agent', this.options.userAgent ?? 'ampkit'],
        ['te', 'trailers'],
      ];
      if (timeout > 0 && timeout !== Infinity) headers.push(['grpc-timeout', timeoutHeader(timeout)]);
      headers.push(...this.metadata, ...checkMetadata(options.metadata ?? {}));
    } catch (error) {
      return reject(error as AmpkitError);
    }
    call.start(this.connection, headers, request, timeout);
  }
}
