/**
 * A retry storm cannot pay twice: 50 concurrent `sendpartialpay` calls on one payment hash,
 * from one engine and from two engines sharing one IndexedDB journal (two tabs), never put
 * more than the intended amount in flight.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AmpkitError, type Engine, type Node } from '../../packages/core/src/index.ts';
import { engineHarness, type EngineHarness, type Invoice } from './engine-harness.ts';

let h: EngineHarness;
before(async () => {
  h = await engineHarness({ seed: 41 });
});
after(() => h.stop());

const VIAS = ['alice', 'bob', 'carol', 'dave'] as const;
const PART = 200_000;
const TOTAL = 5_000_000; // 25 parts' worth; 50 are tried.

/** Tracks what is in flight at the node from the engine's sends: never more than the total. */
function inFlight(node: Node, record: { now: number; max: number }): Node {
  return {
    ...node,
    id: node.id,
    async sendpay(r) {
      const amount = r.route[r.route.length - 1]!.amount_msat;
      record.now += amount;
      record.max = Math.max(record.max, record.now);
      try {
        const part = await node.sendpay(r);
        if (part.status === 'failed') record.now -= amount;
        return part;
      } catch (error) {
        record.now -= amount;
        throw error;
      }
    },
    async waitsendpay(r) {
      const part = await node.waitsendpay(r);
      if (part.status === 'failed') record.now -= part.amount_msat;
      return part;
    },
  };
}

/** Fires 50 parts at once; counts those sent, refused as OVERPAY, and answered already_complete. */
async function storm(engines: Engine[], inv: Invoice): Promise<{ sent: number; refused: number }> {
  const results = await Promise.allSettled(
    Array.from({ length: 50 }, (_, i) =>
      engines[i % engines.length]!.sendpartialpay({
        route: h.route(VIAS[i % VIAS.length]!, PART),
        payment_hash: inv.payment_hash,
        intended_amount_msat: inv.amount_msat,
        payment_secret: inv.payment_secret,
      }),
    ),
  );
  let sent = 0;
  let refused = 0;
  for (const r of results) {
    // Once the 25th part lands the payment may complete: later calls get already_complete.
    if (r.status === 'fulfilled') r.value.already_complete ? refused++ : sent++;
    else if (r.reason instanceof AmpkitError && r.reason.code === 'OVERPAY') refused++;
    else throw r.reason;
  }
  return { sent, refused };
}

async function assertExactlyPaid(inv: Invoice): Promise<void> {
  const { payments } = await h.wallet.request('listsendpays', { payment_hash: inv.payment_hash });
  const delivered = payments
    .filter((p: { status: string }) => p.status !== 'failed')
    .reduce((s: number, p: { amount_msat: number }) => s + p.amount_msat, 0);
  assert.equal(delivered, TOTAL, 'the node sent exactly the intended amount');
  const { invoices } = await h.shop.request('listinvoices', { payment_hash: inv.payment_hash });
  assert.equal(invoices[0].status, 'paid');
  assert.equal(invoices[0].amount_received_msat, TOTAL);
}

describe('50 concurrent sendpartialpay calls on one payment hash', () => {
  test('one engine: 25 parts go, 25 are refused (OVERPAY, or already_complete once paid), never more than the amount in flight', async () => {
    const record = { now: 0, max: 0 };
    const engine = await h.engine((node) => inFlight(node, record));
    const inv = await h.invoice(TOTAL);
    assert.deepEqual(await storm([engine], inv), { sent: 25, refused: 25 });
    assert.ok(record.max <= TOTAL, `at most ${TOTAL} msat in flight, saw ${record.max}`);
    assert.equal((await engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 20 })).status, 'complete');
    await assertExactlyPaid(inv);
    engine.close();
  });

  test('two engines on one IndexedDB journal (two tabs) share the guard', async () => {
    const record = { now: 0, max: 0 };
    const a = await h.engine((node) => inFlight(node, record));
    const b = await h.engine((node) => inFlight(node, record));
    const inv = await h.invoice(TOTAL);
    assert.deepEqual(await storm([a, b], inv), { sent: 25, refused: 25 });
    assert.ok(record.max <= TOTAL, `at most ${TOTAL} msat in flight, saw ${record.max}`);
    assert.equal((await a.waitsendpay({ payment_hash: inv.payment_hash, timeout: 20 })).status, 'complete');
    await assertExactlyPaid(inv);
    const parts = (await a.listpartialpayments({ payment_hash: inv.payment_hash })).partialpayments;
    assert.equal(new Set(parts.map((p) => p.partid)).size, parts.length, 'no partid used twice');
    a.close();
    b.close();
  });
});
