/**
 * The Node interface: only what the engine needs from a Lightning node, in the engine's own
 * types. `clnNode` adapts Core Lightning over commando; LND over LNC comes behind the same
 * interface. Adapters validate the node's replies, so the engine trusts these types.
 */
import type { PartFailure, PaymentStatus, RouteHop } from '../types.ts';

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
   * when the node failed it at once (with its failure fields). Sending a part the node
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
   * Resolves when the link to the node is up (at once if it is), rejects with `CONNECTION`
   * when it is closed for good.
   */
  connected(): Promise<void>;
}
