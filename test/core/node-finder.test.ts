/**
 * pay() with the node planning, told what failed: each failed part is a lesson
 * for an askrene layer of that pay() (a hop that lacked liquidity constrained below what it
 * carried, a channel or node that failed outright disabled), the layer goes into
 * getroutes' `layers` and is removed when pay() ends; and whether the node takes layers or
 * not, a path that just failed for its amount is never sent again at once.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createEngine, memoryStore, type Engine, type PartialPayment, type PayResult } from '../../packages/core/src/index.ts';
import { lessonOf } from '../../packages/core/src/payments/node-finder.ts';
import { BOB, BOB_DAVE, OURS_BOB, daveInvoice, path, scriptedNode, type Layer, type Script, type ScriptedNode } from './scripted-node.ts';

const AMOUNT = 100_000_000;

async function payWith(
  script: Script,
  options: { retry_for?: number } = {},
): Promise<{ node: ScriptedNode; result: PayResult; engine: Engine }> {
  const node = scriptedNode(script);
  const engine = await createEngine({ node, store: memoryStore() });
  try {
    const result = await engine.pay({ bolt11: daveInvoice(AMOUNT), planner: 'node', retry_for: options.retry_for ?? 60 });
    return { node, result, engine };
  } finally {
    engine.close();
  }
}

/** Waits until `check` holds (pay() removes its layer behind its result): fails after two seconds. */
async function eventually(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), what);
}

/** bob → dave holds `room` msat: a part needing more there fails at bob with temporary_channel_failure. */
const bobHolds =
  (room: number): Script['outcome'] =>
  (route) =>
    route[0]!.id === BOB && route[1]!.amount_msat > room
      ? {
          erring_index: 1,
          failcode: 0x1007,
          failcodename: 'WIRE_TEMPORARY_CHANNEL_FAILURE',
          erring_node: BOB,
          erring_channel: '2x2x2',
          erring_direction: 0,
        }
      : 'complete';

/** Plans as askrene would from gossip with the layers it is given: bob's path while nothing rules it out, else carol's. */
const viaBobUnlessLayered = (request: { amount_msat: number }, layers: Layer): ReturnType<Script['plan']> => {
  const bobOk =
    !layers.disabledNodes.has(BOB) &&
    !layers.disabledChannels.has(BOB_DAVE) &&
    !layers.disabledChannels.has(OURS_BOB) &&
    (layers.constraints.get(BOB_DAVE) ?? Infinity) >= request.amount_msat;
  return [path(bobOk ? 'bob' : 'carol', request.amount_msat)];
};

describe('pay() with the node planning, told what failed', () => {
  test('a hop short of liquidity is constrained in a layer of this pay(), the next plan goes around it, and the layer is removed when pay() ends', async () => {
    const { node, result } = await payWith({ plan: viaBobUnlessLayered, outcome: bobHolds(AMOUNT / 2) });
    assert.equal(result.status, 'complete');
    assert.deepEqual(node.sent, [`bob:${AMOUNT}`, `carol:${AMOUNT}`]);
    const created = node.calls.filter((c) => c.startsWith('askrene-create-layer '));
    assert.equal(created.length, 1, 'one layer per pay()');
    const layer = created[0]!.split(' ')[1]!;
    // What bob → dave was asked to carry, and the layer in the plan after the failure.
    assert.ok(node.calls.includes(`askrene-inform-channel ${BOB_DAVE} ${AMOUNT}`), node.calls.join('\n'));
    assert.deepEqual(
      node.calls.filter((c) => c.startsWith('getroutes')),
      ['getroutes', `getroutes ${layer}`],
    );
    await eventually('the layer is removed', () => node.calls.includes(`askrene-remove-layer ${layer}`));
    assert.equal(node.layers.size, 0);
  });

  test('a payment that nothing failed makes no layer', async () => {
    const { node, result } = await payWith({ plan: viaBobUnlessLayered, outcome: () => 'complete' });
    assert.equal(result.status, 'complete');
    assert.deepEqual(node.sent, [`bob:${AMOUNT}`]);
    assert.deepEqual(
      node.calls.filter((c) => c.startsWith('askrene')),
      [],
    );
  });

  test('a channel that fails outright is disabled in the layer, a node that fails is disabled', async () => {
    const channel = await payWith({
      plan: viaBobUnlessLayered,
      outcome: (route) =>
        route[0]!.id === BOB ? { erring_index: 1, failcode: 0x1000 | 20, failcodename: 'WIRE_CHANNEL_DISABLED' } : 'complete',
    });
    assert.equal(channel.result.status, 'complete');
    assert.deepEqual(channel.node.sent, [`bob:${AMOUNT}`, `carol:${AMOUNT}`]);
    assert.ok(channel.node.calls.includes(`askrene-update-channel ${BOB_DAVE}`), channel.node.calls.join('\n'));

    const down = await payWith({
      plan: viaBobUnlessLayered,
      outcome: (route) =>
        route[0]!.id === BOB
          ? { erring_index: 1, failcode: 0x2000 | 2, failcodename: 'WIRE_TEMPORARY_NODE_FAILURE', erring_node: BOB }
          : 'complete',
    });
    assert.equal(down.result.status, 'complete');
    assert.deepEqual(down.node.sent, [`bob:${AMOUNT}`, `carol:${AMOUNT}`]);
    assert.ok(down.node.calls.includes(`askrene-disable-node ${BOB}`), down.node.calls.join('\n'));
  });

  test('askrene offering the failed path again (gossip says it has room): it is never sent again in this payment; pay() waits, asks after each pause, then gives up', async () => {
    // The planner ignores what it is told; bob's path always fails.
    const { node, result } = await payWith({ plan: (r) => [path('bob', r.amount_msat)], outcome: bobHolds(0) });
    assert.equal(result.status, 'failed');
    assert.match(result.failreason!, /offered only paths that just failed \(2x2x2\/0 could not carry 100000000 msat\)/);
    // Once. pay()'s three pauses with nothing in flight (REPLAN_MS) forget what failed
    // outright, not what a direction could not carry: the same part over the same hop
    // would fail again. (Once it was sent until retry_for, then once after each pause.)
    assert.deepEqual(node.sent, [`bob:${AMOUNT}`]);
    assert.equal(
      node.calls.filter((c) => c.startsWith('getroutes')).length,
      5,
      'asked once, again after the failure, then after each pause',
    );
    const calls = node.calls.filter((c) => c === 'sendpay' || c.startsWith('getroutes'));
    for (let i = 1; i < calls.length; i++)
      assert.ok(!(calls[i] === 'sendpay' && calls[i - 1] === 'sendpay'), 'a plan between any two sends');
    // Each pause starts a fresh layer; all of them are removed.
    const created = node.calls.filter((c) => c.startsWith('askrene-create-layer ')).map((c) => c.split(' ')[1]);
    assert.equal(created.length, 4);
    await eventually('every layer is removed', () => created.every((l) => node.calls.includes(`askrene-remove-layer ${l}`)));
  });

  test('a rune without askrene-*: no layer, the same check holds, nothing hammers', async () => {
    const { node, result } = await payWith({ plan: (r) => [path('bob', r.amount_msat)], outcome: bobHolds(0), refuseLayers: true });
    assert.equal(result.status, 'failed');
    assert.deepEqual(node.sent, [`bob:${AMOUNT}`]);
    // Asked once per pause (the refusal is remembered for the pay()), never informed, never in getroutes.
    assert.equal(node.calls.filter((c) => c.startsWith('askrene-create-layer')).length, 1);
    assert.deepEqual(
      node.calls.filter((c) => c.startsWith('askrene-inform') || c.startsWith('askrene-update') || c.startsWith('askrene-remove')),
      [],
    );
    assert.ok(node.calls.filter((c) => c.startsWith('getroutes')).every((c) => c === 'getroutes'));
  });

  test('a rune without askrene-*: while other parts are in flight, the path that just failed is not sent again; pay() waits for them', async () => {
    // The planner splits the amount over bob and carol and, told nothing, keeps bob's share on bob.
    const plan: Script['plan'] = (r) =>
      r.amount_msat === AMOUNT ? [path('bob', AMOUNT / 2), path('carol', AMOUNT / 2)] : [path('bob', r.amount_msat)];
    const node = scriptedNode({ plan, outcome: (route) => (route[0]!.id === BOB ? bobHolds(0)(route) : 'hold'), refuseLayers: true });
    const engine = await createEngine({ node, store: memoryStore() });
    try {
      const paying = engine.pay({ bolt11: daveInvoice(AMOUNT), planner: 'node' });
      // bob's half failed and was planned again (the same path): not sent while carol's half is held.
      await eventually('a plan after the failure', () => node.calls.filter((c) => c.startsWith('getroutes')).length >= 2);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(node.sent, [`bob:${AMOUNT / 2}`, `carol:${AMOUNT / 2}`]);
      assert.equal(node.calls.filter((c) => c.startsWith('getroutes')).length, 2, 'no plan either until a part ends');
      node.release('complete');
      const result = await paying;
      assert.equal(result.status, 'complete');
      assert.deepEqual(node.sent, [`bob:${AMOUNT / 2}`, `carol:${AMOUNT / 2}`]);
    } finally {
      engine.close();
    }
  });

  test('a node that forgot the layer (restarted) gets a new one, told everything again', async () => {
    const { node, result } = await payWith({ plan: viaBobUnlessLayered, outcome: bobHolds(AMOUNT / 2), forgetLayers: 1 });
    assert.equal(result.status, 'complete');
    assert.deepEqual(node.sent, [`bob:${AMOUNT}`, `carol:${AMOUNT}`]);
    assert.equal(node.calls.filter((c) => c.startsWith('askrene-create-layer')).length, 2);
    assert.equal(node.calls.filter((c) => c === `askrene-inform-channel ${BOB_DAVE} ${AMOUNT}`).length, 2);
  });
});

describe('lessonOf: what a failed part teaches the layer', () => {
  const route = path('bob', 5000).route;
  const failed = (fields: Partial<PartialPayment>): PartialPayment => ({
    id: 1,
    partid: 1,
    groupid: 1,
    payment_hash: '00'.repeat(32),
    destination: route[1]!.id,
    route,
    amount_msat: 5000,
    amount_sent_msat: 6000,
    status: 'failed',
    created_at: 0,
    ...fields,
  });
  test('temporary_channel_failure at a hop: that direction, constrained below what it carried', () => {
    assert.deepEqual(lessonOf(failed({ erring_index: 1, failcode: 0x1007 })), {
      kind: 'constrained',
      short_channel_id_dir: BOB_DAVE,
      amount_msat: 5000,
    });
  });
  test('any failure at our own node (index 0): our channel, disabled, whatever the code', () => {
    assert.deepEqual(lessonOf(failed({ erring_index: 0, failcode: 0x1007 })), { kind: 'channel', short_channel_id_dir: OURS_BOB });
    assert.deepEqual(lessonOf(failed({ erring_index: 0, failcode: 0x400a })), { kind: 'channel', short_channel_id_dir: OURS_BOB });
  });
  test('a NODE failure: the node that answered, disabled', () => {
    assert.deepEqual(lessonOf(failed({ erring_index: 1, failcode: 0x2002 })), { kind: 'node', node: BOB });
    assert.deepEqual(lessonOf(failed({ erring_index: 1, failcode: 0x6002 })), { kind: 'node', node: BOB });
  });
  test('other failures at a hop (disabled, unknown next peer, stale fee): the direction, disabled', () => {
    for (const failcode of [0x1014, 0x400a, 0x100c, 0x4008])
      assert.deepEqual(lessonOf(failed({ erring_index: 1, failcode })), { kind: 'channel', short_channel_id_dir: BOB_DAVE });
  });
  test('nothing from the destination, a part that arrived or is pending, or a failure without a BOLT 4 code', () => {
    assert.equal(lessonOf(failed({ erring_index: 2, failcode: 23 })), undefined);
    assert.equal(lessonOf(failed({ status: 'complete' })), undefined);
    assert.equal(lessonOf(failed({ status: 'pending' })), undefined);
    assert.equal(lessonOf(failed({ failreason: 'the part never reached the node' })), undefined);
  });
});
