/**
 * Two tabs of one origin on one node, in one Chromium: one journal in IndexedDB, Web Locks
 * per payment hash and per hold invoice, a BroadcastChannel between their workers. Both
 * tabs try to send the same part and to settle the same hold invoice; each happens once,
 * and both tabs see the same records and events.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeBolt11 } from '../../packages/wire/src/index.ts';
import { twoHopRoute } from '../simnet/harness.ts';
import { browserHarness, type BrowserHarness, type Tab } from './browser-harness.ts';

let h: BrowserHarness;
let tabs: Tab[];

before(async () => {
  h = await browserHarness({ seed: 63 });
  tabs = [await h.tab(), await h.tab()];
  await h.clearJournals(tabs[0]!);
});
after(() => h?.stop());

/** In every tab: a client on `alias` (journal in IndexedDB) recording the events of `types`. */
async function clients(alias: string, name: string, types: string[]): Promise<void> {
  for (const tab of tabs) {
    await tab.page.evaluate(
      async (access, name, types) => {
        const w = window as any;
        w[name] = await w.ampkit.createAmpkit(access);
        w[`${name}Events`] = [];
        for (const type of types)
          w[name].on(type, (d: any) => w[`${name}Events`].push(`${type}:${d.id ?? d.payment_hash}:${d.status ?? ''}`));
      },
      h.access(alias),
      name,
      types,
    );
  }
}

const events = (tab: Tab, name: string): Promise<string[]> => tab.page.evaluate((name) => (window as any)[`${name}Events`], name);

describe('two tabs on one node', () => {
  test('both tabs send the same part at once: it is sent once, and both tabs see it', async () => {
    await clients('wallet', 'wallet', ['part-created', 'part-updated', 'payment-updated']);
    const shop = await h.client('shop');
    const { bolt11 } = await shop.request('invoice', { amount_msat: 200_000, label: 'tabs-send', description: 'tabs' });
    const invoice = decodeBolt11(bolt11);
    const request = {
      route: twoHopRoute(h.simnet, 'wallet', 'alice', 'shop', 200_000),
      payment_hash: invoice.payment_hash,
      payment_secret: invoice.payment_secret,
      intended_amount_msat: 200_000,
    };
    const sendpays = h.simnet.node('wallet').calls.get('sendpay') ?? 0;
    const outcomes = await Promise.all(
      tabs.map((tab) =>
        tab.page.evaluate(
          (request) =>
            (window as any).caught(async () => {
              const w = window as any;
              w.sent = await w.wallet.sendpartialpay(request);
            }),
          request,
        ),
      ),
    );
    const sent = outcomes.filter((o) => o === 'no error').length;
    assert.equal(sent, 1, `one tab sends, the other is refused: ${JSON.stringify(outcomes)}`);
    assert.equal(outcomes.find((o) => o !== 'no error').code, 'OVERPAY');
    const results = await Promise.all(
      tabs.map((tab) =>
        tab.page.evaluate((hash) => (window as any).wallet.waitsendpay({ payment_hash: hash, timeout: 20 }), invoice.payment_hash),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      ['complete', 'complete'],
    );
    assert.equal(results[0].payment_preimage, results[1].payment_preimage);
    assert.equal((h.simnet.node('wallet').calls.get('sendpay') ?? 0) - sendpays, 1, 'one sendpay reached the node');
    const [paid] = (await shop.request('listinvoices', { label: 'tabs-send' })).invoices;
    assert.equal(paid.amount_received_msat, 200_000);
    shop.close();
    // Both tabs show the same records, and each heard of the part once, whichever sent it.
    const listed = await Promise.all(
      tabs.map((tab) =>
        tab.page.evaluate((hash) => (window as any).wallet.listpartialpayments({ payment_hash: hash }), invoice.payment_hash),
      ),
    );
    assert.deepEqual(listed[0], listed[1]);
    assert.equal(listed[0].partialpayments.length, 1);
    const id = listed[0].partialpayments[0].id;
    for (const tab of tabs) {
      const seen = await events(tab, 'wallet');
      assert.equal(seen.filter((e) => e === `part-created:${id}:pending`).length, 1, seen.join(', '));
      assert.equal(seen.filter((e) => e === `part-updated:${id}:complete`).length, 1, seen.join(', '));
    }
  });

  test('a hold invoice made in one tab is followed by both and settled once', async () => {
    await clients('shop', 'shop', ['invoice-updated', 'invoice-paid']);
    const [a, b] = tabs as [Tab, Tab];
    const invoice = await a.page.evaluate(() =>
      (window as any).shop.invoice({ amount_msat: 30_000, description: 'hold in two tabs', hold: true }),
    );
    // Tab B hears of it through the channel, and lists it from the shared journal.
    await b.page.waitForFunction(
      (hash) => (window as any).shopEvents.some((e: string) => e.startsWith(`invoice-updated:${hash}`)),
      {},
      invoice.payment_hash,
    );
    const listed = await b.page.evaluate((hash) => (window as any).shop.listinvoices({ payment_hash: hash }), invoice.payment_hash);
    assert.equal(listed.invoices[0].bolt11, invoice.bolt11);

    const decoded = decodeBolt11(invoice.bolt11);
    const shopNode = h.simnet.node('shop').node;
    await Promise.all(
      (['alice', 'bob'] as const).map(async (alias, i) => {
        const payer = await h.client(alias);
        const p = h.simnet.node(alias).node;
        const channel = p.channels.find((c) => c.other(p) === shopNode)!;
        const amount = [10_000, 20_000][i]!;
        await payer.request('sendpay', {
          route: [
            {
              id: shopNode.id,
              channel: channel.scid,
              direction: channel.side(p),
              amount_msat: amount,
              delay: decoded.min_final_cltv_expiry,
            },
          ],
          payment_hash: decoded.payment_hash,
          payment_secret: decoded.payment_secret,
          amount_msat: 30_000,
          partid: i + 1,
          groupid: 1,
        });
      }),
    );
    const paid = await Promise.all(
      tabs.map((tab) =>
        tab.page.evaluate((hash) => (window as any).shop.waitinvoice({ payment_hash: hash, timeout: 20 }), invoice.payment_hash),
      ),
    );
    assert.deepEqual(
      paid.map((p) => p.status),
      ['paid', 'paid'],
    );
    assert.equal(h.simnet.node('shop').calls.get('settleholdinvoice'), 1, 'one tab settled');
    for (const tab of tabs) {
      const seen = await events(tab, 'shop');
      assert.equal(seen.filter((e) => e === `invoice-paid:${invoice.payment_hash}:paid`).length, 1, seen.join(', '));
    }
  });

  test('a tab closed mid-payment: its worker ends with it; a new tab on the journal finishes the payment, no part sent twice, nothing paid over', async () => {
    const amount = 1_800_000_000;
    const shop = await h.client('shop');
    const { bolt11, payment_hash } = await shop.request('invoice', {
      amount_msat: amount,
      label: 'tabs-closed',
      description: 'closed tab',
    });
    const wallet = await h.client('wallet');
    // The payee holds every HTLC that reaches it: the parts stay in flight while the tab closes.
    h.simnet.setFaults('shop', { hold: true });
    const doomed = await h.tab();
    await doomed.page.evaluate(
      async (access, bolt11) => {
        const w = window as any;
        w.doomed = await w.ampkit.createAmpkit(access);
        w.paying = w.doomed.pay({ bolt11, retry_for: 60 }).catch(() => undefined);
      },
      h.access('wallet'),
      bolt11,
    );
    await waitFor(async () => ((await wallet.request('listsendpays', { payment_hash })).payments as unknown[]).length >= 3);
    await doomed.page.close();
    const inFlight = (await wallet.request('listsendpays', { payment_hash })).payments as { status: string }[];
    assert.ok(
      inFlight.some((p) => p.status === 'pending'),
      `the closed tab left parts in flight: ${inFlight.map((p) => p.status).join(', ')}`,
    );

    const next = tabs[0]!;
    const paying = next.page.evaluate(
      async (access, bolt11) => {
        const w = window as any;
        w.next = await w.ampkit.createAmpkit(access);
        return w.next.pay({ bolt11, retry_for: 60 });
      },
      h.access('wallet'),
      bolt11,
    );
    await new Promise((r) => setTimeout(r, 500));
    h.simnet.setFaults('shop', { hold: false });
    const result = await paying;
    assert.equal(result.status, 'complete', result.failreason);

    const parts = (await wallet.request('listsendpays', { payment_hash })).payments as {
      groupid: number;
      partid: number;
      status: string;
      amount_msat: number;
    }[];
    const keys = parts.map((p) => `${p.groupid}/${p.partid}`);
    assert.equal(new Set(keys).size, keys.length, `no part twice: ${keys.join(', ')}`);
    const delivered = parts.filter((p) => p.status === 'complete').reduce((sum, p) => sum + p.amount_msat, 0);
    assert.equal(delivered, amount, 'delivered exactly the invoice');
    const [paid] = (await shop.request('listinvoices', { label: 'tabs-closed' })).invoices;
    assert.equal(paid.amount_received_msat, amount);
    // The new tab's journal has every part the node has, with the node's status.
    // (A part the closed tab sent is followed by the new tab's watcher: its record may land a moment after the result.)
    const views = async () => {
      const journal = await next.page.evaluate((hash) => (window as any).next.listpartialpayments({ payment_hash: hash }), payment_hash);
      const node = (await wallet.request('listsendpays', { payment_hash })).payments as {
        groupid: number;
        partid: number;
        status: string;
      }[];
      const show = (list: { groupid: number; partid: number; status: string }[]) =>
        list
          .map((p) => `${p.groupid}/${p.partid}:${p.status}`)
          .sort()
          .join(', ');
      // A part refused before it reached the node is journaled as failed and the node lacks it.
      const reached = new Set(node.map((p) => `${p.groupid}/${p.partid}`));
      const kept = journal.partialpayments.filter(
        (p: { groupid: number; partid: number; status: string }) => reached.has(`${p.groupid}/${p.partid}`) || p.status !== 'failed',
      );
      return [show(kept), show(node)] as const;
    };
    await waitFor(async () => {
      const [journal, node] = await views();
      return journal === node;
    }).catch(async () => assert.fail(`journal and node differ: ${JSON.stringify(await views())}`));
    wallet.close();
    shop.close();
  });
});

async function waitFor(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
