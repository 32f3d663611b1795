/**
 * `pay({ planner: 'node' })` (askrene's getroutes on Core Lightning, QueryRoutes on lnd) when
 * a channel has far less room than gossip says:
 * bob → dave has far less room than gossip says (bob paid most of it to dave), and alice pays dave
 * over bob and carol with the node's planner. askrene plans from gossip, so the path over
 * bob fails; the engine must tell the node's planner (its askrene layer) and never send a
 * path again for what just failed there while other parts are in flight. Before the fix a
 * real node got 194 identical parts through bob in 20 s.
 *
 * The drain is a real payment, bob to dave over their channel, paid back the same way when
 * the test ends, so nothing waits on a timeout; a payment that completes is given back with
 * `target.rebalance()`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect, decodeBolt11, type CommandoClient } from '../../packages/wire/src/index.ts';
import { NodeWebSocket } from '../../packages/wire/src/node.ts';
import { clnNode, createEngine, type Engine, type PartialPayment, type PayResult } from '../../packages/core/src/index.ts';
import { engineOn, eventually, journal, nodeInvoice } from './helpers.ts';
import { clientOf, offChannels, type ClnTarget, type NodeSide, type Target } from './target.ts';

/** BOLT 4 temporary_channel_failure: the hop lacked room for the amount. */
const TEMPORARY_CHANNEL_FAILURE = 0x1007;

const dirOf = (hop: PartialPayment['route'][number]) => `${hop.channel}/${hop.direction}`;

/**
 * Follows an engine's parts in the order they are created and resolved, and lists every
 * part sent, while others were in flight, along a direction that had already failed in
 * that stretch for its amount or less (for any amount, when it failed outright). pay() may
 * try a path again only after a pause with nothing in flight, so a stretch ends there.
 */
function repeatsOfFailures(engine: Engine, payment_hash: string): { repeats: string[]; stop(): void } {
  const repeats: string[] = [];
  const inFlight = new Set<number>();
  let failedAt = new Map<string, number>();
  const stops = [
    engine.on('part-created', (part) => {
      if (part.payment_hash !== payment_hash) return;
      if (inFlight.size === 0) failedAt = new Map();
      for (const hop of part.route) {
        const limit = failedAt.get(dirOf(hop));
        if (limit !== undefined && hop.amount_msat >= limit)
          repeats.push(`part ${part.partid}: ${dirOf(hop)} with ${hop.amount_msat} msat, after it failed for ${limit}`);
      }
      inFlight.add(part.id);
    }),
    engine.on('part-updated', (part) => {
      if (part.payment_hash !== payment_hash || part.status === 'pending') return;
      inFlight.delete(part.id);
      const k = part.erring_index;
      if (part.status !== 'failed' || k === undefined || k >= part.route.length) return;
      const hop = part.route[k]!;
      const limit = k > 0 && part.failcode === TEMPORARY_CHANNEL_FAILURE ? hop.amount_msat : 0;
      failedAt.set(dirOf(hop), Math.min(limit, failedAt.get(dirOf(hop)) ?? Infinity));
    }),
  ];
  return { repeats, stop: () => stops.forEach((s) => s()) };
}

/**
 * What the node-planner scenarios share: alice's engine, bob's node side, the drain of
 * bob → dave and a pay() watched for repeats. Opened in the suite's `before`.
 */
function plannerSuite(target: () => Target) {
  const s = {} as { engine: Engine; alice: NodeSide; bob: NodeSide; close: () => void };
  before(async () => {
    const opened = await engineOn(target(), 'alice');
    Object.assign(s, { engine: opened.engine, alice: opened.side, close: opened.close, bob: await target().sideOf('bob') });
  });
  after(() => {
    s.close?.();
    s.bob?.close();
  });

  /**
   * Leaves bob → dave with `room_msat` that bob can still send (less than gossip's million):
   * bob pays dave the rest straight over their channel. Returns the way back: dave pays bob
   * as much again over the same channel. Nothing waits on a timeout either way.
   */
  const drainBobDave = async (room_msat: number): Promise<() => Promise<void>> => {
    const t = target();
    const { bob } = s;
    const dave = await t.sideOf('dave');
    const channelTo = async (from: NodeSide, peer: 'bob' | 'dave') =>
      (await from.channels()).find((c) => c.peer_id === t.nodes[peer].id && c.usable)!;
    const direct = async (from: NodeSide, to: 'bob' | 'dave', amount_msat: number) => {
      const label = `drain-${Date.now()}-${Math.random().toString(36).slice(2)}`;
      const { bolt11 } = await (to === 'dave' ? dave : bob).invoice(amount_msat, label);
      const inv = decodeBolt11(bolt11);
      const channel = await channelTo(from, to);
      const route = [
        { id: t.nodes[to].id, channel: channel.short_channel_id, amount_msat, delay: inv.min_final_cltv_expiry + 2, style: 'tlv' },
      ];
      await from.payRoute(route, { payment_hash: inv.payment_hash, payment_secret: inv.payment_secret!, amount_msat });
      await offChannels(t, [inv.payment_hash]);
    };
    const roomOf = async (from: NodeSide, peer: 'bob' | 'dave') => (await channelTo(from, peer)).spendable_msat;
    // Whatever the scenarios before left on bob ↔ dave: first bob gets back all dave may give.
    const topUp = (await roomOf(dave, 'bob')) - 1_000_000;
    if (topUp > 10_000_000) await direct(dave, 'bob', topUp);
    const spendable = await roomOf(bob, 'dave');
    // spendable_msat may not leave room for the HTLC fee bob pays as the funder: a margin.
    const amount = spendable - room_msat - 5_000_000;
    assert.ok(amount > 0, `bob can send only ${spendable} msat to dave`);
    await direct(bob, 'dave', amount);
    return async () => {
      try {
        // dave keeps his channel reserve: he gives back all he may, at most what he got.
        await direct(dave, 'bob', Math.min(amount, await roomOf(dave, 'bob')));
      } finally {
        dave.close();
      }
    };
  };

  /** The pay() layers the node keeps; none to look at on lnd, where they live in the adapter. */
  const ours = async () => (await s.alice.payLayers?.()) ?? [];

  /** pay() with the node planner (on `by`, alice's engine by default), watched for repeats of what failed. */
  const payWatched = async (
    amount_msat: number,
    retry_for: number,
    by = s.engine,
  ): Promise<{ result: PayResult; repeats: string[]; sendpays: number }> => {
    const inv = await nodeInvoice(target(), amount_msat);
    const watch = repeatsOfFailures(by, inv.payment_hash);
    try {
      const result = await by.pay({ bolt11: inv.bolt11, planner: 'node', retry_for });
      await offChannels(target(), [inv.payment_hash]);
      return { result, repeats: watch.repeats, sendpays: (await s.alice.sentParts(inv.payment_hash)).length };
    } finally {
      watch.stop();
    }
  };

  return { drainBobDave, ours, payWatched };
}

/** pay() with the node's planner on any node: no path sent again for what just failed, and the payment completes when it can. */
export function nodePlannerScenarios(target: () => Target): void {
  const { drainBobDave, ours, payWatched } = plannerSuite(target);
  test('bob → dave nearly full, 1,200,000 sat that cannot arrive: no path is sent again for what just failed on it, and pay() gives up cleanly', async () => {
    const released = await drainBobDave(40_000_000);
    let result: PayResult | undefined;
    try {
      // alice → carol → dave carries about 985,000 sat, bob → dave about 40,000 now: not enough.
      const watched = await payWatched(1_200_000_000, 20);
      result = watched.result;
      const { repeats, sendpays } = watched;
      assert.deepEqual(repeats, []);
      assert.ok(
        result.parts.every((p) => p.status !== 'pending'),
        'every part in flight was waited for',
      );
      assert.equal(sendpays, result.attempts, 'the journal has every part the node has');
      // A real node once took 194 parts in 20 s; each failure now teaches the node's planner.
      assert.ok(
        result.attempts <= 10,
        `${result.attempts} parts: ${result.parts.map((p) => `${p.route[0]!.id.slice(0, 8)}:${p.amount_msat}:${p.failcodename ?? p.status}`).join(', ')}`,
      );
      if (result.status === 'failed') assert.match(result.failreason!, /retry_for|no route/);
      // The layer of this pay() is removed once it ends.
      await eventually("the pay()'s layer removed", async () => ((await ours()).length === 0 ? true : undefined));
    } finally {
      await released();
      if (result?.status === 'complete') await target().rebalance();
    }
  });

  test('bob → dave with less room than gossip says, 1,200,000 sat that can arrive: the node planner learns where it fails and completes', async () => {
    const released = await drainBobDave(390_000_000);
    try {
      // carol's path carries about 985,000 sat, bob's about 390,000 now: enough, once the node's planner learns bob's is short.
      const { result, repeats, sendpays } = await payWatched(1_200_000_000, 60);
      assert.equal(result.status, 'complete', result.failreason);
      assert.deepEqual(repeats, []);
      assert.equal(result.amount_delivered_msat, 1_200_000_000);
      assert.equal(sendpays, result.attempts);
      assert.ok(result.attempts <= 10, `${result.attempts} parts`);
      await eventually("the pay()'s layer removed", async () => ((await ours()).length === 0 ? true : undefined));
    } finally {
      await released();
      await target().rebalance();
    }
  });
}

/** Core Lightning only: a rune without askrene-create-layer (lnd has no runes and no layers at the node). */
export function askreneRuneScenario(target: () => ClnTarget): void {
  const { drainBobDave, ours, payWatched } = plannerSuite(target);
  let alice: CommandoClient;
  before(async () => {
    alice = await clientOf(target(), 'alice');
  });
  after(() => alice?.close());

  test('a rune that may not make askrene layers: pay() plans without one, and still sends no path again for what just failed on it', async () => {
    const t = target();
    // Everything but askrene-create-layer: the node refuses the layer (19537), as a rune that never heard of askrene would.
    const { rune } = await alice.request('createrune', { restrictions: [['method/askrene-create-layer']] });
    const limited = await connect({
      nodeId: t.nodes.alice.id,
      url: t.nodes.alice.ws_url,
      rune,
      WebSocket: NodeWebSocket,
      reconnect: false,
      timeout: 30_000,
    });
    const other = await createEngine({ node: clnNode(limited), store: journal(), waitChunk: 5, mppTimeout: t.mppTimeout });
    const released = await drainBobDave(40_000_000);
    let result: PayResult | undefined;
    try {
      const watched = await payWatched(1_200_000_000, 20, other);
      result = watched.result;
      assert.deepEqual(watched.repeats, []);
      assert.equal(watched.sendpays, result.attempts);
      assert.ok(
        result.attempts <= 10,
        `${result.attempts} parts: ${result.parts.map((p) => `${p.route[0]!.id.slice(0, 8)}:${p.amount_msat}:${p.failcodename ?? p.status}`).join(', ')}`,
      );
      assert.deepEqual(await ours(), [], 'no layer was made');
    } finally {
      other.close();
      limited.close();
      await released();
      if (result?.status === 'complete') await t.rebalance();
    }
  });
}
