/**
 * Waits of any length (docs/design.md, "Trust": waits end):
 * `waitinvoice({ timeout: 30 days })` used to end in TIMEOUT after 3 ms, setTimeout firing
 * at once past 2^31 − 1 ms. The engine's waits (waitinvoice, waitsendpay, waitpartialpay)
 * run on `longTimeout` now. Node's mock timers overflow as the real ones do, so a 30-day
 * wait is tested in no time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, mock, test } from 'node:test';
import { AmpkitError, type Engine } from '../../packages/core/src/index.ts';
import { Waiters } from '../../packages/core/src/payments/waiters.ts';
import { checkTimeout } from '../../packages/core/src/validate.ts';
import { receiveHarness, type ReceiveHarness } from './receive-harness.ts';

const DAY_S = 86_400;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Lets settled promises run their callbacks (the mock clock does not move meanwhile). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('Waiters: a 30-day timeout', () => {
  test('not at 3 ms, not after 2^31 ms; TIMEOUT at 30 days', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const waiters = new Waiters<string, string>();
      const seen: { outcome: string | AmpkitError } = { outcome: 'waiting' };
      void waiters.add('k', 30 * DAY_S, 'the thing').then(
        (v) => (seen.outcome = v),
        (e: AmpkitError) => (seen.outcome = e),
      );
      mock.timers.tick(3);
      await flush();
      assert.equal(seen.outcome, 'waiting', 'ended at 3 ms');
      // Ticks stop on the timer's 2^31 − 1 ms steps: the mock runs a step's callback at a tick's end.
      mock.timers.tick(MAX_TIMER_MS - 3);
      mock.timers.tick(1);
      await flush();
      assert.equal(seen.outcome, 'waiting', 'ended after 2^31 ms');
      mock.timers.tick(30 * DAY_S * 1000 - 2 ** 31 - 1);
      await flush();
      assert.equal(seen.outcome, 'waiting', 'ended a millisecond early');
      mock.timers.tick(1);
      await flush();
      const ended: unknown = seen.outcome; // (assert.equal above narrowed seen.outcome to 'waiting')
      assert.ok(ended instanceof AmpkitError && ended.code === 'TIMEOUT', String(ended));
      assert.equal(waiters.has('k'), false);
    } finally {
      mock.timers.reset();
    }
  });

  test('resolved after 40 days of a 100-day wait, its timer is gone: nothing fires later', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const waiters = new Waiters<string, string>();
      const outcomes: unknown[] = [];
      void waiters.add('k', 100 * DAY_S, 'the thing').then(
        (v) => outcomes.push(v),
        (e) => outcomes.push(e),
      );
      mock.timers.tick(40 * DAY_S * 1000);
      waiters.resolve('k', 'done');
      mock.timers.tick(100 * DAY_S * 1000);
      await flush();
      assert.deepEqual(outcomes, ['done']);
    } finally {
      mock.timers.reset();
    }
  });
});

describe('checkTimeout', () => {
  test('any length of seconds is kept; Infinity is no limit, as leaving it out; NaN and negatives are refused', () => {
    assert.equal(checkTimeout(30 * DAY_S), 30 * DAY_S);
    assert.equal(checkTimeout(1e12), 1e12);
    assert.equal(checkTimeout(Infinity), undefined);
    assert.equal(checkTimeout(undefined), undefined);
    for (const bad of [Number.NaN, -1, -Infinity, '60']) {
      assert.throws(
        () => checkTimeout(bad),
        (e: AmpkitError) => e.code === 'INVALID_ARGUMENT',
        String(bad),
      );
    }
  });
});

describe('the engine: waitinvoice with a 30-day timeout', () => {
  let h: ReceiveHarness;
  let engine: Engine;

  before(async () => {
    h = await receiveHarness();
    engine = await h.engine();
  });
  after(() => h.stop());

  for (const [name, timeout] of [
    ['30 days', 30 * DAY_S],
    ['Infinity', Infinity],
  ] as const) {
    test(`${name}: still waiting after 50 ms, then paid`, async () => {
      const inv = await engine.invoice({ amount_msat: 21_000, description: `long wait, ${name}` });
      let outcome: unknown = 'waiting';
      const waiting = engine.waitinvoice({ payment_hash: inv.payment_hash, timeout }).then(
        (v) => (outcome = v),
        (e: AmpkitError) => (outcome = e),
      );
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(outcome, 'waiting', `ended early: ${String(outcome)}`);
      await h.pay('alice', inv.bolt11, 21_000, 1);
      await waiting;
      assert.equal((outcome as { status?: string }).status, 'paid', String(outcome));
    });
  }
});
