/**
 * The paying side of a simulated node: Core Lightning's `sendpay` table. A part is keyed by
 * (payment_hash, groupid, partid); sending a pending part again returns the same entry, a
 * failed one is refused with code 201 (cln-fixtures/sendpay-same-partid-*.json), a part
 * with no ready first peer is refused with 204 before it is recorded, and `waitsendpay`
 * reports a failure as code 204 (try another route) or 203 (the destination refused for
 * good) with the part in `data`.
 */
import { RpcError } from '@ampkit/wire';
import { FailCode, failCodeName, type AttemptResult, type Network, type RouteHop, type SimNode } from './network.ts';
import { Changes } from './changes.ts';

export interface SendpayPart {
  created_index: number;
  id: number;
  payment_hash: string;
  groupid: number;
  updated_index?: number;
  partid: number;
  destination: string;
  amount_msat: number;
  amount_sent_msat: number;
  created_at: number;
  completed_at?: number;
  status: 'pending' | 'complete' | 'failed';
  payment_preimage?: string;
  label?: string;
  bolt11?: string;
  description?: string;
  /** The set's total, as sent in the onion. */
  total_msat: number;
  route: RouteHop[];
  failure?: Extract<AttemptResult, { ok: false }>;
}

export class SendpayBook {
  readonly parts: SendpayPart[] = [];
  private readonly changes = new Changes();
  private updatedIndex = 0;

  constructor(
    private readonly network: Network,
    private readonly node: SimNode,
  ) {}

  find(payment_hash: string, groupid: number, partid: number): SendpayPart | undefined {
    return this.parts.find((p) => p.payment_hash === payment_hash && p.groupid === groupid && p.partid === partid);
  }

  latestGroup(payment_hash: string): number | undefined {
    let group: number | undefined;
    for (const p of this.parts) if (p.payment_hash === payment_hash && (group === undefined || p.groupid > group)) group = p.groupid;
    return group;
  }

  /** Starts a part, or returns the existing entry as Core Lightning does. */
  send(options: {
    route: RouteHop[];
    payment_hash: string;
    total_msat: number;
    payment_secret?: string;
    partid: number;
    groupid: number;
    label?: string;
    bolt11?: string;
    description?: string;
  }): SendpayPart {
    const { payment_hash, groupid, partid } = options;
    const existing = this.find(payment_hash, groupid, partid);
    if (existing?.status === 'pending' || existing?.status === 'complete') return existing;
    if (existing?.status === 'failed') {
      throw new RpcError(
        'sendpay',
        201,
        `There already is a payment with payment_hash=${payment_hash}, groupid=${groupid}, partid=${partid}. Either change the partid, or wait for the payment to complete and start a new group.`,
      );
    }
    const done = this.parts.find((p) => p.payment_hash === payment_hash && p.status === 'complete');
    if (done && done.groupid !== groupid) {
      throw new RpcError('sendpay', 206, `Already succeeded with amount ${done.total_msat}msat (payment_hash ${payment_hash})`);
    }
    const route = options.route;
    this.checkFirstPeer(route[0]!);
    const last = route[route.length - 1]!;
    const id = this.parts.length + 1;
    const part: SendpayPart = {
      created_index: id,
      id,
      payment_hash,
      groupid,
      partid,
      destination: last.id,
      amount_msat: last.amount_msat,
      amount_sent_msat: route[0]!.amount_msat,
      created_at: this.network.seconds(),
      status: 'pending',
      ...(options.label !== undefined ? { label: options.label } : {}),
      ...(options.bolt11 !== undefined ? { bolt11: options.bolt11 } : {}),
      ...(options.description !== undefined ? { description: options.description } : {}),
      total_msat: options.total_msat,
      route,
    };
    this.parts.push(part);
    const local = this.network.send(
      this.node,
      route,
      { payment_hash, total_msat: options.total_msat, ...(options.payment_secret ? { payment_secret: options.payment_secret } : {}) },
      (result) => this.resolve(part, result),
    );
    if (local && !local.ok) {
      // channeld refused the HTLC (more than the channel can carry now): as on a real node
      // the part exists, pending, and fails a moment later (cln/waitsendpay-capacity-exceeded.json).
      const reason = { ...local, localReason: `${failCodeName(local.failname)}: ${local.localReason ?? 'refused'}` };
      this.network.later(0, () => this.resolve(part, reason));
    }
    this.wake();
    return part;
  }

  /**
   * Core Lightning refuses a part before recording it when there is no channel to the
   * first peer, or the peer is not ready (lightningd/pay.c send_payment_core): 204 with only
   * the failure fields in `data` (cln/sendpay-no-first-peer.json, sendpay-first-peer-not-ready.json).
   */
  private checkFirstPeer(first: RouteHop): void {
    const channel = this.node.channel(first.channel);
    const peer = channel?.other(this.node);
    if (!channel || !peer || peer.id !== first.id) {
      throw new RpcError('sendpay', 204, 'No connection to first peer found', {
        erring_index: 0,
        failcode: FailCode.unknown_next_peer,
        failcodename: failCodeName('unknown_next_peer'),
        erring_node: this.node.id,
      });
    }
    if (!peer.online) {
      throw new RpcError('sendpay', 204, `failed: ${failCodeName('temporary_channel_failure')} (First peer not ready)`, {
        erring_index: 0,
        failcode: FailCode.temporary_channel_failure,
        failcodename: failCodeName('temporary_channel_failure'),
        erring_node: this.node.id,
        erring_channel: channel.scid,
        erring_direction: channel.side(this.node),
      });
    }
  }

  private resolve(part: SendpayPart, result: AttemptResult): void {
    part.updated_index = ++this.updatedIndex;
    part.completed_at = this.network.seconds();
    if (result.ok) {
      part.status = 'complete';
      part.payment_preimage = result.preimage;
    } else {
      part.status = 'failed';
      part.failure = result;
    }
    this.wake();
  }

  /** Resolves when anything here changes, or after `ms`. */
  changed(ms?: number): Promise<void> {
    return this.changes.next(ms);
  }

  private wake(): void {
    this.changes.wake();
  }

  stop(): void {
    this.changes.stop();
  }
}

/** A part's public record, in Core Lightning's field order. */
export function partRecord(p: SendpayPart, statusOverride?: string): Record<string, unknown> {
  return {
    created_index: p.created_index,
    id: p.id,
    payment_hash: p.payment_hash,
    groupid: p.groupid,
    ...(p.updated_index !== undefined && !statusOverride ? { updated_index: p.updated_index } : {}),
    partid: p.partid,
    destination: p.destination,
    amount_msat: p.amount_msat,
    amount_sent_msat: p.amount_sent_msat,
    created_at: p.created_at,
    ...(p.completed_at !== undefined && !statusOverride ? { completed_at: p.completed_at } : {}),
    status: statusOverride ?? p.status,
    ...(p.payment_preimage ? { payment_preimage: p.payment_preimage } : {}),
    ...(p.label !== undefined ? { label: p.label } : {}),
    ...(p.bolt11 !== undefined ? { bolt11: p.bolt11 } : {}),
    ...(p.description !== undefined ? { description: p.description } : {}),
  };
}

/**
 * The error `waitsendpay` gives for a failed part.
 * Core Lightning shows the part in `data` with status "pending" and the failure fields
 * (cln-fixtures/waitsendpay-mpp-timeout.json).
 */
export function failureError(method: string, p: SendpayPart, f: Extract<AttemptResult, { ok: false }>): RpcError {
  const name = failCodeName(f.failname);
  const permanent = !f.local && f.erring_index === p.route.length && f.failcode !== FailCode.mpp_timeout && (f.failcode & 0x4000) !== 0;
  const message = f.local ? `failed: ${name} (${f.localReason})` : `failed: ${name} (reply from remote)`;
  return new RpcError(method, permanent ? 203 : 204, message, {
    ...partRecord(p, 'pending'),
    erring_index: f.erring_index,
    failcode: f.failcode,
    failcodename: name,
    erring_node: f.erring_node,
    erring_channel: f.erring_channel,
    erring_direction: f.erring_direction,
    ...(f.local ? {} : { raw_message: f.raw_message }),
  });
}
