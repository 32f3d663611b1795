/**
 * The pay benchmark's world: the true balances the planners cannot see, an in-process
 * sender that checks every part hop by hop against them (as a forwarding node would,
 * fee and CLTV included), and the baselines: a single path, LND-style halving, and the
 * oracle that knows every balance.
 */
import type { RouteHop } from '../../packages/core/src/types.ts';
import {
  DEFAULT_MIN_PART_PROBABILITY,
  ChannelFlag,
  createFlowNetwork,
  decomposeFlow,
  forwardFee,
  heldBy,
  hopsOf,
  learn,
  minCostFlow,
  type ChannelGraph,
  type Liquidity,
} from '../../packages/core/src/planner/index.ts';

/** One payment to make. */
export interface Payment {
  source: number;
  target: number;
  amount: number;
  maxfee: number;
}

/** How a planner did on one payment. */
export interface Outcome {
  ok: boolean;
  /** HTLCs sent (parts tried, failed ones included). */
  attempts: number;
  rounds: number;
  /** Parts of the completed payment. */
  parts: number;
  fee: number;
  /** Milliseconds of each planning call. */
  planMs: number[];
  /** Parts the sender refused as malformed (wrong fee, delay or limits): planner bugs. */
  invalid: number;
  /** Times the payment started over after its held parts timed out at the payee. */
  restarts: number;
  why?: string;
}

export const FINAL_CLTV = 18;
export const MAXDELAY = 2016;
export const MAXPARTS = 16;
/** Planning rounds a payment may take (each: plan, send every part, learn from every result). */
export const MAX_ROUNDS = 20;
/**
 * Times a payment may start over when its held parts cannot be completed (it lets the
 * payee's mpp_timeout release them, then plans the whole amount again with what it
 * learned); counted in `restarts`. The same for every planner.
 */
export const RESTARTS = 2;
/** A part less likely than this makes a planner look again with less weight on fees: plan.ts's default floor, for every planner. */
export const MIN_PART_PROBABILITY = DEFAULT_MIN_PART_PROBABILITY;

/** The true state: each direction's spendable amount, and what this payment's parts hold. */
export class World {
  readonly held: Float64Array;
  constructor(
    readonly graph: ChannelGraph,
    readonly liquidity: Float64Array,
  ) {
    this.held = new Float64Array(graph.size);
  }

  /** Our own channels' balances are known to the payer, as listpeerchannels tells them. */
  own(source: number, on: boolean): void {
    const { outStart, outList } = this.graph.adjacency();
    for (let j = outStart[source]!; j < outStart[source + 1]!; j++) {
      const e = outList[j]!;
      this.graph.setKnown(this.graph.scids[e]!, this.graph.direction[e]!, on ? this.liquidity[e]! : undefined);
    }
  }

  /** Sends one part; on success it keeps holding its amounts (the payee holds it until all arrive). */
  send(route: RouteHop[], amount: number): { ok: true } | { ok: false; erring_index: number; failcode: number; invalid?: string } {
    const g = this.graph;
    const path: number[] = [];
    for (let i = 0; i < route.length; i++) {
      const hop = route[i]!;
      const e = g.channelIndex(hop.channel, hop.direction ?? -1);
      if (e < 0 || g.nodeIds[g.to[e]!] !== hop.id) return { ok: false, erring_index: i, failcode: 0x400a, invalid: 'unknown channel' };
      if (i > 0 && g.from[e] !== g.to[path[i - 1]!]) return { ok: false, erring_index: i, failcode: 0x400a, invalid: 'not a path' };
      path.push(e);
    }
    const last = route[route.length - 1]!;
    if (last.amount_msat < amount || last.delay < FINAL_CLTV)
      return { ok: false, erring_index: route.length, failcode: 0x400f, invalid: 'final amount or delay' };
    if (route[0]!.delay > MAXDELAY) return { ok: false, erring_index: 0, failcode: 0x4015, invalid: 'over maxdelay' };
    for (let i = 0; i < route.length; i++) {
      const e = path[i]!;
      const hop = route[i]!;
      if (!(g.flags[e]! & ChannelFlag.ACTIVE)) return { ok: false, erring_index: i, failcode: 0x1014, invalid: 'disabled' };
      if (i > 0) {
        const prev = route[i - 1]!;
        if (prev.amount_msat < hop.amount_msat + forwardFee(g.baseFee[e]!, g.ppm[e]!, hop.amount_msat))
          return { ok: false, erring_index: i, failcode: 0x100c, invalid: 'fee_insufficient' };
        if (prev.delay < hop.delay + g.cltv[e]!) return { ok: false, erring_index: i, failcode: 0x100d, invalid: 'incorrect_cltv_expiry' };
      }
      if (hop.amount_msat < g.htlcMin[e]!) return { ok: false, erring_index: i, failcode: 0x100b, invalid: 'amount_below_minimum' };
      if (hop.amount_msat > g.htlcMax[e]!) return { ok: false, erring_index: i, failcode: 0x1007, invalid: 'over htlc_maximum' };
      if (hop.amount_msat > this.liquidity[e]! - this.held[e]!) return { ok: false, erring_index: i, failcode: 0x1007 };
    }
    path.forEach((e, i) => (this.held[e]! += route[i]!.amount_msat));
    return { ok: true };
  }

  /**
   * Ends a planner's turn: every amount this payment's parts held goes back, so the next
   * contender meets the same balances. Returns how many directions still held something
   * (a planner that failed to release its parts: a bench bug).
   */
  reset(): number {
    let leaked = 0;
    for (let e = 0; e < this.held.length; e++) if (this.held[e] !== 0) leaked++;
    if (leaked > 0) this.held.fill(0);
    return leaked;
  }

  release(routes: RouteHop[][]): void {
    for (const route of routes) {
      for (const hop of route) {
        const e = this.graph.channelIndex(hop.channel, hop.direction!);
        this.held[e]! -= hop.amount_msat;
      }
    }
  }
}

/**
 * The best single path for `amount` under what `liquidity` has learned: a Dijkstra
 * backwards from the target (so each hop's amount is exact). Each direction weighs
 * -log P(amount) + `feeWeight` · fee (msat), or, with `feeWeight` 'fees', its fee alone
 * (probability ignored: the cheapest usable path); directions in flight count with what
 * this payment holds on them.
 */
export function bestPath(
  graph: ChannelGraph,
  lower: Float64Array,
  upper: Float64Array,
  source: number,
  target: number,
  amount: number,
  feeWeight: number | 'fees',
): RouteHop[] | undefined {
  const n = graph.nodeCount;
  const { inStart, inList } = graph.adjacency();
  const cost = new Float64Array(n).fill(Infinity);
  const need = new Float64Array(n);
  const delay = new Float64Array(n);
  const via = new Int32Array(n).fill(-1);
  const done = new Uint8Array(n);
  const heap: [number, number][] = [];
  const push = (k: number, v: number): void => {
    heap.push([k, v]);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p]![0] <= k) break;
      [heap[p], heap[i]] = [heap[i]!, heap[p]!];
      i = p;
    }
  };
  const pop = (): [number, number] => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        let m = i;
        if (l < heap.length && heap[l]![0] < heap[m]![0]) m = l;
        if (l + 1 < heap.length && heap[l + 1]![0] < heap[m]![0]) m = l + 1;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i]!, heap[m]!];
        i = m;
      }
    }
    return top;
  };
  cost[target] = 0;
  need[target] = amount;
  delay[target] = FINAL_CLTV;
  push(0, target);
  while (heap.length > 0) {
    const [c, v] = pop();
    if (done[v]) continue;
    done[v] = 1;
    if (v === source) break;
    const x = need[v]!;
    for (let j = inStart[v]!; j < inStart[v + 1]!; j++) {
      const e = inList[j]!;
      const u = graph.from[e]!;
      if (done[u] || u === target) continue;
      const l = lower[e]!;
      const up = Math.min(upper[e]!, graph.htlcMax[e]!);
      if (x > up || x < graph.htlcMin[e]!) continue;
      const p = x <= l ? 1 : (upper[e]! + 1 - x) / (upper[e]! + 1 - l);
      const fee = u === source ? 0 : forwardFee(graph.baseFee[e]!, graph.ppm[e]!, x);
      const d = u === source ? delay[v]! : delay[v]! + graph.cltv[e]!;
      if (d > MAXDELAY) continue;
      const nc = feeWeight === 'fees' ? c + fee + 1e-3 : c - Math.log(p) + feeWeight * fee + 1e-3;
      if (nc < cost[u]!) {
        cost[u] = nc;
        need[u] = x + fee;
        delay[u] = d;
        via[u] = e;
        push(nc, u);
      }
    }
  }
  if (via[source]! < 0) return undefined;
  const path: number[] = [];
  for (let v = source; v !== target; v = graph.to[via[v]!]!) {
    path.push(via[v]!);
    if (path.length > 30) return undefined;
  }
  return hopsOf(graph, path, amount, FINAL_CLTV);
}

/** Bounds a baseline plans with: learned ones less what this payment holds. */
function boundsFor(graph: ChannelGraph, liquidity: Liquidity, held: RouteHop[][], lower: Float64Array, upper: Float64Array): void {
  liquidity.fill(graph, lower, upper, 0);
  for (const [e, h] of heldBy(graph, held)) {
    lower[e] = Math.max(0, lower[e]! - h);
    upper[e] = Math.max(-1, upper[e]! - h);
  }
}

const feeOf = (route: RouteHop[], amount: number) => route[0]!.amount_msat - amount;

/** A route's chance under the bounds: each hop's amount uniform between its direction's bounds. */
function chanceOf(graph: ChannelGraph, lower: Float64Array, upper: Float64Array, route: RouteHop[]): number {
  let p = 1;
  for (const hop of route) {
    const e = graph.channelIndex(hop.channel, hop.direction!);
    const x = hop.amount_msat;
    p *= x <= lower[e]! ? 1 : Math.max(0, (upper[e]! + 1 - x) / (upper[e]! + 1 - lower[e]!));
  }
  return p;
}

/**
 * A baseline's route for one part, with the local planner's fee rule (plan.ts, problem.ts):
 * fees weigh `mu` nats per the cheapest usable path's fee for the amount (fees only, at
 * least 100 msat or 1 ppm of the amount), so `mu` means the same as the local planner's;
 * a route over `budget` is found again with `mu` eight times greater until one fits (the
 * cheapest path fits if any does); one under {@link MIN_PART_PROBABILITY} is found again
 * with a quarter of the weight, twice, kept if it is likelier and fits.
 */
export function routeFor(
  graph: ChannelGraph,
  lower: Float64Array,
  upper: Float64Array,
  pay: Payment,
  amount: number,
  budget: number,
  mu: number,
): { route?: RouteHop[]; why?: string } {
  const cheapest = bestPath(graph, lower, upper, pay.source, pay.target, amount, 'fees');
  if (!cheapest) return { why: 'no path' };
  if (feeOf(cheapest, amount) > budget) return { why: 'fee budget' };
  const unit = Math.max(100, amount * 1e-6, feeOf(cheapest, amount));
  const fits = (r: RouteHop[] | undefined): r is RouteHop[] => r !== undefined && feeOf(r, amount) <= budget;
  let route = bestPath(graph, lower, upper, pay.source, pay.target, amount, mu / unit);
  for (let m = mu * 8, i = 0; !fits(route) && i < 5; i++, m *= 8)
    route = bestPath(graph, lower, upper, pay.source, pay.target, amount, m / unit);
  if (!fits(route)) return { route: cheapest };
  let p = chanceOf(graph, lower, upper, route);
  for (let m = mu / 4, i = 0; i < 2 && p < MIN_PART_PROBABILITY; i++, m /= 4) {
    const r = bestPath(graph, lower, upper, pay.source, pay.target, amount, m / unit);
    const q = r ? chanceOf(graph, lower, upper, r) : 0;
    if (fits(r) && q > p) [route, p] = [r, q];
  }
  return { route };
}

/**
 * No multipath: the whole amount on the best path ({@link routeFor}), again after each
 * failure with what it taught. Nothing is held between tries, so it never needs a restart.
 */
export function singlePath(world: World, liquidity: Liquidity, pay: Payment, mu: number): Outcome {
  const g = world.graph;
  const lower = new Float64Array(g.size);
  const upper = new Float64Array(g.size);
  const out: Outcome = { ok: false, attempts: 0, rounds: 0, parts: 0, fee: 0, planMs: [], invalid: 0, restarts: 0 };
  for (let round = 0; round < MAX_ROUNDS; round++) {
    out.rounds++;
    const t = performance.now();
    boundsFor(g, liquidity, [], lower, upper);
    const { route, why } = routeFor(g, lower, upper, pay, pay.amount, pay.maxfee, mu);
    out.planMs.push(performance.now() - t);
    if (!route) return { ...out, why: why! };
    out.attempts++;
    const result = world.send(route, pay.amount);
    if (!result.ok && result.invalid) out.invalid++;
    learn(liquidity, g, route, result, { now: 0 });
    if (result.ok) {
      world.release([route]);
      return { ...out, ok: true, parts: 1, fee: feeOf(route, pay.amount) };
    }
  }
  return { ...out, why: 'deadline' };
}

/**
 * LND-style splitting: the whole amount on the best path ({@link routeFor}); a shard that
 * fails, or finds no path, is split in halves (while the payment has fewer than `maxparts`
 * shards and the halves are at least `minShard`), each half routed on its own. Each shard
 * may spend the budget left in proportion to its amount. When a shard finds no path and
 * cannot be split while parts are held, the payment starts over as the local planner's
 * does ({@link RESTARTS} times: the payee's mpp_timeout releases the parts; what was
 * learned is kept).
 */
export function lndSplit(world: World, liquidity: Liquidity, pay: Payment, mu: number, minShard = 10_000_000): Outcome {
  const g = world.graph;
  const lower = new Float64Array(g.size);
  const upper = new Float64Array(g.size);
  const out: Outcome = { ok: false, attempts: 0, rounds: 0, parts: 0, fee: 0, planMs: [], invalid: 0, restarts: 0 };
  const held: { route: RouteHop[]; amount: number }[] = [];
  let queue = [pay.amount];
  const finish = (ok: boolean, why?: string): Outcome => {
    world.release(held.map((h) => h.route));
    return {
      ...out,
      ok,
      parts: ok ? held.length : 0,
      fee: ok ? held.reduce((s, h) => s + feeOf(h.route, h.amount), 0) : 0,
      ...(why ? { why } : {}),
    };
  };
  const shards = () => held.length + queue.length;
  rounds: for (let round = 0; round < MAX_ROUNDS && queue.length > 0; round++) {
    out.rounds++;
    const next: number[] = [];
    const sentNow: RouteHop[][] = [];
    while (queue.length > 0) {
      const amount = queue.shift()!;
      const t = performance.now();
      boundsFor(
        g,
        liquidity,
        held.map((h) => h.route),
        lower,
        upper,
      );
      const spent = held.reduce((s, h) => s + feeOf(h.route, h.amount), 0);
      const budget = Math.floor(((pay.maxfee - spent) * amount) / (pay.amount - held.reduce((s, h) => s + h.amount, 0)));
      const { route, why } = routeFor(g, lower, upper, pay, amount, budget, mu);
      out.planMs.push(performance.now() - t);
      if (!route) {
        if (shards() + next.length + 1 < MAXPARTS + 1 && amount >= 2 * minShard) {
          queue.unshift(Math.floor(amount / 2), amount - Math.floor(amount / 2));
          continue;
        }
        if (why === 'no path' && held.length > 0 && out.restarts < RESTARTS) {
          out.restarts++;
          world.release(held.map((h) => h.route));
          held.length = 0;
          queue = [pay.amount];
          continue rounds;
        }
        return finish(false, why);
      }
      out.attempts++;
      const result = world.send(route, amount);
      if (!result.ok && result.invalid) out.invalid++;
      learn(liquidity, g, route, result, { held: held.map((h) => h.route), concurrent: sentNow, now: 0 });
      if (result.ok) {
        held.push({ route, amount });
        sentNow.push(route);
      } else if (shards() + next.length + 2 <= MAXPARTS && amount >= 2 * minShard) {
        next.push(Math.floor(amount / 2), amount - Math.floor(amount / 2));
      } else next.push(amount);
    }
    queue = next;
  }
  return queue.length === 0 ? finish(true) : finish(false, 'deadline');
}

/**
 * The oracle over every true balance: a min-cost flow (fee cost) on the whole graph with
 * each direction's real spendable amount as its capacity. Feasible when it carries the
 * amount (the max flow reaches it); its fee is the cheapest feasible flow's (base fees
 * counted once per path, even where a path would need splitting for an htlc maximum).
 */
export class Oracle {
  private readonly net;
  private readonly arcs: Int32Array;
  constructor(
    readonly graph: ChannelGraph,
    liquidity: Float64Array,
  ) {
    const active: number[] = [];
    for (let e = 0; e < graph.size; e++) if (graph.flags[e]! & ChannelFlag.ACTIVE) active.push(e);
    this.arcs = Int32Array.from(active);
    this.net = createFlowNetwork(
      graph.nodeCount,
      Int32Array.from(active, (e) => graph.from[e]!),
      Int32Array.from(active, (e) => graph.to[e]!),
      1,
    );
    // htlc_maximum_msat limits each HTLC, not the sum: a direction carries up to its balance in as many parts as it takes.
    active.forEach((e, a) => (this.net.segEnd[a] = Math.max(0, liquidity[e]!)));
  }

  /**
   * Base fees make the true cost concave (paid once per part), so the flow is solved a few
   * times, each arc's base fee spread over what it carried the time before (over the whole
   * amount at first), keeping the cheapest exact result: the usual successive
   * linearisation for fixed charges.
   */
  solve(pay: Payment, iterations = 4): { feasible: boolean; fee: number; parts: number; ms: number } {
    const t = performance.now();
    const g = this.graph;
    const carried = new Float64Array(this.arcs.length).fill(pay.amount);
    let best = { feasible: false, fee: Infinity, parts: 0 };
    for (let i = 0; i < iterations; i++) {
      this.arcs.forEach((e, a) => {
        this.net.segCost[a] = (g.from[e] === pay.source ? 0 : g.ppm[e]! / 1e6 + g.baseFee[e]! / carried[a]!) + 1e-9;
      });
      const r = minCostFlow(this.net, pay.source, pay.target, pay.amount);
      if (r.value < pay.amount) break;
      const flow = r.flow.slice();
      const paths = decomposeFlow(this.net, r.flow, pay.source, pay.target);
      let fee = 0;
      for (const p of paths) {
        const hops = hopsOf(
          g,
          p.arcs.map((a) => this.arcs[a]!),
          p.amount,
          FINAL_CLTV,
        );
        fee += hops[0]!.amount_msat - p.amount;
      }
      if (fee < best.fee) best = { feasible: true, fee, parts: paths.length };
      flow.forEach((f, a) => (carried[a] = f > 0 ? f : pay.amount));
    }
    return { ...best, ms: performance.now() - t };
  }
}

/** A world of hidden balances: how each channel's capacity is split between its two sides. */
export type WorldName = 'uniform' | 'bimodal' | 'mixed';

/**
 * Draws node_1's balance of every channel for a world with `random` (the bench seeds it
 * with `PAY_BENCH_SEED`, stream `world:<name>`); `uniform` is not drawn here (simnet's loader draws it). A one-sided channel holds at most
 * 5% of its capacity on one side (uniform over 0 to 5%), the side a fair coin's: in
 * `bimodal` 90% of channels are one-sided and the rest uniform over the capacity; in
 * `mixed` half are. Balances are whole sat, as the loader's.
 */
export function drawBalances(graph: ChannelGraph, name: Exclude<WorldName, 'uniform'>, random: () => number): Map<string, number> {
  const oneSided = name === 'bimodal' ? 0.9 : 0.5;
  const balance1 = new Map<string, number>();
  for (let e = 0; e < graph.size; e++) {
    const scid = graph.scids[e]!;
    if (balance1.has(scid)) continue;
    const sat = Math.floor(graph.capacity[e]! / 1000);
    let share = random();
    if (random() < oneSided) {
      const small = 0.05 * random();
      share = random() < 0.5 ? small : 1 - small;
    }
    balance1.set(scid, Math.floor(share * sat) * 1000);
  }
  return balance1;
}

/** Each direction's spendable amount from node_1's balances: its side's balance less the 1% reserve, as simnet's channels count it. */
export function spendableOf(graph: ChannelGraph, balance1: Map<string, number>): Float64Array {
  const truth = new Float64Array(graph.size);
  for (let e = 0; e < graph.size; e++) {
    const capacity = graph.capacity[e]!;
    const b1 = balance1.get(graph.scids[e]!)!;
    const side = graph.direction[e] === 0 ? b1 : capacity - b1;
    truth[e] = Math.max(0, side - Math.floor(capacity / 100 / 1000) * 1000);
  }
  return truth;
}

/** The nodes of the largest strongly connected component over active directions (Kosaraju, iterative). */
export function largestComponent(graph: ChannelGraph): number[] {
  const n = graph.nodeCount;
  const { outStart, outList, inStart, inList } = graph.adjacency();
  const order = new Int32Array(n);
  let k = 0;
  const seen = new Uint8Array(n);
  const stack = new Int32Array(n);
  const next = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    if (seen[s]) continue;
    let top = 0;
    stack[0] = s;
    seen[s] = 1;
    next[s] = outStart[s]!;
    while (top >= 0) {
      const v = stack[top]!;
      if (next[v]! < outStart[v + 1]!) {
        const w = graph.to[outList[next[v]!++]!]!;
        if (!seen[w]) {
          seen[w] = 1;
          next[w] = outStart[w]!;
          stack[++top] = w;
        }
      } else {
        order[k++] = v;
        top--;
      }
    }
  }
  const component = new Int32Array(n).fill(-1);
  let best = -1;
  let bestSize = 0;
  for (let i = n - 1, c = 0; i >= 0; i--) {
    const s = order[i]!;
    if (component[s]! >= 0) continue;
    let size = 0;
    const todo = [s];
    component[s] = c;
    while (todo.length > 0) {
      const v = todo.pop()!;
      size++;
      for (let j = inStart[v]!; j < inStart[v + 1]!; j++) {
        const u = graph.from[inList[j]!]!;
        if (component[u]! < 0) {
          component[u] = c;
          todo.push(u);
        }
      }
    }
    if (size > bestSize) [best, bestSize] = [c, size];
    c++;
  }
  const nodes: number[] = [];
  for (let v = 0; v < n; v++) if (component[v] === best) nodes.push(v);
  return nodes;
}
