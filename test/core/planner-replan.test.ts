/**
 * Planning what is left of a payment: a replan solves again on the neighbourhood chosen
 * for the payment before (choosing is most of a round's work on a big graph), yet never
 * sends a part over a direction for what it already failed to carry, and sees a graph that
 * changed since. Then the selection helpers that choosing uses.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChannelGraph, Liquidity, learn, planPayment, type Plan, type PlanRequest } from '../../packages/core/src/planner/index.ts';
import { nthSmallest, shortestDistances } from '../../packages/core/src/planner/subgraph.ts';
import { channel, id } from './planner-fixtures.ts';

const base: PlanRequest = { source: id('s'), destination: id('t'), amount_msat: 600_000, maxfee_msat: 10_000, now: 0 };

function ok(plan: ReturnType<typeof planPayment>): Plan {
  if (!plan.ok) assert.fail(`${plan.reason}: ${plan.message}`);
  return plan;
}

/** Two ways from s to t, through a (cheaper) and b, 1,000,000 msat each. */
function twoWays(): ChannelGraph {
  return ChannelGraph.fromListChannels([
    ...channel('s', 'a', 5_000_000, {}, {}, '1x1x0'),
    ...channel('a', 't', 1_000_000, { ppm: 10 }, {}, '2x1x0'),
    ...channel('s', 'b', 5_000_000, {}, {}, '3x1x0'),
    ...channel('b', 't', 1_000_000, { ppm: 20 }, {}, '4x1x0'),
  ]);
}

describe('replanning a payment', () => {
  test('a part that failed at a hop is never planned over that hop again for as much', () => {
    const graph = twoWays();
    const liquidity = new Liquidity({ half_life_hours: Infinity });
    let plan = ok(planPayment(graph, liquidity, base));
    for (let round = 0; round < 4; round++) {
      // Every part fails at its second hop (into t): the plan after it must go around or send less.
      const failed = new Map<string, number>();
      for (const route of plan.routes) {
        learn(liquidity, graph, route.hops, { ok: false, erring_index: 1, failcode: 0x1007 }, { now: 0 });
        const key = `${route.hops[1]!.channel}/${route.hops[1]!.direction}`;
        failed.set(key, Math.min(failed.get(key) ?? Infinity, route.hops[1]!.amount_msat));
      }
      const next = planPayment(graph, liquidity, base);
      if (!next.ok) break;
      for (const route of next.routes) {
        const hop = route.hops[1]!;
        const least = failed.get(`${hop.channel}/${hop.direction}`);
        assert.ok(
          least === undefined || hop.amount_msat < least,
          `round ${round}: ${hop.amount_msat} again over ${hop.channel} after it failed ${least}`,
        );
      }
      plan = next;
    }
  });

  test('a channel added to the graph between two plans of a payment is planned over', () => {
    const graph = twoWays();
    const liquidity = new Liquidity();
    const first = ok(planPayment(graph, liquidity, base));
    assert.ok(first.routes.every((r) => r.hops[0]!.id !== id('c')));
    // A free, wide way through c appears: the replan must see it.
    for (const entry of [...channel('s', 'c', 50_000_000, {}, {}, '5x1x0'), ...channel('c', 't', 50_000_000, {}, {}, '6x1x0')])
      graph.upsert(entry);
    const next = ok(planPayment(graph, liquidity, { ...base, amount_msat: 500_000 }));
    assert.ok(
      next.routes.some((r) => r.hops[0]!.id === id('c')),
      'the new channel is used',
    );
  });

  test('excluding a node between two plans of a payment keeps the replan off it', () => {
    const graph = twoWays();
    const liquidity = new Liquidity();
    ok(planPayment(graph, liquidity, base));
    const next = ok(planPayment(graph, liquidity, { ...base, amount_msat: 500_000, exclude: [id('a')] }));
    assert.ok(next.routes.every((r) => r.hops[0]!.id !== id('a')));
  });

  /**
   * s → a → k → c → t, s → b → t, and a → m → c beside k → c (the fees per million given),
   * with a neighbourhood of one direction: a first plan, then k → c shuts (channel_disabled
   * at the payee's side) and the plan made next must go a → m → c.
   */
  function replanAfterShut(ppm: { kc: number; bt: number; mc: number }, middle: number, maxfee_msat: number) {
    const graph = ChannelGraph.fromListChannels([
      ...channel('s', 'a', 50_000_000, {}, undefined, '1x1x0'),
      ...channel('a', 'k', middle, {}, undefined, '2x1x0'),
      ...channel('k', 'c', middle, ppm.kc ? { ppm: ppm.kc } : {}, undefined, '3x1x0'),
      ...channel('c', 't', 50_000_000, {}, undefined, '4x1x0'),
      ...channel('s', 'b', 50_000_000, {}, undefined, '5x1x0'),
      ...channel('b', 't', 50_000_000, { ppm: ppm.bt }, undefined, '6x1x0'),
      ...channel('a', 'm', 10_000_000, {}, undefined, '7x1x0'),
      ...channel('m', 'c', 10_000_000, { ppm: ppm.mc }, undefined, '8x1x0'),
    ]);
    const liquidity = new Liquidity({ half_life_hours: Infinity });
    const ask: PlanRequest = { ...base, amount_msat: 1_000_000, maxfee_msat, max_arcs: 1 };
    const first = ok(planPayment(graph, liquidity, ask));
    const route = first.routes[0]!.hops;
    assert.equal(route[2]!.channel, '3x1x0');
    learn(liquidity, graph, route, { ok: false, erring_index: 2, failcode: 0x1014 }, { now: 0 }); // channel_disabled
    const next = ok(planPayment(graph, liquidity, ask));
    assert.ok(
      next.routes.every((r) => r.hops.some((h) => h.channel === '8x1x0')),
      next.routes.map((r) => r.hops.map((h) => h.channel).join(' ')).join(', '),
    );
    return { first, next };
  }

  test('a replan far dearer than the first plan looks for a cheaper way beyond the neighbourhood chosen before', () => {
    // The way through k is free, s → b → t costs 2%, a → m → c 0.1%.
    const { first, next } = replanAfterShut({ kc: 0, bt: 20_000, mc: 1000 }, 2_000_000, 50_000);
    assert.equal(first.fee_msat, 0);
    assert.ok(next.fee_msat < 5_000, `fee ${next.fee_msat}`);
  });

  test('a replan twice as dear per msat as the first plan looks for a cheaper way beyond the neighbourhood', () => {
    // The way through k costs 0.1%, s → b → t 0.2%, a → m → c 0.11%.
    const { first, next } = replanAfterShut({ kc: 1000, bt: 2000, mc: 1100 }, 10_000_000, 10_000);
    assert.equal(first.fee_msat, 1000);
    assert.ok(next.fee_msat < 1500, `fee ${next.fee_msat}`);
  });
});

describe('selection helpers', () => {
  test('nthSmallest agrees with sorting, ties and all', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const length of [1, 2, 3, 10, 101, 1000]) {
      const values = Float64Array.from({ length }, () => Math.floor(random() * 20) + (random() < 0.1 ? Infinity : 0));
      const sorted = Float64Array.from(values).sort();
      for (const k of [0, Math.floor(length / 3), length - 1])
        assert.equal(nthSmallest(Float64Array.from(values), k), sorted[k], `length ${length}, k ${k}`);
    }
  });

  test('shortestDistances stopped at a node has that node exact', () => {
    // A chain 0 → 1 → 2 → 3 with a long shortcut 0 → 3.
    const rowStart = Int32Array.from([0, 2, 3, 4, 4]);
    const list = Int32Array.from([0, 3, 1, 2]);
    const next = Int32Array.from([1, 2, 3, 3]);
    const weight = Float64Array.from([1, 1, 1, 10]);
    const full = new Float64Array(4);
    const stopped = new Float64Array(4);
    shortestDistances(4, rowStart, list, next, weight, 0, full);
    shortestDistances(4, rowStart, list, next, weight, 0, stopped, undefined, 2);
    assert.deepEqual([...full], [0, 1, 2, 3]);
    assert.equal(stopped[2], 2);
  });
});
