/**
 * The flow solver and the planner on small graphs whose optimum is known: linear and convex
 * min-cost flows, optimality on random graphs (no negative cycle left in the residual
 * graph), decomposition, and plans that split, trade fees for probability, and keep to a
 * fee budget.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ChannelGraph,
  Liquidity,
  createFlowNetwork,
  decomposeFlow,
  minCostFlow,
  planPayment,
  type FlowNetwork,
  type Plan,
} from '../../packages/core/src/planner/index.ts';
import { channel, id } from './planner-fixtures.ts';

/** A network over `arcs` ([from, to, ...[segment end, unit cost] pairs]). */
function network(n: number, arcs: number[][], K: number): FlowNetwork {
  const net = createFlowNetwork(
    n,
    Int32Array.from(arcs, (a) => a[0]!),
    Int32Array.from(arcs, (a) => a[1]!),
    K,
  );
  arcs.forEach((a, i) => {
    for (let k = 0; k < K; k++) {
      net.segEnd[i * K + k] = a[2 + 2 * k]!;
      net.segCost[i * K + k] = a[3 + 2 * k]!;
    }
  });
  return net;
}

function ok(plan: ReturnType<typeof planPayment>): Plan {
  assert.ok(plan.ok, plan.ok ? '' : `${plan.reason}: ${plan.message}`);
  return plan;
}

describe('minCostFlow', () => {
  test('linear costs: the cheap path fills first, the rest takes the dear one', () => {
    // 0 → 1 → 3 costs 2 per unit for 10 units; 0 → 2 → 3 costs 4 per unit.
    const net = network(
      4,
      [
        [0, 1, 10, 1],
        [1, 3, 10, 1],
        [0, 2, 10, 2],
        [2, 3, 10, 2],
      ],
      1,
    );
    const r = minCostFlow(net, 0, 3, 15);
    assert.equal(r.value, 15);
    assert.equal(r.cost, 10 * 2 + 5 * 4);
    assert.deepEqual([...r.flow], [10, 10, 5, 5]);
  });

  test('convex segments: each arc fills its cheap segments before the dear ones', () => {
    // Two parallel arcs, segments [5 at 1, then to 10 at 3] and [5 at 2, then to 10 at 4].
    const net = network(
      2,
      [
        [0, 1, 5, 1, 10, 3],
        [0, 1, 5, 2, 10, 4],
      ],
      2,
    );
    const r = minCostFlow(net, 0, 1, 12);
    // Order of unit costs: 1 (5 units), 2 (5 units), 3 (2 units): 5 + 10 + 6 = 21.
    assert.equal(r.cost, 21);
    assert.deepEqual([...r.flow], [7, 5]);
  });

  test('a cheaper flow found by undoing an earlier augmentation (the residual arc is used)', () => {
    // The classic trap: 0→1→2→3 looks best for one unit, but two units need 0→1→3 and 0→2→3.
    const net = network(
      4,
      [
        [0, 1, 1, 1],
        [1, 2, 1, 0],
        [2, 3, 1, 1],
        [1, 3, 1, 3],
        [0, 2, 1, 3],
      ],
      1,
    );
    const r = minCostFlow(net, 0, 3, 2);
    assert.equal(r.value, 2);
    assert.equal(r.cost, 8);
    assert.equal(r.flow[1], 0, 'the middle arc is undone');
  });

  test('too little room: the value is the max flow', () => {
    const net = network(
      3,
      [
        [0, 1, 4, 1],
        [1, 2, 3, 1],
      ],
      1,
    );
    const r = minCostFlow(net, 0, 2, 10);
    assert.equal(r.value, 3);
  });

  test('optimal on random graphs: no negative cycle is left in the residual graph', () => {
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let trial = 0; trial < 400; trial++) {
      const K = 1 + (trial % 3);
      const n = 4 + Math.floor(random() * 6);
      const arcs: number[][] = [];
      for (let a = 0; a < n * 3; a++) {
        const from = Math.floor(random() * n);
        let to = from;
        while (to === from) to = Math.floor(random() * n);
        const arc = [from, to];
        let end = 0;
        let cost = Math.floor(random() * 5);
        for (let k = 0; k < K; k++) {
          end += Math.floor(random() * 10);
          cost += Math.floor(random() * 4);
          arc.push(end, cost);
        }
        arcs.push(arc);
      }
      const net = network(n, arcs, K);
      const r = minCostFlow(net, 0, 1, 1 + Math.floor(random() * 30));
      const residual: [number, number, number][] = [];
      arcs.forEach((arc, a) => {
        const f = r.flow[a]!;
        let k = 0;
        while (k < K && net.segEnd[a * K + k]! <= f) k++;
        if (k < K) residual.push([arc[0]!, arc[1]!, net.segCost[a * K + k]!]);
        if (f > 0) {
          let j = 0;
          while (j < K - 1 && net.segEnd[a * K + j]! < f) j++;
          residual.push([arc[1]!, arc[0]!, -net.segCost[a * K + j]!]);
        }
        assert.ok(f >= 0 && f <= net.segEnd[a * K + K - 1]!, 'flow within the arc');
      });
      const d = new Float64Array(n);
      let changed = true;
      for (let i = 0; i <= n && changed; i++) {
        changed = false;
        for (const [u, v, c] of residual) {
          if (d[u]! + c < d[v]! - 1e-9) {
            d[v] = d[u]! + c;
            changed = true;
          }
        }
      }
      assert.equal(changed, false, `trial ${trial}: a negative cycle remains, so the flow is not of least cost`);
    }
  });
});

describe('decomposeFlow', () => {
  test('paths widest first, summing to the flow; a zero-cost loop is cancelled', () => {
    // 0→1→3 (5), 0→2→3 (2), and a loop 1→2→1 carrying 1.
    const net = network(
      4,
      [
        [0, 1, 9, 0],
        [1, 3, 9, 0],
        [0, 2, 9, 0],
        [2, 3, 9, 0],
        [1, 2, 9, 0],
        [2, 1, 9, 0],
      ],
      1,
    );
    const flow = Float64Array.from([5, 5, 2, 2, 1, 1]);
    const paths = decomposeFlow(net, flow, 0, 3);
    assert.deepEqual(
      paths.map((p) => [p.arcs, p.amount]),
      [
        [[0, 1], 5],
        [[2, 3], 2],
      ],
    );
  });
});

describe('planPayment on small graphs', () => {
  // s has exact (own) channels to a and b; a → t can carry 2,000,000 msat, b → t 1,000,000.
  function diamond(): ChannelGraph {
    const graph = ChannelGraph.fromListChannels([...channel('a', 't', 2_000_000, {}, {}), ...channel('b', 't', 1_000_000, {}, {})]);
    graph.setOwnChannel(id('s'), { peer_id: id('a'), short_channel_id: '1x1x1', spendable_msat: 10_000_000 });
    graph.setOwnChannel(id('s'), { peer_id: id('b'), short_channel_id: '1x2x1', spendable_msat: 10_000_000 });
    return graph;
  }

  test('a diamond whose best split is 2:1 (equal head-room left on both uncertain channels)', () => {
    const plan = ok(
      planPayment(diamond(), new Liquidity(), { source: id('s'), destination: id('t'), amount_msat: 1_500_000, maxfee_msat: 0, now: 0 }),
    );
    const byPeer = new Map(plan.routes.map((r) => [r.hops[0]!.id, r.amount_msat]));
    assert.equal(byPeer.get(id('a')), 1_000_000);
    assert.equal(byPeer.get(id('b')), 500_000);
    // Both halves of each uncertain channel: (2,000,001 - 1,000,000) / 2,000,001 and (1,000,001 - 500,000) / 1,000,001.
    const expected = ((2_000_001 - 1_000_000) / 2_000_001) * ((1_000_001 - 500_000) / 1_000_001);
    assert.ok(Math.abs(plan.probability - expected) < 1e-9, `${plan.probability} vs ${expected}`);
  });

  test('a small amount takes one part, over the wider channel', () => {
    const plan = ok(
      planPayment(diamond(), new Liquidity(), { source: id('s'), destination: id('t'), amount_msat: 100_000, maxfee_msat: 0, now: 0 }),
    );
    assert.equal(plan.routes.length, 1);
    assert.equal(plan.routes[0]!.hops[0]!.id, id('a'));
  });

  // Two ways from s to t: via c, free but over a small channel (unlikely for the amount);
  // via d, 1,000 ppm over a big one.
  function cheapOrLikely(): ChannelGraph {
    return ChannelGraph.fromListChannels([
      ...channel('s', 'c', 100_000_000, {}, {}),
      ...channel('c', 't', 1_200_000, { ppm: 0 }, {}),
      ...channel('s', 'd', 100_000_000, {}, {}),
      ...channel('d', 't', 100_000_000, { ppm: 1000 }, {}),
    ]);
  }
  const ask = { source: id('s'), destination: id('t'), amount_msat: 1_000_000, maxfee_msat: 10_000, maxparts: 1, now: 0 };

  test('the cheapest path is the less probable one: a low fee weight takes the likely path', () => {
    const plan = ok(planPayment(cheapOrLikely(), new Liquidity(), { ...ask, mu: 0.01 }));
    assert.equal(plan.routes[0]!.hops[0]!.id, id('d'));
    assert.equal(plan.fee_msat, 1000);
  });

  test('… and a high fee weight the free one', () => {
    const plan = ok(planPayment(cheapOrLikely(), new Liquidity(), { ...ask, mu: 100, min_part_probability: 0 }));
    assert.equal(plan.routes[0]!.hops[0]!.id, id('c'));
    assert.equal(plan.fee_msat, 0);
  });

  test('a fee budget below the likely path forces the cheap one, whatever the weight', () => {
    const plan = ok(planPayment(cheapOrLikely(), new Liquidity(), { ...ask, mu: 0.01, maxfee_msat: 999 }));
    assert.equal(plan.routes[0]!.hops[0]!.id, id('c'));
    assert.ok(plan.fee_msat <= 999);
  });

  test('no plan fits the budget: FEE_BUDGET', () => {
    const graph = ChannelGraph.fromListChannels([
      ...channel('s', 'd', 100_000_000, {}, {}),
      ...channel('d', 't', 100_000_000, { base: 5000 }, {}),
    ]);
    const plan = planPayment(graph, new Liquidity(), { ...ask, maxfee_msat: 4999 });
    assert.equal(plan.ok, false);
    assert.equal(!plan.ok && plan.reason, 'FEE_BUDGET');
  });

  test('parallel channels between the same two nodes share the amount', () => {
    const graph = ChannelGraph.fromListChannels([
      ...channel('a', 't', 600_000, {}, {}, '5x1x0'),
      ...channel('a', 't', 600_000, {}, {}, '5x2x0'),
    ]);
    graph.setOwnChannel(id('s'), { peer_id: id('a'), short_channel_id: '1x1x1', spendable_msat: 10_000_000 });
    const plan = ok(
      planPayment(graph, new Liquidity(), { source: id('s'), destination: id('t'), amount_msat: 800_000, maxfee_msat: 0, now: 0 }),
    );
    assert.equal(plan.routes.length, 2);
    assert.deepEqual(plan.routes.map((r) => r.hops[1]!.channel).sort(), ['5x1x0', '5x2x0']);
    // Linearised, any split inside both channels' second segments (300,000 … 480,000) is as good.
    assert.equal(plan.amount_msat, 800_000);
    for (const r of plan.routes) assert.ok(r.amount_msat >= 320_000 && r.amount_msat <= 480_000, `${r.amount_msat}`);
  });

  test('what no bounds allow: CAPACITY; no way at all: NO_PATH; unknown nodes: UNKNOWN_NODE', () => {
    const graph = diamond();
    const big = planPayment(graph, new Liquidity(), {
      source: id('s'),
      destination: id('t'),
      amount_msat: 3_000_001,
      maxfee_msat: 0,
      now: 0,
    });
    assert.equal(!big.ok && big.reason, 'CAPACITY');
    graph.upsert(channel('x', 'y', 1_000_000, {}, {})[0]!);
    const none = planPayment(graph, new Liquidity(), { source: id('s'), destination: id('y'), amount_msat: 1000, maxfee_msat: 0, now: 0 });
    assert.equal(!none.ok && none.reason, 'NO_PATH');
    const unknown = planPayment(graph, new Liquidity(), {
      source: id('s'),
      destination: id('zz'),
      amount_msat: 1000,
      maxfee_msat: 0,
      now: 0,
    });
    assert.equal(!unknown.ok && unknown.reason, 'UNKNOWN_NODE');
  });

  test('a replan of the remainder keeps off what the parts in flight hold', () => {
    const graph = diamond();
    const liquidity = new Liquidity();
    const first = ok(
      planPayment(graph, liquidity, { source: id('s'), destination: id('t'), amount_msat: 1_500_000, maxfee_msat: 0, now: 0 }),
    );
    const viaA = first.routes.find((r) => r.hops[0]!.id === id('a'))!;
    // The part over a is in flight; plan 1,000,000 more: a has 1,000,000 of its 2,000,000 left at most.
    const again = ok(
      planPayment(graph, liquidity, {
        source: id('s'),
        destination: id('t'),
        amount_msat: 1_500_000,
        maxfee_msat: 0,
        inflight: [viaA.hops],
        now: 0,
      }),
    );
    const onA = again.routes.filter((r) => r.hops[0]!.id === id('a')).reduce((s, r) => s + r.amount_msat, 0);
    assert.ok(onA <= 1_000_000, `${onA} on a`);
    const toomuch = planPayment(graph, liquidity, {
      source: id('s'),
      destination: id('t'),
      amount_msat: 2_000_001,
      maxfee_msat: 0,
      inflight: [viaA.hops],
      now: 0,
    });
    assert.equal(toomuch.ok, false);
  });
});
