/**
 * End to end: the demo's checkout with LND nodes, as `npm start` runs it (demo/serve.ts:
 * demo/network.ts, the Core Lightning wallet and shop with an LND wallet and an LND shop
 * beside them), in a real Chromium. The LND wallet pairs with a phrase typed into
 * `<ampkit-connect>` and pays the Core Lightning shop in parts; a reload connects with the
 * keys that pairing kept, no phrase typed; the Core Lightning wallet pays the LND shop, whose
 * checkout holds an LNC session for plain invoices only; a dropped LNC link in the middle of a
 * payment costs nothing; the LND wallet pays the LND shop;
 * "Forget this node" brings the pairing back; SIGTERM stops the mailbox too. Screenshots go to
 * artifacts/screenshots/demo-lnd-*.png.
 */
import assert from 'node:assert/strict';
import { connect as tcp } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import { checkout, clickInside, fault, openPage, screenshot, startDemo, waitState, type Demo } from './demo-server.ts';

let demo: Demo;
let origin: string;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
/** How many LNC sessions the page asked the demo server for. */
let sessionsAsked = 0;

before(async () => {
  demo = await startDemo(20_000 + (process.pid % 1000));
  ({ origin, browser } = demo);
  page = await openPage(browser, 'about:blank', pageErrors);
  page.on('request', (r) => r.url().endsWith('/lnc-session') && sessionsAsked++);
  await page.goto(`${origin}/?wallet=lnd`);
});

after(async () => {
  await browser?.close();
  if (demo?.server.exitCode === null) {
    const exited = new Promise((resolve) => demo.server.once('exit', resolve));
    demo.server.kill('SIGTERM');
    await exited;
  }
});

/** Waits for both widgets to reach paid; the wallet's result and what the shop's node says it received. */
async function paid(): Promise<{
  wallet: { status: string; parts: number };
  shop: { status: string; amount_received_msat: number; parts: number };
}> {
  await waitState(page, '#wallet-pay', 'paid', 60_000);
  await waitState(page, '#checkout-invoice', 'paid', 30_000);
  const wallet = await page.$eval('#wallet-pay', (el) => {
    const result = (el as unknown as { result: { status: string; parts: { status: string }[] } }).result;
    return { status: result.status, parts: result.parts.filter((p) => p.status === 'complete').length };
  });
  const shop = await page.$eval('#checkout-invoice', (el) => {
    const invoice = (el as unknown as { invoice: { status: string; amount_received_msat: number; parts: number } }).invoice;
    return { status: invoice.status, amount_received_msat: invoice.amount_received_msat, parts: invoice.parts };
  });
  return { wallet, shop };
}

/** A new pairing phrase for the LND wallet, as the page's "Fill in" button gets it (Lightning Terminal's part). */
const walletPhrase = () =>
  page.evaluate(async () => {
    const reply = await fetch('/lnc-session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'wallet' }),
    });
    return ((await reply.json()) as { pairingPhrase: string }).pairingPhrase;
  });

const hidden = (id: string) => page.$eval(`#${id}`, (el) => (el as HTMLElement).hidden);

describe('the demo checkout with LND nodes in Chromium', () => {
  test('the LND wallet pairs with a phrase typed into <ampkit-connect>', async () => {
    await page.waitForFunction(() => !document.getElementById('pairing')!.hidden, { timeout: 20_000 });
    const phrase = await walletPhrase();
    const field = await page.waitForSelector('#wallet-connect >>> #phrase');
    await field!.type(phrase);
    await page.waitForFunction(
      () => document.querySelector('#wallet-connect')!.shadowRoot!.querySelector('#phrase-hint')!.textContent!.includes('Ten words'),
      { timeout: 10_000 },
    );
    await screenshot(page, 'lnd-phrase-typed');
    await clickInside(page, '#wallet-connect', 'button[type="submit"]');
    await waitState(page, '#wallet-connect', 'open', 30_000);
    assert.equal(await hidden('pairing'), true, 'the pairing help goes once paired');
    const shown = await page.$eval('#wallet-connect', (el) => el.shadowRoot!.querySelector('[part~="state"]')!.textContent!);
    assert.match(shown, /Connected/);
    await screenshot(page, 'lnd-paired');
  });

  test('the LND wallet pays the Core Lightning shop in three or more parts', async () => {
    await checkout(page, '1500000000');
    await screenshot(page, 'lnd-paying');
    const { wallet, shop } = await paid();
    await screenshot(page, 'lnd-paid');
    assert.equal(wallet.status, 'complete');
    assert.ok(wallet.parts >= 3, `${wallet.parts} parts`);
    assert.equal(shop.status, 'paid');
    assert.equal(shop.amount_received_msat, 1_500_000_000, 'the shop received exactly the order');
    assert.ok(shop.parts >= 2, `the shop claimed ${shop.parts} parts`);
  });

  test('after a reload the LND wallet connects with the keys it kept, no phrase typed, and pays', async () => {
    const asked = sessionsAsked;
    await page.reload();
    await page.waitForFunction(() => customElements.get('ampkit-connect'));
    await screenshot(page, 'lnd-reconnecting');
    await waitState(page, '#wallet-connect', 'open', 30_000);
    assert.equal(sessionsAsked, asked, 'no new pairing phrase was asked for');
    assert.equal(await hidden('pairing'), true);
    await screenshot(page, 'lnd-reloaded');
    await checkout(page, '21000000');
    const { wallet, shop } = await paid();
    assert.equal(wallet.status, 'complete');
    assert.equal(shop.amount_received_msat, 21_000_000);
  });

  test("a dropped LNC link during a slow payment: the LND wallet's payment still completes, paid once", async () => {
    await fault(page, 'slow');
    await checkout(page, '600000000');
    await page.waitForFunction(
      () => ((document.querySelector('#wallet-pay') as unknown as { progress?: { parts: unknown[] } }).progress?.parts.length ?? 0) > 0,
      { timeout: 20_000 },
    );
    await page.$eval('#wallet-connect', (el) => {
      const states: string[] = ((window as unknown as { linkStates: string[] }).linkStates = []);
      (el as unknown as { client: { on(t: 'state', f: (s: string) => void): void } }).client.on('state', (s) => states.push(s));
    });
    await fault(page, 'drop');
    await screenshot(page, 'lnd-dropped');
    assert.equal(
      await page.$eval('#wallet-pay', (el) => (el as unknown as { state: string }).state),
      'paying',
      'the drop came while parts were in flight',
    );
    const { wallet, shop } = await paid();
    await fault(page, 'slow');
    assert.equal(wallet.status, 'complete');
    assert.equal(shop.amount_received_msat, 600_000_000, 'paid exactly once');
    await waitState(page, '#wallet-connect', 'open', 30_000); // the LNC link came back by itself
    const states = await page.evaluate(() => (window as unknown as { linkStates: string[] }).linkStates);
    assert.ok(states.includes('reconnecting'), `the link dropped and came back: ${states.join(', ')}`);
  });

  test('the Core Lightning wallet pays the LND shop in three or more parts', async () => {
    await page.goto(`${origin}/?shop=lnd`);
    await waitState(page, '#wallet-connect', 'open', 30_000);
    await checkout(page, '1500000000');
    const { wallet, shop } = await paid();
    await screenshot(page, 'lnd-lnd-shop-paid');
    assert.equal(wallet.status, 'complete');
    assert.ok(wallet.parts >= 3, `${wallet.parts} parts`);
    assert.equal(shop.status, 'paid');
    assert.equal(shop.amount_received_msat, 1_500_000_000, 'the LND shop received exactly the order');
    assert.ok(shop.parts >= 2, `the LND shop claimed ${shop.parts} parts`);
  });

  test("the LND checkout's session makes plain invoices only: a hold invoice is refused for want of a permission", async () => {
    const out = await page.$eval('#checkout-invoice', async (el) => {
      type Client = { invoice(r: unknown): Promise<unknown>; listinvoices(): Promise<{ invoices: { hold: boolean }[] }> };
      const client = (el as unknown as { client: Client }).client;
      let refused = 'made';
      await client
        .invoice({ amount_msat: 21_000_000, description: 'held at the checkout', hold: true })
        .catch((e: { code?: string; message?: string }) => (refused = `${e.code}: ${e.message}`));
      const { invoices } = await client.listinvoices();
      return { refused, invoices: invoices.length, hold: invoices.filter((i) => i.hold).length };
    });
    assert.match(out.refused, /^PERMISSION: .*AddHoldInvoice.*invoices:write/);
    assert.ok(out.invoices >= 1);
    assert.equal(out.hold, 0, "no hold invoice in the checkout's journal");
  });

  test('the LND wallet pays the LND shop', async () => {
    await page.goto(`${origin}/?wallet=lnd&shop=lnd`);
    await waitState(page, '#wallet-connect', 'open', 30_000);
    await checkout(page, '600000000');
    const { wallet, shop } = await paid();
    assert.equal(wallet.status, 'complete');
    assert.equal(shop.amount_received_msat, 600_000_000);
  });

  test('"Forget this node" brings back the pairing; the demo\'s button fills in a new phrase', async () => {
    await clickInside(page, '#wallet-connect', 'button[part~="forget"]');
    await waitState(page, '#wallet-connect', 'idle');
    assert.equal(await hidden('pairing'), false);
    await page.click('#fill-phrase');
    await page.waitForFunction(
      () => document.querySelector('#wallet-connect')!.shadowRoot!.querySelector('#phrase-hint')!.textContent!.includes('Ten words'),
      { timeout: 10_000 },
    );
    await screenshot(page, 'lnd-forgotten');
    await clickInside(page, '#wallet-connect', 'button[type="submit"]');
    await waitState(page, '#wallet-connect', 'open', 30_000);
    assert.deepEqual(pageErrors, []);
  });

  test('SIGTERM stops the server, and the LNC mailbox with it', async () => {
    const { mailbox } = await page.evaluate(async () => ((await (await fetch('/config.json')).json()) as { lnd: { mailbox: string } }).lnd);
    await browser.close();
    const exited = new Promise<number | null>((resolve) => demo.server.once('exit', resolve));
    demo.server.kill('SIGTERM');
    assert.equal(await exited, 0);
    const refused = await new Promise<boolean>((resolve) => {
      const socket = tcp(Number(new URL(mailbox).port), '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(false)));
      socket.once('error', () => resolve(true));
    });
    assert.ok(refused, `${mailbox} still listens`);
  });
});
