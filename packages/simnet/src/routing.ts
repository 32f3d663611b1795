/**
 * Route finding for `getroute`, `getroutes` and `pay`. A Dijkstra search runs backwards
 * from the destination, so each hop's amount and delay are exact (fees and cltv deltas of
 * the hops after it added on). `getroute` sees what gossip shows (capacity, htlc limits,
 * enabled directions) plus the payer's own spendable balances, as Core Lightning does;
 * `getroutes` and `pay` plan as an oracle over the real balances, since simnet's purpose is
 * to exercise the engine, not to benchmark a planner.
 */
import { feeFor, type Channel, type Network, type RouteHop, type SimNode } from './network.ts';

export interface PathHop {
  channel: Channel;
  /** The node this hop reaches. */
  to: SimNode;
  amount_msat: number;
  delay: number;
}

export interface FindOptions {
  /** Use every channel's real balance (oracle), not just gossip. */
  liquidity?: boolean;
  /** Residual balances already committed by earlier routes of the same plan. */
  used?: Map<Channel, [number, number]>;
  /** `scid/direction` strings or node ids to avoid. */
  exclude?: Set<string>;
  /** Per `scid/direction`, the most it may carry in all (askrene layers' constraints). */
  limits?: Map<string, number>;
  maxHops?: number;
  riskfactor?: number;
}

class Heap {
  private readonly items: { key: number; node: SimNode }[] = [];
  get size(): number {
    return this.items.length;
  }
  push(key: number, node: SimNode): void {
    const a = this.items;
    a.push({ key, node });
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]!.key <= a[i]!.key) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop(): { key: number; node: SimNode } {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]!.key < a[m]!.key) m = l;
        if (r < a.length && a[r]!.key < a[m]!.key) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}

/** What a direction can carry now under the options (capacity, or real balance minus what a plan already uses). */
function room(channel: Channel, side: 0 | 1, source: SimNode, options: FindOptions): number {
  const from = channel.node[side];
  let cap = from === source || options.liquidity ? channel.spendable(side) : channel.capacity_msat;
  cap = Math.min(cap, options.limits?.get(`${channel.scid}/${side}`) ?? Infinity);
  const used = options.used?.get(channel);
  if (used) cap -= used[side];
  return cap;
}

/** The cheapest path from `source` to `target` delivering `amount` with `finalCltv`, or undefined. */
export function findPath(
  network: Network,
  source: SimNode,
  target: SimNode,
  amount: number,
  finalCltv: number,
  options: FindOptions = {},
): PathHop[] | undefined {
  if (source === target) return undefined;
  const best = new Map<SimNode, { cost: number; amount: number; delay: number; hops: number; via?: Channel; next?: SimNode }>();
  best.set(target, { cost: 0, amount, delay: finalCltv, hops: 0 });
  const heap = new Heap();
  heap.push(0, target);
  const maxHops = options.maxHops ?? 20;
  const risk = options.riskfactor ?? 10;
  while (heap.size > 0) {
    const { key, node: v } = heap.pop();
    const state = best.get(v)!;
    if (key > state.cost) continue;
    if (v === source) break;
    if (state.hops >= maxHops || !v.online) continue;
    for (const channel of v.channels) {
      const u = channel.other(v);
      if (!u.online) continue;
      const side = channel.side(u);
      const policy = channel.policy[side];
      if (!policy.active && u !== source) continue;
      if (options.exclude && (options.exclude.has(`${channel.scid}/${side}`) || options.exclude.has(u.id))) continue;
      if (state.amount < policy.htlc_minimum_msat || state.amount > policy.htlc_maximum_msat) continue;
      if (room(channel, side, source, options) < state.amount) continue;
      const fee = u === source ? 0 : feeFor(policy, state.amount);
      const delay = u === source ? state.delay : state.delay + policy.cltv_expiry_delta;
      // Cost: fees, plus a small price per block of lock-up and per hop, as riskfactor weighs them.
      const cost = state.cost + fee + Math.ceil((state.amount * policy.cltv_expiry_delta * risk) / 5_256_000_000) + 1;
      const seen = best.get(u);
      if (seen && seen.cost <= cost) continue;
      best.set(u, { cost, amount: state.amount + fee, delay, hops: state.hops + 1, via: channel, next: v });
      heap.push(cost, u);
    }
  }
  const start = best.get(source);
  if (!start?.via) return undefined;
  const path: PathHop[] = [];
  let node: SimNode = source;
  let at = start;
  while (at.via && at.next) {
    const next = best.get(at.next)!;
    path.push({ channel: at.via, to: at.next, amount_msat: next.amount, delay: next.delay });
    node = at.next;
    at = next;
  }
  return node === target ? path : undefined;
}

/** A path as `sendpay`'s route. */
export function toRoute(path: PathHop[]): RouteHop[] {
  return path.map((h) => ({ id: h.to.id, channel: h.channel.scid, amount_msat: h.amount_msat, delay: h.delay }));
}

/**
 * Splits `amount` over several paths (oracle liquidity), each path as large as it can
 * carry; undefined when the network cannot carry the amount at all.
 */
export function planParts(
  network: Network,
  source: SimNode,
  target: SimNode,
  amount: number,
  finalCltv: number,
  options: FindOptions = {},
  maxParts = 16,
): PathHop[][] | undefined {
  const used = new Map<Channel, [number, number]>();
  const plan: PathHop[][] = [];
  let remaining = amount;
  let attempt = amount;
  while (remaining > 0) {
    if (plan.length >= maxParts) return undefined;
    const path = findPath(network, source, target, attempt, finalCltv, { ...options, liquidity: true, used });
    if (!path) {
      // Too big for any single path now: try a smaller piece.
      attempt = Math.floor(attempt / 2);
      if (attempt < 1000) return undefined;
      continue;
    }
    plan.push(path);
    let from = source;
    for (const hop of path) {
      const side = hop.channel.side(from);
      const u = used.get(hop.channel) ?? [0, 0];
      u[side] += hop.amount_msat;
      used.set(hop.channel, u);
      from = hop.to;
    }
    remaining -= attempt;
    attempt = remaining;
  }
  return plan;
}
