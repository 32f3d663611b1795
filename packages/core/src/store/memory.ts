/**
 * A journal in memory: for tests, and for pages that choose not to persist. It keeps one
 * journal per node id for the store object's life, so a second engine on the same store
 * sees what the first wrote (as a reopened tab sees IndexedDB). Records are copied in and
 * out, as IndexedDB's structured clone does, so no caller can change what is stored, and
 * checked both ways as the IndexedDB journal checks them (records.ts).
 */
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
  UpdateView,
} from './store.ts';

/** The position of the first of the ascending `ids` that is `start` or more. */
function bisect(ids: readonly number[], start: number): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Up to `limit` (or all) of `records` that are good and `match`, in order, each read once. */
function take<T>(records: Iterable<T | undefined>, limit: number | undefined, match: (record: T) => boolean): T[] {
  const out: T[] = [];
  if (limit === 0) return out;
  for (const record of records) {
    if (record !== undefined && match(record) && out.push(record) === limit) break;
  }
  return out;
}

/** One node's records, shared by every journal opened on it. */
class Records {
  readonly payments = new Map<string, Payment>();
  readonly parts = new Map<number, PartialPayment>();
  readonly byHash = new Map<string, Set<number>>();
  /** Every part id, ascending: where a page of parts starts is found by bisection. */
  readonly ids: number[] = [];
  lastId = 0;
  /** The last created index given to a payment, and to an invoice. */
  lastPayment = 0;
  lastInvoice = 0;
  /** In order of creation (a Map keeps insertion order; a replaced record keeps its place). */
  readonly invoices = new Map<string, StoredInvoice>();
  readonly cache = new Map<CacheKey, unknown>();
  /** Kept as the key object: usable, never exportable (it was made non-extractable). */
  holdKey?: CryptoKey;
}

class MemoryJournal implements Journal {
  constructor(
    private readonly records: Records,
    private readonly health: JournalHealth,
  ) {}

  /** A copy of a stored record when it is good; undefined (reported once) when not. */
  private keep<T>(kind: RecordKind, store: string, key: unknown, value: T | undefined): T | undefined {
    if (value === undefined) return undefined;
    return this.health.keep<T>(kind, store, key, value) && structuredClone(value);
  }

  async read(payment_hash: string): Promise<PaymentView> {
    return this.view(payment_hash);
  }

  /** The payment and its parts, all good, else `STORAGE` (as the IndexedDB journal). */
  private view(payment_hash: string): PaymentView {
    const { payments, parts, byHash } = this.records;
    const payment = payments.get(payment_hash);
    const ids = [...(byHash.get(payment_hash) ?? [])].sort((a, b) => a - b);
    let refusal: AmpkitError | undefined;
    const check = (kind: RecordKind, store: string, key: unknown, value: unknown) => {
      const problem = recordProblem(kind, value);
      if (problem !== undefined) refusal ??= this.health.quarantine(store, key, problem);
    };
    if (payment) check('payment', 'payments', payment_hash, payment);
    for (const id of ids) check('part', 'parts', id, parts.get(id));
    if (refusal)
      throw storageError(
        'record',
        `payment ${payment_hash} has a malformed record in the journal; it is neither read nor changed (${refusal.message})`,
        { ...(refusal.data as object), payment_hash },
        refusal,
      );
    return {
      ...(payment ? { payment: structuredClone(payment) } : {}),
      parts: ids.map((id) => structuredClone(parts.get(id)!)),
    };
  }

  async update<T>(payment_hash: string, change: (view: UpdateView) => Change<T>): Promise<T> {
    const records = this.records;
    const view = this.view(payment_hash);
    // As IndexedDB's: ids come after every stored one (`lastId` is kept at the highest), and
    // a new part never takes an old one's key.
    let next = records.lastId;
    const fresh = new Set<number>();
    const out = change({ ...view, nextId: () => (fresh.add(++next), next) });
    const known = new Set(view.parts.map((p) => p.id));
    // As IndexedDB's: the payment keeps its place in the order of creation; a new one comes last.
    const replaces = out.payment?.payment_hash === payment_hash && view.payment !== undefined;
    const payment = out.payment && {
      ...out.payment,
      created_index: replaces ? view.payment!.created_index! : records.lastPayment + 1,
    };
    if (payment) {
      this.health.checkWrite('payment', payment);
      if (payment.payment_hash !== payment_hash && records.payments.has(payment.payment_hash))
        throw storageError('record', `refusing to overwrite payment ${payment.payment_hash}`);
    }
    for (const part of out.parts ?? []) {
      this.health.checkWrite('part', part);
      if (records.parts.has(part.id) && !(known.has(part.id) && !fresh.has(part.id)))
        throw storageError('record', `refusing to overwrite part ${part.id}`);
    }
    if (payment) {
      records.payments.set(payment.payment_hash, structuredClone(payment));
      records.lastPayment = Math.max(records.lastPayment, payment.created_index);
    }
    for (const part of out.parts ?? []) {
      if (!records.parts.has(part.id)) {
        const at = bisect(records.ids, part.id);
        if (at === records.ids.length) records.ids.push(part.id);
        else records.ids.splice(at, 0, part.id);
      }
      records.parts.set(part.id, structuredClone(part));
      records.lastId = Math.max(records.lastId, part.id);
      let ids = records.byHash.get(part.payment_hash);
      if (!ids) records.byHash.set(part.payment_hash, (ids = new Set()));
      ids.add(part.id);
    }
    if (out.payment || out.parts?.length) records.lastId = Math.max(records.lastId, next);
    return out.result;
  }

  async getPart(id: number): Promise<PartialPayment | undefined> {
    return this.keep('part', 'parts', id, this.records.parts.get(id));
  }

  async listParts(filter: { payment_hash?: string; status?: PaymentStatus } & ListRange = {}): Promise<PartialPayment[]> {
    const { payment_hash, status, start = 0, limit } = filter;
    const ids = payment_hash !== undefined ? [...(this.records.byHash.get(payment_hash) ?? [])].sort((a, b) => a - b) : this.records.ids;
    const records = this.records;
    const keep = (id: number) => this.keep('part', 'parts', id, records.parts.get(id));
    function* from(i: number) {
      for (; i < ids.length; i++) yield keep(ids[i]!);
    }
    return take(from(bisect(ids, start)), limit, (p) => status === undefined || p.status === status);
  }

  async listPayments(filter: { payment_hash?: string; status?: PaymentStatus } & ListRange = {}): Promise<Payment[]> {
    const { payment_hash, status, start = 0, limit } = filter;
    const entries: Iterable<[string, Payment]> =
      payment_hash === undefined
        ? this.records.payments.entries()
        : this.records.payments.has(payment_hash)
          ? [[payment_hash, this.records.payments.get(payment_hash)!]]
          : [];
    const self = this;
    function* good() {
      for (const [hash, p] of entries) if (!(p.created_index! < start)) yield self.keep('payment', 'payments', hash, p);
    }
    return take(good(), limit, (p) => p.created_index! >= start && (status === undefined || p.status === status));
  }

  async getInvoice(payment_hash: string): Promise<StoredInvoice | undefined> {
    return this.keep('invoice', 'invoices', payment_hash, this.records.invoices.get(payment_hash));
  }

  async updateInvoice<T>(payment_hash: string, change: (current: StoredInvoice | undefined) => InvoiceChange<T>): Promise<T> {
    const stored = this.records.invoices.get(payment_hash);
    const problem = stored === undefined ? undefined : recordProblem('invoice', stored);
    if (problem !== undefined) {
      const error = this.health.quarantine('invoices', payment_hash, problem);
      throw storageError(
        'record',
        `invoice ${payment_hash} has a malformed record in the journal; it is neither read nor changed (${error.message})`,
        { ...(error.data as object), payment_hash },
        error,
      );
    }
    const out = change(stored && structuredClone(stored));
    if (out.invoice === null) this.records.invoices.delete(payment_hash);
    else if (out.invoice) {
      // As IndexedDB's: the invoice keeps its place in the order of creation; a new one comes last.
      const invoice: StoredInvoice = {
        ...out.invoice,
        created_index: stored === undefined ? this.records.lastInvoice + 1 : stored.created_index!,
      };
      this.health.checkWrite('invoice', invoice);
      if (invoice.payment_hash !== payment_hash)
        throw storageError('record', `refusing to journal invoice ${invoice.payment_hash} in the place of ${payment_hash}`);
      for (const other of this.records.invoices.values()) {
        if (other.label === invoice.label && other.payment_hash !== payment_hash)
          throw engineError('INVALID_ARGUMENT', 'that label is taken by another invoice');
      }
      this.records.invoices.set(payment_hash, structuredClone(invoice));
      this.records.lastInvoice = Math.max(this.records.lastInvoice, invoice.created_index!);
    }
    return out.result;
  }

  async listInvoices(filter: { label?: string; payment_hash?: string; status?: InvoiceStatus } & ListRange = {}): Promise<StoredInvoice[]> {
    const { label, payment_hash, status, start = 0, limit } = filter;
    const self = this;
    const invoices = this.records.invoices;
    function* good() {
      for (const [hash, i] of invoices) if (!(i.created_index! < start)) yield self.keep('invoice', 'invoices', hash, i);
    }
    return take(
      good(),
      limit,
      (i) =>
        i.created_index! >= start &&
        (label === undefined || i.label === label) &&
        (payment_hash === undefined || i.payment_hash === payment_hash) &&
        (status === undefined || i.status === status),
    );
  }

  async getCache(key: CacheKey): Promise<unknown> {
    return this.records.cache.has(key) ? structuredClone(this.records.cache.get(key)) : undefined;
  }

  async putCache(key: CacheKey, value: unknown): Promise<void> {
    this.records.cache.set(key, structuredClone(value));
  }

  async getHoldKey(): Promise<CryptoKey | undefined> {
    return this.records.holdKey;
  }

  async addHoldKey(key: CryptoKey): Promise<CryptoKey> {
    return (this.records.holdKey ??= key);
  }

  close(): void {
    this.health.close();
  }
}

/**
 * A store that keeps journals in memory only: a closed tab loses them. Use
 * {@link indexedDbStore} in browsers.
 */
export function memoryStore(): Store {
  const journals = new Map<string, Records>();
  return {
    async open(nodeId: string, options: OpenOptions = {}): Promise<Journal> {
      let records = journals.get(nodeId);
      if (!records) journals.set(nodeId, (records = new Records()));
      return new MemoryJournal(records, new JournalHealth(options.onProblem));
    },
  };
}
