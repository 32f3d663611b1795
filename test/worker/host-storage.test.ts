/**
 * The journal's failures reach the page typed (docs/design.md, "Journal"): a client opening
 * a database a newer version wrote gets `STORAGE` with words, not a raw IndexedDB message
 * nor `CONNECTION`; a `STORAGE` error keeps its code across the boundary, and a raw
 * IndexedDB `DOMException` that crosses it is typed `STORAGE`, never `INTERNAL`.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NodeWebSocket } from '../../packages/wire/src/node.ts';
import { MessageType } from '../../packages/wire/src/message.ts';
import { AmpkitError } from '../../packages/wire/src/index.ts';
import { AmpkitHost } from '../../packages/worker/src/host.ts';
import { createAmpkit } from '../../packages/worker/src/client.ts';
import { serializeError } from '../../packages/worker/src/protocol.ts';
import { fakeNode, replyPayload, type FakeRequest } from '../wire/fake-node.ts';

describe('the journal failing, seen from the page', () => {
  let node: Awaited<ReturnType<typeof fakeNode>>;
  const hadWebSocket = 'WebSocket' in globalThis;
  const original = (globalThis as { WebSocket?: unknown }).WebSocket;
  const database = `ampkit-host-storage-${process.pid}`;

  before(async () => {
    (globalThis as { WebSocket?: unknown }).WebSocket = NodeWebSocket;
    node = await fakeNode((r: FakeRequest) => {
      r.send(
        MessageType.COMMANDO_REPLY_TERM,
        replyPayload(r.id, JSON.stringify({ error: { code: -32601, message: `Unknown command '${String(r.json.method)}'` } })),
      );
    });
    // A newer ampkit in another tab left the database at version 9.
    await new Promise<void>((resolve, reject) => {
      const open = indexedDB.open(`${database}:${node.nodeId}`, 9);
      open.onsuccess = () => (open.result.close(), resolve());
      open.onerror = () => reject(open.error);
    });
  });
  after(async () => {
    if (hadWebSocket) (globalThis as { WebSocket?: unknown }).WebSocket = original;
    else delete (globalThis as { WebSocket?: unknown }).WebSocket;
    await node.close();
  });

  test('the host: STORAGE (version), in words, with the code kept', async () => {
    const host = new AmpkitHost();
    try {
      const outcome = await host.open(
        { nodeId: node.nodeId, url: node.url, rune: 'unused', storage: 'indexeddb', database },
        () => undefined,
      );
      assert.ok('error' in outcome, 'the open failed');
      assert.equal(outcome.error.code, 'STORAGE');
      assert.deepEqual((outcome.error.data as { reason: string }).reason, 'version');
      assert.match(outcome.error.message, /newer version of ampkit/);
    } finally {
      await host.close();
    }
  });

  test('every new client: createAmpkit rejects with that STORAGE error', async () => {
    const warn = console.warn;
    console.warn = () => undefined; // "no Web Worker could start": Node has none; the host runs here.
    try {
      for (let i = 0; i < 2; i++) {
        await assert.rejects(
          createAmpkit({
            nodeId: node.nodeId,
            url: node.url,
            rune: 'unused',
            database,
            worker: new URL('../../packages/worker/src/worker.ts', import.meta.url).href,
          }),
          (e: unknown) => e instanceof AmpkitError && e.code === 'STORAGE' && /newer version of ampkit/.test(e.message),
        );
      }
    } finally {
      console.warn = warn;
    }
  });

  test('serializeError: a STORAGE error keeps its code and data; a raw IndexedDB DOMException is STORAGE, not INTERNAL', () => {
    const typed = serializeError(new AmpkitError('STORAGE', 'full', { data: { reason: 'quota' } }));
    assert.deepEqual(typed, { code: 'STORAGE', message: 'full', data: { reason: 'quota' } });
    for (const [name, reason] of [
      ['QuotaExceededError', 'quota'],
      ['VersionError', 'version'],
      ['UnknownError', 'failed'],
    ]) {
      const raw = serializeError(new DOMException('The quota has been exceeded.', name));
      assert.equal(raw.code, 'STORAGE', name);
      assert.equal((raw.data as { reason: string }).reason, reason);
    }
    assert.equal(serializeError(new TypeError('a bug')).code, 'INTERNAL');
  });
});
