/**
 * A reply's big array handed over member by member as its bytes arrive (`stream` of
 * request options): every member exactly once and in order however the bytes are cut, the
 * rest of the reply as it was with the array empty, and a typed error for a malformed
 * member, a repeated array or a consumer that refuses, on this request only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, type CommandoClient } from '../../packages/wire/src/commando-client.ts';
import { decodeReply } from '../../packages/wire/src/commando.ts';
import { RpcError, WireError } from '../../packages/wire/src/errors.ts';
import { ArrayStreamer } from '../../packages/wire/src/json-stream.ts';
import { MessageType } from '../../packages/wire/src/message.ts';
import { NodeWebSocket } from '../../packages/wire/src/node.ts';
import { prng } from '../../packages/simnet/src/seed.ts';
import { fakeNode, replyPayload, type FakeRequest } from './fake-node.ts';

const encoder = new TextEncoder();

/** Feeds `json` to a streamer cut at `cuts`; returns the members given and the decoded rest. */
function run(json: string, cuts: number[] = [], array = 'channels') {
  const bytes = encoder.encode(json);
  const items: unknown[] = [];
  const streamer = new ArrayStreamer('listchannels', array, (item) => items.push(item));
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    streamer.add(bytes.subarray(at, cut));
    at = cut;
  }
  const rest = decodeReply('listchannels', streamer.join());
  return { items, rest, held: streamer.size, total: streamer.total };
}

const channel = (i: number) => ({
  source: `02${i.toString(16).padStart(64, '0')}`,
  short_channel_id: `${i}x1x${i % 3}`,
  note: i % 5 === 0 ? 'a "quoted" ] } , [ { text\\ with \u00e9 and \ud83d\ude00' : null,
  nested: { list: [i, [i + 1, {}], []], flag: i % 2 === 0 },
});

describe('ArrayStreamer', () => {
  test('gives every member once and in order, however the reply is cut', () => {
    const channels = Array.from({ length: 60 }, (_, i) => channel(i));
    const reply = { jsonrpc: '2.0', id: 'ampkit:listchannels#1', result: { before: [1, 2], channels, after: { channels: [9] } } };
    const json = JSON.stringify(reply, null, 1);
    const random = prng(7, 'reply-stream');
    for (let round = 0; round < 40; round++) {
      const cuts = Array.from({ length: round % 10 }, () => Math.floor(random() * json.length)).sort((a, b) => a - b);
      if (round === 39) cuts.splice(0, cuts.length, ...Array.from({ length: json.length - 1 }, (_, i) => i + 1));
      const { items, rest } = run(json, cuts);
      assert.deepEqual(items, channels, `cut at ${cuts.join(',')}`);
      assert.deepEqual(rest, { ...reply.result, channels: [] });
    }
  });

  test('holds the envelope and one member at a time, not the reply', () => {
    const channels = Array.from({ length: 2000 }, (_, i) => channel(i));
    const json = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { channels } });
    const cuts = Array.from({ length: Math.floor(json.length / 1000) }, (_, i) => (i + 1) * 1000);
    const { items, held, total } = run(json, cuts);
    assert.equal(items.length, 2000);
    assert.equal(total, encoder.encode(json).length);
    assert.ok(held < 100, `holds ${held} bytes at the end`);
  });

  test('an empty array and other arrays of the reply stay as they are', () => {
    assert.deepEqual(run('{"result":{"channels":[ ]}}').items, []);
    const { items, rest } = run('{"result":{"nodes":[{"channels":[1]}],"x":"channels"},"channels":[2]}');
    assert.deepEqual(items, []);
    assert.deepEqual(rest, { nodes: [{ channels: [1] }], x: 'channels' });
  });

  test('a malformed member, an empty one or a trailing comma is BAD_REPLY', () => {
    for (const json of [
      '{"result":{"channels":[{"a":1},{"a":}]}}',
      '{"result":{"channels":[{"a":1},,{"a":2}]}}',
      '{"result":{"channels":[{"a":1},]}}',
      '{"result":{"channels":[,]}}',
      '{"result":{"channels":[1 2]}}',
      '{"result":{"channels":[{"a":1}}]}}',
    ]) {
      assert.throws(
        () => run(json),
        (e: unknown) => e instanceof WireError && e.code === 'BAD_REPLY',
        json,
      );
    }
  });

  test('a repeated array is refused: the node does not repeat a field', () => {
    assert.throws(
      () => run('{"result":{"channels":[1],"channels":[2]}}'),
      (e: unknown) => e instanceof WireError && /twice/.test(e.message),
    );
  });

  test("the node's error is the node's error", () => {
    assert.throws(
      () => run('{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"no"}}'),
      (e: unknown) => e instanceof RpcError && e.code === -32602,
    );
  });
});

describe('request({ stream })', () => {
  let script: (request: FakeRequest) => void = () => {};
  let node: Awaited<ReturnType<typeof fakeNode>>;
  let client: CommandoClient;
  before(async () => {
    node = await fakeNode((request) => script(request));
    client = await connect({ nodeId: node.nodeId, url: node.url, WebSocket: NodeWebSocket, reconnect: false });
  });
  after(async () => {
    client.close();
    await node.close();
  });
  /** Answers with `text` cut into reply frames of `size` bytes. */
  const answer = (text: string, size: number) => (r: FakeRequest) => {
    const body = encoder.encode(text);
    let at = 0;
    for (; at + size < body.length; at += size) r.send(MessageType.COMMANDO_REPLY_CONTINUES, replyPayload(r.id, body.slice(at, at + size)));
    r.send(MessageType.COMMANDO_REPLY_TERM, replyPayload(r.id, body.slice(at)));
  };

  test('members arrive one by one and the result has the array empty', async () => {
    const channels = Array.from({ length: 500 }, (_, i) => channel(i));
    script = answer(JSON.stringify({ jsonrpc: '2.0', id: 'x', result: { channels } }), 777);
    const items: unknown[] = [];
    const result = await client.request('listchannels', {}, { stream: { array: 'channels', onItem: (item) => items.push(item) } });
    assert.deepEqual(result, { channels: [] });
    assert.deepEqual(items, channels);
  });

  test('a key written with escapes is not streamed, and its members are given at the end', async () => {
    script = answer('{"result":{"ch\\u0061nnels":[{"a":1},{"a":2}]}}', 10);
    const items: unknown[] = [];
    const result = await client.request('listchannels', {}, { stream: { array: 'channels', onItem: (item) => items.push(item) } });
    assert.deepEqual(result, { channels: [] });
    assert.deepEqual(items, [{ a: 1 }, { a: 2 }]);
  });

  test('a bad member or a refusing consumer fails that request only; the link carries on', async () => {
    script = answer('{"result":{"channels":[{"a":1},{"a":tru}]}}', 8);
    await assert.rejects(
      client.request('listchannels', {}, { stream: { array: 'channels', onItem: () => {} } }),
      (e: unknown) => e instanceof WireError && e.code === 'BAD_REPLY',
    );
    script = answer('{"result":{"channels":[{"a":1},{"a":2}]}}', 8);
    await assert.rejects(
      client.request(
        'listchannels',
        {},
        {
          stream: {
            array: 'channels',
            onItem: () => {
              throw new Error('enough');
            },
          },
        },
      ),
      (e: unknown) => e instanceof WireError && e.code === 'BAD_REPLY' && /enough/.test(e.message),
    );
    script = answer('{"result":{"id":"ok"}}', 5);
    assert.deepEqual(await client.request('getinfo'), { id: 'ok' });
    assert.equal(client.state, 'open');
  });
});
