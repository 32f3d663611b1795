import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, type CommandoClient } from '../../packages/wire/src/commando-client.ts';
import { RpcError, WireError } from '../../packages/wire/src/errors.ts';
import { commandoFrames } from '../../packages/wire/src/commando.ts';
import { MessageType } from '../../packages/wire/src/message.ts';
import { publicKeyOf } from '../../packages/wire/src/noise.ts';
import { Peer } from '../../packages/wire/src/peer.ts';
import { openWebSocket } from '../../packages/wire/src/socket.ts';
import { NodeWebSocket, serveCommando } from '../../packages/wire/src/node.ts';
import { delay, prng, randomBytes } from './helpers.ts';
import { fakeNode, replyPayload, type FakeRequest } from './fake-node.ts';

type Script = (request: FakeRequest) => void;
let script: Script = () => {};
let node: Awaited<ReturnType<typeof fakeNode>>;
let client: CommandoClient;

before(async () => {
  node = await fakeNode((request) => script(request));
  client = await connect({
    nodeId: node.nodeId,
    url: node.url,
    WebSocket: NodeWebSocket,
    maxReplyBytes: 200_000,
    reconnect: { attempts: 5, minDelay: 5, maxDelay: 20 },
  });
});

after(async () => {
  client.close();
  await node.close();
});

const term = (r: FakeRequest, body: string | Uint8Array) => r.send(MessageType.COMMANDO_REPLY_TERM, replyPayload(r.id, body));
const more = (r: FakeRequest, body: string | Uint8Array) => r.send(MessageType.COMMANDO_REPLY_CONTINUES, replyPayload(r.id, body));

async function open(): Promise<void> {
  for (let i = 0; i < 400 && client.state !== 'open'; i++) await delay(5);
  assert.equal(client.state, 'open');
}

describe('commando client: hostile replies get typed errors', () => {
  for (const [name, body] of [
    ['garbage bytes', Uint8Array.of(0xff, 0xfe, 0x00)],
    ['broken JSON', '{"result": '],
    ['a JSON array', '[1,2,3]'],
    ['a JSON string', '"hello"'],
    ['neither result nor error', '{"jsonrpc":"2.0","id":1}'],
    ['an error without a numeric code', '{"error":{"code":"x","message":"m"}}'],
    ['an error code beyond 2^53', '{"error":{"code":9007199254740993,"message":"m"}}'],
    ['an error without a message', '{"error":{"code":1}}'],
  ] as const) {
    test(`${name} → BAD_REPLY, and the connection carries on`, async () => {
      script = (r) => term(r, body);
      await assert.rejects(client.request('x'), (e: WireError) => e instanceof WireError && e.code === 'BAD_REPLY');
      script = (r) => term(r, '{"result":{"ok":true}}');
      assert.deepEqual(await client.request('y'), { ok: true });
    });
  }

  test('a reply over maxReplyBytes → BAD_REPLY without buffering the rest', async () => {
    script = (r) => {
      for (let i = 0; i < 5; i++) more(r, 'x'.repeat(60_000));
      term(r, '}');
    };
    await assert.rejects(client.request('huge'), (e: WireError) => e.code === 'BAD_REPLY');
    script = (r) => term(r, '{"result":{}}');
    assert.deepEqual(await client.request('after'), {});
  });

  test('a reply to an id never sent closes the connection with PROTOCOL and fails what was in flight', async () => {
    await open();
    script = (r) => {
      const forged = r.id.slice();
      forged[0]! ^= 0xff;
      term({ ...r, id: forged }, '{"result":{}}');
    };
    await assert.rejects(client.request('forged'), (e: WireError) => {
      assert.equal(e.code, 'CONNECTION');
      assert.equal((e as { cause?: WireError }).cause?.code, 'PROTOCOL');
      return true;
    });
    script = (r) => term(r, '{"result":{"back":true}}');
    await open();
    assert.deepEqual(await client.request('again'), { back: true });
  });

  test('a commando frame too short for its id closes with PROTOCOL', async () => {
    await open();
    script = (r) => r.send(MessageType.COMMANDO_REPLY_TERM, Uint8Array.of(1, 2, 3));
    await assert.rejects(client.request('short'), (e: WireError) => e.code === 'CONNECTION');
    await open();
  });

  test('an unknown even message closes; an unknown odd one is ignored', async () => {
    await open();
    script = (r) => {
      r.send(0x7fff, Uint8Array.of(1));
      term(r, '{"result":{"odd":"ignored"}}');
    };
    assert.deepEqual(await client.request('odd'), { odd: 'ignored' });
    script = (r) => r.send(0x7ffe, Uint8Array.of(1));
    await assert.rejects(client.request('even'), (e: WireError) => e.code === 'CONNECTION');
    await open();
  });

  test('replies split into many tiny frames and interleaved between requests still match', async () => {
    await open();
    const waiting: FakeRequest[] = [];
    script = (r) => {
      waiting.push(r);
      if (waiting.length < 3) return;
      // Answer all three, one byte per frame, round robin.
      const bodies = waiting.map((w) => `{"result":{"m":"${String(w.json.method)}"}}`);
      const longest = Math.max(...bodies.map((b) => b.length));
      for (let i = 0; i < longest; i++) {
        waiting.forEach((w, k) => {
          const body = bodies[k]!;
          if (i < body.length - 1) more(w, body[i]!);
          else if (i === body.length - 1) term(w, body[i]!);
        });
      }
      waiting.length = 0;
    };
    const results = await Promise.all(['a', 'b', 'c'].map((m) => client.request(m)));
    assert.deepEqual(results, [{ m: 'a' }, { m: 'b' }, { m: 'c' }]);
  });

  test('1,000 random reply bodies over the wire: each request settles with a typed outcome', async () => {
    await open();
    const rand = prng(99);
    script = (r) => {
      const kind = rand();
      if (kind < 0.4) term(r, randomBytes(rand, (rand() * 200) | 0));
      else if (kind < 0.7) term(r, JSON.stringify({ error: { code: (rand() * 1000) | 0, message: 'e', data: rand() } }));
      else term(r, JSON.stringify({ result: { n: rand() } }));
    };
    let ok = 0;
    let typed = 0;
    await Promise.all(
      Array.from({ length: 1000 }, () =>
        client.request('fuzz', {}, { timeout: 5000 }).then(
          () => ok++,
          (e) => {
            assert.ok(e instanceof RpcError || (e instanceof WireError && e.code === 'BAD_REPLY'), String(e));
            typed++;
          },
        ),
      ),
    );
    assert.equal(ok + typed, 1000);
  });
});

describe('commando server: hostile clients', () => {
  test('random bytes from 200 sockets are closed cleanly and the server keeps serving', async () => {
    const server = await serveCommando({ privateKey: new Uint8Array(32).fill(5), port: 0, handler: () => ({ fine: true }) });
    const rand = prng(5);
    const { WebSocket } = await import('ws');
    await Promise.all(
      Array.from({ length: 200 }, async () => {
        const ws = new WebSocket(server.url);
        await new Promise((r) => ws.once('open', r));
        const closed = new Promise((r) => ws.once('close', r));
        ws.send(randomBytes(rand, 50 + ((rand() * 200) | 0)));
        await closed;
      }),
    );
    const client = await connect({ nodeId: server.nodeId, url: server.url, WebSocket: NodeWebSocket });
    assert.deepEqual(await client.request('anything'), { fine: true });
    client.close();
    await server.close();
  });

  test('a socket that never finishes the handshake is closed after handshakeTimeout', async () => {
    const server = await serveCommando({ privateKey: new Uint8Array(32).fill(9), port: 0, handshakeTimeout: 100, handler: () => ({}) });
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(server.url);
    await new Promise((r) => ws.once('open', r));
    const started = Date.now();
    await new Promise((r) => ws.once('close', r));
    assert.ok(Date.now() - started < 2000);
    await server.close();
  });

  test('a frame over the size limit closes that socket only', async () => {
    const server = await serveCommando({ privateKey: new Uint8Array(32).fill(6), port: 0, maxFrameBytes: 4096, handler: () => ({}) });
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(server.url);
    await new Promise((r) => ws.once('open', r));
    const code = new Promise<number>((r) => ws.once('close', (c: number) => r(c)));
    ws.send(new Uint8Array(10_000));
    assert.equal(await code, 1009);
    const client = await connect({ nodeId: server.nodeId, url: server.url, WebSocket: NodeWebSocket });
    assert.deepEqual(await client.request('ok'), {});
    client.close();
    await server.close();
  });

  test('malformed commando requests get Core Lightning errors (19536), and the session goes on', async () => {
    const serverKey = new Uint8Array(32).fill(8);
    const server = await serveCommando({ privateKey: serverKey, port: 0, handler: () => ({ ok: 1 }) });
    const socket = await openWebSocket(server.url, NodeWebSocket, 2000);
    const replies: string[] = [];
    const peer = await new Promise<Peer>((resolve, reject) => {
      const p: Peer = new Peer(
        socket,
        { role: 'initiator', localPrivateKey: new Uint8Array(32).fill(1), remotePublicKey: publicKeyOf(serverKey) },
        {
          onReady: () => resolve(p),
          onMessage: (_type, payload) => replies.push(new TextDecoder().decode(payload.subarray(8))),
          onClose: (e) => reject(e),
        },
      );
    });
    const id = new Uint8Array(8);
    for (const body of ['not json', '[1]', '{"params":{}}', '{"method":"m","params":3,"id":1}', '{"method":"m","params":{}}']) {
      id[7]!++;
      for (const frame of commandoFrames('request', id, new TextEncoder().encode(body))) peer.send(frame);
    }
    id[7]!++;
    for (const frame of commandoFrames('request', id, new TextEncoder().encode('{"method":"m","params":{},"id":"x"}'))) peer.send(frame);
    for (let i = 0; i < 200 && replies.length < 6; i++) await delay(5);
    const errors = replies.slice(0, 5).map((r) => JSON.parse(r).error);
    assert.deepEqual(
      errors.map((e) => e.code),
      [19536, 19536, 19536, 19536, 19536],
    );
    assert.deepEqual(
      errors.map((e) => e.message),
      ['Invalid JSON', 'Not a JSON object', 'No method', 'Params must be object or array', 'missing id field'],
    );
    assert.deepEqual(JSON.parse(replies[5]!), { jsonrpc: '2.0', id: 'x', result: { ok: 1 } });
    peer.close();
    await server.close();
  });
});
