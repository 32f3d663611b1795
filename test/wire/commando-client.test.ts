import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, type CommandoClient } from '../../packages/wire/src/commando-client.ts';
import { RpcError, WireError } from '../../packages/wire/src/errors.ts';
import { NodeWebSocket, serveCommando, type CommandoServer } from '../../packages/wire/src/node.ts';
import { createRune } from '../../packages/wire/src/runes.ts';
import { delay } from './helpers.ts';

const privateKey = new Uint8Array(32).fill(7);
const masterSecret = new Uint8Array(32).fill(9);
const adminRune = createRune({ masterSecret, uniqueId: 0 });
const readonlyRune = createRune({
  masterSecret,
  uniqueId: 1,
  restrictions: ['method^list|method^get|method=summary', 'method/listdatastore'],
});

let server: CommandoServer;
let client: CommandoClient;
const calls: string[] = [];
const hung: (() => void)[] = [];

before(async () => {
  server = await serveCommando({
    privateKey,
    masterSecret,
    port: 0,
    async handler(method, params) {
      calls.push(method);
      const p = params as Record<string, any>;
      switch (method) {
        case 'getinfo':
          return { id: server.nodeId, alias: 'wire-test' };
        case 'echo':
          if (p.wait) await delay(p.wait);
          return { echo: p };
        case 'big':
          return { blob: 'é✓x'.repeat(p.size / 6) };
        case 'length':
          return { length: (p.data as string).length };
        case 'fail':
          throw new RpcError(method, 204, 'part failed', { failcode: 23, failcodename: 'WIRE_MPP_TIMEOUT' });
        case 'crash':
          throw new TypeError('internal details that must not leak');
        case 'hang':
          return new Promise((resolve) => hung.push(() => resolve({ late: true })));
        case 'listfunds':
          return { outputs: [], channels: [] };
        case 'sendpay':
          return { status: 'pending' };
        default:
          throw new RpcError(method, -32601, `Unknown command '${method}'`);
      }
    },
  });
  client = await connect({ nodeId: server.nodeId, url: server.url, rune: adminRune, WebSocket: NodeWebSocket });
});

after(async () => {
  client.close();
  await server.close();
});

describe('commando client against serveCommando', () => {
  test('a call returns the result and the state is open', async () => {
    assert.equal(client.state, 'open');
    assert.deepEqual(await client.request('getinfo'), { id: server.nodeId, alias: 'wire-test' });
  });

  test('concurrent requests on one connection each get their own reply', async () => {
    const replies = await Promise.all(Array.from({ length: 64 }, (_, i) => client.request('echo', { i, wait: (i * 7) % 30 })));
    replies.forEach((r, i) => assert.equal(r.echo.i, i));
  });

  test('a reply of many frames is reassembled byte for byte (multi-byte UTF-8 across frame edges)', async () => {
    const size = 6 * 100_000; // ~1 MB of JSON: about 16 frames of 65000 bytes
    const { blob } = await client.request('big', { size });
    assert.equal(blob, 'é✓x'.repeat(size / 6));
  });

  test('a request larger than one message is split and rebuilt by the server', async () => {
    const data = 'y'.repeat(500_000);
    assert.deepEqual(await client.request('length', { data }), { length: 500_000 });
  });

  test('a request over the 1 MiB Core Lightning accepts is refused before sending', async () => {
    const before = calls.length;
    await assert.rejects(client.request('length', { data: 'z'.repeat(1_100_000) }), (e: WireError) => e.code === 'INVALID_ARGUMENT');
    assert.equal(calls.length, before);
  });

  test("the node's error arrives as an RpcError with its numeric code, message and data", async () => {
    await assert.rejects(client.request('fail'), (e: unknown) => {
      assert.ok(e instanceof RpcError);
      assert.ok(e instanceof Error);
      assert.equal(e.code, 204);
      assert.equal(e.message, 'part failed');
      assert.deepEqual(e.data, { failcode: 23, failcodename: 'WIRE_MPP_TIMEOUT' });
      assert.equal(e.method, 'fail');
      return true;
    });
    await assert.rejects(client.request('nosuchmethod'), (e: RpcError) => e.code === -32601);
  });

  test('a handler crash becomes -32603 without leaking its message', async () => {
    await assert.rejects(client.request('crash'), (e: RpcError) => {
      assert.equal(e.code, -32603);
      assert.doesNotMatch(e.message, /internal details/);
      return true;
    });
  });

  test('a request times out with TIMEOUT; the connection stays and the late reply is ignored', async () => {
    await assert.rejects(client.request('hang', {}, { timeout: 50 }), (e: WireError) => e.code === 'TIMEOUT');
    hung.splice(0).forEach((finish) => finish());
    await delay(20);
    assert.equal(client.state, 'open');
    assert.equal((await client.request('getinfo')).alias, 'wire-test');
  });

  test('an aborted signal rejects the wait', async () => {
    const controller = new AbortController();
    const pending = client.request('hang', {}, { signal: controller.signal });
    controller.abort();
    await assert.rejects(pending, (e: WireError) => e instanceof WireError);
    hung.splice(0).forEach((finish) => finish());
  });

  test('params that are not JSON give INVALID_ARGUMENT', async () => {
    await assert.rejects(client.request('echo', { n: 1n }), (e: WireError) => e.code === 'INVALID_ARGUMENT');
  });
});

describe('runes over commando', () => {
  test('a read-only rune may list but not sendpay: 19537 Invalid rune', async () => {
    assert.deepEqual(await client.request('listfunds', {}, { rune: readonlyRune }), { outputs: [], channels: [] });
    await assert.rejects(client.request('sendpay', { route: [] }, { rune: readonlyRune }), (e: RpcError) => {
      assert.equal(e.code, 19537);
      assert.match(e.message, /^Invalid rune: Not permitted: method does not start with list/);
      return true;
    });
  });

  test('a call without a rune is refused as Core Lightning refuses it: 19536 Missing rune', async () => {
    const bare = await connect({ nodeId: server.nodeId, url: server.url, WebSocket: NodeWebSocket });
    await assert.rejects(bare.request('getinfo'), (e: RpcError) => e.code === 19536 && e.message === 'Missing rune');
    bare.close();
  });

  test('a rune from another secret is refused', async () => {
    const foreign = createRune({ masterSecret: new Uint8Array(32).fill(1), uniqueId: 0 });
    await assert.rejects(client.request('getinfo', {}, { rune: foreign }), (e: RpcError) => {
      assert.equal(e.code, 19537);
      assert.match(e.message, /Not derived from master/);
      return true;
    });
  });
});

describe('connect() input and failures', () => {
  test('a malformed nodeId is an INVALID_ARGUMENT', async () => {
    await assert.rejects(
      connect({ nodeId: 'abc', url: server.url, WebSocket: NodeWebSocket }),
      (e: WireError) => e.code === 'INVALID_ARGUMENT',
    );
  });

  test('a URL that is not ws:// is an INVALID_ARGUMENT', async () => {
    await assert.rejects(
      connect({ nodeId: server.nodeId, url: 'http://x', WebSocket: NodeWebSocket }),
      (e: WireError) => e.code === 'INVALID_ARGUMENT',
    );
  });

  test('the wrong node key fails the handshake', async () => {
    const wrongKey = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798';
    await assert.rejects(
      connect({ nodeId: wrongKey, url: server.url, WebSocket: NodeWebSocket }),
      (e: WireError) => e.code === 'HANDSHAKE',
    );
  });

  test('nothing listening: CONNECTION', async () => {
    await assert.rejects(
      connect({ nodeId: server.nodeId, url: 'ws://127.0.0.1:9', WebSocket: NodeWebSocket }),
      (e: WireError) => e.code === 'CONNECTION',
    );
  });
});
