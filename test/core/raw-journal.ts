/**
 * The journal's IndexedDB database reached around the store, as another program (a disk
 * that flipped bits, an extension, a newer ampkit in another tab) would: raw records put and
 * read, connections opened at other versions, and valid records to start from.
 */
import 'fake-indexeddb/auto';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { PartialPayment, Payment, StoredInvoice } from '../../packages/core/src/index.ts';

export const NODE = '02' + 'ab'.repeat(32);
export const PAYEE = '03' + '22'.repeat(32);
export const HOP = { id: PAYEE, channel: '103x1x0', direction: 0 as const, amount_msat: 1000, delay: 18, style: 'tlv' };

export const hashOf = (preimage: string): string => bytesToHex(sha256(hexToBytes(preimage)));
/** A preimage and its hash, from a byte: distinct bytes, distinct payments. */
export function pair(n: number): { preimage: string; payment_hash: string } {
  const preimage = n.toString(16).padStart(2, '0').repeat(32);
  return { preimage, payment_hash: hashOf(preimage) };
}

export function part(id: number, payment_hash: string, status: PartialPayment['status'] = 'pending', preimage?: string): PartialPayment {
  return {
    id,
    partid: id,
    groupid: 1,
    payment_hash,
    destination: PAYEE,
    route: [HOP],
    amount_msat: 1000,
    amount_sent_msat: 1000,
    status,
    created_at: 1,
    ...(status === 'complete' ? { completed_at: 2, payment_preimage: preimage! } : {}),
    ...(status === 'failed' ? { completed_at: 2, failreason: 'test' } : {}),
  };
}

export function payment(payment_hash: string, status: Payment['status'] = 'pending', preimage?: string): Payment {
  return {
    payment_hash,
    amount_msat: 2000,
    amount_sent_msat: 1000,
    parts: 1,
    groupid: 1,
    status,
    destination: PAYEE,
    created_at: 1,
    created_index: 1,
    ...(status === 'complete' ? { completed_at: 2, payment_preimage: preimage! } : {}),
  };
}

export function invoice(payment_hash: string, label: string): StoredInvoice {
  return {
    label,
    bolt11: 'lnbcrt1',
    payment_hash,
    amount_msat: 42,
    description: 'd',
    status: 'unpaid',
    hold: false,
    created_at: 1,
    expires_at: 2,
    amount_received_msat: 0,
    amount_held_msat: 0,
    parts: 0,
    held: [],
    left: [],
    htlc_index: 0,
    created_index: 1,
  };
}

const request = <T>(r: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => ((r.onsuccess = () => resolve(r.result)), (r.onerror = () => reject(r.error))));

/** A raw connection to the node's journal (`version`: open at that version, running `upgrade` if newer). */
export function rawOpen(
  idb: IDBFactory,
  options: { version?: number; upgrade?: (db: IDBDatabase, oldVersion: number) => void; name?: string } = {},
): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const open =
      options.version === undefined
        ? idb.open(options.name ?? `ampkit:${NODE}`)
        : idb.open(options.name ?? `ampkit:${NODE}`, options.version);
    open.onupgradeneeded = (event) => options.upgrade?.(open.result, event.oldVersion);
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

/** Puts `value` in `store` of `node`'s journal as it is, unchecked (`key` for stores without a key path). */
export async function rawPut(idb: IDBFactory, store: string, value: unknown, key?: IDBValidKey, node = NODE): Promise<void> {
  const db = await rawOpen(idb, { name: `ampkit:${node}` });
  try {
    const tx = db.transaction(store, 'readwrite');
    await request(key === undefined ? tx.objectStore(store).put(value) : tx.objectStore(store).put(value, key));
    await new Promise<void>((resolve, reject) => ((tx.oncomplete = () => resolve()), (tx.onabort = () => reject(tx.error))));
  } finally {
    db.close();
  }
}

/** The value under `key` in `store` of `node`'s journal, as stored. */
export async function rawGet(idb: IDBFactory, store: string, key: IDBValidKey, node = NODE): Promise<unknown> {
  const db = await rawOpen(idb, { name: `ampkit:${node}` });
  try {
    return await request(db.transaction(store, 'readonly').objectStore(store).get(key));
  } finally {
    db.close();
  }
}

/** The object stores and indexes as journal versions 2 (`cache: false`) and 3 made them, for upgrade tests. */
export function oldSchema(db: IDBDatabase, { cache }: { cache: boolean }): void {
  db.createObjectStore('payments', { keyPath: 'payment_hash' }).createIndex('status', 'status');
  const parts = db.createObjectStore('parts', { keyPath: 'id' });
  parts.createIndex('payment_hash', 'payment_hash');
  parts.createIndex('status', 'status');
  db.createObjectStore('meta');
  const invoices = db.createObjectStore('invoices', { keyPath: 'payment_hash' });
  invoices.createIndex('label', 'label', { unique: true });
  invoices.createIndex('status', 'status');
  if (cache) db.createObjectStore('cache');
}
