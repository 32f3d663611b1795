/**
 * Engines on one journal that are given a shared lock and a peer channel (what
 * @ampkit/worker gives each tab: Web Locks and a BroadcastChannel; here Node's own
 * BroadcastChannel and one lock): an invoice made by one is followed by the other, a
 * payment's end wakes the other's waiters, every change is heard once by each engine, and
 * malformed channel messages are ignored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { localLock, type Engine, type EngineEvents, type Lock } from '../../packages/core/src/index.ts';
import { broadcastPeers } from '../../packages/worker/src/platform.ts';
import { nextEvent, receiveHarness, type ReceiveHarness } from './receive-harness.ts';

let h: ReceiveHarness;
const channels: { close(): void }[] = [];

before(async () => {
  h = await receiveHarness({ seed: 31 });
});
after(async () => {
  for (const c of channels) c.close();
  await h.stop();
});

/** Two engines on the harness's journal, each with its own BroadcastChannel end and one shared lock. */
async function pair(name: string): Promise<{ engines: Engine[]; locked: string[] }> {
  const shared = localLock();
  const locked: string[] = [];
  const lock: Lock = (lockName, task) => {
    locked.push(lockName);
    return shared(lockName, task);
  };
  const engines: Engine[] = [];
  for (let i = 0; i < 2; i++) {
    const peers = broadcastPeers(name)!;
    channels.push(peers);
    engines.push(await h.engine(undefined, { lock, peers }));
  }
  return { engines, locked };
}

function record(engine: Engine): string[] {
  const seen: string[] = [];
  for (const type of ['invoice-updated', 'invoice-part', 'invoice-paid'] as (keyof EngineEvents)[]) {
    engine.on(type, (d) => seen.push(`${type}:${(d as { status?: string }).status ?? ''}`));
  }
  return seen;
}

describe('engines sharing a journal, a lock and a channel', () => {
  test('an invoice made by one is followed by both; one settle; each hears every change once', async () => {
    const { engines, locked } = await pair('ampkit-test-hold');
    const [a, b] = engines as [Engine, Engine];
    const seenA = record(a);
    const seenB = record(b);
    const settles = h.calls('settleholdinvoice');
    const heard = nextEvent(b, 'invoice-updated');
    const inv = await a.invoice({ amount_msat: 42, description: 'shared', hold: true });
    assert.equal((await heard).payment_hash, inv.payment_hash, "b hears of a's invoice");
    const waited = b.waitinvoice({ payment_hash: inv.payment_hash, timeout: 20 });
    await h.pay('alice', inv.bolt11, 20, 1);
    await h.pay('bob', inv.bolt11, 22, 2);
    assert.equal((await waited).status, 'paid');
    assert.equal((await a.waitinvoice({ payment_hash: inv.payment_hash, timeout: 20 })).status, 'paid');
    assert.equal(h.calls('settleholdinvoice') - settles, 1);
    assert.ok(
      locked.some((name) => name.endsWith(`:hold:${inv.payment_hash}`)),
      "the settle ran under the hold invoice's lock",
    );
    await new Promise((r) => setTimeout(r, 100));
    for (const seen of [seenA, seenB]) {
      assert.equal(seen.filter((e) => e === 'invoice-paid:paid').length, 1, seen.join(', '));
      assert.equal(seen.filter((e) => e === 'invoice-part:').length, 2, seen.join(', '));
    }
    for (const e of engines) e.close();
  });

  test('malformed messages on the channel are ignored', async () => {
    const { engines } = await pair('ampkit-test-junk');
    const [a] = engines as [Engine];
    const seen = record(a);
    const intruder = new BroadcastChannel('ampkit-test-junk');
    for (const junk of [
      null,
      'x',
      { type: 'invoice-paid' },
      { type: 'invoice-paid', detail: { payment_hash: 5 } },
      { type: 'error', detail: {} },
      { type: 'part-updated', detail: { payment_hash: 'ab' } },
    ]) {
      intruder.postMessage(junk);
    }
    intruder.postMessage({ type: 'invoice-updated', detail: { payment_hash: 'ff'.repeat(32), status: 'paid' } });
    await new Promise((r) => setTimeout(r, 100));
    intruder.close();
    assert.deepEqual(seen, [], 'nothing is passed on: a well-formed message about an invoice the journal lacks is no news either');
    assert.deepEqual(
      (await a.listinvoices()).invoices.filter((i) => i.payment_hash === 'ff'.repeat(32)),
      [],
      'a message changes no record',
    );
    for (const e of engines) e.close();
  });
});
