/**
 * Embedding: a page under a strict Content-Security-Policy, and a shop that loads ampkit
 * from another origin (a CDN). The worker starts where the policy allows it (a blob module
 * for a foreign script), and the engine falls back to the page, with a console warning,
 * where it does not.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { decodeBolt11 } from '../../packages/wire/src/index.ts';
import { browserHarness, type BrowserHarness, type Tab } from './browser-harness.ts';

let h: BrowserHarness;

before(async () => {
  h = await browserHarness({ seed: 62 });
});
after(() => h?.stop());

const STRICT = "default-src 'self'; connect-src ws://127.0.0.1:*; worker-src 'self' blob:";
/** The rune the README tells a shop to make: invoices only, nothing that spends. */
const INVOICE_ONLY = [
  'method=invoice|method=listinvoices|method=holdinvoice|method=listholdinvoices|method=settleholdinvoice|method=cancelholdinvoice|method=listhtlcs|method=wait',
];

/** Starts a client on the shop from the tab, makes an invoice and lists it back. */
async function useShop(tab: Tab, label: string, rune = h.access('shop').rune) {
  return tab.page.evaluate(
    async (access, label) => {
      const w = window as any;
      const client = await w.ampkit.createAmpkit(access);
      w.client = client;
      w.errors = [];
      client.on('error', (e: any) => w.errors.push(`${e.code}: ${e.message}`));
      const invoice = await client.invoice({ amount_msat: 5_000, description: label, label });
      const { invoices } = await client.listinvoices({ label });
      const databases = (await indexedDB.databases()).map((d) => d.name);
      const mode = client.mode;
      return {
        mode,
        bolt11: invoice.bolt11,
        listed: invoices.map((i: any) => i.payment_hash),
        hash: invoice.payment_hash,
        databases,
        violations: w.violations,
      };
    },
    { ...h.access('shop'), rune },
    label,
  );
}

/** Pays a whole invoice of the shop from alice, in one part. */
async function payFromAlice(bolt11: string): Promise<void> {
  const invoice = decodeBolt11(bolt11);
  const alice = await h.client('alice');
  const a = h.simnet.node('alice').node;
  const shop = h.simnet.node('shop').node;
  const channel = a.channels.find((c) => c.other(a) === shop)!;
  await alice.request('sendpay', {
    route: [
      {
        id: shop.id,
        channel: channel.scid,
        direction: channel.side(a),
        amount_msat: invoice.amount_msat,
        delay: invoice.min_final_cltv_expiry,
      },
    ],
    payment_hash: invoice.payment_hash,
    payment_secret: invoice.payment_secret,
    amount_msat: invoice.amount_msat,
  });
  alice.close();
}

afterEach(async () => {
  for (const page of await h.browser.pages()) {
    await page.evaluate(() => (window as any).client?.close()).catch(() => undefined);
    await page.close();
  }
});

describe('embedding ampkit', () => {
  test(`a page under "${STRICT}" runs the engine in a worker, with no eval and no inline script`, async () => {
    const tab = await h.tab({ csp: STRICT });
    // With the invoice-only rune a shop embeds: the engine needs nothing more to receive.
    const result = await useShop(tab, 'csp-strict', h.simnet.node('shop').makeRune(INVOICE_ONLY));
    assert.equal(result.mode, 'worker');
    assert.deepEqual(result.listed, [result.hash]);
    await payFromAlice(result.bolt11);
    const paid = await tab.page.evaluate((hash) => (window as any).client.waitinvoice({ payment_hash: hash, timeout: 20 }), result.hash);
    assert.equal(paid.status, 'paid');
    assert.deepEqual(await tab.page.evaluate(() => (window as any).errors), [], 'the rune allowed every call the engine made');
    assert.deepEqual(result.violations, [], 'nothing the policy refused');
    assert.deepEqual(tab.warnings, []);
    assert.deepEqual(
      tab.errors.filter((e) => !e.includes('favicon') && !e.includes('404')),
      [],
    );
  });

  test("ampkit.js from another origin (a CDN) starts its worker through a blob module; the journal is the shop's", async () => {
    const csp = `default-src 'self'; script-src 'self' ${h.cdn}; connect-src ws://127.0.0.1:*; worker-src 'self' blob:`;
    const tab = await h.tab({ csp, bundle: `${h.cdn}/dist/ampkit.js` });
    const result = await useShop(tab, 'cdn-worker');
    assert.equal(result.mode, 'worker');
    assert.deepEqual(result.listed, [result.hash]);
    assert.ok(result.databases.includes(`ampkit:${h.access('shop').nodeId}`), "the journal is in the shop's own IndexedDB");
    assert.deepEqual(result.violations, []);
    assert.deepEqual(tab.warnings, []);
  });

  test('without worker-src the blob worker is refused: the engine runs in the page, with a warning', async () => {
    const csp = `default-src 'self'; script-src 'self' ${h.cdn}; connect-src ws://127.0.0.1:*`;
    const tab = await h.tab({ csp, bundle: `${h.cdn}/dist/ampkit.js` });
    const result = await useShop(tab, 'cdn-page');
    assert.equal(result.mode, 'page');
    assert.deepEqual(result.listed, [result.hash], 'the same API works in the page');
    assert.ok(
      result.violations.some((v: string) => v.startsWith('worker-src blob')),
      result.violations.join(', '),
    );
    assert.equal(tab.warnings.length, 1);
    assert.match(tab.warnings[0]!, /^ampkit: no Web Worker could start .*; the engine runs in this page instead$/);
  });

  test("without worker-src a same-origin worker still starts: default-src 'self' covers it", async () => {
    const tab = await h.tab({ csp: "default-src 'self'; connect-src ws://127.0.0.1:*" });
    const result = await useShop(tab, 'same-origin-default');
    assert.equal(result.mode, 'worker');
    assert.deepEqual(result.violations, []);
  });

  test('a worker script that is not there: a warning, then a typed CONNECTION error, nothing half-open', async () => {
    const tab = await h.tab();
    const outcome = await tab.page.evaluate(
      (access, missing) =>
        (window as any).caught(() => (window as any).ampkit.createAmpkit({ ...access, worker: missing, storage: 'memory' })),
      h.access('shop'),
      `${h.cdn}/dist/no-such-worker.js`,
    );
    assert.equal(outcome.code, 'CONNECTION');
    assert.match(outcome.message, /could not load the engine from .*no-such-worker\.js/);
    assert.equal(tab.warnings.length, 1);
    for (let i = 0; (await tab.page.workers()).length > 0; i++) {
      if (i === 100) assert.fail('the failed worker was not ended');
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  test('worker: false runs the engine in the page without a warning', async () => {
    const tab = await h.tab();
    const mode = await tab.page.evaluate(async (access) => {
      const client = await (window as any).ampkit.createAmpkit({ ...access, worker: false, storage: 'memory' });
      await client.listpayments();
      await client.close();
      return client.mode;
    }, h.access('shop'));
    assert.equal(mode, 'page');
    assert.deepEqual(tab.warnings, []);
  });
});
