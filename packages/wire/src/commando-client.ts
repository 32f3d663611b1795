/**
 * The commando client: Core Lightning's JSON-RPC, carried in Lightning messages over a
 * BOLT 8 connection on a WebSocket. Concurrent requests on one connection, multi-part
 * requests and replies, timeouts, typed errors, and reconnection with backoff.
 */
import { fromHex, textEncoder } from './bytes.ts';
import { ChunkCollector, MAX_COMMANDO_REQUEST, commandoFrames, decodeReply, idKey, readCommandoPayload } from './commando.ts';
import { AmpkitError, WireError, invalidArgument } from './errors.ts';
import { ArrayStreamer } from './json-stream.ts';
import { MessageType } from './message.ts';
import { lightClientFeatures } from './gossip.ts';
import { checkPrivateKey, checkPublicKey, randomPrivateKey } from './noise.ts';
import { Peer, prepareInitiator } from './peer.ts';
import { globalWebSocket, openWebSocket, type WebSocketConstructor } from './socket.ts';
import { longTimeout, reconnectDelay, type ReconnectPolicy } from './timers.ts';

/** Where the connection is: `failed` means reconnection gave up; `closed` means `close()` was called. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed' | 'failed';

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** The node's public key, 66 hex characters. */
  nodeId: string;
  /** The node's WebSocket listener, e.g. `wss://node.example:5019`. */
  url: string;
  /** Default rune for every request (from the node's `createrune`). */
  rune?: string;
  /** Our static key (32 bytes or 64 hex); random per client when omitted. */
  privateKey?: Uint8Array | string;
  /** WebSocket constructor; defaults to `globalThis.WebSocket`. In Node 20 pass `WebSocket` from `ws`. */
  WebSocket?: WebSocketConstructor;
  /**
   * Default request timeout in ms (60 000). `0` or `Infinity` waits as long as the
   * connection lives; any finite length is honoured, past `setTimeout`'s 24.8 days too.
   */
  timeout?: number;
  /** Time allowed for one connection attempt: socket, handshake and init (10 000 ms). */
  connectTimeout?: number;
  /** Reconnection after a drop; `false` to stay down. */
  reconnect?: ReconnectPolicy;
  /** Largest reply accepted, in bytes (256 MiB); a larger one fails its request with `BAD_REPLY`. */
  maxReplyBytes?: number;
  /**
   * Largest total of unfinished replies held at once on this connection, across every
   * request in flight, in bytes (256 MiB, as {@link ConnectOptions.maxReplyBytes}: a
   * connection never holds more than its largest allowed reply, however many requests
   * a node streams to at once; mainnet's whole `listchannels` and `listnodes` together
   * are about 55 MB). A reply chunk that would take the total past it fails that request
   * with `BAD_REPLY` and frees what it held; the other requests carry on. `Infinity`
   * disables the cap.
   */
  maxBufferedReplyBytes?: number;
  /** Idle time before a keepalive ping, in ms (30 000); `0` disables. */
  keepaliveInterval?: number;
}

/** Options of one {@link CommandoClient.request}. */
export interface RequestOptions {
  /** Rune for this request, instead of the client's. */
  rune?: string;
  /** Timeout in ms for this request, instead of the client's (`0` or `Infinity`: none). */
  timeout?: number;
  /** Aborts waiting (the node may still run the command). */
  signal?: AbortSignal;
  /** Core Lightning's output filter object. */
  filter?: Record<string, unknown>;
  /**
   * Hands the members of the result's array `array` to `onItem` one by one as their bytes
   * arrive, instead of holding the whole reply: the request then resolves to the result
   * with that array empty. For replies of tens of megabytes (`listchannels` on mainnet).
   * Every member is given exactly once, in order; a member that is not valid JSON fails the
   * request with `BAD_REPLY`, and what `onItem` throws fails it with that error. When the
   * request fails, members already given belong to a reply that does not count: drop them.
   */
  stream?: { array: string; onItem(item: unknown): void };
}

/** A connected commando client. */
export interface CommandoClient {
  /** The node's id, as given to {@link connect}. */
  readonly nodeId: string;
  /** The current connection state. */
  readonly state: ConnectionState;
  /**
   * Calls a method on the node. Resolves to the JSON-RPC `result`; rejects with
   * {@link RpcError} (the node's `code`, `message`, `data`) or {@link WireError}
   * (`TIMEOUT`, `CONNECTION`, `BAD_REPLY`, `INVALID_ARGUMENT`). A request in flight when
   * the connection drops is rejected, never resent: the caller decides whether to retry.
   */
  request<T = any>(method: string, params?: Record<string, unknown> | unknown[], options?: RequestOptions): Promise<T>;
  /** Listens to state changes; returns the function that stops listening. */
  on(event: 'state', listener: (state: ConnectionState, error?: AmpkitError) => void): () => void;
  /** Closes the connection and rejects whatever is pending. */
  close(): void;
}

interface Pending {
  method: string;
  resolve(value: unknown): void;
  reject(error: AmpkitError): void;
  reply: ChunkCollector | ArrayStreamer;
  stream?: RequestOptions['stream'];
  frames?: Uint8Array[];
  sent: boolean;
  key: string;
  cleanup(): void;
}

const ABANDONED_MEMORY = 1024;
const MAX_REPLY_BYTES = 256 * 1024 * 1024;
const MAX_BUFFERED_REPLY_BYTES = 256 * 1024 * 1024;

/**
 * Connects to a Core Lightning node over commando and resolves once the BOLT 8 handshake
 * and the init exchange are done.
 *
 * @example
 * ```ts
 * const node = await connect({ nodeId, url: 'wss://node.example:5019', rune });
 * const info = await node.request('getinfo');
 * ```
 */
export async function connect(options: ConnectOptions): Promise<CommandoClient> {
  const client = new Client(options);
  await client.start();
  return client;
}

class Client implements CommandoClient {
  readonly nodeId: string;
  state: ConnectionState = 'connecting';
  private readonly remoteKey: Uint8Array;
  private readonly localKey: Uint8Array;
  private readonly Ctor: WebSocketConstructor;
  private readonly listeners = new Set<(state: ConnectionState, error?: AmpkitError) => void>();
  private readonly pending = new Map<string, Pending>();
  private readonly abandoned = new Set<string>();
  private readonly idPrefix = (Math.random() * 0x1_0000_0000) >>> 0;
  private counter = 0;
  private peer: Peer | undefined;
  private attempt = 0;
  private cancelRetry: (() => void) | undefined;
  /** Bytes of unfinished replies held across every pending request (see maxBufferedReplyBytes). */
  private buffered = 0;

  constructor(private readonly options: ConnectOptions) {
    if (!options || typeof options !== 'object') throw invalidArgument('connect() needs an options object');
    if (typeof options.nodeId !== 'string' || !/^0[23][0-9a-fA-F]{64}$/.test(options.nodeId)) {
      throw invalidArgument('nodeId must be a 33-byte compressed public key in hex (66 characters)');
    }
    this.remoteKey = checkPublicKey(fromHex(options.nodeId), 'nodeId');
    this.nodeId = options.nodeId.toLowerCase();
    if (typeof options.url !== 'string' || !/^wss?:\/\//i.test(options.url)) {
      throw invalidArgument('url must be a ws:// or wss:// URL');
    }
    if (options.rune !== undefined && typeof options.rune !== 'string') throw invalidArgument('rune must be a string');
    const key = options.privateKey;
    this.localKey = key === undefined ? randomPrivateKey() : checkPrivateKey(typeof key === 'string' ? fromHex(key) : key);
    const Ctor = options.WebSocket ?? globalWebSocket();
    if (!Ctor) throw invalidArgument('no WebSocket available: pass options.WebSocket (in Node 20, WebSocket from "ws")');
    this.Ctor = Ctor;
    for (const name of ['maxReplyBytes', 'maxBufferedReplyBytes'] as const) {
      const value = options[name];
      if (value !== undefined && !(typeof value === 'number' && value > 0))
        throw invalidArgument(`${name} must be a number of bytes, more than 0`);
    }
  }

  /** First connection: its failure rejects connect() and leaves the client failed. */
  async start(): Promise<void> {
    try {
      await this.open();
    } catch (error) {
      this.setState('failed', error as AmpkitError);
      throw error;
    }
  }

  on(event: 'state', listener: (state: ConnectionState, error?: AmpkitError) => void): () => void {
    if (event !== 'state') throw invalidArgument(`unknown event ${String(event)}`);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  request<T = any>(method: string, params: Record<string, unknown> | unknown[] = {}, options: RequestOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (typeof method !== 'string' || method.length === 0) throw invalidArgument('method must be a non-empty string');
      if (params === null || typeof params !== 'object') throw invalidArgument('params must be an object or an array');
      if (this.state === 'closed' || this.state === 'failed') {
        throw new WireError('CONNECTION', `cannot call ${method}: the connection is ${this.state}`);
      }
      const rune = options.rune ?? this.options.rune;
      const id = this.nextId();
      const key = idKey(id);
      let json: Uint8Array;
      try {
        const body: Record<string, unknown> = { id: `ampkit:${method}#${this.counter}`, method, params };
        if (rune !== undefined) body.rune = rune;
        if (options.filter !== undefined) body.filter = options.filter;
        json = textEncoder.encode(JSON.stringify(body));
      } catch (cause) {
        throw new WireError('INVALID_ARGUMENT', `params of ${method} cannot be written as JSON`, { cause });
      }
      if (json.length > MAX_COMMANDO_REQUEST) {
        throw invalidArgument(`request of ${json.length} bytes exceeds the ${MAX_COMMANDO_REQUEST} bytes Core Lightning accepts`);
      }
      const timeout = options.timeout ?? this.options.timeout ?? 60_000;
      let cancelTimer: (() => void) | undefined;
      const onAbort = () => entry.reject(new WireError('TIMEOUT', `${method} aborted by its signal`));
      const entry: Pending = {
        method,
        key,
        sent: false,
        reply: options.stream ? new ArrayStreamer(method, options.stream.array, options.stream.onItem) : new ChunkCollector(),
        ...(options.stream ? { stream: options.stream } : {}),
        frames: commandoFrames('request', id, json),
        resolve: (value) => {
          entry.cleanup();
          resolve(value as T);
        },
        reject: (error) => {
          entry.cleanup();
          reject(error);
        },
        cleanup: () => {
          cancelTimer?.();
          options.signal?.removeEventListener('abort', onAbort);
          if (this.pending.get(key) === entry) {
            this.pending.delete(key);
            if (entry.sent) this.remember(key);
            // Whatever the request held of its reply is let go now, and no longer counts.
            this.buffered -= entry.reply.size;
            entry.reply = new ChunkCollector();
          }
        },
      };
      if (options.signal?.aborted) throw new WireError('TIMEOUT', `${method} aborted by its signal`);
      options.signal?.addEventListener('abort', onAbort);
      if (timeout > 0) {
        cancelTimer = longTimeout(() => entry.reject(new WireError('TIMEOUT', `${method} got no reply within ${timeout} ms`)), timeout);
      }
      this.pending.set(key, entry);
      if (this.state === 'open') this.transmit(entry);
    });
  }

  close(): void {
    if (this.state === 'closed') return;
    this.cancelRetry?.();
    this.setState('closed');
    this.rejectAll(new WireError('CONNECTION', 'the client was closed'));
    this.peer?.close();
    this.peer = undefined;
  }

  private nextId(): Uint8Array {
    this.counter = (this.counter + 1) >>> 0;
    const id = new Uint8Array(8);
    const view = new DataView(id.buffer);
    view.setUint32(0, this.idPrefix);
    view.setUint32(4, this.counter);
    return id;
  }

  /** A late reply to a request we gave up on is expected; remember a bounded number of them. */
  private remember(key: string): void {
    this.abandoned.add(key);
    if (this.abandoned.size > ABANDONED_MEMORY) {
      this.abandoned.delete(this.abandoned.values().next().value!);
    }
  }

  private transmit(entry: Pending): void {
    const frames = entry.frames!;
    entry.frames = undefined;
    entry.sent = true;
    try {
      // All frames of one request go back to back: Core Lightning keeps one partial
      // request per peer and drops it when another id arrives.
      for (const frame of frames) this.peer!.send(frame);
    } catch (cause) {
      entry.reject(new WireError('CONNECTION', `could not send ${entry.method}`, { cause }));
    }
  }

  private setState(state: ConnectionState, error?: AmpkitError): void {
    if (this.state === state && !error) return;
    this.state = state;
    for (const listener of [...this.listeners]) {
      try {
        listener(state, error);
      } catch {
        // A listener's failure is its own; the connection goes on.
      }
    }
  }

  private rejectAll(error: WireError, onlySent = false): void {
    for (const entry of [...this.pending.values()]) if (!onlySent || entry.sent) entry.reject(error);
  }

  /** One connection attempt: socket, handshake, init. Resolves when ready. */
  private async open(): Promise<void> {
    const limit = this.options.connectTimeout ?? 10_000;
    const opening = openWebSocket(this.options.url, this.Ctor, limit);
    // A fresh ephemeral key per attempt; act one is computed while the socket connects.
    const prepared = prepareInitiator(this.localKey, this.remoteKey);
    const socket = await opening;
    if (this.state === 'closed') {
      socket.close();
      throw new WireError('CONNECTION', 'the client was closed');
    }
    await new Promise<void>((resolve, reject) => {
      let ready = false;
      const cancelTimer = longTimeout(() => peer.close(new WireError('HANDSHAKE', `no handshake within ${limit} ms`)), limit);
      const peer = new Peer(
        socket,
        {
          role: 'initiator',
          localPrivateKey: this.localKey,
          prepared,
          keepaliveInterval: this.options.keepaliveInterval ?? 30_000,
          // A light client: gossip_queries, so the node relays no gossip we would only drop.
          features: lightClientFeatures(),
        },
        {
          onReady: () => {
            cancelTimer();
            ready = true;
            this.peer = peer;
            this.attempt = 0;
            this.setState('open');
            for (const entry of [...this.pending.values()]) if (!entry.sent) this.transmit(entry);
            resolve();
          },
          onMessage: (type, payload) => this.onMessage(type, payload),
          onClose: (error) => {
            cancelTimer();
            if (!ready) {
              // A node that hangs up mid-handshake most often means the nodeId is not its key.
              const handshakeFailed =
                !error || error.code === 'CONNECTION'
                  ? new WireError('HANDSHAKE', 'the node closed the connection during the handshake (is nodeId right?)', {
                      cause: error,
                    })
                  : error;
              reject(handshakeFailed);
              return;
            }
            this.onDrop(error);
          },
        },
      );
    });
  }

  private onDrop(error?: WireError): void {
    this.peer = undefined;
    if (this.state === 'closed') return;
    const cause = error ?? new WireError('CONNECTION', 'connection closed');
    // Never resend: the node may have run the command. The caller decides.
    this.rejectAll(new WireError('CONNECTION', `connection lost: ${cause.message}`, { cause }), true);
    this.scheduleReconnect(cause);
  }

  private scheduleReconnect(cause: AmpkitError): void {
    const delay = reconnectDelay(this.options.reconnect, this.attempt);
    if (delay === undefined) {
      this.setState('failed', cause);
      this.rejectAll(new WireError('CONNECTION', `gave up reconnecting: ${cause.message}`, { cause }));
      return;
    }
    this.setState('reconnecting', cause);
    this.attempt++;
    this.cancelRetry = longTimeout(() => {
      // Each attempt is a new Peer: a fresh ephemeral key and a new handshake.
      this.open().catch((e: AmpkitError) => {
        if (this.state !== 'closed') this.scheduleReconnect(e);
      });
    }, delay);
  }

  private onMessage(type: number, payload: Uint8Array): void {
    if (type !== MessageType.COMMANDO_REPLY_CONTINUES && type !== MessageType.COMMANDO_REPLY_TERM) return;
    const frame = readCommandoPayload(payload);
    if (!frame) throw new WireError('PROTOCOL', 'commando reply shorter than its 8-byte id');
    const entry = this.pending.get(frame.key);
    if (!entry) {
      if (this.abandoned.has(frame.key)) {
        if (type === MessageType.COMMANDO_REPLY_TERM) this.abandoned.delete(frame.key);
        return;
      }
      throw new WireError('PROTOCOL', 'commando reply to a request never sent');
    }
    const limit = this.options.maxReplyBytes ?? MAX_REPLY_BYTES;
    if (entry.reply.total + frame.chunk.length > limit) {
      entry.reject(new WireError('BAD_REPLY', `reply to ${entry.method} exceeds ${limit} bytes`));
      return;
    }
    // One cap for the connection as well: a node streaming unfinished replies to many
    // requests at once must not hold many times maxReplyBytes here.
    const total = this.options.maxBufferedReplyBytes ?? MAX_BUFFERED_REPLY_BYTES;
    if (this.buffered + frame.chunk.length > total) {
      entry.reject(
        new WireError(
          'BAD_REPLY',
          `reply to ${entry.method} would take the unfinished replies on this connection past ${total} bytes (maxBufferedReplyBytes)`,
        ),
      );
      return;
    }
    const held = entry.reply.size;
    try {
      entry.reply.add(frame.chunk);
    } catch (error) {
      // A malformed member, or the consumer's own refusal: this request fails, the link stays.
      entry.reject(
        error instanceof AmpkitError ? error : new WireError('BAD_REPLY', `reply to ${entry.method}: ${String(error)}`, { cause: error }),
      );
      return;
    }
    this.buffered += entry.reply.size - held;
    if (type === MessageType.COMMANDO_REPLY_TERM) this.settle(entry);
  }

  private settle(entry: Pending): void {
    try {
      const result = decodeReply(entry.method, entry.reply.join());
      // Members the streamer could not take out (a key it did not recognise) are given now.
      const members =
        entry.stream && result !== null && typeof result === 'object' ? (result as Record<string, unknown>)[entry.stream.array] : undefined;
      if (Array.isArray(members)) {
        for (const member of members.splice(0)) entry.stream!.onItem(member);
      }
      entry.resolve(result);
    } catch (error) {
      entry.reject(error as AmpkitError);
    }
  }
}
