/**
 * Every limit a plan must respect: exact hop amounts and delays as sendpay takes them (the
 * fee of the node before each channel, by that channel's policy), htlc minimum and
 * maximum, maxparts, maxdelay, the fee budget, our own channels' balances, route hints,
 * excluded channels; and hostile inputs refused at the edge.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { feeFor } from '@ampkit/simnet';
import { AmpkitError } from '../../packages/core/src/index.ts';
import {
  ChannelGraph,
  Liquidity,
  forwardFee,
  learn,
  planPayment,
  type ListChannelsEntry,
  type Plan,
  type PlanRequest,
} from '../../packages/core/src/planner/index.ts';
import { channel, id, sent } from './planner-fixtures.ts';

function ok(plan: ReturnType<typeof planPayment>): Plan {
  assert.ok(plan.ok, plan.ok ? '' : `${plan.reason}: ${plan.message}`);
  return plan;
}

const base: PlanRequest = { source: id('s'), destination: id('t'), amount_msat: 1_000_000, maxfee_msat: 100_000, now: 0 };

/** Checks every route as a forwarding node would: amounts carry each later hop's fee, delays each later cltv delta. */
function checkRoutes(graph: ChannelGraph, plan: Plan, final = 18): void {
  for (const route of plan.routes) {
    const hops = route.hops;
    assert.equal(hops[hops.length - 1]!.amount_msat, route.amount_msat);
    assert.equal(hops[hops.length - 1]!.delay, final);
    for (let i = 1; i < hops.length; i++) {
      const e = graph.channelIndex(hops[i]!.channel, hops[i]!.direction!);
      const policy = graph.entry(e);
      const fee = feeFor(
        {
          fee_base_msat: policy.base_fee_millisatoshi,
          fee_proportional_millionths: policy.fee_per_millionth,
          cltv_expiry_delta: policy.delay,
          htlc_minimum_msat: 0,
          htlc_maximum_msat: 0,
          active: true,
        },
        hops[i]!.amount_msat,
      );
      assert.equal(hops[i - 1]!.amount_msat, hops[i]!.amount_msat + fee, `hop ${i - 1} carries hop ${i}'s fee`);
      assert.equal(hops[i - 1]!.delay, hops[i]!.delay + policy.delay, `hop ${i - 1} adds hop ${i}'s delta`);
    }
    assert.equal(route.fee_msat, hops[0]!.amount_msat - route.amount_msat);
    assert.equal(route.delay, hops[0]!.delay);
  }
  assert.equal(
    plan.fee_msat,
    plan.routes.reduce((s, r) => s + r.fee_msat, 0),
  );
}

describe('hop amounts and delays', () => {
  test('three hops: each node charges by the policy of the channel it forwards over; our own first hop charges nothing', () => {
    const graph = ChannelGraph.fromListChannels([
      ...channel('s', 'a', 50_000_000, { base: 999, ppm: 999, cltv: 999 }, {}),
      ...channel('a', 'b', 50_000_000, { base: 1000, ppm: 100, cltv: 40 }, {}),
      ...channel('b', 't', 50_000_000, { base: 7, ppm: 2500, cltv: 144 }, {}),
    ]);
    const plan = ok(planPayment(graph, new Liquidity(), { ...base, amount_msat: 1_234_567, final_cltv: 22 }));
    assert.equal(plan.routes.length, 1);
    const [h1, h2, h3] = plan.routes[0]!.hops;
    assert.deepEqual(h3, { id: id('t'), channel: h3!.channel, direction: h3!.direction, amount_msat: 1_234_567, delay: 22, style: 'tlv' });
    const feeB = 7 + Math.floor((1_234_567 * 2500) / 1e6);
    assert.equal(h2!.amount_msat, 1_234_567 + feeB);
    assert.equal(h2!.delay, 22 + 144);
    assert.equal(h1!.amount_msat, h2!.amount_msat + 1000 + Math.floor((h2!.amount_msat * 100) / 1e6));
    assert.equal(h1!.delay, 22 + 144 + 40);
    assert.equal(h1!.id, id('a'));
    checkRoutes(graph, plan, 22);
  });

  test('forwardFee rounds down like BOLT 7 and stays exact past 2^53 / ppm', () => {
    assert.equal(forwardFee(1, 1, 999_999), 1);
    assert.equal(forwardFee(0, 1, 1_000_000), 1);
    for (const [ppm, amount] of [
      [999_999, 2 ** 53 - 1],
      [333, 1_000_000_000_001],
      [4_294_967, 2_100_000_000_000_000],
    ] as const) {
      const exact = (BigInt(amount) * BigInt(ppm)) / 1_000_000n;
      assert.equal(BigInt(forwardFee(0, ppm, amount)), exact, `${ppm} ppm of ${amount}`);
    }
  });
});

describe('htlc limits', () => {
  test('a direction whose htlc minimum is above the amount is not used', () => {
    const graph = ChannelGraph.fromListChannels([
      ...channel('s', 'a', 50_000_000, {}, {}),
      ...channel('a', 't', 50_000_000, { min: 2_000_000 }, {}),
      ...channel('s', 'b', 50_000_000, {}, {}),
      ...channel('b', 't', 50_000_000, { ppm: 5000 }, {}),
    ]);
    const plan = ok(planPayment(graph, new Liquidity(), base));
    assert.ok(plan.routes.every((r) => r.hops[0]!.id === id('b')));
  });

  test('a direction with a small htlc maximum carries the amount in several parts, each within it', () => {
    const graph = ChannelGraph.fromListChannels([
      ...channel('s', 'a', 50_000_000, {}, {}),
      ...channel('a', 't', 50_000_000, { max: 300_000 }, {}),
    ]);
    const plan = ok(planPayment(graph, new Liquidity(), base));
    assert.ok(plan.routes.length >= 4, `${plan.routes.length} parts`);
    for (const r of plan.routes)
      for (const h of r.hops) assert.ok(h.amount_msat <= 300_000 || h.channel !== plan.routes[0]!.hops[1]!.channel);
    assert.equal(plan.amount_msat, 1_000_000);
    checkRoutes(graph, plan);
  });

  test("a leftover below the only free way's htlc minimum is lifted to it with what another part spares", () => {
    // The cheap way is known to hold just short of the amount; the parts squeeze onto it
    // until a few msat are left, too few for the dear way's minimum.
    const graph = ChannelGraph.fromListChannels([
      ...channel('s', 'a', 500_000_000, {}, {}),
      ...channel('a', 't', 500_000_000, { ppm: 1, min: 100 }, {}),
      ...channel('s', 'b', 1_000_000_000, {}, {}),
      ...channel('b', 't', 1_000_000_000, { base: 1000, ppm: 1000, min: 1000 }, {}),
    ]);
    const liquidity = new Liquidity();
    const request = { ...base, amount_msat: 100_000_000, maxfee_msat: 500_000 };
    const first = ok(planPayment(graph, liquidity, request));
    const cheap = first.routes.find((r) => r.hops[0]!.id === id('a'))!;
    learn(liquidity, graph, cheap.hops, { ok: false, erring_index: 1, failcode: 0x1007 }, { now: 0 });
    const plan = ok(planPayment(graph, liquidity, request));
    assert.equal(plan.amount_msat, 100_000_000);
    for (const r of plan.routes)
      for (const h of r.hops) assert.ok(h.amount_msat >= graph.entry(graph.channelIndex(h.channel, h.direction!)).htlc_minimum_msat);
    checkRoutes(graph, plan);
  });

  test('… and no plan when maxparts cannot hold that many', () => {
    const graph = ChannelGraph.fromListChannels([
      ...channel('s', 'a', 50_000_000, {}, {}),
      ...channel('a', 't', 50_000_000, { max: 300_000 }, {}),
    ]);
    const plan = planPayment(graph, new Liquidity(), { ...base, maxparts: 3 });
    assert.equal(!plan.ok && plan.reason, 'MAXPARTS');
  });
});

describe('maxparts', () => {
  // Four ways of 400,000 msat each into t.
  function fan(): ChannelGraph {
    const entries = ['a', 'b', 'c', 'd'].flatMap((v) => [...channel('s', v, 50_000_000, {}, {}), ...channel(v, 't', 400_000, {}, {})]);
    return ChannelGraph.fromListChannels(entries);
  }

  test('never more parts than allowed, and the amount in full', () => {
    for (const maxparts of [3, 4, 8]) {
      const plan = ok(planPayment(fan(), new Liquidity(), { ...base, amount_msat: 1_100_000, maxparts }));
      assert.ok(plan.routes.length <= maxparts, `${plan.routes.length} > ${maxparts}`);
      assert.equal(plan.amount_msat, 1_100_000);
    }
  });

  test('too few parts for the room there is: MAXPARTS', () => {
    const plan = planPayment(fan(), new Liquidity(), { ...base, amount_msat: 1_100_000, maxparts: 2 });
    assert.equal(!plan.ok && plan.reason, 'MAXPARTS');
  });
});

describe('maxdelay', () => {
  function slowAndFast(): ChannelGraph {
    return ChannelGraph.fromListChannels([
      ...channel('s', 'a', 50_000_000, {}, {}),
      ...channel('a', 't', 50_000_000, { cltv: 2000 }, {}),
      ...channel('s', 'b', 50_000_000, {}, {}),
      ...channel('b', 't', 50_000_000, { cltv: 40, ppm: 3000 }, {}),
    ]);
  }

  test('a path over maxdelay is left out, whatever it saves', () => {
    const plan = ok(planPayment(slowAndFast(), new Liquidity(), { ...base, mu: 100 }));
    assert.ok(plan.routes.every((r) => r.hops[0]!.id === id('b') && r.delay <= 2016));
  });

  test('a larger maxdelay lets it in; a smaller one leaves nothing: MAXDELAY', () => {
    const plan = ok(planPayment(slowAndFast(), new Liquidity(), { ...base, mu: 100, maxdelay: 5000, min_part_probability: 0 }));
    assert.ok(plan.routes.some((r) => r.hops[0]!.id === id('a')));
    const none = planPayment(slowAndFast(), new Liquidity(), { ...base, maxdelay: 50 });
    assert.equal(!none.ok && none.reason, 'MAXDELAY');
  });
});

describe('fee budget', () => {
  test('the plan never spends more than maxfee_msat', () => {
    const entries = ['a', 'b', 'c'].flatMap((v, i) => [
      ...channel('s', v, 50_000_000, {}, {}),
      ...channel(v, 't', 700_000, { base: 100 * i, ppm: 1000 * i }, {}),
    ]);
    const graph = ChannelGraph.fromListChannels(entries);
    for (const maxfee of [5000, 2000, 1000]) {
      const plan = planPayment(graph, new Liquidity(), { ...base, maxfee_msat: maxfee, mu: 0 });
      if (plan.ok) assert.ok(plan.fee_msat <= maxfee, `${plan.fee_msat} > ${maxfee}`);
      else assert.equal(plan.reason, 'FEE_BUDGET');
    }
    assert.equal(ok(planPayment(graph, new Liquidity(), { ...base, maxfee_msat: 2000, mu: 0 })).routes.length >= 2, true);
  });
});

describe('our own channels', () => {
  test('known balances are exact: the parts over a channel never exceed its spendable amount', () => {
    const graph = ChannelGraph.fromListChannels([
      ...channel('a', 't', 50_000_000, {}, {}),
      ...channel('b', 't', 50_000_000, { ppm: 10 }, {}),
    ]);
    graph.setOwnChannel(id('s'), { peer_id: id('a'), short_channel_id: '9x1x0', spendable_msat: 300_000 });
    graph.setOwnChannel(id('s'), { peer_id: id('b'), short_channel_id: '9x2x0', spendable_msat: 5_000_000 });
    const plan = ok(planPayment(graph, new Liquidity(), base));
    const overA = plan.routes.filter((r) => r.hops[0]!.channel === '9x1x0').reduce((s, r) => s + r.hops[0]!.amount_msat, 0);
    assert.ok(overA <= 300_000, `${overA} over a 300,000 msat channel`);
    assert.equal(plan.amount_msat, 1_000_000);
    // What is known is certain: a part over a that fits has probability of a's hop 1.
    const tooMuch = planPayment(graph, new Liquidity(), { ...base, amount_msat: 5_400_000 });
    assert.equal(tooMuch.ok, false);
  });

  test('a gossiped direction of ours stays ours (no fee to ourselves) when gossip updates it', () => {
    const graph = ChannelGraph.fromListChannels(channel('s', 't', 50_000_000, { base: 5000 }, {}, '9x9x0'));
    const e = graph.setOwnChannel(id('s'), { peer_id: id('t'), short_channel_id: '9x9x0', spendable_msat: 2_000_000 });
    graph.upsert(channel('s', 't', 50_000_000, { base: 7000 }, {}, '9x9x0')[0]!);
    assert.equal(graph.entry(e).own, true);
    assert.equal(graph.entry(e).known_msat, 2_000_000);
    const plan = ok(planPayment(graph, new Liquidity(), base));
    assert.equal(plan.fee_msat, 0);
    assert.equal(plan.probability, 1);
  });
});

describe('route hints', () => {
  test('a destination reached only through its hint: the hinted channel with the hint fees and delta', () => {
    const graph = ChannelGraph.fromListChannels([
      ...channel('s', 'a', 50_000_000, {}, {}),
      ...channel('a', 'h', 50_000_000, { ppm: 100 }, {}),
    ]);
    assert.equal(planPayment(graph, new Liquidity(), base).ok, false);
    const [hint] = graph.addRouteHints(id('t'), [
      [{ pubkey: id('h'), short_channel_id: '700x1x1', fee_base_msat: 1000, fee_proportional_millionths: 200, cltv_expiry_delta: 80 }],
    ]);
    assert.equal(graph.entry(hint!).hint, true);
    const plan = ok(planPayment(graph, new Liquidity(), base));
    assert.equal(plan.routes.length, 1);
    const hops = plan.routes[0]!.hops;
    assert.deepEqual(hops.map((h) => h.channel).slice(-1), ['700x1x1']);
    assert.equal(hops[1]!.amount_msat, 1_000_000 + 1000 + 200);
    assert.equal(hops[1]!.delay, 18 + 80);
    checkRoutes(graph, plan);
  });

  test('a hint over a known channel takes its fees and keeps its capacity', () => {
    const graph = ChannelGraph.fromListChannels(channel('h', 't', 3_000_000, { ppm: 1 }, {}, '701x1x0'));
    const e = graph.channelIndex('701x1x0', id('h') < id('t') ? 0 : 1);
    graph.addRouteHints(id('t'), [
      [{ pubkey: id('h'), short_channel_id: '701x1x0', fee_base_msat: 5, fee_proportional_millionths: 50, cltv_expiry_delta: 30 }],
    ]);
    assert.deepEqual([graph.capacity[e], graph.baseFee[e], graph.ppm[e], graph.cltv[e]], [3_000_000, 5, 50, 30]);
  });
});

describe('excluded channels and nodes', () => {
  test('exclude keeps a plan off a direction or a node', () => {
    const entries = [
      ...channel('s', 'a', 50_000_000, {}, {}),
      ...channel('a', 't', 50_000_000, {}, {}),
      ...channel('s', 'b', 50_000_000, {}, {}),
      ...channel('b', 't', 50_000_000, { ppm: 50 }, {}),
    ];
    const graph = ChannelGraph.fromListChannels(entries);
    const viaA = entries[2]!;
    const noA = ok(planPayment(graph, new Liquidity(), { ...base, exclude: [`${viaA.short_channel_id}/${viaA.direction}`] }));
    assert.ok(noA.routes.every((r) => r.hops[0]!.id === id('b')));
    const noNodeA = ok(planPayment(graph, new Liquidity(), { ...base, exclude: [id('a')] }));
    assert.ok(noNodeA.routes.every((r) => r.hops[0]!.id === id('b')));
  });
});

describe('hostile inputs are refused at the edge', () => {
  const rejects = (f: () => unknown, what: string) =>
    assert.throws(f, (e: unknown) => e instanceof AmpkitError && e.code === 'INVALID_ARGUMENT', what);

  test('listchannels entries', () => {
    const good = channel('a', 'b', 1_000_000, {}, {})[0]!;
    rejects(() => ChannelGraph.fromListChannels('nope' as never), 'not an array');
    rejects(() => ChannelGraph.fromListChannels([null as never]), 'null entry');
    rejects(() => ChannelGraph.fromListChannels([{ ...good, source: 'zz' }]), 'bad node id');
    rejects(() => ChannelGraph.fromListChannels([{ ...good, source: `${good.source.slice(0, -1)}F` }]), 'upper-case hex in an id');
    rejects(() => ChannelGraph.fromListChannels([{ ...good, destination: good.source }]), 'a loop');
    rejects(() => ChannelGraph.fromListChannels([{ ...good, short_channel_id: '1x2' }]), 'bad scid');
    rejects(() => ChannelGraph.fromListChannels([{ ...good, direction: 2 }]), 'bad direction');
    rejects(() => ChannelGraph.fromListChannels([{ ...good, amount_msat: -1 }]), 'negative capacity');
    rejects(() => ChannelGraph.fromListChannels([{ ...good, amount_msat: 2 ** 60 }]), 'unsafe capacity');
    rejects(() => ChannelGraph.fromListChannels([{ ...good, fee_per_millionth: 1.5 }]), 'fractional ppm');
    rejects(() => ChannelGraph.fromListChannels([{ ...good, base_fee_millisatoshi: Number.NaN }]), 'NaN fee');
    rejects(() => ChannelGraph.fromListChannels([{ ...good, active: 'yes' as never }]), 'active not boolean');
  });

  test('route hints and own channels', () => {
    const graph = ChannelGraph.fromListChannels([]);
    rejects(() => graph.addRouteHints(id('t'), 'x' as never), 'hints not an array');
    rejects(() => graph.addRouteHints(id('t'), [[]]), 'empty hint');
    rejects(
      () =>
        graph.addRouteHints(id('t'), [
          [{ pubkey: 'x', short_channel_id: '1x1x1', fee_base_msat: 0, fee_proportional_millionths: 0, cltv_expiry_delta: 0 }],
        ]),
      'bad pubkey',
    );
    rejects(
      () =>
        graph.addRouteHints(id('t'), [
          [{ pubkey: id('h'), short_channel_id: '1x1x1', fee_base_msat: -1, fee_proportional_millionths: 0, cltv_expiry_delta: 0 }],
        ]),
      'negative fee',
    );
    rejects(
      () =>
        graph.addRouteHints(id('t'), [
          [{ pubkey: id('t'), short_channel_id: '1x1x1', fee_base_msat: 0, fee_proportional_millionths: 0, cltv_expiry_delta: 0 }],
        ]),
      'hint to itself',
    );
    rejects(() => graph.setOwnChannel(id('s'), { peer_id: id('a'), short_channel_id: '1x1x1', spendable_msat: -5 }), 'negative balance');
    rejects(
      () => graph.setOwnChannel(id('s'), { peer_id: id('s'), short_channel_id: '1x1x1', spendable_msat: 5 }),
      'own channel to ourselves',
    );
  });

  test('plan requests', () => {
    const graph = ChannelGraph.fromListChannels(channel('s', 't', 1_000_000, {}, {}));
    const liquidity = new Liquidity();
    const bad = (patch: Record<string, unknown>, what: string) =>
      rejects(() => planPayment(graph, liquidity, { ...base, ...patch } as PlanRequest), what);
    rejects(() => planPayment(graph, liquidity, null as never), 'null request');
    bad({ source: 'me' }, 'bad source');
    bad({ destination: base.source }, 'to ourselves');
    bad({ amount_msat: 0 }, 'zero amount');
    bad({ amount_msat: 1.5 }, 'fractional amount');
    bad({ amount_msat: '1000' }, 'amount as a string');
    bad({ maxfee_msat: -1 }, 'negative budget');
    bad({ maxparts: 0 }, 'no parts');
    bad({ maxdelay: 0 }, 'no delay');
    bad({ mu: -1 }, 'negative mu');
    bad({ mu: Infinity }, 'infinite mu');
    bad({ min_part_probability: 2 }, 'probability above 1');
    bad({ exclude: ['nonsense'] }, 'bad exclusion');
    bad({ inflight: 'x' }, 'in-flight not routes');
    bad({ inflight: [[{ id: id('t'), channel: '1x1x1', amount_msat: -4, delay: 9 }]] }, 'negative in-flight amount');
  });

  test('a real Core Lightning listchannels reply loads, with its node ids and policies', () => {
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/reference/cln-fixtures/listchannels.json', import.meta.url), 'utf8')) as {
      channels: ListChannelsEntry[];
    };
    const graph = ChannelGraph.fromListChannels(fixture.channels);
    assert.equal(graph.size, fixture.channels.length);
    const first = fixture.channels[0]!;
    const e = graph.channelIndex(first.short_channel_id, first.direction);
    assert.equal(graph.entry(e).fee_per_millionth, first.fee_per_millionth);
    assert.equal(graph.entry(e).amount_msat, first.amount_msat);
  });
});

describe('the plan sends what it says', () => {
  test('parts add up to the amount, and what leaves us to amount plus fees', () => {
    const entries = ['a', 'b', 'c'].flatMap((v, i) => [
      ...channel('s', v, 50_000_000, {}, {}),
      ...channel(v, 't', 500_000, { base: i, ppm: 10 * i }, {}),
    ]);
    const graph = ChannelGraph.fromListChannels(entries);
    const plan = ok(planPayment(graph, new Liquidity(), { ...base, amount_msat: 1_200_000 }));
    assert.equal(plan.amount_msat, 1_200_000);
    assert.equal(sent(plan.routes), 1_200_000 + plan.fee_msat);
    checkRoutes(graph, plan);
  });
});
