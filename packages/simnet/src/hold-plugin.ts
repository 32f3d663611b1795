/**
 * The hold-invoice plugin Core Lightning nodes run, BoltzExchange/hold v0.3.3, as a
 * simulated node runs it: its own table of invoices (not Core Lightning's: `listinvoices`
 * never shows them), the `htlc_accepted` hook that holds their parts, and the rules of its
 * source — `src/handler.rs` (which HTLCs are held or refused), `src/settler.rs` (settle,
 * cancel, the MPP timeout), `src/database/model.rs` (states and their transitions),
 * `src/encoder.rs` (the invoice: empty description, 3600 s, final CLTV 80) and
 * `src/commands/list.rs` (the rows). The RPC methods over it are in rpc-hold.ts.
 *
 * Left out: the `hold-expiry-deadline` auto-cancel (simnet's chain does not grow), BOLT 12,
 * gRPC, and the 15 s tick of the MPP timeout loop (a part here times out exactly
 * `mppTimeout` after it arrived; on a real node up to 15 s later).
 */
import { decodeBolt11, encodeBolt11 } from '@ampkit/wire';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { FullNode } from './full-node.ts';
import { hashOfPreimage } from './invoices.ts';
import type { Attempt, FailName } from './network.ts';

/** An invoice's state, and an HTLC row's (never `unpaid`). */
export type HoldState = 'unpaid' | 'accepted' | 'paid' | 'cancelled';

/** The plugin's error words; rpc-hold.ts sends them as JSON-RPC -32700, as cln-plugin does. */
export class HoldPluginError extends Error {}

/** `lightning_invoice::DEFAULT_EXPIRY_TIME`: what every JSON-RPC hold invoice gets. */
export const HOLD_EXPIRY = 3600;
/** `DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA` of src/encoder.rs. */
export const HOLD_MIN_FINAL_CLTV = 80;
/** var_onion_optin, payment_secret (both set by lightning-invoice's `payment_secret()`), basic_mpp. */
const HOLD_FEATURES = [8, 14, 17];
/** An HTLC set may overpay up to twice the amount (OVERPAYMENT_FACTOR in src/handler.rs). */
const OVERPAYMENT_FACTOR = 2;

interface HtlcRow {
  id: number;
  invoice_id: number;
  state: Exclude<HoldState, 'unpaid'>;
  scid: string;
  /** The HTLC's id within its channel (the hook's `htlc.id`; the plugin's column name). */
  channel_id: number;
  msat: number;
  cltv_expiry: number | null;
  /** Milliseconds. */
  created_at: number;
}

interface HoldInvoice {
  id: number;
  payment_hash: string;
  preimage?: string;
  invoice: string;
  state: HoldState;
  min_cltv?: number;
  /** Milliseconds. */
  created_at: number;
  settled_at?: number;
  htlcs: HtlcRow[];
  /** From the invoice: what the hook checks. */
  amount_msat: number;
  payment_secret?: string;
  min_final_cltv_expiry: number;
}

/** A held HTLC, waiting for settle, cancel or its MPP timeout (the plugin keeps these in memory). */
interface Pending {
  attempt: Attempt;
  row: HtlcRow;
  timer?: ReturnType<typeof setTimeout>;
}

/** SQLite's CURRENT_TIMESTAMP, as chrono writes it back: UTC, whole seconds, no zone. */
function dbTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** `Utc::now().naive_utc()` as chrono writes it: a fraction of a second when there is one. */
function preciseTime(ms: number): string {
  return ms % 1000 === 0 ? dbTime(ms) : `${dbTime(ms)}.${String(ms % 1000).padStart(3, '0')}000`;
}

const FINAL: readonly HoldState[] = ['paid', 'cancelled'];

/** `InvoiceState::validate_transition`: the words of the refusal, or undefined when allowed. */
function transitionError(from: HoldState, to: HoldState): string | undefined {
  if (FINAL.includes(from) && from !== to) return `state ${from} is final`;
  if (from === 'unpaid' && to !== 'accepted' && to !== 'cancelled') return `invoice state transition (${from} -> ${to})`;
  if (from === 'accepted' && to === 'unpaid') return `invoice state transition (${from} -> ${to})`;
  return undefined;
}

export class HoldPlugin {
  /** By payment hash; a Map keeps them in id order, as the plugin lists them. */
  private readonly invoices = new Map<string, HoldInvoice>();
  /** Held HTLCs by payment hash. An entry stays (maybe empty) until settle or cancel. */
  private readonly pending = new Map<string, Pending[]>();
  private invoiceIds = 0;
  private htlcIds = 0;

  constructor(
    private readonly full: FullNode,
    /** Milliseconds a part of an unaccepted invoice is held (`hold-mpp-timeout`, 60 s). */
    public mppTimeout: number,
  ) {}

  /** `holdinvoice`: a signed invoice for the hash (32 bytes), stored `unpaid`. */
  invoice(payment_hash: Uint8Array, amount_msat: number): string {
    // bitcoin_hashes' Hash::from_slice, before anything is stored.
    if (payment_hash.length !== 32) throw new HoldPluginError(`invalid slice length ${payment_hash.length} (expected 32)`);
    const { network } = this.full;
    const payment_secret = this.full.nextSecret();
    const hash = bytesToHex(payment_hash);
    let bolt11: string;
    try {
      bolt11 = encodeBolt11(
        {
          currency: this.full.currency,
          amount_msat,
          created_at: network.seconds(),
          payment_hash: hash,
          payment_secret,
          description: '',
          expiry: HOLD_EXPIRY,
          min_final_cltv_expiry: HOLD_MIN_FINAL_CLTV,
          features: HOLD_FEATURES,
        },
        // Re-signed by the node's `signinvoice`: the payee is the node.
        this.full.privateKey,
      );
    } catch (error) {
      // An invoice that cannot be made (an amount of 0): the encoder's words, as the plugin
      // passes lightning-invoice's on (those exact words are not simulated).
      throw new HoldPluginError((error as Error).message);
    }
    this.insert({ payment_hash: hash, invoice: bolt11, amount_msat, payment_secret, min_final_cltv_expiry: HOLD_MIN_FINAL_CLTV });
    return bolt11;
  }

  /** `injectholdinvoice`: an invoice made elsewhere, payable to this node, held like its own. */
  inject(invoice: string, min_cltv?: number): void {
    let decoded: ReturnType<typeof decodeBolt11>;
    try {
      decoded = decodeBolt11(invoice);
    } catch (error) {
      throw new HoldPluginError((error as Error).message);
    }
    const us = this.full.node.id;
    if (decoded.payee !== us && !(decoded.routes ?? []).some((route) => route.some((hop) => hop.pubkey === us)))
      throw new HoldPluginError('invoice is not related to us');
    this.insert({
      payment_hash: decoded.payment_hash,
      invoice,
      amount_msat: decoded.amount_msat ?? 0,
      ...(decoded.payment_secret !== undefined ? { payment_secret: decoded.payment_secret } : {}),
      min_final_cltv_expiry: decoded.min_final_cltv_expiry,
      ...(min_cltv !== undefined ? { min_cltv } : {}),
    });
  }

  private insert(
    o: Pick<HoldInvoice, 'payment_hash' | 'invoice' | 'amount_msat' | 'payment_secret' | 'min_final_cltv_expiry' | 'min_cltv'>,
  ): void {
    // The plugin's table has `payment_hash UNIQUE`; this is SQLite's refusal.
    if (this.invoices.has(o.payment_hash)) throw new HoldPluginError('UNIQUE constraint failed: invoices.payment_hash');
    this.invoices.set(o.payment_hash, { id: ++this.invoiceIds, state: 'unpaid', created_at: this.full.network.now(), htlcs: [], ...o });
  }

  /** `listholdinvoices`: the rows, all or the one with that hash (hex of any length). */
  list(payment_hash?: string): Record<string, unknown>[] {
    const invoices =
      payment_hash === undefined ? [...this.invoices.values()] : [this.invoices.get(payment_hash)].filter((i) => i !== undefined);
    return invoices.map((i) => ({
      id: i.id,
      payment_hash: i.payment_hash,
      ...(i.preimage !== undefined ? { preimage: i.preimage } : {}),
      invoice: i.invoice,
      state: i.state,
      ...(i.min_cltv !== undefined ? { min_cltv: i.min_cltv } : {}),
      created_at: dbTime(i.created_at),
      ...(i.settled_at !== undefined ? { settled_at: preciseTime(i.settled_at) } : {}),
      htlcs: i.htlcs.map((h) => ({ ...h, created_at: dbTime(h.created_at) })),
    }));
  }

  /**
   * `settleholdinvoice`: resolves every held HTLC with the preimage (hex of any length: its
   * SHA-256 names the invoice), then records `paid`. As in src/settler.rs, the HTLCs are
   * released before the state is checked: settling an `unpaid` invoice that holds some
   * parts hands the payer the preimage and then fails with a transition error.
   */
  settle(preimage: string): void {
    const hash = hashOfPreimage(preimage);
    const invoice = this.invoices.get(hash);
    if (!invoice) throw new HoldPluginError('invoice not found');
    if (invoice.state === 'paid') return;
    const held = this.pending.get(hash);
    if (!held) throw new HoldPluginError('no HTLCs to settle');
    this.pending.delete(hash);
    for (const p of held) {
      clearTimeout(p.timer);
      this.full.network.fulfill(p.attempt, preimage);
    }
    const refused = transitionError(invoice.state, 'paid');
    if (refused) throw new HoldPluginError(refused);
    invoice.state = 'paid';
    invoice.preimage = preimage;
    invoice.settled_at = this.full.network.now();
    // Only the held ones are paid (v0.3.1); rows of refused or timed-out parts stay cancelled.
    for (const row of invoice.htlcs) if (row.state === 'accepted') row.state = 'paid';
  }

  /** `cancelholdinvoice`: fails every held HTLC back, then records `cancelled` (idempotent). */
  cancel(payment_hash: string): void {
    const held = this.pending.get(payment_hash) ?? [];
    this.pending.delete(payment_hash);
    for (const p of held) this.fail(p, 'incorrect_or_unknown_payment_details');
    const invoice = this.invoices.get(payment_hash);
    if (!invoice) throw new HoldPluginError('invoice not found');
    const refused = transitionError(invoice.state, 'cancelled');
    if (refused) throw new HoldPluginError(`could not update invoice in database: ${refused}`);
    invoice.state = 'cancelled';
    for (const row of invoice.htlcs) row.state = 'cancelled';
  }

  /** `cleanholdinvoices`: deletes cancelled invoices made `age` seconds ago or earlier. */
  clean(age: number): number {
    const before = this.full.network.now() - age * 1000;
    let cleaned = 0;
    for (const [hash, invoice] of this.invoices) {
      if (invoice.state === 'cancelled' && invoice.created_at <= before) {
        this.invoices.delete(hash);
        cleaned++;
      }
    }
    return cleaned;
  }

  /**
   * The `htlc_accepted` hook (src/handler.rs): false for a hash the plugin has no invoice
   * for (Core Lightning goes on with its own invoices); otherwise the HTLC is held or
   * refused, and recorded either way.
   */
  htlcAccepted(attempt: Attempt): boolean {
    const arrived = attempt.arrived!;
    const invoice = this.invoices.get(attempt.final.payment_hash);
    if (!invoice) return false;
    const { network } = this.full;
    const row: HtlcRow = {
      id: ++this.htlcIds,
      invoice_id: invoice.id,
      state: 'accepted',
      scid: arrived.channel.scid,
      channel_id: arrived.htlc.id,
      msat: arrived.amount_msat,
      cltv_expiry: arrived.expiry,
      created_at: network.now(),
    };
    invoice.htlcs.push(row);
    // The plugin's failure messages are bare codes ("400F", "0012", "0017"): no data.
    const refuse = (name: FailName): true => {
      row.state = 'cancelled';
      network.failBack(attempt, attempt.route.length, name, '');
      return true;
    };
    if (invoice.state !== 'unpaid') return refuse('incorrect_or_unknown_payment_details');
    if (invoice.payment_secret !== undefined && attempt.final.payment_secret !== invoice.payment_secret)
      return refuse('incorrect_or_unknown_payment_details');
    if (arrived.expiry - network.blockheight < (invoice.min_cltv ?? invoice.min_final_cltv_expiry))
      return refuse('final_incorrect_cltv_expiry');
    // The invoice's amount decides, not the onion's total_msat.
    const paid = invoice.htlcs.filter((h) => h.state === 'accepted' || h.state === 'paid').reduce((s, h) => s + h.msat, 0);
    if (paid > OVERPAYMENT_FACTOR * invoice.amount_msat) return refuse('incorrect_or_unknown_payment_details');
    if (paid >= invoice.amount_msat) invoice.state = 'accepted';
    const held: Pending = { attempt, row };
    held.timer = setTimeout(() => this.timeOut(invoice.payment_hash, held), this.mppTimeout);
    const list = this.pending.get(invoice.payment_hash);
    if (list) list.push(held);
    else this.pending.set(invoice.payment_hash, [held]);
    return true;
  }

  /** src/settler.rs mpp_timeout_loop: a part of an invoice not `accepted` leaves after the timeout. */
  private timeOut(payment_hash: string, held: Pending): void {
    const invoice = this.invoices.get(payment_hash);
    const list = this.pending.get(payment_hash);
    // An accepted set is held until settled, cancelled or (on a real node) near its expiry.
    if (!invoice || invoice.state === 'accepted' || !list?.includes(held)) return;
    list.splice(list.indexOf(held), 1);
    this.fail(held, 'mpp_timeout');
  }

  private fail(held: Pending, name: FailName): void {
    clearTimeout(held.timer);
    held.row.state = 'cancelled';
    this.full.network.failBack(held.attempt, held.attempt.route.length, name, '');
  }

  stop(): void {
    for (const list of this.pending.values()) for (const p of list) clearTimeout(p.timer);
    this.pending.clear();
  }
}
