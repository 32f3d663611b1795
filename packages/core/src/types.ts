/**
 * The engine's records, in Core Lightning's field names so a CLN user recognises them:
 * a partial payment is one row of `listsendpays`, a payment one row of `listpays`.
 */

/** One hop of a route, as Core Lightning's `getroute` gives it and `sendpay` takes it. */
export interface RouteHop {
  /** The node this hop reaches (33-byte compressed public key, hex). */
  id: string;
  /** The channel used to reach it, as a short channel id `BLOCKxTXxOUT`. */
  channel: string;
  /** The channel's direction bit, when known. */
  direction?: 0 | 1;
  /** What arrives at `id` (the last hop: what the destination receives). */
  amount_msat: number;
  /** The CLTV delta the HTLC to `id` carries. */
  delay: number;
  /** The onion style (`tlv`). */
  style?: string;
}

/** Where a part or payment is: sent and unresolved, paid, or failed. */
export type PaymentStatus = 'pending' | 'complete' | 'failed';

/** Why a part failed: a BOLT 4 failure from the route, or the reason the node gave. */
export interface PartFailure {
  /** The BOLT 4 failure code, when a node on the route reported one. */
  failcode?: number;
  /** Its name, e.g. `WIRE_MPP_TIMEOUT`. */
  failcodename?: string;
  /** The index in the route of the hop that failed (0 is our own node). */
  erring_index?: number;
  erring_node?: string;
  erring_channel?: string;
  erring_direction?: number;
  /**
   * Why the part failed when no BOLT 4 code says it: the node refused the `sendpay`, or the
   * part never reached the node (the engine stopped between its journal and the node).
   */
  failreason?: string;
}

/** One part of a multipath payment: one HTLC, one `sendpay`. */
export interface PartialPayment extends PartFailure {
  /** The engine's id of the part, unique in its store. */
  id: number;
  /** The part's id within the payment, as given to the node's `sendpay`. */
  partid: number;
  /** The attempt the part belongs to; a failed payment retried starts a new group. */
  groupid: number;
  payment_hash: string;
  /** The node the payment goes to (the route's last hop). */
  destination: string;
  route: RouteHop[];
  /** What the destination receives from this part. */
  amount_msat: number;
  /** What leaves our node for this part, fees included. */
  amount_sent_msat: number;
  status: PaymentStatus;
  /** Unix seconds at which the part was journaled. */
  created_at: number;
  /** Unix seconds at which the part resolved. */
  completed_at?: number;
  /** Set when `status` is `complete`. */
  payment_preimage?: string;
  /**
   * The engine handing the part to the node (a random id per engine), while it may still
   * be doing so: until `sending_until` (unix seconds) no other engine on the journal judges
   * the part from the node's silence, since a send on its way may still arrive. The sender
   * renews it each time it sends the part again.
   */
  sender?: string;
  /** See {@link PartialPayment.sender}. */
  sending_until?: number;
}

/** A payment: one payment hash, one intended amount, any number of parts. */
export interface Payment {
  payment_hash: string;
  /** The intended amount: what the destination is to receive in total. */
  amount_msat: number;
  /** What the parts that are not failed cost us, fees included. */
  amount_sent_msat: number;
  /**
   * Number of parts carrying the payment: those complete or in flight (once the payment is
   * complete, its remaining parts complete too); for a failed payment, the parts its last
   * attempt sent.
   */
  parts: number;
  /** The current attempt; parts are sent with this `groupid`. */
  groupid: number;
  status: PaymentStatus;
  /** The destination, once a part has named it. */
  destination?: string;
  created_at: number;
  completed_at?: number;
  payment_preimage?: string;
  bolt11?: string;
  description?: string;
  /**
   * The payment's place in the journal's order of creation (1, 2, …; Core Lightning's
   * `created_index`): given by the journal when it first stores the payment, never changed,
   * so every payment listed has one. `listpayments` pages by it (see `ListPage`).
   */
  created_index?: number;
}

/**
 * Which page of a list to give (Core Lightning's `start` and `limit` with `index: "created"`):
 * rows come oldest first, from the row whose created index is `start` or the next one after
 * it, at most `limit` of them. Without `limit`, every row from `start` on. A part's created
 * index is its `id`; a payment's and an invoice's is the journal's `created_index`.
 *
 * @example
 * ```ts
 * let start: number | undefined = 0;
 * while (start !== undefined) {
 *   const page = await engine.listpartialpayments({ start, limit: 500 });
 *   show(page.partialpayments);
 *   start = page.next_start;
 * }
 * ```
 */
export interface ListPage {
  /** The created index to start from (0 or more; default 0, the beginning). */
  start?: number;
  /** The most rows to give (1 or more); default: no limit. */
  limit?: number;
}

/** What a list call adds to its rows. */
export interface ListPageResult {
  /**
   * Present when the call had a `limit` and gave that many rows: more may follow, and
   * passing this as `start` gives the next page (it may be empty). Absent when the list
   * ended within this page.
   */
  next_start?: number;
}

/** Arguments of `listpartialpayments`: one part by `id`, a payment's parts, or all, paged. */
export interface ListPartialPaymentsRequest extends ListPage {
  id?: number;
  payment_hash?: string;
}

/** Arguments of `listpayments`: by payment hash or status, or all, paged. */
export interface ListPaymentsRequest extends ListPage {
  payment_hash?: string;
  status?: PaymentStatus;
}

/** Arguments of `listinvoices`: by label or payment hash, or all, paged. */
export interface ListInvoicesRequest extends ListPage {
  label?: string;
  payment_hash?: string;
}

/**
 * Arguments of `listpartialinvoices`: the parts held toward one invoice or every open one.
 * Pages count invoices, not parts: `limit` is the most unpaid invoices whose held parts
 * are given, `start` an invoice's created index.
 */
export interface ListPartialInvoicesRequest extends ListPage {
  payment_hash?: string;
}

/** Arguments of {@link Engine.sendpartialpay}. */
export interface SendPartialPayRequest {
  /** The part's route; its last hop's `amount_msat` is what this part delivers. */
  route: RouteHop[];
  payment_hash: string;
  /** The payment's total: what all parts together deliver. */
  intended_amount_msat: number;
  /** The invoice's payment secret (BOLT 11 `s`), 32 bytes hex. */
  payment_secret: string;
  bolt11?: string;
  description?: string;
}

/** What {@link Engine.sendpartialpay} gives back for a part it sent. */
export interface SentPart {
  id: number;
  partid: number;
  groupid: number;
  payment_hash: string;
  /** What this part delivers. */
  amount_msat: number;
  /**
   * `pending` while in flight (also when the link dropped during the send: the engine then
   * learns from the node whether it arrived); `failed` when the node failed it at once.
   */
  status: PaymentStatus;
  already_complete?: undefined;
}

/** What {@link Engine.sendpartialpay} gives back when the payment was already complete: nothing was sent. */
export interface AlreadyComplete {
  already_complete: true;
  payment_hash: string;
  /** The payment's intended amount. */
  amount_msat: number;
  status: 'complete';
  payment_preimage: string;
}

/**
 * What the journal and the node say of one payment ({@link Engine.checkpayment}), so that a
 * page can tell "already paid" before offering to pay.
 */
export interface PaymentCheck {
  /** The journal's record of the payment; absent when this journal never paid the hash. */
  payment?: Payment;
  /**
   * For a payment the journal holds as complete: `true` when the node's own record agrees (a
   * complete part whose preimage is the journal's), `false` when the node has none (its
   * history was deleted, or the network was reset): the proof is then this journal's alone,
   * though it still hashes to the payment hash. Absent otherwise, and when the node could not
   * be asked (the link is down).
   */
  confirmed?: boolean;
}

/** Where an invoice stands: `expired` once its expiry passed unpaid. */
export type InvoiceStatus = 'unpaid' | 'paid' | 'expired';

/** What `invoice()` takes. */
export interface InvoiceRequest {
  amount_msat: number;
  /** The invoice's description; a hold invoice has none (see `hold`). */
  description: string;
  /** Unique among this node's invoices in the journal; one is made up when absent. */
  label?: string;
  /** Seconds until the invoice expires (3600); a hold invoice's is always 3600 (see `hold`). */
  expiry?: number;
  /**
   * A hold invoice: the engine makes and journals the preimage and hands it to the node
   * only once the held parts reach the amount. Needs the BoltzExchange/hold plugin (v0.3.x)
   * on the node, else `HOLD_UNSUPPORTED`. The plugin makes the invoice with no description
   * and a 3600 s expiry whatever is asked; the record says what the invoice says.
   *
   * Until the invoice is paid the preimage is the payee's secret: whoever has it holds the
   * proof of a payment not made, and a node on the payment's path that has it can take the
   * payer's money without passing it on. The journal keeps it sealed (AES-GCM under a key
   * made with `extractable: false` and kept in the journal as a `CryptoKey`; WebCrypto, so
   * a secure context), and the engine opens it only to hand it to the node, after checking
   * that it hashes to the payment hash. That protects it from a copied disk or browser profile, an
   * IndexedDB dump or export, and a script that only reads records. It does not protect it
   * from script running in the engine's origin, which can open the database and have
   * WebCrypto decrypt with the key (non-extractable only stops the key being exported), nor
   * from the browser's own memory. So make hold invoices only in the payee's own engine (the
   * shop's device or server), never in a checkout page that runs in the payer's browser.
   */
  hold?: boolean;
}

/** An invoice, as `listinvoices` gives it. */
export interface Invoice {
  label: string;
  bolt11: string;
  payment_hash: string;
  amount_msat: number;
  description: string;
  status: InvoiceStatus;
  hold: boolean;
  /** Unix seconds. */
  created_at: number;
  expires_at: number;
  /** What the node claimed (paid), 0 until then. */
  amount_received_msat: number;
  /** The sum of the parts held now, not yet claimed (0 once paid or expired). */
  amount_held_msat: number;
  /** Parts claimed (paid), or parts held now (unpaid). */
  parts: number;
  paid_at?: number;
  /** The proof of payment, once paid. */
  payment_preimage?: string;
}

/**
 * One incoming HTLC held toward an invoice, not yet claimed (docs/engine-rules.md,
 * "Receiving"): the answer to "is the payer even trying to pay me?".
 */
export interface PartialInvoice {
  payment_hash: string;
  /** The invoice's amount: what the held parts must reach. */
  total_amount_msat: number;
  incoming_scid: string;
  htlc_id: number;
  partial_amount_msat: number;
  /** When the part arrived (the node's time where it says, as for hold invoices and on lnd; else when the engine first saw it). */
  incoming_time_unix: number;
  /** The block height at which the HTLC expires. */
  expiry: number;
  /**
   * The HTLC's state at the node: Core Lightning's names (e.g. `RCVD_ADD_ACK_REVOCATION`);
   * on lnd, which lists parts by invoice, `accepted` while held.
   */
  state: string;
}

/**
 * Why a held part went away without being claimed: its set timed out (BOLT 4
 * `mpp_timeout`), the node failed it back, the engine cancelled the hold invoice, or the
 * invoice expired.
 */
export type PartGoneReason = 'timeout' | 'failed' | 'cancelled' | 'expired';

/** What `pay()` takes. */
export interface PayRequest {
  /** The BOLT 11 invoice to pay. */
  bolt11: string;
  /** What to deliver, for an invoice without an amount (refused when the invoice has one that differs). */
  amount_msat?: number;
  /** The most the whole payment may cost in fees (default: 0.5% of the amount, at least 5,000 msat). */
  maxfee_msat?: number;
  /** Seconds to keep trying before giving up (60). */
  retry_for?: number;
  /** The most parts in flight at once (16). */
  maxparts?: number;
  /**
   * Who plans the routes. `'local'`: the engine plans here, a min-cost flow on the node's
   * public graph (cached beside the journal) weighing each channel's chance of carrying
   * the amount against its fee, learning from every part's result, with our own channels'
   * balances and the invoice's route hints; the first payment waits for the graph.
   * `'node'`: the node plans (`getroutes`). `'auto'` (the default): the local planner once
   * its graph is in memory; until then the node plans, so the first payment starts at once,
   * and the graph loads behind, after the payment (when the node cannot plan, the payment
   * waits for the graph). Either way what is left is planned again when parts fail, and no
   * part is sent again over a direction that could not carry its amount in this payment.
   */
  planner?: PlannerChoice;
}

/** Who plans a `pay()`'s routes: see {@link PayRequest.planner}. */
export type PlannerChoice = 'auto' | 'local' | 'node';

/** Who planned a part: the engine's local planner or the node's `getroutes`. */
export type PlannerName = 'local' | 'node';

/** A part as `pay-progress` tells it: the journal's part and who planned it. */
export interface PayPart extends PartialPayment {
  /** Who planned this part; absent for a part this `pay()` did not send (an earlier engine's). */
  planner?: PlannerName;
}

/** Where a `pay()` stands: every part it sent so far and what they add up to. */
export interface PayProgress {
  payment_hash: string;
  /** What the destination is to receive in total. */
  amount_msat: number;
  /** The fee budget. */
  maxfee_msat: number;
  /** `pending` while parts are in flight or being planned; then `complete` or `failed`. */
  status: PaymentStatus;
  /** Every part this `pay()` sent, in the order sent (failed ones included), with who planned it. */
  parts: PayPart[];
  /** Parts sent so far, failed ones included. */
  attempts: number;
  /** What complete parts delivered. */
  amount_delivered_msat: number;
  /** What parts in flight carry toward the destination. */
  amount_inflight_msat: number;
  /** Fees of the parts complete or in flight. */
  fee_msat: number;
  /** Why the payment failed, once it has, in the engine's words (amounts in msat). */
  failreason?: string;
  /** Why the payment failed, once it has, as a kind a page can put in its own words. */
  failkind?: PayFailKind;
}

/**
 * Why a `pay()` failed:
 * - `no-route`: no path with room enough for what was left (liquidity), retries spent;
 * - `fee-budget`: paths were found, but they cost more than the fee budget left;
 * - `payee-refused`: the payee failed a part for good (BOLT 4 PERM from the payee);
 * - `timeout`: `retry_for` passed with the amount not delivered;
 * - `node-refused`: the node refused to send a part, or to plan (`failreason` says why);
 * - `storage`: the journal refused a part, so nothing more was sent.
 */
export type PayFailKind = 'no-route' | 'fee-budget' | 'payee-refused' | 'timeout' | 'node-refused' | 'storage';

/** What `pay()` resolves with: the payment's last progress, resolved. */
export interface PayResult extends PayProgress {
  status: 'complete' | 'failed';
  /** The proof of payment, when complete. */
  payment_preimage?: string;
  /**
   * The payment was complete before this `pay()`: nothing was sent, `parts` is empty and
   * `amount_delivered_msat` is the amount.
   */
  already_complete?: true;
  /** The payee. */
  destination: string;
  /** Unix seconds. */
  created_at: number;
  completed_at: number;
}

/** A decoded BOLT 11 invoice, as Core Lightning's `decode` names its fields. */
export interface DecodedInvoice {
  currency: string;
  payment_hash: string;
  /** The payee's node id. */
  payee: string;
  amount_msat?: number;
  description?: string;
  description_hash?: string;
  /** Unix seconds. */
  created_at: number;
  /** Seconds after `created_at`. */
  expiry: number;
  min_final_cltv_expiry: number;
  payment_secret?: string;
}

/** The node, as `getinfo` describes it. */
export interface NodeInfo {
  id: string;
  alias: string;
  color: string;
  network: string;
  blockheight: number;
}
