/**
 * A `sendpay` Core Lightning refuses before it records the part (code 204, "No
 * connection to first peer found" or "First peer not ready", `data` holding only the
 * failure fields: test/fixtures/cln/sendpay-*-first-peer*.json) fails that part at once,
 * with the node's words and failure fields, and is never sent again; a `waitsendpay`
 * failure without the part is completed from the node's own record.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RpcError, type CommandoClient } from '../../packages/wire/src/index.ts';
import { AmpkitError, clnNode, createEngine, memoryStore, type SendpayRequest, type SentPart } from '../../packages/core/src/index.ts';
import { realFixture } from '../simnet/harness.ts';

const US = '033b14ac5402f37ee28801324962680ccf2d9ab8cb969f3a8970145ab48f3b3f18';
const BOB = '0273b05518024a008b1efa744ebc45e7e9fd922b9c9e1b33e25251ff2f8d994289';
const DAVE = '03764f696825d1b9f3e6a46a6c3efa99d06c23c371d74188331ec0747590536968';
const HASH = 'aa'.repeat(32);

type Answer = (method: string, params: Record<string, unknown>) => unknown;

/** A commando client whose node answers with `answer` (a thrown RpcError is the node's error). */
function scriptedClient(answer: Answer): CommandoClient & { calls: string[] } {
  const calls: string[] = [];
  return {
    nodeId: US,
    state: 'open',
    calls,
    async request(method: string, params: Record<string, unknown> = {}) {
      calls.push(method);
      return answer(method, params);
    },
    on: () => () => undefined,
    close: () => undefined,
  } as unknown as CommandoClient & { calls: string[] };
}

/** The real node's refusal, as the wire hands it over. */
function refusal(name: string): RpcError {
  const { error } = realFixture(name);
  return new RpcError('sendpay', error.code, error.message, error.data);
}

const request: SendpayRequest = {
  route: [
    { id: BOB, channel: '105x1x0', direction: 1, amount_msat: 1_001_000, delay: 42, style: 'tlv' },
    { id: DAVE, channel: '105x2x0', direction: 0, amount_msat: 1_000_000, delay: 18, style: 'tlv' },
  ],
  payment_hash: HASH,
  partid: 3,
  groupid: 2,
  amount_msat: 5_000_000,
  payment_secret: 'bb'.repeat(32),
};

describe('clnNode: a sendpay refused before the node records it', () => {
  test('"No connection to first peer found": the part failed, with the node\'s words and failure fields', async () => {
    const node = clnNode(
      scriptedClient(() => {
        throw refusal('sendpay-no-first-peer.json');
      }),
    );
    const data = realFixture('sendpay-no-first-peer.json').error.data;
    assert.deepEqual(await node.sendpay(request), {
      payment_hash: HASH,
      groupid: 2,
      partid: 3,
      status: 'failed',
      amount_msat: 1_000_000,
      amount_sent_msat: 1_001_000,
      erring_index: 0,
      failcode: 0x400a,
      failcodename: 'WIRE_UNKNOWN_NEXT_PEER',
      erring_node: data.erring_node,
      failreason: 'No connection to first peer found',
    });
  });

  test('"First peer not ready": the erring channel and direction come along', async () => {
    const node = clnNode(
      scriptedClient(() => {
        throw refusal('sendpay-first-peer-not-ready.json');
      }),
    );
    const part = await node.sendpay(request);
    assert.equal(part.status, 'failed');
    assert.deepEqual([part.erring_index, part.failcode, part.erring_channel, part.erring_direction], [0, 0x1007, '105x1x0', 1]);
    assert.equal(part.failreason, 'failed: WIRE_TEMPORARY_CHANNEL_FAILURE (First peer not ready)');
  });

  test('a refusal whose data is not an object is BAD_REPLY, not a failed part', async () => {
    const node = clnNode(
      scriptedClient(() => {
        throw new RpcError('sendpay', 204, 'No connection to first peer found', 'gibberish');
      }),
    );
    await assert.rejects(node.sendpay(request), (e: AmpkitError) => e.code === 'BAD_REPLY');
  });
});

describe('clnNode: a waitsendpay failure without the part', () => {
  const listed = (status: string) => ({
    payments: [
      {
        created_index: 1,
        id: 1,
        payment_hash: HASH,
        groupid: 2,
        partid: 3,
        destination: DAVE,
        amount_msat: 1_000_000,
        amount_sent_msat: 1_001_000,
        created_at: 1,
        status,
      },
    ],
  });
  // lightningd/pay.c wait_payment: a failed part whose failure was not stored.
  const unknownReason = () => {
    throw new RpcError('waitsendpay', 209, 'Payment failure reason unknown');
  };
  const key = { payment_hash: HASH, groupid: 2, partid: 3, timeout: 5 };

  test("the node lists it failed: failed, with the node's words", async () => {
    const client = scriptedClient((method) => (method === 'listsendpays' ? listed('failed') : unknownReason()));
    const part = await clnNode(client).waitsendpay(key);
    assert.equal(part.status, 'failed');
    assert.equal(part.failreason, 'Payment failure reason unknown');
    assert.deepEqual(client.calls, ['waitsendpay', 'listsendpays']);
  });

  test('the node does not list it: NOT_FOUND (it never had it); it lists it pending: BAD_REPLY (asked again later)', async () => {
    await assert.rejects(
      clnNode(scriptedClient((m) => (m === 'listsendpays' ? { payments: [] } : unknownReason()))).waitsendpay(key),
      (e: AmpkitError) => e.code === 'NOT_FOUND',
    );
    await assert.rejects(
      clnNode(scriptedClient((m) => (m === 'listsendpays' ? listed('pending') : unknownReason()))).waitsendpay(key),
      (e: AmpkitError) => e.code === 'BAD_REPLY',
    );
  });
});

describe('the engine: a part refused before the node recorded it', () => {
  test("sendpartialpay answers failed at once; the journal has the node's reason and failure fields; nothing is sent again or waited for", async () => {
    const client = scriptedClient((method) => {
      if (method === 'listsendpays') return { payments: [] };
      if (method === 'sendpay') throw refusal('sendpay-first-peer-not-ready.json');
      throw new Error(`${method} was not expected`);
    });
    const engine = await createEngine({ node: clnNode(client), store: memoryStore() });
    try {
      const sent = (await engine.sendpartialpay({
        route: request.route,
        payment_hash: HASH,
        intended_amount_msat: 5_000_000,
        payment_secret: 'bb'.repeat(32),
      })) as SentPart;
      assert.equal(sent.status, 'failed');
      const part = await engine.waitpartialpay({ id: sent.id, timeout: 0 });
      assert.equal(part.status, 'failed');
      assert.deepEqual([part.erring_index, part.failcodename, part.erring_channel], [0, 'WIRE_TEMPORARY_CHANNEL_FAILURE', '105x1x0']);
      assert.equal(part.failreason, 'failed: WIRE_TEMPORARY_CHANNEL_FAILURE (First peer not ready)');
      assert.equal((await engine.listpayments({ payment_hash: HASH })).payments[0]!.status, 'failed');
      // Once the refusal was an unreadable reply: sent again at 0.25, 1, 5, 15 s without end.
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(client.calls.filter((m) => m === 'sendpay').length, 1);
      assert.equal(client.calls.filter((m) => m === 'waitsendpay').length, 0);
    } finally {
      engine.close();
    }
  });
});
