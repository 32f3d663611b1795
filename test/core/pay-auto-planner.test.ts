/**
 * pay() with `planner: 'auto'` (the default), against simnet's demo topology over
 * commando: a fresh engine's first payment is planned by the node (`getroutes`) and never
 * waits for the graph, which is downloaded (only the fields the planner reads) after that
 * payment; the next payment is planned here. A node that cannot plan, or finds no route,
 * leaves the payment to the local planner. What a failed part caps for the rest of its
 * payment (capsOf; the local planner's use of the caps is in local-planner.test.ts, the
 * node planner's in node-finder.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CommandoClient } from '../../packages/wire/src/index.ts';
import { clnNode, type Node, type PartialPayment } from '../../packages/core/src/index.ts';
import { engineError } from '../../packages/core/src/errors.ts';
import { capsOf } from '../../packages/core/src/payments/auto-finder.ts';
import { engineHarness, type EngineHarness } from './engine-harness.ts';

/** A node that logs the calls the engine makes, in order. */
function logged(log: string[], refuse?: Partial<Record<keyof Node, () => Error>>) {
  return (node: Node): Node =>
    new Proxy(node, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          log.push(String(key));
          const refusal = refuse?.[key as keyof Node];
          if (refusal) return Promise.reject(refusal());
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
}

async function withHarness(run: (h: EngineHarness) => Promise<void>): Promise<void> {
  const h = await engineHarness({ mppTimeout: 1.5 });
  try {
    await run(h);
  } finally {
    await h.stop();
  }
}

async function eventually(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(check(), what);
}

describe("pay() with planner 'auto'", () => {
  test('the first payment is planned by the node with no graph download under it; the graph loads after; the next payment is planned here', () =>
    withHarness(async (h) => {
      const log: string[] = [];
      const engine = await h.engine(logged(log));
      const first = await engine.pay({ bolt11: (await h.invoice(50_000_000)).bolt11 });
      assert.equal(first.status, 'complete', first.failreason);
      assert.ok(first.parts.length > 0);
      assert.deepEqual(
        first.parts.map((p) => p.planner),
        first.parts.map(() => 'node'),
      );
      // Nothing of the graph was fetched until every part of the first payment had resolved.
      const lastPartCall = Math.max(log.lastIndexOf('sendpay'), log.lastIndexOf('waitsendpay'));
      assert.ok(lastPartCall >= 0);
      assert.ok(!log.slice(0, lastPartCall).includes('listchannels'), log.join(' '));
      await eventually('the graph is loaded after the payment', () => log.includes('listchannels'));
      let second = await engine.pay({ bolt11: (await h.invoice(50_000_000)).bolt11 });
      for (let i = 0; i < 20 && second.parts.some((p) => p.planner !== 'local'); i++) {
        await new Promise((r) => setTimeout(r, 50));
        second = await engine.pay({ bolt11: (await h.invoice(50_000_000)).bolt11 });
      }
      assert.equal(second.status, 'complete', second.failreason);
      assert.deepEqual(
        second.parts.map((p) => p.planner),
        second.parts.map(() => 'local'),
      );
      assert.equal(log.filter((m) => m === 'listchannels').length, 1, 'the graph was downloaded once');
      // The progress events say who planned each part too.
      const seen: (string | undefined)[] = [];
      engine.on('pay-progress', (p) => seen.push(...p.parts.map((part) => part.planner)));
      await engine.pay({ bolt11: (await h.invoice(20_000_000)).bolt11 });
      assert.ok(seen.length > 0 && seen.every((s) => s === 'local'), seen.join());
    }));

  test('a node that will not plan (getroutes refused): the payment waits for the graph and is planned here', () =>
    withHarness(async (h) => {
      const log: string[] = [];
      const engine = await h.engine(logged(log, { getroutes: () => engineError('PERMISSION', 'the rune does not allow getroutes') }));
      const result = await engine.pay({ bolt11: (await h.invoice(50_000_000)).bolt11 });
      assert.equal(result.status, 'complete', result.failreason);
      assert.deepEqual(
        result.parts.map((p) => p.planner),
        result.parts.map(() => 'local'),
      );
      assert.ok(log.indexOf('getroutes') < log.indexOf('listchannels'), log.join(' '));
      assert.equal(log.filter((m) => m === 'getroutes').length, 1, 'asked once, then left alone for this payment');
    }));

  test("'node' and 'local' are kept to: the node plans every part, or the graph is loaded first", () =>
    withHarness(async (h) => {
      const log: string[] = [];
      const engine = await h.engine(logged(log));
      const byNode = await engine.pay({ bolt11: (await h.invoice(20_000_000)).bolt11, planner: 'node' });
      assert.ok(byNode.parts.every((p) => p.planner === 'node'));
      const local = await engine.pay({ bolt11: (await h.invoice(20_000_000)).bolt11, planner: 'local' });
      assert.ok(local.parts.every((p) => p.planner === 'local'));
      assert.equal(log.filter((m) => m === 'getroutes').length, byNode.parts.length > 0 ? log.filter((m) => m === 'getroutes').length : 0);
      assert.ok(log.indexOf('listchannels') > log.lastIndexOf('getroutes'), 'the local pay() loaded the graph, the node pay() did not');
    }));
});

describe('capsOf: what a failed part caps for the rest of its payment', () => {
  const hop = (channel: string, amount_msat: number, direction: 0 | 1 = 0) => ({
    id: `02${'1'.repeat(64)}`,
    channel,
    direction,
    amount_msat,
    delay: 9,
  });
  const part = (id: number, fields: Partial<PartialPayment>): PartialPayment =>
    ({
      id,
      payment_hash: 'ab'.repeat(32),
      groupid: 1,
      partid: id,
      status: 'failed',
      amount_msat: 1000,
      amount_sent_msat: 1100,
      destination: `02${'2'.repeat(64)}`,
      created_at: 1,
      route: [hop('1x1x1', 3000), hop('2x2x2', 2000), hop('3x3x3', 1000)],
      ...fields,
    }) as PartialPayment;

  test('temporary_channel_failure past our node caps that direction at the part plus what our other parts held there', () => {
    const caps = new Map<string, number>();
    const holding = part(2, { status: 'pending', route: [hop('9x9x9', 600), hop('2x2x2', 500)] });
    capsOf(caps, part(1, { failcode: 0x1007, erring_index: 1 }), [holding]);
    assert.deepEqual([...caps], [['2x2x2/0', 2500]]);
    // A smaller failure lowers it; a larger one does not raise it.
    capsOf(caps, part(3, { failcode: 0x1007, erring_index: 1, route: [hop('1x1x1', 1200), hop('2x2x2', 1100)] }), []);
    capsOf(caps, part(4, { failcode: 0x1007, erring_index: 1, route: [hop('1x1x1', 9000), hop('2x2x2', 8000)] }), []);
    assert.deepEqual([...caps], [['2x2x2/0', 1100]]);
  });

  test('our own channel, the payee, other failures and parts not failed cap nothing', () => {
    const caps = new Map<string, number>();
    capsOf(caps, part(1, { failcode: 0x1007, erring_index: 0 }), []);
    capsOf(caps, part(1, { failcode: 0x1007, erring_index: 3 }), []);
    capsOf(caps, part(1, { failcode: 0x2002, erring_index: 1 }), []);
    capsOf(caps, part(1, { failcode: 0x1007, erring_index: 1, status: 'complete' }), []);
    capsOf(caps, part(1, { failcode: 0x1007 }), []);
    assert.equal(caps.size, 0);
  });
});

describe('listchannels and listnodes ask for the fields the planner reads', () => {
  test('a field filter goes with each request, and the entries read back whole', async () => {
    const asked: { method: string; filter?: unknown }[] = [];
    const client = {
      nodeId: `02${'3'.repeat(64)}`,
      async request(method: string, _params: unknown, options: { filter?: unknown } = {}) {
        asked.push({ method, filter: options.filter });
        if (method === 'listnodes') return { nodes: [{ nodeid: `02${'4'.repeat(64)}`, features: '0800' }] };
        return {
          channels: [
            {
              source: `02${'4'.repeat(64)}`,
              destination: `02${'5'.repeat(64)}`,
              short_channel_id: '1x2x3',
              direction: 0,
              amount_msat: 1_000_000,
              active: true,
              base_fee_millisatoshi: 1,
              fee_per_millionth: 10,
              delay: 6,
              htlc_minimum_msat: 0,
              htlc_maximum_msat: 990_000,
            },
          ],
        };
      },
    } as unknown as CommandoClient;
    const node = clnNode(client);
    const [channels, nodes] = await Promise.all([node.listchannels(), node.listnodes()]);
    assert.equal(channels.length, 1);
    assert.equal(channels[0]!.htlc_maximum_msat, 990_000);
    assert.deepEqual(nodes, [{ nodeid: `02${'4'.repeat(64)}`, features: '0800' }]);
    const channelFields = Object.keys(
      (asked.find((a) => a.method === 'listchannels')!.filter as { channels: [object] }).channels[0],
    ).sort();
    assert.deepEqual(channelFields, [
      'active',
      'amount_msat',
      'base_fee_millisatoshi',
      'delay',
      'destination',
      'direction',
      'fee_per_millionth',
      'htlc_maximum_msat',
      'htlc_minimum_msat',
      'short_channel_id',
      'source',
    ]);
    assert.deepEqual(asked.find((a) => a.method === 'listnodes')!.filter, { nodes: [{ nodeid: true, features: true }] });
  });
});
