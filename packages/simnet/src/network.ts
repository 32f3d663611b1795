/**
 * The simulated network: nodes, channels with a balance per side, and HTLCs that move hop
 * by hop. Each hop applies the checks a BOLT 4 forwarding node applies (channel known,
 * enabled, liquidity, fee, cltv, htlc limits) and fails with the failure code, erring index
 * and channel that Core Lightning would report to the payer. Balances move only when a
 * fulfil passes back over a hop; a failed HTLC gives the offerer its amount back.
 */
import { HtlcLog } from './htlcs.ts';

/** BOLT 4 failure codes (flags | number), as a payer sees them. */
export const FailCode = {
  temporary_channel_failure: 0x1000 | 7,
  unknown_next_peer: 0x4000 | 10,
  amount_below_minimum: 0x1000 | 11,
  fee_insufficient: 0x1000 | 12,
  incorrect_cltv_expiry: 0x1000 | 13,
  expiry_too_soon: 0x1000 | 14,
  incorrect_or_unknown_payment_details: 0x4000 | 15,
  final_incorrect_cltv_expiry: 18,
  channel_disabled: 0x1000 | 20,
  mpp_timeout: 23,
  temporary_node_failure: 0x2000 | 2,
  permanent_node_failure: 0x4000 | 0x2000 | 2,
} as const;
export type FailName = keyof typeof FailCode;

/** `WIRE_` + the upper-case name, as Core Lightning's `failcodename`. */
export function failCodeName(name: FailName): string {
  return `WIRE_${name.toUpperCase()}`;
}

/** A direction's gossiped policy (BOLT 7 channel_update). */
export interface Policy {
  fee_base_msat: number;
  fee_proportional_millionths: number;
  cltv_expiry_delta: number;
  htlc_minimum_msat: number;
  htlc_maximum_msat: number;
  /** False for a disabled direction (or one never updated). */
  active: boolean;
}

/** The fee a hop charges to forward `amount` over a direction with this policy (BOLT 7). */
export function feeFor(policy: Policy, amount: number): number {
  return policy.fee_base_msat + Math.floor((amount * policy.fee_proportional_millionths) / 1_000_000);
}

/** An HTLC on a channel, offered by side `from`. */
export interface Htlc {
  /** Per-channel, per-offerer counter, as BOLT 2 `id`. */
  id: number;
  from: 0 | 1;
  amount_msat: number;
  /** Absolute block height. */
  expiry: number;
  payment_hash: string;
  /** Seconds, for listholdinvoices. */
  created_at: number;
}

/** Faults switchable at runtime on a node or a channel. */
export interface Faults {
  /** Extra milliseconds each HTLC takes through this node or channel. */
  latency?: number;
  /** Extra milliseconds before each RPC reply of this node. */
  slowReplies?: number;
  /**
   * Extra milliseconds before this node runs one method, by name (e.g. `{ sendpay: 2000 }`:
   * a send slow to reach the node, while other calls are answered at once).
   */
  slowMethods?: Record<string, number>;
  /** Fail this many of the next HTLCs that reach this node or channel. */
  failNext?: number;
  /** Hold HTLCs that reach this node or channel, unresolved, until switched off. */
  hold?: boolean;
}

export class SimNode {
  readonly channels: Channel[] = [];
  /** Every HTLC on this node's channels (listhtlcs, wait htlcs). */
  readonly htlcLog = new HtlcLog();
  online = true;
  faults: Faults = {};
  /** Called when an HTLC set reaches this node as the destination; full nodes install it. */
  receive?: (attempt: Attempt) => void;
  constructor(
    readonly id: string,
    readonly alias: string,
    readonly color: string,
  ) {}

  /** The channel with that short channel id, if this node is one of its ends. */
  channel(scid: string): Channel | undefined {
    return this.channels.find((c) => c.scid === scid);
  }
}

export class Channel {
  /** Balance each side can spend now (in-flight HTLCs already taken out), msat. */
  readonly balance: [number, number];
  readonly htlcs = new Set<Htlc>();
  readonly nextHtlcId: [number, number] = [0, 0];
  /** Per side: offered and fulfilled counts and amounts, for listpeerchannels. */
  readonly stats = [0, 1].map(() => ({ offered: 0, offered_msat: 0, fulfilled: 0, fulfilled_msat: 0 }));
  faults: Faults = {};

  constructor(
    readonly scid: string,
    /** `node[0]` is BOLT 7 node_1 (the lower id): direction 0 goes from it. */
    readonly node: [SimNode, SimNode],
    readonly capacity_msat: number,
    /** Side 0's balance when the channel opened. */
    readonly opened: number,
    readonly policy: [Policy, Policy],
    readonly funder: 0 | 1 = 0,
  ) {
    this.balance = [opened, capacity_msat - opened];
  }

  /** Puts the balances back as they were at the opening; false (and nothing changed) while HTLCs are in flight. */
  refill(): boolean {
    if (this.htlcs.size > 0) return false;
    this.balance[0] = this.opened;
    this.balance[1] = this.capacity_msat - this.opened;
    return true;
  }

  /** 0 or 1: which side `node` is. */
  side(node: SimNode): 0 | 1 {
    return this.node[0] === node ? 0 : 1;
  }

  other(node: SimNode): SimNode {
    return this.node[0] === node ? this.node[1] : this.node[0];
  }

  /** What a side could still offer, keeping the 1% reserve BOLT 2 asks for. */
  spendable(side: 0 | 1): number {
    return Math.max(0, this.balance[side] - this.reserve());
  }

  reserve(): number {
    return Math.floor(this.capacity_msat / 100 / 1000) * 1000;
  }

  /** In-flight amount offered by a side. */
  inFlight(side: 0 | 1): number {
    let sum = 0;
    for (const h of this.htlcs) if (h.from === side) sum += h.amount_msat;
    return sum;
  }
}

/** One hop of a route, as Core Lightning's `sendpay` takes it. */
export interface RouteHop {
  id: string;
  channel: string;
  amount_msat: number;
  /** Blocks until expiry, relative to the current height. */
  delay: number;
}

/** What the final hop's onion carries for the destination (BOLT 4 payment_data). */
export interface FinalPayload {
  payment_hash: string;
  payment_secret?: string;
  total_msat: number;
}

/** How an HTLC attempt ended, as the payer learns it. */
export type AttemptResult =
  | { ok: true; preimage: string }
  | {
      ok: false;
      /** 0 = the payer itself; k = the k-th node of the route. */
      erring_index: number;
      failcode: number;
      failname: FailName;
      erring_node: string;
      erring_channel: string;
      erring_direction: number;
      raw_message: string;
      /** True when the payer failed it locally, before anything left. */
      local: boolean;
      localReason?: string;
    };

/** One HTLC chain from payer to destination. */
export interface Attempt {
  readonly payer: SimNode;
  readonly route: RouteHop[];
  readonly final: FinalPayload;
  /** The HTLCs added so far, one per hop. */
  readonly htlcs: { channel: Channel; htlc: Htlc }[];
  /** Set when it reaches the destination: the incoming HTLC there. */
  arrived?: { channel: Channel; htlc: Htlc; amount_msat: number; expiry: number };
  resolved: boolean;
  onResult: (result: AttemptResult) => void;
}

/** Time control: real timers by default; tests may pass a fixed `now`. */
export interface NetworkOptions {
  hopDelay?: number;
  blockheight?: number;
  now?: () => number;
}

export class Network {
  readonly nodes = new Map<string, SimNode>();
  readonly channels = new Map<string, Channel>();
  hopDelay: number;
  readonly blockheight: number;
  readonly now: () => number;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly heldAttempts = new Set<() => void>();
  private stopped = false;

  constructor(options: NetworkOptions = {}) {
    this.hopDelay = options.hopDelay ?? 10;
    this.blockheight = options.blockheight ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /** Seconds since the epoch on the network's clock. */
  seconds(): number {
    return Math.floor(this.now() / 1000);
  }

  addNode(id: string, alias: string, color = id.slice(2, 8)): SimNode {
    const node = new SimNode(id, alias, color);
    this.nodes.set(id, node);
    return node;
  }

  addChannel(scid: string, a: SimNode, b: SimNode, capacity_msat: number, balanceA: number, policyA: Policy, policyB: Policy): Channel {
    const aFirst = a.id < b.id;
    const channel = aFirst
      ? new Channel(scid, [a, b], capacity_msat, balanceA, [policyA, policyB], 0)
      : new Channel(scid, [b, a], capacity_msat, capacity_msat - balanceA, [policyB, policyA], 1);
    this.channels.set(scid, channel);
    a.channels.push(channel);
    b.channels.push(channel);
    return channel;
  }

  /** Runs `fn` after `ms`, unless the network stops first. */
  later(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(timer);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** Releases HTLCs held by a `hold` fault (called when the fault is switched off). */
  releaseHeld(): void {
    const held = [...this.heldAttempts];
    this.heldAttempts.clear();
    for (const go of held) go();
  }

  /**
   * Sends an HTLC chain along `route`. Local failures (unknown first channel, peer offline,
   * not enough balance) are reported synchronously through the returned value; otherwise
   * `onResult` is called once, when the fulfil or fail has come back to the payer.
   */
  send(payer: SimNode, route: RouteHop[], final: FinalPayload, onResult: (r: AttemptResult) => void): AttemptResult | undefined {
    const attempt: Attempt = { payer, route, final, htlcs: [], resolved: false, onResult };
    const first = route[0]!;
    const channel = payer.channel(first.channel);
    const peer = channel?.other(payer);
    if (!channel || !peer || peer.id !== first.id || !peer.online) {
      return this.localFailure(attempt, 'unknown_next_peer', 'First peer not ready', channel);
    }
    const side = channel.side(payer);
    if (channel.spendable(side) < first.amount_msat) {
      return this.localFailure(attempt, 'temporary_channel_failure', 'Capacity exceeded', channel);
    }
    this.addHtlc(attempt, channel, side, first.amount_msat, this.blockheight + first.delay);
    this.afterHop(attempt, channel, peer, () => this.arrive(attempt, 0));
    return undefined;
  }

  private localFailure(attempt: Attempt, name: FailName, reason: string, channel?: Channel): AttemptResult {
    const first = attempt.route[0]!;
    return {
      ok: false,
      erring_index: 0,
      failcode: FailCode[name],
      failname: name,
      erring_node: attempt.payer.id,
      erring_channel: first.channel,
      erring_direction: channel ? channel.side(attempt.payer) : 0,
      raw_message: failCodeHex(FailCode[name]),
      local: true,
      localReason: reason,
    };
  }

  private addHtlc(attempt: Attempt, channel: Channel, side: 0 | 1, amount: number, expiry: number): void {
    const htlc: Htlc = {
      id: channel.nextHtlcId[side]++,
      from: side,
      amount_msat: amount,
      expiry,
      payment_hash: attempt.final.payment_hash,
      created_at: this.seconds(),
    };
    channel.balance[side] -= amount;
    channel.htlcs.add(htlc);
    for (const s of [0, 1] as const) channel.node[s].htlcLog.add(channel.scid, htlc, htlc.from === s ? 'out' : 'in');
    channel.stats[side]!.offered++;
    channel.stats[side]!.offered_msat += amount;
    attempt.htlcs.push({ channel, htlc });
  }

  /** Waits the hop's delay (plus latency faults), honouring `hold` faults, then runs `next`. */
  private afterHop(attempt: Attempt, channel: Channel, to: SimNode, next: () => void): void {
    const delay = this.hopDelay + (channel.faults.latency ?? 0) + (to.faults.latency ?? 0);
    this.later(delay, () => {
      const go = (): void => {
        if (channel.faults.hold || to.faults.hold) this.heldAttempts.add(go);
        else next();
      };
      go();
    });
  }

  /** The HTLC of hop `index` reached `route[index].id`. */
  private arrive(attempt: Attempt, index: number): void {
    const route = attempt.route;
    const hop = route[index]!;
    const node = this.nodes.get(hop.id)!;
    const { channel: inChannel, htlc: inHtlc } = attempt.htlcs[index]!;
    for (const s of [0, 1] as const) inChannel.node[s].htlcLog.commit(inChannel.scid, inHtlc, inHtlc.from === s ? 'out' : 'in');
    const erringIndex = index + 1;
    const fail = (name: FailName, data: string = '', outChannel?: Channel): void =>
      this.failBack(attempt, erringIndex, name, data, outChannel);

    const nodeFault = consumeFailNext(node.faults);
    if (index === route.length - 1) {
      if (consumeFailNext(inChannel.faults)) return fail('temporary_channel_failure');
      if (nodeFault) return fail('temporary_node_failure');
      attempt.arrived = { channel: inChannel, htlc: inHtlc, amount_msat: inHtlc.amount_msat, expiry: inHtlc.expiry };
      if (!node.receive) return fail('incorrect_or_unknown_payment_details', this.paymentDetailsData(inHtlc.amount_msat));
      node.receive(attempt);
      return;
    }
    const next = route[index + 1]!;
    const outChannel = node.channel(next.channel);
    const nextNode = outChannel?.other(node);
    if (nodeFault) return fail('temporary_node_failure');
    if (!outChannel || !nextNode || nextNode.id !== next.id) return fail('unknown_next_peer');
    const side = outChannel.side(node);
    const policy = outChannel.policy[side];
    const update = channelUpdateHex(outChannel, side);
    if (!policy.active) return fail('channel_disabled', '0000' + update, outChannel);
    if (consumeFailNext(outChannel.faults)) return fail('temporary_channel_failure', update, outChannel);
    if (!nextNode.online) return fail('temporary_channel_failure', update, outChannel);
    if (next.amount_msat < policy.htlc_minimum_msat) return fail('amount_below_minimum', u64(inHtlc.amount_msat) + update, outChannel);
    if (inHtlc.amount_msat < next.amount_msat + feeFor(policy, next.amount_msat)) {
      return fail('fee_insufficient', u64(inHtlc.amount_msat) + update, outChannel);
    }
    const outExpiry = this.blockheight + next.delay;
    if (inHtlc.expiry < outExpiry + policy.cltv_expiry_delta) {
      return fail('incorrect_cltv_expiry', u32(inHtlc.expiry) + update, outChannel);
    }
    if (next.amount_msat > policy.htlc_maximum_msat || outChannel.spendable(side) < next.amount_msat) {
      return fail('temporary_channel_failure', update, outChannel);
    }
    this.addHtlc(attempt, outChannel, side, next.amount_msat, outExpiry);
    this.afterHop(attempt, outChannel, nextNode, () => this.arrive(attempt, index + 1));
  }

  /** BOLT 4 incorrect_or_unknown_payment_details data: htlc_msat (u64) and height (u32). */
  paymentDetailsData(amount: number): string {
    return u64(amount) + u32(this.blockheight);
  }

  /**
   * The node `erringIndex` of the route fails the attempt: the HTLCs unwind hop by hop back
   * to the payer, each restoring the offerer's balance.
   */
  failBack(attempt: Attempt, erringIndex: number, name: FailName, data = '', outChannel?: Channel): void {
    if (attempt.resolved) return;
    attempt.resolved = true;
    const route = attempt.route;
    const last = erringIndex === route.length;
    // Core Lightning names the channel out of the erring node, or the one into the destination.
    const channelHop = last ? route[erringIndex - 1]! : route[erringIndex]!;
    const channel = outChannel ?? this.channels.get(channelHop.channel);
    const erringNode = this.nodes.get(route[erringIndex - 1]!.id)!;
    const direction = channel ? (last ? 1 - channel.side(erringNode) : channel.side(erringNode)) : 0;
    const result: AttemptResult = {
      ok: false,
      erring_index: erringIndex,
      failcode: FailCode[name],
      failname: name,
      erring_node: erringNode.id,
      erring_channel: channelHop.channel,
      erring_direction: direction,
      raw_message: failCodeHex(FailCode[name]) + data,
      local: false,
    };
    this.unwind(
      attempt,
      (channel, htlc) => {
        channel.balance[htlc.from] += htlc.amount_msat;
      },
      () => attempt.onResult(result),
    );
  }

  /** The destination settles: the preimage goes back hop by hop, moving each hop's balance. */
  fulfill(attempt: Attempt, preimage: string): void {
    if (attempt.resolved) return;
    attempt.resolved = true;
    this.unwind(
      attempt,
      (channel, htlc) => {
        const to = (1 - htlc.from) as 0 | 1;
        channel.balance[to] += htlc.amount_msat;
        channel.stats[htlc.from]!.fulfilled++;
        channel.stats[htlc.from]!.fulfilled_msat += htlc.amount_msat;
      },
      () => attempt.onResult({ ok: true, preimage }),
    );
  }

  private unwind(attempt: Attempt, settle: (channel: Channel, htlc: Htlc) => void, done: () => void): void {
    const step = (): void => {
      const entry = attempt.htlcs.pop();
      if (!entry) return done();
      entry.channel.htlcs.delete(entry.htlc);
      settle(entry.channel, entry.htlc);
      for (const s of [0, 1] as const)
        entry.channel.node[s].htlcLog.remove(entry.channel.scid, entry.htlc, entry.htlc.from === s ? 'out' : 'in');
      if (attempt.htlcs.length === 0) return done();
      this.later(this.hopDelay, step);
    };
    step();
  }
}

function consumeFailNext(faults: Faults): boolean {
  if (!faults.failNext || faults.failNext <= 0) return false;
  faults.failNext--;
  return true;
}

function u64(n: number): string {
  return n.toString(16).padStart(16, '0');
}
function u32(n: number): string {
  return n.toString(16).padStart(8, '0');
}
function failCodeHex(code: number): string {
  return code.toString(16).padStart(4, '0');
}

/**
 * A stand-in for the channel_update a forwarding node attaches to UPDATE failures: its
 * length and the fields a payer reads (scid as u64 is not kept; policy values are).
 */
function channelUpdateHex(channel: Channel, side: 0 | 1): string {
  const p = channel.policy[side];
  const body =
    u32(p.cltv_expiry_delta).slice(4) +
    u64(p.htlc_minimum_msat) +
    u32(p.fee_base_msat) +
    u32(p.fee_proportional_millionths) +
    u64(p.htlc_maximum_msat);
  return (body.length / 2).toString(16).padStart(4, '0') + body;
}
