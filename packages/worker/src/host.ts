/**
 * The host: the connection to the node (commando to Core Lightning, or LNC to LND), the
 * engine and its journal, driven by the client. In a Web Worker it is served by ./rpc.ts;
 * where no worker can start, the client runs the same host in the page. Calls and events
 * carry plain records only. LNC and the LND adapter are imported only for an LND node, so
 * they load as chunks of their own.
 */
import { AmpkitError, connect, type ConnectionState } from '@ampkit/wire';
import { clnNode, createEngine, indexedDbStore, memoryStore, type Engine, type EngineEvents, type Node } from '@ampkit/core';
import { loadLncKeys, saveLncKeys } from './lnc-keys.ts';
import { broadcastPeers, holdLock, webLocks } from './platform.ts';
import {
  ENGINE_METHODS,
  serializeError,
  type AmpkitEvents,
  type EngineMethod,
  type HostApi,
  type HostOptions,
  type Outcome,
} from './protocol.ts';

const EVENTS: (keyof EngineEvents)[] = [
  'part-created',
  'part-updated',
  'payment-updated',
  'pay-progress',
  'invoice-updated',
  'invoice-part',
  'invoice-part-gone',
  'invoice-paid',
  'invoice-expired',
  'error',
];

/** The databases' default prefix (the journal's `indexedDbStore` default). */
const DATABASE = 'ampkit';

/** Default of {@link HostOptions.maxBufferedReplyBytes}: 128 MiB (why: AmpkitOptions.maxBufferedReplyBytes). */
const MAX_BUFFERED_REPLY_BYTES = 128 * 1024 * 1024;

/** What the host needs of either connection. */
interface Link {
  readonly state: ConnectionState;
  on(event: 'state', listener: (state: ConnectionState) => void): unknown;
  close(): void;
}

/** Runs one engine for one client. */
export class AmpkitHost implements HostApi {
  private client?: Link;
  private engine?: Engine;
  private channel?: { close(): void };
  private closed = false;
  /** Releases this host's hold on its LNC session (a Web Lock), so another tab may take it. */
  private session?: (() => void) | undefined;

  /**
   * Connects to the node, opens the journal and starts the engine; every engine event and
   * every connection state goes to `listener`, in order. Gives the connection's state, or
   * the error as a record (code kept: `STORAGE` for a journal this version cannot open,
   * `PERMISSION` for a refused rune; `CONNECTION` for anything untyped).
   */
  async open(options: HostOptions, listener: (type: keyof AmpkitEvents, detail: unknown) => void): Promise<Outcome> {
    try {
      return { value: await this.start(options, listener) };
    } catch (error) {
      const typed = error instanceof AmpkitError || serializeError(error).code === 'STORAGE';
      return {
        error: serializeError(
          typed
            ? error
            : new AmpkitError('CONNECTION', `could not open the node: ${(error as Error)?.message ?? String(error)}`, { cause: error }),
        ),
      };
    }
  }

  private async start(
    options: HostOptions,
    listener: (type: keyof AmpkitEvents, detail: unknown) => void,
  ): Promise<{ state: ConnectionState; nodeId: string }> {
    if (this.client) throw new Error('the host is already open');
    const tell = (type: keyof AmpkitEvents, detail: unknown): void => {
      if (this.closed) return;
      // A listener that throws (a client gone away) is not our failure.
      void Promise.resolve()
        .then(() => listener(type, detail))
        .catch(() => undefined);
    };
    const { client, node } = options.lnc ? await this.lnd(options) : await this.cln(options);
    this.client = client;
    client.on('state', (state) => tell('state', state));
    const shared = options.storage === 'indexeddb';
    const peers = shared ? broadcastPeers(`ampkit:${node.id}`) : undefined;
    const lock = shared ? webLocks() : undefined;
    this.channel = peers;
    try {
      this.engine = await createEngine({
        node,
        store: shared ? indexedDbStore(options.database ? { name: options.database } : {}) : memoryStore(),
        ...(lock ? { lock } : {}),
        ...(peers ? { peers } : {}),
      });
    } catch (error) {
      peers?.close();
      client.close();
      throw error;
    }
    for (const type of EVENTS) {
      this.engine.on(type, (detail) => tell(type, type === 'error' ? serializeError(detail) : detail));
    }
    return { state: client.state, nodeId: node.id };
  }

  private async cln(options: HostOptions): Promise<{ client: Link; node: Node }> {
    const client = await connect({
      nodeId: options.nodeId!,
      url: options.url!,
      rune: options.rune!,
      reconnect: { attempts: Infinity, minDelay: 250, maxDelay: 10_000 },
      maxBufferedReplyBytes: options.maxBufferedReplyBytes ?? MAX_BUFFERED_REPLY_BYTES,
    });
    return { client, node: clnNode(client) };
  }

  /**
   * LND over LNC: pairs with the phrase (and keeps the keys it hands back for the next
   * visit), or connects with the keys given or kept; the engine's node is `lndNode`.
   */
  private async lnd(options: HostOptions): Promise<{ client: Link; node: Node }> {
    const lnc = options.lnc!;
    const prefix = options.database ?? DATABASE;
    const [{ connectLnc }, { lndNode }] = await Promise.all([import('@ampkit/wire/lnc'), import('@ampkit/core/lnd')]);
    const reconnect = { attempts: Infinity, minDelay: 250, maxDelay: 10_000 };
    const mailbox = lnc.mailbox !== undefined ? { mailbox: lnc.mailbox } : {};
    let client;
    if (lnc.pairingPhrase !== undefined) {
      client = await connectLnc({ pairingPhrase: lnc.pairingPhrase, reconnect, ...mailbox });
      // The new session is this tab's from now on: another tab with the kept keys hears so.
      if (client.keys) this.session = await holdLock(sessionLock(client.keys.remotePublicKey));
    } else {
      const keys = lnc.keys ?? (await loadLncKeys(prefix));
      if (!keys) {
        throw new AmpkitError(
          'INVALID_ARGUMENT',
          'no pairing phrase, and no LNC keys kept from an earlier pairing on this site: pair with a phrase',
          {
            data: { reason: 'not-paired' },
          },
        );
      }
      // A session carries one link at a time: a tab already on it is said at once (SESSION_IN_USE),
      // not after the mailbox gave up waiting for a node that is busy with the other tab.
      this.session = await holdLock(sessionLock(keys.remotePublicKey));
      if (!this.session) {
        throw new AmpkitError('CONNECTION', 'this LNC session is in use in another tab or window of this site', {
          data: { reason: 'SESSION_IN_USE' },
        });
      }
      client = await connectLnc({ keys, reconnect, ...mailbox });
    }
    try {
      // The phrase pairs once: keep what lets the next visit in (the keys change only with a new pairing).
      if (client.keys && lnc.pairingPhrase !== undefined) await saveLncKeys(prefix, client.keys);
      return { client, node: await lndNode(client) };
    } catch (error) {
      client.close();
      throw error;
    }
  }

  /** Calls one engine method; its result, or its error as a record. */
  async call(method: EngineMethod, input: unknown): Promise<Outcome> {
    try {
      if (!ENGINE_METHODS.includes(method)) throw new TypeError(`unknown method ${String(method)}`);
      if (!this.engine) throw new Error('the host is not open');
      const value: unknown = await (this.engine[method] as (input: unknown) => Promise<unknown>).call(this.engine, input);
      return { value };
    } catch (error) {
      return { error: serializeError(error) };
    }
  }

  /** Stops the engine (the journal keeps every pending part), closes the socket and the channel. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.engine?.close();
    this.channel?.close();
    this.client?.close();
    this.session?.();
  }
}

/** The Web Lock that says an LNC session (known by litd's key for it) has a link from this site. */
const sessionLock = (remotePublicKey: string): string => `ampkit-lnc:${remotePublicKey}`;
