/**
 * The LNC client: gRPC calls to lnd behind litd, over Lightning Node Connect. One call to
 * {@link connectLnc} builds the whole stack (README §0, §7): the two mailbox WebSockets,
 * go-back-N, MsgData, the Noise handshake (XX with the pairing phrase the first time, KK with
 * the stored keys after that), HTTP/2 and gRPC. The shape follows commando's `connect()`:
 * connection states, reconnection with backoff after a drop, typed errors, per-call timeout
 * and AbortSignal, and calls in flight when the link drops failed with a `CONNECTION` error
 * and never sent again.
 */
import { fromHex, textDecoder, toHex } from '../bytes.ts';
import { AmpkitError, WireError, invalidArgument } from '../errors.ts';
import { checkPrivateKey, checkPublicKey, randomPrivateKey } from '../noise.ts';
import { globalWebSocket, type WebSocketConstructor } from '../socket.ts';
import { longTimeout, reconnectDelay, type ReconnectPolicy } from '../timers.ts';
import { GbnConnection, GbnError, type GbnTimers } from './gbn.ts';
import { GrpcClient, type GrpcServerStream } from './grpc.ts';
import { LNC_VERSION_2, LncHandshakeError, LncInitiator } from './handshake.ts';
import { Http2Connection } from './http2.ts';
import { DEFAULT_MAILBOX_SERVER, MailboxConnection, MailboxError, mailboxUrls, type MailboxFailure } from './mailbox.ts';
import { decodeMsgData, encodeMsgData } from './msgdata.ts';
import { pairingPhraseWords, staticKeysSessionId, streamIdsOf, type LncStreamIds } from './session.ts';
import { LncMessageDecoder } from './transport.ts';

/** Where the client is: `failed` means reconnection gave up (or the first connection failed); `closed` means `close()` was called. */
export type LncConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed' | 'failed';

/**
 * What a connection failure means for the user, to show the right words:
 * - `SESSION_NOT_FOUND`: the mailbox has no such session: it expired or was revoked, the
 *   pairing phrase is wrong (or was already used), or litd is offline;
 * - `SESSION_IN_USE`: another client holds the session, e.g. another tab or device;
 * - `NOT_CONNECTED`: anything else: the mailbox is unreachable, the link dropped, a
 *   handshake failed or timed out.
 */
export type LncConnectionFailure = MailboxFailure;

/**
 * Why the LNC link failed or dropped. `reason` is the {@link LncConnectionFailure} to show;
 * `code` is `CONNECTION`, or `HANDSHAKE` / `PROTOCOL` / `BAD_MAC` when the peer's bytes were
 * wrong; `cause` holds the layer's own error (MailboxError, GbnError, LncHandshakeError…).
 * Calls in flight when the link drops are rejected with this error.
 */
export class LncConnectionError extends WireError {
  /** What the failure means for the session. */
  readonly reason: LncConnectionFailure;

  /** `detail` says what happened in plain words. */
  constructor(reason: LncConnectionFailure, detail: string, options?: { code?: WireError['code']; cause?: unknown }) {
    // The reason in `data` too: it crosses a worker's structured clone, where a field would not.
    super(options?.code ?? 'CONNECTION', `LNC: ${reason} (${detail})`, { cause: options?.cause, data: { reason } });
    this.name = 'LncConnectionError';
    this.reason = reason;
  }
}

/**
 * The keys of a paired session, to persist after the first connection: a pairing phrase
 * works only once, and every later connection (and reconnection) uses these with the KK
 * handshake. Keys are hex strings so they can be stored as JSON as they are. Keep them
 * secret: whoever holds them can use the session until it expires.
 */
export interface LncKeys {
  /** Our static private key, 64 hex characters. */
  localPrivateKey: string;
  /** litd's static public key, 66 hex characters (compressed). */
  remotePublicKey: string;
  /** The mailbox server the session lives on (`host:port`, or a `ws://`/`wss://` base URL). */
  mailbox: string;
}

/** Options shared by a pairing and a connection with stored keys. */
export interface LncCommonOptions {
  /**
   * The mailbox: `host:port`, reached over `wss://` (default {@link DEFAULT_MAILBOX_SERVER}),
   * or a base URL with its scheme, e.g. `ws://127.0.0.1:8080` for a local test mailbox
   * (plain `ws://` is only for tests). With `keys`, the keys' mailbox is the default.
   */
  mailbox?: string;
  /** WebSocket constructor; `globalThis.WebSocket` by default. In Node 20 pass `NodeWebSocket` from `@ampkit/wire/node`. */
  WebSocket?: WebSocketConstructor;
  /** Default timeout of unary calls in ms (60 000); `0` or `Infinity` waits as long as the link lives. */
  timeout?: number;
  /**
   * Time allowed for one connection attempt: sockets, go-back-N and Noise handshakes
   * (20 000 ms). scrypt runs before it starts.
   */
  connectTimeout?: number;
  /** Reconnection after a drop (always with KK once paired); `false` to stay down. */
  reconnect?: ReconnectPolicy;
  /**
   * go-back-N timing, for tests: shorter handshake and resend timeouts, ping and pong
   * times, or a clock driven by hand. The defaults are the reference's (`GBN_DEFAULTS`).
   */
  gbn?: { handshakeTimeoutMs?: number; resendTimeoutMs?: number; pingMs?: number; pongTimeoutMs?: number; timers?: GbnTimers };
}

/** Options of a first pairing: the ten-word phrase litd showed. */
export interface LncPairingOptions extends LncCommonOptions {
  /** The ten-word pairing phrase. Checked before anything opens: a bad one rejects with `INVALID_ARGUMENT`. */
  pairingPhrase: string;
  /** Our static private key (32 bytes or 64 hex); random when omitted, and handed back in {@link LncClient.keys}. */
  localPrivateKey?: Uint8Array | string;
}

/** Options of a connection to a session paired before. */
export interface LncKeysOptions extends LncCommonOptions {
  /** The keys {@link LncClient.keys} gave after the pairing; the keys may be bytes instead of hex. */
  keys: {
    localPrivateKey: Uint8Array | string;
    remotePublicKey: Uint8Array | string;
    mailbox?: string;
  };
}

/** Options of {@link connectLnc}: a pairing phrase, or stored keys. */
export type LncConnectOptions = LncPairingOptions | LncKeysOptions;

/** Options of one call. */
export interface LncCallOptions {
  /**
   * Timeout in ms (unary: the client's `timeout` by default; streams: none), sent as
   * `grpc-timeout` too. A unary call made while the client reconnects waits for the link
   * within this time. Fails the call with `TIMEOUT`.
   */
  timeout?: number;
  /** Cancels the call (RST_STREAM CANCEL to the server); it fails with `TIMEOUT`. */
  signal?: AbortSignal;
  /** Metadata for this call, added to the session's (lowercase names). */
  metadata?: Record<string, string>;
}

/** A connected LNC client. */
export interface LncClient {
  /** The current connection state. */
  readonly state: LncConnectionState;
  /**
   * The session's keys, for the caller to persist (a pairing phrase works once): set after
   * a pairing at handshake version 2 (every litd today), and with stored keys.
   */
  readonly keys: LncKeys | undefined;
  /** The auth data litd sent in the last handshake (`Macaroon: <hex>`), as text. */
  readonly authData: string;
  /**
   * Calls a unary method, e.g. `/lnrpc.Lightning/GetInfo`, with the protobuf request bytes;
   * resolves to the reply bytes. Rejects with `GrpcError` (the server's status), or
   * WireError: `TIMEOUT` (timeout or signal), `CONNECTION` ({@link LncConnectionError} when
   * the link dropped: never resent), `PROTOCOL`, `BAD_REPLY`, `INVALID_ARGUMENT`.
   */
  unary(method: string, request: Uint8Array, options?: LncCallOptions): Promise<Uint8Array>;
  /**
   * Starts a server-streaming call; iterate it for the messages, `cancel()` (or leave the
   * `for await`) to stop it. It ends with an {@link LncConnectionError} if the link drops:
   * its owner opens it again once the state is `open`. Started while the link is down, it
   * fails at once with that error.
   */
  serverStream(method: string, request: Uint8Array, options?: LncCallOptions): GrpcServerStream;
  /** Listens to state changes; returns the function that stops listening. */
  on(event: 'state', listener: (state: LncConnectionState, error?: AmpkitError) => void): () => void;
  /** Closes the link (go-back-N FIN to litd) and fails whatever is pending. */
  close(): void;
}

/**
 * Connects to lnd through litd over LNC and resolves once the handshake is done. With
 * `pairingPhrase`, the phrase is checked first (`INVALID_ARGUMENT` before anything opens),
 * then stretched with scrypt (about a second) before the sockets open, then paired with XX;
 * save {@link LncClient.keys} afterwards. With `keys`, it connects with KK. A failure
 * rejects with {@link LncConnectionError} (its `reason` says session not found, in use, or
 * not connected).
 *
 * @example
 * ```ts
 * const lnc = await connectLnc({ pairingPhrase: 'fringe try aim absurd minute lunch refuse spend keen math' });
 * localStorage.setItem('lnc', JSON.stringify(lnc.keys));
 * const info = await lnc.unary('/lnrpc.Lightning/GetInfo', new Uint8Array(0));
 * // later, in a new page:
 * const again = await connectLnc({ keys: JSON.parse(localStorage.getItem('lnc')!) });
 * ```
 */
export async function connectLnc(options: LncConnectOptions): Promise<LncClient> {
  const client = new Client(options);
  await client.start();
  return client;
}

interface Link {
  gbn: GbnConnection;
  mailbox: MailboxConnection;
  h2: Http2Connection;
  grpc: GrpcClient;
  end(error: AmpkitError): void;
}

interface Waiter {
  resolve(link: Link): void;
  reject(error: AmpkitError): void;
}

const DEFAULT_CONNECT_TIMEOUT = 20_000;

function keyBytes(value: unknown, what: string): Uint8Array {
  if (typeof value === 'string') return fromHex(value, what);
  if (value instanceof Uint8Array) return value;
  throw invalidArgument(`${what} must be hex or a Uint8Array`);
}

/** litd's auth data is `Name: value` lines (`NoiseGrpcConn.GetRequestMetadata`); grpc-go sends them with lowercase names. */
function metadataOf(authData: string): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const line of authData.split('\r\n')) {
    const at = line.indexOf(': ');
    if (at <= 0) continue;
    const name = line.slice(0, at).toLowerCase();
    const value = line.slice(at + 2);
    if (/^[0-9a-z_.-]+$/.test(name) && !name.startsWith('grpc-') && /^[\x20-\x7e]*$/.test(value)) metadata[name] = value;
  }
  return metadata;
}

/** The failure of one layer, as the user should hear it (the Go client's `statusFromError`, plus FIN as "not found"). */
function linkError(error: unknown): LncConnectionError {
  if (error instanceof LncConnectionError) return error;
  if (error instanceof MailboxError) return new LncConnectionError(error.reason, error.message, { cause: error, code: error.code });
  if (error instanceof GbnError) {
    // litd ends the session's connection with FIN when it drops the session or fails the handshake.
    const reason = error.reason === 'REMOTE_CLOSED' ? 'SESSION_NOT_FOUND' : 'NOT_CONNECTED';
    return new LncConnectionError(reason, error.message, { cause: error, code: error.code });
  }
  if (error instanceof WireError) return new LncConnectionError('NOT_CONNECTED', error.message, { cause: error, code: error.code });
  return new LncConnectionError('NOT_CONNECTED', String(error), { cause: error });
}

class Client implements LncClient {
  state: LncConnectionState = 'connecting';
  keys: LncKeys | undefined;
  authData = '';
  private readonly server: string;
  private readonly Ctor: WebSocketConstructor;
  private readonly localKey: Uint8Array;
  private remoteKey: Uint8Array | undefined;
  private readonly phrase: string | undefined;
  /** The pairing's stream ids and password, kept only until the session has moved to KK. */
  private pairing: { password: Uint8Array; streams: LncStreamIds } | undefined;
  private readonly listeners = new Set<(state: LncConnectionState, error?: AmpkitError) => void>();
  private waiters: Waiter[] = [];
  private link: Link | undefined;
  private attempt = 0;
  private cancelRetry: (() => void) | undefined;
  /** Ends the connection attempt under way, if any. */
  private attemptEnd: ((cause: unknown) => void) | undefined;

  constructor(private readonly options: LncConnectOptions) {
    if (!options || typeof options !== 'object') throw invalidArgument('connectLnc() needs an options object');
    const byKeys = 'keys' in options && options.keys !== undefined;
    const byPhrase = 'pairingPhrase' in options && options.pairingPhrase !== undefined;
    if (byKeys === byPhrase) throw invalidArgument('give either pairingPhrase (first pairing) or keys (a session paired before)');
    let mailbox = options.mailbox;
    if (byKeys) {
      const keys = (options as LncKeysOptions).keys;
      if (!keys || typeof keys !== 'object') throw invalidArgument('keys must be an object');
      this.localKey = checkPrivateKey(keyBytes(keys.localPrivateKey, 'keys.localPrivateKey').slice(), 'keys.localPrivateKey');
      this.remoteKey = checkPublicKey(keyBytes(keys.remotePublicKey, 'keys.remotePublicKey').slice(), 'keys.remotePublicKey');
      mailbox ??= keys.mailbox;
    } else {
      const { pairingPhrase, localPrivateKey } = options as LncPairingOptions;
      // Throws INVALID_ARGUMENT now for what is not ten words; an unknown word rejects start(),
      // before any scrypt work or socket (the word list comes with the pairing code, on demand).
      pairingPhraseWords(pairingPhrase);
      this.phrase = pairingPhrase;
      this.localKey =
        localPrivateKey === undefined
          ? randomPrivateKey()
          : checkPrivateKey(keyBytes(localPrivateKey, 'localPrivateKey').slice(), 'localPrivateKey');
    }
    this.server = mailbox ?? DEFAULT_MAILBOX_SERVER;
    mailboxUrls(this.server); // checks it
    if (this.remoteKey) this.keys = this.keysNow();
    const Ctor = options.WebSocket ?? globalWebSocket();
    if (!Ctor) throw invalidArgument('no WebSocket available: pass options.WebSocket (in Node 20, NodeWebSocket from @ampkit/wire/node)');
    this.Ctor = Ctor;
  }

  /** First connection: its failure rejects connectLnc() and leaves the client failed. */
  async start(): Promise<void> {
    try {
      if (this.phrase !== undefined) {
        // scrypt before the sockets: litd waits only 5 s for each handshake act (README §5.5).
        const { preparePairing } = await import('./phrase.ts');
        const { password, streams } = await preparePairing(this.phrase);
        this.pairing = { password, streams };
      }
      await this.open();
    } catch (error) {
      const failure = error instanceof AmpkitError ? error : linkError(error);
      this.setState('failed', failure);
      this.rejectWaiters(failure);
      throw failure;
    }
  }

  on(event: 'state', listener: (state: LncConnectionState, error?: AmpkitError) => void): () => void {
    if (event !== 'state') throw invalidArgument(`unknown event ${String(event)}`);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async unary(method: string, request: Uint8Array, options: LncCallOptions = {}): Promise<Uint8Array> {
    if (!(request instanceof Uint8Array)) throw invalidArgument('request must be a Uint8Array');
    const timeout = options.timeout ?? this.options.timeout ?? 60_000;
    const started = Date.now();
    const link = this.link && this.state === 'open' ? this.link : await this.whenOpen(method, timeout, options.signal);
    const left = timeout > 0 && timeout !== Infinity ? Math.max(1, timeout - (Date.now() - started)) : timeout;
    return link.grpc.unary(method, request, { ...options, timeout: left });
  }

  serverStream(method: string, request: Uint8Array, options: LncCallOptions = {}): GrpcServerStream {
    if (!(request instanceof Uint8Array)) throw invalidArgument('request must be a Uint8Array');
    if (this.link && this.state === 'open') return this.link.grpc.serverStream(method, request, options);
    return failedStream(method, this.notOpen(method));
  }

  close(): void {
    if (this.state === 'closed') return;
    this.cancelRetry?.();
    this.cancelRetry = undefined;
    this.setState('closed');
    const error = clientClosed();
    this.rejectWaiters(error);
    const link = this.link;
    this.link = undefined;
    link?.end(error);
    this.attemptEnd?.(error);
  }

  private keysNow(): LncKeys {
    return { localPrivateKey: toHex(this.localKey), remotePublicKey: toHex(this.remoteKey!), mailbox: this.server };
  }

  private notOpen(method: string): AmpkitError {
    if (this.state === 'closed' || this.state === 'failed') {
      return new WireError('CONNECTION', `cannot call ${method}: the LNC client is ${this.state}`);
    }
    return new LncConnectionError('NOT_CONNECTED', `cannot call ${method}: the LNC link is ${this.state}`);
  }

  /** Waits for the link to open, within `timeout` and until `signal`; closed or failed rejects at once. */
  private whenOpen(method: string, timeout: number, signal: AbortSignal | undefined): Promise<Link> {
    if (this.state === 'closed' || this.state === 'failed') return Promise.reject(this.notOpen(method));
    if (signal?.aborted) return Promise.reject(new WireError('TIMEOUT', `${method} aborted by its signal`));
    return new Promise<Link>((resolve, reject) => {
      let cancelTimer: (() => void) | undefined;
      const done = () => {
        cancelTimer?.();
        signal?.removeEventListener('abort', onAbort);
        this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      const waiter: Waiter = {
        resolve: (link) => {
          done();
          resolve(link);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      const onAbort = () => waiter.reject(new WireError('TIMEOUT', `${method} aborted by its signal`));
      signal?.addEventListener('abort', onAbort);
      if (timeout > 0 && timeout !== Infinity) {
        cancelTimer = longTimeout(
          () => waiter.reject(new WireError('TIMEOUT', `${method}: the LNC link did not open within ${timeout} ms`)),
          timeout,
        );
      }
      this.waiters.push(waiter);
    });
  }

  private rejectWaiters(error: AmpkitError): void {
    for (const waiter of [...this.waiters]) waiter.reject(error);
    this.waiters = [];
  }

  private setState(state: LncConnectionState, error?: AmpkitError): void {
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

  /** One connection attempt: sockets, go-back-N, Noise, HTTP/2. Resolves once calls can go. */
  private async open(): Promise<void> {
    const limit = this.options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT;
    const kk = this.remoteKey !== undefined;
    const streams = kk ? streamIdsOf(staticKeysSessionId(this.localKey, this.remoteKey!)) : this.pairing!.streams;
    let mailbox: MailboxConnection;
    try {
      mailbox = await MailboxConnection.open({ server: this.server, streams, WebSocket: this.Ctor, openTimeoutMs: limit });
    } catch (error) {
      throw linkError(error);
    }
    if (this.state === 'closed') {
      mailbox.close();
      throw clientClosed();
    }
    const initiator = new LncInitiator(
      kk
        ? { localPrivateKey: this.localKey, remotePublicKey: this.remoteKey! }
        : { localPrivateKey: this.localKey, password: this.pairing!.password },
    );
    const gbn = new GbnConnection({ ...this.options.gbn, role: 'client', send: (packet) => mailbox.send(packet) });

    await new Promise<void>((resolve, reject) => {
      let ended = false;
      let opened = false;
      let link: Link | undefined;
      let decoder: LncMessageDecoder | undefined;
      const cancelTimer = longTimeout(
        () => end(new LncConnectionError('NOT_CONNECTED', `the LNC handshake did not finish within ${limit} ms`, { code: 'TIMEOUT' })),
        limit,
      );
      const end = (cause: unknown) => {
        if (ended) return;
        ended = true;
        cancelTimer();
        const error = isClientClosed(cause) ? cause : linkError(cause);
        gbn.close(); // FIN if the link is still up (our close()); nothing otherwise
        mailbox.close();
        if (this.attemptEnd === end) this.attemptEnd = undefined;
        if (!opened) {
          link?.h2.close(error);
          reject(error);
          return;
        }
        // Calls in flight fail with the link's error; they are never sent again.
        link!.h2.close(error);
        if (this.link === link) {
          this.link = undefined;
          this.onDrop(error);
        }
      };
      // close() during the handshake ends this attempt at once.
      this.attemptEnd = end;
      mailbox.onPacket = (packet) => gbn.receive(packet);
      mailbox.onClose = (error) => end(error ?? new LncConnectionError('NOT_CONNECTED', 'the mailbox connection closed'));
      gbn.onClose = (error) => end(error ?? new LncConnectionError('NOT_CONNECTED', 'the go-back-N connection closed'));
      gbn.onMessage = (frame) => {
        if (ended) return;
        try {
          const { payload } = decodeMsgData(frame);
          if (decoder) {
            for (const message of decoder.push(payload)) link!.h2.receive(message);
            return;
          }
          initiator.readActTwo(payload);
          if (initiator.pattern === 'XX') gbn.send(encodeMsgData(initiator.actThree()));
          const result = initiator.finish();
          const transport = result.transport;
          decoder = new LncMessageDecoder(transport);
          const h2 = new Http2Connection({
            // Each HTTP/2 write (at most 65 535 bytes) is one Noise message in one MsgData.
            write: (bytes) => {
              if (!ended) gbn.send(encodeMsgData(transport.encrypt(bytes)));
            },
            onClose: (error) => {
              if (error)
                end(new LncConnectionError('NOT_CONNECTED', `HTTP/2 failed: ${error.message}`, { code: error.code, cause: error }));
            },
            // grpc-go sends GOAWAY when it shuts down: this link takes no new calls, so start a new one.
            onGoAway: (_last, code, debug) =>
              end(new LncConnectionError('NOT_CONNECTED', `the server sent GOAWAY (code ${code}${debug ? `: ${debug}` : ''})`)),
          });
          this.authData = textDecoder.decode(result.authData);
          const grpc = new GrpcClient(h2, { metadata: metadataOf(this.authData), timeout: this.options.timeout ?? 60_000 });
          h2.start();
          link = { gbn, mailbox, h2, grpc, end };
          if (!kk && result.version >= LNC_VERSION_2) {
            // The session now lives on the static keys' streams; the phrase will not work again.
            this.remoteKey = result.remotePublicKey.slice();
            this.pairing = undefined;
            this.keys = this.keysNow();
          }
          cancelTimer();
          if (this.state === 'closed') {
            end(clientClosed());
            return;
          }
          opened = true;
          this.link = link;
          this.attempt = 0;
          this.setState('open');
          for (const waiter of [...this.waiters]) waiter.resolve(link);
          resolve();
        } catch (error) {
          end(
            error instanceof LncHandshakeError
              ? new LncConnectionError('NOT_CONNECTED', error.message, { code: 'HANDSHAKE', cause: error })
              : error,
          );
        }
      };
      gbn.start();
      try {
        gbn.send(encodeMsgData(initiator.actOne()));
      } catch (error) {
        end(error);
      }
    });
  }

  private onDrop(error: AmpkitError): void {
    if (this.state === 'closed' || this.state === 'failed') return;
    this.scheduleReconnect(error);
  }

  private scheduleReconnect(cause: AmpkitError): void {
    const delay = reconnectDelay(this.options.reconnect, this.attempt);
    if (delay === undefined) {
      this.setState('failed', cause);
      this.rejectWaiters(new WireError('CONNECTION', `gave up reconnecting: ${cause.message}`, { cause }));
      return;
    }
    this.setState('reconnecting', cause);
    this.attempt++;
    this.cancelRetry = longTimeout(() => {
      this.cancelRetry = undefined;
      // Once paired, every attempt is KK on the static keys' streams, with a fresh ephemeral key.
      this.open().catch((e: AmpkitError) => {
        if (this.state !== 'closed') this.scheduleReconnect(e);
      });
    }, delay);
  }
}

const CLIENT_CLOSED = 'the LNC client was closed';
function clientClosed(): WireError {
  return new WireError('CONNECTION', CLIENT_CLOSED);
}
function isClientClosed(error: unknown): error is WireError {
  return error instanceof WireError && !(error instanceof LncConnectionError) && error.message === CLIENT_CLOSED;
}

/** A stream that fails at once: the link is down (its owner opens it again on `open`). */
function failedStream(method: string, error: AmpkitError): GrpcServerStream {
  let done = false;
  return {
    method,
    cancel: () => {
      done = true;
    },
    [Symbol.asyncIterator]: () => ({
      next: () => {
        if (done) return Promise.resolve({ value: undefined, done: true });
        done = true;
        return Promise.reject(error);
      },
      return: () => {
        done = true;
        return Promise.resolve({ value: undefined, done: true });
      },
    }),
  };
}
