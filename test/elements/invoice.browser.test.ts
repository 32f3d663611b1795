/** <ampkit-invoice> against a scripted client: making, watching, parts live, paid, expired. */
import { assert } from 'chai';
import { sendKeys } from '@web/test-runner-commands';
import decodeQR from '@paulmillr/qr/decode.js';
import { AmpkitError } from '@ampkit/worker';
import '@ampkit/elements/define';
import { AmpkitInvoice } from '@ampkit/elements';
import { BOLT11, FakeClient, HASH, decoded, heldPart, invoiceRecord } from './fake-client.ts';
import { $, $$, assertContrast, cleanup, live, mount, reach, record, shots, text, until } from './helpers.ts';

/** An invoice element watching HASH, with listinvoices and listpartialinvoices answered. */
async function watching(parts = [heldPart(1, 1_000_000)], overrides = {}) {
  const client = new FakeClient();
  client.handlers.listinvoices = () => ({ invoices: [invoiceRecord(overrides)] });
  client.handlers.listpartialinvoices = () => ({ partialinvoices: parts });
  const el = await mount<AmpkitInvoice>('ampkit-invoice', { client }, { 'payment-hash': HASH });
  await reach(el, 'unpaid');
  await until(() => client.count('listpartialinvoices') === 1 && $(el, 'svg.qr'), 'the parts and the QR code');
  await el.updateComplete;
  return { client, el };
}

/** Draws the element's QR SVG on a canvas and reads it back. */
async function readQr(el: AmpkitInvoice): Promise<string> {
  const svg = $(el, 'svg.qr')!.cloneNode(true) as SVGSVGElement;
  svg.setAttribute('width', '600');
  svg.setAttribute('height', '600');
  const image = new Image();
  image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(new XMLSerializer().serializeToString(svg))}`;
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 600;
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(image, 0, 0, 600, 600);
  const { data, width, height } = ctx.getImageData(0, 0, 600, 600);
  return decodeQR({ data, width, height });
}

describe('<ampkit-invoice>', () => {
  afterEach(cleanup);

  it('empty: nothing to make or watch', async () => {
    const el = await mount<AmpkitInvoice>('ampkit-invoice', { client: new FakeClient() });
    assert.equal(el.state, 'empty');
    assert.include(text(el), 'No invoice yet.');
    await shots(el, 'ampkit-invoice-empty');
  });

  it('bad attributes: amount-msat="abc" or expiry="soon" is said on the element and in ampkit-error, never "No invoice yet."', async () => {
    const client = new FakeClient();
    const errors = record(document, 'ampkit-error');
    const el = await mount<AmpkitInvoice>('ampkit-invoice', { client }, { 'amount-msat': 'abc' });
    await reach(el, 'error');
    assert.include(text(el), 'amount-msat="abc" is not valid: it must be a whole number of msat above 0.');
    assert.notInclude(text(el), 'No invoice yet.');
    assert.equal(errors[0]!.detail.attribute, 'amount-msat');
    assert.equal(client.count('invoice'), 0);
    await shots(el, 'ampkit-invoice-bad-attribute');
    el.setAttribute('amount-msat', '1000');
    el.setAttribute('expiry', 'soon');
    await reach(el, 'error');
    assert.include(text(el), 'expiry="soon" is not valid: it must be a whole number of seconds above 0.');
    assert.equal(errors[1]!.detail.attribute, 'expiry');
  });

  it('hostile description from the node: isolated, bidi overrides removed, cut', async () => {
    const client = new FakeClient();
    client.handlers.listinvoices = () => ({ invoices: [invoiceRecord({ description: '\u202eevil' + 'y'.repeat(400) })] });
    client.handlers.listpartialinvoices = () => ({ partialinvoices: [] });
    const el = await mount<AmpkitInvoice>('ampkit-invoice', { client }, { 'payment-hash': HASH });
    await reach(el, 'unpaid');
    const shown = $(el, '.description')!.textContent!;
    assert.notInclude(shown, '\u202e');
    assert.isTrue(shown.startsWith('\u2068evil') && shown.endsWith('…\u2069'));
    assert.equal([...shown].length, 162);
  });

  it('error: no client', async () => {
    const el = await mount<AmpkitInvoice>('ampkit-invoice', {}, { 'amount-msat': '1000' });
    assert.equal(el.state, 'error');
    assert.include(text(el), 'Connect a node first.');
    await shots(el, 'ampkit-invoice-error');
  });

  it('creating: hold, amount and description go to client.invoice(); ampkit-invoice-created carries the Invoice', async () => {
    const client = new FakeClient();
    const el = await mount<AmpkitInvoice>(
      'ampkit-invoice',
      { client },
      { 'amount-msat': '3000000', description: 'Order #1042', hold: '', expiry: '600' },
    );
    const call = await client.next('invoice');
    assert.deepEqual(call.input, { amount_msat: 3_000_000, description: 'Order #1042', hold: true, expiry: 600 });
    assert.equal(el.state, 'creating');
    assert.include(text(el), 'Making the invoice…');
    await shots(el, 'ampkit-invoice-creating');
    const created = record(document, 'ampkit-invoice-created');
    const invoice = invoiceRecord({ hold: true });
    client.handlers.listinvoices = () => ({ invoices: [invoice] });
    client.handlers.listpartialinvoices = () => ({ partialinvoices: [] });
    call.resolve(invoice);
    await reach(el, 'unpaid');
    assert.lengthOf(created, 1);
    assert.deepEqual(created[0]!.detail, invoice);
    assert.isTrue(created[0]!.bubbles && created[0]!.composed);
    await until(() => client.count('listpartialinvoices') === 1, 'the parts to be asked for');
    assert.deepEqual(client.calls.find((c) => c.method === 'listinvoices')!.input, { payment_hash: HASH });
    assert.deepEqual(client.calls.find((c) => c.method === 'listpartialinvoices')!.input, { payment_hash: HASH });
    assert.equal(el.invoice, invoice);
    assert.throws(() => ((el as unknown as { invoice: unknown }).invoice = undefined), TypeError, undefined, 'invoice is read-only');
    await until(() => $(el, 'svg.qr'), 'the QR code');
    assert.include(text(el), 'hold');
    // A re-render (strings, the same attributes) makes no second invoice; a new amount does.
    el.strings = { invoiceCopy: 'Copy the invoice' };
    el.setAttribute('description', 'Order #1042');
    await el.updateComplete;
    assert.equal(client.count('invoice'), 1);
    el.setAttribute('amount-msat', '4000000');
    await client.next('invoice');
  });

  it('error: the node refuses to make the invoice', async () => {
    const client = new FakeClient();
    client.handlers.invoice = () => {
      throw new AmpkitError('NODE_ERROR', 'no hold plugin');
    };
    const el = await mount<AmpkitInvoice>('ampkit-invoice', { client }, { 'amount-msat': '1000', hold: '' });
    await reach(el, 'error');
    assert.equal(text(el), 'Could not make the invoice. no hold plugin');
  });

  it('loading: watches a bolt11, decoded through the client for its hash', async () => {
    const client = new FakeClient();
    const el = await mount<AmpkitInvoice>('ampkit-invoice', { client }, { bolt11: BOLT11 });
    const call = await client.next('decode');
    assert.deepEqual(call.input, { bolt11: BOLT11 });
    assert.equal(el.state, 'loading');
    await shots(el, 'ampkit-invoice-loading');
    call.resolve(decoded());
    const list = await client.next('listinvoices');
    assert.deepEqual(list.input, { payment_hash: HASH });
    list.resolve({ invoices: [] });
    await reach(el, 'error');
    assert.include(text(el), 'The node does not know this invoice.');
  });

  it('unpaid: a scannable QR code of LIGHTNING:<BOLT11>, amount, description, expiry; received X of Y', async () => {
    const { el } = await watching([]);
    assert.equal(text(el, '[part=amount]'), '3,000 sat');
    assert.include(text(el), 'Order #1042');
    assert.include(text(el), 'Expires at');
    assert.equal(await readQr(el), `LIGHTNING:${BOLT11.toUpperCase()}`);
    assert.equal($(el, 'svg.qr')!.getAttribute('role'), 'img');
    assert.include($(el, 'svg.qr')!.getAttribute('aria-label')!, '3,000 sat');
    assert.equal(($(el, '[part~=open]') as HTMLAnchorElement).href, `lightning:${BOLT11}`);
    const bar = $(el, '[role=progressbar]')!;
    assert.deepEqual(
      ['aria-valuemin', 'aria-valuemax', 'aria-valuenow'].map((a) => bar.getAttribute(a)),
      ['0', '3000', '0'],
    );
    assert.include(text(el), 'Received 0 sat of 3,000 sat');
    assert.include(text(el), 'Waiting for the first part…');
    await shots(el, 'ampkit-invoice-unpaid');
  });

  it('parts: listed from listpartialinvoices, then live from invoice-part (this hash only), announced, ampkit-invoice-part', async () => {
    const { client, el } = await watching([heldPart(1, 1_000_000)]);
    assert.lengthOf($$(el, '[part~=part]'), 1);
    const events = record(el, 'ampkit-invoice-part');
    client.emit('invoice-part', heldPart(9, 500_000, { payment_hash: 'ee'.repeat(32) }));
    const part = heldPart(2, 800_000);
    client.emit('invoice-part', part);
    client.emit('invoice-part', part); // twice (another tab's engine): listed once
    await el.updateComplete;
    const rows = $$(el, '[part~=part]');
    assert.lengthOf(rows, 2);
    assert.match(rows[1]!.textContent!.replace(/\s+/g, ' '), /part 2 of 2 800 sat \d/);
    assert.notInclude(rows[1]!.textContent!, '812x2x2', 'channel ids only in the details');
    const details = $(el, 'details.more')!;
    assert.isFalse((details as HTMLDetailsElement).open);
    assert.include(details.textContent!, 'Part 2: 800,000 msat, channel 812x2x2, HTLC 2');
    assert.include(text(el), 'The payer is sending the rest…');
    assert.lengthOf(events, 1);
    assert.deepEqual(events[0]!.detail, part);
    assert.equal(live(el), 'Part 2 arrived: 800 sat.');
    assert.equal($(el, '[role=progressbar]')!.getAttribute('aria-valuenow'), '1800');
    assert.include(text(el), 'Received 1,800 sat of 3,000 sat');
    assert.deepEqual(el.parts, [heldPart(1, 1_000_000), part]);
  });

  it('a part that leaves stays marked with why for a moment, then goes', async () => {
    const leaving = AmpkitInvoice.leavingMs;
    AmpkitInvoice.leavingMs = 400;
    try {
      const { client, el } = await watching([heldPart(1, 1_000_000), heldPart(2, 800_000), heldPart(3, 700_000)]);
      client.emit('invoice-part-gone', { part: heldPart(2, 800_000), reason: 'timeout' });
      await el.updateComplete;
      const row = $$(el, '[part~=part]')[1]!;
      assert.equal(row.getAttribute('part'), 'part part-leaving');
      assert.include(row.textContent!, 'leaving: timed out');
      assert.include(text(el), 'Received 1,700 sat of 3,000 sat', 'a leaving part no longer counts');
      await shots(el, 'ampkit-invoice-unpaid-parts');
      await until(() => $$(el, '[part~=part]').length === 2, 'the part to go');
      assert.notInclude(text(el), '812x2x2');
    } finally {
      AmpkitInvoice.leavingMs = leaving;
    }
  });

  it('paid: invoice-paid (and invoice-updated) give one ampkit-invoice-paid, announced', async () => {
    const { client, el } = await watching();
    const paid = record(document, 'ampkit-invoice-paid');
    const invoice = invoiceRecord({
      status: 'paid',
      amount_received_msat: 3_000_000,
      parts: 3,
      paid_at: 1_764_600_100,
      payment_preimage: '9e'.repeat(32),
    });
    client.emit('invoice-updated', invoice);
    client.emit('invoice-paid', invoice);
    await reach(el, 'paid');
    assert.lengthOf(paid, 1);
    assert.deepEqual(paid[0]!.detail, invoice);
    assert.include(text(el), 'Paid — 3,000 sat received');
    assert.include(text(el), '3 parts');
    assert.include(live(el), 'Paid — 3,000 sat received');
    assert.notExists($(el, 'svg.qr'));
    await shots(el, 'ampkit-invoice-paid');
  });

  it('paid already when first looked up: no QR, no parts asked', async () => {
    const client = new FakeClient();
    client.handlers.listinvoices = () => ({ invoices: [invoiceRecord({ status: 'paid', amount_received_msat: 3_000_000, parts: 2 })] });
    const el = await mount<AmpkitInvoice>('ampkit-invoice', { client }, { 'payment-hash': HASH });
    await reach(el, 'paid');
    assert.equal(client.count('listpartialinvoices'), 0);
  });

  it('expired: invoice-expired gives ampkit-invoice-expired', async () => {
    const { client, el } = await watching();
    const expired = record(el, 'ampkit-invoice-expired');
    const invoice = invoiceRecord({ status: 'expired' });
    client.emit('invoice-expired', invoice);
    await reach(el, 'expired');
    assert.deepEqual(
      expired.map((e) => e.detail),
      [invoice],
    );
    assert.include(text(el), 'This invoice expired unpaid.');
    assert.include(live(el), 'expired');
    await shots(el, 'ampkit-invoice-expired');
  });

  it('expired by the clock when no event says so', async () => {
    const { el } = await watching([], { expires_at: Math.floor(Date.now() / 1000) });
    const expired = record(el, 'ampkit-invoice-expired');
    await reach(el, 'expired', 3000);
    assert.lengthOf(expired, 1);
    assert.equal(expired[0]!.detail.status, 'expired');
  });

  it('copy: the bolt11 to the clipboard, confirmed on the button and in the live region; keyboard works', async () => {
    const { el } = await watching();
    const copied: string[] = [];
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: async (t: string) => void copied.push(t) }, configurable: true });
    const button = $(el, '[part~=copy]')!;
    button.focus();
    await sendKeys({ press: 'Enter' });
    await until(() => button.textContent!.trim() === 'Copied', 'the confirmation');
    assert.deepEqual(copied, [BOLT11]);
    assert.equal(live(el), 'Copied');
    Object.defineProperty(navigator, 'clipboard', {
      value: { writeText: async () => Promise.reject(new Error('denied')) },
      configurable: true,
    });
    await sendKeys({ press: 'Tab' });
    assert.equal(el.shadowRoot!.activeElement, $(el, '[part~=open]'), 'Tab goes on to the wallet link');
  });

  it('stops listening when removed', async () => {
    const { client, el } = await watching();
    assert.equal(client.listenerCount('invoice-part'), 1);
    el.remove();
    assert.equal(client.listenerCount('invoice-part'), 0);
    assert.equal(client.listenerCount('invoice-paid'), 0);
  });

  it('theming and contrast: --ampkit-settled fills the bar; every text ≥ 4.5:1, leaving parts included', async () => {
    const { client, el } = await watching([heldPart(1, 1_000_000), heldPart(2, 800_000)]);
    el.style.setProperty('--ampkit-settled', 'rgb(0, 90, 200)');
    assert.equal(getComputedStyle($(el, '.fill')!).backgroundColor, 'rgb(0, 90, 200)');
    el.style.removeProperty('--ampkit-settled');
    client.emit('invoice-part-gone', { part: heldPart(2, 800_000), reason: 'cancelled' });
    await el.updateComplete;
    assertContrast(el);
  });

  it('strings: the part-arrived announcement and the received line are translatable', async () => {
    const { client, el } = await watching([]);
    el.strings = {
      locale: 'fr-FR',
      invoiceReceived: '{received} reçus sur {amount}',
      invoicePartArrived: 'Partie {number} arrivée : {amount}',
    };
    client.emit('invoice-part', heldPart(4, 1_500_000));
    await el.updateComplete;
    assert.include(text(el).replace(/\s/g, ' '), '1 500 sat reçus sur 3 000 sat');
    assert.equal(live(el).replace(/\s/g, ' '), 'Partie 1 arrivée : 1 500 sat');
  });
});
