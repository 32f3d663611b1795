/**
 * Room beyond the neighbourhood: when, after something was learned, the directions chosen
 * by fee (near, then four times as many) leave too little room, the planner looks again
 * with fees weighed against the budget instead of the cheapest path, so a dearer way that
 * fits the budget is found, the ways out of the source's peers first. A first plan far dearer than the cheapest path's fee is
 * weighed against one on the wider neighbourhood, which may hold cheap room left out.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChannelGraph, Liquidity, learn, planPayment, type PlanRequest } from '../../packages/core/src/planner/index.ts';
import { channel, id } from './planner-fixtures.ts';

/**
 * s → a, then three ways to t: a → t (1,000,000 msat), a → d → c → t through the narrow
 * d → c (100,000 msat), and a → c → t through the wide but dear a → c (2%). All one-way.
 */
function threeWays(): ChannelGraph {
  return ChannelGraph.fromListChannels([
    ...channel('s', 'a', 50_000_000, {}, undefined, '1x1x0'),
    ...channel('a', 't', 1_000_000, {}, undefined, '2x1x0'),
    ...channel('a', 'd', 20_000_000, {}, undefined, '3x1x0'),
    ...channel('d', 'c', 100_000, {}, undefined, '4x1x0'),
    ...channel('c', 't', 20_000_000, {}, undefined, '5x1x0'),
    ...channel('a', 'c', 20_000_000, { ppm: 20_000 }, undefined, '6x1x0'),
  ]);
}

/** What a part that failed at a → t carrying 1,000,001 msat taught. */
function failedAtT(graph: ChannelGraph): Liquidity {
  const liquidity = new Liquidity({ half_life_hours: Infinity });
  const hop = (to: string, channel: string, from: string) => ({
    id: id(to),
    channel,
    direction: (id(from) < id(to) ? 0 : 1) as 0 | 1,
    amount_msat: 1_000_001,
    delay: 18,
  });
  learn(liquidity, graph, [hop('a', '1x1x0', 's'), hop('t', '2x1x0', 'a')], { ok: false, erring_index: 1, failcode: 0x1007 }, { now: 0 });
  return liquidity;
}

// A neighbourhood of one direction keeps only the best paths through the directions out of
// s and into t, chosen by fee: a → c is on none of them.
const ask: PlanRequest = { source: id('s'), destination: id('t'), amount_msat: 5_000_000, maxfee_msat: 200_000, max_arcs: 1, now: 0 };

describe('room beyond the neighbourhood', () => {
  test('the cheap ways cannot carry the amount: the dear one within the budget does', () => {
    const graph = threeWays();
    const plan = planPayment(graph, failedAtT(graph), ask);
    assert.ok(plan.ok, plan.ok ? '' : `${plan.reason}: ${plan.message}`);
    assert.equal(plan.amount_msat, 5_000_000);
    assert.ok(plan.fee_msat <= 200_000, `fee ${plan.fee_msat}`);
    assert.ok(plan.routes.some((r) => r.hops.some((h) => h.channel === '6x1x0')));
  });

  test('a first plan that buys far dearer paths than the cheapest fee is weighed against the wider neighbourhood', () => {
    // s → a → k → c → t is free but carries 2,000,000 msat; s → b → c costs 2% and a → m → c
    // 0.1%, both wide. Six directions keep the best paths through s's and t's directions
    // only, so a → m → c is left out and the free way's overflow goes the 2% way.
    const graph = ChannelGraph.fromListChannels([
      ...channel('s', 'a', 50_000_000, {}, undefined, '11x1x0'),
      ...channel('a', 'k', 2_000_000, {}, undefined, '12x1x0'),
      ...channel('k', 'c', 2_000_000, {}, undefined, '13x1x0'),
      ...channel('c', 't', 50_000_000, {}, undefined, '14x1x0'),
      ...channel('s', 'b', 50_000_000, {}, undefined, '15x1x0'),
      ...channel('b', 'c', 50_000_000, { ppm: 20_000 }, undefined, '16x1x0'),
      ...channel('a', 'm', 50_000_000, {}, undefined, '17x1x0'),
      ...channel('m', 'c', 50_000_000, { ppm: 1000 }, undefined, '18x1x0'),
    ]);
    const plan = planPayment(graph, new Liquidity(), { ...ask, amount_msat: 5_000_000, max_arcs: 6 });
    assert.ok(plan.ok, plan.ok ? '' : `${plan.reason}: ${plan.message}`);
    assert.equal(plan.amount_msat, 5_000_000);
    assert.ok(plan.routes.every((r) => r.hops.every((h) => h.channel !== '16x1x0')));
    assert.ok(plan.fee_msat < 10_000, `fee ${plan.fee_msat}`);
  });

  test("when short of room, the budget neighbourhood keeps the ways out of the source's peers, however dear", () => {
    // s → a → x → z → t is free but x → z was learned shut; twenty free narrow detours
    // x → fᵢ → z (20,000 msat each) outscore the one wide way out of a, a → y → z with a
    // 90,000 msat base fee, even with fees weighed against the budget: sixteen directions
    // chosen by score hold the detours only.
    const graph = ChannelGraph.fromListChannels([
      ...channel('s', 'a', 50_000_000, {}, undefined, '21x1x0'),
      ...channel('a', 'x', 50_000_000, {}, undefined, '22x1x0'),
      ...channel('x', 'z', 50_000_000, {}, undefined, '23x1x0'),
      ...channel('z', 't', 50_000_000, {}, undefined, '24x1x0'),
      ...channel('a', 'y', 50_000_000, { base: 90_000 }, undefined, '25x1x0'),
      ...channel('y', 'z', 50_000_000, {}, undefined, '26x1x0'),
      ...Array.from({ length: 20 }, (_, i) => [
        ...channel('x', `f${i}`, 20_000, {}, undefined, `${100 + i}x1x0`),
        ...channel(`f${i}`, 'z', 20_000, {}, undefined, `${200 + i}x1x0`),
      ]).flat(),
    ]);
    const liquidity = new Liquidity({ half_life_hours: Infinity });
    const hop = (to: string, channel: string, from: string) => ({
      id: id(to),
      channel,
      direction: (id(from) < id(to) ? 0 : 1) as 0 | 1,
      amount_msat: 1001,
      delay: 18,
    });
    const route = [hop('a', '21x1x0', 's'), hop('x', '22x1x0', 'a'), hop('z', '23x1x0', 'x')];
    learn(liquidity, graph, route, { ok: false, erring_index: 2, failcode: 0x1007 }, { now: 0 });
    const plan = planPayment(graph, liquidity, { ...ask, amount_msat: 1_000_000, maxfee_msat: 100_000, max_arcs: 4 });
    assert.ok(plan.ok, plan.ok ? '' : `${plan.reason}: ${plan.message}`);
    assert.equal(plan.amount_msat, 1_000_000);
    assert.ok(plan.routes.some((r) => r.hops.some((h) => h.channel === '25x1x0')));
  });

  test('a budget too small for the dear way leaves the payment short of room', () => {
    const graph = threeWays();
    const plan = planPayment(graph, failedAtT(graph), { ...ask, maxfee_msat: 10_000 });
    assert.ok(!plan.ok);
  });
});
