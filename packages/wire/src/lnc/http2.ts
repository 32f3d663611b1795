/**
 * An HTTP/2 client connection (RFC 9113) over any ordered byte pipe: the owner feeds what
 * the pipe delivers to {@link Http2Connection.receive} and the connection hands what it
 * sends to `write`. It does what grpc-go's server expects of a client (LNC README §6): the
 * preface and our SETTINGS first, SETTINGS and PING acknowledged, flow control in both
 * directions, HEADERS split into CONTINUATION at the peer's frame size, RST_STREAM to
 * cancel, GOAWAY honoured. It never sends a PING of its own: grpc-go answers more than two
 * pings without data within five minutes with GOAWAY "too_many_pings".
 *
 * Only client streams exist: we advertise ENABLE_PUSH = 0, so PUSH_PROMISE and any
 * even-numbered stream are protocol errors.
 */
import { ByteQueue } from '../byte-queue.ts';
import { concatBytes, textDecoder, textEncoder } from '../bytes.ts';
import { WireError, type WireErrorCode } from '../errors.ts';
import { HpackDecoder, HpackEncoder, type HeaderField } from './hpack.ts';

/** The 24 octets every HTTP/2 client connection starts with (RFC 9113 §3.4). */
export const CONNECTION_PREFACE = /* @__PURE__ */ textEncoder.encode('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/** HTTP/2 error codes (RFC 9113 §7), as sent in RST_STREAM and GOAWAY. */
export const Http2ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

const CODE_NAMES = Object.fromEntries(Object.entries(Http2ErrorCode).map(([name, code]) => [code, name])) as Record<number, string>;

function codeName(code: number): string {
  return `${CODE_NAMES[code] ?? 'unknown code'} (${code})`;
}

const DATA = 0x0;
const HEADERS = 0x1;
const PRIORITY = 0x2;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PUSH_PROMISE = 0x5;
const PING = 0x6;
const GOAWAY = 0x7;
const WINDOW_UPDATE = 0x8;
const CONTINUATION = 0x9;

const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY_FLAG = 0x20;

const SETTINGS_HEADER_TABLE_SIZE = 0x1;
const SETTINGS_ENABLE_PUSH = 0x2;
const SETTINGS_MAX_CONCURRENT_STREAMS = 0x3;
const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
const SETTINGS_MAX_FRAME_SIZE = 0x5;
const SETTINGS_MAX_HEADER_LIST_SIZE = 0x6;

const FRAME_HEADER_SIZE = 9;
const DEFAULT_WINDOW = 65_535;
const MAX_WINDOW = 0x7fffffff;
const MIN_FRAME_SIZE = 16_384;
const MAX_FRAME_SIZE = 0xffffff;
const MAX_STREAM_ID = 0x7fffffff;

/**
 * An HTTP/2 failure with the protocol's error code: a stream the peer reset (RST_STREAM),
 * a stream above the peer's GOAWAY, or a connection we closed for a protocol error.
 */
export class Http2Error extends WireError {
  /** The HTTP/2 error code ({@link Http2ErrorCode}) the peer sent or we sent. */
  readonly http2Code: number;

  constructor(code: WireErrorCode, http2Code: number, message: string) {
    super(code, message);
    this.name = 'Http2Error';
    this.http2Code = http2Code;
  }
}

/** What a stream's owner is told. Each callback may call back into the stream (cancel, consume). */
export interface Http2StreamHandler {
  /** Response headers, then perhaps trailers (`endStream` true); 1xx responses are skipped. */
  onHeaders(fields: HeaderField[], endStream: boolean): void;
  /** Response body bytes. Give them back with {@link Http2Stream.consume} to reopen the stream's window. */
  onData(data: Uint8Array, endStream: boolean): void;
  /**
   * Called once when the stream ends: without an error after the response ended and our
   * side finished sending; with one when the peer reset it, the connection failed, or the
   * response was malformed. Not called after {@link Http2Stream.cancel}.
   */
  onClose(error?: WireError): void;
}

/** One request stream, as {@link Http2Connection.request} returns it. */
export interface Http2Stream {
  /** The stream's id (odd, rising). */
  readonly id: number;
  /** Queues request body bytes; they go out as the peer's windows allow. `end` closes our side. */
  write(data: Uint8Array, end?: boolean): void;
  /** Hands `bytes` of received DATA back to the peer's send window (WINDOW_UPDATE as needed). */
  consume(bytes: number): void;
  /** Resets the stream (RST_STREAM, CANCEL by default) and forgets it; the handler hears nothing more. */
  cancel(code?: number): void;
}

/** Options of an {@link Http2Connection}. */
export interface Http2ConnectionOptions {
  /** Sends bytes down the pipe. Each call carries whole frames and at most `maxWriteSize` bytes. */
  write(bytes: Uint8Array): void;
  /** The connection is finished: after a protocol error (with the error), or {@link Http2Connection.close}. */
  onClose?(error?: WireError): void;
  /** The peer sent GOAWAY: streams above `lastStreamId` have failed, no new ones may start. */
  onGoAway?(lastStreamId: number, code: number, debug: string): void;
  /** Our receive window per stream (SETTINGS_INITIAL_WINDOW_SIZE), 4 MiB by default. */
  initialWindowSize?: number;
  /** Our receive window for the whole connection, 16 MiB by default (raised by WINDOW_UPDATE at the start). */
  connectionWindowSize?: number;
  /** The largest header list we accept (SETTINGS_MAX_HEADER_LIST_SIZE), 65 536 octets by default. */
  maxHeaderListSize?: number;
  /** The most bytes given to one `write` call; 65 535 by default, the largest LNC Noise message. */
  maxWriteSize?: number;
}

interface StreamState {
  id: number;
  handler: Http2StreamHandler;
  sendWindow: number;
  recvWindow: number;
  unacked: number;
  pending: Uint8Array[];
  pendingEnd: boolean;
  localClosed: boolean;
  remoteClosed: boolean;
  gotHeaders: boolean;
}

interface PartialHeaders {
  streamId: number;
  endStream: boolean;
  fragments: Uint8Array[];
  size: number;
}

class ConnectionError extends Error {
  constructor(
    readonly http2Code: number,
    message: string,
  ) {
    super(message);
  }
}

class StreamError extends Error {
  constructor(
    readonly streamId: number,
    readonly http2Code: number,
    message: string,
  ) {
    super(message);
  }
}

function u32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

/**
 * One HTTP/2 client connection. Call {@link start} once, feed it the peer's bytes with
 * {@link receive}, open streams with {@link request}. A protocol violation by the peer
 * closes the connection with GOAWAY and a `PROTOCOL` WireError (an {@link Http2Error});
 * `receive` itself never throws.
 *
 * @example
 * ```ts
 * const h2 = new Http2Connection({ write: (bytes) => socket.write(bytes) });
 * socket.on('data', (bytes) => h2.receive(bytes));
 * h2.start();
 * const stream = h2.request([[':method', 'POST'], …], handler);
 * stream.write(body, true);
 * ```
 */
export class Http2Connection {
  private readonly options: Http2ConnectionOptions;
  private readonly encoder = new HpackEncoder({ sensitive: ['macaroon', 'authorization'] });
  private readonly decoder: HpackDecoder;
  private readonly input = new ByteQueue();
  private readonly output: Uint8Array[] = [];
  private readonly streams = new Map<number, StreamState>();
  private frameHeader: Uint8Array | undefined;
  private partial: PartialHeaders | undefined;
  private sawSettings = false;
  private nextStreamId = 1;
  private goAwayId: number | undefined;
  private isClosed = false;
  private started = false;

  private readonly recvInitialWindow: number;
  private readonly recvConnectionWindow: number;
  private readonly maxHeaderListSize: number;
  private connRecvWindow = DEFAULT_WINDOW;
  private connUnacked = 0;

  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrameSize = MIN_FRAME_SIZE;
  private peerMaxConcurrent = Infinity;
  private peerMaxHeaderListSize = Infinity;
  private connSendWindow = DEFAULT_WINDOW;

  constructor(options: Http2ConnectionOptions) {
    this.options = options;
    this.recvInitialWindow = options.initialWindowSize ?? 4 * 1024 * 1024;
    this.recvConnectionWindow = options.connectionWindowSize ?? 16 * 1024 * 1024;
    this.maxHeaderListSize = options.maxHeaderListSize ?? 65_536;
    for (const [name, value] of [
      ['initialWindowSize', this.recvInitialWindow],
      ['connectionWindowSize', this.recvConnectionWindow],
    ] as const) {
      if (!Number.isInteger(value) || value < 1 || value > MAX_WINDOW)
        throw new WireError('INVALID_ARGUMENT', `${name} must be 1 to 2^31-1`);
    }
    const maxWriteSize = options.maxWriteSize ?? 65_535;
    if (!Number.isInteger(maxWriteSize) || maxWriteSize < 64)
      throw new WireError('INVALID_ARGUMENT', 'maxWriteSize must be an integer of at least 64');
    this.decoder = new HpackDecoder({ maxHeaderListSize: this.maxHeaderListSize });
  }

  /** Whether the connection has ended (error, GOAWAY handling aside, or {@link close}). */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Streams open now. */
  get activeStreams(): number {
    return this.streams.size;
  }

  /** Sends the preface, our SETTINGS and the connection window increase. Call once, first. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const settings: [number, number][] = [
      [SETTINGS_ENABLE_PUSH, 0],
      [SETTINGS_INITIAL_WINDOW_SIZE, this.recvInitialWindow],
      [SETTINGS_MAX_HEADER_LIST_SIZE, this.maxHeaderListSize],
    ];
    const payload = new Uint8Array(settings.length * 6);
    const view = new DataView(payload.buffer);
    settings.forEach(([id, value], i) => {
      view.setUint16(i * 6, id);
      view.setUint32(i * 6 + 2, value);
    });
    this.output.push(CONNECTION_PREFACE);
    this.frame(SETTINGS, 0, 0, payload);
    if (this.recvConnectionWindow > DEFAULT_WINDOW) {
      this.windowUpdate(0, this.recvConnectionWindow - DEFAULT_WINDOW);
      this.connRecvWindow = this.recvConnectionWindow;
    }
    this.flush();
  }

  /**
   * Opens a stream with `fields` as the request headers (pseudo-headers first), and sends
   * `body` after them if given. With `endStream`, the request ends there (after `body`, or
   * with the headers). Throws a `CONNECTION` WireError when the
   * connection is closed or going away, or has as many streams as the peer allows.
   */
  request(fields: HeaderField[], handler: Http2StreamHandler, options: { endStream?: boolean; body?: Uint8Array } = {}): Http2Stream {
    if (this.isClosed) throw new WireError('CONNECTION', 'HTTP/2 connection is closed');
    if (this.goAwayId !== undefined) throw new WireError('CONNECTION', 'HTTP/2 connection is going away (GOAWAY received)');
    if (this.streams.size >= this.peerMaxConcurrent) {
      throw new WireError('CONNECTION', `the peer allows only ${this.peerMaxConcurrent} concurrent streams`);
    }
    if (this.nextStreamId > MAX_STREAM_ID) throw new WireError('CONNECTION', 'HTTP/2 stream ids exhausted');
    let listSize = 0;
    for (const [name, value] of fields) listSize += name.length + value.length + 32;
    if (listSize > this.peerMaxHeaderListSize) {
      throw new WireError('INVALID_ARGUMENT', `request headers take ${listSize} octets, the peer accepts ${this.peerMaxHeaderListSize}`);
    }
    const block = this.encoder.encode(fields);
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const endStream = options.endStream === true;
    const body = options.body;
    const state: StreamState = {
      id,
      handler,
      sendWindow: this.peerInitialWindow,
      recvWindow: this.recvInitialWindow,
      unacked: 0,
      pending: body && body.length > 0 ? [new Uint8Array(body)] : [],
      pendingEnd: body !== undefined && endStream,
      localClosed: body === undefined && endStream,
      remoteClosed: false,
      gotHeaders: false,
    };
    this.streams.set(id, state);
    // HEADERS then CONTINUATION, never interleaved with other frames (RFC 9113 §6.10).
    const size = this.frameLimit();
    for (let offset = 0, first = true; first || offset < block.length; first = false) {
      const chunk = block.subarray(offset, offset + size);
      offset += chunk.length;
      const last = offset >= block.length;
      const flags = (last ? END_HEADERS : 0) | (first && state.localClosed ? END_STREAM : 0);
      this.frame(first ? HEADERS : CONTINUATION, flags, id, chunk);
    }
    // The body (if any) goes in the same write as the headers, as far as the windows allow.
    this.pump();
    this.flush();
    return {
      id,
      write: (data, end) => this.write(state, data, end === true),
      consume: (bytes) => this.consume(state, bytes),
      cancel: (code) => this.cancel(state, code ?? Http2ErrorCode.CANCEL),
    };
  }

  /** Feeds bytes the pipe delivered. A protocol error closes the connection (see {@link Http2ConnectionOptions.onClose}). */
  receive(bytes: Uint8Array): void {
    if (this.isClosed || bytes.length === 0) return;
    // A copy, and a plain Uint8Array: `Buffer#slice` would be a view of memory the caller may reuse.
    this.input.push(new Uint8Array(bytes));
    try {
      for (;;) {
        if (!this.frameHeader) {
          this.frameHeader = this.input.read(FRAME_HEADER_SIZE);
          if (!this.frameHeader) break;
          const length = (this.frameHeader[0]! << 16) | (this.frameHeader[1]! << 8) | this.frameHeader[2]!;
          // We never raise SETTINGS_MAX_FRAME_SIZE, so 16 384 is our limit (RFC 9113 §4.2).
          if (length > MIN_FRAME_SIZE) throw new ConnectionError(Http2ErrorCode.FRAME_SIZE_ERROR, `frame of ${length} bytes`);
        }
        const header = this.frameHeader;
        const length = (header[0]! << 16) | (header[1]! << 8) | header[2]!;
        const payload = this.input.read(length);
        if (!payload) break;
        this.frameHeader = undefined;
        try {
          this.onFrame(header[3]!, header[4]!, u32(header, 5) & MAX_STREAM_ID, payload);
        } catch (error) {
          if (!(error instanceof StreamError)) throw error;
          this.streamFailed(error.streamId, error.http2Code, error.message);
        }
        if (this.isClosed) return;
      }
    } catch (error) {
      // Anything but a ConnectionError is a bug of ours or of a handler: INTERNAL_ERROR.
      const http2Code = error instanceof ConnectionError ? error.http2Code : Http2ErrorCode.INTERNAL_ERROR;
      this.connectionError(http2Code, error instanceof Error ? error.message : String(error));
      return;
    }
    this.flush();
  }

  /**
   * Ends the connection from our side: GOAWAY(NO_ERROR), then every open stream fails with
   * a `CONNECTION` error (or `error`, if given). The owner closes the pipe.
   */
  close(error?: WireError): void {
    if (this.isClosed) return;
    this.frame(GOAWAY, 0, 0, this.goAwayPayload(Http2ErrorCode.NO_ERROR, ''));
    this.flush();
    this.shutdown(error ?? new WireError('CONNECTION', 'HTTP/2 connection closed'), error);
  }

  /** The pipe under the connection ended: every open stream fails with a `CONNECTION` error. */
  transportClosed(error?: unknown): void {
    if (this.isClosed) return;
    const failure = new WireError('CONNECTION', 'the connection under HTTP/2 closed', { cause: error });
    this.shutdown(failure, failure);
  }

  // ---- receiving ----

  private onFrame(type: number, flags: number, streamId: number, payload: Uint8Array): void {
    if (!this.sawSettings && type !== SETTINGS) {
      throw new ConnectionError(Http2ErrorCode.PROTOCOL_ERROR, 'the server preface must start with SETTINGS');
    }
    if (this.partial && type !== CONTINUATION) {
      throw new ConnectionError(Http2ErrorCode.PROTOCOL_ERROR, 'header block interrupted by another frame');
    }
    switch (type) {
      case DATA:
        return this.onData(flags, streamId, payload);
      case HEADERS:
        return this.onHeaders(flags, streamId, payload);
      case CONTINUATION:
        return this.onContinuation(flags, streamId, payload);
      case PRIORITY:
        if (streamId === 0) throw new ConnectionError(Http2ErrorCode.PROTOCOL_ERROR, 'PRIORITY on stream 0');
        if (payload.length !== 5) throw new StreamError(streamId, Http2ErrorCode.FRAME_SIZE_ERROR, 'PRIORITY frame not 5 bytes');
        return;
      case RST_STREAM:
        return this.onReset(streamId, payload);
      case SETTINGS:
        return this.onSettings(flags, streamId, payload);
      case PUSH_PROMISE:
        throw new ConnectionError(Http2ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE although push is disabled');
      case PING:
        if (streamId !== 0) throw new ConnectionError(Http2ErrorCode.PROTOCOL_ERROR, 'PING on a stream');
        if (payload.length !== 8) throw new ConnectionError(Http2ErrorCode.FRAME_SIZE_ERROR, 'PING frame not 8 bytes');
        if ((flags & ACK) === 0) this.frame(PING, ACK, 0, payload);
        return;
      case GOAWAY:
        return this.onGoAway(streamId, payload);
      case WINDOW_UPDATE:
        return this.onWindowUpdate(streamId, payload);
      default:
        return; // Unknown frame types are ignored (RFC 9113 §4.1).
    }
  }

  /** Strips padding (RFC 9113 §6.1, §6.2); `extra` bytes (priority) follow the pad length. */
  private unpad(flags: number, payload: Uint8Array, extra: number): Uint8Array {
    let start = 0;
    let end = payload.length;
    if (flags & PADDED) {
      if (payload.length < 1) throw new ConnectionError(Http2ErrorCode.FRAME_SIZE_ERROR, 'padded frame without a pad length');
      const pad = payload[0]!;
      start = 1;
      if (pad > payload.length - 1 - extra) throw new ConnectionError(Http2ErrorCode.PROTOCOL_ERROR, 'padding longer than the frame');
      end -= pad;
    }
    if (end - start < extra) throw new ConnectionError(Http2ErrorCode.FRAME_SIZE_ERROR, 'frame too short');
    return payload.subarray(start + extra, end);
  }

  /** Checks a stream id the peer names: ours (odd), already opened. Undefined if it is closed. */
  private streamFor(streamId: number, what: string): StreamState | undefined {
    if (streamId === 0) throw new ConnectionError(Http2ErrorCode.PROTOCOL_ERROR, `${what} on stream 0`);
    if (streamId % 2 === 0 || streamId >= this.nextStreamId) {
      throw new ConnectionError(Http2ErrorCode.PROTOCOL_ERROR, `${what} on stream ${streamId}, which we never opened`);
    }
    return this.streams.get(streamId);
  }

  private onData(flags: number, streamId: number, payload: Uint8Array): void {
    const stream = this.streamFor(streamId, 'DATA');
    // Flow control counts the whole payload, padding included (RFC 9113 §6.9.1).
    if (payload.length > this.connRecvWindow)
      throw new ConnectionError(Http2ErrorCode.FLOW_CONTROL_ERROR, 'DATA past the connection window');
    this.connRecvWindow -= payload.length;
    // The connection window is given back at once: a slow stream must not stall the others.
    this.connUnacked += payload.length;
    if (this.connUnacked >= this.recvConnectionWindow / 2) {
      this.windowUpdate(0, this.connUnacked);
      this.connRecvWindow += this.connUnacked;
      this.connUnacked = 0;
    }
    const data = this.unpad(flags, payload, 0);
    if (!stream) return; // closed or cancelled: the peer may not know yet
    if (stream.remoteClosed) throw new StreamError(streamId, Http2ErrorCode.STREAM_CLOSED, 'DATA after the end of the stream');
    if (!stream.gotHeaders) throw new StreamError(streamId, Http2ErrorCode.PROTOCOL_ERROR, 'DATA before the response headers');
    if (payload.length > stream.recvWindow)
      throw new StreamError(streamId, Http2ErrorCode.FLOW_CONTROL_ERROR, 'DATA past the stream window');
    stream.recvWindow -= payload.length;
    // Padding is never handed to the owner, so it is given back here.
    stream.unacked += payload.length - data.length;
    const end = (flags & END_STREAM) !== 0;
    if (end) stream.remoteClosed = true;
    stream.handler.onData(data, end);
    if (end) this.maybeFinish(stream);
  }

  private onHeaders(flags: number, streamId: number, payload: Uint8Array): void {
    if (streamId === 0) throw new ConnectionError(Http2ErrorCode.PROTOCOL_ERROR, 'HEADERS on stream 0');
    const fragment = this.unpad(flags, payload, flags & PRIORITY_FLAG ? 5 : 0);
    this.partial = { streamId, endStream: (flags & END_STREAM) !== 0, fragments: [fragment], size: fragment.length };
    if (flags & END_HEADERS) this.endHeaders();
  }

  private onContinuation(flags: number, streamId: number, payload: Uint8Array): void {
    const partial = this.partial;
    if (!partial || partial.streamId !== streamId) throw new ConnectionError(Http2ErrorCode.PROTOCOL_ERROR, 'CONTINUATION without HEADERS');
    partial.fragments.push(payload);
    partial.size += payload.length;
    // A bound on the compressed block: Huffman can stretch a string by 30/8 at worst.
    if (partial.size > 4 * this.maxHeaderListSize + 1024) {
      throw new ConnectionError(Http2ErrorCode.ENHANCE_YOUR_CALM, 'header block too large');
    }
    if (flags & END_HEADERS) this.endHeaders();
  }

  private endHeaders(): void {
    const { streamId, endStream, fragments } = this.partial!;
    this.partial = undefined;
    // Decode even for a stream we dropped: the HPACK table must stay in step (RFC 9113 §4.3).
    let fields: HeaderField[];
    try {
      fields = this.decoder.decode(fragments.length === 1 ? fragments[0]! : concatBytes(...fragments));
    } catch (error) {
      // The header table is now out of step: COMPRESSION_ERROR, the connection is lost (RFC 9113 §4.3).
      throw new ConnectionError(Http2ErrorCode.COMPRESSION_ERROR, error instanceof Error ? error.message : String(error));
    }
    const stream = this.streamFor(streamId, 'HEADERS');
    if (!stream) return;
    if (stream.remoteClosed) throw new StreamError(streamId, Http2ErrorCode.STREAM_CLOSED, 'HEADERS after the end of the stream');
    validateResponseFields(streamId, fields, !stream.gotHeaders);
    if (!stream.gotHeaders) {
      const status = fields.find(([name]) => name === ':status')![1];
      // Informational (1xx) responses come before the real one (RFC 9113 §8.1).
      if (status.startsWith('1')) {
        if (endStream) throw new StreamError(streamId, Http2ErrorCode.PROTOCOL_ERROR, '1xx response ends the stream');
        return;
      }
      stream.gotHeaders = true;
    } else if (!endStream) {
      throw new StreamError(streamId, Http2ErrorCode.PROTOCOL_ERROR, 'trailers without END_STREAM');
    }
    if (endStream) stream.remoteClosed = true;
    stream.handler.onHeaders(fields, endStream);
    if (endStream) this.maybeFinish(stream);
  }

  private onReset(streamId: number, payload: Uint8Array): void {
    if (payload.length !== 4) throw new ConnectionError(Http2ErrorCode.FRAME_SIZE_ERROR, 'RST_STREAM frame not 4 bytes');
    const stream = this.streamFor(streamId, 'RST_STREAM');
    if (!stream) return;
    const code = u32(payload, 0);
    this.streams.delete(streamId);
    stream.handler.onClose(new Http2Error('CONNECTION', code, `HTTP/2 stream ${streamId} reset by the peer: ${codeName(code)}`));
  }

  private onSettings(flags: number, streamId: number, payload: Uint8Array): void {
    if (streamId !== 0) throw new ConnectionError(Http2ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (flags & ACK) {
      if (payload.length !== 0) throw new ConnectionError(Http2ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS ACK with a payload');
      if (!this.sawSettings)
        throw new ConnectionError(Http2ErrorCode.PROTOCOL_ERROR, 'the server preface must be a SETTINGS frame, not an ACK');
      return;
    }
    if (payload.length % 6 !== 0) throw new ConnectionError(Http2ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS length not a multiple of 6');
    this.sawSettings = true;
    for (let offset = 0; offset < payload.length; offset += 6) {
      const id = (payload[offset]! << 8) | payload[offset + 1]!;
      const value = u32(payload, offset + 2);
      switch (id) {
        case SETTINGS_HEADER_TABLE_SIZE:
          break; // our encoder never uses the dynamic table
        case SETTINGS_ENABLE_PUSH:
          // A server must not send it (RFC 9113 §6.5.2); 1 would be a protocol error anyway.
          if (value > 1) throw new ConnectionError(Http2ErrorCode.PROTOCOL_ERROR, 'ENABLE_PUSH not 0 or 1');
          break;
        case SETTINGS_MAX_CONCURRENT_STREAMS:
          this.peerMaxConcurrent = value;
          break;
        case SETTINGS_INITIAL_WINDOW_SIZE: {
          if (value > MAX_WINDOW) throw new ConnectionError(Http2ErrorCode.FLOW_CONTROL_ERROR, 'INITIAL_WINDOW_SIZE past 2^31-1');
          const delta = value - this.peerInitialWindow;
          this.peerInitialWindow = value;
          // The change applies to every open stream, and may make windows negative (§6.9.2).
          for (const stream of this.streams.values()) {
            stream.sendWindow += delta;
            if (stream.sendWindow > MAX_WINDOW) throw new ConnectionError(Http2ErrorCode.FLOW_CONTROL_ERROR, 'stream window past 2^31-1');
          }
          break;
        }
        case SETTINGS_MAX_FRAME_SIZE:
          if (value < MIN_FRAME_SIZE || value > MAX_FRAME_SIZE)
            throw new ConnectionError(Http2ErrorCode.PROTOCOL_ERROR, 'MAX_FRAME_SIZE out of range');
          this.peerMaxFrameSize = value;
          break;
        case SETTINGS_MAX_HEADER_LIST_SIZE:
          this.peerMaxHeaderListSize = value;
          break;
        default:
          break; // unknown settings are ignored
      }
    }
    this.frame(SETTINGS, ACK, 0, new Uint8Array(0));
    this.pump();
  }

  private onGoAway(streamId: number, payload: Uint8Array): void {
    if (streamId !== 0) throw new ConnectionError(Http2ErrorCode.PROTOCOL_ERROR, 'GOAWAY on a stream');
    if (payload.length < 8) throw new ConnectionError(Http2ErrorCode.FRAME_SIZE_ERROR, 'GOAWAY shorter than 8 bytes');
    const lastStreamId = u32(payload, 0) & MAX_STREAM_ID;
    const code = u32(payload, 4);
    let debug = '';
    try {
      debug = textDecoder.decode(payload.subarray(8, 8 + 256));
    } catch {
      debug = '(not UTF-8)';
    }
    this.goAwayId = Math.min(this.goAwayId ?? MAX_STREAM_ID, lastStreamId);
    // Streams above lastStreamId were not processed (RFC 9113 §6.8); the caller may retry them elsewhere.
    for (const stream of [...this.streams.values()]) {
      if (stream.id <= this.goAwayId) continue;
      this.streams.delete(stream.id);
      stream.handler.onClose(
        new Http2Error(
          'CONNECTION',
          code,
          `HTTP/2 stream ${stream.id} not processed: GOAWAY ${codeName(code)}${debug ? ` "${debug}"` : ''}`,
        ),
      );
    }
    this.options.onGoAway?.(lastStreamId, code, debug);
  }

  private onWindowUpdate(streamId: number, payload: Uint8Array): void {
    if (payload.length !== 4) throw new ConnectionError(Http2ErrorCode.FRAME_SIZE_ERROR, 'WINDOW_UPDATE frame not 4 bytes');
    const increment = u32(payload, 0) & MAX_WINDOW;
    if (streamId === 0) {
      if (increment === 0) throw new ConnectionError(Http2ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
      this.connSendWindow += increment;
      if (this.connSendWindow > MAX_WINDOW) throw new ConnectionError(Http2ErrorCode.FLOW_CONTROL_ERROR, 'connection window past 2^31-1');
    } else {
      const stream = this.streamFor(streamId, 'WINDOW_UPDATE');
      if (!stream) return;
      if (increment === 0) throw new StreamError(streamId, Http2ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
      stream.sendWindow += increment;
      if (stream.sendWindow > MAX_WINDOW) throw new StreamError(streamId, Http2ErrorCode.FLOW_CONTROL_ERROR, 'stream window past 2^31-1');
    }
    this.pump();
  }

  // ---- sending ----

  private write(stream: StreamState, data: Uint8Array, end: boolean): void {
    if (this.streams.get(stream.id) !== stream) return; // closed or cancelled
    if (stream.localClosed || stream.pendingEnd) throw new WireError('INVALID_ARGUMENT', `HTTP/2 stream ${stream.id} already ended`);
    if (data.length > 0) stream.pending.push(new Uint8Array(data));
    if (end) stream.pendingEnd = true;
    this.pump();
    this.flush();
  }

  /** Sends queued DATA as far as the windows and the peer's frame size allow, oldest stream first. */
  private pump(): void {
    for (const stream of this.streams.values()) {
      while (stream.pending.length > 0) {
        const room = Math.min(this.connSendWindow, stream.sendWindow, this.frameLimit());
        if (room <= 0) break;
        const head = stream.pending[0]!;
        const chunk = head.length <= room ? head : head.subarray(0, room);
        if (chunk === head) stream.pending.shift();
        else stream.pending[0] = head.subarray(room);
        this.connSendWindow -= chunk.length;
        stream.sendWindow -= chunk.length;
        const last = stream.pending.length === 0 && stream.pendingEnd;
        this.frame(DATA, last ? END_STREAM : 0, stream.id, chunk);
        if (last) this.endLocal(stream);
      }
      // An empty DATA with END_STREAM needs no window.
      if (stream.pending.length === 0 && stream.pendingEnd && !stream.localClosed) {
        this.frame(DATA, END_STREAM, stream.id, new Uint8Array(0));
        this.endLocal(stream);
      }
    }
  }

  /** The largest frame payload we send: the peer's limit, but a whole frame always fits one write (one Noise message). */
  private frameLimit(): number {
    return Math.min(this.peerMaxFrameSize, (this.options.maxWriteSize ?? 65_535) - FRAME_HEADER_SIZE);
  }

  private endLocal(stream: StreamState): void {
    stream.localClosed = true;
    stream.pendingEnd = false;
    this.maybeFinish(stream);
  }

  private consume(stream: StreamState, bytes: number): void {
    if (this.streams.get(stream.id) !== stream || stream.remoteClosed || bytes <= 0) return;
    stream.unacked += bytes;
    if (stream.unacked >= this.recvInitialWindow / 2) {
      this.windowUpdate(stream.id, stream.unacked);
      stream.recvWindow += stream.unacked;
      stream.unacked = 0;
      this.flush();
    }
  }

  private cancel(stream: StreamState, code: number): void {
    if (this.streams.get(stream.id) !== stream) return;
    this.streams.delete(stream.id);
    // A stream already ended both ways (its owner cancels from inside the last callback) needs no frame.
    if (this.isClosed || (stream.localClosed && stream.remoteClosed)) return;
    this.frame(RST_STREAM, 0, stream.id, u32be(code));
    this.flush();
  }

  private maybeFinish(stream: StreamState): void {
    if (!stream.localClosed || !stream.remoteClosed || this.streams.get(stream.id) !== stream) return;
    this.streams.delete(stream.id);
    stream.handler.onClose();
  }

  /** A stream-level error: RST_STREAM to the peer, the error to the owner; the connection lives on. */
  private streamFailed(streamId: number, http2Code: number, message: string): void {
    this.frame(RST_STREAM, 0, streamId, u32be(http2Code));
    const stream = this.streams.get(streamId);
    if (!stream) return;
    this.streams.delete(streamId);
    stream.handler.onClose(new Http2Error('PROTOCOL', http2Code, `HTTP/2 stream ${streamId}: ${message}`));
  }

  private connectionError(http2Code: number, message: string): void {
    this.frame(GOAWAY, 0, 0, this.goAwayPayload(http2Code, message));
    this.flush();
    const error = new Http2Error('PROTOCOL', http2Code, `HTTP/2 connection error ${codeName(http2Code)}: ${message}`);
    this.shutdown(error, error);
  }

  private shutdown(streamError: WireError, closeError: WireError | undefined): void {
    this.isClosed = true;
    const streams = [...this.streams.values()];
    this.streams.clear();
    this.input.clear();
    for (const stream of streams) stream.handler.onClose(streamError);
    this.options.onClose?.(closeError);
  }

  private goAwayPayload(code: number, debug: string): Uint8Array {
    // We accept no streams from the server, so the last stream id we processed is 0.
    return concatBytes(u32be(0), u32be(code), textEncoder.encode(debug.slice(0, 200)));
  }

  private windowUpdate(streamId: number, increment: number): void {
    this.frame(WINDOW_UPDATE, 0, streamId, u32be(increment));
  }

  private frame(type: number, flags: number, streamId: number, payload: Uint8Array): void {
    const frame = new Uint8Array(FRAME_HEADER_SIZE + payload.length);
    frame[0] = payload.length >>> 16;
    frame[1] = (payload.length >>> 8) & 0xff;
    frame[2] = payload.length & 0xff;
    frame[3] = type;
    frame[4] = flags;
    frame.set(u32be(streamId), 5);
    frame.set(payload, FRAME_HEADER_SIZE);
    this.output.push(frame);
  }

  /** Writes queued frames, packed into writes of at most `maxWriteSize` bytes, a frame never split unless it alone is larger. */
  private flush(): void {
    if (this.output.length === 0) return;
    const limit = this.options.maxWriteSize ?? 65_535;
    const frames = this.output.splice(0);
    let batch: Uint8Array[] = [];
    let size = 0;
    const send = () => {
      if (batch.length > 0) this.options.write(batch.length === 1 ? batch[0]! : concatBytes(...batch));
      batch = [];
      size = 0;
    };
    for (const frame of frames) {
      if (size + frame.length > limit) send();
      if (frame.length > limit) {
        for (let offset = 0; offset < frame.length; offset += limit) this.options.write(frame.subarray(offset, offset + limit));
        continue;
      }
      batch.push(frame);
      size += frame.length;
    }
    send();
  }
}

function u32be(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0);
  return out;
}

/**
 * RFC 9113 §8.2–8.3: lowercase names, pseudo-headers first, only `:status` in a response
 * and none in trailers, no connection-specific fields. A malformed response is a stream error.
 */
function validateResponseFields(streamId: number, fields: HeaderField[], isResponse: boolean): void {
  let regular = false;
  let status = 0;
  for (const [name, value] of fields) {
    if (name.startsWith(':')) {
      if (regular || !isResponse || name !== ':status' || status++ > 0) {
        throw new StreamError(streamId, Http2ErrorCode.PROTOCOL_ERROR, `misplaced pseudo-header ${name}`);
      }
      if (!/^[1-9][0-9]{2}$/.test(value)) throw new StreamError(streamId, Http2ErrorCode.PROTOCOL_ERROR, `bad :status ${value}`);
      continue;
    }
    regular = true;
    if (name.length === 0 || /[^!#$%&'*+\-.^_`|~0-9a-z]/.test(name)) {
      throw new StreamError(streamId, Http2ErrorCode.PROTOCOL_ERROR, `bad header name ${JSON.stringify(name)}`);
    }
    if (/[\0\r\n]/.test(value)) throw new StreamError(streamId, Http2ErrorCode.PROTOCOL_ERROR, `bad value in header ${name}`);
    if (
      name === 'connection' ||
      name === 'keep-alive' ||
      name === 'transfer-encoding' ||
      name === 'upgrade' ||
      name === 'proxy-connection'
    ) {
      throw new StreamError(streamId, Http2ErrorCode.PROTOCOL_ERROR, `connection-specific header ${name}`);
    }
  }
  if (isResponse && status === 0) throw new StreamError(streamId, Http2ErrorCode.PROTOCOL_ERROR, 'response without :status');
}
