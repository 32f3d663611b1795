/**
 * The browser SDK in Chromium, built as a host page loads it (dist/ampkit.js, with
 * dist/ampkit-worker.js beside it): the engine runs in a Web Worker and the page drives it
 * through the typed client. A multipath payment, an invoice aggregating parts from three
 * payers, events in order, typed errors across the boundary, pay() with its progress
 * events, and close().
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeBolt11 } from '../../packages/wire/src/index.ts';
import { twoHopRoute } from '../simnet/harness.ts';
import { browserHarness, directPayers, type BrowserHarness, type Tab } from './browser-harness.ts';

let h: BrowserHarness;
let tab: Tab;

before(async () => {
  h = await browserHarness({ seed: 61 });
  tab = await h.tab();
});
after(() => h?.stop());

/** Makes an invoice on the shop's node from Node, as a shop's backend would. */
async function shopInvoice(amount_msat: number, label: string) {
  const shop = await h.client('shop');
  const { bolt11 } = await shop.request('invoice', { amount_msat, label, description: label });
  shop.close();
  return { bolt11: bolt11 as string, ...decodeBolt11(bolt11) };
}

describe('createAmpkit in Chromium, engine in a worker', () => {
  test('connects to the node from the worker', async () => {
    const result = await tab.page.evaluate(async (access) => {
      const w = window as any;
      w.wallet = await w.ampkit.createAmpkit({ ...access, storage: 'memory' });
      w.walletEvents = [];
      for (const type of ['part-created', 'part-updated', 'payment-updated', 'error']) {
        w.wallet.on(type, (d: any) =>
          w.walletEvents.push(type === 'error' ? `error:${d.code}` : `${type}:${d.partid ?? '-'}:${d.status}:${d.amount_sent_msat ?? ''}`),
        );
      }
      return { mode: w.wallet.mode, state: w.wallet.state, nodeId: w.wallet.nodeId };
    }, h.access('wallet'));
    assert.deepEqual(result, { mode: 'worker', state: 'open', nodeId: h.access('wallet').nodeId });
    assert.equal(h.simnet.connections('wallet'), 1, 'one socket, opened by the worker');
    assert.equal((await tab.page.workers()).length, 1);
    assert.deepEqual(tab.warnings, []);
  });

  test('a multipath payment with sendpartialpay, parts over three routes', async () => {
    const invoice = await shopInvoice(900_000, 'mpp-1');
    const routes = ['alice', 'bob', 'carol'].map((via) => twoHopRoute(h.simnet, 'wallet', via, 'shop', 300_000));
    const payment = await tab.page.evaluate(
      async (routes, invoice) => {
        const w = window as any;
        const base = {
          payment_hash: invoice.payment_hash,
          payment_secret: invoice.payment_secret,
          intended_amount_msat: 900_000,
          bolt11: invoice.bolt11,
        };
        const sent = await Promise.all(routes.map((route: unknown) => w.wallet.sendpartialpay({ ...base, route })));
        const done = await w.wallet.waitsendpay({ payment_hash: invoice.payment_hash, timeout: 20 });
        await Promise.all(sent.map((part: any) => w.wallet.waitpartialpay({ id: part.id, timeout: 20 })));
        const { partialpayments } = await w.wallet.listpartialpayments({ payment_hash: invoice.payment_hash });
        return { sent, done, parts: partialpayments.map((p: any) => p.status) };
      },
      routes,
      { payment_hash: invoice.payment_hash, payment_secret: invoice.payment_secret, bolt11: invoice.bolt11 },
    );
    assert.deepEqual(payment.sent.map((s: { partid: number }) => s.partid).sort(), [1, 2, 3]);
    assert.equal(payment.done.status, 'complete');
    assert.equal(payment.done.amount_sent_msat > 900_000, true, 'fees on top of the amount');
    assert.deepEqual(payment.parts, ['complete', 'complete', 'complete']);
    const shop = await h.client('shop');
    const [paid] = (await shop.request('listinvoices', { label: 'mpp-1' })).invoices;
    shop.close();
    assert.equal(paid.status, 'paid');
    assert.equal(paid.amount_received_msat, 900_000);
    assert.equal(h.simnet.node('wallet').calls.get('sendpay'), 3);
  });

  test('events arrive in the page in the order the engine emitted them', async () => {
    const events: string[] = await tab.page.evaluate(() => (window as any).walletEvents);
    const index = (prefix: string) => events.findIndex((e) => e.startsWith(prefix));
    for (const partid of [1, 2, 3]) {
      const created = index(`part-created:${partid}:pending`);
      const updated = index(`part-updated:${partid}:complete`);
      assert.ok(created >= 0 && updated > created, `part ${partid}: created, then complete (${events.join(', ')})`);
    }
    const payments = events.filter((e) => e.startsWith('payment-updated'));
    assert.equal(payments.at(-1)!.split(':')[2], 'complete');
    const first = payments.findIndex((e) => e.includes(':complete:'));
    assert.ok(
      payments.slice(first).every((e) => e.includes(':complete:')),
      'once complete, the payment stays complete',
    );
    // Amounts sent only grow as parts complete, as the engine emitted them.
    const sent = payments.map((e) => Number(e.split(':')[3] || 0));
    assert.deepEqual(
      sent,
      [...sent].sort((a, b) => a - b),
    );
    assert.equal(events.filter((e) => e.startsWith('error')).length, 0);
  });

  test('an invoice made from the page aggregates parts from three payers, then is paid', async () => {
    await tab.page.evaluate(async (access) => {
      const w = window as any;
      w.shop = await w.ampkit.createAmpkit({ ...access, storage: 'memory' });
      w.shopEvents = [];
      for (const type of ['invoice-updated', 'invoice-part', 'invoice-part-gone', 'invoice-paid']) {
        w.shop.on(type, (d: any) => w.shopEvents.push(`${type}:${d.partial_amount_msat ?? d.amount_received_msat}`));
      }
      w.invoice = await w.shop.invoice({ amount_msat: 42_000, description: 'coffee', label: 'coffee-1' });
    }, h.access('shop'));
    const bolt11: string = await tab.page.evaluate(() => (window as any).invoice.bolt11);
    const payers = await directPayers(h, bolt11, 42_000);
    const pay = payers.pay;
    await pay(0, 6_000);
    await pay(1, 9_000);
    await tab.page.waitForFunction(() => (window as any).shopEvents.filter((e: string) => e.startsWith('invoice-part:')).length === 2);
    const held = await tab.page.evaluate(async () =>
      (await (window as any).shop.listpartialinvoices({})).partialinvoices.map((p: any) => p.partial_amount_msat),
    );
    assert.deepEqual(held.sort(), [6_000, 9_000]);
    await pay(2, 27_000);
    const paid = await tab.page.evaluate(async () => {
      const w = window as any;
      return w.shop.waitinvoice({ label: 'coffee-1', timeout: 20 });
    });
    assert.equal(paid.status, 'paid');
    assert.equal(paid.amount_received_msat, 42_000);
    const events: string[] = await tab.page.evaluate(() => (window as any).shopEvents);
    assert.deepEqual(
      events.filter((e) => e.startsWith('invoice-part:')),
      ['invoice-part:6000', 'invoice-part:9000', 'invoice-part:27000'],
    );
    assert.equal(events.at(-1), 'invoice-paid:42000');
    payers.close();
  });

  test("errors cross the boundary typed: code, message and the node's code", async () => {
    const errors = await tab.page.evaluate(
      async (readonly) => {
        const w = window as any;
        const caught = w.caught;
        const reader = await w.ampkit.createAmpkit({ ...readonly, storage: 'memory' });
        const out = {
          badHash: await caught(() => w.wallet.waitsendpay({ payment_hash: 'zz' })),
          unknown: await caught(() => w.wallet.waitsendpay({ payment_hash: '00'.repeat(32), timeout: 1 })),
          function: await caught(() => w.wallet.listpayments({ status: w.caught })),
          badOptions: await caught(() => w.ampkit.createAmpkit({ nodeId: 'nope', url: 'ws://127.0.0.1:1', rune: 'x' })),
          refused: await caught(() => reader.invoice({ amount_msat: 1000, description: 'no' })),
        };
        await reader.close();
        return out;
      },
      h.access('shop', true),
    );
    assert.deepEqual(errors.badHash, {
      isAmpkitError: true,
      code: 'INVALID_ARGUMENT',
      message: 'payment_hash must be 32 bytes as 64 lowercase hex characters',
    });
    assert.equal(errors.unknown.code, 'NOT_FOUND');
    assert.equal(errors.function.code, 'INVALID_ARGUMENT', JSON.stringify(errors.function));
    assert.equal(errors.badOptions.code, 'INVALID_ARGUMENT');
    assert.equal(errors.refused.code, 'PERMISSION');
    assert.equal(errors.refused.nodeCode, 19537, 'a read-only rune may not make invoices');
    assert.match(errors.refused.message, /^the rune does not permit invoice \(needed to make invoices\)/);
    assert.equal(errors.refused.isAmpkitError, true);
  });

  test('pay() from the page: the engine in the worker plans with the node, pay-progress events reach the page', async () => {
    const amount = 1_800_000_000;
    const invoice = await shopInvoice(amount, 'pay-1');
    const before = h.simnet.node('wallet').calls.get('sendpay') ?? 0;
    const out = await tab.page.evaluate(async (bolt11) => {
      const w = window as any;
      const progress: { status: string; attempts: number; delivered: number; parts: string[] }[] = [];
      const stop = w.wallet.on('pay-progress', (p: any) =>
        progress.push({
          status: p.status,
          attempts: p.attempts,
          delivered: p.amount_delivered_msat,
          parts: p.parts.map((x: any) => x.status),
        }),
      );
      const decoded = await w.wallet.decode({ bolt11 });
      const badInvoice = await w.caught(() => w.wallet.decode({ bolt11: 'lnbcrt1garbage' }));
      const info = await w.wallet.getinfo();
      const result = await w.wallet.pay({ bolt11 });
      // Events and call results travel on different message ports: wait for the last event.
      while (progress.at(-1)?.status === 'pending' || progress.length === 0) await new Promise((r) => setTimeout(r, 10));
      stop();
      return { decoded, badInvoice, info, result, progress };
    }, invoice.bolt11);
    assert.equal(out.decoded.payment_hash, invoice.payment_hash);
    assert.equal(out.decoded.amount_msat, amount);
    assert.equal(out.badInvoice.code, 'INVALID_ARGUMENT');
    assert.equal(out.badInvoice.isAmpkitError, true);
    assert.deepEqual([out.info.id, out.info.alias, out.info.network], [h.access('wallet').nodeId, 'wallet', 'regtest']);

    const { result, progress } = out;
    assert.equal(result.status, 'complete', result.failreason);
    assert.ok(result.parts.length >= 3, `${result.parts.length} parts`);
    assert.equal(result.amount_delivered_msat, amount);
    assert.equal(typeof result.payment_preimage, 'string');
    assert.equal((h.simnet.node('wallet').calls.get('sendpay') ?? 0) - before, result.attempts);
    // One event per part created and per part resolved, then the end, in the engine's order.
    assert.equal(progress.length, 2 * result.attempts + 1);
    assert.ok(progress.slice(0, -1).every((p) => p.status === 'pending'));
    assert.deepEqual(progress.at(-1), {
      status: 'complete',
      attempts: result.attempts,
      delivered: amount,
      parts: result.parts.map((p: { status: string }) => p.status),
    });
    assert.deepEqual(
      progress.map((p) => p.delivered),
      [...progress.map((p) => p.delivered)].sort((a, b) => a - b),
      'what is delivered only grows',
    );
    const shop = await h.client('shop');
    const [paid] = (await shop.request('listinvoices', { label: 'pay-1' })).invoices;
    shop.close();
    assert.equal(paid.status, 'paid');
    assert.equal(paid.amount_received_msat, amount);
  });

  test('close() releases the socket and ends the worker; later calls fail with CONNECTION', async () => {
    const before = h.simnet.connections('wallet');
    // The wallet's and the shop's workers are left (the read-only client above was closed).
    await waitUntil(async () => (await tab.page.workers()).length === 2);
    const workers = 2;
    const result = await tab.page.evaluate(async () => {
      const w = window as any;
      const states: string[] = [];
      w.wallet.on('state', (s: string) => states.push(s));
      await w.wallet.close();
      let code;
      try {
        await w.wallet.listpayments();
      } catch (e: any) {
        code = e.code;
      }
      return { state: w.wallet.state, code };
    });
    assert.deepEqual(result, { state: 'closed', code: 'CONNECTION' });
    await waitUntil(() => h.simnet.connections('wallet') === before - 1);
    await waitUntil(async () => (await tab.page.workers()).length === workers - 1);
  });
});

async function waitUntil(check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`not within ${ms} ms: ${check}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
