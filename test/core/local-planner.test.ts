/**
 * The engine's local planner against a scripted node: the graph loads from listchannels
 * and listnodes once, then from the cache; a refresh applies what changed; our own
 * channels come from listpeerchannels (offline peers and closed channels carry nothing,
 * our parts in flight are not counted twice); route hints reach a payee gossip does not
 * know; failures are learned from, stale gossip refreshed and avoided; nodes that cannot
 * read a TLV onion are left out; malformed replies and caches lose nothing. Then the Core
 * Lightning readers of those replies.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AmpkitError, type Node, type NodeChannel, type NodePeerChannel, type PartialPayment } from '../../packages/core/src/index.ts';
import { LocalPlanner, type PlannerCache } from '../../packages/core/src/planner/index.ts';
import { readChannel, readNodeAnnouncement, readPeerChannel } from '../../packages/core/src/node/cln.ts';
import type { FindRequest } from '../../packages/core/src/payments/pay.ts';
import { engineError } from '../../packages/core/src/errors.ts';
import { capsOf } from '../../packages/core/src/payments/auto-finder.ts';
import { noReceiving } from './fake-node.ts';
import { channel, id } from './planner-fixtures.ts';

const S = id('S');
const D = id('D');
const SAT = 1000;

/** A node whose gossip and channels the test sets; it counts the calls. */
function scriptedNode() {
  const state = {
    channels: [] as NodeChannel[],
    nodes: [] as { nodeid: string; features?: string }[],
    peers: [] as NodePeerChannel[],
    calls: new Map<string, number>(),
    fail: undefined as AmpkitError | undefined,
  };
  const count = (m: string) => state.calls.set(m, (state.calls.get(m) ?? 0) + 1);
  const node: Node = {
    ...noReceiving,
    id: S,
    sendpay: () => Promise.reject(new Error('not here')),
    waitsendpay: () => Promise.reject(new Error('not here')),
    listsendpays: () => Promise.reject(new Error('not here')),
    connected: () => Promise.resolve(),
    async listchannels(request = {}) {
      count(request.short_channel_id ? 'listchannels one' : 'listchannels');
      if (state.fail) throw state.fail;
      return structuredClone(state.channels.filter((c) => !request.short_channel_id || c.short_channel_id === request.short_channel_id));
    },
    async listnodes() {
      count('listnodes');
      return structuredClone(state.nodes);
    },
    async listpeerchannels() {
      count('listpeerchannels');
      return structuredClone(state.peers);
    },
  };
  return { node, state };
}

function memoryCache(): PlannerCache & { map: Map<string, unknown> } {
  const map = new Map<string, unknown>();
  return {
    map,
    async getCache(key) {
      return structuredClone(map.get(key));
    },
    async putCache(key, value) {
      map.set(key, structuredClone(value));
    },
  };
}

const gossip = (entries: ReturnType<typeof channel>): NodeChannel[] =>
  entries.map((e) => ({ ...e, direction: e.direction as 0 | 1, last_update: 1 }));

/** S—A (ours), A—B, B—D, and a dearer A—C—D beside. */
function world(half_life_hours?: number) {
  const { node, state } = scriptedNode();
  const own = gossip(channel('S', 'A', 10_000_000 * SAT, { base: 1000, ppm: 100 }, { ppm: 100 }, '1x1x0'));
  state.channels = [
    ...own,
    ...gossip(channel('A', 'B', 5_000_000 * SAT, { ppm: 100 }, { ppm: 100 }, '2x1x0')),
    ...gossip(channel('B', 'D', 5_000_000 * SAT, { ppm: 100 }, { ppm: 100 }, '3x1x0')),
    ...gossip(channel('A', 'C', 5_000_000 * SAT, { ppm: 2000 }, { ppm: 2000 }, '4x1x0')),
    ...gossip(channel('C', 'D', 5_000_000 * SAT, { ppm: 2000 }, { ppm: 2000 }, '5x1x0')),
  ];
  state.peers = [
    {
      peer_id: id('A'),
      short_channel_id: '1x1x0',
      state: 'CHANNELD_NORMAL',
      peer_connected: true,
      spendable_msat: 2_000_000 * SAT,
      total_msat: 10_000_000 * SAT,
    },
  ];
  const cache = memoryCache();
  let now = 1_000_000;
  const planner = new LocalPlanner({ node, cache, now: () => now, ...(half_life_hours !== undefined ? { half_life_hours } : {}) });
  return { node, state, cache, planner, tick: (s: number) => (now += s), at: () => now };
}

const ask = (o: Partial<FindRequest> = {}): FindRequest => ({
  destination: D,
  amount_msat: 100_000 * SAT,
  maxfee_msat: 10_000 * SAT,
  maxparts: 4,
  final_cltv: 18,
  live: [],
  avoid: new Set(),
  ...o,
});

const path = (routes: unknown) => {
  assert.ok(Array.isArray(routes), `routes, not ${JSON.stringify(routes)}`);
  return routes.map((r) => r.route.map((h: { channel: string }) => h.channel).join(' '));
};

function part(route: PartialPayment['route'], o: Partial<PartialPayment> = {}): PartialPayment {
  return {
    id: 1,
    payment_hash: 'aa'.repeat(32),
    groupid: 1,
    partid: 1,
    route,
    amount_msat: route[route.length - 1]!.amount_msat,
    amount_sent_msat: route[0]!.amount_msat,
    status: 'failed',
    created_at: 1,
    ...o,
  } as PartialPayment;
}

describe('the local planner', () => {
  test('loads the graph once (listchannels, listnodes) and plans the cheap path with sendpay hops', async () => {
    const w = world();
    const routes = await w.planner.find(ask());
    assert.deepEqual(path(routes), ['1x1x0 2x1x0 3x1x0']);
    const [r] = routes as { amount_msat: number; route: { id: string; amount_msat: number; delay: number }[] }[];
    assert.equal(r!.amount_msat, 100_000 * SAT);
    assert.deepEqual(
      r!.route.map((h) => h.id),
      [id('A'), id('B'), D],
    );
    // A charges 100 ppm for A→B, B 100 ppm for B→D; our own channel costs us nothing.
    assert.deepEqual(
      r!.route.map((h) => h.amount_msat),
      [100_000 * SAT + 10_000 + 10_001, 100_000 * SAT + 10_000, 100_000 * SAT],
    );
    assert.deepEqual(
      r!.route.map((h) => h.delay),
      [18 + 12, 18 + 6, 18],
    );
    await w.planner.find(ask());
    assert.equal(w.state.calls.get('listchannels'), 1);
    assert.equal(w.state.calls.get('listnodes'), 1);
    assert.equal(w.state.calls.get('listpeerchannels'), 2, 'our balances are asked at every plan');
  });

  test('our spendable balance is exact: more than it is refused with a reason', async () => {
    const w = world();
    const none = await w.planner.find(ask({ amount_msat: 3_000_000 * SAT, maxfee_msat: 100_000 * SAT }));
    assert.equal(typeof none, 'string');
    assert.match(none as string, /can carry no more/);
  });

  test("our channel refusing an HTLC for want of room (a funder's HTLC fee): later plans stay below what it refused for a minute, the channel is not avoided", async () => {
    const w = world();
    const big = ask({ amount_msat: 1_900_000 * SAT, maxfee_msat: 100_000 * SAT });
    const [r] = (await w.planner.find(big)) as { route: PartialPayment['route'] }[];
    const refused = r!.route[0]!.amount_msat;
    // Core Lightning: "Capacity exceeded - HTLC fee", temporary_channel_failure at our own node.
    assert.equal(w.planner.resolved(part(r!.route, { failcode: 0x1007, erring_index: 0 }), []), undefined, 'not avoided');
    const again = await w.planner.find(big);
    assert.equal(typeof again, 'string', 'listpeerchannels still says 2,000,000 sat, but the channel just refused 1,900,000');
    const smaller = (await w.planner.find(ask({ amount_msat: 1_000_000 * SAT, maxfee_msat: 100_000 * SAT }))) as {
      route: PartialPayment['route'];
    }[];
    const over = smaller.reduce((s, x) => s + x.route[0]!.amount_msat, 0);
    assert.ok(over < refused, `${over} msat planned over the channel that refused ${refused}`);
    // A minute on, listpeerchannels is believed again.
    w.tick(61);
    assert.ok(Array.isArray(await w.planner.find(big)));
    // A sendpay refused before the node made the part (the peer not ready) avoids the direction for the payment.
    const away = part(r!.route, {
      failcode: 0x1007,
      erring_index: 0,
      failreason: 'failed: WIRE_TEMPORARY_CHANNEL_FAILURE (First peer not ready)',
    });
    assert.equal(w.planner.resolved(away, []), `1x1x0/${r!.route[0]!.direction}`);
  });

  test('the cache: a second planner on it plans without listchannels; a cache that is not a graph is ignored', async () => {
    const w = world();
    await w.planner.find(ask());
    assert.ok(w.cache.map.has('graph'));
    const again = new LocalPlanner({ node: w.node, cache: w.cache, now: w.at });
    assert.deepEqual(path(await again.find(ask())), ['1x1x0 2x1x0 3x1x0']);
    assert.equal(w.state.calls.get('listchannels'), 1);
    for (const junk of [
      null,
      42,
      { version: 1 },
      { version: 1, fetched_at: 1, nodes: [], excluded: [], scids: ['1x1x0'] },
      { ...(w.cache.map.get('graph') as object), from: [0] },
    ]) {
      const cache = memoryCache();
      cache.map.set('graph', junk);
      cache.map.set('liquidity', { version: 9 });
      const fresh = new LocalPlanner({ node: w.node, cache, now: w.at });
      assert.deepEqual(path(await fresh.find(ask())), ['1x1x0 2x1x0 3x1x0']);
    }
    assert.equal(w.state.calls.get('listchannels'), 6);
  });

  test('a refresh applies what changed: a channel gone is never planned over, a new one is', async () => {
    const w = world();
    await w.planner.find(ask());
    w.state.channels = w.state.channels.filter((c) => c.short_channel_id !== '3x1x0');
    w.state.channels.push(
      ...gossip(channel('B', 'E', 5_000_000 * SAT, {}, {}, '6x1x0')),
      ...gossip(channel('E', 'D', 5_000_000 * SAT, {}, {}, '7x1x0')),
    );
    // The cache is older than refresh_seconds: the next plan refreshes behind; a plan after it sees the change.
    w.tick(601);
    await w.planner.find(ask());
    await w.planner.refresh();
    assert.deepEqual(path(await w.planner.find(ask())), ['1x1x0 2x1x0 6x1x0 7x1x0']);
    assert.equal(w.state.calls.get('listchannels'), 2);
    // And the cache holds the refreshed graph.
    const again = new LocalPlanner({ node: w.node, cache: w.cache, now: w.at });
    assert.deepEqual(path(await again.find(ask())), ['1x1x0 2x1x0 6x1x0 7x1x0']);
  });

  test('an offline peer or a closed channel carries nothing; our parts in flight are not counted twice', async () => {
    const w = world();
    w.state.peers[0]!.peer_connected = false;
    assert.equal(typeof (await w.planner.find(ask())), 'string');
    w.state.peers = [];
    assert.equal(typeof (await w.planner.find(ask())), 'string');
    w.state.peers = [
      {
        peer_id: id('A'),
        short_channel_id: '1x1x0',
        state: 'CHANNELD_NORMAL',
        peer_connected: true,
        spendable_msat: 150_000 * SAT,
        total_msat: 10_000_000 * SAT,
      },
    ];
    // A part of ours holds 700,000 sat on the channel; spendable already lacks it.
    const held = part(
      [
        { id: id('A'), channel: '1x1x0', direction: 0, amount_msat: 700_000 * SAT, delay: 30 },
        { id: id('B'), channel: '2x1x0', direction: 0, amount_msat: 699_990 * SAT, delay: 24 },
        { id: D, channel: '3x1x0', direction: 0, amount_msat: 699_980 * SAT, delay: 18 },
      ],
      { status: 'pending' },
    );
    assert.deepEqual(path(await w.planner.find(ask({ live: [held] }))), ['1x1x0 2x1x0 3x1x0']);
  });

  test('route hints reach a payee gossip does not know', async () => {
    const w = world();
    const P = id('P');
    const hints = [
      [{ pubkey: id('B'), short_channel_id: '900x1x0', fee_base_msat: 1000, fee_proportional_millionths: 10, cltv_expiry_delta: 40 }],
    ];
    assert.equal(typeof (await w.planner.find(ask({ destination: P }))), 'string');
    const routes = await w.planner.find(ask({ destination: P, route_hints: hints }));
    assert.deepEqual(path(routes), ['1x1x0 2x1x0 900x1x0']);
    const last = (routes as { route: { id: string; delay: number }[] }[])[0]!.route;
    assert.equal(last.at(-1)!.id, P);
    assert.equal(last[1]!.delay, 18 + 40, 'the hinted hop adds its CLTV delta');
    // A malformed hint is planned without.
    assert.equal(
      typeof (await w.planner.find(ask({ destination: P, route_hints: [[{ ...hints[0]![0]!, short_channel_id: 'nope' }]] }))),
      'object',
    );
  });

  test('a failure for liquidity is learned; one that says our gossip was stale refreshes that channel and is avoided', async () => {
    const w = world();
    const [r] = (await w.planner.find(ask())) as { route: PartialPayment['route'] }[];
    const full = part(r!.route, { failcode: 0x1007, erring_index: 1 });
    assert.equal(w.planner.resolved(full, []), undefined, 'temporary_channel_failure teaches liquidity, nothing to avoid');
    // A→B cannot carry the 100,000 sat it failed: what goes over it now is less, the rest the dear way.
    const after = (await w.planner.find(ask())) as { amount_msat: number; route: PartialPayment['route'] }[];
    assert.ok(path(after).includes('1x1x0 4x1x0 5x1x0'));
    const overAB = after.filter((x) => x.route[1]!.channel === '2x1x0').reduce((sum, x) => sum + x.route[1]!.amount_msat, 0);
    assert.ok(overAB < r!.route[1]!.amount_msat, `${overAB} over A→B`);
    const stale = part(r!.route, { failcode: 0x100c, erring_index: 2 });
    assert.equal(w.planner.resolved(stale, []), '3x1x0/0');
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(w.state.calls.get('listchannels one'), 1);
    // What was learned is in the cache for the next engine.
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.ok((w.cache.map.get('liquidity') as { bounds: unknown[] }).bounds.length > 0);
    // A result naming a hop the route does not have teaches nothing and throws nothing.
    assert.equal(w.planner.resolved(part(r!.route, { failcode: 0x1007, erring_index: 9 }), []), undefined);
  });

  test('what a failure taught relaxes with the half-life: after a minute, gone at one second, still there at the default six hours', async () => {
    for (const [half_life_hours, relaxed] of [
      [1 / 3600, true],
      [undefined, false],
    ] as const) {
      const w = world(half_life_hours);
      const [r] = (await w.planner.find(ask())) as { route: PartialPayment['route'] }[];
      w.planner.resolved(part(r!.route, { failcode: 0x1007, erring_index: 1 }), []);
      w.tick(60);
      const after = (await w.planner.find(ask())) as unknown[];
      assert.equal(
        path(after).join() === '1x1x0 2x1x0 3x1x0',
        relaxed,
        `half-life ${half_life_hours ?? 'default'}: ${path(after).join(', ')}`,
      );
    }
  });

  test("a payment's caps hold though what was learned relaxed: no part is planned to carry as much over a direction that could not", async () => {
    const w = world(1 / 3600);
    const [r] = (await w.planner.find(ask())) as { route: PartialPayment['route'] }[];
    const failed = part(r!.route, { failcode: 0x1007, erring_index: 1 });
    w.planner.resolved(failed, []);
    const caps = new Map<string, number>();
    capsOf(caps, failed, []);
    w.tick(70);
    // Learned alone, the failure is forgotten after 70 s at a one-second half-life: the same path again.
    assert.deepEqual(path(await w.planner.find(ask())), ['1x1x0 2x1x0 3x1x0']);
    // With the payment's caps, A→B carries less than it failed to, the rest goes the dear way.
    const capped = (await w.planner.find(ask(), caps)) as { route: PartialPayment['route'] }[];
    const overAB = capped.filter((x) => x.route[1]!.channel === '2x1x0').reduce((sum, x) => sum + x.route[1]!.amount_msat, 0);
    assert.ok(overAB < r!.route[1]!.amount_msat, `${overAB} msat over A→B after ${r!.route[1]!.amount_msat} failed there`);
    assert.ok(path(capped).includes('1x1x0 4x1x0 5x1x0'), path(capped).join(', '));
  });

  test('nodes whose features lack var_onion_optin are left out, unless they are the payee', async () => {
    const w = world();
    w.state.nodes = [
      { nodeid: id('B'), features: '00' },
      { nodeid: id('C'), features: '0200' },
      { nodeid: D, features: '' },
    ];
    assert.deepEqual(path(await w.planner.find(ask({ maxfee_msat: 1_000_000 * SAT }))), ['1x1x0 4x1x0 5x1x0']);
  });

  test('a link that is down rejects with CONNECTION and the next plan tries again', async () => {
    const w = world();
    w.state.fail = engineError('CONNECTION', 'down');
    await assert.rejects(w.planner.find(ask()), (e: AmpkitError) => e.code === 'CONNECTION');
    w.state.fail = undefined;
    assert.deepEqual(path(await w.planner.find(ask())), ['1x1x0 2x1x0 3x1x0']);
  });
});

describe("Core Lightning's graph replies, read", () => {
  const good = {
    source: id('A'),
    destination: id('B'),
    short_channel_id: '1x2x3',
    direction: 0,
    amount_msat: 5,
    active: true,
    base_fee_millisatoshi: 1,
    fee_per_millionth: 10,
    delay: 6,
    htlc_minimum_msat: 0,
    htlc_maximum_msat: 5,
    last_update: 9,
    public: true,
  };

  test('listchannels: a good entry is read; a malformed one is left out, whatever is wrong with it', () => {
    assert.deepEqual(readChannel(good), {
      source: id('A'),
      destination: id('B'),
      short_channel_id: '1x2x3',
      direction: 0,
      amount_msat: 5,
      active: true,
      base_fee_millisatoshi: 1,
      fee_per_millionth: 10,
      delay: 6,
      htlc_minimum_msat: 0,
      htlc_maximum_msat: 5,
      last_update: 9,
    });
    const bad: Record<string, unknown>[] = [
      { source: 'zz' },
      { destination: id('A') },
      { short_channel_id: '1:2:3' },
      { direction: 2 },
      { amount_msat: 2 ** 64 },
      { amount_msat: '5' },
      { active: 'yes' },
      { fee_per_millionth: -1 },
      { base_fee_millisatoshi: 2 ** 32 },
      { delay: 1.5 },
      { htlc_maximum_msat: null },
    ];
    for (const change of bad) assert.equal(readChannel({ ...good, ...change }), undefined, JSON.stringify(change));
    assert.equal(readChannel(null), undefined);
    assert.equal(readChannel('x'), undefined);
  });

  test('listnodes: features must be hex', () => {
    assert.deepEqual(readNodeAnnouncement({ nodeid: id('A'), features: '0800', alias: 'x' }), { nodeid: id('A'), features: '0800' });
    assert.deepEqual(readNodeAnnouncement({ nodeid: id('A') }), { nodeid: id('A') });
    assert.equal(readNodeAnnouncement({ nodeid: id('A'), features: 'xyz' }), undefined);
    assert.equal(readNodeAnnouncement({ nodeid: 'A' }), undefined);
  });

  test('listpeerchannels: what the planner needs; numbers past 2^53 it does not read are no matter; a bad row is BAD_REPLY', () => {
    const row = {
      peer_id: id('A'),
      short_channel_id: '1x2x3',
      state: 'CHANNELD_NORMAL',
      peer_connected: true,
      spendable_msat: 7,
      total_msat: 9,
      their_max_htlc_value_in_flight_msat: 18446744073709551615,
      minimum_htlc_out_msat: 1,
      maximum_htlc_out_msat: 8,
    };
    assert.deepEqual(readPeerChannel(row), {
      peer_id: id('A'),
      short_channel_id: '1x2x3',
      state: 'CHANNELD_NORMAL',
      peer_connected: true,
      spendable_msat: 7,
      total_msat: 9,
      minimum_htlc_out_msat: 1,
      maximum_htlc_out_msat: 8,
    });
    for (const change of [{ peer_id: 'x' }, { spendable_msat: -1 }, { short_channel_id: 5 }, { state: 3 }]) {
      assert.throws(
        () => readPeerChannel({ ...row, ...change }),
        (e: AmpkitError) => e.code === 'BAD_REPLY',
        JSON.stringify(change),
      );
    }
  });
});
