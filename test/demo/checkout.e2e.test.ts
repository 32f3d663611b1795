/**
 * End to end: the demo as `npm start` runs it (demo/serve.ts: simnet's demo topology and the
 * pages), in a real Chromium. The wallet pays the shop's invoice with a click; both widgets
 * reach paid, the payment in three or more parts; the checkout (in the payer's browser)
 * makes plain invoices and cannot make hold invoices; a dropped connection in the middle of
 * a payment costs nothing; SIGINT stops every node the server started. Screenshots of the
 * page at each step go to artifacts/screenshots/demo-*.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { connect as tcp } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import { root, startDemo, type Demo } from './demo-server.ts';

let demo: Demo;
let origin: string;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

before(async () => {
  demo = await startDemo(19_000 + (process.pid % 1000));
  ({ origin, browser } = demo);
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 1000 });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && !m.text().includes('404') && pageErrors.push(m.text()));
  await page.goto(`${origin}/`);
});

after(async () => {
  await browser?.close();
  if (demo?.server.exitCode === null) demo.server.kill('SIGKILL');
});

async function screenshot(name: string): Promise<void> {
  mkdirSync(`${root}/artifacts/screenshots`, { recursive: true });
  await page.screenshot({ path: `${root}/artifacts/screenshots/demo-${name}.png`, fullPage: true });
}

const state = (selector: string) => page.$eval(selector, (el) => (el as unknown as { state: string }).state);
const waitState = (selector: string, wanted: string, timeout = 30_000) =>
  page.waitForFunction(
    (s, w) => (document.querySelector(s) as unknown as { state?: string } | null)?.state === w,
    { timeout },
    selector,
    wanted,
  );

/** Checks out the chosen item, waits for the wallet to show the invoice, clicks Pay. */
async function checkout(item: string): Promise<void> {
  await page.click(`input[name=item][value="${item}"]`);
  await page.click('#checkout');
  await waitState('#checkout-invoice', 'unpaid');
  await waitState('#wallet-pay', 'ready');
  await page.evaluate(() => {
    const pay = document.querySelector('#wallet-pay')!;
    (pay.shadowRoot!.querySelector('button[part~="button"]') as HTMLButtonElement).click();
  });
}

async function fault(name: string): Promise<void> {
  await page.click(`button[data-fault="${name}"]`);
  await page.waitForFunction(
    (n) => document.getElementById('fault-log')!.textContent!.length > 0 && document.querySelector(`button[data-fault="${n}"]`),
    {},
    name,
  );
}

/** What the shop's node says it received for the invoice the page shows. */
async function shopReceived(): Promise<{ status: string; amount_received_msat: number; parts: number }> {
  return page.$eval('#checkout-invoice', (el) => {
    const invoice = (el as unknown as { invoice: { status: string; amount_received_msat: number; parts: number } }).invoice;
    return { status: invoice.status, amount_received_msat: invoice.amount_received_msat, parts: invoice.parts };
  });
}

describe('the demo checkout in Chromium', () => {
  test('the wallet connects with a warning about its spending rune; the shop needs no such rune', async () => {
    await waitState('#wallet-connect', 'open');
    const warning = await page.$eval('#wallet-connect', (el) => el.shadowRoot!.querySelector('[part~="warning"]')?.textContent ?? '');
    assert.match(warning, /can spend/);
    await screenshot('connected');
  });

  test('clicking Pay in the wallet: both widgets reach paid, three or more parts shown', async () => {
    await checkout('1500000000');
    await screenshot('paying');
    await waitState('#wallet-pay', 'paid', 60_000);
    await waitState('#checkout-invoice', 'paid', 30_000);
    await screenshot('paid');
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
    await fault('slow');
    await checkout('600000000');
    await page.waitForFunction(
      () => ((document.querySelector('#wallet-pay') as unknown as { progress?: { parts: unknown[] } }).progress?.parts.length ?? 0) > 0,
      { timeout: 20_000 },
    );
    await fault('drop');
    await screenshot('dropped');
    assert.equal(await state('#wallet-pay'), 'paying', 'the drop came while parts were in flight');
    await waitState('#wallet-pay', 'paid', 60_000);
    await waitState('#checkout-invoice', 'paid', 30_000);
    await fault('slow');
    const shop = await shopReceived();
    assert.equal(shop.amount_received_msat, 600_000_000, 'paid exactly once');
    await waitState('#wallet-connect', 'open', 20_000); // the wallet reconnected by itself
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
      await checkout('21000000');
      await waitState('#wallet-pay', 'paid', 30_000);
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
