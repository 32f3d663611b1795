/**
 * End to end: the demo as `npm start` runs it (demo/serve.ts: simnet's demo topology and the
 * pages), in a real Chromium. The wallet pays the shop's invoice with a click; both widgets
 * reach paid, the payment in three or more parts; the checkout (in the payer's browser)
 * makes plain invoices and cannot make hold invoices; a dropped connection in the middle of
 * a payment costs nothing; SIGINT stops every node the server started. Screenshots of the
 * page at each step go to artifacts/screenshots/demo-*.png.
 */
import assert from 'node:assert/strict';
import { connect as tcp } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import { checkout, fault, openPage, screenshot, startDemo, waitState, type Demo } from './demo-server.ts';

let demo: Demo;
let origin: string;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

before(async () => {
  demo = await startDemo(19_000 + (process.pid % 1000));
  ({ origin, browser } = demo);
  page = await openPage(browser, `${origin}/`, pageErrors);
});

after(async () => {
  await browser?.close();
  if (demo?.server.exitCode === null) demo.server.kill('SIGKILL');
});

const state = (selector: string) => page.$eval(selector, (el) => (el as unknown as { state: string }).state);
/** What the shop's node says it received for the invoice the page shows. */
async function shopReceived(): Promise<{ status: string; amount_received_msat: number; parts: number }> {
  return page.$eval('#checkout-invoice', (el) => {
    const invoice = (el as unknown as { invoice: { status: string; amount_received_msat: number; parts: number } }).invoice;
    return { status: invoice.status, amount_received_msat: invoice.amount_received_msat, parts: invoice.parts };
  });
}

describe('the demo checkout in Chromium', () => {
  test('the wallet connects with a warning about its spending rune; the shop needs no such rune', async () => {
    await waitState(page, '#wallet-connect', 'open');
    const warning = await page.$eval('#wallet-connect', (el) => el.shadowRoot!.querySelector('[part~="warning"]')?.textContent ?? '');
    assert.match(warning, /can spend/);
    await screenshot(page, 'connected');
  });

  test('clicking Pay in the wallet: both widgets reach paid, three or more parts shown', async () => {
    await checkout(page, '1500000000');
    await screenshot(page, 'paying');
    await waitState(page, '#wallet-pay', 'paid', 60_000);
    await waitState(page, '#checkout-invoice', 'paid', 30_000);
    await screenshot(page, 'paid');
    const segments = await page.$eval('#wallet-pay', (el) => el.shadowRoot!.querySelectorAll('[part~="segment-settled"]').length);
    assert.ok(segments >= 3, `${segments} settled segments in the wallet's bar`);
    const result = await page.$eval(
      '#wallet-pay',
      (el) => (el as unknown as { result: { status: string; amount_msat: number; parts: { status: string }[] } }).result,
    );
    assert.equal(result.status, 'complete');
    assert.ok(result.parts.filter((p) => p.status === 'complete').length >= 3);
    const shop = await shopReceived();
    assert.equal(shop.status, 'paid');
    assert.equal(shop.amount_received_msat, 1_500_000_000, 'the shop received exactly the order');
    // At least two: no single route carries the order. The shop's count can be lower than the
    // wallet's (it counts the parts its engine saw held; one that arrives and is claimed between
    // two looks is missed), a known undercount, not money: the amount above is exact.
    assert.ok(shop.parts >= 2 && shop.parts <= result.parts.length, `the shop claimed ${shop.parts} parts`);
  });

  test("the checkout makes plain invoices only: its rune cannot make a hold invoice, which belongs to the shop's own engine", async () => {
    const out = await page.$eval('#checkout-invoice', async (el) => {
      type Client = { invoice(r: unknown): Promise<unknown>; listinvoices(): Promise<{ invoices: { hold: boolean }[] }> };
      const client = (el as unknown as { client: Client }).client;
      let refused = 'made';
      await client
        .invoice({ amount_msat: 21_000_000, description: 'held at the checkout', hold: true })
        .catch((e: { code?: string }) => (refused = String(e.code)));
      const { invoices } = await client.listinvoices();
      return { refused, invoices: invoices.length, hold: invoices.filter((i) => i.hold).length };
    });
    assert.equal(out.refused, 'PERMISSION', 'the node refuses the checkout a hold invoice');
    assert.ok(out.invoices >= 1);
    assert.equal(out.hold, 0, "no hold invoice in the checkout's journal");
  });

  test('a dropped connection during a slow payment: it still completes, paid once', async () => {
    await fault(page, 'slow');
    await checkout(page, '600000000');
    await page.waitForFunction(
      () => ((document.querySelector('#wallet-pay') as unknown as { progress?: { parts: unknown[] } }).progress?.parts.length ?? 0) > 0,
      { timeout: 20_000 },
    );
    await fault(page, 'drop');
    await screenshot(page, 'dropped');
    assert.equal(await state('#wallet-pay'), 'paying', 'the drop came while parts were in flight');
    await waitState(page, '#wallet-pay', 'paid', 60_000);
    await waitState(page, '#checkout-invoice', 'paid', 30_000);
    await fault(page, 'slow');
    const shop = await shopReceived();
    assert.equal(shop.amount_received_msat, 600_000_000, 'paid exactly once');
    await waitState(page, '#wallet-connect', 'open', 20_000); // the wallet reconnected by itself
    assert.deepEqual(pageErrors, []);
  });

  test("the node console lists the wallet's payments and partial payments from the shared journal, live", async () => {
    const consolePage = await browser.newPage();
    try {
      await consolePage.goto(`${origin}/console.html`);
      const rows = (table: string) =>
        consolePage.$$eval(`#${table} tbody tr`, (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
      await consolePage.waitForFunction(() => document.querySelectorAll('#payments tbody tr td').length > 1, { timeout: 20_000 });
      const payments = await rows('payments');
      assert.equal(payments.filter((r) => r[1] === 'complete').length, 2, 'both orders, complete');
      const parts = await rows('partialpayments');
      assert.ok(parts.filter((r) => r[3] === 'complete').length >= 4, `${parts.length} partial payments listed`);
      // Live: a third order paid in the checkout tab shows up in the console without a reload.
      await page.bringToFront();
      await checkout(page, '21000000');
      await waitState(page, '#wallet-pay', 'paid', 30_000);
      await consolePage.waitForFunction(
        () => [...document.querySelectorAll('#payments tbody tr')].filter((tr) => tr.textContent!.includes('complete')).length === 3,
        { timeout: 20_000, polling: 100 },
      ); // a background tab: no animation frames
    } finally {
      await consolePage.close();
    }
  });

  test('SIGINT stops the server and every simnet node it started', async () => {
    const config = await page.evaluate(async () => (await fetch('/config.json')).json() as Promise<{ nodes: { ws_url: string }[] }>);
    await browser.close();
    const exited = new Promise<number | null>((resolve) => demo.server.once('exit', resolve));
    demo.server.kill('SIGINT');
    assert.equal(await exited, 0);
    for (const { ws_url } of config.nodes) {
      const { port: nodePort } = new URL(ws_url);
      const refused = await new Promise<boolean>((resolve) => {
        const socket = tcp(Number(nodePort), '127.0.0.1');
        socket.once('connect', () => (socket.destroy(), resolve(false)));
        socket.once('error', () => resolve(true));
      });
      assert.ok(refused, `${ws_url} still listens`);
    }
  });
});
