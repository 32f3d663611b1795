/**
 * What the planner learns: the probability formula, default and exact bounds, learning from
 * failures and successes (with other parts in flight), decay toward the prior, settling,
 * the serialised form; and the graph's incremental updates.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AmpkitError } from '../../packages/core/src/index.ts';
import { ChannelGraph, Liquidity, hopsOf, learn, planPayment, settle, successProbability } from '../../packages/core/src/planner/index.ts';
import { channel, id } from './planner-fixtures.ts';

const invalid = (e: unknown) => e instanceof AmpkitError && e.code === 'INVALID_ARGUMENT';

/** s → a → b → t, 10,000,000 msat each, plus the indexes of the three forward directions. */
function line(): { graph: ChannelGraph; path: number[] } {
  const graph = ChannelGraph.fromListChannels([
    ...channel('s', 'a', 10_000_000, {}, {}, '1x1x0'),
    ...channel('a', 'b', 10_000_000, { ppm: 100 }, {}, '1x2x0'),
    ...channel('b', 't', 10_000_000, { ppm: 100 }, {}, '1x3x0'),
  ]);
  const dir = (x: string, y: string) => (id(x) < id(y) ? 0 : 1);
  const path = [
    graph.channelIndex('1x1x0', dir('s', 'a')),
    graph.channelIndex('1x2x0', dir('a', 'b')),
    graph.channelIndex('1x3x0', dir('b', 't')),
  ];
  return { graph, path };
}

describe('successProbability', () => {
  test('(upper + 1 - x) / (upper + 1 - lower) between the bounds; 1 below; 0 above', () => {
    assert.equal(successProbability(0, 0, 100), 1);
    assert.equal(successProbability(50, 50, 100), 1);
    assert.equal(successProbability(51, 50, 100), 50 / 51);
    assert.equal(successProbability(100, 0, 100), 1 / 101);
    assert.equal(successProbability(101, 0, 100), 0);
    assert.equal(successProbability(1, 0, -1), 0);
    assert.equal(successProbability(60, 20, 100), 41 / 81);
  });

  test('refuses what is not a number of msat', () => {
    const bad: [number, number, number][] = [
      [-1, 0, 1],
      [1, -1, 1],
      [1, 0, -2],
      [Number.NaN, 0, 1],
      [1, 0, Number.NaN],
    ];
    for (const [x, lower, upper] of bad) assert.throws(() => successProbability(x, lower, upper), invalid, `${x}, ${lower}, ${upper}`);
  });
});

describe('bounds', () => {
  test('0 … capacity by default; exact for our own channels', () => {
    const { graph, path } = line();
    const liquidity = new Liquidity();
    assert.deepEqual(liquidity.bounds(graph, path[1]!, 0), { lower: 0, upper: 10_000_000 });
    const own = graph.setOwnChannel(id('s'), { peer_id: id('a'), short_channel_id: '1x1x0', spendable_msat: 4_000_000 });
    assert.equal(own, path[0]);
    assert.deepEqual(liquidity.bounds(graph, own, 0), { lower: 4_000_000, upper: 4_000_000 });
    const lower = new Float64Array(graph.size);
    const upper = new Float64Array(graph.size);
    liquidity.fill(graph, lower, upper, 0);
    assert.deepEqual([lower[own], upper[own], lower[path[2]!], upper[path[2]!]], [4_000_000, 4_000_000, 0, 10_000_000]);
  });
});

describe('learn', () => {
  test('a temporary_channel_failure caps the erring direction below what it had to carry; those before carried it', () => {
    const { graph, path } = line();
    const liquidity = new Liquidity();
    const route = hopsOf(graph, path, 3_000_000, 18);
    learn(liquidity, graph, route, { ok: false, erring_index: 2, failcode: 0x1007 }, { now: 0 });
    assert.deepEqual(liquidity.bounds(graph, path[2]!, 0), { lower: 0, upper: 2_999_999 });
    assert.deepEqual(liquidity.bounds(graph, path[1]!, 0), { lower: route[1]!.amount_msat, upper: 10_000_000 });
    assert.deepEqual(liquidity.bounds(graph, path[0]!, 0), { lower: route[0]!.amount_msat, upper: 10_000_000 });
    // The next plan knows: more than 2,999,999 over b → t cannot be.
    const plan = planPayment(graph, liquidity, {
      source: id('s'),
      destination: id('t'),
      amount_msat: 3_000_000,
      maxfee_msat: 10_000,
      now: 0,
    });
    assert.equal(!plan.ok && plan.reason, 'CAPACITY');
  });

  test('what our other parts hold counts: held ones in both bounds, concurrent ones in the upper only', () => {
    const { graph, path } = line();
    const liquidity = new Liquidity();
    const held = hopsOf(graph, path, 1_000_000, 18);
    const concurrent = hopsOf(graph, path, 500_000, 18);
    const route = hopsOf(graph, path, 2_000_000, 18);
    learn(liquidity, graph, route, { ok: false, erring_index: 2, failcode: 0x1007 }, { held: [held], concurrent: [concurrent], now: 0 });
    assert.equal(liquidity.bounds(graph, path[2]!, 0).upper, 2_000_000 + 1_000_000 + 500_000 - 1);
    assert.equal(liquidity.bounds(graph, path[1]!, 0).lower, route[1]!.amount_msat + held[1]!.amount_msat);
  });

  test('a part that arrived raises the lower bound of every direction on its path', () => {
    const { graph, path } = line();
    const liquidity = new Liquidity();
    const route = hopsOf(graph, path, 2_500_000, 18);
    learn(liquidity, graph, route, { ok: true }, { now: 0 });
    path.forEach((e, i) => assert.equal(liquidity.bounds(graph, e, 0).lower, route[i]!.amount_msat));
    // A failure at the destination (erring_index = route length) says the same.
    const other = new Liquidity();
    learn(other, graph, route, { ok: false, erring_index: 3, failcode: 0x400f }, { now: 0 });
    assert.deepEqual(other.toJSON().bounds, liquidity.toJSON().bounds);
  });

  test('a disabled or unknown next channel is unusable for now; a stale policy teaches nothing about liquidity', () => {
    const { graph, path } = line();
    const liquidity = new Liquidity();
    const route = hopsOf(graph, path, 1_000_000, 18);
    learn(liquidity, graph, route, { ok: false, erring_index: 1, failcode: 0x1014 }, { now: 0 });
    assert.equal(liquidity.bounds(graph, path[1]!, 0).upper, -1);
    const stale = new Liquidity();
    learn(stale, graph, route, { ok: false, erring_index: 1, failcode: 0x100c }, { now: 0 });
    assert.deepEqual(stale.bounds(graph, path[1]!, 0), { lower: 0, upper: 10_000_000 });
  });

  test('learning never loosens a bound and keeps lower ≤ upper', () => {
    const { graph, path } = line();
    const liquidity = new Liquidity();
    const small = hopsOf(graph, path, 1_000_000, 18);
    learn(liquidity, graph, small, { ok: false, erring_index: 0, failcode: 0x1007 }, { now: 0 });
    learn(liquidity, graph, hopsOf(graph, path, 4_000_000, 18), { ok: false, erring_index: 0, failcode: 0x1007 }, { now: 0 });
    assert.equal(liquidity.bounds(graph, path[0]!, 0).upper, small[0]!.amount_msat - 1);
    // A later success above the cap (the balance moved): the bounds stay ordered.
    learn(liquidity, graph, hopsOf(graph, path, 2_000_000, 18), { ok: true }, { now: 0 });
    const b = liquidity.bounds(graph, path[0]!, 0);
    assert.ok(b.lower <= b.upper);
  });

  test('hostile outcomes and routes', () => {
    const { graph, path } = line();
    const route = hopsOf(graph, path, 1_000_000, 18);
    const liquidity = new Liquidity();
    assert.throws(() => learn(liquidity, graph, route, { ok: false, erring_index: 9, failcode: 0x1007 }), invalid);
    assert.throws(() => learn(liquidity, graph, route, { ok: false, erring_index: -1, failcode: 0x1007 }), invalid);
    assert.throws(() => learn(liquidity, graph, route, null as never), invalid);
    assert.throws(() => learn(liquidity, graph, [{ id: 'x' }] as never, { ok: true }), invalid);
    assert.throws(() => learn(liquidity, graph, 'route' as never, { ok: true }), invalid);
    // Channels the graph does not know are skipped, not guessed.
    learn(liquidity, graph, [{ id: id('q'), channel: '999x9x9', direction: 0, amount_msat: 5, delay: 18 }], { ok: true });
    assert.equal(liquidity.size, 0);
  });
});

describe('decay, settling and the serialised form', () => {
  test('after one half-life a learned bound has gone half-way back to the prior', () => {
    const { graph, path } = line();
    const liquidity = new Liquidity({ half_life_hours: 2 });
    liquidity.capAt(graph, path[1]!, 4_000_001, 1000);
    liquidity.floorAt(graph, path[1]!, 2_000_000, 1000);
    assert.deepEqual(liquidity.bounds(graph, path[1]!, 1000), { lower: 2_000_000, upper: 4_000_000 });
    assert.deepEqual(liquidity.bounds(graph, path[1]!, 1000 + 7200), { lower: 1_000_000, upper: 7_000_000 });
    const never = new Liquidity({ half_life_hours: Infinity });
    never.capAt(graph, path[1]!, 4_000_001, 0);
    assert.equal(never.bounds(graph, path[1]!, 1e9).upper, 4_000_000);
  });

  test('settle moves the funds: the direction used can carry that much less, its opposite that much more', () => {
    const { graph, path } = line();
    const liquidity = new Liquidity();
    const route = hopsOf(graph, path, 3_000_000, 18);
    settle(liquidity, graph, route, 0);
    assert.deepEqual(liquidity.bounds(graph, path[1]!, 0), { lower: 0, upper: 10_000_000 - route[1]!.amount_msat });
    const back = graph.channelIndex('1x2x0', 1 - graph.direction[path[1]!]!);
    assert.deepEqual(liquidity.bounds(graph, back, 0), { lower: route[1]!.amount_msat, upper: 10_000_000 });
  });

  test('toJSON / fromJSON round-trip; anything else is refused', () => {
    const { graph, path } = line();
    const liquidity = new Liquidity({ half_life_hours: 3 });
    liquidity.capAt(graph, path[2]!, 5_000, 100);
    liquidity.floorAt(graph, path[0]!, 7_000, 100);
    const json = JSON.parse(JSON.stringify(liquidity));
    const back = Liquidity.fromJSON(json);
    assert.deepEqual(back.toJSON(), liquidity.toJSON());
    assert.deepEqual(back.bounds(graph, path[2]!, 100), { lower: 0, upper: 4_999 });
    assert.equal(back.halfLifeHours, 3);
    for (const bad of [
      null,
      1,
      {},
      { version: 2, half_life_hours: 1, bounds: [] },
      { version: 1, half_life_hours: -1, bounds: [] },
      { version: 1, half_life_hours: 1, bounds: [['1x1x1/2', 0, 1, 0]] },
      { version: 1, half_life_hours: 1, bounds: [['1x1x1/0', -1, 1, 0]] },
      { version: 1, half_life_hours: 1, bounds: [['1x1x1/0', 0, 1.5, 0]] },
      { version: 1, half_life_hours: 1, bounds: [['1x1x1/0', 0, 1]] },
    ]) {
      assert.throws(() => Liquidity.fromJSON(bad), invalid, JSON.stringify(bad));
    }
    assert.throws(() => new Liquidity({ half_life_hours: 0 }), invalid);
  });
});

describe('the graph', () => {
  test('incremental updates: replace, remove, add back; the rows follow', () => {
    const graph = ChannelGraph.fromListChannels(channel('a', 'b', 1_000_000, { ppm: 1 }, { ppm: 2 }, '5x5x5'));
    const d = id('a') < id('b') ? 0 : 1;
    const e = graph.channelIndex('5x5x5', d);
    assert.equal(graph.entry(e).fee_per_millionth, 1);
    const [ab] = channel('a', 'b', 2_000_000, { ppm: 9 }, {}, '5x5x5');
    assert.equal(graph.upsert(ab!), e, 'a replacement keeps its index');
    assert.equal(graph.entry(e).fee_per_millionth, 9);
    assert.equal(graph.entry(e).amount_msat, 2_000_000);
    const out = () => {
      const { outStart, outList } = graph.adjacency();
      const a = graph.nodeIndex(id('a'));
      return [...outList.subarray(outStart[a]!, outStart[a + 1]!)];
    };
    assert.deepEqual(out(), [e]);
    assert.equal(graph.remove('5x5x5', d), true);
    assert.equal(graph.remove('5x5x5', d), false);
    assert.deepEqual(out(), []);
    assert.equal(graph.isActive(e), false);
    graph.upsert(ab!);
    assert.deepEqual(out(), [e]);
    // A disabled direction is kept but never routed over.
    graph.upsert({ ...ab!, active: false });
    assert.deepEqual(out(), []);
  });

  test('setKnown refreshes a balance, and forgets it', () => {
    const graph = ChannelGraph.fromListChannels(channel('a', 'b', 1_000_000, {}, {}, '6x6x6'));
    const d = id('a') < id('b') ? 0 : 1;
    graph.setKnown('6x6x6', d, 300);
    assert.equal(graph.entry(graph.channelIndex('6x6x6', d)).known_msat, 300);
    graph.setKnown('6x6x6', d, undefined);
    assert.equal(graph.entry(graph.channelIndex('6x6x6', d)).known_msat, undefined);
    assert.throws(() => graph.setKnown('7x7x7', 0, 1), invalid);
  });
});
