/**
 * The built page bundle (dist/ampkit-elements.js, importing ./ampkit.js beside it) in
 * Chromium against simnet: <ampkit-connect> to the wallet, <ampkit-pay> paying the shop
 * over several parts, <ampkit-invoice> making the shop's invoice and following three payers'
 * parts until it is paid. Screenshots of the real thing go to artifacts/screenshots/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createHash } from 'node:crypto';
import { decodeBolt11 } from '../../packages/wire/src/index.ts';
import { browserHarness, directPayers, type BrowserHarness, type Tab } from '../worker/browser-harness.ts';

let h: BrowserHarness;
let tab: Tab;
/** The policy a careful shop serves: no inline script or style, no eval; workers from itself or blob:. */
const STRICT = "default-src 'self'; connect-src ws://127.0.0.1:*; worker-src 'self' blob:";

before(async () => {
  h = await browserHarness({ seed: 71 });
  tab = await h.tab({ csp: STRICT });
  await tab.page.setViewport({ width: 900, height: 1400 });
  await tab.page.evaluate(async () => {
    await import('/dist/ampkit-elements.js' as string);
  });
});
after(async () => {
  // Every element, in every state it reached above, under the strict policy: nothing refused.
  const refused = tab?.errors.filter((e) => /Content Security Policy/.test(e)) ?? [];
  await h?.stop();
  assert.deepEqual(refused, [], 'the elements need no inline style or script');
});

const loaded = () =>
  tab.page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .map((e) => new URL(e.name).pathname)
      .filter((p) => p.startsWith('/dist/')),
  );

async function screenshot(selector: string, name: string): Promise<void> {
  mkdirSync('artifacts/screenshots', { recursive: true });
  const element = await tab.page.$(selector);
  await element!.screenshot({ path: `artifacts/screenshots/${name}.png` });
}

describe('dist/ampkit-elements.js in Chromium on simnet', () => {
  test('registers the elements; takes the client from ./ampkit.js, loaded once; a paying page loads no QR or rune chunk', async () => {
    const defined = await tab.page.evaluate(() =>
      ['ampkit-pay', 'ampkit-invoice', 'ampkit-connect'].map((t) => Boolean(customElements.get(t))),
    );
    assert.deepEqual(defined, [true, true, true]);
    const files = await loaded();
    assert.equal(files.filter((f) => f === '/dist/ampkit.js').length, 1, files.join(' '));
    assert.ok(files.includes('/dist/ampkit-elements.js'));
    assert.ok(!files.some((f) => f.includes('-qr') || f.includes('rune-audit')), files.join(' '));
  });

  test('<ampkit-connect> + <ampkit-pay connection>: a multipath payment, part by part, to paid with the preimage', async () => {
    const amount = 1_800_000_000;
    const shop = await h.client('shop');
    const { bolt11 } = await shop.request('invoice', { amount_msat: amount, label: 'elements-pay', description: 'A bicycle, delivered' });
    const wallet = h.access('wallet');
    await tab.page.evaluate(
      (access, invoice) => {
        const w = window as any;
        const stage = document.createElement('div');
        stage.id = 'pay-stage';
        stage.style.cssText = 'width:380px;padding:20px;background:#f3f4f6;display:grid;gap:16px';
        stage.innerHTML = `<ampkit-connect id="wallet" storage="memory" autoconnect></ampkit-connect><ampkit-pay connection="wallet"></ampkit-pay>`;
        const connect = stage.querySelector('ampkit-connect') as any;
        Object.assign(connect, { nodeId: access.nodeId, url: access.url, rune: access.rune });
        const pay = stage.querySelector('ampkit-pay') as any;
        pay.invoice = invoice;
        w.payEvents = { progress: [] as number[], paid: [] as unknown[], failed: [] as unknown[] };
        pay.addEventListener('ampkit-pay-progress', (e: CustomEvent) => w.payEvents.progress.push(e.detail.attempts));
        pay.addEventListener('ampkit-paid', (e: CustomEvent) => w.payEvents.paid.push(e.detail));
        pay.addEventListener('ampkit-pay-failed', (e: CustomEvent) => w.payEvents.failed.push(e.detail));
        document.body.append(stage);
      },
      wallet,
      bolt11,
    );
    await tab.page.waitForFunction(() => (document.querySelector('ampkit-pay') as any).state === 'ready', { timeout: 20_000 });
    const shown = await tab.page.evaluate(() =>
      (document.querySelector('ampkit-pay') as any).shadowRoot.querySelector('[part=amount]').textContent.trim(),
    );
    assert.equal(shown, '1,800,000 sat');
    await screenshot('#pay-stage', 'ampkit-pay-simnet-ready');
    await tab.page.evaluate(() => (document.querySelector('ampkit-pay') as any).shadowRoot.querySelector('button').click());
    await tab.page.waitForFunction(() => ['paid', 'failed'].includes((document.querySelector('ampkit-pay') as any).state), {
      timeout: 60_000,
    });
    const out = await tab.page.evaluate(() => {
      const w = window as any;
      const pay = document.querySelector('ampkit-pay') as any;
      return { state: pay.state, events: w.payEvents, segments: pay.shadowRoot.querySelectorAll('[part~=segment]').length };
    });
    assert.equal(out.state, 'paid', JSON.stringify(out.events.failed));
    const [result] = out.events.paid as { payment_preimage: string; payment_hash: string; parts: unknown[]; attempts: number }[];
    assert.ok(result!.parts.length >= 3, `${result!.parts.length} parts`);
    assert.equal(
      createHash('sha256').update(Buffer.from(result!.payment_preimage, 'hex')).digest('hex'),
      decodeBolt11(bolt11).payment_hash,
    );
    assert.equal(out.segments, result!.parts.length);
    assert.ok(out.events.progress.length >= result!.attempts, 'a progress event per part at least');
    await screenshot('#pay-stage', 'ampkit-pay-simnet-paid');
    const [paid] = (await shop.request('listinvoices', { label: 'elements-pay' })).invoices;
    shop.close();
    assert.equal(paid.status, 'paid');
  });

  test("<ampkit-invoice> makes the shop an invoice, lists each payer's part as it is held, then shows it paid", async () => {
    const access = h.access('shop');
    await tab.page.evaluate((a) => {
      const w = window as any;
      const stage = document.createElement('div');
      stage.id = 'invoice-stage';
      stage.style.cssText = 'width:380px;padding:20px;background:#f3f4f6';
      const el = document.createElement('ampkit-invoice') as any;
      Object.assign(el, { nodeId: a.nodeId, url: a.url, rune: a.rune, amountMsat: 42_000, description: 'Flat white' });
      w.invoiceEvents = { created: [] as string[], parts: [] as number[], paid: 0 };
      el.addEventListener('ampkit-invoice-created', (e: CustomEvent) => w.invoiceEvents.created.push(e.detail.bolt11));
      el.addEventListener('ampkit-invoice-part', (e: CustomEvent) => w.invoiceEvents.parts.push(e.detail.partial_amount_msat));
      el.addEventListener('ampkit-invoice-paid', () => (w.invoiceEvents.paid += 1));
      stage.append(el);
      document.body.append(stage);
    }, access);
    await tab.page.waitForFunction(() => (window as any).invoiceEvents.created.length === 1, { timeout: 20_000 });
    await tab.page.waitForFunction(() => (document.querySelector('ampkit-invoice') as any).shadowRoot.querySelector('svg.qr'), {
      timeout: 10_000,
    });
    assert.ok((await loaded()).includes('/dist/ampkit-elements-qr.js'), 'the QR chunk loads beside the bundle');
    const bolt11: string = await tab.page.evaluate(() => (window as any).invoiceEvents.created[0]);
    const payers = await directPayers(h, bolt11, 42_000);
    const pay = payers.pay;
    await pay(0, 6_000);
    await pay(1, 9_000);
    await tab.page.waitForFunction(() => (window as any).invoiceEvents.parts.length === 2, { timeout: 20_000 });
    const received = await tab.page.evaluate(
      () => (document.querySelector('ampkit-invoice') as any).shadowRoot.querySelector('[part=received]').textContent,
    );
    assert.equal(received, 'Received 15 sat of 42 sat');
    await screenshot('#invoice-stage', 'ampkit-invoice-simnet-parts');
    await pay(2, 27_000);
    await tab.page.waitForFunction(() => (document.querySelector('ampkit-invoice') as any).state === 'paid', { timeout: 20_000 });
    const events = await tab.page.evaluate(() => (window as any).invoiceEvents);
    assert.deepEqual([...events.parts].sort((a: number, b: number) => a - b).slice(0, 2), [6_000, 9_000]);
    assert.equal(events.paid, 1);
    await screenshot('#invoice-stage', 'ampkit-invoice-simnet-paid');
    payers.close();
  });
});
