/**
 * From a problem to parts. {@link splitFlow} solves the min-cost flow and decomposes it
 * into paths (widest first), folds parts too small or beyond `maxparts` into the others,
 * trims parts that break an htlc maximum or a known bound once fees are on, and plans
 * what is left again (a few rounds). When the flow needs more parts than allowed,
 * {@link splitShards} plans like halving: the whole amount on the cheapest single path
 * under the same convex costs, split in two whenever no path can carry a shard (or only an
 * unlikely one), while parts are left.
 */
import { decomposeFlow, minCostFlow } from './flow.ts';
import { shortestDistances } from './subgraph.ts';
import { K, fit, partProbability, segments, type Failure, type Part, type Problem } from './problem.ts';

/** Parts below this share of the amount are folded into others. */
const TINY = 0.01;
/** Rounds of solving what could not be placed. */
const ROUNDS = 4;
/** The smallest shard halving makes, msat. */
const MIN_SHARD = 1000;
/** Parts of a flow given up, one by one, to make room for shards, before shards alone. */
const DROPS = 4;

/** Work counters. */
export interface Work {
  augmentations: number;
}

/** Parts for `p.req.amount` by min-cost flow, or why not. */
export function splitFlow(p: Problem, mu: number, work: Work): { parts: Part[]; remaining: number } | Failure {
  const { graph, net, req, sub, arcs } = p;
  const m = arcs.length;
  const extra = new Float64Array(m);
  const banned = new Uint8Array(m);
  /** Arcs banned only because what came their way was below a direction's htlc minimum. */
  const tooSmall = new Uint8Array(m);
  const parts: Part[] = [];
  let remaining = req.amount;
  let partsLeft = req.maxparts;
  let delayed = false;
  for (let round = 0; round < ROUNDS && remaining > 0 && partsLeft > 0; round++) {
    segments(p, mu, extra, banned, remaining);
    const result = minCostFlow(net, sub.source, sub.target, remaining);
    work.augmentations += result.augmentations;
    if (result.value < remaining && round === 0) {
      return { ok: false, reason: 'CAPACITY', message: `the known bounds leave room for ${result.value} of ${remaining} msat` };
    }
    const paths = decomposeFlow(net, result.flow, sub.source, sub.target)
      .flatMap((path) => {
        // A path carrying more than one of its directions lets through in one HTLC goes as several parts.
        let narrow = path.arcs[0]!;
        for (const a of path.arcs) if (graph.htlcMax[arcs[a]!]! < graph.htlcMax[arcs[narrow]!]!) narrow = a;
        const most = Math.floor(graph.htlcMax[arcs[narrow]!]! / (1 + p.margin));
        if (path.amount <= most || most <= 0) return [{ ...path, narrow: -1 }];
        const count = Math.ceil(path.amount / most);
        const each = Math.floor(path.amount / count);
        return Array.from({ length: count }, (_, i) => ({
          arcs: path.arcs,
          amount: i === 0 ? path.amount - each * (count - 1) : each,
          narrow,
        }));
      })
      .sort((x, y) => y.amount - x.amount);
    // Keep what can be a part; fold the rest into the kept parts where they have room.
    const kept: Part[] = [];
    let short = remaining - result.value;
    const load = new Float64Array(m);
    const small = req.amount * TINY;
    for (const path of paths) {
      let minimum = 0;
      let strict = path.arcs[0]!;
      for (const a of path.arcs) {
        if (graph.htlcMin[arcs[a]!]! > minimum) {
          minimum = graph.htlcMin[arcs[a]!]!;
          strict = a;
        }
      }
      if (path.amount < minimum) {
        // Too small for a direction's htlc minimum (or cut too small by another's maximum): not that way next round.
        const a = path.narrow >= 0 ? path.narrow : strict;
        if (!banned[a]) tooSmall[a] = 1;
        banned[a] = 1;
        short += path.amount;
        continue;
      }
      if (kept.length >= partsLeft || (path.amount < small && kept.length > 0)) {
        short += path.amount;
        continue;
      }
      kept.push({ arcs: path.arcs, path: path.arcs.map((a) => arcs[a]!), hops: [], amount: path.amount });
      for (const a of path.arcs) load[a]! += path.amount;
    }
    for (const part of kept) {
      if (short <= 0) break;
      let room = short;
      for (const a of part.arcs)
        room = Math.min(room, net.segEnd[a * K + K - 1]! - load[a]!, Math.floor(graph.htlcMax[arcs[a]!]! / (1 + p.margin)) - part.amount);
      if (room <= 0) continue;
      part.amount += room;
      short -= room;
      for (const a of part.arcs) load[a]! += room;
    }
    // Exact hops; trim parts that break a limit once fees are on.
    for (const part of kept) {
      let over = fit(p, part, extra);
      for (let tries = 0; tries < 6 && over > 0 && over < Infinity && part.amount > 0; tries++) {
        const cut = Math.min(part.amount, Math.ceil(over * 1.001) + 1);
        part.amount -= cut;
        short += cut;
        over = part.amount > 0 ? fit(p, part, extra) : Infinity;
      }
      if (over !== 0) {
        if (part.hops.length > 0 && part.hops[0]!.delay > req.maxdelay) {
          delayed = true;
          // Ban the arc adding the most delay, so the next round finds another way.
          let worst = part.arcs[0]!;
          for (const a of part.arcs) if (p.charged[a] && graph.cltv[arcs[a]!]! > graph.cltv[arcs[worst]!]!) worst = a;
          banned[worst] = 1;
        }
        short += part.amount;
        continue;
      }
      parts.push(part);
      partsLeft--;
      part.arcs.forEach((a, i) => (extra[a]! += part.hops[i]!.amount_msat));
    }
    remaining = short;
  }
  if (remaining > 0 && partsLeft > 0 && placeCrumb(p, mu, parts, remaining, extra, banned, tooSmall)) remaining = 0;
  if (remaining > 0 && partsLeft > 0) {
    const reason = delayed ? 'MAXDELAY' : 'CAPACITY';
    return { ok: false, reason, message: `${remaining} of ${req.amount} msat could not be planned (${reason.toLowerCase()})` };
  }
  return { parts, remaining };
}

/**
 * Places `crumb` msat left over by the rounds (too little for any way's htlc minimum: the
 * other ways are full) as one more part, lifted to its path's minimum with what it takes
 * from the largest part that can spare it. Adds the part to `parts` (and its hops to
 * `extra`); false when no path or no part can.
 */
function placeCrumb(
  p: Problem,
  mu: number,
  parts: Part[],
  crumb: number,
  extra: Float64Array,
  banned: Uint8Array,
  tooSmall: Uint8Array,
): boolean {
  const { graph, net, sub, arcs } = p;
  if (parts.length === 0) return false;
  const donors = [...parts].sort((x, y) => y.amount - x.amount);
  // What a part can spare at most: the most a way's htlc minimum may ask (and no more than half of it).
  const spare = Math.floor(donors[0]!.amount / 2);
  const allowed = banned.map((b, a) => (b && !tooSmall[a] ? 1 : 0));
  // The cheapest path for the crumb among directions whose minimum a lift can meet.
  segments(p, mu, extra, allowed, crumb + spare);
  const result = minCostFlow(net, sub.source, sub.target, crumb);
  if (result.value < crumb) return false;
  const path = decomposeFlow(net, result.flow, sub.source, sub.target).sort((x, y) => y.amount - x.amount)[0];
  if (!path) return false;
  let minimum = 0;
  for (const a of path.arcs) minimum = Math.max(minimum, graph.htlcMin[arcs[a]!]!);
  const lift = Math.max(crumb, minimum) - crumb;
  for (const donor of donors) {
    if (donor.amount - lift < 1) continue;
    // The donor, smaller (so no limit of its own can break but its minimum), then the lifted crumb.
    const before = donor.hops;
    donor.arcs.forEach((a, i) => (extra[a]! -= before[i]!.amount_msat));
    donor.amount -= lift;
    const part: Part = { arcs: path.arcs, path: path.arcs.map((a) => arcs[a]!), hops: [], amount: crumb + lift };
    if (fit(p, donor, extra) === 0) {
      donor.arcs.forEach((a, i) => (extra[a]! += donor.hops[i]!.amount_msat));
      if (fit(p, part, extra) === 0) {
        part.arcs.forEach((a, i) => (extra[a]! += part.hops[i]!.amount_msat));
        parts.push(part);
        return true;
      }
      donor.arcs.forEach((a, i) => (extra[a]! -= donor.hops[i]!.amount_msat));
    }
    donor.amount += lift;
    donor.hops = before;
    donor.arcs.forEach((a, i) => (extra[a]! += before[i]!.amount_msat));
  }
  return false;
}

/**
 * Completes a flow's parts that ran out of `maxparts` with `remaining` unplaced: the
 * smallest parts are given up one by one and their amount halved onto wide paths together
 * with the rest, until it fits. Undefined when nothing does.
 */
export function completeWithShards(p: Problem, mu: number, parts: Part[], remaining: number): Part[] | undefined {
  const sorted = [...parts].sort((x, y) => y.amount - x.amount);
  for (let drop = 0; drop <= sorted.length; drop++) {
    const kept = sorted.slice(0, sorted.length - drop);
    const extra = new Float64Array(p.arcs.length);
    for (const part of kept) part.arcs.forEach((a, i) => (extra[a]! += part.hops[i]!.amount_msat));
    const left = remaining + sorted.slice(sorted.length - drop).reduce((s, x) => s + x.amount, 0);
    const shards = splitShards(p, mu, left, p.req.maxparts - kept.length, extra);
    if (!('ok' in shards)) return [...kept, ...shards];
    if (drop >= DROPS && drop < sorted.length) drop = sorted.length - 1; // last resort: shards only
  }
  return undefined;
}

/** Parts for `amount` in at most `maxparts` by halving (see the module comment), with `extra` already held, or why not. */
export function splitShards(p: Problem, mu: number, amount: number, maxparts: number, extra: Float64Array): Part[] | Failure {
  const { net, req, sub, arcs } = p;
  const m = arcs.length;
  const n = sub.nodes.length;
  const banned = new Uint8Array(m);
  const weight = new Float64Array(m);
  const dist = new Float64Array(n);
  const via = new Int32Array(n);
  const parts: Part[] = [];
  if (maxparts < 1) return { ok: false, reason: 'MAXPARTS', message: `no parts left for ${amount} msat` };
  const queue = [amount];
  while (queue.length > 0) {
    const x = queue.shift()!;
    segments(p, mu, extra, banned, x);
    // Each arc's cost of carrying all of x (its convex cost from 0 to x), or Infinity.
    for (let a = 0; a < m; a++) {
      let left = x;
      let cost = 0;
      let start = 0;
      for (let k = 0; k < K && left > 0; k++) {
        const end = net.segEnd[a * K + k]!;
        const take = Math.min(left, end - start);
        if (take > 0) {
          cost += take * net.segCost[a * K + k]!;
          left -= take;
        }
        start = Math.max(start, end);
      }
      weight[a] = left > 0 || x * (1 + p.margin) > p.graph.htlcMax[arcs[a]!]! ? Infinity : cost;
    }
    shortestDistances(n, net.outStart, net.outArc, net.to, weight, sub.source, dist, via);
    let part: Part | undefined;
    if (dist[sub.target]! < Infinity) {
      const local: number[] = [];
      for (let v = sub.target; v !== sub.source && local.length <= n; v = net.from[via[v]!]!) local.push(via[v]!);
      local.reverse();
      part = { arcs: local, path: local.map((a) => arcs[a]!), hops: [], amount: x };
      if (fit(p, part, extra) !== 0) part = undefined;
    }
    const canSplit = parts.length + queue.length + 2 <= maxparts && x >= 2 * MIN_SHARD;
    if (part && (!canSplit || partProbability(p, part, extra) >= req.minPartProbability)) {
      parts.push(part);
      part.arcs.forEach((a, i) => (extra[a]! += part!.hops[i]!.amount_msat));
      continue;
    }
    if (!canSplit)
      return {
        ok: false,
        reason: 'MAXPARTS',
        message: `${x + queue.reduce((s, y) => s + y, 0)} of ${req.amount} msat could not be planned in ${req.maxparts} parts`,
      };
    const half = Math.floor(x / 2);
    queue.unshift(x - half, half);
  }
  return parts;
}
