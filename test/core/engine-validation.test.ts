/**
 * Bad input is INVALID_ARGUMENT (or OVERPAY / AMOUNT_MISMATCH) before anything is stored or
 * sent; the Core Lightning adapter reads the node's replies as the fixtures show them and
 * refuses replies it cannot trust.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CommandoClient } from '../../packages/wire/src/index.ts';
import { RpcError, WireError } from '../../packages/wire/src/index.ts';
import { AmpkitError, clnNode, createEngine, memoryStore, type Node } from '../../packages/core/src/index.ts';
import { fixture } from '../simnet/harness.ts';
import { noReceiving } from './fake-node.ts';

const NODE_ID = '02' + '11'.repeat(32);
const HOP = { id: '03' + '22'.repeat(32), channel: '103x1x0', direction: 0 as const, amount_msat: 1000, delay: 18 };

/** A node that records every call and answers none of them. */
function silentNode(): { node: Node; calls: string[] } {
  const calls: string[] = [];
  const refuse = (method: string) => () => {
    calls.push(method);
    return Promise.reject(new Error(`${method} must not be called`));
  };
  return {
    calls,
    node: {
      ...noReceiving,
      id: NODE_ID,
      sendpay: refuse('sendpay'),
      waitsendpay: refuse('waitsendpay'),
      listsendpays: refuse('listsendpays'),
      connected: () => Promise.resolve(),
    },
  };
}

const good = { route: [HOP], payment_hash: 'aa'.repeat(32), intended_amount_msat: 1000, payment_secret: 'bb'.repeat(32) };

const BAD: Array<[string, Record<string, unknown>, string]> = [
  ['payment_hash too short', { payment_hash: 'aa'.repeat(31) }, 'INVALID_ARGUMENT'],
  ['payment_hash in upper case', { payment_hash: 'AA'.repeat(32) }, 'INVALID_ARGUMENT'],
  ['payment_hash not a string', { payment_hash: 42 }, 'INVALID_ARGUMENT'],
  ['payment_secret missing', { payment_secret: undefined }, 'INVALID_ARGUMENT'],
  ['payment_secret not hex', { payment_secret: 'zz'.repeat(32) }, 'INVALID_ARGUMENT'],
  ['amount zero', { intended_amount_msat: 0 }, 'INVALID_ARGUMENT'],
  ['amount negative', { intended_amount_msat: -1 }, 'INVALID_ARGUMENT'],
  ['amount fractional', { intended_amount_msat: 1000.5 }, 'INVALID_ARGUMENT'],
  ['amount past 2^53', { intended_amount_msat: 2 ** 53 }, 'INVALID_ARGUMENT'],
  ['amount as a string', { intended_amount_msat: '1000' }, 'INVALID_ARGUMENT'],
  ['route empty', { route: [] }, 'INVALID_ARGUMENT'],
  ['route not an array', { route: HOP }, 'INVALID_ARGUMENT'],
  ['hop id not a key', { route: [{ ...HOP, id: '04' + '22'.repeat(32) }] }, 'INVALID_ARGUMENT'],
  ['hop channel malformed', { route: [{ ...HOP, channel: '103:1:0' }] }, 'INVALID_ARGUMENT'],
  ['hop amount missing', { route: [{ ...HOP, amount_msat: undefined }] }, 'INVALID_ARGUMENT'],
  ['hop delay negative', { route: [{ ...HOP, delay: -1 }] }, 'INVALID_ARGUMENT'],
  ['hop direction 2', { route: [{ ...HOP, direction: 2 }] }, 'INVALID_ARGUMENT'],
  [
    'amount grows along the route',
    {
      route: [
        { ...HOP, amount_msat: 500 },
        { ...HOP, amount_msat: 600 },
      ],
    },
    'INVALID_ARGUMENT',
  ],
  [
    'delay grows along the route',
    {
      route: [
        { ...HOP, delay: 10 },
        { ...HOP, amount_msat: 900, delay: 20 },
      ],
    },
    'INVALID_ARGUMENT',
  ],
  ['a part bigger than the payment', { route: [{ ...HOP, amount_msat: 1001 }] }, 'OVERPAY'],
  ['bolt11 that does not decode', { bolt11: 'lnbc1notaninvoice' }, 'INVALID_ARGUMENT'],
  ['description not a string', { description: 7 }, 'INVALID_ARGUMENT'],
];

describe('sendpartialpay validation: nothing stored, nothing sent', () => {
  for (const [name, change, code] of BAD) {
    test(name, async () => {
      const { node, calls } = silentNode();
      const engine = await createEngine({ node, store: memoryStore() });
      await assert.rejects(engine.sendpartialpay({ ...good, ...change } as never), (error: unknown) => {
        assert.ok(error instanceof AmpkitError);
        assert.equal(error.code, code, error.message);
        return true;
      });
      assert.deepEqual(calls, []);
      assert.deepEqual((await engine.listpayments()).payments, []);
      assert.deepEqual((await engine.listpartialpayments()).partialpayments, []);
    });
  }

  test('a bolt11 for another payment hash is refused', async () => {
    const inv = fixture('invoice.json');
    const { node, calls } = silentNode();
    const engine = await createEngine({ node, store: memoryStore() });
    await assert.rejects(engine.sendpartialpay({ ...good, intended_amount_msat: 1000, bolt11: inv.bolt11 }), /another payment_hash/);
    assert.deepEqual(calls, []);
  });

  test('wait and list arguments are checked too', async () => {
    const engine = await createEngine({ node: silentNode().node, store: memoryStore() });
    for (const call of [
      () => engine.waitpartialpay({ id: 0 }),
      () => engine.waitpartialpay({ id: 1, timeout: -1 }),
      () => engine.waitsendpay({ payment_hash: 'xyz' }),
      () => engine.listpartialpayments({ payment_hash: 'aa' }),
      () => engine.listpayments({ status: 'done' as never }),
    ]) {
      await assert.rejects(call(), (e: AmpkitError) => e.code === 'INVALID_ARGUMENT');
    }
  });

  test('createEngine refuses a node without an id, a store that is not one, a half-life that is not a positive number', async () => {
    await assert.rejects(
      createEngine({ node: { ...silentNode().node, id: 'nope' }, store: memoryStore() }),
      (e: AmpkitError) => e.code === 'INVALID_ARGUMENT',
    );
    await assert.rejects(createEngine({ node: silentNode().node, store: {} as never }), (e: AmpkitError) => e.code === 'INVALID_ARGUMENT');
    for (const learnedHalfLife of [0, -1, Infinity, NaN]) {
      await assert.rejects(
        createEngine({ node: silentNode().node, store: memoryStore(), learnedHalfLife }),
        (e: AmpkitError) => e.code === 'INVALID_ARGUMENT' && /learnedHalfLife/.test(e.message),
      );
    }
  });

  test('an engine closed while a wait reads the journal: the wait rejects with CONNECTION, no rejection is left unhandled', async () => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      const base = memoryStore();
      const slow = {
        async open(id: string) {
          const journal = await base.open(id);
          return new Proxy(journal, {
            get(target, key, receiver) {
              const value = Reflect.get(target, key, receiver);
              if (key !== 'getPart' && key !== 'read') return typeof value === 'function' ? value.bind(target) : value;
              return async (...args: unknown[]) => {
                await new Promise((r) => setTimeout(r, 30));
                return (value as (...a: unknown[]) => unknown).apply(target, args);
              };
            },
          });
        },
      } as typeof base;
      const engine = await createEngine({ node: silentNode().node, store: slow });
      const part = engine.waitpartialpay({ id: 1 });
      const payment = engine.waitsendpay({ payment_hash: 'ab'.repeat(32) });
      engine.close();
      for (const wait of [part, payment]) await assert.rejects(wait, (e: AmpkitError) => e.code === 'CONNECTION');
      await new Promise((r) => setTimeout(r, 60));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });

  test('a closed engine refuses with CONNECTION and rejects its waiters', async () => {
    const engine = await createEngine({ node: silentNode().node, store: memoryStore() });
    engine.close();
    await assert.rejects(engine.sendpartialpay(good), (e: AmpkitError) => e.code === 'CONNECTION');
  });
});

/** A commando client whose answers are scripted per method. */
function scriptedClient(answer: (method: string, params: Record<string, unknown>) => unknown): CommandoClient {
  return {
    nodeId: NODE_ID,
    state: 'open',
    async request(method: string, params: Record<string, unknown> = {}) {
      return answer(method, params);
    },
    on: () => () => undefined,
    close: () => undefined,
  } as unknown as CommandoClient;
}

function rpcError(method: string, name: string): RpcError {
  const f = fixture(name);
  return new RpcError(method, f.code, f.message, f.data);
}

describe('clnNode reads Core Lightning replies', () => {
  const key = { payment_hash: 'aa'.repeat(32), groupid: 1, partid: 1, timeout: 1 };

  test('a complete part (waitsendpay-complete.json), with its preimage checked against the hash', async () => {
    const node = clnNode(scriptedClient(() => fixture('waitsendpay-complete.json')));
    const part = await node.waitsendpay(key);
    assert.equal(part.status, 'complete');
    assert.equal(part.partid, 2);
    assert.equal(part.amount_msat, 776399446);
    assert.equal(part.payment_preimage, fixture('waitsendpay-complete.json').payment_preimage);
  });

  test('mpp_timeout (204) is a failed part with its failure fields', async () => {
    const node = clnNode(
      scriptedClient(() => {
        throw rpcError('waitsendpay', 'waitsendpay-mpp-timeout.json');
      }),
    );
    const part = await node.waitsendpay(key);
    assert.deepEqual(
      [part.status, part.failcode, part.failcodename, part.erring_index, part.erring_channel],
      ['failed', 23, 'WIRE_MPP_TIMEOUT', 1, '103x1x0'],
    );
  });

  test('an unknown hash (203) is a failed part with failcode 16399', async () => {
    const node = clnNode(
      scriptedClient(() => {
        throw rpcError('waitsendpay', 'waitsendpay-failed-unknown-hash.json');
      }),
    );
    assert.equal((await node.waitsendpay(key)).failcode, 16399);
  });

  test("200 is TIMEOUT, 208 NOT_FOUND, 201 on sendpay NODE_ERROR with the node's code", async () => {
    const timeout = clnNode(
      scriptedClient(() => {
        throw rpcError('waitsendpay', 'waitsendpay-timeout.json');
      }),
    );
    await assert.rejects(timeout.waitsendpay(key), (e: AmpkitError) => e.code === 'TIMEOUT');
    const never = clnNode(
      scriptedClient(() => {
        throw new RpcError('waitsendpay', 208, 'Never attempted payment part 1');
      }),
    );
    await assert.rejects(never.waitsendpay(key), (e: AmpkitError) => e.code === 'NOT_FOUND');
    const refused = clnNode(
      scriptedClient(() => {
        throw rpcError('sendpay', 'sendpay-same-partid-after-fail.json');
      }),
    );
    await assert.rejects(
      refused.sendpay({
        route: [HOP],
        payment_hash: key.payment_hash,
        partid: 1,
        groupid: 1,
        amount_msat: 1000,
        payment_secret: 'bb'.repeat(32),
      }),
      (e: AmpkitError) => e.code === 'NODE_ERROR' && e.nodeCode === 201,
    );
  });

  test('listsendpays rows (listsendpays-mpp-complete.json) and a pending sendpay (sendpay-part1.json)', async () => {
    const node = clnNode(
      scriptedClient((method) => (method === 'listsendpays' ? fixture('listsendpays-mpp-complete.json') : fixture('sendpay-part1.json'))),
    );
    const rows = await node.listsendpays({ payment_hash: key.payment_hash });
    assert.deepEqual(
      rows.map((r) => [r.partid, r.status, r.amount_sent_msat]),
      [
        [2, 'complete', 776399446],
        [3, 'complete', 723607791],
      ],
    );
    const sent = await node.sendpay({
      route: [HOP],
      payment_hash: key.payment_hash,
      partid: 1,
      groupid: 1,
      amount_msat: 1000,
      payment_secret: 'bb'.repeat(32),
    });
    assert.equal(sent.status, 'pending');
  });

  test('replies it cannot trust are BAD_REPLY: a wrong preimage, a missing field, a strange status', async () => {
    const complete = fixture('waitsendpay-complete.json');
    for (const reply of [
      { ...complete, payment_preimage: '00'.repeat(32) },
      { ...complete, payment_preimage: undefined },
      { ...complete, partid: 'one' },
      { ...complete, status: 'paid' },
      { ...complete, amount_msat: -5 },
      null,
      'complete',
    ]) {
      const node = clnNode(scriptedClient(() => reply));
      await assert.rejects(node.waitsendpay(key), (e: AmpkitError) => e.code === 'BAD_REPLY');
    }
    const node = clnNode(scriptedClient(() => ({ payments: 'none' })));
    await assert.rejects(node.listsendpays({ payment_hash: key.payment_hash }), (e: AmpkitError) => e.code === 'BAD_REPLY');
  });

  test('a dropped link stays CONNECTION', async () => {
    const node = clnNode(
      scriptedClient(() => {
        throw new WireError('CONNECTION', 'connection lost');
      }),
    );
    await assert.rejects(node.listsendpays({ payment_hash: key.payment_hash }), (e: AmpkitError) => e.code === 'CONNECTION');
  });
});
