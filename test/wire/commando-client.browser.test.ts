/** The commando client in Chromium, over the browser's own WebSocket, to a real commando node. */
import { assert } from 'chai';
import { RpcError, WireError, auditRune, connect, createRune, parseRune, type CommandoClient, type ConnectionState } from '@ampkit/wire';

const config = await (await fetch('/commando-test/config.json')).json();

describe('commando client in Chromium', () => {
  let client: CommandoClient;

  before(async () => {
    client = await connect({
      nodeId: config.nodeId,
      url: config.url,
      rune: config.rune,
      reconnect: { attempts: 5, minDelay: 20, maxDelay: 100 },
    });
  });
  after(() => client.close());

  it('connects with the browser WebSocket and gets a reply', async () => {
    assert.equal(client.state, 'open');
    assert.deepEqual(await client.request('getinfo'), { id: config.nodeId, alias: 'browser-test-node' });
  });

  it('reassembles a multi-frame reply and splits a large request', async () => {
    const { blob } = await client.request('big', { repeat: 100_000 });
    assert.equal(blob.length, 300_000);
    const data = 'q'.repeat(300_000);
    const { params } = await client.request('echo', { data });
    assert.equal(params.data, data);
  });

  it('runs concurrent requests on one connection', async () => {
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => client.request('echo', { i })));
    replies.forEach((r, i) => assert.equal(r.params.i, i));
  });

  it('surfaces node errors as RpcError and refused runes as 19537', async () => {
    try {
      await client.request('fail');
      assert.fail('should reject');
    } catch (e) {
      assert.instanceOf(e, RpcError);
      assert.equal((e as RpcError).code, 205);
      assert.deepEqual((e as RpcError).data, { erring_index: 1 });
    }
    try {
      await client.request('echo', {}, { rune: config.readonlyRune });
      assert.fail('should reject');
    } catch (e) {
      assert.equal((e as RpcError).code, 19537);
    }
  });

  it('rejects in-flight work with CONNECTION on a drop and reconnects', async () => {
    const states: ConnectionState[] = [];
    const off = client.on('state', (s) => states.push(s));
    await fetch('/commando-test/drop');
    for (let i = 0; i < 300 && (client.state !== 'open' || states.length < 2); i++) await new Promise((r) => setTimeout(r, 10));
    off();
    assert.deepEqual(states.slice(0, 2), ['reconnecting', 'open']);
    assert.equal((await client.request('getinfo')).alias, 'browser-test-node');
  });

  it('times out with a typed error', async () => {
    try {
      await client.request('echo', {}, { timeout: 1, signal: AbortSignal.abort() });
      assert.fail('should reject');
    } catch (e) {
      assert.instanceOf(e, WireError);
    }
  });
});

describe('runes in Chromium', () => {
  it('makes the ccan vector rune from sixteen zero bytes', () => {
    assert.equal(createRune({ masterSecret: new Uint8Array(16), uniqueId: 1 }), 'YDVzGiy7Aiy-tnZFqg-KJmU9jMRU4OCH1NGdKCuNpL09MQ==');
  });

  it('audits the CLN list*/get* rune as not provably read-only (default deny)', () => {
    const rune =
      'eTyDzFKNx9_cBvewFBVtEQCIP5pWQrMpSqH-WL--nsU9MSZtZXRob2RebGlzdHxtZXRob2ReZ2V0fG1ldGhvZD1zdW1tYXJ5Jm1ldGhvZC9saXN0ZGF0YXN0b3Jl';
    assert.equal(parseRune(rune).uniqueId, '1');
    assert.isFalse(auditRune(rune).readOnly);
    assert.isTrue(auditRune(rune).canSpend);
    assert.deepEqual(auditRune(rune).spendingMethods, []);
  });
});
