/**
 * Timers of any length: setTimeout fires a delay over 2^31 − 1 ms
 * (24.8 days) at once, so a 30-day wait used to end in 1 ms. `longTimeout` waits it out in
 * steps; the commando client's request timeouts run on it. Node's mock timers overflow as
 * the real ones do, so these waits of days run in no time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, mock, test } from 'node:test';
import { connect, type CommandoClient } from '../../packages/wire/src/commando-client.ts';
import { WireError } from '../../packages/wire/src/errors.ts';
import { MessageType } from '../../packages/wire/src/message.ts';
import { NodeWebSocket } from '../../packages/wire/src/node.ts';
import { MAX_TIMER_MS, longTimeout } from '../../packages/wire/src/timers.ts';
import { delay } from './helpers.ts';
import { fakeNode, replyPayload, type FakeRequest } from './fake-node.ts';

const DAY = 86_400_000;

/** Runs `body` with setTimeout mocked; the clock only moves by `mock.timers.tick`. */
function withMockTimers(body: () => void): void {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    body();
  } finally {
    mock.timers.reset();
  }
}

describe('longTimeout', () => {
  test('the mock clock overflows as the real one does: a bare setTimeout of 30 days fires at once', () => {
    withMockTimers(() => {
      let fired = false;
      setTimeout(() => (fired = true), 30 * DAY);
      mock.timers.tick(3);
      assert.equal(fired, true);
    });
  });

  test('30 days: not at 3 ms, not after 2^31 ms, not a millisecond early; at 30 days, once', () => {
    withMockTimers(() => {
      let fired = 0;
      longTimeout(() => fired++, 30 * DAY);
      mock.timers.tick(3);
      assert.equal(fired, 0);
      // The mock runs a step's callback at the end of a tick, so ticks stop on step bounds
      // (a real timer's next step starts when its callback runs, a little late, too).
      mock.timers.tick(MAX_TIMER_MS - 3);
      mock.timers.tick(1);
      assert.equal(fired, 0, 'fired after 2^31 ms');
      mock.timers.tick(30 * DAY - 2 ** 31 - 1);
      assert.equal(fired, 0);
      mock.timers.tick(1);
      assert.equal(fired, 1);
      mock.timers.tick(60 * DAY);
      assert.equal(fired, 1);
    });
  });

  test('exactly 2^31 − 1 ms and one more both wait their length', () => {
    withMockTimers(() => {
      const fired: number[] = [];
      longTimeout(() => fired.push(MAX_TIMER_MS), MAX_TIMER_MS);
      longTimeout(() => fired.push(MAX_TIMER_MS + 1), MAX_TIMER_MS + 1);
      mock.timers.tick(MAX_TIMER_MS - 1);
      assert.deepEqual(fired, []);
      mock.timers.tick(1);
      assert.deepEqual(fired, [MAX_TIMER_MS]);
      mock.timers.tick(1);
      assert.deepEqual(fired, [MAX_TIMER_MS, MAX_TIMER_MS + 1]);
    });
  });

  test('cancelled before, between or after its steps, it never fires; cancelling twice is harmless', () => {
    withMockTimers(() => {
      let fired = 0;
      longTimeout(() => fired++, 100 * DAY)();
      const between = longTimeout(() => fired++, 100 * DAY);
      mock.timers.tick(40 * DAY);
      between();
      between();
      mock.timers.tick(100 * DAY);
      assert.equal(fired, 0);
      const done = longTimeout(() => fired++, 5);
      mock.timers.tick(5);
      done();
      assert.equal(fired, 1);
    });
  });

  test('Infinity never fires; negative and NaN fire as soon as setTimeout would', () => {
    withMockTimers(() => {
      const fired: string[] = [];
      longTimeout(() => fired.push('infinity'), Infinity);
      longTimeout(() => fired.push('negative'), -5);
      longTimeout(() => fired.push('nan'), Number.NaN);
      mock.timers.tick(1);
      assert.deepEqual(fired.sort(), ['nan', 'negative']);
      mock.timers.tick(1000 * DAY);
      assert.deepEqual(fired.sort(), ['nan', 'negative']);
    });
  });
});

describe('commando client: a request timeout past 24.8 days', () => {
  let node: Awaited<ReturnType<typeof fakeNode>>;
  let client: CommandoClient;
  let held: FakeRequest[] = [];

  before(async () => {
    node = await fakeNode((request) => held.push(request));
    client = await connect({ nodeId: node.nodeId, url: node.url, WebSocket: NodeWebSocket, reconnect: false });
  });
  after(async () => {
    client.close();
    await node.close();
  });

  for (const [name, options, perRequest] of [
    ['given per request', {}, { timeout: 30 * DAY }],
    ['Infinity per request', {}, { timeout: Infinity }],
  ] as const) {
    test(`${name}: still waiting after 50 ms, and the late reply still arrives`, async () => {
      held = [];
      let outcome: unknown = 'pending';
      const reply = client.request('waitinvoice', options, perRequest).then(
        (value) => (outcome = value),
        (error: WireError) => (outcome = error),
      );
      for (let i = 0; i < 200 && held.length === 0; i++) await delay(5);
      await delay(50);
      assert.equal(outcome, 'pending', `ended early with ${(outcome as WireError)?.code}: ${(outcome as WireError)?.message}`);
      const r = held[0]!;
      r.send(MessageType.COMMANDO_REPLY_TERM, replyPayload(r.id, '{"result":{"status":"paid"}}'));
      await reply;
      assert.deepEqual(outcome, { status: 'paid' });
    });
  }

  test('the default of 30 days given to connect() waits too', async () => {
    const patient = await connect({ nodeId: node.nodeId, url: node.url, WebSocket: NodeWebSocket, reconnect: false, timeout: 30 * DAY });
    try {
      held = [];
      let outcome: unknown = 'pending';
      const reply = patient.request('waitinvoice').then(
        (value) => (outcome = value),
        (error: WireError) => (outcome = error),
      );
      for (let i = 0; i < 200 && held.length === 0; i++) await delay(5);
      await delay(50);
      assert.equal(outcome, 'pending', `ended early with ${(outcome as WireError)?.code}`);
      const r = held[0]!;
      r.send(MessageType.COMMANDO_REPLY_TERM, replyPayload(r.id, '{"result":{}}'));
      await reply;
      assert.deepEqual(outcome, {});
    } finally {
      patient.close();
    }
  });
});
