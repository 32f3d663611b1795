/**
 * Two real Chromium tabs on one node and one journal, one of them hostile or unlucky
 * (docs/design.md, "Trust"): a tab forging the engines' BroadcastChannel messages changes
 * no invoice, resolves no wait and completes no payment; a tab that opens while another
 * tab's `sendpay` is slow to reach the node does not call that part "never sent", so no
 * replacement is sent and the payment completes once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeBolt11 } from '../../packages/wire/src/index.ts';
import { twoHopRoute } from '../simnet/harness.ts';
import { browserHarness, type BrowserHarness, type Tab } from './browser-harness.ts';

let h: BrowserHarness;
let tabs: Tab[];

before(async () => {
  h = await browserHarness({ seed: 71 });
  tabs = [await h.tab(), await h.tab()];
  await h.clearJournals(tabs[0]!);
});
after(() => h?.stop());

async function waitFor(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('two tabs, one hostile or unlucky', () => {
  test('a tab forging BroadcastChannel messages: the invoice, its wait and a payment stay what the journal and the node say', async () => {
    const [honest, forger] = tabs as [Tab, Tab];
    const shopId = h.simnet.node('shop').node.id;
    const walletId = h.simnet.node('wallet').node.id;
    const other = await (
      await h.client('bob')
    ).request('invoice', { amount_msat: 99_000, label: 'not-the-shop', description: 'elsewhere' });
    const invoice = await honest.page.evaluate(async (access) => {
      const w = window as any;
      w.shop = await w.ampkit.createAmpkit(access);
      w.heard = [];
      for (const type of ['invoice-updated', 'invoice-paid'])
        w.shop.on(type, (d: any) => w.heard.push({ type, bolt11: d.bolt11, status: d.status }));
      return w.shop.invoice({ amount_msat: 99_000, description: 'honest shop' });
    }, h.access('shop'));
    const waited = honest.page.evaluate(
      (hash) => (window as any).caught(() => (window as any).shop.waitinvoice({ payment_hash: hash, timeout: 3 })),
      invoice.payment_hash,
    );
    await forger.page.evaluate(
      (name, invoice, bolt11) => {
        const channel = new BroadcastChannel(name);
        channel.postMessage({ type: 'invoice-updated', detail: { ...invoice, bolt11, status: 'paid' } });
        channel.postMessage({ type: 'invoice-paid', detail: { ...invoice, bolt11, status: 'paid', paid_at: 1 } });
        channel.close();
      },
      `ampkit:${shopId}`,
      invoice,
      other.bolt11,
    );
    const outcome = await waited;
    assert.equal(outcome.code, 'TIMEOUT', `waitinvoice ended on a forged message: ${JSON.stringify(outcome)}`);
    const heard = await honest.page.evaluate(() => (window as any).heard);
    for (const e of heard) {
      assert.equal(e.bolt11, invoice.bolt11, 'the page never hears of another invoice');
      assert.equal(e.status, 'unpaid');
    }
    const listed = await honest.page.evaluate((hash) => (window as any).shop.listinvoices({ payment_hash: hash }), invoice.payment_hash);
    assert.equal(listed.invoices[0].bolt11, invoice.bolt11);
    assert.equal(listed.invoices[0].status, 'unpaid');

    // A payment in flight: a forged completion with a preimage that is no proof is not believed.
    const shop = await h.client('shop');
    const { bolt11 } = await shop.request('invoice', { amount_msat: 120_000, label: 'hostile-pay', description: 'held' });
    const decoded = decodeBolt11(bolt11);
    h.simnet.setFaults('shop', { hold: true });
    try {
      await honest.page.evaluate(
        async (access, request) => {
          const w = window as any;
          w.wallet = await w.ampkit.createAmpkit(access);
          w.part = await w.wallet.sendpartialpay(request);
        },
        h.access('wallet'),
        {
          route: twoHopRoute(h.simnet, 'wallet', 'alice', 'shop', 120_000),
          payment_hash: decoded.payment_hash,
          payment_secret: decoded.payment_secret,
          intended_amount_msat: 120_000,
        },
      );
      const paying = honest.page.evaluate(
        (hash) => (window as any).caught(() => (window as any).wallet.waitsendpay({ payment_hash: hash, timeout: 3 })),
        decoded.payment_hash,
      );
      await forger.page.evaluate(
        (name, hash) => {
          const channel = new BroadcastChannel(name);
          const lie = {
            payment_hash: hash,
            amount_msat: 120_000,
            amount_sent_msat: 120_000,
            parts: 1,
            groupid: 1,
            status: 'complete',
            created_at: 1,
            completed_at: 2,
            payment_preimage: '00'.repeat(32),
          };
          channel.postMessage({ type: 'payment-updated', detail: lie });
          channel.close();
        },
        `ampkit:${walletId}`,
        decoded.payment_hash,
      );
      assert.equal((await paying).code, 'TIMEOUT', 'waitsendpay ended on a forged message');
      const payments = await honest.page.evaluate(
        (hash) => (window as any).wallet.listpayments({ payment_hash: hash }),
        decoded.payment_hash,
      );
      assert.equal(payments.payments[0].status, 'pending');
    } finally {
      h.simnet.setFaults('shop', { hold: false });
    }
    const done = await honest.page.evaluate(
      (hash) => (window as any).wallet.waitsendpay({ payment_hash: hash, timeout: 10 }),
      decoded.payment_hash,
    );
    assert.equal(done.status, 'complete');
    shop.close();
    await honest.page.evaluate(() => {
      const w = window as any;
      w.shop.close();
      w.wallet.close();
    });
  });

  test("a tab opening while the other's sendpay is slow to reach the node: the part is not failed, no replacement is sent, pay() completes once", async () => {
    const [paying, opening] = tabs as [Tab, Tab];
    const shop = await h.client('shop');
    const wallet = await h.client('wallet');
    const { bolt11, payment_hash } = await shop.request('invoice', { amount_msat: 150_000, label: 'slow-sendpay', description: 'slow' });
    const sendpays = h.simnet.node('wallet').calls.get('sendpay') ?? 0;
    h.simnet.setFaults('wallet', { slowMethods: { sendpay: 1500 } });
    try {
      await paying.page.evaluate(
        async (access, bolt11) => {
          const w = window as any;
          w.payer = await w.ampkit.createAmpkit(access);
          w.result = w.payer.pay({ bolt11, retry_for: 30 });
        },
        h.access('wallet'),
        bolt11,
      );
      await waitFor(
        async () =>
          (await paying.page.evaluate((hash) => (window as any).payer.listpartialpayments({ payment_hash: hash }), payment_hash))
            .partialpayments.length > 0,
      );
      // The second tab opens now, while the first part is on its way, and reconciles the journal.
      await opening.page.evaluate(async (access) => {
        const w = window as any;
        w.late = await w.ampkit.createAmpkit(access);
        await w.late.listpayments();
      }, h.access('wallet'));
      const result = await paying.page.evaluate(() => (window as any).result);
      assert.equal(result.status, 'complete', result.failreason);
    } finally {
      h.simnet.setFaults('wallet', { slowMethods: {} });
    }
    const atNode = (await wallet.request('listsendpays', { payment_hash })).payments as { status: string }[];
    assert.deepEqual(
      atNode.map((p) => p.status),
      ['complete'],
      'one HTLC, complete',
    );
    assert.equal((h.simnet.node('wallet').calls.get('sendpay') ?? 0) - sendpays, 1, 'no replacement was sent');
    await waitFor(async () => {
      const seen = await opening.page.evaluate((hash) => (window as any).late.listpartialpayments({ payment_hash: hash }), payment_hash);
      return seen.partialpayments.length === 1 && seen.partialpayments[0].status === 'complete';
    });
    wallet.close();
    shop.close();
  });
});
