/**
 * The page ↔ worker boundary (packages/worker/src/rpc.ts) over a real MessageChannel, as a
 * worker's port carries it: calls answered by id, whatever order they finish in; the host's
 * events pushed to the page; messages that are not ours (the READY word, a stray script's)
 * ignored; input the structured clone refuses rejected at once with its DataCloneError; a
 * host that throws gives a rejection; a dead worker fails every call waiting and after.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { remoteHost, serveHost } from '../../packages/worker/src/rpc.ts';
import type { HostApi, Outcome } from '../../packages/worker/src/protocol.ts';

const channels: MessageChannel[] = [];
after(() => {
  for (const c of channels) {
    c.port1.close();
    c.port2.close();
  }
});

/** A page side and a worker side on one channel, serving `host`. */
function link(host: HostApi) {
  const channel = new MessageChannel();
  channels.push(channel);
  const port = (p: MessagePort | import('node:worker_threads').MessagePort) =>
    p as unknown as { postMessage(m: unknown): void; addEventListener(t: 'message', l: (e: MessageEvent) => void): void };
  serveHost(host, port(channel.port2));
  return { remote: remoteHost(port(channel.port1)), page: channel.port1, worker: channel.port2 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('calls are answered by id whatever order they finish in; events reach the page', async () => {
  const events: unknown[] = [];
  const { remote } = link({
    async open(options, tell) {
      tell('state', 'open');
      return { value: { state: 'open', nodeId: (options as { nodeId: string }).nodeId } };
    },
    async call(method, input): Promise<Outcome> {
      await sleep((input as { ms: number }).ms);
      return { value: `${method}:${(input as { ms: number }).ms}` };
    },
    async close() {},
  });
  const opened = await remote.open({ nodeId: 'n1' } as never, (type, detail) => events.push([type, detail]));
  assert.deepEqual(opened, { value: { state: 'open', nodeId: 'n1' } });
  const [slow, fast] = await Promise.all([remote.call('getinfo', { ms: 40 }), remote.call('decode', { ms: 1 })]);
  assert.deepEqual([slow, fast], [{ value: 'getinfo:40' }, { value: 'decode:1' }]);
  await sleep(5);
  assert.deepEqual(events, [['state', 'open']]);
  await remote.close();
});

test('messages that are not ours are ignored on both sides; a forged answer for an unknown id changes nothing', async () => {
  let calls = 0;
  const { remote, page, worker } = link({
    async open() {
      return { value: {} };
    },
    async call() {
      calls++;
      await sleep(20);
      return { value: 'real' };
    },
    async close() {},
  });
  page.postMessage('ampkit:ready');
  page.postMessage({ method: 'call', args: ['pay', {}] });
  const answer = remote.call('listpayments', {});
  worker.postMessage({ 'ampkit:rpc': 'answer', id: 999, value: 'forged' });
  worker.postMessage('ampkit:ready');
  assert.deepEqual(await answer, { value: 'real' });
  assert.equal(calls, 1);
});

test('input the structured clone refuses rejects at once with DataCloneError, never reaching the host', async () => {
  let calls = 0;
  const { remote } = link({
    async open() {
      return { value: {} };
    },
    async call() {
      calls++;
      return { value: 1 };
    },
    async close() {},
  });
  await assert.rejects(remote.call('pay', { bolt11: () => 'x' }), (e: Error) => e.name === 'DataCloneError');
  assert.equal(calls, 0);
});

test('a host that throws gives a rejection with its message; fail() rejects the calls waiting and every later one', async () => {
  const { remote } = link({
    async open() {
      throw new Error('already open');
    },
    call: () => new Promise<Outcome>(() => undefined),
    async close() {},
  });
  await assert.rejects(
    remote.open({} as never, () => undefined),
    /already open/,
  );
  const hanging = remote.call('getinfo', {});
  remote.fail('the ampkit worker failed: out of memory');
  await assert.rejects(hanging, /out of memory/);
  await assert.rejects(remote.call('getinfo', {}), /out of memory/);
});
