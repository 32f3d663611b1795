/**
 * The journal's interface. Every change to one payment and its parts goes through
 * {@link Journal.update}, which reads them, lets the engine decide, and writes the decision
 * in one atomic step: in IndexedDB one readwrite transaction, which also serialises two tabs
 * paying the same hash.
 */
import type { Invoice, InvoiceStatus, PartialInvoice, PartialPayment, Payment, PaymentStatus } from '../types.ts';

/** An invoice as journaled: the public record plus what the engine needs to finish it. */
export interface StoredInvoice extends Invoice {
  /** Hold invoices: made by the engine, journaled before the node hears of the hash. */
  preimage?: string;
  /** Parts held now. */
  held: PartialInvoice[];
  /** Keys (`scid/id`) of parts that arrived and left, so a part is never counted twice. */
  left: string[];
  /** The node's HTLC created index when the invoice was made: its parts come after it. */
  htlc_index: number;
  /** Hold invoices: journaled, but the node's answer to `holdinvoice` is not known yet. */
  creating?: boolean;
  /** Hold invoices: when an engine took the claim; only it hands the preimage over. */
  settling_at?: number;
  /** Hold invoices: the engine cancelled it. */
  cancelled?: boolean;
}

/** What an invoice update writes. */
export interface InvoiceChange<T> {
  /** The record to write, or `null` to delete it; absent: nothing written. */
  invoice?: StoredInvoice | null;
  result: T;
}

/** A payment and all its parts, as stored. */
export interface PaymentView {
  payment?: Payment;
  /** Ordered by `id`. */
  parts: PartialPayment[];
}

/** The view handed to an update, with the store's id counter. */
export interface UpdateView extends PaymentView {
  /** Allocates the next part id (committed only if the update writes). */
  nextId(): number;
}

/** What an update writes: the payment and the parts that changed, and its result. */
export interface Change<T> {
  payment?: Payment;
  parts?: PartialPayment[];
  result: T;
}

/** Options of one update. */
export interface UpdateOptions {
  /**
   * Wait until the write is on disk before resolving (IndexedDB `durability: 'strict'`).
   * Used for the journal entry that precedes a send; a resolution can be learned again from
   * the node, so it need not wait.
   */
  durable?: boolean;
}

/** What a journal caches beside its records. */
export type CacheKey = 'graph' | 'liquidity';

/** One node's journal. */
export interface Journal {
  /** The payment with that hash and its parts. */
  read(payment_hash: string): Promise<PaymentView>;
  /**
   * Reads the payment with that hash and its parts, calls `change` (synchronously, inside
   * the transaction), writes what it returns. If `change` throws, nothing is written.
   */
  update<T>(payment_hash: string, change: (view: UpdateView) => Change<T>, options?: UpdateOptions): Promise<T>;
  /** One part by its engine id. */
  getPart(id: number): Promise<PartialPayment | undefined>;
  /** Parts with that hash, or with that status, or all; ordered by id. */
  listParts(filter?: { payment_hash?: string; status?: PaymentStatus }): Promise<PartialPayment[]>;
  /** Payments with that hash or status, or all; ordered by creation. */
  listPayments(filter?: { payment_hash?: string; status?: PaymentStatus }): Promise<Payment[]>;
  /** The invoice with that hash. */
  getInvoice(payment_hash: string): Promise<StoredInvoice | undefined>;
  /**
   * Reads the invoice with that hash, calls `change` (synchronously, inside the
   * transaction), writes what it returns. Fails with `INVALID_ARGUMENT` when the label is
   * taken by another invoice. If `change` throws, nothing is written.
   */
  updateInvoice<T>(payment_hash: string, change: (current: StoredInvoice | undefined) => InvoiceChange<T>, options?: UpdateOptions): Promise<T>;
  /** Invoices with that label, hash or status, or all; ordered by creation. */
  listInvoices(filter?: { label?: string; payment_hash?: string; status?: InvoiceStatus }): Promise<StoredInvoice[]>;
  /**
   * A cached value under `key` (the local planner's graph and learned liquidity), or
   * undefined. Caches are not the journal: losing one loses no money, only a download.
   */
  getCache(key: CacheKey): Promise<unknown>;
  /** Replaces the cached value under `key` (structured-cloned). */
  putCache(key: CacheKey, value: unknown): Promise<void>;
  /** Releases the database connection. */
  close(): void;
}

/** Where journals live. `open` is called with the node's id so two nodes never share one. */
export interface Store {
  open(nodeId: string): Promise<Journal>;
}
