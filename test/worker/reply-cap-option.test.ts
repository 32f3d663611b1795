/**
 * The worker's cap on unfinished node replies: `createAmpkit({
 * maxBufferedReplyBytes })` reaches the host's commando connection (128 MiB when not
 * given), and a value that is not a number of bytes is refused before anything starts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NodeWebSocket } from '../../packages/wire/src/node.ts';
import { MessageType } from '../../packages/wire/src/message.ts';
import { AmpkitHost } from '../../packages/worker/src/host.ts';
import { createAmpkit } from '../../packages/worker/src/client.ts';
import type { Outcome } from '../../packages/worker/src/protocol.ts';
import { fakeNode, replyPayload, type FakeRequest } from '../wire/fake-node.ts';

describe('createAmpkit: maxBufferedReplyBytes', () => {
  let node: Awaited<ReturnType<typeof fakeNode>>;
  const hadWebSocket = 'WebSocket' in globalThis;
  const original = (globalThis as { WebSocket?: unknown }).WebSocket;

  before(async () => {
    // The host opens its socket with the platform's WebSocket (Node 20 has none).
    (globalThis as { WebSocket?: unknown }).WebSocket = NodeWebSocket;
    node = await fakeNode((r: FakeRequest) => {
      const method = r.json.method;
      if (method !== 'getinfo') {
        r.send(
          MessageType.COMMANDO_REPLY_TERM,
          replyPayload(r.id, JSON.stringify({ error: { code: -32601, message: `Unknown command '${String(method)}'` } })),
        );
        return;
      }
      // 60 000 bytes of a reply, then its end.
      r.send(MessageType.COMMANDO_REPLY_CONTINUES, replyPayload(r.id, `{"result":{"pad":"${'x'.repeat(60_000 - 18)}`));
      r.send(MessageType.COMMANDO_REPLY_TERM, replyPayload(r.id, '"}}'));
    });
  });
  after(async () => {
    if (hadWebSocket) (globalThis as { WebSocket?: unknown }).WebSocket = original;
    else delete (globalThis as { WebSocket?: unknown }).WebSocket;
    await node.close();
  });

  const getinfo = async (maxBufferedReplyBytes?: number): Promise<Outcome> => {
    const host = new AmpkitHost();
    try {
      await host.open(
        {
          nodeId: node.nodeId,
          url: node.url,
          rune: 'unused',
          storage: 'memory',
          ...(maxBufferedReplyBytes !== undefined ? { maxBufferedReplyBytes } : {}),
        },
        () => undefined,
      );
      return await host.call('getinfo', undefined);
    } finally {
      await host.close();
    }
  };

  test('given, it caps the host connection: a 60 kB reply over a 50 kB cap is BAD_REPLY naming the cap', async () => {
    const outcome = await getinfo(50_000);
    assert.ok('error' in outcome);
    assert.equal(outcome.error.code, 'BAD_REPLY');
    assert.match(outcome.error.message, /maxBufferedReplyBytes/);
  });

  test('not given, the default (128 MiB) takes the same reply (refused only for its shape)', async () => {
    const outcome = await getinfo();
    assert.ok('error' in outcome);
    assert.doesNotMatch(outcome.error.message, /maxBufferedReplyBytes/);
  });

  test('a value that is not a number of bytes over 0 is INVALID_ARGUMENT', async () => {
    for (const bad of [0, -5, Number.NaN, '1e6' as unknown as number]) {
      await assert.rejects(
        createAmpkit({ nodeId: node.nodeId, url: node.url, rune: 'r', storage: 'memory', worker: false, maxBufferedReplyBytes: bad }),
        (e: { code?: string }) => e.code === 'INVALID_ARGUMENT',
      );
    }
  });
});
