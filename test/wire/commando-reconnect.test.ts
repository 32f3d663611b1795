import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { connect, type ConnectionState } from '../../packages/wire/src/commando-client.ts';
import { acceptCommando } from '../../packages/wire/src/commando-server.ts';
import { toHex } from '../../packages/wire/src/bytes.ts';
import type { WireError } from '../../packages/wire/src/errors.ts';
import { publicKeyOf } from '../../packages/wire/src/noise.ts';
import { NodeWebSocket, serveCommando } from '../../packages/wire/src/node.ts';
import { wrapWebSocket, type ByteSocket, type WebSocketLike } from '../../packages/wire/src/socket.ts';
import { delay } from './helpers.ts';

const privateKey = new Uint8Array(32).fill(3);
const fast = { attempts: 5, minDelay: 10, maxDelay: 40 };

async function slowServer() {
  const calls: string[] = [];
  const server = await serveCommando({
    privateKey,
    port: 0,
    async handler(method, params) {
      calls.push(method);
      if (method === 'slow') await delay((params as { ms: number }).ms);
      return { method };
    },
  });
  return { server, calls };
}

function recordStates(client: { on(e: 'state', l: (s: ConnectionState) => void): () => void }) {
  const states: ConnectionState[] = [];
  client.on('state', (s) => states.push(s));
  return states;
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error('condition not met in time');
    await delay(5);
  }
}

describe('commando client: dropped sockets', () => {
  test('a request in flight is rejected at once with CONNECTION, never resent, and the client reconnects', async () => {
    const { server, calls } = await slowServer();
    const client = await connect({ nodeId: server.nodeId, url: server.url, WebSocket: NodeWebSocket, reconnect: fast });
    const states = recordStates(client);
    const inflight = client.request('slow', { ms: 5000 });
    await until(() => calls.includes('slow'));
    const dropped = Date.now();
    server.dropConnections();
    await assert.rejects(inflight, (e: WireError) => e.code === 'CONNECTION');
    assert.ok(Date.now() - dropped < 1000, 'rejected promptly, not at a timeout');
    await until(() => client.state === 'open');
    assert.deepEqual(states.slice(0, 2), ['reconnecting', 'open']);
    assert.deepEqual(await client.request('getinfo'), { method: 'getinfo' });
    await delay(50);
    assert.equal(calls.filter((m) => m === 'slow').length, 1, 'the dropped command was not sent again');
    client.close();
    await server.close();
  });

  test('requests made while reconnecting wait and are sent once the connection is back', async () => {
    const { server } = await slowServer();
    const client = await connect({ nodeId: server.nodeId, url: server.url, WebSocket: NodeWebSocket, reconnect: fast });
    server.dropConnections();
    await until(() => client.state === 'reconnecting');
    assert.deepEqual(await client.request('getinfo'), { method: 'getinfo' });
    client.close();
    await server.close();
  });

  test('every reconnection is a new handshake with a fresh ephemeral key', async () => {
    const actOnes: string[] = [];
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (ws) => {
      const raw = wrapWebSocket(ws as unknown as WebSocketLike);
      // Record the first 50 bytes (act one carries the ephemeral key), then hand on.
      let seen = 0;
      const tap: ByteSocket = { send: (b) => raw.send(b), close: () => raw.close(), onData: () => {}, onClose: () => {} };
      raw.onData = (bytes) => {
        if (seen < 50) actOnes.push(Buffer.from(bytes.subarray(0, 50 - seen)).toString('hex'));
        seen += bytes.length;
        tap.onData(bytes);
      };
      raw.onClose = (e) => tap.onClose(e);
      acceptCommando(tap, { privateKey, handler: () => ({}) });
    });
    const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}`;
    const client = await connect({ nodeId: toHex(publicKeyOf(privateKey)), url, WebSocket: NodeWebSocket, reconnect: fast });
    for (const ws of wss.clients) ws.terminate();
    await until(() => actOnes.length === 2 && client.state === 'open');
    assert.notEqual(actOnes[0]!.slice(2, 68), actOnes[1]!.slice(2, 68), 'ephemeral keys differ');
    client.close();
    for (const ws of wss.clients) ws.terminate();
    await new Promise((r) => wss.close(r));
  });

  test('when the node stays away the client ends failed and rejects everything', async () => {
    const { server } = await slowServer();
    const client = await connect({
      nodeId: server.nodeId,
      url: server.url,
      WebSocket: NodeWebSocket,
      reconnect: { attempts: 2, minDelay: 5, maxDelay: 10 },
    });
    const states = recordStates(client);
    await server.close();
    await until(() => client.state !== 'open');
    const queued = client.request('getinfo', {}, { timeout: 0 });
    await assert.rejects(queued, (e: WireError) => e.code === 'CONNECTION');
    assert.equal(client.state, 'failed');
    assert.equal(states.at(-1), 'failed');
    await assert.rejects(client.request('getinfo'), (e: WireError) => e.code === 'CONNECTION');
  });

  test('with reconnect: false a drop ends in failed at once', async () => {
    const { server } = await slowServer();
    const client = await connect({ nodeId: server.nodeId, url: server.url, WebSocket: NodeWebSocket, reconnect: false });
    server.dropConnections();
    await until(() => client.state === 'failed');
    await server.close();
  });

  test('close() rejects pending requests and stops for good', async () => {
    const { server } = await slowServer();
    const client = await connect({ nodeId: server.nodeId, url: server.url, WebSocket: NodeWebSocket });
    const pending = client.request('slow', { ms: 2000 });
    await delay(20);
    client.close();
    await assert.rejects(pending, (e: WireError) => e.code === 'CONNECTION');
    assert.equal(client.state, 'closed');
    await until(() => server.connections === 0);
    await server.close();
  });
});
