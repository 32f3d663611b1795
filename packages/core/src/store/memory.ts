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
import type { CacheKey, Change, InvoiceChange, Journal, OpenOptions, PaymentView, Store, StoredInvoice, UpdateView } from './store.ts';

/** One node's records, shared by every journal opened on it. */
class Records {
  readonly payments = new Map<string, Payment>();
  readonly parts = new Map<number, PartialPayment>();
  readonly byHash = new Map<string, Set<number>>();
  lastId = 0;
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
    if (out.payment) {
      this.health.checkWrite('payment', out.payment);
      if (out.payment.payment_hash !== payment_hash && records.payments.has(out.payment.payment_hash))
        throw storageError('record', `refusing to overwrite payment ${out.payment.payment_hash}`);
    }
    for (const part of out.parts ?? []) {
      this.health.checkWrite('part', part);
      if (records.parts.has(part.id) && !(known.has(part.id) && !fresh.has(part.id)))
        throw storageError('record', `refusing to overwrite part ${part.id}`);
    }
    if (out.payment) records.payments.set(out.payment.payment_hash, structuredClone(out.payment));
    for (const part of out.parts ?? []) {
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

  async listParts(filter: { payment_hash?: string; status?: PaymentStatus } = {}): Promise<PartialPayment[]> {
    const ids =
      filter.payment_hash !== undefined ? [...(this.records.byHash.get(filter.payment_hash) ?? [])] : [...this.records.parts.keys()];
    return ids
      .sort((a, b) => a - b)
      .map((id) => this.keep('part', 'parts', id, this.records.parts.get(id)))
      .filter((p): p is PartialPayment => p !== undefined && (filter.status === undefined || p.status === filter.status));
  }

  async listPayments(filter: { payment_hash?: string; status?: PaymentStatus } = {}): Promise<Payment[]> {
    return [...this.records.payments.entries()]
      .map(([hash, p]) => this.keep('payment', 'payments', hash, p))
      .filter(
        (p): p is Payment =>
          p !== undefined &&
          (filter.payment_hash === undefined || p.payment_hash === filter.payment_hash) &&
          (filter.status === undefined || p.status === filter.status),
      );
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
      this.health.checkWrite('invoice', out.invoice);
      if (out.invoice.payment_hash !== payment_hash)
        throw storageError('record', `refusing to journal invoice ${out.invoice.payment_hash} in the place of ${payment_hash}`);
      for (const other of this.records.invoices.values()) {
        if (other.label === out.invoice.label && other.payment_hash !== payment_hash)
          throw engineError('INVALID_ARGUMENT', 'that label is taken by another invoice');
      }
      this.records.invoices.set(payment_hash, structuredClone(out.invoice));
    }
    return out.result;
  }

  async listInvoices(filter: { label?: string; payment_hash?: string; status?: InvoiceStatus } = {}): Promise<StoredInvoice[]> {
    return [...this.records.invoices.entries()]
      .map(([hash, i]) => this.keep('invoice', 'invoices', hash, i))
      .filter(
        (i): i is StoredInvoice =>
          i !== undefined &&
          (filter.label === undefined || i.label === filter.label) &&
          (filter.payment_hash === undefined || i.payment_hash === filter.payment_hash) &&
          (filter.status === undefined || i.status === filter.status),
      )
      .sort((a, b) => a.created_at - b.created_at);
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
