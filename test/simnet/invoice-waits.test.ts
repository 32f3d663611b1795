/** waitinvoice, waitanyinvoice and delinvoice, as Core Lightning answers them. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { harness, type Harness } from './harness.ts';

let h: Harness;
before(async () => {
  h = await harness({ seed: 21 });
});
after(() => h.stop());

describe('simnet: waiting for and deleting invoices', () => {
  test('waitinvoice and waitanyinvoice wake when the invoice is paid; delinvoice checks the status', async () => {
    const shop = await h.client('shop');
    const wallet = await h.client('wallet');
    const inv = await shop.request('invoice', { amount_msat: 2_000_000, label: 'w1', description: 'wait' });
    const byLabel = shop.request('waitinvoice', ['w1']);
    const any = shop.request('waitanyinvoice', { lastpay_index: 0, timeout: 30 });
    await assert.rejects(shop.request('waitanyinvoice', { lastpay_index: 0, timeout: 0 }), { code: 904, message: 'Timed out' });
    await wallet.request('pay', [inv.bolt11]);
    const [a, b] = await Promise.all([byLabel, any]);
    assert.equal(a.status, 'paid');
    assert.equal(a.pay_index, 1);
    assert.deepEqual(b, a);
    await assert.rejects(shop.request('waitinvoice', ['nope']), { code: -1, message: 'Unknown invoice' });
    await assert.rejects(shop.request('delinvoice', { label: 'w1', status: 'unpaid' }), {
      code: 906,
      message: 'Invoice status is paid not unpaid',
    });
    assert.equal((await shop.request('delinvoice', { label: 'w1', status: 'paid' })).label, 'w1');
    assert.deepEqual((await shop.request('listinvoices', { label: 'w1' })).invoices, []);
    await assert.rejects(
      shop
        .request('invoice', { amount_msat: 1, label: 'dup', description: 'x' })
        .then(() => shop.request('invoice', { amount_msat: 1, label: 'dup', description: 'x' })),
      {
        code: 900,
        message: "Duplicate label 'dup'",
      },
    );
  });

  test('an invoice past its expiry is expired: waitinvoice fails with 903 and payments are refused', async () => {
    const shop = await h.client('shop');
    const wallet = await h.client('wallet');
    const inv = await shop.request('invoice', { amount_msat: 1_000_000, label: 'short', description: 'expires', expiry: 1 });
    await assert.rejects(shop.request('waitinvoice', ['short']), { code: 903 });
    assert.equal((await shop.request('listinvoices', ['short'])).invoices[0].status, 'expired');
    await assert.rejects(wallet.request('pay', [inv.bolt11]), { code: 207 });
  });
});
