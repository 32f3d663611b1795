/**
 * What crosses between the page's client and the host that runs the engine (in a worker,
 * or in the page when no worker can start): the engine methods a client may call, call
 * outcomes, and errors as plain records, since a structured clone keeps neither an
 * error's class nor its `code`.
 */
import { AmpkitError } from '@ampkit/wire';
import type { ConnectionState } from '@ampkit/wire';
import type { Engine, EngineEvents } from '@ampkit/core';
import type { LncKeys } from '@ampkit/wire/lnc';

/** What the worker posts once its host listens: calls may come. */
export const READY = 'ampkit:ready';

/** The engine methods the client carries, by name. */
export const ENGINE_METHODS = [
  'sendpartialpay',
  'waitpartialpay',
  'waitsendpay',
  'listpartialpayments',
  'listpayments',
  'checkpayment',
  'pay',
  'decode',
  'getinfo',
  'invoice',
  'listinvoices',
  'listpartialinvoices',
  'waitinvoice',
  'ready',
] as const;

/** One of {@link ENGINE_METHODS}. */
export type EngineMethod = (typeof ENGINE_METHODS)[number];

/** Every engine event, and `state`: the connection to the node changed. */
export interface AmpkitEvents extends EngineEvents {
  /** The connection to the node: `connecting`, `open`, `reconnecting`, `closed` or `failed`. */
  state: ConnectionState;
}

/** Where the journal lives: IndexedDB (shared by the origin's tabs, kept across reloads) or memory (this client only). */
export type Storage = 'indexeddb' | 'memory';

/** How the host reaches an LND node over Lightning Node Connect (see `AmpkitOptions.lnc`). */
export interface HostLncOptions {
  /** A first pairing's ten words; without it, `keys` or the keys kept by an earlier pairing. */
  pairingPhrase?: string;
  /** Keys of an earlier pairing the page kept itself. */
  keys?: LncKeys;
  /** The mailbox (`host:port` or a ws(s):// base URL); the session's own once paired. */
  mailbox?: string;
}

/** What the host needs to start: the node and how to reach it (commando: nodeId, url, rune; or lnc). */
export interface HostOptions {
  nodeId?: string;
  url?: string;
  rune?: string;
  lnc?: HostLncOptions;
  storage: Storage;
  /** Name of the IndexedDB database prefix (`ampkit`). */
  database?: string;
  /** The connection's cap on unfinished replies, in bytes (see {@link AmpkitOptions.maxBufferedReplyBytes}). */
  maxBufferedReplyBytes?: number;
}

/** Whether a stored value is a set of LNC keys. */
export function isLncKeys(value: unknown): value is LncKeys {
  const v = value as Partial<LncKeys> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.localPrivateKey === 'string' &&
    /^[0-9a-f]{64}$/.test(v.localPrivateKey) &&
    typeof v.remotePublicKey === 'string' &&
    /^0[23][0-9a-f]{64}$/.test(v.remotePublicKey) &&
    typeof v.mailbox === 'string' &&
    v.mailbox.length > 0 &&
    v.mailbox.length <= 2048
  );
}

/** The database that keeps the LNC keys for a prefix of the journal's database names. */
export const lncKeysDatabase = (prefix: string): string => `${prefix}-lnc`;

/**
 * Deletes the database of kept LNC keys (see lnc-keys.ts), from the page or the worker:
 * the next LNC connection needs a new pairing phrase. `STORAGE` when IndexedDB refuses.
 */
export function forgetLncKeys(prefix: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(lncKeysDatabase(prefix));
    request.onsuccess = () => resolve();
    request.onerror = () =>
      reject(new AmpkitError('STORAGE', `could not delete the LNC keys in IndexedDB: ${request.error?.message ?? 'unknown error'}`));
    // Another tab still holds it open: the deletion waits for it and completes then.
    request.onblocked = () => console.warn('ampkit: the LNC keys will be deleted once other tabs of this site let go of them');
  });
}

/** An error as it crosses the boundary. */
export interface SerializedError {
  code: string | number;
  message: string;
  data?: unknown;
  nodeCode?: number;
}

/** A call's result or its error. */
export type Outcome = { value: unknown } | { error: SerializedError };

/** The host's side of the boundary, as the client sees it (through ./rpc.ts, or directly). */
export interface HostApi {
  /**
   * Its outcome's value is `{ state, nodeId }`: the connection's state and the node's key
   * (over LNC known only once connected); its error is the engine's, code kept (a thrown
   * error would lose its `code` on the way through the worker's port).
   */
  open(options: HostOptions, listener: (type: keyof AmpkitEvents, detail: unknown) => void): Promise<Outcome>;
  call(method: EngineMethod, input: unknown): Promise<Outcome>;
  close(): Promise<void>;
}

/** The engine's methods as the client offers them. */
export type EngineMethods = Pick<Engine, EngineMethod>;

/**
 * IndexedDB's own failures, by `DOMException` name: the core journal types its errors as
 * `STORAGE`, and one that got past it (a raw `DOMException`) is typed here the same way.
 */
const STORAGE_ERRORS = new Set(['QuotaExceededError', 'VersionError', 'UnknownError', 'TransactionInactiveError', 'ReadOnlyError']);

export function serializeError(error: unknown): SerializedError {
  const name = (error as { name?: unknown } | null)?.name;
  if (!(error instanceof AmpkitError) && typeof name === 'string' && STORAGE_ERRORS.has(name)) {
    return {
      code: 'STORAGE',
      message: `the journal (IndexedDB) failed: ${name}: ${(error as Error).message}`,
      data: { reason: name === 'QuotaExceededError' ? 'quota' : name === 'VersionError' ? 'version' : 'failed', name },
    };
  }
  if (error instanceof AmpkitError) {
    return {
      code: error.code,
      message: error.message,
      ...(error.data !== undefined ? { data: error.data } : {}),
      ...(error.nodeCode !== undefined ? { nodeCode: error.nodeCode } : {}),
    };
  }
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

export function deserializeError(error: SerializedError): AmpkitError {
  return new AmpkitError(error.code, error.message, {
    ...(error.data !== undefined ? { data: error.data } : {}),
    ...(error.nodeCode !== undefined ? { nodeCode: error.nodeCode } : {}),
  });
}
