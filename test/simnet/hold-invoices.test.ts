/** The hold plugin's methods: the preimage stays with the caller until the set is complete. */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { harness, twoHopRoute, type Harness } from './harness.ts';

let h: Harness;
before(async () => {
  h = await harness({ seed: 9, mppTimeout: 0.5 });
});
after(() => h.stop());

const newPreimage = () => {
  const preimage = randomBytes(32).toString('hex');
  return { preimage, hash: createHash('sha256').update(Buffer.from(preimage, 'hex')).digest('hex') };
};

describe('simnet: hold invoices', () => {
  test('unpaid, then accepted with its htlcs once the set is complete, then paid on settle', async () => {
    const shop = await h.client('shop');
    const wallet = await h.client('wallet');
    const { preimage, hash } = newPreimage();
    const { bolt11 } = await shop.request('holdinvoice', { payment_hash: hash, amount: 20_000_000, description: 'held' });
    const decoded = await wallet.request('decode', [bolt11]);
    assert.equal(decoded.payment_hash, hash);
    let [inv] = (await shop.request('listholdinvoices', { payment_hash: hash })).holdinvoices;
    assert.equal(inv.state, 'unpaid');
    for (const [i, via] of ['alice', 'bob'].entries()) {
      await wallet.request('sendpay', { route: twoHopRoute(h.simnet, 'wallet', via, 'shop', 10_000_000), payment_hash: hash, payment_secret: decoded.payment_secret, amount_msat: 20_000_000, partid: i + 1, groupid: 1 });
    }
    await new Promise((r) => setTimeout(r, 100));
    [inv] = (await shop.request('listholdinvoices', [hash])).holdinvoices;
    assert.equal(inv.state, 'accepted');
    assert.equal(inv.htlcs.length, 2);
    assert.deepEqual(Object.keys(inv.htlcs[0]), ['scid', 'id', 'msat', 'cltv_expiry', 'state', 'created_at']);
    // Accepted sets are not timed out: they wait past the mpp timeout for the preimage.
    await new Promise((r) => setTimeout(r, 700));
    await assert.rejects(wallet.request('waitsendpay', { payment_hash: hash, partid: 1, groupid: 1, timeout: 0 }), { code: 200 });
    await assert.rejects(shop.request('settleholdinvoice', { preimage: '00'.repeat(32) }), { code: 2103 });
    assert.deepEqual(await shop.request('settleholdinvoice', { preimage }), {});
    const done = await wallet.request('waitsendpay', { payment_hash: hash, partid: 2, groupid: 1, timeout: 10 });
    assert.equal(done.payment_preimage, preimage);
    [inv] = (await shop.request('listholdinvoices', { bolt11 })).holdinvoices;
    assert.equal(inv.state, 'paid');
    assert.equal(inv.preimage, preimage);
    await assert.rejects(shop.request('cancelholdinvoice', { payment_hash: hash }), { code: 2102 });
  });

  test('an incomplete set times out with mpp_timeout; settle before completion is refused; cancel fails parts back', async () => {
    const shop = await h.client('shop');
    const wallet = await h.client('wallet');
    const { preimage, hash } = newPreimage();
    const { bolt11 } = await shop.request('holdinvoice', [hash, 30_000_000]);
    const { payment_secret } = await wallet.request('decode', [bolt11]);
    await wallet.request('sendpay', { route: twoHopRoute(h.simnet, 'wallet', 'carol', 'shop', 10_000_000), payment_hash: hash, payment_secret, amount_msat: 30_000_000, partid: 1, groupid: 1 });
    await new Promise((r) => setTimeout(r, 80));
    await assert.rejects(shop.request('settleholdinvoice', [preimage]), { code: 2102 });
    await assert.rejects(wallet.request('waitsendpay', { payment_hash: hash, partid: 1, groupid: 1, timeout: 5 }), (e: { data: { failcode: number } }) => e.data.failcode === 23);
    // A complete set, then cancelled: parts fail back with incorrect_or_unknown_payment_details.
    await wallet.request('sendpay', { route: twoHopRoute(h.simnet, 'wallet', 'dave', 'shop', 30_000_000), payment_hash: hash, payment_secret, amount_msat: 30_000_000, partid: 2, groupid: 1 });
    await new Promise((r) => setTimeout(r, 80));
    assert.equal((await shop.request('listholdinvoices', [hash])).holdinvoices[0].state, 'accepted');
    await shop.request('cancelholdinvoice', [hash]);
    await assert.rejects(wallet.request('waitsendpay', { payment_hash: hash, partid: 2, groupid: 1, timeout: 5 }), { code: 203 });
    assert.equal((await shop.request('listholdinvoices', [hash])).holdinvoices[0].state, 'cancelled');
    await assert.rejects(shop.request('holdinvoice', [hash, 1000]), { code: 2101 });
  });
});
