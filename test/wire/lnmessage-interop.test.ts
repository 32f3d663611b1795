/**
 * Wire compatibility with the client most browser node consoles use today: lnmessage,
 * unmodified, talks to serveCommando over a real WebSocket.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import LnMessage from 'lnmessage';
import { RpcError } from '../../packages/wire/src/errors.ts';
import { serveCommando, type CommandoServer } from '../../packages/wire/src/node.ts';
import { createRune } from '../../packages/wire/src/runes.ts';

const masterSecret = new Uint8Array(32).fill(0x33);
const rune = createRune({ masterSecret, uniqueId: 0 });
const invoiceOnly = createRune({ masterSecret, uniqueId: 1, restrictions: ['method=invoice'] });
const big = 'ab✓'.repeat(100_000); // 500 kB of JSON: eight frames

let server: CommandoServer;
let ln: LnMessage;

before(async () => {
  server = await serveCommando({
    privateKey: new Uint8Array(32).fill(0x44),
    masterSecret,
    port: 0,
    handler(method, params) {
      if (method === 'getinfo') return { id: server.nodeId, alias: 'interop', blockheight: 109 };
      if (method === 'big') return { blob: big };
      if (method === 'echo') return { params };
      throw new RpcError(method, -32601, `Unknown command '${method}'`);
    },
  });
  ln = new LnMessage({ remoteNodePublicKey: server.nodeId, ip: '127.0.0.1', port: server.port, wsProtocol: 'ws:' });
  assert.equal(await ln.connect(false), true, 'lnmessage completes the handshake and init');
});

after(async () => {
  ln.disconnect();
  await server.close();
});

describe('lnmessage 0.2.7 against serveCommando', () => {
  test('getinfo comes back', async () => {
    assert.deepEqual(await ln.commando({ method: 'getinfo', params: [], rune }), { id: server.nodeId, alias: 'interop', blockheight: 109 });
  });

  test('params by name and by position reach the handler intact', async () => {
    assert.deepEqual(await ln.commando({ method: 'echo', params: { label: 'x', amount_msat: 1000 }, rune }), {
      params: { label: 'x', amount_msat: 1000 },
    });
    assert.deepEqual(await ln.commando({ method: 'echo', params: ['a', 2], rune }), { params: ['a', 2] });
  });

  test('a multi-frame reply is reassembled by lnmessage', async () => {
    const result = (await ln.commando({ method: 'big', params: [], rune })) as { blob: string };
    assert.equal(result.blob, big);
  });

  test('errors arrive with the node code and message', async () => {
    await assert.rejects(ln.commando({ method: 'nosuchmethod', params: [], rune }), (e: { code: number; message: string }) => {
      assert.equal(e.code, -32601);
      assert.equal(e.message, "Unknown command 'nosuchmethod'");
      return true;
    });
    await assert.rejects(ln.commando({ method: 'getinfo', params: [], rune: invoiceOnly }), (e: { code: number }) => e.code === 19537);
  });
});
