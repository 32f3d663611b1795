/**
 * The neighbourhood a plan is solved on. The flow solver is exact but runs one Dijkstra
 * per augmentation and sets up every arc per solve, so it runs on the part of the graph a
 * good flow can use: the directions on the cheapest paths (one Dijkstra each way over the
 * whole graph, weighing each direction by what carrying a share of the payment over it
 * would cost). Directions that cannot fit in the CLTV budget on any path are dropped too.
 */
import type { ChannelGraph } from './graph.ts';

/** The selected neighbourhood: local node `i` is graph node `nodes[i]`, local arc `a` is direction `arcs[a]`. */
export interface Subgraph {
  nodes: Int32Array;
  arcs: Int32Array;
  /** Local ends of each arc. */
  from: Int32Array;
  to: Int32Array;
  source: number;
  target: number;
}

/**
 * Distances from `start` over the rows `start..end` of `list` (directions), following each
 * direction to `next[e]`, weighted by `weight[e]` (Infinity: unusable). `dist` is filled,
 * and `via` (when given) with the direction each node is best reached by (-1: none). With
 * `stop`, the search ends once that node's distance is final (others may be left too high).
 */
export function shortestDistances(
  nodeCount: number,
  rowStart: Int32Array,
  list: Int32Array,
  next: Int32Array,
  weight: Float64Array,
  start: number,
  dist: Float64Array,
  via?: Int32Array,
  stop = -1,
): void {
  dist.fill(Infinity, 0, nodeCount);
  via?.fill(-1, 0, nodeCount);
  const done = new Uint8Array(nodeCount);
  let keys: Float64Array = new Float64Array(1024);
  let vals: Int32Array = new Int32Array(1024);
  let size = 1;
  keys[0] = 0;
  vals[0] = start;
  dist[start] = 0;
  while (size > 0) {
    const d = keys[0]!;
    const u = vals[0]!;
    size--;
    if (size > 0) {
      const k = keys[size]!;
      const v = vals[size]!;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= size) break;
        const c = l + 1 < size && keys[l + 1]! < keys[l]! ? l + 1 : l;
        if (keys[c]! >= k) break;
        keys[i] = keys[c]!;
        vals[i] = vals[c]!;
        i = c;
      }
      keys[i] = k;
      vals[i] = v;
    }
    if (done[u]) continue;
    done[u] = 1;
    if (u === stop) return;
    for (let j = rowStart[u]!, end = rowStart[u + 1]!; j < end; j++) {
      const e = list[j]!;
      const w = weight[e]!;
      if (w === Infinity) continue;
      const v = next[e]!;
      const nd = d + w;
      if (nd < dist[v]!) {
        dist[v] = nd;
        if (via) via[v] = e;
        if (size === keys.length) {
          const k2 = new Float64Array(size * 2);
          k2.set(keys);
          keys = k2;
          const v2 = new Int32Array(size * 2);
          v2.set(vals);
          vals = v2;
        }
        let i = size++;
        while (i > 0) {
          const p = (i - 1) >> 1;
          if (keys[p]! <= nd) break;
          keys[i] = keys[p]!;
          vals[i] = vals[p]!;
          i = p;
        }
        keys[i] = nd;
        vals[i] = v;
      }
    }
  }
}

/**
 * Picks the neighbourhood of `source` → `target` (graph node indexes). First the best path
 * through each usable direction out of the source and into the target, since those ends
 * are where a payment's capacity usually runs out; then, up to `maxArcs`, the directions
 * with the lowest cost of the best path through them (source-distance of their start, plus
 * their weight, plus target-distance of their end, under `weight`): a threshold on that
 * cost keeps whole paths, as every direction on the best path through a kept one costs no
 * more. With `behindSource`, the best paths through the directions out of the source's
 * peers come before those (cheapest first, up to half of `maxArcs`): what the source holds
 * on its own channels is known, so a payment short of room is often short just behind
 * them, on its peers' channels. Undefined when the target cannot be reached at all.
 */
export function selectSubgraph(
  graph: ChannelGraph,
  weight: Float64Array,
  source: number,
  target: number,
  maxArcs: number,
  behindSource = false,
): Subgraph | undefined {
  const { outStart, outList, inStart, inList } = graph.adjacency();
  const n = graph.nodeCount;
  const ds = new Float64Array(n);
  const dt = new Float64Array(n);
  const viaS = new Int32Array(n);
  const viaT = new Int32Array(n);
  shortestDistances(n, outStart, outList, graph.to, weight, source, ds, viaS);
  if (ds[target] === Infinity) return undefined;
  shortestDistances(n, inStart, inList, graph.from, weight, target, dt, viaT);
  const picked = new Uint8Array(graph.size);
  const chosen: number[] = [];
  const pick = (e: number): void => {
    if (!picked[e]) {
      picked[e] = 1;
      chosen.push(e);
    }
  };
  const through = (e: number): void => {
    if (ds[graph.from[e]!]! + weight[e]! + dt[graph.to[e]!]! === Infinity) return;
    pick(e);
    for (let v = graph.from[e]!, guard = 0; v !== source && guard < n; v = graph.from[viaS[v]!]!, guard++) pick(viaS[v]!);
    for (let v = graph.to[e]!, guard = 0; v !== target && guard < n; v = graph.to[viaT[v]!]!, guard++) pick(viaT[v]!);
  };
  for (let j = outStart[source]!; j < outStart[source + 1]!; j++) if (graph.to[outList[j]!] !== source) through(outList[j]!);
  for (let j = inStart[target]!; j < inStart[target + 1]!; j++) if (graph.from[inList[j]!] !== target) through(inList[j]!);
  if (behindSource) {
    // The directions out of the source's peers, cheapest first, while they take at most half the room.
    const next: number[] = [];
    for (let j = outStart[source]!; j < outStart[source + 1]!; j++) {
      const u = graph.to[outList[j]!]!;
      if (u === target) continue;
      for (let k = outStart[u]!; k < outStart[u + 1]!; k++) if (graph.to[outList[k]!] !== source) next.push(outList[k]!);
    }
    const cost = new Map(next.map((e) => [e, ds[graph.from[e]!]! + weight[e]! + dt[graph.to[e]!]!]));
    next.sort((x, y) => cost.get(x)! - cost.get(y)! || 0);
    for (const e of next) {
      if (chosen.length >= maxArcs / 2) break;
      through(e);
    }
  }
  const candidates = new Int32Array(outList.length);
  const scores = new Float64Array(outList.length);
  let count = 0;
  for (let j = 0; j < outList.length; j++) {
    const e = outList[j]!;
    const u = graph.from[e]!;
    const v = graph.to[e]!;
    if (v === source || u === target || picked[e]) continue;
    const score = ds[u]! + weight[e]! + dt[v]!;
    if (score === Infinity) continue;
    candidates[count] = e;
    scores[count++] = score;
  }
  const room = maxArcs - chosen.length;
  if (count <= room) for (let i = 0; i < count; i++) chosen.push(candidates[i]!);
  else if (room > 0) {
    const threshold = nthSmallest(scores.slice(0, count), room - 1);
    for (let i = 0; i < count; i++) if (scores[i]! <= threshold) chosen.push(candidates[i]!);
  }
  return subgraphOf(graph, Int32Array.from(chosen), source, target);
}

/** The subgraph of directions `arcs` of `graph` (local node 0 is `source`, 1 `target`). */
export function subgraphOf(graph: ChannelGraph, arcs: Int32Array, source: number, target: number): Subgraph {
  const local = new Int32Array(graph.nodeCount).fill(-1);
  const nodes: number[] = [];
  const add = (v: number): number => {
    if (local[v]! < 0) {
      local[v] = nodes.length;
      nodes.push(v);
    }
    return local[v]!;
  };
  add(source);
  add(target);
  const from = new Int32Array(arcs.length);
  const to = new Int32Array(arcs.length);
  arcs.forEach((e, a) => {
    from[a] = add(graph.from[e]!);
    to[a] = add(graph.to[e]!);
  });
  return { nodes: Int32Array.from(nodes), arcs, from, to, source: 0, target: 1 };
}

/** The `k`-th smallest of `values` (from 0), by quickselect; `values` is reordered. */
export function nthSmallest(values: Float64Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i++] = values[j]!;
        values[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k]!;
  }
  return values[k]!;
}

/**
 * Drops the arcs of `sub` that no path can use within `budget` blocks: arc `a` stays when
 * the least CLTV from the source to its start, plus its own, plus the least from its end
 * to the target fits. `delay[a]` is what the arc adds (0 for the source's own channels).
 * Returns the kept arcs' positions in `sub.arcs`.
 */
export function fitDelay(sub: Subgraph, delay: Float64Array, budget: number): number[] {
  const n = sub.nodes.length;
  const m = sub.arcs.length;
  const outStart = new Int32Array(n + 1);
  const inStart = new Int32Array(n + 1);
  for (let a = 0; a < m; a++) {
    outStart[sub.from[a]! + 1]!++;
    inStart[sub.to[a]! + 1]!++;
  }
  for (let v = 0; v < n; v++) {
    outStart[v + 1]! += outStart[v]!;
    inStart[v + 1]! += inStart[v]!;
  }
  const outList = new Int32Array(m);
  const inList = new Int32Array(m);
  const o = outStart.slice(0, n);
  const i = inStart.slice(0, n);
  for (let a = 0; a < m; a++) {
    outList[o[sub.from[a]!]!++] = a;
    inList[i[sub.to[a]!]!++] = a;
  }
  const ds = new Float64Array(n);
  const dt = new Float64Array(n);
  shortestDistances(n, outStart, outList, sub.to, delay, sub.source, ds);
  shortestDistances(n, inStart, inList, sub.from, delay, sub.target, dt);
  const kept: number[] = [];
  for (let a = 0; a < m; a++) if (ds[sub.from[a]!]! + delay[a]! + dt[sub.to[a]!]! <= budget) kept.push(a);
  return kept;
}
