/**
 * A `sendpay` the node never answers (docs/engine-rules.md, "Sending"): it used to wait as
 * long as the link lived, and the part with it. Now it ends with `TIMEOUT` after
 * `sendpayTimeout` (60 s by default), a wire failure and not a node refusal, so the engine
 * treats the part as one that may or may not have reached the node: it sends it again under
 * the same (groupid, partid), which Core Lightning answers from its record
 * (cln-fixtures/sendpay-same-partid-pending.json), and one HTLC is all there ever is.
 */
import assert from 'node:assert/strict';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { after, before, describe, test } from 'node:test';
import { connect, type CommandoClient } from '../../packages/wire/src/index.ts';
import { NodeWebSocket } from '../../packages/wire/src/node.ts';
import { MessageType } from '../../packages/wire/src/message.ts';
import { AmpkitError, clnNode, createEngine, memoryStore, type SendpayRequest, type SentPart } from '../../packages/core/src/index.ts';
import { fakeNode, replyPayload, type FakeRequest } from '../wire/fake-node.ts';

const BOB = '0273b05518024a008b1efa744ebc45e7e9fd922b9c9e1b33e25251ff2f8d994289';
const DAVE = '03764f696825d1b9f3e6a46a6c3efa99d06c23c371d74188331ec0747590536968';
const PREIMAGE = 'ab'.repeat(32);
const HASH = bytesToHex(sha256(hexToBytes(PREIMAGE)));
const route: SendpayRequest['route'] = [
  { id: BOB, channel: '105x1x0', direction: 1, amount_msat: 1_001_000, delay: 42, style: 'tlv' },
  { id: DAVE, channel: '105x2x0', direction: 0, amount_msat: 1_000_000, delay: 18, style: 'tlv' },
];
const request: SendpayRequest = {
  route,
  payment_hash: HASH,
  partid: 1,
  groupid: 1,
  amount_msat: 1_000_000,
  payment_secret: 'bb'.repeat(32),
};

/** Fails the test (rather than hanging it) when `promise` takes longer than `ms`. */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const guard = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${ms} ms`)), ms)),
  );
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

describe('clnNode: the sendpay timeout', () => {
  /** A client that records the options of every request and answers sendpay with a pending part. */
  const recording = () => {
    const seen: Array<{ method: string; timeout: number | undefined }> = [];
    const client = {
      nodeId: DAVE,
      state: 'open',
      async request(method: string, params: Record<string, unknown>, options: { timeout?: number } = {}) {
        seen.push({ method, timeout: options.timeout });
        return { ...params, route: undefined, status: 'pending', amount_msat: 1_000_000, amount_sent_msat: 1_001_000 };
      },
      on: () => () => undefined,
      close: () => undefined,
    } as unknown as CommandoClient;
    return { client, seen };
  };

  test('bounded by default: 60 s; sendpayTimeout sets it in seconds; 0 or Infinity for none', async () => {
    for (const [options, expected] of [
      [undefined, 60_000],
      [{ sendpayTimeout: 5 }, 5_000],
      [{ sendpayTimeout: 0.25 }, 250],
      [{ sendpayTimeout: 0 }, 0],
      [{ sendpayTimeout: Infinity }, Infinity],
    ] as const) {
      const { client, seen } = recording();
      await clnNode(client, options).sendpay(request);
      assert.deepEqual(seen, [{ method: 'sendpay', timeout: expected }], JSON.stringify(options));
    }
  });

  test('a sendpayTimeout that is not a number of seconds is INVALID_ARGUMENT', () => {
    for (const bad of [-1, Number.NaN, '60' as unknown as number]) {
      assert.throws(
        () => clnNode(recording().client, { sendpayTimeout: bad }),
        (e: AmpkitError) => e.code === 'INVALID_ARGUMENT',
      );
    }
  });
});

describe('a sendpay the node never answers', () => {
  let node: Awaited<ReturnType<typeof fakeNode>>;
  let client: CommandoClient;
  /** The node's parts by `groupid/partid`, as lightningd keeps them. */
  const parts = new Map<string, Record<string, unknown>>();
  const sendpays: string[] = [];
  /**
   * How the node treats each sendpay, in order: `lost` records the part and never answers
   * (the reply went missing), `unseen` neither records nor answers (the request did).
   */
  let plan: Array<'lost' | 'unseen' | 'answer'> = [];

  const reply = (r: FakeRequest, body: unknown) => r.send(MessageType.COMMANDO_REPLY_TERM, replyPayload(r.id, JSON.stringify(body)));
  const answer = (r: FakeRequest): void => {
    const params = r.json.params as Record<string, unknown>;
    const method = r.json.method as string;
    const key = `${String(params.groupid)}/${String(params.partid)}`;
    if (method === 'sendpay') {
      sendpays.push(key);
      const fate = plan.shift() ?? 'answer';
      if (fate === 'unseen') return;
      // Core Lightning: a part already under this key is given back, never started twice.
      if (!parts.has(key)) {
        const hops = params.route as Array<{ amount_msat: number }>;
        parts.set(key, {
          created_index: parts.size + 1,
          id: parts.size + 1,
          payment_hash: params.payment_hash,
          groupid: params.groupid,
          partid: params.partid,
          destination: DAVE,
          amount_msat: hops[hops.length - 1]!.amount_msat,
          amount_sent_msat: hops[0]!.amount_msat,
          created_at: Math.floor(Date.now() / 1000),
          status: 'pending',
        });
      }
      if (fate === 'lost') return;
      return reply(r, { result: { message: 'Monitor status with listpays or waitsendpay', ...parts.get(key) } });
    }
    if (method === 'listsendpays')
      return reply(r, { result: { payments: [...parts.values()].filter((p) => p.payment_hash === params.payment_hash) } });
    if (method === 'waitsendpay') {
      const part = parts.get(key);
      if (!part) return reply(r, { error: { code: 208, message: 'Never attempted payment part' } });
      Object.assign(part, { status: 'complete', payment_preimage: PREIMAGE, completed_at: Math.floor(Date.now() / 1000) });
      return reply(r, { result: part });
    }
    reply(r, { error: { code: -32601, message: `Unknown command '${method}'` } });
  };

  before(async () => {
    node = await fakeNode(answer);
    client = await connect({ nodeId: node.nodeId, url: node.url, WebSocket: NodeWebSocket });
  });
  after(async () => {
    client.close();
    await node.close();
  });

  test('clnNode: it ends with TIMEOUT (a wire failure: the part may be in flight), not NODE_ERROR', async () => {
    parts.clear();
    plan = ['lost'];
    const error = await within(
      5_000,
      clnNode(client, { sendpayTimeout: 0.2 })
        .sendpay(request)
        .then(
          () => assert.fail('a lost sendpay cannot be answered'),
          (e: AmpkitError) => e,
        ),
      'sendpay',
    );
    assert.ok(error instanceof AmpkitError);
    assert.equal(error.code, 'TIMEOUT');
    assert.equal(error.nodeCode, undefined);
  });

  for (const fate of ['lost', 'unseen'] as const) {
    test(`the engine, the ${fate === 'lost' ? 'reply' : 'request'} lost: sendpartialpay answers pending, the part is sent again under the same key, followed to complete: one HTLC`, async () => {
      parts.clear();
      sendpays.length = 0;
      plan = [fate];
      const engine = await createEngine({ node: clnNode(client, { sendpayTimeout: 0.2 }), store: memoryStore() });
      const errors: AmpkitError[] = [];
      engine.on('error', (e) => errors.push(e));
      try {
        const sent = (await within(
          5_000,
          engine.sendpartialpay({ route, payment_hash: HASH, intended_amount_msat: 1_000_000, payment_secret: 'bb'.repeat(32) }),
          'sendpartialpay',
        )) as SentPart;
        assert.equal(sent.status, 'pending');
        const part = await within(5_000, engine.waitpartialpay({ id: sent.id, timeout: 10 }), 'waitpartialpay');
        assert.equal(part.status, 'complete');
        assert.equal(part.payment_preimage, PREIMAGE);
        assert.equal((await engine.waitsendpay({ payment_hash: HASH, timeout: 10 })).status, 'complete');
        // Sent twice, under one key; the node holds one part.
        assert.deepEqual(sendpays, [`${sent.groupid}/${sent.partid}`, `${sent.groupid}/${sent.partid}`]);
        assert.equal(parts.size, 1);
        assert.equal((await engine.listpartialpayments({ payment_hash: HASH })).partialpayments.length, 1);
        assert.deepEqual(errors, []);
      } finally {
        engine.close();
      }
    });
  }
});
