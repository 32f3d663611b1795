/**
 * Sets that never complete: the node fails the held parts back after its MPP timeout
 * (here 0.6 s instead of BOLT 4's 60 s); the entries vanish with reason `timeout`, the
 * invoice stays unpaid and, for a hold invoice, the node never receives the preimage.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Engine } from '../../packages/core/src/index.ts';
import { nextEvent, receiveHarness, recordEvents, type ReceiveHarness } from './receive-harness.ts';

let h: ReceiveHarness;
let engine: Engine;

before(async () => {
  h = await receiveHarness({ mppTimeout: 0.6 });
  engine = await h.engine();
});
after(() => h.stop());

for (const hold of [false, true]) {
  test(`${hold ? 'hold' : 'plain'} invoice: an incomplete set times out, its entries vanish, the invoice stays unpaid${hold ? ', no preimage reached the node' : ''}`, async () => {
    const inv = await engine.invoice({ amount_msat: 42, description: 'never finished', hold });
    const events = recordEvents(engine);
    const arrived = nextEvent(engine, 'invoice-part', (p) => p.payment_hash === inv.payment_hash);
    await h.pay('alice', inv.bolt11, 6, 1);
    await h.pay('bob', inv.bolt11, 9, 2);
    await arrived;
    const gone: string[] = [];
    engine.on('invoice-part-gone', (g) => g.part.payment_hash === inv.payment_hash && gone.push(g.reason));
    assert.equal((await h.outcome('alice', inv.payment_hash, 1)).failcodename, 'WIRE_MPP_TIMEOUT');
    assert.equal((await h.outcome('bob', inv.payment_hash, 2)).failcodename, 'WIRE_MPP_TIMEOUT');
    for (let i = 0; i < 100 && gone.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(gone, ['timeout', 'timeout']);
    assert.deepEqual((await engine.listpartialinvoices({ payment_hash: inv.payment_hash })).partialinvoices, []);
    const [record] = (await engine.listinvoices({ payment_hash: inv.payment_hash })).invoices;
    assert.equal(record!.status, 'unpaid');
    assert.equal(record!.amount_received_msat, 0);
    assert.equal(record!.amount_held_msat, 0);
    assert.equal(record!.parts, 0);
    assert.ok(!events.includes('invoice-paid'));
    if (hold) {
      assert.equal(h.nodePreimage(inv.payment_hash), undefined);
      assert.equal(h.calls('settleholdinvoice'), 0);
      const node = (await h.shop.request('listholdinvoices', { payment_hash: inv.payment_hash })).holdinvoices[0];
      assert.equal(node.state, 'unpaid');
      assert.equal(node.preimage, undefined);
    }

    // The payer tries again with a whole set: it is claimed.
    await h.pay('alice', inv.bolt11, 20, 3);
    await h.pay('carol', inv.bolt11, 22, 4);
    const paid = await engine.waitinvoice({ payment_hash: inv.payment_hash, timeout: 10 });
    assert.equal(paid.status, 'paid');
    assert.equal(paid.amount_received_msat, 42);
    assert.equal(paid.parts, 2);
  });
}
