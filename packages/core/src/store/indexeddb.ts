/**
 * The journal in IndexedDB, through idb. One database per node (`<name>:<node id>`), so two
 * nodes never mix; the schema is a TypeScript type, so a wrong store name or record shape
 * fails at compile time. What is read is checked before it is used (records.ts), and every
 * failure of the database is a `STORAGE` error (storage-errors.ts).
 */
import { wrap, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import { engineError, type AmpkitError } from '../errors.ts';
import type { InvoiceStatus, PartialPayment, Payment, PaymentStatus } from '../types.ts';
import { recordProblem, type RecordKind } from './records.ts';
import { JournalHealth, storageError } from './storage-errors.ts';
import type {
  CacheKey,
  Change,
  InvoiceChange,
  Journal,
  ListRange,
  OpenOptions,
  PaymentView,
  Store,
  StoredInvoice,
  UpdateOptions,
  UpdateView,
} from './store.ts';

/**
 * The database's schema, version 4 (version 1 had no invoices, version 2 no cache, version 3
 * no `created_index` on payments and invoices, nor the indexes lists page through).
 */
interface JournalSchema extends DBSchema {
  payments: {
    key: string;
    value: Payment;
    indexes: { status: PaymentStatus; created: number; status_created: [PaymentStatus, number] };
  };
  parts: {
    key: number;
    value: PartialPayment;
    indexes: { payment_hash: string; status: PaymentStatus; payment_hash_id: [string, number]; status_id: [PaymentStatus, number] };
  };
  /** `lastId`: the last part id given; `holdKey`: the non-extractable key sealing hold preimages. */
  meta: { key: 'lastId' | 'holdKey'; value: number | CryptoKey };
  invoices: {
    key: string;
    value: StoredInvoice;
    indexes: { label: string; status: InvoiceStatus; created: number; status_created: [InvoiceStatus, number] };
  };
  cache: { key: CacheKey; value: unknown };
}

type Name = StoreNames<JournalSchema>;

const VERSION = 4;

/** Options of {@link indexedDbStore}. */
export interface IndexedDbStoreOptions {
  /** Prefix of the database names (`ampkit`); the node id is appended. */
  name?: string;
  /** The IndexedDB factory; `globalThis.indexedDB` by default (pass fake-indexeddb's in Node). */
  indexedDB?: IDBFactory;
}

/**
 * Version 4: numbers the payments (or invoices) stored so far 1, 2, … in the order they were
 * made (`created_at`, then key), in the upgrade's own transaction. A record that is already
 * malformed is left as it is: never overwritten (docs/design.md, "Trust"); it stays out of
 * the lists and is still refused when read by its hash.
 */
function numberRecords(store: IDBObjectStore, kind: 'payment' | 'invoice'): void {
  const found: { key: IDBValidKey; at: number }[] = [];
  const scan = store.openCursor();
  scan.onsuccess = () => {
    const cursor = scan.result;
    if (cursor) {
      const value: unknown = cursor.value;
      if (
        value !== null &&
        typeof value === 'object' &&
        (value as { created_index?: unknown }).created_index === undefined &&
        recordProblem(kind, { ...value, created_index: 1 }) === undefined
      )
        found.push({ key: cursor.primaryKey, at: (value as { created_at: number }).created_at });
      cursor.continue();
      return;
    }
    found.sort((a, b) => a.at - b.at || (String(a.key) < String(b.key) ? -1 : 1));
    found.forEach(({ key }, i) => {
      const get = store.get(key);
      get.onsuccess = () => store.put({ ...get.result, created_index: i + 1 });
    });
  };
}

function upgrade(db: IDBDatabase, oldVersion: number, tx: IDBTransaction): void {
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
  if (oldVersion < 4) {
    const parts = tx.objectStore('parts');
    parts.createIndex('payment_hash_id', ['payment_hash', 'id']);
    parts.createIndex('status_id', ['status', 'id']);
    for (const name of ['payments', 'invoices'] as const) {
      const store = tx.objectStore(name);
      store.createIndex('created', 'created_index');
      store.createIndex('status_created', ['status', 'created_index']);
      numberRecords(store, name === 'payments' ? 'payment' : 'invoice');
    }
  }
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

const describe = (error: unknown): string =>
  `${(error as { name?: string })?.name ?? 'Error'}: ${(error as { message?: string })?.message ?? String(error)}`;

/**
 * Opens the database, failing with `STORAGE`: `version` when a newer ampkit wrote it,
 * `blocked` when another tab holds it open at an older version and will not let go (an
 * open that completes after that is closed at once), `failed` for any other refusal.
 */
function openDatabase(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let request: IDBOpenDBRequest;
    try {
      request = factory.open(name, VERSION);
    } catch (error) {
      // SecurityError: an opaque origin, or a browser set to keep no site data.
      reject(
        storageError(
          'failed',
          `IndexedDB refused to open the journal ${name} (${describe(error)})`,
          { name: (error as Error)?.name },
          error,
        ),
      );
      return;
    }
    let given = false;
    request.addEventListener('upgradeneeded', (event) => upgrade(request.result, event.oldVersion, request.transaction!));
    request.addEventListener('blocked', () => {
      given = true;
      reject(
        storageError(
          'blocked',
          `another tab holds the journal ${name} open at an older version and does not close it; close that tab (or reload it), then try again`,
        ),
      );
    });
    request.addEventListener('success', () => {
      if (given) request.result.close();
      else resolve(request.result);
    });
    request.addEventListener('error', () => {
      if (given) return;
      const error = request.error;
      if (error?.name === 'VersionError') {
        reject(
          storageError(
            'version',
            `the journal ${name} was written by a newer version of ampkit (database version above ${VERSION}); this version cannot use it: load the newer version`,
            { name: error.name },
            error,
          ),
        );
      } else {
        reject(storageError('failed', `IndexedDB could not open the journal ${name} (${describe(error)})`, { name: error?.name }, error));
      }
    });
  });
}

/** A throw from a caller's `change`: it passes through unchanged, and nothing is written. */
class Refused {
  constructor(readonly error: unknown) {}
}

function decide<A, R>(change: (arg: A) => R, arg: A): R {
  try {
    return change(arg);
  } catch (error) {
    throw new Refused(error);
  }
}

/** What a page is read from: an object store or one of its indexes. */
interface Source {
  getAll(query?: IDBKeyRange | IDBValidKey | null, count?: number): Promise<unknown[]>;
}

/**
 * The keys of a compound `[value, created index]` index for one value, from created index
 * `start` on: `[]` (an array) sorts above every number, string and date, so the upper
 * bound takes in whatever second key a record has.
 */
const within = (value: string, start: number | undefined): IDBKeyRange => IDBKeyRange.bound([value, start ?? -Infinity], [value, []]);

/** Keys from `start` on, or every key. */
const from = (start: number | undefined): IDBKeyRange | null => (start === undefined ? null : IDBKeyRange.lowerBound(start));

interface KeyCursor {
  key: unknown;
  continue(): Promise<KeyCursor | null>;
}

/**
 * The highest part id stored (or, over a `created` index, the highest created index), 0
 * when none: the next part's id comes after it whatever the counter says, so a counter left
 * behind (a restored backup, another writer) can never make a new part take an old one's
 * key. Keys that are not whole numbers sort above numbers or beyond the safe ones, and are
 * stepped over.
 */
async function highestPartId(parts: { openKeyCursor(query: null, direction: 'prev'): Promise<KeyCursor | null> }): Promise<number> {
  let cursor = await parts.openKeyCursor(null, 'prev');
  while (cursor) {
    const key: unknown = cursor.key;
    if (typeof key === 'number' && Number.isSafeInteger(key) && key >= 1) return key;
    if (typeof key === 'number' && key < 1) return 0;
    cursor = await cursor.continue();
  }
  return 0;
}

class IndexedDbJournal implements Journal {
  constructor(
    private readonly db: IDBPDatabase<JournalSchema>,
    private readonly health: JournalHealth,
  ) {}

  /**
   * Runs `body` in one transaction. Its `done` is always watched (an abort nobody awaited is
   * no unhandled rejection); a write transaction resolves once committed. Failures of the
   * database come out as `STORAGE`; a caller's refusal ({@link Refused}) as it was thrown.
   */
  private async run<T, S extends Name, M extends IDBTransactionMode>(
    stores: S[],
    mode: M,
    body: (tx: IDBPTransaction<JournalSchema, S[], M>) => Promise<T>,
    options: { durable?: boolean; cache?: boolean } = {},
  ): Promise<T> {
    this.health.check();
    let tx: IDBPTransaction<JournalSchema, S[], M>;
    try {
      tx = this.db.transaction(stores, mode, { durability: options.durable ? 'strict' : 'relaxed' });
    } catch (error) {
      throw this.health.fail(error, undefined, !options.cache);
    }
    tx.done.catch(() => undefined);
    try {
      const result = await body(tx);
      if (mode === 'readwrite') await tx.done;
      return result;
    } catch (error) {
      abandon(tx);
      if (error instanceof Refused) throw error.error;
      throw this.health.fail(error, tx as unknown as { error: DOMException | null }, !options.cache);
    }
  }

  /** The records that are good; the others reported once and left out. */
  private good<T>(kind: RecordKind, store: Name, values: unknown[], keyOf: (v: unknown) => unknown): T[] {
    return values.filter((v) => this.health.keep(kind, store, keyOf(v), v) !== undefined) as T[];
  }

  /**
   * Up to `limit` good records of `source` within `range` that `match`, in the source's key
   * order (all of them without a limit). One `getAll` of `limit` records serves a page; only
   * when some are malformed or do not match is the range read again, with a larger count,
   * until the page is full or the range ends. Reading again from the same first key (rather
   * than after the last one read) keeps records that share an index key.
   */
  private async page<T>(
    source: Source,
    range: IDBKeyRange | IDBValidKey | null,
    limit: number | undefined,
    check: (raw: unknown[]) => T[],
    match: (record: T) => boolean = () => true,
  ): Promise<T[]> {
    if (limit === undefined) return check(await source.getAll(range)).filter(match);
    let count = limit;
    for (;;) {
      const raw = await source.getAll(range, count);
      const kept = check(raw).filter(match);
      if (kept.length >= limit || raw.length < count) return kept.slice(0, limit);
      count = Math.min(Math.max(count * 2, count + limit - kept.length), 2 ** 32 - 1);
    }
  }

  /**
   * The payment with that hash and its parts, every record good; else `STORAGE`: a part left
   * out of the view could be money in flight that a decision would not count.
   */
  private view(payment_hash: string, payment: unknown, parts: unknown[]): PaymentView {
    let refusal: AmpkitError | undefined;
    const check = (kind: RecordKind, store: Name, key: unknown, value: unknown) => {
      const problem = recordProblem(kind, value);
      if (problem !== undefined) refusal ??= this.health.quarantine(store, key, problem);
    };
    if (payment !== undefined) check('payment', 'payments', payment_hash, payment);
    for (const part of parts) check('part', 'parts', (part as { id?: unknown }).id, part);
    if (refusal)
      throw storageError(
        'record',
        `payment ${payment_hash} has a malformed record in the journal; it is neither read nor changed (${refusal.message})`,
        { ...(refusal.data as object), payment_hash },
        refusal,
      );
    return { ...(payment !== undefined ? { payment: payment as Payment } : {}), parts: parts as PartialPayment[] };
  }

  async read(payment_hash: string): Promise<PaymentView> {
    return this.run(['payments', 'parts'], 'readonly', async (tx) => {
      const [payment, parts] = await Promise.all([
        tx.objectStore('payments').get(payment_hash),
        tx.objectStore('parts').index('payment_hash').getAll(payment_hash),
      ]);
      return this.view(payment_hash, payment, parts);
    });
  }

  async update<T>(payment_hash: string, change: (view: UpdateView) => Change<T>, options: UpdateOptions = {}): Promise<T> {
    return this.run(
      ['payments', 'parts', 'meta'],
      'readwrite',
      async (tx) => {
        const payments = tx.objectStore('payments');
        const parts = tx.objectStore('parts');
        const meta = tx.objectStore('meta');
        const [payment, existing, counter, highest] = await Promise.all([
          payments.get(payment_hash),
          parts.index('payment_hash').getAll(payment_hash),
          meta.get('lastId'),
          highestPartId(parts),
        ]);
        const view = this.view(payment_hash, payment, existing);
        // A malformed counter counts as none: reported, then replaced by this write (it is
        // no record of money, only a cache of the highest id).
        const counterProblem = counter === undefined ? undefined : recordProblem('counter', counter);
        if (counterProblem !== undefined) this.health.quarantine('meta', 'lastId', counterProblem);
        const last = counter === undefined || counterProblem !== undefined ? 0 : (counter as number);
        let next = Math.max(last, highest);
        const first = next;
        const fresh = new Set<number>();
        const out = decide(change, {
          ...view,
          nextId: () => {
            if (next >= Number.MAX_SAFE_INTEGER) throw storageError('record', 'the journal has no part id left');
            fresh.add(++next);
            return next;
          },
        });
        const known = new Set(view.parts.map((p) => p.id));
        // The payment keeps its place in the order of creation; a new one comes after every other.
        const replaces = out.payment?.payment_hash === payment_hash && view.payment !== undefined;
        const written = out.payment && {
          ...out.payment,
          created_index: replaces ? view.payment!.created_index! : (await highestPartId(payments.index('created'))) + 1,
        };
        const writes: Promise<unknown>[] = [];
        try {
          if (written) {
            this.health.checkWrite('payment', written);
            // Only the record read and checked here is replaced; any other key is added, never overwritten.
            writes.push(written.payment_hash === payment_hash ? payments.put(written) : payments.add(written));
          }
          for (const part of out.parts ?? []) {
            this.health.checkWrite('part', part);
            writes.push(known.has(part.id) && !fresh.has(part.id) ? parts.put(part) : parts.add(part));
          }
          if (next !== first && writes.length) writes.push(meta.put(next, 'lastId'));
          await Promise.all(writes);
        } catch (error) {
          for (const write of writes) write.catch(() => undefined);
          throw error;
        }
        return out.result;
      },
      { durable: options.durable === true },
    );
  }

  async getInvoice(payment_hash: string): Promise<StoredInvoice | undefined> {
    const raw = await this.run(['invoices'], 'readonly', (tx) => tx.objectStore('invoices').get(payment_hash));
    return raw === undefined ? undefined : this.health.keep<StoredInvoice>('invoice', 'invoices', payment_hash, raw);
  }

  async updateInvoice<T>(
    payment_hash: string,
    change: (current: StoredInvoice | undefined) => InvoiceChange<T>,
    options: UpdateOptions = {},
  ): Promise<T> {
    return this.run(
      ['invoices'],
      'readwrite',
      async (tx) => {
        const current: unknown = await tx.objectStore('invoices').get(payment_hash);
        const problem = current === undefined ? undefined : recordProblem('invoice', current);
        if (problem !== undefined) {
          const error = this.health.quarantine('invoices', payment_hash, problem);
          throw storageError(
            'record',
            `invoice ${payment_hash} has a malformed record in the journal; it is neither read nor changed (${error.message})`,
            { ...(error.data as object), payment_hash },
            error,
          );
        }
        const out = decide(change, current as StoredInvoice | undefined);
        if (out.invoice === null) await tx.objectStore('invoices').delete(payment_hash);
        else if (out.invoice) {
          // The invoice keeps its place in the order of creation; a new one comes after every other.
          const created_index =
            current === undefined
              ? (await highestPartId(tx.objectStore('invoices').index('created'))) + 1
              : (current as StoredInvoice).created_index!;
          const invoice: StoredInvoice = { ...out.invoice, created_index };
          this.health.checkWrite('invoice', invoice);
          if (invoice.payment_hash !== payment_hash)
            throw storageError('record', `refusing to journal invoice ${invoice.payment_hash} in the place of ${payment_hash}`);
          try {
            await (current === undefined ? tx.objectStore('invoices').add(invoice) : tx.objectStore('invoices').put(invoice));
          } catch (error) {
            if ((error as { name?: string })?.name === 'ConstraintError')
              throw new Refused(engineError('INVALID_ARGUMENT', 'that label is taken by another invoice'));
            throw error;
          }
        }
        return out.result;
      },
      { durable: options.durable === true },
    );
  }

  async listInvoices(filter: { label?: string; payment_hash?: string; status?: InvoiceStatus } & ListRange = {}): Promise<StoredInvoice[]> {
    const { label, payment_hash, status, start, limit } = filter;
    const check = (raw: unknown[]) =>
      this.good<StoredInvoice>('invoice', 'invoices', raw, (i) => (i as { payment_hash?: unknown }).payment_hash);
    const match = (i: StoredInvoice) =>
      (label === undefined || i.label === label) &&
      (payment_hash === undefined || i.payment_hash === payment_hash) &&
      (status === undefined || i.status === status) &&
      i.created_index! >= (start ?? 0);
    return this.run(['invoices'], 'readonly', (tx) => {
      const invoices = tx.objectStore('invoices');
      // A hash or a label names one invoice at most; a status pages through its own index.
      if (payment_hash !== undefined) return this.page(invoices, payment_hash, limit, check, match);
      if (label !== undefined) return this.page(invoices.index('label'), label, limit, check, match);
      if (status !== undefined) return this.page(invoices.index('status_created'), within(status, start), limit, check, match);
      return this.page(invoices.index('created'), from(start), limit, check, match);
    });
  }

  async getPart(id: number): Promise<PartialPayment | undefined> {
    const raw = await this.run(['parts'], 'readonly', (tx) => tx.objectStore('parts').get(id));
    return raw === undefined ? undefined : this.health.keep<PartialPayment>('part', 'parts', id, raw);
  }

  async listParts(filter: { payment_hash?: string; status?: PaymentStatus } & ListRange = {}): Promise<PartialPayment[]> {
    const { payment_hash, status, start, limit } = filter;
    const check = (raw: unknown[]) => this.good<PartialPayment>('part', 'parts', raw, (p) => (p as { id?: unknown }).id);
    const match = (p: PartialPayment) =>
      (payment_hash === undefined || p.payment_hash === payment_hash) && (status === undefined || p.status === status);
    return this.run(['parts'], 'readonly', (tx) => {
      const parts = tx.objectStore('parts');
      if (payment_hash !== undefined) return this.page(parts.index('payment_hash_id'), within(payment_hash, start), limit, check, match);
      if (status !== undefined) return this.page(parts.index('status_id'), within(status, start), limit, check, match);
      return this.page(parts, from(start), limit, check, match);
    });
  }

  async listPayments(filter: { payment_hash?: string; status?: PaymentStatus } & ListRange = {}): Promise<Payment[]> {
    const { payment_hash, status, start, limit } = filter;
    const check = (raw: unknown[]) => this.good<Payment>('payment', 'payments', raw, (p) => (p as { payment_hash?: unknown }).payment_hash);
    const match = (p: Payment) =>
      (payment_hash === undefined || p.payment_hash === payment_hash) &&
      (status === undefined || p.status === status) &&
      p.created_index! >= (start ?? 0);
    return this.run(['payments'], 'readonly', (tx) => {
      const payments = tx.objectStore('payments');
      if (payment_hash !== undefined) return this.page(payments, payment_hash, limit, check, match);
      if (status !== undefined) return this.page(payments.index('status_created'), within(status, start), limit, check, match);
      return this.page(payments.index('created'), from(start), limit, check, match);
    });
  }

  async getCache(key: CacheKey): Promise<unknown> {
    return this.run(['cache'], 'readonly', (tx) => tx.objectStore('cache').get(key), { cache: true });
  }

  async putCache(key: CacheKey, value: unknown): Promise<void> {
    await this.run(['cache'], 'readwrite', (tx) => tx.objectStore('cache').put(value, key), { cache: true });
  }

  async getHoldKey(): Promise<CryptoKey | undefined> {
    return this.run(['meta'], 'readonly', async (tx) => (await tx.objectStore('meta').get('holdKey')) as CryptoKey | undefined);
  }

  async addHoldKey(key: CryptoKey): Promise<CryptoKey> {
    return this.run(
      ['meta'],
      'readwrite',
      async (tx) => {
        const kept = (await tx.objectStore('meta').get('holdKey')) as CryptoKey | undefined;
        if (!kept) await tx.objectStore('meta').put(key, 'holdKey');
        return kept ?? key;
      },
      { durable: true },
    );
  }

  close(): void {
    this.health.close();
    this.db.close();
  }
}

/**
 * A store that keeps each node's journal in IndexedDB, so a closed tab or a killed worker
 * loses nothing: a new engine on the same store picks up every pending part.
 *
 * The journal never blocks another tab's upgrade: when one opens the database at a newer
 * version (or deletes it), this connection closes and the journal is lost (`STORAGE`,
 * `versionchange`, reported through `onProblem`), so its engine stops rather than act on
 * a schema it does not know.
 *
 * @example
 * ```ts
 * const engine = await createEngine({ node: clnNode(client), store: indexedDbStore() });
 * ```
 */
export function indexedDbStore(options: IndexedDbStoreOptions = {}): Store {
  const prefix = options.name ?? 'ampkit';
  return {
    async open(nodeId: string, openOptions: OpenOptions = {}): Promise<Journal> {
      const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
      if (!factory) throw engineError('INVALID_ARGUMENT', 'no IndexedDB here: pass indexedDbStore({ indexedDB }) or use memoryStore()');
      const health = new JournalHealth(openOptions.onProblem);
      const raw = await openDatabase(factory, `${prefix}:${nodeId}`);
      raw.addEventListener('versionchange', (event) => {
        // Let the other tab upgrade (or delete) rather than block it; this journal is done.
        raw.close();
        const message =
          event.newVersion === null
            ? 'another tab deleted the journal; this engine stopped'
            : `another tab opened the journal at a newer version (${event.newVersion}); this engine stopped so as not to block it: reload the page`;
        health.lose(storageError('versionchange', message, { newVersion: event.newVersion }));
      });
      // Closed by the browser, not by us: storage cleared, or the disk failed.
      raw.addEventListener('close', () =>
        health.lose(storageError('closed', 'the browser closed the journal (its storage was cleared, or failed); the engine stopped')),
      );
      return new IndexedDbJournal(wrap(raw) as unknown as IDBPDatabase<JournalSchema>, health);
    },
  };
}
