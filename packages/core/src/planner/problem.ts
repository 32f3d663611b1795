/**
 * One planning problem: the neighbourhood of source and destination as a flow network,
 * each arc's liquidity bounds (less what the payment's parts in flight hold), and its
 * convex cost `-log P(x) + mu · fee(x) / feeUnit` cut into {@link K} linear segments: the
 * learned floor (certain, fee only), then 50%, 80%, 95% and 100% of the uncertain range
 * (chords of the convex curve, as Pickhardt and Richter's implementation cuts it).
 */
import type { RouteHop } from '../types.ts';
import { ChannelFlag, type ChannelGraph } from './graph.ts';
import { successProbability, type Liquidity } from './liquidity.ts';
import { createFlowNetwork, type FlowNetwork } from './flow.ts';
import { fitDelay, selectSubgraph, shortestDistances, subgraphOf, type Subgraph } from './subgraph.ts';
import { heldBy, hopsOf } from './routes.ts';

/** Segments per arc. */
export const K = 5;
const PIVOTS = [0.5, 0.8, 0.95, 1];
/** A tiny price per hop, in nats for the whole amount, so ties go to shorter paths. */
const HOP_COST = 1e-3;
/** The least fee unit, msat (a free cheapest path must not make every fee infinitely dear). */
const MIN_FEE_UNIT = 100;
/** How many times more directions the wide neighbourhood (tried when the first is short of room) has. */
const WIDE = 4;
/** The `budget` neighbourhood weighs a path costing this share of the fee budget like `mu` nats (see {@link Breadth}). */
const WIDE_FEE_SHARE = 8;

/** A checked request, in graph indexes. */
export interface Limits {
  source: number;
  target: number;
  amount: number;
  maxfee: number;
  maxparts: number;
  final: number;
  maxdelay: number;
  mu: number;
  maxArcs: number;
  minPartProbability: number;
  now: number;
}

/** Why there is no plan (see `NoPlanReason` in plan.ts). */
export interface Failure {
  ok: false;
  reason: 'UNKNOWN_NODE' | 'NO_PATH' | 'CAPACITY' | 'FEE_BUDGET' | 'MAXPARTS' | 'MAXDELAY';
  message: string;
}

/**
 * How much of the graph a problem is solved on: the neighbourhood; {@link WIDE} times that
 * with narrow directions too; or as wide, with fees weighed against the budget rather than
 * the cheapest path and the ways out of the source's peers taken first (`budget`: for room
 * that only dearer paths within the budget have).
 */
export type Breadth = 'near' | 'wide' | 'budget';

/** The solver's state for one request. */
export interface Problem {
  graph: ChannelGraph;
  req: Limits;
  sub: Subgraph;
  net: FlowNetwork;
  /** Direction index of each local arc. */
  arcs: Int32Array;
  /** Bounds of each local arc, less what the request's in-flight parts hold. */
  lower: Float64Array;
  upper: Float64Array;
  /** Whether the arc's source charges (everything but our own first hops). */
  charged: Uint8Array;
  /** Fee head-room kept on every arc, as a share of its usable amount. */
  margin: number;
  /** The fee of the cheapest path for the amount (fees only): what `mu` weighs fees against. */
  feeUnit: number;
  /** The cheapest path's directions (see `feeUnit`). */
  cheapestPath: Int32Array;
}

/** A neighbourhood chosen before (for a larger amount of the same payment), to solve on again without choosing. */
export interface Reuse {
  /** Its directions. */
  arcs: Int32Array;
  /** The cheapest path's directions then: its fee for this amount is the fee unit. */
  cheapestPath: Int32Array;
}

/** A planned path: local arcs, their directions, the `sendpay` hops and what it delivers. */
export interface Part {
  arcs: number[];
  path: number[];
  hops: RouteHop[];
  amount: number;
}

/**
 * Builds the problem: bounds from `liquidity` less `inflight`, the neighbourhood (see
 * {@link Breadth}; or the one `reuse` gives), directions that cannot fit in `maxdelay` dropped.
 */
export function prepare(
  graph: ChannelGraph,
  liquidity: Liquidity,
  req: Limits,
  inflight: readonly (readonly RouteHop[])[] | undefined,
  exclude: readonly string[] | undefined,
  breadth: Breadth,
  reuse?: Reuse,
): Problem | Failure {
  const size = graph.size;
  const lower = new Float64Array(size);
  const upper = new Float64Array(size);
  liquidity.fill(graph, lower, upper, req.now);
  for (const [e, h] of heldBy(graph, inflight)) {
    lower[e] = Math.max(0, lower[e]! - h);
    upper[e] = Math.max(-1, upper[e]! - h);
  }
  // Excluded directions and those from or to an excluded node.
  const banned = new Uint8Array(size);
  let bannedSource = false;
  for (const x of exclude ?? []) {
    const slash = x.indexOf('/');
    if (slash < 0) {
      const v = graph.nodeIndex(x);
      if (v < 0) continue;
      if (v === req.source || v === req.target) bannedSource = true;
      const { outStart, outList, inStart, inList } = graph.adjacency();
      for (let j = outStart[v]!; j < outStart[v + 1]!; j++) banned[outList[j]!] = 1;
      for (let j = inStart[v]!; j < inStart[v + 1]!; j++) banned[inList[j]!] = 1;
    } else {
      const e = graph.channelIndex(x.slice(0, slash), Number(x.slice(slash + 1)));
      if (e >= 0) banned[e] = 1;
    }
  }
  if (bannedSource) return { ok: false, reason: 'NO_PATH', message: 'the source or destination is excluded' };
  // Pruning weights: the cost of carrying a share of the amount over each direction. Fees
  // count against the fee of the cheapest path (fees only, no probability), so `mu` means
  // the same for a coffee as for a car.
  const share = req.amount / Math.min(4, req.maxparts);
  const margin = Math.min(0.05, req.maxfee / req.amount);
  const minUseful = Math.max(1, breadth === 'near' ? req.amount / (req.maxparts * 4) : 1);
  const { flags, from, htlcMin, htlcMax, baseFee, ppm } = graph;
  const amount = req.amount;
  const source = req.source;
  /** Whether direction `e` can take part at all. */
  const usable = (e: number): boolean => {
    const u = upper[e]!;
    const most = u < htlcMax[e]! ? u : htlcMax[e]!;
    return (flags[e]! & ChannelFlag.ACTIVE) !== 0 && most >= minUseful && htlcMin[e]! <= amount && !banned[e];
  };
  const feeOf = (e: number): number => (from[e] === source ? 0 : baseFee[e]! + (ppm[e]! * share) / 1e6);
  let sub: Subgraph | undefined;
  let feeUnit: number;
  let cheapestPath: Int32Array;
  if (reuse) {
    // The neighbourhood chosen before, less what can no longer take part; the same cheapest path sets the fee unit.
    sub = subgraphOf(graph, reuse.arcs.filter(usable), source, req.target);
    let fee = 0;
    for (const e of reuse.cheapestPath) fee += feeOf(e);
    cheapestPath = reuse.cheapestPath;
    feeUnit = Math.max(MIN_FEE_UNIT, amount * 1e-6, (fee * amount) / share);
  } else {
    const weight = new Float64Array(size);
    const fees = new Float64Array(size);
    for (let e = 0; e < size; e++) {
      if (!usable(e)) {
        weight[e] = Infinity;
        fees[e] = Infinity;
        continue;
      }
      const u = upper[e]!;
      const l = lower[e]!;
      const most = u < htlcMax[e]! ? u : htlcMax[e]!;
      const x = share < most ? share : most;
      let w = x <= l ? 0 : -Math.log((u + 1 - x) / (u + 1 - l));
      if (x < share) w += (2 * (share - x)) / share;
      weight[e] = w + HOP_COST;
      fees[e] = feeOf(e);
    }
    const { outStart, outList } = graph.adjacency();
    const cheapest = new Float64Array(graph.nodeCount);
    const via = new Int32Array(graph.nodeCount);
    // Only the target's distance is needed: stop there.
    shortestDistances(graph.nodeCount, outStart, outList, graph.to, fees, source, cheapest, via, req.target);
    if (cheapest[req.target] === Infinity)
      return { ok: false, reason: 'NO_PATH', message: 'no usable path leads from the source to the destination' };
    const path: number[] = [];
    for (let v = req.target; v !== source && path.length < graph.nodeCount; v = from[via[v]!]!) path.push(via[v]!);
    cheapestPath = Int32Array.from(path.reverse());
    feeUnit = Math.max(MIN_FEE_UNIT, amount * 1e-6, (cheapest[req.target]! * amount) / share);
    const feeWeight = req.mu / (breadth === 'budget' ? Math.max(feeUnit, req.maxfee / WIDE_FEE_SHARE) : feeUnit);
    for (let e = 0; e < size; e++) if (weight[e] !== Infinity) weight[e]! += feeWeight * fees[e]!;
    sub =
      breadth === 'near'
        ? selectSubgraph(graph, weight, source, req.target, req.maxArcs)
        : selectSubgraph(graph, weight, source, req.target, req.maxArcs * WIDE, breadth === 'budget');
  }
  if (!sub) return { ok: false, reason: 'NO_PATH', message: 'no usable path leads from the source to the destination' };
  const delay = new Float64Array(sub.arcs.length);
  sub.arcs.forEach((e, a) => (delay[a] = graph.from[e] === req.source ? 0 : graph.cltv[e]!));
  const kept = fitDelay(sub, delay, req.maxdelay - req.final);
  if (kept.length === 0) return { ok: false, reason: 'MAXDELAY', message: `no path fits in maxdelay ${req.maxdelay}` };
  if (kept.length < sub.arcs.length) {
    const s = sub;
    sub = {
      ...s,
      arcs: Int32Array.from(kept, (a) => s.arcs[a]!),
      from: Int32Array.from(kept, (a) => s.from[a]!),
      to: Int32Array.from(kept, (a) => s.to[a]!),
    };
  }
  const m = sub.arcs.length;
  const net = createFlowNetwork(sub.nodes.length, sub.from, sub.to, K);
  const lo = new Float64Array(m);
  const up = new Float64Array(m);
  const charged = new Uint8Array(m);
  sub.arcs.forEach((e, a) => {
    lo[a] = lower[e]!;
    up[a] = upper[e]!;
    charged[a] = graph.from[e] === req.source ? 0 : 1;
  });
  return { graph, req, sub, net, arcs: sub.arcs, lower: lo, upper: up, charged, margin, feeUnit, cheapestPath };
}

/**
 * Sets every arc's segments for fee weight `mu`, with `extra` more held on each arc, for a
 * flow of `demand` (base fees are spread over it). Banned arcs get no room.
 */
export function segments(p: Problem, mu: number, extra: Float64Array, banned: Uint8Array, demand: number): void {
  const { graph, net, arcs } = p;
  const { segEnd, segCost } = net;
  const feeScale = mu / p.feeUnit;
  const hop = HOP_COST / demand;
  for (let a = 0; a < arcs.length; a++) {
    const e = arcs[a]!;
    const base = a * K;
    const l = Math.max(0, p.lower[a]! - extra[a]!);
    const u = p.upper[a]! - extra[a]!;
    // htlc_maximum_msat bounds each part, not the sum: the split cuts paths to fit it.
    const cap = Math.floor(u / (1 + p.margin));
    if (banned[a] || cap <= 0 || graph.htlcMin[e]! > demand) {
      for (let k = 0; k < K; k++) segEnd[base + k] = 0;
      continue;
    }
    const fee = p.charged[a] ? feeScale * (graph.ppm[e]! / 1e6 + graph.baseFee[e]! / demand) + hop : hop;
    const w = u - l;
    segEnd[base] = Math.min(cap, Math.floor(l));
    segCost[base] = fee;
    let y0 = 0;
    let c0 = 0;
    for (let k = 1; k < K; k++) {
      const y1 = PIVOTS[k - 1]! * w;
      const c1 = -Math.log((w + 1 - y1) / (w + 1));
      segEnd[base + k] = Math.min(cap, Math.floor(l + y1));
      segCost[base + k] = fee + (y1 > y0 ? (c1 - c0) / (y1 - y0) : 0);
      y0 = y1;
      c0 = c1;
    }
  }
}

/**
 * The exact `sendpay` hops of `part` (its `amount` delivered), checked against each
 * direction's htlc limits, the bounds less `extra`, and `maxdelay`. Returns what the
 * first offending hop is over (0: fits), or `Infinity` when it cannot fit at all.
 */
export function fit(p: Problem, part: Part, extra: Float64Array): number {
  const { graph, arcs } = p;
  part.hops = hopsOf(graph, part.path, part.amount, p.req.final);
  if (part.hops[0]!.delay > p.req.maxdelay) return Infinity;
  let over = 0;
  for (let i = 0; i < part.arcs.length; i++) {
    const a = part.arcs[i]!;
    const e = arcs[a]!;
    const x = part.hops[i]!.amount_msat;
    if (x < graph.htlcMin[e]!) return Infinity;
    over = Math.max(over, x - Math.min(graph.htlcMax[e]!, p.upper[a]! - extra[a]!));
  }
  return over;
}

/** The probability that `part` gets through on its own, with `extra` already held. */
export function partProbability(p: Problem, part: Part, extra?: Float64Array): number {
  let probability = 1;
  part.arcs.forEach((a, i) => {
    const h = extra ? extra[a]! : 0;
    probability *= chance(part.hops[i]!.amount_msat, p.lower[a]! - h, p.upper[a]! - h);
  });
  return probability;
}

/** {@link successProbability} with bounds clamped (held amounts can take them below zero). */
export function chance(x: number, lower: number, upper: number): number {
  return successProbability(x, Math.max(0, lower), Math.max(-1, upper));
}
