/**
 * The browser SDK on an LND node in Chromium, from the built bundles: createAmpkit({ lnc })
 * pairs from the worker over the page's WebSocket through simnet's mailbox to its LND
 * personality (the LNC client, the LND adapter and the pairing code load as the worker's
 * chunks), pays a Core Lightning shop's invoice in parts, and after a reload connects with
 * the keys the pairing left in IndexedDB, without a phrase; a second tab on the same keys is
 * told at once that the session is in use (a Web Lock per session); forget() removes them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { simNode } from '../simnet/lnd-harness.ts';
import { browserHarness, type BrowserHarness, type Tab } from './browser-harness.ts';

let h: BrowserHarness;
let tab: Tab;

/** What the tab printed as errors, but Chromium's own /favicon.ico 404 (the static server has none). */
const errors = (t: Tab) => t.errors.filter((e) => !e.includes('the server responded with a status of 404'));

/** ampkit's files the tab and its worker asked for, by name. */
const requested = new Set<string>();

before(async () => {
  h = await browserHarness({ seed: 67, lnd: ['wallet'] });
  tab = await h.tab();
  await h.clearJournals(tab);
  tab.page.on('request', (request) => {
    const name = new URL(request.url()).pathname.split('/').pop()!;
    if (name.startsWith('ampkit')) requested.add(name);
  });
});
after(() => h?.stop());

async function shopInvoice(amount_msat: number, label: string): Promise<{ bolt11: string; payment_hash: string }> {
  const shop = await h.client('shop');
  const { bolt11, payment_hash } = await shop.request('invoice', { amount_msat, label, description: label });
  shop.close();
  return { bolt11, payment_hash };
}

describe('createAmpkit({ lnc }) in Chromium, engine in a worker, on an LND node', () => {
  test('pairs with the phrase from the worker and pays a Core Lightning invoice in parts', async () => {
    const session = await h.simnet.lncSession('wallet');
    const invoice = await shopInvoice(1_500_000_000, 'lnd-espresso');
    const result = await tab.page.evaluate(
      async (lnc, bolt11) => {
        const w = window as any;
        const wallet = await w.ampkit.createAmpkit({ lnc, storage: 'memory' });
        const paid = await wallet.pay({ bolt11 });
        const out = { mode: wallet.mode, state: wallet.state, nodeId: wallet.nodeId, status: paid.status, parts: paid.parts.length };
        await wallet.close();
        return out;
      },
      { pairingPhrase: session.pairingPhrase, mailbox: session.mailbox },
      invoice.bolt11,
    );
    assert.deepEqual(
      { ...result, parts: result.parts > 1 },
      { mode: 'worker', state: 'open', nodeId: simNode(h.simnet, 'wallet').id, status: 'complete', parts: true },
    );
    const shop = await h.client('shop');
    assert.equal((await shop.request('listinvoices', { payment_hash: invoice.payment_hash })).invoices[0].status, 'paid');
    shop.close();
    // The worker loaded LNC, its pairing code and the LND adapter as chunks of their own.
    for (const chunk of ['ampkit-worker-lnc.js', 'ampkit-worker-lnc-pairing.js', 'ampkit-worker-lnd.js']) {
      assert.ok(requested.has(chunk), `${chunk} requested (${[...requested].join(', ')})`);
    }
    assert.deepEqual(errors(tab), []);
  });

  test('a second tab with the kept keys hears at once that the session is in use; once the first closes, it connects', async () => {
    const other = await h.tab();
    const first = await tab.page.evaluate(async () => {
      const w = window as any;
      w.held = await w.ampkit.createAmpkit({ lnc: {}, storage: 'memory' });
      return w.held.state;
    });
    assert.equal(first, 'open');
    const refused = await other.page.evaluate(async () => {
      const started = performance.now();
      try {
        await (window as any).ampkit.createAmpkit({ lnc: {}, storage: 'memory' });
        return { outcome: 'connected', ms: performance.now() - started };
      } catch (error: any) {
        return { outcome: `${error.code} ${error.data?.reason}`, ms: performance.now() - started };
      }
    });
    assert.equal(refused.outcome, 'CONNECTION SESSION_IN_USE');
    assert.ok(refused.ms < 3000, `told in ${Math.round(refused.ms)} ms, not after the mailbox's timeout`);
    await tab.page.evaluate(() => (window as any).held.close());
    const state = await other.page.evaluate(async () => {
      const wallet = await (window as any).ampkit.createAmpkit({ lnc: {}, storage: 'memory' });
      const out = wallet.state;
      await wallet.close();
      return out;
    });
    assert.equal(state, 'open');
    await other.page.close();
  });

  test('after a reload, the kept keys connect without a phrase; forget() removes them', async () => {
    await tab.page.reload();
    requested.clear();
    await tab.page.waitForFunction(() => document.documentElement.dataset.ready === 'yes', { timeout: 20_000 });
    const invoice = await shopInvoice(2_000_000, 'lnd-croissant');
    const result = await tab.page.evaluate(async (bolt11) => {
      const w = window as any;
      const wallet = await w.ampkit.createAmpkit({ lnc: {}, storage: 'memory' });
      const paid = await wallet.pay({ bolt11 });
      await wallet.forget();
      let afterForget = 'connected';
      try {
        await w.ampkit.createAmpkit({ lnc: {}, storage: 'memory' });
      } catch (error: any) {
        afterForget = `${error.code} ${error.data?.reason}`;
      }
      return { status: paid.status, afterForget };
    }, invoice.bolt11);
    assert.deepEqual(result, { status: 'complete', afterForget: 'INVALID_ARGUMENT not-paired' });
    // With the keys, no pairing: the word list and scrypt never load.
    assert.ok(requested.has('ampkit-worker-lnc.js'), [...requested].join(', '));
    assert.ok(!requested.has('ampkit-worker-lnc-pairing.js'), 'the pairing chunk was not needed');
    assert.deepEqual(errors(tab), []);
  });
});
