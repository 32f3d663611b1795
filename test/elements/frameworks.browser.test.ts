/** The elements from React 19 (properties and events on custom elements) and from Vue 3 (isCustomElement). */
import { assert } from 'chai';
import '@ampkit/elements/define';
import type { AmpkitInvoice, AmpkitPay, PayResult } from '@ampkit/elements';
import { BOLT11, FakeClient, HASH, decoded, heldPart, invoiceRecord, payResult, sentPart } from './fake-client.ts';
import { $, cleanup, reach, stage, text, until } from './helpers.ts';

/** What the test uses of React 19, served as an ES module by the test runner's ampkit-elements plugin. */
interface ReactApi {
  createElement(type: string, props: Record<string, unknown> | null, ...children: unknown[]): unknown;
  createRoot(container: Element): { render(node: unknown): void; unmount(): void };
  flushSync(fn: () => void): void;
}
type VueApi = typeof import('vue');
const REACT = '/ampkit-elements/react.js';
const VUE = '/ampkit-elements/vue.js';

function payingClient() {
  const client = new FakeClient();
  client.handlers.decode = () => decoded();
  client.handlers.pay = () => payResult([sentPart(1, 3_000_000, 'complete')], 'complete');
  return client;
}

describe('from frameworks', () => {
  afterEach(cleanup);

  it('React 19: createRoot renders <ampkit-pay> with a client property and an ampkit-paid listener', async () => {
    const { createElement, createRoot, flushSync } = (await import(REACT)) as ReactApi;
    const client = payingClient();
    const paid: PayResult[] = [];
    const container = stage();
    const root = createRoot(container);
    flushSync(() =>
      root.render(
        createElement('ampkit-pay', {
          id: 'react-pay',
          client,
          invoice: BOLT11,
          'max-fee-msat': '9000',
          'onampkit-paid': (event: CustomEvent<PayResult>) => paid.push(event.detail),
        }),
      ),
    );
    const el = container.querySelector('ampkit-pay') as AmpkitPay;
    assert.equal(el.client, client, 'React 19 sets a known property as a property');
    await reach(el, 'ready');
    assert.equal(el.maxFeeMsat, 9000);
    $(el, 'button')!.click();
    await until(() => paid.length === 1, 'the React listener');
    assert.equal(paid[0]!.payment_hash, HASH);
    assert.deepEqual(client.calls.find((c) => c.method === 'pay')!.input, { bolt11: BOLT11, maxfee_msat: 9000 });
    root.unmount();
  });

  it('React 19: a re-render with a new invoice updates the element in place', async () => {
    const { createElement, createRoot, flushSync } = (await import(REACT)) as ReactApi;
    const client = payingClient();
    const container = stage();
    const root = createRoot(container);
    flushSync(() => root.render(createElement('ampkit-pay', { client, invoice: '' })));
    const el = container.querySelector('ampkit-pay') as AmpkitPay;
    await reach(el, 'empty');
    flushSync(() => root.render(createElement('ampkit-pay', { client, invoice: BOLT11 })));
    assert.equal(container.querySelector('ampkit-pay'), el);
    await reach(el, 'ready');
    root.unmount();
  });

  it('Vue 3: createApp with isCustomElement binds the client (.prop), attributes and @ampkit-invoice-paid', async () => {
    const { createApp, ref, nextTick } = (await import(VUE)) as VueApi;
    const client = new FakeClient();
    client.handlers.listinvoices = () => ({ invoices: [invoiceRecord()] });
    client.handlers.listpartialinvoices = () => ({ partialinvoices: [heldPart(1, 1_000_000)] });
    const paid = ref(0);
    const container = stage();
    const app = createApp({
      setup: () => ({ client, hash: HASH, paid, onPaid: () => (paid.value += 1) }),
      template: `<div><ampkit-invoice :client.prop="client" :payment-hash="hash" @ampkit-invoice-paid="onPaid"></ampkit-invoice><p class="count">{{ paid }}</p></div>`,
    });
    app.config.compilerOptions.isCustomElement = (tag: string) => tag.startsWith('ampkit-');
    app.mount(container);
    const el = container.querySelector('ampkit-invoice') as AmpkitInvoice;
    assert.equal(el.client, client);
    await reach(el, 'unpaid');
    client.emit('invoice-paid', invoiceRecord({ status: 'paid', amount_received_msat: 3_000_000, parts: 1 }));
    await reach(el, 'paid');
    await nextTick();
    assert.equal(container.querySelector('.count')!.textContent, '1');
    assert.include(text(el), 'Paid');
    app.unmount();
  });
});
