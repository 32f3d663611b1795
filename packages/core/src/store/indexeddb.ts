/**
 * The journal in IndexedDB, through idb. One database per node (`<name>:<node id>`), so two
 * nodes never mix; the schema is a TypeScript type, so a wrong store name or record shape
 * fails at compile time.
 */
import { wrap, type DBSchema, type IDBPDatabase } from 'idb';
import { engineError } from '../errors.ts';
import type { InvoiceStatus, PartialPayment, Payment, PaymentStatus } from '../types.ts';
import type { CacheKey, Change, InvoiceChange, Journal, PaymentView, Store, StoredInvoice, UpdateOptions, UpdateView } from './store.ts';

/** The database's schema, version 3 (version 1 had no invoices, version 2 no cache). */
interface JournalSchema extends DBSchema {
  payments: { key: string; value: Payment; indexes: { status: PaymentStatus } };
  parts: { key: number; value: PartialPayment; indexes: { payment_hash: string; status: PaymentStatus } };
  meta: { key: 'lastId'; value: number };
  invoices: { key: string; value: StoredInvoice; indexes: { label: string; status: InvoiceStatus } };
  cache: { key: CacheKey; value: unknown };
}

const VERSION = 3;

/** Options of {@link indexedDbStore}. */
export interface IndexedDbStoreOptions {
  /** Prefix of the database names (`ampkit`); the node id is appended. */
  name?: string;
  /** The IndexedDB factory; `globalThis.indexedDB` by default (pass fake-indexeddb's in Node). */
  indexedDB?: IDBFactory;
}

function upgrade(db: IDBDatabase, oldVersion: number): void {
  // Migrations go here, one step per version; version 1 creates the stores.
  if (oldVersion < 1) {
    const payments = db.createObjectStore('payments', { keyPath: 'payment_hash' });
    payments.createIndex('status', 'status');
    const parts = db.createObjectStore('parts', { keyPath: 'id' });
    parts.createIndex('payment_hash', 'payment_hash');
    parts.createIndex('status', 'status');
    db.createObjectStore('meta');
  }
  if (oldVersion < 2) {
    const invoices = db.createObjectStore('invoices', { keyPath: 'payment_hash' });
    invoices.createIndex('label', 'label', { unique: true });
    invoices.createIndex('status', 'status');
  }
  if (oldVersion < 3) db.createObjectStore('cache');
}

/** Aborts a transaction that must write nothing, ignoring one that already ended. */
function abandon(tx: { abort(): void; done: Promise<void> }): void {
  try {
    tx.abort();
  } catch {
    // already finished or aborted
  }
  tx.done.catch(() => undefined);
}

async function openDatabase(factory: IDBFactory, name: string): Promise<IDBPDatabase<JournalSchema>> {
  const request = factory.open(name, VERSION);
  request.addEventListener('upgradeneeded', (event) => upgrade(request.result, event.oldVersion));
  const db = (await wrap(request)) as unknown as IDBPDatabase<JournalSchema>;
  // Another tab upgrading the schema: let it, and fail our next use loudly rather than block it.
  db.addEventListener('versionchange', () => db.close());
  return db;
}

class IndexedDbJournal implements Journal {
  constructor(private readonly db: IDBPDatabase<JournalSchema>) {}

  async read(payment_hash: string): Promise<PaymentView> {
    const tx = this.db.transaction(['payments', 'parts'], 'readonly');
    const [payment, parts] = await Promise.all([
      tx.objectStore('payments').get(payment_hash),
      tx.objectStore('parts').index('payment_hash').getAll(payment_hash),
    ]);
    return { ...(payment ? { payment } : {}), parts };
  }

  async update<T>(payment_hash: string, change: (view: UpdateView) => Change<T>, options: UpdateOptions = {}): Promise<T> {
    const tx = this.db.transaction(['payments', 'parts', 'meta'], 'readwrite', { durability: options.durable ? 'strict' : 'relaxed' });
    const payments = tx.objectStore('payments');
    const parts = tx.objectStore('parts');
    const meta = tx.objectStore('meta');
    try {
      const [payment, existing, lastId] = await Promise.all([payments.get(payment_hash), parts.index('payment_hash').getAll(payment_hash), meta.get('lastId')]);
      let next = lastId ?? 0;
      const out = change({ ...(payment ? { payment } : {}), parts: existing, nextId: () => ++next });
      const writes: Promise<unknown>[] = [];
      if (out.payment) writes.push(payments.put(out.payment));
      for (const part of out.parts ?? []) writes.push(parts.put(part));
      if (next !== (lastId ?? 0) && writes.length) writes.push(meta.put(next, 'lastId'));
      await Promise.all([...writes, tx.done]);
      return out.result;
    } catch (error) {
      // A throw from `change` (a rule refusing) must write nothing.
      abandon(tx);
      throw error;
    }
  }

  async getInvoice(payment_hash: string): Promise<StoredInvoice | undefined> {
    return this.db.get('invoices', payment_hash);
  }

  async updateInvoice<T>(payment_hash: string, change: (current: StoredInvoice | undefined) => InvoiceChange<T>, options: UpdateOptions = {}): Promise<T> {
    const tx = this.db.transaction('invoices', 'readwrite', { durability: options.durable ? 'strict' : 'relaxed' });
    try {
      const out = change(await tx.store.get(payment_hash));
      if (out.invoice === null) await Promise.all([tx.store.delete(payment_hash), tx.done]);
      else if (out.invoice) await Promise.all([tx.store.put(out.invoice), tx.done]);
      else await tx.done;
      return out.result;
    } catch (error) {
      abandon(tx);
      if ((error as { name?: string })?.name === 'ConstraintError') throw engineError('INVALID_ARGUMENT', 'that label is taken by another invoice');
      throw error;
    }
  }

  async listInvoices(filter: { label?: string; payment_hash?: string; status?: InvoiceStatus } = {}): Promise<StoredInvoice[]> {
    let invoices: StoredInvoice[];
    if (filter.payment_hash !== undefined) invoices = [await this.db.get('invoices', filter.payment_hash)].filter((i): i is StoredInvoice => !!i);
    else if (filter.label !== undefined) invoices = await this.db.getAllFromIndex('invoices', 'label', filter.label);
    else if (filter.status !== undefined) invoices = await this.db.getAllFromIndex('invoices', 'status', filter.status);
    else invoices = await this.db.getAll('invoices');
    return invoices
      .filter((i) => (filter.label === undefined || i.label === filter.label) && (filter.status === undefined || i.status === filter.status))
      .sort((a, b) => a.created_at - b.created_at);
  }

  async getPart(id: number): Promise<PartialPayment | undefined> {
    return this.db.get('parts', id);
  }

  async listParts(filter: { payment_hash?: string; status?: PaymentStatus } = {}): Promise<PartialPayment[]> {
    if (filter.payment_hash !== undefined) {
      const parts = await this.db.getAllFromIndex('parts', 'payment_hash', filter.payment_hash);
      return filter.status === undefined ? parts : parts.filter((p) => p.status === filter.status);
    }
    if (filter.status !== undefined) return this.db.getAllFromIndex('parts', 'status', filter.status);
    return this.db.getAll('parts');
  }

  async listPayments(filter: { payment_hash?: string; status?: PaymentStatus } = {}): Promise<Payment[]> {
    let payments: Payment[];
    if (filter.payment_hash !== undefined) {
      const one = await this.db.get('payments', filter.payment_hash);
      payments = one && (filter.status === undefined || one.status === filter.status) ? [one] : [];
    } else if (filter.status !== undefined) {
      payments = await this.db.getAllFromIndex('payments', 'status', filter.status);
    } else {
      payments = await this.db.getAll('payments');
    }
    return payments.sort((a, b) => a.created_at - b.created_at);
  }

  async getCache(key: CacheKey): Promise<unknown> {
    return this.db.get('cache', key);
  }

  async putCache(key: CacheKey, value: unknown): Promise<void> {
    await this.db.put('cache', value, key);
  }

  close(): void {
    this.db.close();
  }
}

/**
 * A store that keeps each node's journal in IndexedDB, so a closed tab or a killed worker
 * loses nothing: a new engine on the same store picks up every pending part.
 *
 * @example
 * ```ts
 * const engine = await createEngine({ node: clnNode(client), store: indexedDbStore() });
 * ```
 */
export function indexedDbStore(options: IndexedDbStoreOptions = {}): Store {
  const prefix = options.name ?? 'ampkit';
  return {
    async open(nodeId: string): Promise<Journal> {
      const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
      if (!factory) throw engineError('INVALID_ARGUMENT', 'no IndexedDB here: pass indexedDbStore({ indexedDB }) or use memoryStore()');
      return new IndexedDbJournal(await openDatabase(factory, `${prefix}:${nodeId}`));
    },
  };
}
