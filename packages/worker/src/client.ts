/**
 * `createAmpkit()`: the page's one entry. It starts the engine in a Web Worker (the
 * socket, the journal and every wait live there, off the page's main thread) and gives a
 * typed client whose methods are the engine's. Where no worker may start (a
 * Content-Security-Policy without `worker-src`, a browser without module workers) the
 * same host runs in the page, with the same API, and the console says so.
 */
import { remoteHost } from './rpc.ts';
import { AmpkitError, type ConnectionState } from '@ampkit/wire';
import {
  ENGINE_METHODS,
  deserializeError,
  type AmpkitEvents,
  type EngineMethod,
  type EngineMethods,
  READY,
  type HostApi,
  type HostOptions,
  type Outcome,
  type SerializedError,
  type Storage,
  type HostLncOptions,
  forgetLncKeys,
  isLncKeys,
} from './protocol.ts';
import type { LncKeys } from '@ampkit/wire/lnc';

/**
 * How to reach an LND node through Lightning Terminal over Lightning Node Connect. The first
 * time, `pairingPhrase`: the ten words Lightning Terminal shows for a new session (a phrase
 * pairs once). The keys that pairing hands back are kept in IndexedDB for this site, so the
 * next visit passes `lnc: {}` and connects with them, until {@link AmpkitClient.forget}.
 */
export interface AmpkitLncOptions {
  /** The ten words of a new Lightning Terminal session, for a first pairing. */
  pairingPhrase?: string;
  /** Keys of an earlier pairing kept by the page itself, instead of those kept by ampkit. */
  keys?: LncKeys;
  /** The mailbox, `host:port` (`mailbox.terminal.lightning.today:443` by default). */
  mailbox?: string;
}

/** Options of {@link createAmpkit}: a Core Lightning node (`nodeId`, `url`, `rune`) or an LND node (`lnc`). */
export interface AmpkitOptions {
  /** Core Lightning: the node's public key, 66 hex characters. */
  nodeId?: string;
  /** Core Lightning: the node's WebSocket listener, e.g. `wss://node.example:5019`. */
  url?: string;
  /** Core Lightning: a rune from the node's `createrune`, restricted to what the page needs. */
  rune?: string;
  /** LND through Lightning Terminal: see {@link AmpkitLncOptions}. Give this or nodeId, url and rune. */
  lnc?: AmpkitLncOptions;
  /**
   * Where the engine's journal lives: `'indexeddb'` (default; kept across reloads, shared
   * by the origin's tabs, which then coordinate through Web Locks and a BroadcastChannel)
   * or `'memory'` (this client only, gone with it).
   */
  storage?: Storage;
  /**
   * Where the engine runs. `true` (default): in a Web Worker started from
   * `ampkit-worker.js` beside `ampkit.js`; a string or URL: from that worker script (it
   * may be on another origin, e.g. a CDN); `false`: in the page.
   */
  worker?: boolean | string | URL;
  /** Prefix of the IndexedDB database's name (`ampkit`); one database per node. */
  database?: string;
  /**
   * Most bytes of unfinished node replies the connection holds at once, across every
   * request in flight (128 MiB). The worker shares the tab's memory with the page, so it
   * asks for less than `@ampkit/wire`'s own 256 MiB, still more than twice the largest
   * the engine needs at once (mainnet's `listchannels` and `listnodes`, about 55 MB, for
   * the local planner). A node streaming past it fails that request with `BAD_REPLY`.
   */
  maxBufferedReplyBytes?: number;
}

/** The client of one node: every engine method, its events, the connection's state. */
export interface AmpkitClient extends EngineMethods {
  /** The node's public key (over LNC, as the node told it once connected). */
  readonly nodeId: string;
  /** Where the engine runs: `worker`, or `page` when no worker could start. */
  readonly mode: 'worker' | 'page';
  /** The connection to the node, as last reported. */
  readonly state: ConnectionState;
  /** Listens to an event; returns the function that stops listening. */
  on<K extends keyof AmpkitEvents>(type: K, listener: (detail: AmpkitEvents[K]) => void): () => void;
  /**
   * Stops the engine, closes the socket and ends the worker. The journal keeps every
   * pending part: a new client picks it up. Later calls fail with `CONNECTION`.
   */
  close(): Promise<void>;
  /**
   * Closes the client, then deletes the LNC keys kept for this site (and this `database`
   * prefix): the next `createAmpkit({ lnc })` needs a new pairing phrase. The session stays
   * valid in Lightning Terminal until revoked there. Harmless for a Core Lightning node.
   */
  forget(): Promise<void>;
}

/** How long a worker gets to load and answer before the engine runs in the page instead. */
const WORKER_START_MS = 10_000;

const invalid = (message: string): AmpkitError => new AmpkitError('INVALID_ARGUMENT', message);

/** The LNC options, checked; the words of the phrase are checked against the list when it pairs. */
function checkLnc(lnc: AmpkitLncOptions): HostLncOptions {
  if (lnc === null || typeof lnc !== 'object') throw invalid('lnc must be an object: { pairingPhrase } or {} (kept keys)');
  const { pairingPhrase, keys, mailbox } = lnc;
  if (pairingPhrase !== undefined && (typeof pairingPhrase !== 'string' || pairingPhrase.trim().split(/\s+/u).length !== 10))
    throw invalid('lnc.pairingPhrase must be the ten words Lightning Terminal shows');
  if (pairingPhrase !== undefined && keys !== undefined) throw invalid('give lnc.pairingPhrase (a first pairing) or lnc.keys, not both');
  if (keys !== undefined && !isLncKeys(keys))
    throw invalid('lnc.keys must be the keys a pairing gave: { localPrivateKey, remotePublicKey, mailbox }');
  if (mailbox !== undefined && (typeof mailbox !== 'string' || mailbox.length === 0)) throw invalid('lnc.mailbox must be host:port');
  return {
    ...(pairingPhrase !== undefined ? { pairingPhrase } : {}),
    ...(keys !== undefined ? { keys: { ...keys } } : {}),
    ...(mailbox !== undefined ? { mailbox } : {}),
  };
}

function checkOptions(options: AmpkitOptions): HostOptions {
  if (options === null || typeof options !== 'object') throw invalid('createAmpkit() needs { nodeId, url, rune } or { lnc }');
  const { nodeId, url, rune, lnc, storage = 'indexeddb', database, maxBufferedReplyBytes } = options;
  if (lnc !== undefined && (nodeId !== undefined || url !== undefined || rune !== undefined))
    throw invalid('give lnc (an LND node) or nodeId, url and rune (a Core Lightning node), not both');
  if (lnc === undefined) {
    if (typeof nodeId !== 'string' || !/^0[23][0-9a-fA-F]{64}$/.test(nodeId))
      throw invalid("nodeId must be the node's public key: 66 hex characters");
    if (typeof url !== 'string' || !/^wss?:\/\/./.test(url)) throw invalid("url must be the node's ws:// or wss:// address");
    if (typeof rune !== 'string' || rune.length === 0) throw invalid("rune must be a rune string from the node's createrune");
  }
  if (storage !== 'indexeddb' && storage !== 'memory') throw invalid("storage must be 'indexeddb' or 'memory'");
  if (database !== undefined && (typeof database !== 'string' || database.length === 0))
    throw invalid('database must be a non-empty string');
  if (maxBufferedReplyBytes !== undefined && !(typeof maxBufferedReplyBytes === 'number' && maxBufferedReplyBytes > 0)) {
    throw invalid('maxBufferedReplyBytes must be a number of bytes, more than 0');
  }
  const w = options.worker;
  if (w !== undefined && typeof w !== 'boolean' && typeof w !== 'string' && !(w instanceof URL))
    throw invalid('worker must be true, false, or the URL of ampkit-worker.js');
  return {
    ...(lnc !== undefined ? { lnc: checkLnc(lnc) } : { nodeId: nodeId!.toLowerCase(), url: url!, rune: rune! }),
    storage,
    ...(database !== undefined ? { database } : {}),
    ...(maxBufferedReplyBytes !== undefined ? { maxBufferedReplyBytes } : {}),
  };
}

/** The worker script: given, or `ampkit-worker.js` beside this module. */
function workerScript(worker: AmpkitOptions['worker']): URL {
  if (typeof worker === 'string' || worker instanceof URL) return new URL(worker, globalThis.location?.href);
  return new URL('./ampkit-worker.js', import.meta.url);
}

/**
 * Starts the worker and waits until it says it is ready (it posts {@link READY} once its
 * host listens). A script on another origin cannot start a worker directly; a blob module
 * on this origin that imports it can. The import is dynamic on purpose: a module worker's
 * static imports are fetched as workers (`worker-src`), a dynamic import as a script
 * (`script-src`), which already allows the origin `ampkit.js` came from. The script must be
 * served with CORS, as CDNs do, and `worker-src` must allow `blob:`.
 */
async function startWorker(script: URL): Promise<{ worker: Worker; remote: ReturnType<typeof remoteHost> }> {
  const sameOrigin = script.origin === globalThis.location?.origin;
  const source = `import(${JSON.stringify(script.href)}).catch((e) => setTimeout(() => { throw e; }));`;
  const shim = sameOrigin ? undefined : URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  try {
    const worker = new Worker(shim ?? script, { type: 'module', name: 'ampkit' });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer within ${WORKER_START_MS / 1000} s`)), WORKER_START_MS);
        const ready = (event: MessageEvent) => {
          if (event.data !== READY) return;
          clearTimeout(timer);
          worker.removeEventListener('message', ready);
          resolve();
        };
        worker.addEventListener('message', ready);
        worker.addEventListener(
          'error',
          (event) => {
            clearTimeout(timer);
            reject(new Error(event.message || 'the worker script did not load'));
          },
          { once: true },
        );
      });
    } catch (error) {
      worker.terminate();
      throw error;
    }
    return { worker, remote: remoteHost(worker) };
  } finally {
    if (shim) URL.revokeObjectURL(shim);
  }
}

/** The host in this page: the worker script imported as a module. */
async function pageHost(script: URL): Promise<HostApi> {
  let module: { AmpkitHost?: new () => HostApi };
  try {
    module = (await import(/* @vite-ignore */ /* webpackIgnore: true */ script.href)) as typeof module;
  } catch (error) {
    throw new AmpkitError('CONNECTION', `could not load the engine from ${script.href}: ${(error as Error).message}`, { cause: error });
  }
  if (typeof module.AmpkitHost !== 'function') throw new AmpkitError('CONNECTION', `${script.href} is not ampkit-worker.js`);
  return new module.AmpkitHost();
}

/**
 * Connects to a node and starts the engine, in a Web Worker where one may start.
 *
 * @example
 * ```ts
 * import { createAmpkit } from 'https://cdn.example/ampkit/ampkit.js';
 *
 * const ampkit = await createAmpkit({ nodeId, url: 'wss://node.example:5019', rune });
 * ampkit.on('invoice-part', (part) => console.log('held', part.partial_amount_msat));
 * const invoice = await ampkit.invoice({ amount_msat: 42_000, description: 'coffee' });
 * const paid = await ampkit.waitinvoice({ payment_hash: invoice.payment_hash });
 * await ampkit.close();
 * ```
 */
export async function createAmpkit(options: AmpkitOptions): Promise<AmpkitClient> {
  const hostOptions = checkOptions(options);
  const script = workerScript(options.worker);
  let worker: Worker | undefined;
  let remote: ReturnType<typeof remoteHost> | undefined;
  if (options.worker !== false) {
    try {
      if (typeof Worker === 'undefined') throw new Error('this browser has no Web Workers');
      ({ worker, remote } = await startWorker(script));
    } catch (error) {
      console.warn(`ampkit: no Web Worker could start (${(error as Error).message}); the engine runs in this page instead`);
    }
  }
  const host: HostApi = remote ?? (await pageHost(script));

  const listeners = new Map<keyof AmpkitEvents, Set<(detail: never) => void>>();
  let state: ConnectionState = 'connecting';
  let closed = false;
  const dispatch = (type: keyof AmpkitEvents, detail: unknown): void => {
    if (closed && type !== 'state') return;
    if (type === 'state') state = detail as ConnectionState;
    const value = type === 'error' ? deserializeError(detail as SerializedError) : detail;
    for (const listener of [...(listeners.get(type) ?? [])]) {
      try {
        (listener as (detail: unknown) => void)(value);
      } catch (error) {
        console.error(`ampkit: a ${type} listener threw`, error);
      }
    }
  };
  if (worker) {
    // A worker that dies later (out of memory, a crash) is reported; its pending calls fail.
    worker.addEventListener('error', (event) => {
      const message = `the ampkit worker failed: ${event.message}`;
      remote?.fail(message);
      dispatch('error', { code: 'CONNECTION', message });
    });
  }

  const end = (): void => {
    remote?.fail('the client was closed');
    worker?.terminate();
  };
  let opened: Outcome;
  try {
    opened = await host.open(hostOptions, dispatch);
  } catch (error) {
    opened = { error: { code: 'CONNECTION', message: `could not open the node: ${(error as Error).message}` } };
  }
  if ('error' in opened) {
    await Promise.resolve(host.close()).catch(() => undefined);
    end();
    throw deserializeError(opened.error);
  }
  const { state: openState, nodeId } = opened.value as { state: ConnectionState; nodeId: string };
  state = openState;

  const invoke = async (method: EngineMethod, input: unknown): Promise<unknown> => {
    if (closed) throw new AmpkitError('CONNECTION', 'the client was closed');
    let outcome;
    try {
      outcome = await host.call(method, input);
    } catch (error) {
      // Input the structured clone refuses (a function, a DOM node) never reached the engine.
      if ((error as Error)?.name === 'DataCloneError')
        throw invalid(`${method}: the input must be plain data (${(error as Error).message})`);
      throw new AmpkitError('CONNECTION', `${method} could not reach the engine: ${(error as Error).message}`, { cause: error });
    }
    if ('error' in outcome) throw deserializeError(outcome.error);
    return outcome.value;
  };

  const client = {
    nodeId,
    mode: worker ? 'worker' : 'page',
    get state() {
      return state;
    },
    on<K extends keyof AmpkitEvents>(type: K, listener: (detail: AmpkitEvents[K]) => void): () => void {
      let set = listeners.get(type);
      if (!set) listeners.set(type, (set = new Set()));
      set.add(listener as (detail: never) => void);
      return () => set.delete(listener as (detail: never) => void);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      try {
        await host.close();
      } finally {
        end();
        dispatch('state', 'closed');
        listeners.clear();
      }
    },
    async forget(): Promise<void> {
      await client.close();
      await forgetLncKeys(hostOptions.database ?? 'ampkit');
    },
  } as AmpkitClient;
  for (const method of ENGINE_METHODS) {
    (client as unknown as Record<string, (input?: unknown) => Promise<unknown>>)[method] = (input?: unknown) => invoke(method, input);
  }
  return client;
}
