/**
 * A journal in memory: for tests, and for pages that choose not to persist. It keeps one
 * journal per node id for the store object's life, so a second engine on the same store
 * sees what the first wrote (as a reopened tab sees IndexedDB). Records are copied in and
 * out, as IndexedDB's structured clone does, so no caller can change what is stored.
 */
import { engineError } from '../errors.ts';
import type { InvoiceStatus, PartialPayment, Payment, PaymentStatus } from '../types.ts';
import type { Change, InvoiceChange, Journal, PaymentView, Store, StoredInvoice, UpdateView, CacheKey } from './store.ts';

class MemoryJournal implements Journal {
  private readonly payments = new Map<string, Payment>();
  private readonly parts = new Map<number, PartialPayment>();
  private readonly byHash = new Map<string, Set<number>>();
  private lastId = 0;

  async read(payment_hash: string): Promise<PaymentView> {
    return this.view(payment_hash);
  }

  private view(payment_hash: string): PaymentView {
    const payment = this.payments.get(payment_hash);
    const ids = [...(this.byHash.get(payment_hash) ?? [])].sort((a, b) => a - b);
    return {
      ...(payment ? { payment: structuredClone(payment) } : {}),
      parts: ids.map((id) => structuredClone(this.parts.get(id)!)),
    };
  }

  async update<T>(payment_hash: string, change: (view: UpdateView) => Change<T>): Promise<T> {
    let next = this.lastId;
    const out = change({ ...this.view(payment_hash), nextId: () => ++next });
    if (out.payment) this.payments.set(out.payment.payment_hash, structuredClone(out.payment));
    for (const part of out.parts ?? []) {
      this.parts.set(part.id, structuredClone(part));
      let ids = this.byHash.get(part.payment_hash);
      if (!ids) this.byHash.set(part.payment_hash, (ids = new Set()));
      ids.add(part.id);
    }
    if (out.payment || out.parts?.length) this.lastId = next;
    return out.result;
  }

  async getPart(id: number): Promise<PartialPayment | undefined> {
    const part = this.parts.get(id);
    return part && structuredClone(part);
  }

  async listParts(filter: { payment_hash?: string; status?: PaymentStatus } = {}): Promise<PartialPayment[]> {
    const source = filter.payment_hash !== undefined ? this.view(filter.payment_hash).parts : [...this.parts.values()];
    return source
      .filter((p) => filter.status === undefined || p.status === filter.status)
      .sort((a, b) => a.id - b.id)
      .map((p) => structuredClone(p));
  }

  async listPayments(filter: { payment_hash?: string; status?: PaymentStatus } = {}): Promise<Payment[]> {
    return [...this.payments.values()]
      .filter((p) => (filter.payment_hash === undefined || p.payment_hash === filter.payment_hash) && (filter.status === undefined || p.status === filter.status))
      .map((p) => structuredClone(p));
  }

  private readonly invoices = new Map<string, StoredInvoice>();

  async getInvoice(payment_hash: string): Promise<StoredInvoice | undefined> {
    const invoice = this.invoices.get(payment_hash);
    return invoice && structuredClone(invoice);
  }

  async updateInvoice<T>(payment_hash: string, change: (current: StoredInvoice | undefined) => InvoiceChange<T>): Promise<T> {
    const out = change(await this.getInvoice(payment_hash));
    if (out.invoice === null) this.invoices.delete(payment_hash);
    else if (out.invoice) {
      for (const other of this.invoices.values()) {
        if (other.label === out.invoice.label && other.payment_hash !== payment_hash) throw engineError('INVALID_ARGUMENT', 'that label is taken by another invoice');
      }
      this.invoices.set(payment_hash, structuredClone(out.invoice));
    }
    return out.result;
  }

  async listInvoices(filter: { label?: string; payment_hash?: string; status?: InvoiceStatus } = {}): Promise<StoredInvoice[]> {
    return [...this.invoices.values()]
      .filter((i) => (filter.label === undefined || i.label === filter.label) && (filter.payment_hash === undefined || i.payment_hash === filter.payment_hash) && (filter.status === undefined || i.status === filter.status))
      .sort((a, b) => a.created_at - b.created_at)
      .map((i) => structuredClone(i));
  }

  private readonly cache = new Map<CacheKey, unknown>();

  async getCache(key: CacheKey): Promise<unknown> {
    return this.cache.has(key) ? structuredClone(this.cache.get(key)) : undefined;
  }

  async putCache(key: CacheKey, value: unknown): Promise<void> {
    this.cache.set(key, structuredClone(value));
  }

  close(): void {}
}

/**
 * A store that keeps journals in memory only: a closed tab loses them. Use
 * {@link indexedDbStore} in browsers.
 */
export function memoryStore(): Store {
  const journals = new Map<string, MemoryJournal>();
  return {
    async open(nodeId: string): Promise<Journal> {
      let journal = journals.get(nodeId);
      if (!journal) journals.set(nodeId, (journal = new MemoryJournal()));
      return journal;
    },
  };
}
