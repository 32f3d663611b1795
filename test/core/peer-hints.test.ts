/**
 * Messages between tabs are hints, never facts (docs/design.md, "Trust"): any script on the
 * origin can post on the engines' BroadcastChannel. A forged message changes no invoice a
 * page shows, resolves no wait, and makes no payment complete; what listeners hear is what
 * the journal holds. A true message from another engine still reaches waiters and
 * listeners.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { localLock, type Engine, type EngineEvents } from '../../packages/core/src/index.ts';
import { broadcastPeers } from '../../packages/worker/src/platform.ts';
import { engineHarness, type EngineHarness } from './engine-harness.ts';

let h: EngineHarness;
const closers: { close(): void }[] = [];
before(async () => {
  h = await engineHarness({ seed: 59 });
});
after(async () => {
  for (const c of closers) c.close();
  await h.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function engineOn(channel: string): Promise<Engine> {
  const peers = broadcastPeers(channel)!;
  closers.push(peers);
  return h.engine(undefined, { peers, lock: sharedLock });
}
const sharedLock = localLock();

function heard(engine: Engine): Array<{ type: string; detail: any }> {
  const seen: Array<{ type: string; detail: any }> = [];
  for (const type of [
    'invoice-updated',
    'invoice-paid',
    'invoice-part',
    'part-updated',
    'payment-updated',
    'pay-progress',
  ] as (keyof EngineEvents)[]) {
    engine.on(type, (detail) => seen.push({ type, detail }));
  }
  return seen;
}

function forger(channel: string): BroadcastChannel {
  const bc = new BroadcastChannel(channel);
  closers.push(bc);
  return bc;
}

describe('peer messages are hints: the journal decides', () => {
  test('a forged invoice-updated / invoice-paid changes no invoice and resolves no waitinvoice', async () => {
    const engine = await engineOn('ampkit-hints-invoice');
    const seen = heard(engine);
    const invoice = await engine.invoice({ amount_msat: 21_000, description: 'hints' });
    const other = await h.invoice(21_000, 'someone-else');
    let resolved = false;
    const waiting = engine.waitinvoice({ payment_hash: invoice.payment_hash, timeout: 2 }).then(
      () => (resolved = true),
      (e) => e,
    );
    const bad = forger('ampkit-hints-invoice');
    bad.postMessage({ type: 'invoice-updated', detail: { ...invoice, bolt11: other.bolt11, status: 'paid' } });
    bad.postMessage({ type: 'invoice-paid', detail: { ...invoice, status: 'paid', paid_at: 1 } });
    bad.postMessage({
      type: 'invoice-part',
      detail: {
        payment_hash: invoice.payment_hash,
        total_amount_msat: 21_000,
        incoming_scid: '1x1x1',
        htlc_id: 7,
        partial_amount_msat: 21_000,
        incoming_time_unix: 1,
        expiry: 1,
        state: 'RCVD_ADD_ACK_REVOCATION',
      },
    });
    await sleep(200);
    for (const { type, detail } of seen) {
      assert.notEqual(type, 'invoice-paid');
      assert.notEqual(type, 'invoice-part', 'a part the journal does not hold is not announced');
      if (type === 'invoice-updated') {
        assert.equal(detail.bolt11, invoice.bolt11, "listeners hear the journal's invoice, not the forged one");
        assert.equal(detail.status, 'unpaid');
      }
    }
    const [listed] = (await engine.listinvoices({ payment_hash: invoice.payment_hash })).invoices;
    assert.equal(listed!.bolt11, invoice.bolt11);
    assert.equal(listed!.status, 'unpaid');
    const outcome = await waiting;
    assert.equal(resolved, false);
    assert.equal((outcome as { code?: string }).code, 'TIMEOUT');
  });

  test('a forged payment-updated / part-updated with a preimage that is no proof resolves no wait and completes nothing', async () => {
    const engine = await engineOn('ampkit-hints-pay');
    const seen = heard(engine);
    const inv = await h.invoice(150_000);
    h.simnet.setFaults('shop', { hold: true });
    try {
      const sent = await engine.sendpartialpay({
        route: h.route('alice', 150_000),
        payment_hash: inv.payment_hash,
        intended_amount_msat: 150_000,
        payment_secret: inv.payment_secret,
      });
      const id = (sent as { id: number }).id;
      const partWait = engine.waitpartialpay({ id, timeout: 1 }).catch((e) => e);
      const payWait = engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 1 }).catch((e) => e);
      const [stored] = (await engine.listpartialpayments({ id })).partialpayments;
      const [payment] = (await engine.listpayments({ payment_hash: inv.payment_hash })).payments;
      const bad = forger('ampkit-hints-pay');
      const lie = '00'.repeat(32);
      bad.postMessage({ type: 'part-updated', detail: { ...stored, status: 'complete', payment_preimage: lie } });
      bad.postMessage({ type: 'payment-updated', detail: { ...payment, status: 'complete', payment_preimage: lie } });
      bad.postMessage({
        type: 'pay-progress',
        detail: {
          payment_hash: inv.payment_hash,
          amount_msat: 150_000,
          maxfee_msat: 1,
          status: 'complete',
          parts: [],
          attempts: 1,
          amount_delivered_msat: 150_000,
          amount_inflight_msat: 0,
          fee_msat: 0,
        },
      });
      assert.equal((await partWait).code, 'TIMEOUT', 'the part wait is not resolved by a forged message');
      assert.equal((await payWait).code, 'TIMEOUT', 'the payment wait is not resolved by a forged message');
      assert.ok(
        !seen.some((e) => e.detail.status === 'complete' || e.detail.payment_preimage === lie),
        JSON.stringify(seen.map((e) => [e.type, e.detail.status])),
      );
      const progress = seen.filter((e) => e.type === 'pay-progress');
      for (const p of progress) assert.equal(p.detail.amount_delivered_msat, 0, "progress figures are the journal's");
      assert.equal((await engine.listpayments({ payment_hash: inv.payment_hash })).payments[0]!.status, 'pending');
    } finally {
      h.simnet.setFaults('shop', { hold: false });
    }
    assert.equal((await engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 10 })).status, 'complete');
  });

  test("a true message from another engine still wakes this one's waiters, with the journal's record", async () => {
    const a = await engineOn('ampkit-hints-true');
    const b = await engineOn('ampkit-hints-true');
    const inv = await h.invoice(160_000);
    h.simnet.setFaults('shop', { hold: true });
    let sent;
    try {
      sent = await a.sendpartialpay({
        route: h.route('bob', 160_000),
        payment_hash: inv.payment_hash,
        intended_amount_msat: 160_000,
        payment_secret: inv.payment_secret,
      });
    } finally {
      h.simnet.setFaults('shop', { hold: false });
    }
    const waited = await b.waitsendpay({ payment_hash: inv.payment_hash, timeout: 10 });
    assert.equal(waited.status, 'complete');
    assert.equal(waited.payment_preimage, (await a.waitpartialpay({ id: (sent as { id: number }).id, timeout: 10 })).payment_preimage);
  });
});
