/**
 * The browser SDK in Chromium, built as a host page loads it (dist/), against the target:
 * `createAmpkit` with the engine in a Web Worker paying an invoice, and `<ampkit-connect>`
 * with `<ampkit-pay>` paying one too big for one path, part by part. Screenshots go to
 * artifacts/screenshots/<target>-*.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { startBrowsing, type Browsing, type Tab } from '../worker/browser-harness.ts';
import { nodeInvoice } from './helpers.ts';
import { offChannels, type ClnTarget } from './target.ts';

const STRICT = "default-src 'self'; connect-src ws://127.0.0.1:*; worker-src 'self' blob:";
const sha256 = (hex: string) => createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex');

export function browserScenarios(target: () => ClnTarget): void {
  let browsing: Browsing;
  let tab: Tab;

  before(async () => {
    browsing = await startBrowsing();
    tab = await browsing.tab({ csp: STRICT });
    await tab.page.setViewport({ width: 900, height: 1200 });
  });
  after(async () => {
    await tab?.page.evaluate(() => (window as any).wallet?.close());
    await browsing?.stop();
  });

  const access = () => ({ nodeId: target().nodes.alice.id, url: target().nodes.alice.ws_url, rune: target().nodes.alice.rune });

  test('createAmpkit: the engine in a worker connects to the node and pays an invoice; the journal in IndexedDB agrees', async () => {
    const inv = await nodeInvoice(target(), 150_000_000);
    const out = await tab.page.evaluate(
      async (a, bolt11) => {
        const w = window as any;
        w.wallet = await w.ampkit.createAmpkit(a);
        const result = await w.wallet.pay({ bolt11 });
        const { payments } = await w.wallet.listpayments({ payment_hash: result.payment_hash });
        return {
          mode: w.wallet.mode,
          state: w.wallet.state,
          status: result.status,
          failreason: result.failreason,
          preimage: result.payment_preimage,
          hash: result.payment_hash,
          journal: payments.map((p: any) => p.status),
        };
      },
      access(),
      inv.bolt11,
    );
    assert.equal(out.mode, 'worker');
    assert.equal(out.state, 'open');
    assert.equal(out.status, 'complete', out.failreason);
    assert.equal(sha256(out.preimage), inv.payment_hash);
    assert.deepEqual(out.journal, ['complete']);
    assert.deepEqual(
      tab.errors.filter((e) => /Content Security Policy/.test(e)),
      [],
    );
    await tab.page.evaluate(() => (window as any).wallet.close());
  });

  test('<ampkit-connect> and <ampkit-pay>: a payment too big for one path is paid in parts, drawn part by part, to paid', async () => {
    const t = target();
    const amount = 1_200_000_000;
    // Whatever an earlier scenario left, alice's paths start as full as they can be.
    await t.rebalance();
    const inv = await nodeInvoice(t, amount);
    try {
      await tab.page.evaluate(async () => {
        await import('/dist/ampkit-elements.js' as string);
      });
      await tab.page.evaluate(
        (a, bolt11) => {
          const w = window as any;
          const stage = document.createElement('div');
          stage.id = 'pay-stage';
          stage.style.cssText = 'width:380px;padding:20px;background:#f3f4f6;display:grid;gap:16px';
          stage.innerHTML =
            '<ampkit-connect id="wallet" storage="memory" autoconnect></ampkit-connect><ampkit-pay connection="wallet"></ampkit-pay>';
          Object.assign(stage.querySelector('ampkit-connect') as any, a);
          const pay = stage.querySelector('ampkit-pay') as any;
          pay.invoice = bolt11;
          w.payEvents = { progress: 0, paid: [] as unknown[], failed: [] as unknown[] };
          pay.addEventListener('ampkit-pay-progress', () => (w.payEvents.progress += 1));
          pay.addEventListener('ampkit-paid', (e: CustomEvent) => w.payEvents.paid.push(e.detail));
          pay.addEventListener('ampkit-pay-failed', (e: CustomEvent) => w.payEvents.failed.push(e.detail));
          document.body.append(stage);
        },
        access(),
        inv.bolt11,
      );
      await tab.page.waitForFunction(() => (document.querySelector('ampkit-pay') as any).state === 'ready', { timeout: 30_000 });
      await tab.page.evaluate(() => (document.querySelector('ampkit-pay') as any).shadowRoot.querySelector('button').click());
      await tab.page.waitForFunction(() => ['paid', 'failed'].includes((document.querySelector('ampkit-pay') as any).state), {
        timeout: 120_000,
      });
      const out = await tab.page.evaluate(() => {
        const pay = document.querySelector('ampkit-pay') as any;
        return { state: pay.state, events: (window as any).payEvents, segments: pay.shadowRoot.querySelectorAll('[part~=segment]').length };
      });
      mkdirSync('artifacts/screenshots', { recursive: true });
      await (await tab.page.$('#pay-stage'))!.screenshot({ path: `artifacts/screenshots/${t.kind}-cln-ampkit-pay-paid.png` });
      assert.equal(out.state, 'paid', JSON.stringify(out.events.failed));
      const [result] = out.events.paid as { payment_preimage: string; parts: { status: string; amount_msat: number }[] }[];
      const complete = result!.parts.filter((p) => p.status === 'complete');
      assert.ok(complete.length >= 2, `${complete.length} parts`);
      assert.equal(
        complete.reduce((s, p) => s + p.amount_msat, 0),
        amount,
      );
      assert.equal(sha256(result!.payment_preimage), inv.payment_hash);
      assert.equal(out.segments, result!.parts.length);
      assert.deepEqual(
        tab.errors.filter((e) => /Content Security Policy/.test(e)),
        [],
      );
    } finally {
      await tab.page.evaluate(() => document.querySelector('#pay-stage')?.remove());
      await offChannels(t, [inv.payment_hash]);
      await t.rebalance();
    }
  });
}
