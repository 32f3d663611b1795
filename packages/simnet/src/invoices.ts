/**
 * The receiving side of a simulated node: Core Lightning's invoices (the node makes and
 * keeps the preimage) and the BOLT 4 "Basic Multi-Part Payments" receiver rules: parts
 * with one payment hash form a set, nothing is fulfilled until the set reaches total_msat,
 * then every part is; an incomplete set fails back with mpp_timeout when the timeout
 * passes. A plugin's `htlc_accepted` hook (the hold plugin, hold-plugin.ts) sees each
 * arriving HTLC first.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { Attempt, FailName, Network, SimNode } from './network.ts';
import { Changes } from './changes.ts';

export type InvoiceStatus = 'unpaid' | 'paid' | 'expired';

export interface Invoice {
  label: string;
  bolt11: string;
  payment_hash: string;
  amount_msat?: number;
  description: string;
  expires_at: number;
  created_index: number;
  updated_index?: number;
  pay_index?: number;
  amount_received_msat?: number;
  paid_at?: number;
  payment_secret: string;
  preimage?: string;
  min_final_cltv_expiry: number;
  paid: boolean;
}

interface HtlcSet {
  total_msat: number;
  parts: Attempt[];
  timer?: ReturnType<typeof setTimeout>;
}

export class InvoiceBook {
  readonly byLabel = new Map<string, Invoice>();
  readonly byHash = new Map<string, Invoice>();
  private readonly sets = new Map<string, HtlcSet>();
  private readonly changes = new Changes();
  private createdIndex = 0;
  private updatedIndex = 0;
  payIndex = 0;
  /**
   * A plugin's `htlc_accepted` hook: true when it took the HTLC (held or failed it), false
   * to let the node go on with its own invoices.
   */
  hook?: (attempt: Attempt) => boolean;

  constructor(
    private readonly network: Network,
    node: SimNode,
    /** Milliseconds before an incomplete set fails back (BOLT 4: at least 60 s). */
    public mppTimeout: number,
  ) {
    node.receive = (attempt) => this.receive(attempt);
  }

  nextCreatedIndex(): number {
    return ++this.createdIndex;
  }

  add(invoice: Invoice): void {
    this.byLabel.set(invoice.label, invoice);
    this.byHash.set(invoice.payment_hash, invoice);
    this.wake();
  }

  delete(invoice: Invoice): void {
    this.byLabel.delete(invoice.label);
    if (this.byHash.get(invoice.payment_hash) === invoice) this.byHash.delete(invoice.payment_hash);
    this.wake();
  }

  /** Current status (expiry is evaluated lazily, as Core Lightning reports it). */
  status(invoice: Invoice): InvoiceStatus {
    if (invoice.paid) return 'paid';
    return this.network.seconds() >= invoice.expires_at ? 'expired' : 'unpaid';
  }

  /** Incoming HTLCs currently held for a payment hash. */
  held(payment_hash: string): Attempt[] {
    return this.sets.get(payment_hash)?.parts ?? [];
  }

  /** Resolves when anything here changes, or after `ms`. */
  changed(ms?: number): Promise<void> {
    return this.changes.next(ms);
  }

  private wake(): void {
    this.changes.wake();
  }

  private receive(attempt: Attempt): void {
    if (this.hook?.(attempt)) return;
    const arrived = attempt.arrived!;
    const index = attempt.route.length;
    const details = this.network.paymentDetailsData(arrived.amount_msat);
    const reject = (name: FailName = 'incorrect_or_unknown_payment_details', data = details): void =>
      this.network.failBack(attempt, index, name, name === 'incorrect_or_unknown_payment_details' ? data : '');
    const { payment_hash, payment_secret, total_msat } = attempt.final;
    const invoice = this.byHash.get(payment_hash);
    // BOLT 4: unknown hash, wrong secret, expired, wrong amount and too-soon expiry all look
    // the same to the payer (incorrect_or_unknown_payment_details), so probing learns nothing.
    if (!invoice || invoice.paid) return reject();
    if (this.status(invoice) === 'expired') return reject();
    if (payment_secret !== invoice.payment_secret) return reject();
    if (invoice.amount_msat !== undefined && (total_msat < invoice.amount_msat || total_msat > 2 * invoice.amount_msat)) return reject();
    if (arrived.expiry < this.network.blockheight + invoice.min_final_cltv_expiry) return reject();
    let set = this.sets.get(payment_hash);
    if (set && set.total_msat !== total_msat) return reject();
    if (!set) {
      set = { total_msat, parts: [] };
      this.sets.set(payment_hash, set);
      const current = set;
      current.timer = setTimeout(() => this.timeOut(payment_hash, current), this.mppTimeout);
    }
    set.parts.push(attempt);
    this.wake();
    const sum = set.parts.reduce((s, a) => s + a.arrived!.amount_msat, 0);
    if (sum < set.total_msat) return;
    clearTimeout(set.timer);
    set.timer = undefined;
    this.settle(invoice, invoice.preimage!);
  }

  private timeOut(payment_hash: string, set: HtlcSet): void {
    if (this.sets.get(payment_hash) !== set || !set.timer) return;
    this.sets.delete(payment_hash);
    for (const attempt of set.parts) this.network.failBack(attempt, attempt.route.length, 'mpp_timeout');
    this.wake();
  }

  /** Fulfils every held part of a complete set and marks the invoice paid. */
  settle(invoice: Invoice, preimage: string): void {
    const set = this.sets.get(invoice.payment_hash);
    if (!set) return;
    this.sets.delete(invoice.payment_hash);
    clearTimeout(set.timer);
    invoice.paid = true;
    invoice.preimage = preimage;
    invoice.pay_index = ++this.payIndex;
    invoice.updated_index = ++this.updatedIndex;
    invoice.amount_received_msat = set.parts.reduce((s, a) => s + a.arrived!.amount_msat, 0);
    invoice.paid_at = this.network.seconds();
    for (const attempt of set.parts) this.network.fulfill(attempt, preimage);
    this.wake();
  }

  stop(): void {
    for (const set of this.sets.values()) clearTimeout(set.timer);
    this.sets.clear();
    this.changes.stop();
  }
}

/** SHA-256 of a hex preimage, as hex: the payment hash it unlocks. */
export function hashOfPreimage(preimage: string): string {
  return bytesToHex(sha256(hexToBytes(preimage)));
}
