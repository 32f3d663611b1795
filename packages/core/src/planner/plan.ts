/**
 * `planPayment`: the flow that is most likely to get through at a low fee, split into
 * `sendpay` routes (Pickhardt and Richter, "Optimally reliable & cheap payment flows on the
 * Lightning Network", 2021). Each direction's liquidity is uniform between its learned
 * bounds (less what our parts in flight hold on it); its cost for a flow `x` is
 * `-log P(x) + mu · fee(x)`, with fees in units of the cheapest path's fee, linearised into five
 * segments (the learned floor, then 50%, 80%, 95% and 100% of the uncertain range) and
 * solved as a min-cost flow on a pruned neighbourhood of source and destination. The flow
 * is split into paths; parts too small or beyond `maxparts` are folded into the others or
 * planned again, halving onto wide paths when the parts run out (split.ts). A plan with a
 * part below `min_part_probability` first has that part halved like shards (no dearer than
 * half as much again in fees), then is solved again with less weight on fees; one over the
 * fee budget with more (growing, then bisection) until it fits.
 *
 * To plan what is left of a payment, call it again with the remainder, the remaining budget
 * and parts, and the parts in flight as `inflight`: it solves again on the neighbourhood
 * chosen for the payment before (kept per `Liquidity`, while the graph is unchanged),
 * choosing anew when that gives no plan or one half as dear again per msat as the first. A
 * plan on a new neighbourhood costing more than four times the cheapest path's fee is
 * compared with one on a neighbourhood four times larger. A neighbourhood short of room is
 * followed by that larger one, then, once something was learned, by one as large that
 * weighs fees against the budget.
 */
import type { RouteHop } from '../types.ts';
import { engineError } from '../errors.ts';
import type { ChannelGraph } from './graph.ts';
import { nowSeconds, type Liquidity } from './liquidity.ts';
import { chance, partProbability, prepare, type Limits, type Part, type Problem, type Reuse } from './problem.ts';
import { completeWithShards, splitFlow, splitShards } from './split.ts';

export { learn, settle, type LearnOptions, type PartOutcome } from './learn.ts';

/** What {@link planPayment} is asked. */
export interface PlanRequest {
  /** Our node id. */
  source: string;
  destination: string;
  /** What to deliver now (for a replan: what is neither delivered nor in flight). */
  amount_msat: number;
  /** Fees this plan may spend in all. */
  maxfee_msat: number;
  /** Parts this plan may use. Default 16. */
  maxparts?: number;
  /** The invoice's `min_final_cltv_expiry`. Default 18 (BOLT 11). */
  final_cltv?: number;
  /** Most blocks a part may lock funds for (its first hop's delay). Default 2016, as Core Lightning's `maxdelay`. */
  maxdelay?: number;
  /** Routes of this payment's parts in flight (or held by the payee): their amounts are not free on their channels. */
  inflight?: readonly (readonly RouteHop[])[];
  /** Directions (`scid/direction`) or node ids not to use. */
  exclude?: readonly string[];
  /**
   * Fee weight: nats of -log(success probability) worth paying as much again in fees as the
   * cheapest path would cost (fees only, ignoring liquidity). Default {@link DEFAULT_MU}.
   */
  mu?: number;
  /** Directions of the neighbourhood solved on (more when the amount does not fit). Default {@link DEFAULT_MAX_ARCS}. */
  max_arcs?: number;
  /**
   * A part less likely than this to get through makes the planner try again with less
   * weight on fees (see {@link DEFAULT_MIN_PART_PROBABILITY}); 0 never.
   */
  min_part_probability?: number;
  /** Unix seconds, for the decay of learned bounds. Default now. */
  now?: number;
}

/** One part of a plan: `hops` as `sendpay` takes them. */
export interface PlannedRoute {
  hops: RouteHop[];
  /** What the destination receives from this part. */
  amount_msat: number;
  /** What the part pays to the nodes on the way. */
  fee_msat: number;
  /** Its success probability on its own. */
  probability: number;
  /** Blocks its first hop locks funds for. */
  delay: number;
}

/** A plan. */
export interface Plan {
  ok: true;
  routes: PlannedRoute[];
  amount_msat: number;
  fee_msat: number;
  /** Probability that every part gets through (directions shared by parts counted once, with their sum). */
  probability: number;
  /** The fee weight used. */
  mu: number;
  /** Size of the neighbourhood solved on, and the work done. */
  stats: { nodes: number; arcs: number; solves: number; augmentations: number };
}

/** Why no plan. */
export type NoPlanReason =
  /** The source or the destination is not in the graph. */
  | 'UNKNOWN_NODE'
  /** Nothing leads from the source to the destination. */
  | 'NO_PATH'
  /** The known bounds leave too little room for the amount. */
  | 'CAPACITY'
  /** No flow fits in the fee budget. */
  | 'FEE_BUDGET'
  /** The amount does not fit in `maxparts` parts. */
  | 'MAXPARTS'
  /** No path fits in `maxdelay`. */
  | 'MAXDELAY';

/** No plan, and why. */
export interface NoPlan {
  ok: false;
  reason: NoPlanReason;
  message: string;
}

/** Default fee weight (see {@link PlanRequest.mu}). */
export const DEFAULT_MU = 4;
/** Default floor of a part's success probability. */
export const DEFAULT_MIN_PART_PROBABILITY = 0.2;
/** Default neighbourhood size, in directions. */
export const DEFAULT_MAX_ARCS = 4000;
/** Halving a plan's unlikely parts may reroute them: not at more than this many times its fees. */
const HALVING_FEE = 1.5;
/**
 * A plan that makes its worst part likelier is taken if all its parts together are at
 * least this share as likely: shards of one direction each look likely on their own.
 */
const JOINT_FLOOR = 0.5;
/** Tries with less weight on fees when a part's probability is below the floor. */
const GUARD_STEPS = 2;

const PUBKEY = /^0[23][0-9a-f]{64}$/;
const EXCLUDE = /^(\d{1,8}x\d{1,8}x\d{1,5}\/[01]|0[23][0-9a-f]{64})$/;

function invalid(message: string): never {
  throw engineError('INVALID_ARGUMENT', message);
}

function whole(value: unknown, name: string, min: number, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    invalid(`${name} must be a safe integer of at least ${min}`);
  return value;
}

function check(graph: ChannelGraph, r: PlanRequest): Limits | NoPlan {
  if (r === null || typeof r !== 'object') invalid('the plan request must be an object');
  if (typeof r.source !== 'string' || !PUBKEY.test(r.source)) invalid('source must be a node id (33 bytes, lowercase hex)');
  if (typeof r.destination !== 'string' || !PUBKEY.test(r.destination)) invalid('destination must be a node id (33 bytes, lowercase hex)');
  if (r.source === r.destination) invalid('source and destination are the same node');
  const amount = whole(r.amount_msat, 'amount_msat', 1);
  const maxfee = whole(r.maxfee_msat, 'maxfee_msat', 0);
  const maxparts = whole(r.maxparts, 'maxparts', 1, 16);
  const final = whole(r.final_cltv, 'final_cltv', 0, 18);
  const maxdelay = whole(r.maxdelay, 'maxdelay', 1, 2016);
  const maxArcs = whole(r.max_arcs, 'max_arcs', 1, DEFAULT_MAX_ARCS);
  const mu = r.mu ?? DEFAULT_MU;
  if (typeof mu !== 'number' || !(mu >= 0) || !Number.isFinite(mu)) invalid('mu must be a finite number, 0 or more');
  const minPartProbability = r.min_part_probability ?? DEFAULT_MIN_PART_PROBABILITY;
  if (typeof minPartProbability !== 'number' || !(minPartProbability >= 0 && minPartProbability <= 1))
    invalid('min_part_probability must be from 0 to 1');
  const now = r.now ?? nowSeconds();
  if (typeof now !== 'number' || !Number.isFinite(now)) invalid('now must be unix seconds');
  if (r.exclude !== undefined && (!Array.isArray(r.exclude) || !r.exclude.every((x) => typeof x === 'string' && EXCLUDE.test(x)))) {
    invalid('exclude must be an array of scid/direction strings or node ids');
  }
  const source = graph.nodeIndex(r.source);
  const target = graph.nodeIndex(r.destination);
  if (source < 0 || target < 0)
    return { ok: false, reason: 'UNKNOWN_NODE', message: `${source < 0 ? 'source' : 'destination'} is not in the graph` };
  return { source, target, amount, maxfee, maxparts, final, maxdelay, mu, maxArcs, minPartProbability, now };
}

/**
 * Plans how to send `amount_msat` from `source` to `destination` given what the graph
 * says and what `liquidity` has learned. Throws `INVALID_ARGUMENT` on a malformed request;
 * otherwise returns a {@link Plan} or a {@link NoPlan} with its reason.
 *
 * @example
 * let plan = planPayment(graph, liquidity, { source: me, destination: invoice.payee, amount_msat, maxfee_msat, final_cltv: invoice.min_final_cltv_expiry });
 * // send plan.routes; learn(liquidity, graph, route, outcome) from each result; then, for the remainder:
 * plan = planPayment(graph, liquidity, { ...request, amount_msat: left, maxfee_msat: feeLeft, maxparts: partsLeft, inflight: pending.map((p) => p.hops) });
 */
export function planPayment(graph: ChannelGraph, liquidity: Liquidity, request: PlanRequest): Plan | NoPlan {
  const req = check(graph, request);
  if ('ok' in req) return req;
  const { inflight, exclude } = request;
  // A replan of the same payment (what is left of it, with what was learned) solves again on
  // the neighbourhood chosen last time: choosing is most of a round's work on a big graph.
  const key = [graph.nodeIds[req.source], graph.nodeIds[req.target], req.final, req.maxdelay, req.maxArcs, req.mu, ...(exclude ?? [])].join(
    ' ',
  );
  const last = chosen.get(liquidity);
  const fresh = !(last && last.graph === graph && last.version === graph.version && last.key === key && req.amount <= last.amount);
  let result = fresh ? undefined : planIn(prepare(graph, liquidity, req, inflight, exclude, 'near', last));
  const short = (r: Plan | NoPlan) => !r.ok && (r.reason === 'CAPACITY' || r.reason === 'MAXPARTS');
  // What was learned may have shut the cheap ways of the neighbourhood chosen before: a plan
  // there half as dear again per msat as the first one is compared with one on a neighbourhood chosen anew.
  const dear = !!result?.ok && !!last && result.fee_msat > Math.max(REFRESH_FEE * last.rate * req.amount, req.maxfee / 20);
  // No plan there: choose again with what was learned; short of room, once more on a wider neighbourhood.
  if (!result?.ok || dear) {
    let problem = prepare(graph, liquidity, req, inflight, exclude, 'near');
    let again = planIn(problem);
    // A flow far dearer than the cheapest path's fee ran short of cheap room: the neighbourhood
    // is chosen for a share of the amount, and the cheap directions it left out (priced per
    // share) may be what the whole amount needs. The wide one's plan is taken if it costs less
    // by the planner's own measure (and, for a replan, in fees too: that is why it looks again).
    if (again.ok && !('ok' in problem) && again.fee_msat > DEAR_FLOW * problem.feeUnit) {
      const unit = problem.feeUnit;
      const widened = prepare(graph, liquidity, req, inflight, exclude, 'wide');
      const other = planIn(widened);
      const better = other.ok && worth(other, req.mu, unit) < worth(again, req.mu, unit);
      if (better && other.fee_msat <= req.maxfee && (fresh || other.fee_msat <= again.fee_msat)) {
        problem = widened;
        again = other;
      }
    }
    if (!result?.ok || (again.ok && again.fee_msat < (result as Plan).fee_msat)) {
      if (!('ok' in problem))
        chosen.set(liquidity, {
          graph,
          version: graph.version,
          key,
          amount: req.amount,
          arcs: problem.arcs,
          cheapestPath: problem.cheapestPath,
          rate: again.ok ? again.fee_msat / req.amount : Infinity,
        });
      result = again;
    }
  }
  if (short(result!)) {
    const wide = planIn(prepare(graph, liquidity, req, inflight, exclude, 'wide'));
    if (wide.ok || wide.reason !== 'NO_PATH') result = wide;
  }
  // Still short after learning (which may have shut the cheap ways), if the ends have room:
  // it may be on dearer paths that the budget allows.
  if (short(result!) && liquidity.size > 0 && endsHaveRoom(graph, liquidity, req)) {
    const budget = planIn(prepare(graph, liquidity, req, inflight, exclude, 'budget'));
    if (budget.ok || budget.reason !== 'NO_PATH') result = budget;
  }
  return result!;
}

/**
 * Whether the directions out of the source and those into the destination could carry the
 * amount by their bounds (else no neighbourhood, however wide, can): a cheap test.
 */
function endsHaveRoom(graph: ChannelGraph, liquidity: Liquidity, req: Limits): boolean {
  const { outStart, outList, inStart, inList } = graph.adjacency();
  let out = 0;
  let into = 0;
  for (let j = outStart[req.source]!; j < outStart[req.source + 1]!; j++)
    out += Math.max(0, liquidity.bounds(graph, outList[j]!, req.now).upper);
  for (let j = inStart[req.target]!; j < inStart[req.target + 1]!; j++)
    into += Math.max(0, liquidity.bounds(graph, inList[j]!, req.now).upper);
  return out >= req.amount && into >= req.amount;
}

/**
 * A plan costing more than this many times the fee unit (the cheapest path's fee for the
 * whole amount, liquidity aside) is compared with one on the wide neighbourhood.
 */
const DEAR_FLOW = 4;

/** What a plan costs by the planner's measure: -log of its probability plus `mu` per `unit` of fees. */
function worth(plan: Plan, mu: number, unit: number): number {
  return -Math.log(plan.probability) + (mu * plan.fee_msat) / unit;
}

/** The neighbourhood last chosen for each liquidity's payments (see {@link planPayment}). */
const chosen = new WeakMap<Liquidity, Reuse & { graph: ChannelGraph; version: number; key: string; amount: number; rate: number }>();
/**
 * A replan dearer per msat than this many times the plan made when its neighbourhood was
 * chosen looks at a new one: what was learned has likely shut its cheap ways.
 */
const REFRESH_FEE = 1.5;

/** Plans on a prepared problem: the fee weight asked for, less when a part is unlikely, more when over budget. */
function planIn(problem: Problem | NoPlan): Plan | NoPlan {
  if ('ok' in problem) return problem;
  const req = problem.req;
  const stats = { nodes: problem.sub.nodes.length, arcs: problem.arcs.length, solves: 0, augmentations: 0 };
  /** The parts of each plan made here, for {@link reshard}. */
  const partsOf = new WeakMap<Plan, Part[]>();
  const attempt = (mu: number): Plan | NoPlan => {
    stats.solves++;
    const flow = splitFlow(problem, mu, stats);
    if ('ok' in flow) return flow;
    let parts: Part[] | undefined = flow.parts;
    // More parts than allowed: halve what is left onto wide paths, giving up small parts for it.
    if (flow.remaining > 0) parts = completeWithShards(problem, mu, flow.parts, flow.remaining);
    if (!parts) return { ok: false, reason: 'MAXPARTS', message: `${req.amount} msat do not fit in ${req.maxparts} parts` };
    const plan = finish(problem, parts, mu, stats);
    partsOf.set(plan, parts);
    return plan;
  };
  /**
   * The plan with its unlikely parts halved like shards (split.ts) while parts are left: a
   * smaller part has a fair chance, and when it fails it teaches a bound twice as tight
   * (where a part of nearly all the room left teaches hardly anything).
   */
  const reshard = (plan: Plan): Plan | undefined => {
    const parts = partsOf.get(plan);
    if (!parts) return undefined;
    const keep = parts.filter((_, i) => plan.routes[i]!.probability >= req.minPartProbability);
    if (keep.length === parts.length || keep.length >= req.maxparts) return undefined;
    const extra = new Float64Array(problem.arcs.length);
    for (const part of keep) part.arcs.forEach((a, i) => (extra[a]! += part.hops[i]!.amount_msat));
    const left = req.amount - keep.reduce((s, part) => s + part.amount, 0);
    stats.solves++;
    const shards = splitShards(problem, plan.mu, left, req.maxparts - keep.length, extra);
    if ('ok' in shards) return undefined;
    const halved = finish(problem, [...keep, ...shards], plan.mu, stats);
    return halved.fee_msat <= HALVING_FEE * plan.fee_msat ? halved : undefined;
  };
  const fits = (p: Plan | NoPlan): p is Plan => p.ok && p.fee_msat <= req.maxfee;
  let plan = attempt(req.mu);
  if (!plan.ok) return plan;
  if (fits(plan)) {
    // A part that will almost surely fail costs a round and, when the others arrive, parts:
    // weigh probability more until every part has a fair chance (or nothing improves).
    // Halving the unlikely parts comes first: it costs little or nothing more in fees.
    const worst = (p: Plan) => Math.min(...p.routes.map((r) => r.probability));
    const consider = (p: Plan | NoPlan | undefined) => {
      if (p && fits(p) && worst(p) > worst(plan as Plan) && p.probability >= JOINT_FLOOR * (plan as Plan).probability) plan = p;
    };
    consider(reshard(plan));
    for (let mu = req.mu / 4, i = 0; i < GUARD_STEPS && worst(plan) < req.minPartProbability; i++, mu /= 4) {
      const p = attempt(mu);
      consider(p);
      if (p.ok && worst(plan) < req.minPartProbability) consider(reshard(p));
    }
    return plan;
  }
  // Over budget: weigh fees more until it fits, then bisect back toward the most probable plan that fits.
  let low = req.mu;
  let high = Math.max(req.mu * 4, 0.25);
  let best: Plan | undefined;
  for (let i = 0; i < 6 && !best; i++) {
    const p = attempt(high);
    if (fits(p)) best = p;
    else {
      if (!p.ok) return p;
      low = high;
      high *= 8;
    }
  }
  if (!best)
    return {
      ok: false,
      reason: 'FEE_BUDGET',
      message: `the cheapest plan found costs ${plan.fee_msat} msat in fees, over the budget of ${req.maxfee} msat`,
    };
  for (let i = 0; i < 3; i++) {
    const mid = Math.sqrt(low * Math.max(high, 1e-9)) || high / 2;
    const p = attempt(mid);
    if (fits(p)) {
      best = p;
      high = mid;
    } else low = mid;
  }
  return best;
}

function finish(p: Problem, parts: Part[], mu: number, stats: Plan['stats']): Plan {
  const total = new Map<number, number>();
  const routes: PlannedRoute[] = parts.map((part) => {
    part.arcs.forEach((a, i) => total.set(a, (total.get(a) ?? 0) + part.hops[i]!.amount_msat));
    const sent = part.hops[0]!.amount_msat;
    return {
      hops: part.hops,
      amount_msat: part.amount,
      fee_msat: sent - part.amount,
      probability: partProbability(p, part),
      delay: part.hops[0]!.delay,
    };
  });
  let probability = 1;
  for (const [a, x] of total) probability *= chance(x, p.lower[a]!, p.upper[a]!);
  return {
    ok: true,
    routes,
    amount_msat: routes.reduce((s, r) => s + r.amount_msat, 0),
    fee_msat: routes.reduce((s, r) => s + r.fee_msat, 0),
    probability,
    mu,
    stats: { ...stats },
  };
}
