/**
 * The demo restarted, in one Chromium profile (its journal kept): issue #24's first finding.
 * With the same seed the restarted network is the same, so the first order's invoice has the
 * hash the browser's journal already paid: the wallet shows "Already paid on <date>" with its
 * proof and says the node has no record of it, never a fresh "Paid" over 0 parts, and sends
 * nothing. Without a seed (as `npm start` runs) each start is a new network, so the same order
 * is a new invoice the wallet offers to pay. The shop's item name is the description, and
 * "Refill every channel" makes a second espresso machine payable.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import { openPage, screenshot, startDemo, startServer, stopServer, waitState, type Demo } from './demo-server.ts';

const port = 21_000 + (process.pid % 1000);
const profile = mkdtempSync(join(tmpdir(), 'ampkit-restart-'));
let demo: Demo;
let browser: Browser;
let page: Page;

before(async () => {
  demo = await startDemo(port, { seed: 7, userDataDir: profile });
  browser = demo.browser;
});

after(async () => {
  await browser?.close();
  if (demo?.server.exitCode === null) demo.server.kill('SIGKILL');
  rmSync(profile, { recursive: true, force: true });
});

const payText = () => page.$eval('#wallet-pay', (el) => el.shadowRoot!.textContent!.replace(/[\u2068\u2069]/g, '').replace(/\s+/g, ' '));

/** Opens the page afresh and checks out `item`; resolves once the wallet has looked at the invoice. */
async function order(item: string): Promise<string> {
  page = await openPage(browser, `http://127.0.0.1:${port}/`);
  await waitState(page, '#wallet-connect', 'open', 60_000);
  await page.click(`input[name=item][value="${item}"]`);
  await page.click('#checkout');
  await waitState(page, '#checkout-invoice', 'unpaid', 60_000);
  await waitState(page, '#wallet-pay', ['ready', 'already-paid'], 60_000);
  return page.$eval('#wallet-pay', (el) => (el as unknown as { state: string }).state);
}

async function pay(): Promise<void> {
  await page.evaluate(() => (document.querySelector('#wallet-pay') as unknown as { pay(): Promise<unknown> }).pay());
  await waitState(page, '#wallet-pay', 'paid', 60_000);
}

describe('the demo restarted with the browser journal kept', () => {
  test('the item name is the invoice description', async () => {
    assert.equal(await order('21000000'), 'ready');
    const description = await page.$eval(
      '#checkout-invoice',
      (el) => (el as unknown as { invoice: { description: string } }).invoice.description,
    );
    assert.equal(description, 'Bag of beans');
    assert.match(await payText(), /For Bag of beans/);
    await pay();
    await page.close();
  });

  test('the same seed again: the first order of the new run is "Already paid on <date>", the node has no record, nothing is sent', async () => {
    await stopServer(demo.server);
    demo.server = await startServer(port, 7);
    assert.equal(await order('21000000'), 'already-paid');
    const text = await payText();
    assert.match(text, /Already paid on \w+ \d+, \d{4}, from this browser/);
    assert.match(text, /Your node has no record of this payment/);
    assert.doesNotMatch(text, /0 parts/);
    assert.equal(await page.$eval('#wallet-pay', (el) => el.shadowRoot!.querySelector('button.wide')), null, 'no Pay button');
    await screenshot(page, 'already-paid-after-restart');
    await page.close();
  });

  test('no seed (npm start): a new network, the same order is a new invoice to pay; refill makes a second espresso machine payable', async () => {
    await stopServer(demo.server);
    demo.server = await startServer(port, null);
    assert.equal(await order('21000000'), 'ready');
    await page.close();
    assert.equal(await order('1500000000'), 'ready');
    await pay();
    await page.close();
    // The shop's side of the network is full now: a second one has no room, said plainly.
    assert.equal(await order('1500000000'), 'ready');
    await page.evaluate(() => (document.querySelector('#wallet-pay') as unknown as { pay(): Promise<unknown> }).pay());
    await waitState(page, '#wallet-pay', 'failed', 120_000);
    assert.match(await payText(), /No route can carry [\d,]+ sat to the payee now/);
    await screenshot(page, 'second-espresso-no-room');
    await page.click('button[data-fault="refill"]');
    await page.waitForFunction(() => document.getElementById('fault-log')!.textContent!.includes('Refill'));
    await page.close();
    assert.equal(await order('1500000000'), 'ready');
    await pay();
    await page.close();
  });
});
