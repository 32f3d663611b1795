/** Multi-part payments across the demo topology, seen only through commando RPC. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { harness, twoHopRoute, type Harness } from './harness.ts';

describe('simnet: a three-part payment over disjoint paths', () => {
  let h: Harness;
  before(async () => {
    h = await harness({ seed: 7 });
  });
  after(() => h.stop());

  test('completes, and the invoice shows amount_received_msat and paid_at', async () => {
    const wallet = await h.client('wallet');
    const shop = await h.client('shop');
    const total = 1_800_000_000;
    const inv = await shop.request('invoice', { amount_msat: total, label: 'order-1', description: 'three parts' });
    assert.match(inv.bolt11, /^lnbcrt18m1/);
    assert.equal(inv.warning_mpp, 'The invoice is only payable by MPP-capable payers.');
    const decoded = await wallet.request('decode', [inv.bolt11]);
    assert.equal(decoded.payee, h.simnet.node('shop').node.id);
    assert.equal(decoded.payment_secret, inv.payment_secret);
    assert.equal(decoded.features, '02024100');

    // One path cannot carry it: the shop's side of each routing channel holds 700,000 sat at most.
    const parts = [600_000_000, 600_000_000, 600_000_000];
    const vias = ['alice', 'bob', 'carol'];
    const sent = await Promise.all(
      parts.map((amount, i) =>
        wallet.request('sendpay', {
          route: twoHopRoute(h.simnet, 'wallet', vias[i]!, 'shop', amount),
          payment_hash: inv.payment_hash,
          payment_secret: inv.payment_secret,
          amount_msat: total,
          partid: i + 1,
          groupid: 1,
          bolt11: inv.bolt11,
        }),
      ),
    );
    for (const [i, s] of sent.entries()) {
      assert.equal(s.message, 'Monitor status with listpays or waitsendpay');
      assert.equal(s.status, 'pending');
      assert.equal(s.partid, i + 1);
      assert.equal(s.amount_msat, parts[i]);
      assert.ok(s.amount_sent_msat > s.amount_msat, 'fees are paid to the routing node');
    }
    const done = await Promise.all(
      parts.map((_, i) => wallet.request('waitsendpay', { payment_hash: inv.payment_hash, partid: i + 1, groupid: 1, timeout: 10 })),
    );
    const preimages = new Set(done.map((d) => d.payment_preimage));
    assert.equal(preimages.size, 1);
    assert.deepEqual(Object.keys(done[0]), [
      'created_index',
      'id',
      'payment_hash',
      'groupid',
      'updated_index',
      'partid',
      'destination',
      'amount_msat',
      'amount_sent_msat',
      'created_at',
      'completed_at',
      'status',
      'payment_preimage',
      'bolt11',
    ]);
    const { invoices } = await shop.request('listinvoices', { label: 'order-1' });
    assert.equal(invoices[0].status, 'paid');
    assert.equal(invoices[0].amount_received_msat, total);
    assert.equal(typeof invoices[0].paid_at, 'number');
    assert.equal(invoices[0].pay_index, 1);
    assert.equal(invoices[0].payment_preimage, [...preimages][0]);
    const pays = await wallet.request('listpays', { payment_hash: inv.payment_hash });
    assert.equal(pays.pays[0].status, 'complete');
    assert.equal(pays.pays[0].number_of_parts, 3);
    assert.equal(pays.pays[0].amount_msat, total);

    // Balances moved: the shop's side of each used channel grew by exactly the part.
    const channels = (await shop.request('listpeerchannels', {})).channels as { peer_id: string; to_us_msat: number; htlcs: unknown[] }[];
    for (const via of vias) {
      const c = channels.find((x) => x.peer_id === h.simnet.node(via).node.id)!;
      assert.equal(c.to_us_msat, 300_000_000 + 600_000_000);
      assert.deepEqual(c.htlcs, []);
    }
  });

  test('sending a completed part again returns it, and pay on the paid invoice sends nothing', async () => {
    const wallet = await h.client('wallet');
    const shop = await h.client('shop');
    const inv = await shop.request('invoice', { amount_msat: 10_000_000, label: 'small', description: 'one part' });
    const paid = await wallet.request('pay', [inv.bolt11]);
    assert.equal(paid.status, 'complete');
    assert.equal(paid.amount_msat, 10_000_000);
    const again = await wallet.request('pay', [inv.bolt11]);
    assert.equal(again.status, 'complete');
    assert.equal(again.payment_preimage, paid.payment_preimage);
  });
});

describe('simnet: pay', () => {
  let h: Harness;
  before(async () => {
    h = await harness({ seed: 8 });
  });
  after(() => h.stop());

  test('pay splits a large invoice on its own', async () => {
    const wallet = await h.client('wallet');
    const shop = await h.client('shop');
    const inv = await shop.request('invoice', { amount_msat: 1_500_000_000, label: 'big', description: 'pay splits' });
    const paid = await wallet.request('pay', { bolt11: inv.bolt11 });
    assert.equal(paid.status, 'complete');
    assert.ok(paid.parts >= 3, `parts ${paid.parts}`);
    assert.ok(paid.amount_sent_msat > paid.amount_msat);
    const { invoices } = await shop.request('listinvoices', { payment_hash: inv.payment_hash });
    assert.equal(invoices[0].status, 'paid');
  });
});
