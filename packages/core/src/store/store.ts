/**
 * The journal's interface. Every change to one payment and its parts goes through
 * {@link Journal.update}, which reads them, lets the engine decide, and writes the decision
 * in one atomic step: in IndexedDB one readwrite transaction, which also serialises two tabs
 * paying the same hash.
 */
import type { AmpkitError } from '../errors.ts';
import type { Invoice, InvoiceStatus, PartialInvoice, PartialPayment, Payment, PaymentStatus } from '../types.ts';

/** An invoice as journaled: the public record plus what the engine needs to finish it. */
export interface StoredInvoice extends Invoice {
  /**
   * Hold invoices: the preimage, sealed with the journal's hold key (see
   * {@link Journal.getHoldKey}); the engine opens it only to hand it to the node.
   */
  sealed_preimage?: SealedPreimage;
  /**
   * Hold invoices journaled by versions before {@link StoredInvoice.sealed_preimage}: the
   * preimage in plain hex. Still read to settle; a starting engine seals it.
   */
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
  /**
   * The invoice's place in the journal's order of creation (1, 2, …): given by the journal
   * when it first stores the invoice and kept on every later write; lists page by it.
   */
  created_index?: number;
}

/**
 * Which records a list reads: those whose created index (a part's `id`, a payment's or an
 * invoice's `created_index`) is `start` or more, in that order, at most `limit` good ones
 * (malformed ones are skipped, so a page still holds `limit` good records when there are
 * that many). No `limit`: all of them. Both are checked by the engine (validate.ts `checkPage`).
 */
export interface ListRange {
  start?: number;
  limit?: number;
}

/**
 * The `next_start` of a page: one past the created index of its last row when it is full
 * (more may follow), else none (the journal read to the end).
 */
export function nextStart<T>(rows: readonly T[], limit: number | undefined, indexOf: (row: T) => number): { next_start?: number } {
  if (limit === undefined || rows.length < limit || rows.length === 0) return {};
  return { next_start: indexOf(rows[rows.length - 1]!) + 1 };
}

/**
 * A hold invoice's preimage at rest: AES-GCM (256-bit key, 96-bit `iv`, the payment hash as
 * additional data) of the 32-byte preimage; `data` is the ciphertext and its 16-byte tag. Hex.
 */
export interface SealedPreimage {
  iv: string;
  data: string;
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

/**
 * One node's journal. Every record it reads is checked first (records.ts): a malformed
 * one is never returned (lists and lookups leave it out), never overwritten nor deleted,
 * and reported once through {@link OpenOptions.onProblem}. A payment whose record or one
 * of whose parts is malformed is neither read nor updated: {@link Journal.read} and
 * {@link Journal.update} fail with `STORAGE`, since a part left out of the view could be
 * money in flight that a decision would not count. Every failure of the database itself is
 * an `AmpkitError` with code `STORAGE`.
 */
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
  /**
   * Parts with that hash and/or status, or all, from id `start` on, at most `limit`;
   * ordered by id. Read through indexes a page at a time, never the whole store.
   */
  listParts(filter?: { payment_hash?: string; status?: PaymentStatus } & ListRange): Promise<PartialPayment[]>;
  /**
   * Payments with that hash and/or status, or all, from created index `start` on, at most
   * `limit`; ordered by creation (`created_index`).
   */
  listPayments(filter?: { payment_hash?: string; status?: PaymentStatus } & ListRange): Promise<Payment[]>;
  /** The invoice with that hash. */
  getInvoice(payment_hash: string): Promise<StoredInvoice | undefined>;
  /**
   * Reads the invoice with that hash, calls `change` (synchronously, inside the
   * transaction), writes what it returns. Fails with `INVALID_ARGUMENT` when the label is
   * taken by another invoice. If `change` throws, nothing is written.
   */
  updateInvoice<T>(
    payment_hash: string,
    change: (current: StoredInvoice | undefined) => InvoiceChange<T>,
    options?: UpdateOptions,
  ): Promise<T>;
  /**
   * Invoices with that label, hash and/or status, or all, from created index `start` on, at
   * most `limit`; ordered by creation (`created_index`).
   */
  listInvoices(filter?: { label?: string; payment_hash?: string; status?: InvoiceStatus } & ListRange): Promise<StoredInvoice[]>;
  /**
   * A cached value under `key` (the local planner's graph and learned liquidity), or
   * undefined. Caches are not the journal: losing one loses no money, only a download.
   */
  getCache(key: CacheKey): Promise<unknown>;
  /** Replaces the cached value under `key` (structured-cloned). */
  putCache(key: CacheKey, value: unknown): Promise<void>;
  /**
   * The key that seals hold invoices' preimages: an AES-GCM `CryptoKey` made with
   * `extractable: false` and kept as the key object itself (IndexedDB structured-clones it),
   * so script can use it but never read its bytes. Undefined until {@link Journal.addHoldKey}.
   */
  getHoldKey(): Promise<CryptoKey | undefined>;
  /**
   * Keeps `key` as the hold key unless the journal has one already, atomically (two tabs
   * racing keep one key); gives the key kept.
   */
  addHoldKey(key: CryptoKey): Promise<CryptoKey>;
  /** Releases the database connection. */
  close(): void;
}

/**
 * Trouble a journal found by itself: a record it keeps aside, or the loss of the database.
 * The engine turns each into one `error` event, and stops on a fatal one.
 */
export interface StorageProblem {
  /** Code `STORAGE`; `data.reason` says what happened (see `EngineErrorCode`). */
  error: AmpkitError;
  /**
   * The journal can no longer be used (another tab upgraded or deleted the database, the
   * disk is full, the browser closed it): every later call fails with `error`.
   */
  fatal: boolean;
}

/** Options of {@link Store.open}. */
export interface OpenOptions {
  /**
   * Told of each malformed record once (per journal and record), and of the database's
   * loss, synchronously, before the call that found it fails: a fatal problem is known to
   * the engine before any caller hears of it.
   */
  onProblem?(problem: StorageProblem): void;
}

/** Where journals live. `open` is called with the node's id so two nodes never share one. */
export interface Store {
  /**
   * Opens the journal of that node. Fails with `STORAGE` when the database cannot be
   * opened (written by a newer version, held open by another tab at an older one, refused
   * by the browser).
   */
  open(nodeId: string, options?: OpenOptions): Promise<Journal>;
}
