/**
 * The Node interface: only what the engine needs from a Lightning node, in the engine's own
 * types. `clnNode` adapts Core Lightning over commando; LND over LNC comes behind the same
 * interface. Adapters validate the node's replies, so the engine trusts these types.
 */
import type { NodeInfo, PartFailure, PaymentStatus, RouteHop } from '../types.ts';
import type { ListChannelsEntry } from '../planner/graph.ts';
import { engineError } from '../errors.ts';

/** A part as the node knows it (a `listsendpays` row, or `waitsendpay`'s answer). */
export interface NodePart extends PartFailure {
  payment_hash: string;
  groupid: number;
  partid: number;
  status: PaymentStatus;
  /** Delivered to the destination. */
  amount_msat: number;
  /** Sent by us, fees included. */
  amount_sent_msat: number;
  destination?: string;
  created_at?: number;
  completed_at?: number;
  payment_preimage?: string;
}

/** What the engine asks the node to send: one part (CLN `sendpay`). */
export interface SendpayRequest {
  route: RouteHop[];
  payment_hash: string;
  partid: number;
  groupid: number;
  /** The payment's total, for the destination's MPP set (BOLT 4 `total_msat`). */
  amount_msat: number;
  payment_secret: string;
  bolt11?: string;
  description?: string;
}

/** Identifies one part at the node. */
export interface PartKey {
  payment_hash: string;
  groupid: number;
  partid: number;
}

/** An invoice as the node knows it (CLN `listinvoices`). */
export interface NodeInvoice {
  label: string;
  bolt11: string;
  payment_hash: string;
  amount_msat?: number;
  status: 'unpaid' | 'paid' | 'expired';
  expires_at: number;
  amount_received_msat?: number;
  paid_at?: number;
  payment_preimage?: string;
  /**
   * Every HTLC the node recorded for the invoice, on a node that follows parts by invoice
   * (lnd's `htlcs`, see {@link Node.waitinvoices}); absent on Core Lightning, whose parts
   * come from its HTLC history.
   */
  htlcs?: NodeHoldHtlc[];
}

/**
 * A hold invoice's state at the node (BoltzExchange/hold v0.3.x, `src/database/model.rs`):
 * `unpaid`, then `accepted` once the held parts reach the amount, then `paid` on settle;
 * `cancelled` from either of the first two (by a cancel, or by the plugin itself when a
 * held HTLC nears its CLTV expiry). `paid` and `cancelled` are final.
 */
export type HoldState = 'unpaid' | 'accepted' | 'paid' | 'cancelled';

/**
 * One HTLC the hold plugin recorded for an invoice: `accepted` while held, `paid` once
 * settled, `cancelled` when it was refused, timed out (`hold-mpp-timeout`) or cancelled.
 */
export type HoldHtlcState = 'accepted' | 'paid' | 'cancelled';

/** An HTLC the hold plugin recorded for a hold invoice (a `listholdinvoices` `htlcs` row). */
export interface NodeHoldHtlc {
  /** The incoming channel (the row's `scid`). */
  short_channel_id: string;
  /** The HTLC's id within that channel (the row's misnamed `channel_id`), as `listhtlcs` numbers it. */
  id: number;
  /** The row's `msat`. */
  amount_msat: number;
  /** Absolute block height (`cltv_expiry`); absent in rows older than hold v0.3.3. */
  expiry?: number;
  state: HoldHtlcState;
  /** Unix seconds: when the plugin recorded it. */
  created_at: number;
  /** Unix seconds: when it was settled or cancelled, where the node says (lnd's `resolve_time`). */
  resolved_at?: number;
}

/** A hold invoice as the node knows it (a `listholdinvoices` row of BoltzExchange/hold v0.3.x). */
export interface NodeHoldInvoice {
  payment_hash: string;
  /** The BOLT 11 invoice (the row's `invoice`). */
  bolt11: string;
  /** The invoice's amount: the plugin's rows carry none, so it is read from `bolt11`. */
  amount_msat: number;
  state: HoldState;
  /** Unix seconds. */
  created_at: number;
  /** Unix seconds of the settle (the row's `settled_at`). */
  paid_at?: number;
  /** Once settled; it hashes to `payment_hash`. */
  preimage?: string;
  /** Every HTLC the plugin recorded, held or not: only `accepted` ones are held now. */
  htlcs: NodeHoldHtlc[];
}

/** One HTLC in the node's history (CLN `listhtlcs`, v25.05+). */
export interface NodeHtlc {
  short_channel_id: string;
  id: number;
  expiry: number;
  amount_msat: number;
  direction: 'in' | 'out';
  payment_hash: string;
  /** One of Core Lightning's 20 HTLC states. */
  state: string;
  created_index: number;
  updated_index?: number;
}

/** The two indexes of the node's HTLC history. */
export type HtlcIndex = 'created' | 'updated';

/** What the engine asks the node's planner for (CLN `getroutes`, askrene). */
export interface GetroutesRequest {
  /** Where the paths start: our node. */
  source: string;
  destination: string;
  /** What the paths deliver together. */
  amount_msat: number;
  /** askrene layers applied on top of gossip, e.g. `auto.localchans`. */
  layers: string[];
  /** The most all paths together may cost in fees. */
  maxfee_msat: number;
  /** The CLTV delta the destination asks for (BOLT 11 `c`). */
  final_cltv: number;
  /** The most paths in the answer. */
  maxparts?: number;
}

/** One path of a `getroutes` answer, in `sendpay`'s terms. */
export interface NodeRoute {
  /** What the path delivers to the destination (its last hop's `amount_msat`). */
  amount_msat: number;
  /** The hops: each hop's `amount_msat` and `delay` are what arrive at its node. */
  route: RouteHop[];
}

/** One direction of a public channel, as gossip tells it (CLN `listchannels`): the planner's entry, checked. */
export interface NodeChannel extends ListChannelsEntry {
  direction: 0 | 1;
  /** Unix seconds of the direction's latest channel_update (absent when not asked for: the planner does not read it). */
  last_update?: number;
}

/** One of our own channels (CLN `listpeerchannels`), what the planner needs of it. */
export interface NodePeerChannel {
  peer_id: string;
  /** Absent until the funding is locked in. */
  short_channel_id?: string;
  /** CLN's channel state; only `CHANNELD_NORMAL` carries payments. */
  state: string;
  peer_connected: boolean;
  /** What we can send over it now. */
  spendable_msat: number;
  total_msat: number;
  /** The smallest and largest HTLC we may offer. */
  minimum_htlc_out_msat?: number;
  maximum_htlc_out_msat?: number;
}

/** A node of the public graph (CLN `listnodes`), what the planner needs of it. */
export interface NodeAnnouncement {
  nodeid: string;
  /** BOLT 9 feature bits, as hex; absent for a node never announced. */
  features?: string;
}

/**
 * A Lightning node as the engine sees it.
 *
 * Failures are {@link AmpkitError}s: `CONNECTION` when the link is down (the request may or
 * may not have reached the node), `TIMEOUT`, `NOT_FOUND`, `NODE_ERROR` (the node refused,
 * with `nodeCode` and `data`), `BAD_REPLY`.
 */
export interface Node {
  /** The node's public key (66 hex). The engine keeps one journal per node id. */
  readonly id: string;
  /**
   * Sends one part. Resolves with the part as the node recorded it: `pending`, or `failed`
   * when the node failed it at once (with its failure fields). A part the node refused
   * before recording it (no channel to the first peer, the peer not ready: CLN's 204
   * without the part in `data`) resolves `failed` too, with the node's reason in
   * `failreason` and its failure fields: the node never had it. Sending a part the node
   * already has pending gives that part back.
   */
  sendpay(request: SendpayRequest): Promise<NodePart>;
  /**
   * Waits up to `timeout` seconds for one part to resolve; resolves with the part `complete`
   * (with a preimage that hashes to `payment_hash`) or `failed`. `TIMEOUT` when the time
   * passes, `NOT_FOUND` when the node never had the part.
   */
  waitsendpay(request: PartKey & { timeout: number }): Promise<NodePart>;
  /** Every part the node has for a payment hash. */
  listsendpays(request: { payment_hash: string }): Promise<NodePart[]>;
  /**
   * Plans paths that deliver `amount_msat` together within the fee budget (CLN `getroutes`).
   * No set of paths is `NODE_ERROR` with the node's code: 205 (no route), 206 (too
   * expensive), 215 (not enough funds), 220 (not enough capacity into the destination).
   */
  getroutes(request: GetroutesRequest): Promise<NodeRoute[]>;
  /**
   * Creates an empty askrene layer the node forgets when it restarts (CLN
   * `askrene-create-layer` with `persistent: false`), for `getroutes`' `layers`. `NODE_ERROR`
   * when the layer exists, the node has no askrene, or the rune does not allow it.
   */
  askrenecreatelayer(request: { layer: string }): Promise<void>;
  /**
   * Tells a layer that a channel direction could not carry `amount_msat` (CLN
   * `askrene-inform-channel` with `inform: 'constrained'`): askrene then assumes it holds less.
   */
  askreneconstrainchannel(request: { layer: string; short_channel_id_dir: string; amount_msat: number }): Promise<void>;
  /** Marks a channel direction unusable in a layer (CLN `askrene-update-channel` with `enabled: false`). */
  askrenedisablechannel(request: { layer: string; short_channel_id_dir: string }): Promise<void>;
  /** Leaves a node out of every path planned with a layer (CLN `askrene-disable-node`). */
  askrenedisablenode(request: { layer: string; node: string }): Promise<void>;
  /** Removes a layer (CLN `askrene-remove-layer`); `NODE_ERROR` for a layer the node does not have. */
  askreneremovelayer(request: { layer: string }): Promise<void>;
  /**
   * The public channel graph, one entry per direction (CLN `listchannels`); with
   * `short_channel_id`, that channel's directions only. Malformed entries are left out.
   * With `each`, a node that can hands entries to it as they arrive instead of holding the
   * whole graph (tens of megabytes on mainnet), and resolves to those it did not hand over
   * (none, or all of them for a node that cannot); when the call fails, what was handed
   * over is part of a reply that does not count.
   */
  listchannels(request?: { short_channel_id?: string }, each?: (entry: NodeChannel) => void): Promise<NodeChannel[]>;
  /** The public graph's nodes (CLN `listnodes`). Malformed entries are left out. */
  listnodes(): Promise<NodeAnnouncement[]>;
  /** Our own channels (CLN `listpeerchannels`). */
  listpeerchannels(): Promise<NodePeerChannel[]>;
  /** The node's identity and chain (CLN `getinfo`). */
  getinfo(): Promise<NodeInfo>;

  /** Creates a plain invoice; the node keeps the preimage and settles a complete set itself. */
  invoice(request: {
    amount_msat: number;
    label: string;
    description: string;
    expiry: number;
  }): Promise<{ payment_hash: string; bolt11: string; expires_at: number }>;
  /** Invoices with that payment hash. */
  listinvoices(request: { payment_hash: string }): Promise<NodeInvoice[]>;
  /**
   * Creates a hold invoice for a hash whose preimage the node does not know. `description`
   * and `expiry` are wishes a node may not honour (Core Lightning's hold plugin makes every
   * invoice with an empty description, a 3600 s expiry and a final CLTV of 80): the
   * invoice returned says what holds. `HOLD_UNSUPPORTED` when the node has no hold plugin;
   * the same on the other hold methods.
   */
  holdinvoice(request: { payment_hash: string; amount_msat: number; description?: string; expiry?: number }): Promise<{ bolt11: string }>;
  /**
   * Hands the preimage over: the node claims every held part. Resolves also when the
   * invoice was paid already. `NOT_FOUND` when the node has no hold invoice for the
   * preimage's hash; `NODE_ERROR` when it holds nothing to settle (unpaid or cancelled).
   * Only for an `accepted` invoice: a plugin may release the parts of an incomplete set
   * before refusing the settle (hold's `src/settler.rs`).
   */
  settleholdinvoice(request: { preimage: string }): Promise<void>;
  /**
   * Fails every held part back and closes the hold invoice. Resolves also when it was
   * cancelled already. `NOT_FOUND` for an unknown hash; `NODE_ERROR` when it is paid.
   */
  cancelholdinvoice(request: { payment_hash: string }): Promise<void>;
  /** The hold invoice with that payment hash: none or one. */
  listholdinvoices(request: { payment_hash: string }): Promise<NodeHoldInvoice[]>;
  /** HTLCs whose `index` is `start` or more, in that index's order. */
  listhtlcs(request: { index: HtlcIndex; start: number }): Promise<NodeHtlc[]>;
  /**
   * Resolves with the index's value once it reaches `next` (at once with the current value
   * for 0). Ends early, rejecting with `TIMEOUT`, when `signal` aborts.
   */
  waithtlcs(request: { index: HtlcIndex; next: number; signal?: AbortSignal }): Promise<number>;
  /**
   * Present on a node that keeps no HTLC history (lnd): there `listhtlcs` and `waithtlcs`
   * reject, and the partial-invoice engine follows each open invoice by the HTLCs the
   * invoice itself lists (`listinvoices` and `listholdinvoices` rows with `htlcs`).
   * Resolves when one of these invoices changes state at the node, or once the node's poll
   * interval has passed (parts that arrive or time out while an invoice stays open change
   * no state there), or when `signal` aborts: the next look is due.
   */
  waitinvoices?(request: { payment_hashes: readonly string[]; signal?: AbortSignal }): Promise<void>;
  /**
   * Resolves when the link to the node is up (at once if it is), rejects with `CONNECTION`
   * when it is closed for good.
   */
  connected(): Promise<void>;
}

/** A link to a node that reports its state (a commando or an LNC client). */
export interface StatefulLink {
  readonly state: string;
  on(event: 'state', listener: (state: string) => void): () => void;
}

/** {@link Node.connected} for a link: resolves once it is open, rejects with `CONNECTION` once it is closed or failed. */
export function untilOpen(link: StatefulLink): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (state: string): boolean => {
      if (state === 'open') resolve();
      else if (state === 'closed' || state === 'failed') reject(engineError('CONNECTION', `the link to the node is ${state}`));
      else return false;
      return true;
    };
    if (settle(link.state)) return;
    const stop = link.on('state', (state) => {
      if (settle(state)) stop();
    });
  });
}

/**
 * A part the node refused before recording it: `failed`, with the node's words, and what it
 * would have delivered and cost by its route. Each adapter adds the failure fields it knows.
 */
export function unsentPart(request: SendpayRequest, failreason: string): NodePart {
  return {
    payment_hash: request.payment_hash,
    groupid: request.groupid,
    partid: request.partid,
    status: 'failed',
    amount_msat: request.route[request.route.length - 1]!.amount_msat,
    amount_sent_msat: request.route[0]!.amount_msat,
    failreason,
  };
}
