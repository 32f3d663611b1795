/**
 * Halving unlikely parts: a part of nearly all the room a failure left on a direction has
 * little chance and, when it fails, teaches a bound hardly tighter; the planner halves it
 * like shards instead, as long as the halves are likelier, together no less likely than
 * half as much, and no dearer than half as much again in fees.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChannelGraph, Liquidity, learn, planPayment, type Plan, type PlanRequest } from '../../packages/core/src/planner/index.ts';
import { channel, id } from './planner-fixtures.ts';

function ok(plan: ReturnType<typeof planPayment>): Plan {
  if (!plan.ok) assert.fail(`${plan.reason}: ${plan.message}`);
  return plan;
}

/** One way from s to t, through a: the direction a → t holds 10,000,000 msat at most. */
function oneWay(): ChannelGraph {
  return ChannelGraph.fromListChannels([
    ...channel('s', 'a', 50_000_000, {}, {}, '1x1x0'),
    ...channel('a', 't', 10_000_000, {}, {}, '2x1x0'),
  ]);
}

/** What a part that failed at a → t carrying 1,000,001 msat taught. */
function failedOnce(graph: ChannelGraph): Liquidity {
  const liquidity = new Liquidity({ half_life_hours: Infinity });
  const route = [
    { id: id('a'), channel: '1x1x0', direction: (id('s') < id('a') ? 0 : 1) as 0 | 1, amount_msat: 1_000_001, delay: 24 },
    { id: id('t'), channel: '2x1x0', direction: (id('a') < id('t') ? 0 : 1) as 0 | 1, amount_msat: 1_000_001, delay: 18 },
  ];
  learn(liquidity, graph, route, { ok: false, erring_index: 1, failcode: 0x1007 }, { now: 0 });
  return liquidity;
}

const ask: PlanRequest = { source: id('s'), destination: id('t'), amount_msat: 950_000, maxfee_msat: 10_000, now: 0 };

describe('halving unlikely parts', () => {
  test('after a failure, nearly all the room left goes as halves, each with a fair chance', () => {
    const graph = oneWay();
    const plan = ok(planPayment(graph, failedOnce(graph), ask));
    assert.equal(plan.amount_msat, 950_000);
    assert.ok(plan.routes.length >= 2, `${plan.routes.length} parts`);
    const largest = Math.max(...plan.routes.map((r) => r.amount_msat));
    assert.ok(largest <= 475_000, `largest part ${largest}`);
    for (const r of plan.routes) assert.ok(r.probability >= 0.2, `${r.amount_msat} at ${r.probability}`);
  });

  test('with no floor on a part’s chance, the same payment goes whole', () => {
    const graph = oneWay();
    const plan = ok(planPayment(graph, failedOnce(graph), { ...ask, min_part_probability: 0 }));
    assert.equal(plan.routes.length, 1);
    assert.ok(plan.routes[0]!.probability < 0.1);
  });

  test('halving never takes more parts than allowed', () => {
    const graph = oneWay();
    const plan = ok(planPayment(graph, failedOnce(graph), { ...ask, maxparts: 2 }));
    assert.ok(plan.routes.length <= 2);
    assert.equal(plan.amount_msat, 950_000);
  });
});
