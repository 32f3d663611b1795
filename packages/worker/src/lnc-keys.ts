/**
 * The LNC keys a first pairing hands back, kept in IndexedDB for this origin so the next
 * visit connects with them (a pairing phrase pairs only once). One record per database
 * prefix, like the journal: `<prefix>-lnc`, store `keys`, key `current`. What comes back is
 * checked like any stored record: a record of the wrong shape is ignored (and said so), never
 * handed to the connection.
 *
 * The keys hold our static private key for the session: anyone who reads them can use the
 * session until it is revoked in Lightning Terminal. The client's `forget()` deletes the
 * database (protocol.ts `forgetLncKeys`, page side: no worker needed).
 */
import { AmpkitError } from '@ampkit/wire';
import type { LncKeys } from '@ampkit/wire/lnc';
import { isLncKeys, lncKeysDatabase } from './protocol.ts';

const STORE = 'keys';
const KEY = 'current';

/** The request's result once it succeeds (IndexedDB's own events, without idb's `openDB`, which the journal does not load). */
function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function open(prefix: string): Promise<IDBDatabase> {
  const request = indexedDB.open(lncKeysDatabase(prefix), 1);
  request.onupgradeneeded = () => request.result.createObjectStore(STORE);
  return done(request);
}

/** Runs one request on the keys store and waits for its transaction to finish. */
async function withStore<T>(prefix: string, mode: IDBTransactionMode, use: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open(prefix);
  try {
    const tx = db.transaction(STORE, mode);
    const result = done(use(tx.objectStore(STORE)));
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
    return await result;
  } finally {
    db.close();
  }
}

const storageError = (what: string, error: unknown): AmpkitError =>
  new AmpkitError('STORAGE', `could not ${what} the LNC keys in IndexedDB: ${(error as Error)?.message ?? String(error)}`, {
    cause: error,
  });

/** The keys kept by an earlier pairing on this origin, or undefined (none, or a record of the wrong shape). */
export async function loadLncKeys(prefix: string): Promise<LncKeys | undefined> {
  let value: unknown;
  try {
    value = await withStore(prefix, 'readonly', (store) => store.get(KEY));
  } catch (error) {
    throw storageError('read', error);
  }
  if (value === undefined) return undefined;
  if (!isLncKeys(value)) {
    console.warn('ampkit: the stored LNC keys are not of the right shape; they are ignored (pair again)');
    return undefined;
  }
  return { localPrivateKey: value.localPrivateKey, remotePublicKey: value.remotePublicKey, mailbox: value.mailbox };
}

/** Keeps the keys for the next visit, replacing any kept before. */
export async function saveLncKeys(prefix: string, keys: LncKeys): Promise<void> {
  try {
    await withStore(prefix, 'readwrite', (store) =>
      store.put({ localPrivateKey: keys.localPrivateKey, remotePublicKey: keys.remotePublicKey, mailbox: keys.mailbox }, KEY),
    );
  } catch (error) {
    throw storageError('keep', error);
  }
}
