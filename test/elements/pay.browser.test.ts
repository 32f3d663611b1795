/** <ampkit-pay> against a scripted client: every state, every event, keyboard use, a11y. */
import { assert } from 'chai';
import { emulateMedia, sendKeys } from '@web/test-runner-commands';
import { AmpkitError } from '@ampkit/worker';
import { createRune } from '@ampkit/wire';
import '@ampkit/elements/define';
import { AmpkitConnect, AmpkitPay, type PayProgress } from '@ampkit/elements';
import { BOLT11, FakeClient, HASH, PAYEE, decoded, payResult, progress, sentPart } from './fake-client.ts';
import { $, $$, assertContrast, cleanup, DARK_THEME, live, mount, reach, record, shot, shots, text, until } from './helpers.ts';

/** A pay element with a client that decodes BOLT11 at once. */
async function ready(attrs: Record<string, string> = {}, overrides = {}, state = 'ready') {
  const client = new FakeClient();
  client.handlers.decode = () => decoded(overrides);
  const el = await mount<AmpkitPay>('ampkit-pay', { client }, { invoice: BOLT11, ...attrs });
  await reach(el, state);
  return { client, el };
}

/** Clicks Pay and returns the pending pay() call. */
async function startPaying(client: FakeClient, el: AmpkitPay) {
  $(el, 'button')!.click();
  const call = await client.next('pay');
  await reach(el, 'paying');
  return call;
}

async function emitProgress(client: FakeClient, el: AmpkitPay, p: PayProgress) {
  client.emit('pay-progress', p);
  await el.updateComplete;
}

const PARTS_MIDWAY = [
  sentPart(1, 1_200_000, 'complete', 3),
  sentPart(2, 600_000, 'failed', 2),
  sentPart(3, 1_000_000, 'pending', 2),
  sentPart(4, 800_000, 'pending', 4),
];

describe('<ampkit-pay>', () => {
  afterEach(cleanup);

  it('is registered once, and a second define does nothing', async () => {
    assert.equal(customElements.get('ampkit-pay'), AmpkitPay);
    await import('@ampkit/elements/define');
    assert.equal(customElements.get('ampkit-pay'), AmpkitPay);
  });

  it('empty: no invoice', async () => {
    const el = await mount<AmpkitPay>('ampkit-pay', { client: new FakeClient() });
    assert.equal(el.state, 'empty');
    assert.include(text(el), 'No invoice to pay yet.');
    await shots(el, 'ampkit-pay-empty');
  });

  it('error: an invoice but no client or connection', async () => {
    const el = await mount<AmpkitPay>('ampkit-pay', {}, { invoice: BOLT11 });
    assert.equal(el.state, 'error');
    assert.include(text(el), 'Connect a node first.');
    await shots(el, 'ampkit-pay-error');
  });

  it('loading: decoding through the client', async () => {
    const client = new FakeClient();
    const el = await mount<AmpkitPay>('ampkit-pay', { client }, { invoice: BOLT11 });
    const call = await client.next('decode');
    assert.deepEqual(call.input, { bolt11: BOLT11 });
    assert.equal(el.state, 'loading');
    assert.include(text(el), 'Reading the invoice…');
    await shots(el, 'ampkit-pay-loading');
    call.resolve(decoded());
    await reach(el, 'ready');
  });

  it('invalid: the decoder refuses the invoice', async () => {
    const client = new FakeClient();
    client.handlers.decode = () => {
      throw new AmpkitError('INVALID_ARGUMENT', 'bolt11: bad checksum');
    };
    const el = await mount<AmpkitPay>('ampkit-pay', { client }, { invoice: 'lnbc1garbage' });
    await reach(el, 'invalid');
    assert.include(text(el), 'This is not a Lightning invoice.');
    const details = $(el, 'details.more') as HTMLDetailsElement;
    assert.isFalse(details.open, "the decoder's words are one click away, not in place of the message");
    assert.include(details.textContent!, 'bad checksum');
    await shots(el, 'ampkit-pay-invalid');
  });

  it('invalid: an invoice without an amount and no amount-msat; with amount-msat it is ready and pays that amount', async () => {
    const client = new FakeClient();
    client.handlers.decode = () => decoded({ amount_msat: undefined });
    const el = await mount<AmpkitPay>('ampkit-pay', { client }, { invoice: BOLT11 });
    await reach(el, 'invalid');
    assert.include(text(el), 'names no amount');
    el.setAttribute('amount-msat', '21000');
    await reach(el, 'ready');
    assert.include(text(el, '.amount'), '21 sat');
    $(el, 'button')!.click();
    const call = await client.next('pay');
    assert.deepEqual(call.input, { bolt11: BOLT11, amount_msat: 21_000 });
  });

  it('error, not invalid, when the node cannot be reached', async () => {
    const client = new FakeClient();
    client.handlers.decode = () => {
      throw new AmpkitError('CONNECTION', 'the socket dropped');
    };
    const el = await mount<AmpkitPay>('ampkit-pay', { client }, { invoice: BOLT11 });
    await reach(el, 'error');
    assert.include(text(el), 'the socket dropped');
  });

  it('expired: an invoice past its expiry, and a ready one once its expiry passes', async () => {
    const { el } = await ready({}, { created_at: Math.floor(Date.now() / 1000) - 7200, expiry: 3600 }, 'expired');
    assert.include(text(el), 'This invoice has expired.');
    assert.notExists($(el, 'button'));
    await shots(el, 'ampkit-pay-expired');
    cleanup();
    const soon = await ready({}, { created_at: Math.floor(Date.now() / 1000) - 59, expiry: 60 });
    assert.equal(soon.el.state, 'ready');
    await reach(soon.el, 'expired', 3000);
    assert.include(live(soon.el), 'expired');
  });

  it('ready: amount, shortened payee, description, default fee budget, a Pay button', async () => {
    const { el } = await ready();
    assert.equal(text(el, '[part=amount]'), '3,000 sat');
    const payee = $(el, '.details dd.mono')!;
    assert.equal(payee.textContent, `${PAYEE.slice(0, 8)}…${PAYEE.slice(-6)}`);
    assert.equal(payee.title, PAYEE);
    assert.include(text(el), 'Two espressos and a croissant');
    assert.equal(text(el, '.details .row:last-child dt'), 'Fee budget');
    assert.equal(text(el, '.details .row:last-child dd'), 'up to 15 sat', '0.5% of 3,000 sat');
    assert.equal(el.feeBudget, 15_000);
    assert.equal($(el, 'button')!.textContent!.trim(), 'Pay 3,000 sat');
    await shots(el, 'ampkit-pay-ready');
  });

  it('amounts in whole sat; fees rounded up, "under 1 sat" below one; never a fraction of a sat', async () => {
    const { client, el } = await ready({ 'max-fee-msat': '800' }, { amount_msat: 263_681_593 });
    assert.include(text(el), '263,682 sat');
    assert.include(text(el), 'up to under 1 sat');
    const call = await startPaying(client, el);
    call.resolve(payResult([sentPart(1, 263_681_593, 'complete', 3)], 'complete', { amount_msat: 263_681_593, fee_msat: 110_982 }));
    await reach(el, 'paid');
    assert.include(text(el), 'Paid 263,682 sat');
    assert.include(text(el), 'Fees 111 sat over 1 part');
    assert.notMatch(text(el), /\d\.\d+ sat/, 'no fractional sat anywhere');
  });

  it('the fee budget floor is 5,000 msat, and max-fee-msat overrides it and goes to pay()', async () => {
    const small = await ready({}, { amount_msat: 100_000 });
    assert.equal(small.el.feeBudget, 5_000);
    assert.include(text(small.el), 'up to 5 sat');
    cleanup();
    const { client, el } = await ready({ 'max-fee-msat': '2500' });
    assert.include(text(el), 'up to 3 sat', 'a fee budget rounded up to whole sat');
    const call = await startPaying(client, el);
    assert.deepEqual(call.input, { bolt11: BOLT11, maxfee_msat: 2500 });
  });

  it('paying: one progressbar, a segment per part from pay-progress of this hash only, attempts and fees', async () => {
    const { client, el } = await ready();
    const events = record(document, 'ampkit-pay-progress');
    await startPaying(client, el);
    assert.include(live(el), 'Paying 3,000 sat');
    const bar = $(el, '[role=progressbar]')!;
    assert.equal(bar.getAttribute('aria-valuemin'), '0');
    assert.equal(bar.getAttribute('aria-valuemax'), '3000');
    assert.equal(bar.getAttribute('aria-valuenow'), '0');

    await emitProgress(client, el, progress([sentPart(1, 1_200_000, 'pending', 3)]));
    await emitProgress(client, el, progress(PARTS_MIDWAY, { payment_hash: 'cd'.repeat(32) })); // another payment: ignored
    assert.lengthOf($$(el, '[part~=segment]'), 1);
    await emitProgress(client, el, progress(PARTS_MIDWAY));
    const segments = $$(el, '[part~=segment]');
    assert.deepEqual(
      segments.map((s) => s.getAttribute('part')),
      ['segment segment-settled', 'segment segment-inflight', 'segment segment-inflight', 'segment segment-failed'],
      'settled first, then in flight, then failed',
    );
    assert.equal(bar.getAttribute('aria-valuenow'), '1200');
    assert.equal(bar.getAttribute('aria-valuetext'), '1,200 sat of 3,000 sat delivered');
    assert.equal(segments[0]!.getAttribute('aria-label'), 'Part 1: 1,200 sat, 3 hops, settled');
    assert.equal(segments[3]!.getAttribute('aria-label'), 'Part 2: 600 sat, 2 hops, failed');
    assert.equal(text(el, '[part=stats] div:first-child dd'), '4', 'attempts');
    assert.equal(text(el, '[part=stats] div:last-child dd'), '9 sat', 'fees: 3 + 2 + 4 hops at 1 sat each, the failed part excluded');
    assert.include(text(el, '[part=legend]'), 'settled 1');
    assert.include(text(el, '[part=legend]'), 'in flight 2');
    assert.include(text(el, '[part=legend]'), 'failed 1');
    assert.lengthOf(events, 2);
    assert.equal(events[1]!.detail.attempts, 4);
    assert.isTrue(events[1]!.bubbles && events[1]!.composed);
    await shots(el, 'ampkit-pay-paying');
  });

  it('a segment shows its amount and hop count on hover and on keyboard focus', async () => {
    const { client, el } = await ready();
    await startPaying(client, el);
    await emitProgress(client, el, progress(PARTS_MIDWAY));
    const [first, second] = $$(el, '[part~=segment]');
    const tip = (s: HTMLElement) => s.querySelector<HTMLElement>('[part=tooltip]')!;
    assert.equal(getComputedStyle(tip(first!)).display, 'none');
    first!.focus();
    assert.equal(el.shadowRoot!.activeElement, first);
    assert.equal(getComputedStyle(tip(first!)).display, 'block');
    assert.include(tip(first!).textContent!, '1,200 sat');
    assert.include(tip(first!).textContent!, '3 hops');
    await sendKeys({ press: 'Tab' });
    assert.equal(el.shadowRoot!.activeElement, second, 'segments are in the tab order');
    assert.equal(getComputedStyle(tip(second!)).display, 'block');
    assert.include(tip(second!).textContent!, '2 hops'); // part 3: settled first, then in flight by send order
    await shots(el, 'ampkit-pay-paying-focus');
  });

  it('paid: ampkit-paid with the result, the preimage as proof, copyable, announced', async () => {
    const { client, el } = await ready();
    const call = await startPaying(client, el);
    await emitProgress(client, el, progress(PARTS_MIDWAY));
    const paid = record(el, 'ampkit-paid');
    const parts = [
      sentPart(1, 1_200_000, 'complete', 3),
      sentPart(2, 600_000, 'failed'),
      sentPart(3, 1_000_000, 'complete'),
      sentPart(4, 800_000, 'complete', 4),
    ];
    const result = payResult(parts, 'complete');
    call.resolve(result);
    await reach(el, 'paid');
    assert.lengthOf(paid, 1);
    assert.deepEqual(paid[0]!.detail, result);
    assert.equal(el.result, result);
    assert.equal(text(el, '[part=preimage]'), '9e'.repeat(32));
    assert.include(text(el), 'Paid 3,000 sat');
    assert.include(text(el), 'Fees 9 sat over 3 parts (4 attempts).');
    assert.lengthOf($$(el, '[part~=segment]'), 3, 'after success the bar shows what was delivered');
    assert.lengthOf($$(el, '[part~=segment-failed]'), 0);
    assert.include($(el, 'details.more summary')!.textContent!, '1 attempt failed on the way');
    assert.include(live(el), 'Paid 3,000 sat');
    const copied: string[] = [];
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: async (t: string) => void copied.push(t) }, configurable: true });
    const copy = $(el, '[part~=copy]')!;
    copy.click();
    await until(() => copy.textContent!.trim() === 'Copied', 'the copy confirmation');
    assert.equal(live(el), 'Copied');
    assert.deepEqual(copied, ['9e'.repeat(32)]);
    await shots(el, 'ampkit-pay-paid');
  });

  /** A payment this journal made on 4 Dec 2026, as checkpayment gives it. */
  const earlier = (confirmed?: boolean) => ({
    payment: {
      payment_hash: HASH,
      amount_msat: 3_000_000,
      amount_sent_msat: 3_009_000,
      parts: 3,
      groupid: 1,
      status: 'complete' as const,
      created_at: 1_796_400_000,
      completed_at: 1_796_400_004,
      payment_preimage: '9e'.repeat(32),
    },
    ...(confirmed === undefined ? {} : { confirmed }),
  });

  it('already paid: an invoice this journal paid before shows its date and proof, never a Pay button', async () => {
    const client = new FakeClient();
    client.handlers.decode = () => decoded();
    client.handlers.checkpayment = () => earlier(true);
    const el = await mount<AmpkitPay>('ampkit-pay', { client, strings: { locale: 'en-US' } }, { invoice: BOLT11 });
    await reach(el, 'already-paid');
    assert.deepEqual(client.calls.find((c) => c.method === 'checkpayment')!.input, { payment_hash: HASH });
    assert.include(text(el), 'Already paid on Dec 4, 2026');
    assert.include(text(el), '3,000 sat');
    assert.equal(text(el, '[part=preimage]'), '9e'.repeat(32));
    assert.isNull($(el, 'button.wide'), 'no Pay button');
    assert.notInclude(text(el), '0 parts');
    assert.notInclude(text(el), 'no record');
    assert.include(live(el), 'Already paid on');
    assert.isUndefined(await el.pay(), 'pay() does nothing here');
    assert.equal(client.count('pay'), 0);
    await shots(el, 'ampkit-pay-already-paid');
  });

  it('already paid, but the node has no record of it: said so beside the proof', async () => {
    const client = new FakeClient();
    client.handlers.decode = () => decoded();
    client.handlers.checkpayment = () => earlier(false);
    const el = await mount<AmpkitPay>('ampkit-pay', { client }, { invoice: BOLT11 });
    await reach(el, 'already-paid');
    assert.include(text(el), 'Your node has no record of this payment');
    await shots(el, 'ampkit-pay-already-paid-unconfirmed');
  });

  it('a pay() the journal answers as already complete (another tab paid it) shows already paid, not a fresh "Paid" over 0 parts', async () => {
    const { client, el } = await ready();
    const call = await startPaying(client, el);
    client.handlers.checkpayment = () => earlier(true);
    call.resolve(payResult([], 'complete', { already_complete: true, completed_at: 1_796_400_004 }));
    await reach(el, 'already-paid');
    assert.include(text(el), 'Already paid on');
    assert.notInclude(text(el), '0 parts');
  });

  it('a check that fails (the link is down) leaves the invoice payable: pay() itself never pays twice', async () => {
    const client = new FakeClient();
    client.handlers.decode = () => decoded();
    client.handlers.checkpayment = () => {
      throw new AmpkitError('CONNECTION', 'the link to the node is closed');
    };
    const el = await mount<AmpkitPay>('ampkit-pay', { client }, { invoice: BOLT11 });
    await reach(el, 'ready');
  });

  const threeFailed = () => [
    {
      ...sentPart(1, 1_500_000, 'failed', 3),
      failcodename: 'WIRE_TEMPORARY_CHANNEL_FAILURE',
      erring_node: '03' + 'aa'.repeat(32),
      erring_channel: '900x6x0',
    },
    { ...sentPart(2, 1_500_000, 'failed', 2), failcodename: 'WIRE_TEMPORARY_CHANNEL_FAILURE' },
    { ...sentPart(3, 1_500_000, 'failed', 4), failreason: 'First peer not ready' },
  ];

  it('failed, no route: plain words with the amount in sat; no Try again that cannot work; the raw reason and each part one click away', async () => {
    const { client, el } = await ready();
    const call = await startPaying(client, el);
    const failed = record(el, 'ampkit-pay-failed');
    const raw = 'no route for the remaining 3000000 msat within the fee budget (15000 msat left): room for 792608 of 3000000 msat';
    const result = payResult(threeFailed(), 'failed', { failreason: raw, failkind: 'no-route' });
    await emitProgress(client, el, progress(result.parts));
    call.resolve(result);
    await reach(el, 'failed');
    assert.lengthOf(failed, 1);
    assert.deepEqual(failed[0]!.detail, result);
    const message = text(el, '[part=message]');
    assert.include(message, 'No route can carry 3,000 sat to the payee now');
    assert.notInclude(message, 'msat');
    assert.include(live(el), 'No route can carry 3,000 sat');
    assert.isNull($(el, 'button.wide'), 'no retry: the network has no room for it');
    const details = $(el, 'details.more') as HTMLDetailsElement;
    assert.isFalse(details.open);
    assert.include(details.textContent!, raw);
    assert.include(details.textContent!, 'Part 1: 1,500,000 msat, failed: \u2068WIRE_TEMPORARY_CHANNEL_FAILURE\u2069 (03aaaaaa…, 900x6x0)');
    assert.include(details.textContent!, 'First peer not ready');
    await shots(el, 'ampkit-pay-failed-no-route');
    details.open = true;
    await shots(el, 'ampkit-pay-failed-details');
  });

  for (const [kind, words, retry] of [
    ['fee-budget', 'Every route to the payee costs more than the fee budget of 15 sat.', false],
    ['payee-refused', 'The payee refused the payment. Ask the payee for a new invoice.', false],
    ['timeout', '3,000 sat could not be delivered in time. Trying again may work.', true],
    ['node-refused', 'Your node refused to send the payment. Trying again may work.', true],
    ['storage', 'This browser could not record the payment', true],
  ] as const) {
    it(`failed, ${kind}: "${words.slice(0, 40)}…", ${retry ? 'with' : 'without'} Try again`, async () => {
      const { client, el } = await ready();
      const call = await startPaying(client, el);
      call.resolve(payResult(threeFailed(), 'failed', { failkind: kind, failreason: `raw ${kind}` }));
      await reach(el, 'failed');
      assert.include(text(el, '[part=message]'), words);
      assert.equal($(el, 'button.wide') !== null, retry);
      assert.include($(el, 'details.more')!.textContent!, `raw ${kind}`);
      await shots(el, `ampkit-pay-failed-${kind}`);
    });
  }

  it("the picture of the parts, on demand: each part's path with aliases where given, its amount and fate, the failing step marked", async () => {
    const BOB = '02' + 'b0'.repeat(32);
    const { client, el } = await ready();
    el.aliases = { [BOB]: 'bob', [PAYEE]: 'coffee shop' };
    const call = await startPaying(client, el);
    const via = (p: ReturnType<typeof sentPart>) => ({
      ...p,
      route: [
        { id: BOB, channel: '900x1x0', amount_msat: p.amount_msat + 1000, delay: 40 },
        { id: PAYEE, channel: '900x2x1', amount_msat: p.amount_msat, delay: 18 },
      ],
    });
    const parts = [
      via(sentPart(1, 1_800_000, 'complete')),
      { ...via(sentPart(2, 1_200_000, 'failed')), erring_index: 1, failcodename: 'WIRE_TEMPORARY_CHANNEL_FAILURE' },
      via(sentPart(3, 1_200_000, 'complete')),
    ];
    call.resolve(payResult(parts, 'complete'));
    await reach(el, 'paid');
    assert.isNull($(el, '[part=diagram]'), 'closed until asked for');
    const toggle = $(el, '[part~=diagram-toggle]')!;
    assert.equal(toggle.textContent!.trim(), 'Show the parts');
    await el.toggleDiagram();
    await el.updateComplete;
    const rows = $$(el, '[part=diagram] > li');
    assert.lengthOf(rows, 3);
    assert.equal(
      rows[0]!
        .textContent!.replace(/\s+/g, ' ')
        .replace(/[\u2068\u2069]/g, '')
        .trim(),
      'Part 1 1,800 sat settled You → 900x1x0 bob → 900x2x1 coffee shop',
    );
    assert.include(rows[1]!.textContent!, 'failed · \u2068WIRE_TEMPORARY_CHANNEL_FAILURE');
    assert.equal(rows[1]!.querySelector('.step.broke')!.getAttribute('title'), '900x2x1', 'bob could not forward: the step out of bob');
    assert.equal(toggle.getAttribute('aria-expanded'), 'true');
    await shots(el, 'ampkit-pay-diagram');
    await el.toggleDiagram();
    await el.updateComplete;
    assert.isNull($(el, '[part=diagram]'));
  });

  it('failed: Try again pays again', async () => {
    const { client, el } = await ready();
    const call = await startPaying(client, el);
    call.resolve(payResult(threeFailed(), 'failed', { failkind: 'timeout' }));
    await reach(el, 'failed');
    const retry = $(el, 'button.wide')!;
    assert.equal(retry.textContent!.trim(), 'Try again');
    retry.click();
    await client.next('pay');
    await reach(el, 'paying');
  });

  it('failed: a pay() that throws gives { error } with the AmpkitError', async () => {
    const { client, el } = await ready();
    const call = await startPaying(client, el);
    const failed = record(document, 'ampkit-pay-failed');
    call.reject(new AmpkitError('CONNECTION', 'the link is gone'));
    await reach(el, 'failed');
    const detail = failed[0]!.detail as { error: AmpkitError };
    assert.instanceOf(detail.error, AmpkitError);
    assert.equal(detail.error.code, 'CONNECTION');
    assert.include(text(el, '[part=message]'), 'Your node could not be reached. Try again once it is online.');
    assert.include($(el, 'details.more')!.textContent!, 'CONNECTION: the link is gone');
    assert.isNotNull($(el, 'button.wide'));
    assert.equal(client.listenerCount('pay-progress'), 0, 'stops listening once the payment ends');
    await shots(el, 'ampkit-pay-failed-offline');
  });

  it("failed: a rune that may not pay shows the plain PERMISSION message, not the node's refusal text", async () => {
    const { client, el } = await ready();
    const call = await startPaying(client, el);
    const failed = record(document, 'ampkit-pay-failed');
    const node = 'Invalid rune: Not permitted: method is not equal to invoice AND method is not equal to listinvoices';
    call.reject(
      new AmpkitError(
        'PERMISSION',
        'the rune does not permit listsendpays (needed to send payments); make a rune that allows it, see README',
        {
          nodeCode: 19537,
          data: { method: 'listsendpays', message: node },
        },
      ),
    );
    await reach(el, 'failed');
    assert.include(text(el, '[part=message]'), 'This connection may not pay: its rune does not allow it.');
    assert.include($(el, 'details.more')!.textContent!, 'the rune does not permit listsendpays');
    assert.isNull($(el, 'button.wide'), 'no retry: the rune will not change');
    assert.notInclude(text(el), 'Invalid rune');
    const detail = failed[0]!.detail as { error: AmpkitError };
    assert.equal(detail.error.code, 'PERMISSION');
    assert.deepEqual(detail.error.data, { method: 'listsendpays', message: node });
  });

  it('keyboard: Tab reaches the Pay button, Enter pays', async () => {
    const { client, el } = await ready();
    const before = document.createElement('button');
    before.textContent = 'before';
    el.before(before);
    before.focus();
    await sendKeys({ press: 'Tab' });
    assert.equal(el.shadowRoot!.activeElement, $(el, 'button'));
    await sendKeys({ press: 'Enter' });
    await client.next('pay');
    await reach(el, 'paying');
  });

  it('events bubble out of a shadow root (composed)', async () => {
    const client = new FakeClient();
    client.handlers.decode = () => decoded();
    client.handlers.pay = () => payResult([sentPart(1, 3_000_000, 'complete')], 'complete');
    const host = document.createElement('div');
    document.body.append(host);
    const root = host.attachShadow({ mode: 'open' });
    const el = document.createElement('ampkit-pay');
    el.client = client;
    el.invoice = BOLT11;
    root.append(el);
    const paid = record(document, 'ampkit-paid');
    await reach(el, 'ready');
    await el.pay();
    assert.lengthOf(paid, 1);
    assert.equal(paid[0]!.detail.payment_hash, HASH);
    host.remove();
  });

  it('makes its own client from node-id, url, rune and worker-url, and closes it when removed', async () => {
    const client = new FakeClient();
    client.handlers.decode = () => decoded();
    const asked: unknown[] = [];
    const el = await mount<AmpkitPay>(
      'ampkit-pay',
      { clientFactory: async (options: unknown) => (asked.push(options), client) },
      { invoice: BOLT11, 'node-id': PAYEE, url: 'wss://node.example:5019', rune: 'rune-from-test', 'worker-url': '/w.js' },
    );
    await reach(el, 'ready');
    assert.deepEqual(asked, [{ nodeId: PAYEE, url: 'wss://node.example:5019', rune: 'rune-from-test', worker: '/w.js' }]);
    el.remove();
    await until(() => client.closed, 'the own client to close');
  });

  it('bad attributes: amount-msat and max-fee-msat that are not whole msat are said on the element and in ampkit-error, once', async () => {
    const client = new FakeClient();
    client.handlers.decode = () => decoded({ amount_msat: undefined });
    const errors = record(document, 'ampkit-error');
    const el = await mount<AmpkitPay>('ampkit-pay', { client }, { invoice: BOLT11, 'amount-msat': 'abc' });
    await reach(el, 'error');
    assert.include(text(el), 'amount-msat="abc" is not valid: it must be a whole number of msat above 0.');
    assert.lengthOf(errors, 1);
    assert.deepEqual(errors[0]!.detail, {
      code: 'INVALID_ARGUMENT',
      attribute: 'amount-msat',
      value: 'abc',
      message: 'amount-msat="\u2068abc\u2069" is not valid: it must be a whole number of msat above 0.',
    });
    assert.equal(client.count('decode'), 0, 'nothing asked of the node');
    await shots(el, 'ampkit-pay-bad-attribute');
    el.setAttribute('amount-msat', '2000000');
    el.setAttribute('max-fee-msat', '-5');
    await reach(el, 'error');
    assert.include(text(el), 'max-fee-msat="-5" is not valid: it must be a whole number of msat, 0 or more.');
    el.setAttribute('max-fee-msat', '1000');
    await reach(el, 'ready');
    assert.lengthOf(errors, 2);
  });

  it('a node that cannot be reached is said even before there is an invoice', async () => {
    const el = await mount<AmpkitPay>(
      'ampkit-pay',
      {
        clientFactory: async () => {
          throw new AmpkitError('CONNECTION', 'could not reach ws://127.0.0.1:1');
        },
      },
      { 'node-id': PAYEE, url: 'ws://127.0.0.1:1', rune: 'r' },
    );
    await reach(el, 'error');
    assert.include(text(el), 'Could not connect: could not reach ws://127.0.0.1:1');
    assert.notInclude(text(el), 'No invoice to pay yet.');
  });

  it('hostile text from the invoice: bidi overrides removed, isolated, and cut at 160 characters', async () => {
    const rlo = '\u202e';
    const long = `Espresso ${rlo}gnp.exe${'x'.repeat(300)}`;
    const { el } = await ready({}, { description: long });
    const shown = $(el, '.description')!.textContent!;
    assert.notInclude(shown, rlo);
    assert.isTrue(shown.startsWith('\u2068Espresso gnp.exe') && shown.endsWith('…\u2069'), shown);
    assert.equal([...shown].length, 162);
    await shots(el, 'ampkit-pay-hostile-description');
  });

  it('bad connection attributes: a node-id that is not a key, a url that is not ws(s):// are said on the element and in ampkit-error', async () => {
    const errors = record(document, 'ampkit-error');
    const el = await mount<AmpkitPay>('ampkit-pay', {}, { invoice: BOLT11, 'node-id': 'not-a-key', url: 'wss://x', rune: 'r' });
    await reach(el, 'error');
    assert.include(text(el), `node-id="not-a-key" is not valid: it must be the node's public key, 66 hex characters.`);
    assert.equal(errors[0]!.detail.attribute, 'node-id');
    el.setAttribute('node-id', PAYEE);
    el.setAttribute('url', 'https://node.example');
    await until(
      () => text(el).includes('url="https://node.example" is not valid: it must be a ws:// or wss:// address.'),
      'the url refused',
    );
    assert.equal(errors[1]!.detail.attribute, 'url');
  });

  /** An `<ampkit-connect id=…>` with a rune of `restrictions`, handing out a client that decodes; not connected yet. */
  async function walletConnect(id: string, restrictions: string[] = []) {
    const rune = createRune({ masterSecret: new Uint8Array(32).fill(3), uniqueId: 7, restrictions });
    const client = new FakeClient();
    client.handlers.decode = () => decoded();
    client.handlers.getinfo = () => ({ alias: 'wallet' });
    const connect = await mount<AmpkitConnect>(
      'ampkit-connect',
      { clientFactory: async () => client },
      { id, 'node-id': PAYEE, url: 'wss://n', rune },
    );
    return { client, connect };
  }

  for (const [kind, restrictions] of [
    ['read-only', ['method^list|method^get|method=summary|method=decode']],
    ['invoice-only', ['method=invoice|method=listinvoices|method=listhtlcs|method=wait']],
  ] as const) {
    it(`a ${kind} rune is said up front: "may not pay", no Pay button, nothing sent`, async () => {
      const { client, connect } = await walletConnect(`wallet-${kind}`, [...restrictions]);
      await connect.connect();
      const el = await mount<AmpkitPay>('ampkit-pay', {}, { invoice: BOLT11, connection: `wallet-${kind}` });
      await reach(el, 'error');
      assert.include(text(el), 'This connection may not pay: its rune does not allow it.');
      assert.isNull($(el, 'button.wide'));
      assert.equal(client.count('pay'), 0);
      if (kind === 'read-only') await shots(el, 'ampkit-pay-rune-cannot-pay');
    });
  }

  it('takes the client of the <ampkit-connect> its connection attribute names, when it connects', async () => {
    const { client, connect } = await walletConnect('wallet-1');
    const el = await mount<AmpkitPay>('ampkit-pay', {}, { invoice: BOLT11, connection: 'wallet-1' });
    assert.equal(el.state, 'error');
    await connect.connect();
    await reach(el, 'ready');
    client.emit('state', 'closed');
    await reach(el, 'error');
  });

  it('strings: the page table (with its locale) and the element property', async () => {
    const { setStrings, DEFAULT_STRINGS } = await import('@ampkit/elements');
    setStrings({ locale: 'de-DE', payButton: '{amount} bezahlen', payFeeBudget: 'Gebührenrahmen' });
    try {
      const { el } = await ready();
      assert.equal($(el, 'button')!.textContent!.trim(), '3.000 sat bezahlen');
      assert.include(text(el), 'Gebührenrahmen');
      el.strings = { payButton: 'Jetzt {amount} zahlen' };
      await el.updateComplete;
      assert.equal($(el, 'button')!.textContent!.trim(), 'Jetzt 3.000 sat zahlen');
      setStrings({ payFeeBudget: 'Maximale Gebühr' });
      await el.updateComplete;
      assert.include(text(el), 'Maximale Gebühr', 'elements on screen re-render');
    } finally {
      setStrings(DEFAULT_STRINGS);
    }
    assert.throws(() => setStrings({ nope: 'x' } as never), /unknown key/);
  });

  it('theming: --ampkit-accent and --ampkit-settled take effect; parts are styleable', async () => {
    const { client, el } = await ready();
    el.style.setProperty('--ampkit-accent', 'rgb(10, 120, 60)');
    el.style.setProperty('--ampkit-radius', '3px');
    assert.equal(getComputedStyle($(el, 'button')!).backgroundColor, 'rgb(10, 120, 60)');
    assert.equal(getComputedStyle($(el, '.card')!).borderTopLeftRadius, '3px');
    await startPaying(client, el);
    el.style.setProperty('--ampkit-settled', 'rgb(1, 2, 3)');
    await emitProgress(client, el, progress(PARTS_MIDWAY));
    assert.equal(getComputedStyle($(el, '.segment.settled')!).backgroundColor, 'rgb(1, 2, 3)');
  });

  it('a dark theme from the custom properties alone keeps every text ≥ 4.5:1', async () => {
    const { client, el } = await ready();
    const dark = DARK_THEME;
    const stageEl = el.closest('.stage') as HTMLElement;
    stageEl.style.background = '#0b0c10';
    for (const [k, v] of Object.entries(dark)) stageEl.style.setProperty(k, v);
    assertContrast(el);
    const call = await startPaying(client, el);
    await emitProgress(client, el, progress(PARTS_MIDWAY));
    assertContrast(el, '.sr-only, [part=tooltip]');
    await shots(el, 'ampkit-pay-paying-dark');
    call.resolve(payResult([sentPart(1, 3_000_000, 'complete')], 'complete'));
    await reach(el, 'paid');
    assertContrast(el);
  });

  it('prefers-reduced-motion: no transitions, no animations', async () => {
    const { client, el } = await ready();
    await startPaying(client, el);
    await emitProgress(client, el, progress(PARTS_MIDWAY));
    const segment = $(el, '.segment.inflight')!;
    assert.notEqual(getComputedStyle(segment).animationName, 'none');
    await emulateMedia({ reducedMotion: 'reduce' });
    try {
      assert.equal(getComputedStyle(segment).animationName, 'none');
      assert.equal(getComputedStyle(segment).transitionDuration, '0s');
      assert.equal(getComputedStyle($(el, '.spinner')!).animationName, 'none');
    } finally {
      await emulateMedia({ reducedMotion: 'no-preference' });
    }
  });

  it('text contrast is at least 4.5:1 in every state with text', async () => {
    const { client, el } = await ready();
    const check = () => assertContrast(el, '.sr-only, [part=tooltip]');
    check();
    const call = await startPaying(client, el);
    await emitProgress(client, el, progress(PARTS_MIDWAY));
    check();
    call.resolve(payResult([sentPart(1, 3_000_000, 'complete')], 'complete'));
    await reach(el, 'paid');
    check();
  });
});
