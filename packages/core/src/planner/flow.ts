/**
 * Min-cost flow with convex, piecewise-linear arc costs: each arc is a few segments of
 * growing unit cost (Pickhardt and Richter linearise -log(success probability) plus fees
 * this way), solved by successive shortest paths with Johnson potentials: Dijkstra on
 * reduced costs over the residual graph, where an arc's forward residual is what is left
 * of its first unfilled segment and its backward residual the last filled one. Dijkstra
 * stops at the target; nodes not settled get the target's distance as their potential
 * step, which keeps reduced costs non-negative. Flows are whole numbers (msat).
 */

/** A flow network: `n` nodes, `m` arcs of `K` segments each, with rows of arcs out of and into each node. */
export interface FlowNetwork {
  readonly n: number;
  readonly m: number;
  readonly K: number;
  readonly from: Int32Array;
  readonly to: Int32Array;
  /** Arc-major, `K` per arc: cumulative segment ends (whole numbers, non-decreasing). */
  readonly segEnd: Float64Array;
  /** Arc-major, `K` per arc: unit cost of each segment (non-decreasing: convex). */
  readonly segCost: Float64Array;
  readonly outStart: Int32Array;
  readonly outArc: Int32Array;
  readonly inStart: Int32Array;
  readonly inArc: Int32Array;
}

/** What {@link minCostFlow} found. */
export interface FlowResult {
  /** Flow on each arc. */
  flow: Float64Array;
  /** What reaches the target (less than the demand when the network cannot carry it). */
  value: number;
  /** Total cost of the flow. */
  cost: number;
  /** Shortest-path searches made. */
  augmentations: number;
}

/** Builds a network of `n` nodes over arcs `from[i] → to[i]` (`m` = their count), with `K` segments per arc (zeroed). */
export function createFlowNetwork(n: number, from: Int32Array, to: Int32Array, K: number): FlowNetwork {
  const m = from.length;
  const outStart = new Int32Array(n + 1);
  const inStart = new Int32Array(n + 1);
  for (let a = 0; a < m; a++) {
    outStart[from[a]! + 1]!++;
    inStart[to[a]! + 1]!++;
  }
  for (let v = 0; v < n; v++) {
    outStart[v + 1]! += outStart[v]!;
    inStart[v + 1]! += inStart[v]!;
  }
  const outArc = new Int32Array(m);
  const inArc = new Int32Array(m);
  const o = outStart.slice(0, n);
  const i = inStart.slice(0, n);
  for (let a = 0; a < m; a++) {
    outArc[o[from[a]!]!++] = a;
    inArc[i[to[a]!]!++] = a;
  }
  return { n, m, K, from, to, segEnd: new Float64Array(m * K), segCost: new Float64Array(m * K), outStart, outArc, inStart, inArc };
}

/**
 * Sends up to `demand` from `source` to `target` at least cost. The result's `value` is
 * below `demand` only when no more can get through.
 */
export function minCostFlow(net: FlowNetwork, source: number, target: number, demand: number, maxAugmentations = 100_000): FlowResult {
  const { n, K, from, to, segEnd, segCost, outStart, outArc, inStart, inArc } = net;
  const flow = new Float64Array(net.m);
  const pi = new Float64Array(n);
  const dist = new Float64Array(n);
  const prev = new Int32Array(n);
  const done = new Uint8Array(n);
  let heapKey: Float64Array = new Float64Array(1024);
  let heapVal: Int32Array = new Int32Array(1024);
  let size = 0;
  /** Dijkstra's relaxation: v is now nd away, reached over residual arc `via`; push it on the heap. */
  const relax = (v: number, nd: number, via: number): void => {
    dist[v] = nd;
    prev[v] = via;
    if (size === heapKey.length) {
      heapKey = growF(heapKey);
      heapVal = growI(heapVal);
    }
    let i = size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heapKey[p]! <= nd) break;
      heapKey[i] = heapKey[p]!;
      heapVal[i] = heapVal[p]!;
      i = p;
    }
    heapKey[i] = nd;
    heapVal[i] = v;
  };
  let value = 0;
  let cost = 0;
  let augmentations = 0;
  if (source === target || demand <= 0) return { flow, value, cost, augmentations };

  while (value < demand && augmentations < maxAugmentations) {
    augmentations++;
    dist.fill(Infinity);
    done.fill(0);
    dist[source] = 0;
    // push(source, 0)
    heapKey[0] = 0;
    heapVal[0] = source;
    size = 1;
    let reached = false;
    while (size > 0) {
      const d: number = heapKey[0]!;
      const u: number = heapVal[0]!;
      // pop
      size--;
      if (size > 0) {
        const k = heapKey[size]!;
        const v = heapVal[size]!;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          if (l >= size) break;
          const r = l + 1;
          const c = r < size && heapKey[r]! < heapKey[l]! ? r : l;
          if (heapKey[c]! >= k) break;
          heapKey[i] = heapKey[c]!;
          heapVal[i] = heapVal[c]!;
          i = c;
        }
        heapKey[i] = k;
        heapVal[i] = v;
      }
      if (done[u] || d > dist[u]!) continue;
      done[u] = 1;
      if (u === target) {
        reached = true;
        break;
      }
      const pu = pi[u]! + d;
      // Forward residuals: the first unfilled segment of each arc out of u.
      for (let j: number = outStart[u]!, end: number = outStart[u + 1]!; j < end; j++) {
        const a: number = outArc[j]!;
        const v: number = to[a]!;
        if (done[v]) continue;
        const f = flow[a]!;
        const base = a * K;
        let k = 0;
        while (k < K && segEnd[base + k]! <= f) k++;
        if (k === K) continue;
        let nd = pu + segCost[base + k]! - pi[v]!;
        if (nd < d) nd = d;
        if (nd < dist[v]!) relax(v, nd, a * 2);
      }
      // Backward residuals: undo the last filled segment of each arc into u that carries flow.
      for (let j: number = inStart[u]!, end: number = inStart[u + 1]!; j < end; j++) {
        const a: number = inArc[j]!;
        const f = flow[a]!;
        if (f <= 0) continue;
        const v = from[a]!;
        if (done[v]) continue;
        const base = a * K;
        let k = 0;
        while (k < K - 1 && segEnd[base + k]! < f) k++;
        let nd = pu - segCost[base + k]! - pi[v]!;
        if (nd < d) nd = d;
        if (nd < dist[v]!) relax(v, nd, a * 2 + 1);
      }
    }
    if (!reached) break;
    const dt = dist[target]!;
    for (let v = 0; v < n; v++) {
      const dv = dist[v]!;
      pi[v]! += dv < dt ? dv : dt;
    }
    // The bottleneck along the path, then push it.
    let push = demand - value;
    for (let v = target; v !== source;) {
      const code = prev[v]!;
      const a = code >> 1;
      const f = flow[a]!;
      const base = a * K;
      let room: number;
      if (code & 1) {
        let k = 0;
        while (k < K - 1 && segEnd[base + k]! < f) k++;
        room = f - (k > 0 ? segEnd[base + k - 1]! : 0);
        v = to[a]!;
      } else {
        let k = 0;
        while (segEnd[base + k]! <= f) k++;
        room = segEnd[base + k]! - f;
        v = from[a]!;
      }
      if (room < push) push = room;
    }
    if (!(push > 0)) break;
    for (let v = target; v !== source;) {
      const code = prev[v]!;
      const a = code >> 1;
      const f = flow[a]!;
      const base = a * K;
      if (code & 1) {
        let k = 0;
        while (k < K - 1 && segEnd[base + k]! < f) k++;
        cost -= push * segCost[base + k]!;
        flow[a] = f - push;
        v = to[a]!;
      } else {
        let k = 0;
        while (segEnd[base + k]! <= f) k++;
        cost += push * segCost[base + k]!;
        flow[a] = f + push;
        v = from[a]!;
      }
    }
    value += push;
  }
  return { flow, value, cost, augmentations };
}

function growF(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}
function growI(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** One path of a decomposed flow: its arcs from source to target and the amount on it. */
export interface FlowPath {
  arcs: number[];
  amount: number;
}

/**
 * Splits a flow into source-to-target paths, widest first: from the source, always follow
 * the arc carrying the most. Cycles met on the way (zero-cost loops) are cancelled. `flow`
 * is consumed (left at zero).
 */
export function decomposeFlow(net: FlowNetwork, flow: Float64Array, source: number, target: number): FlowPath[] {
  const { n, to, outStart, outArc } = net;
  const onWalk = new Int32Array(n).fill(-1);
  const paths: FlowPath[] = [];
  for (let guard = 0; guard < net.m + 1; guard++) {
    const arcs: number[] = [];
    let v = source;
    onWalk[source] = 0;
    let cycle = false;
    while (v !== target) {
      let best = -1;
      let bestFlow = 0;
      for (let j = outStart[v]!, end = outStart[v + 1]!; j < end; j++) {
        const a = outArc[j]!;
        if (flow[a]! > bestFlow) {
          bestFlow = flow[a]!;
          best = a;
        }
      }
      if (best < 0) break;
      arcs.push(best);
      v = to[best]!;
      if (onWalk[v]! >= 0) {
        // A loop: cancel it and walk again.
        const loop = arcs.slice(onWalk[v]!);
        let least = Infinity;
        for (const a of loop) least = Math.min(least, flow[a]!);
        for (const a of loop) flow[a]! -= least;
        cycle = true;
        break;
      }
      onWalk[v] = arcs.length;
    }
    // Clear the walk's marks.
    onWalk[source] = -1;
    for (const a of arcs) onWalk[to[a]!] = -1;
    if (cycle) continue;
    if (v !== target || arcs.length === 0) break;
    let amount = Infinity;
    for (const a of arcs) amount = Math.min(amount, flow[a]!);
    for (const a of arcs) flow[a]! -= amount;
    paths.push({ arcs, amount });
  }
  return paths;
}
