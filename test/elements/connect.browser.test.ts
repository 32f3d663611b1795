/** <ampkit-connect>: the inputs, Connect/Disconnect, the state, the rune warning, events. */
import { assert } from 'chai';
import { sendKeys } from '@web/test-runner-commands';
import { createRune } from '@ampkit/wire';
import { AmpkitError } from '@ampkit/worker';
import '@ampkit/elements/define';
import { AmpkitConnect, type ElementsClient } from '@ampkit/elements';
import { FakeClient, PAYEE, nodeInfo, waitingFactory } from './fake-client.ts';
import { $, assertContrast, cleanup, mount, record, shot, shots, text, until } from './helpers.ts';

const masterSecret = new Uint8Array(32).fill(7);
const SPENDING_RUNE = createRune({ masterSecret, uniqueId: 0 });
const INVOICE_RUNE = createRune({ masterSecret, uniqueId: 1, restrictions: ['method=invoice|method=listinvoices|method=getinfo'] });
/** The README's shop rune: it may not call getinfo. */
const SHOP_RUNE = createRune({
  masterSecret,
  uniqueId: 2,
  restrictions: [
    'method=invoice|method=listinvoices|method=holdinvoice|method=listholdinvoices|method=settleholdinvoice|method=cancelholdinvoice|method=listhtlcs|method=wait',
  ],
});
/** Core Lightning's list…/get… recipe: it reaches listconfigs and any list… a plugin adds, so not provably read-only. */
const LIST_GET_RUNE = createRune({
  masterSecret,
  uniqueId: 3,
  restrictions: ['method^list|method^get|method=summary', 'method/listdatastore'],
});
/** Names every read-only method it may call. */
const READ_ONLY_RUNE = createRune({ masterSecret, uniqueId: 4, restrictions: ['method=getinfo|method=listfunds|method=listpeerchannels'] });
/** Excludes the spenders a page might think of, and so still reaches multiwithdraw, signpsbt and any new method. */
const EXCLUDING_RUNE = createRune({
  masterSecret,
  uniqueId: 5,
  restrictions: ['method/pay', 'method/xpay', 'method/withdraw', 'method/sendpsbt'],
});
const URL_ = 'wss://node.example:5019';

/** A connect element whose factory hands out `client` (or waits, when `hold`). */
async function connectEl(attrs: Record<string, string> = { 'node-id': PAYEE, url: URL_, rune: INVOICE_RUNE }) {
  const client = new FakeClient();
  client.handlers.getinfo = () => nodeInfo();
  const { factory, asked, release, fail } = waitingFactory(client);
  const el = await mount<AmpkitConnect>('ampkit-connect', { clientFactory: factory }, attrs);
  return { el, client, asked, release, fail };
}

const input = (el: AmpkitConnect, id: string) => $(el, `#${id}`) as HTMLInputElement;

describe('<ampkit-connect>', () => {
  afterEach(cleanup);

  it('idle: the attributes pre-fill the inputs, each with its label; the rune is masked', async () => {
    const { el } = await connectEl();
    assert.equal(el.state, 'idle');
    assert.equal(input(el, 'node-id').value, PAYEE);
    assert.equal(input(el, 'url').value, URL_);
    assert.equal(input(el, 'rune').value, INVOICE_RUNE);
    assert.equal(input(el, 'rune').type, 'password');
    for (const id of ['node-id', 'url', 'rune']) assert.exists($(el, `label[for=${id}]`));
    assert.include(text(el, '[part=state]'), 'Not connected');
    assert.equal($(el, '[part=button]')!.textContent!.trim(), 'Connect');
    await el.auditReady();
    assert.notExists($(el, '[part=warning]'), 'an invoice-only rune is no worry');
    await shots(el, 'ampkit-connect-idle');
  });

  it('says what is missing instead of connecting without all three', async () => {
    const { el, asked } = await connectEl({ url: URL_ });
    $(el, '[part=button]')!.click();
    await el.updateComplete;
    assert.include(text(el), 'Enter the node id, the WebSocket URL and a rune.');
    assert.lengthOf(asked, 0);
  });

  it('connecting, then connected: ampkit-connected with the client, its state and alias; Disconnect closes it', async () => {
    const { el, client, asked, release } = await connectEl();
    const connected = record(document, 'ampkit-connected');
    const disconnected = record(document, 'ampkit-disconnected');
    $(el, '[part=button]')!.click();
    await until(() => asked.length === 1, 'the factory');
    assert.deepEqual(asked[0], { nodeId: PAYEE, url: URL_, rune: INVOICE_RUNE });
    await el.updateComplete;
    assert.equal(el.state, 'connecting');
    assert.include(text(el, '[part=state]'), 'Connecting…');
    assert.isTrue(input(el, 'url').disabled);
    assert.equal($(el, '[part=button]')!.textContent!.trim(), 'Cancel');
    assertContrast(el);
    await shots(el, 'ampkit-connect-connecting');
    release();
    await until(() => el.client === client, 'the client');
    await until(() => text(el, '[part=state]').includes('wallet'), 'the alias');
    assert.equal(el.state, 'open');
    assert.include(text(el, '[part=state]'), 'Connected — wallet');
    assert.lengthOf(connected, 1);
    assert.equal(connected[0]!.detail.client, client);
    assert.isTrue(connected[0]!.bubbles && connected[0]!.composed);
    assert.equal($(el, '[part=button]')!.textContent!.trim(), 'Disconnect');
    await shots(el, 'ampkit-connect-connected');

    client.emit('state', 'reconnecting');
    await el.updateComplete;
    assert.include(text(el, '[part=state]'), 'Reconnecting…');
    client.emit('state', 'open');

    $(el, '[part=button]')!.click();
    await until(() => client.closed, 'close()');
    await el.updateComplete;
    assert.equal(el.state, 'idle');
    assert.isUndefined(el.client);
    assert.lengthOf(disconnected, 1);
    assert.isFalse(input(el, 'url').disabled);
  });

  /** The node's refusal of a rune, as the engine gives it (PERMISSION, the node's words in data). */
  const refusal = (node: string) =>
    new AmpkitError('PERMISSION', 'the rune does not permit getinfo', { nodeCode: 19537, data: { method: 'getinfo', message: node } });

  it("with a rune that may not call getinfo (the README's shop rune): the node refusing the method alone means it takes the rune: Connected", async () => {
    const { el, client, release } = await connectEl({ 'node-id': PAYEE, url: URL_, rune: SHOP_RUNE });
    client.handlers.getinfo = () => {
      throw refusal('Invalid rune: Not permitted: method is not equal to invoice AND method is not equal to listinvoices');
    };
    $(el, '[part=button]')!.click();
    release();
    await until(() => el.state === 'open', 'open');
    assert.equal(client.count('getinfo'), 1, 'one probe');
    assert.include(text(el, '[part=state]'), 'Connected');
    assert.notInclude(text(el, '[part=state]'), 'wallet');
  });

  it('a string that is not a rune is refused in place: nothing is sent, never Connected', async () => {
    const { el, asked } = await connectEl({ 'node-id': PAYEE, url: URL_, rune: 'this-is-not-a-rune' });
    const connected = record(el, 'ampkit-connected');
    assert.isUndefined(await el.connect());
    await el.updateComplete;
    assert.lengthOf(asked, 0, 'no client was made');
    assert.lengthOf(connected, 0);
    assert.notEqual(el.state, 'open');
    assert.include(text(el, '[part=message]'), 'This does not look like a rune.');
    await shots(el, 'ampkit-connect-not-a-rune');
  });

  for (const [node, words, name] of [
    ['Invalid rune: Not authorized: Not derived from master', 'it was not made there, or not copied whole', 'not-this-node'],
    ['Invalid rune: Not authorized: Blacklisted rune', 'it has been revoked there', 'revoked'],
    ['Invalid rune: Not permitted: time is greater or equal to 1000000000', 'it has expired', 'expired'],
    ['Invalid rune: Not permitted: id is not equal to 02aa', 'it is tied to another client', 'other-client'],
  ] as const) {
    it(`a rune the node refuses (${name}) is refused with the reason in plain words, the client closed, never Connected`, async () => {
      const { el, client, release } = await connectEl({ 'node-id': PAYEE, url: URL_, rune: INVOICE_RUNE });
      client.handlers.getinfo = () => {
        throw refusal(node);
      };
      const connected = record(el, 'ampkit-connected');
      const done = el.connect();
      release();
      assert.isUndefined(await done);
      await el.updateComplete;
      assert.equal(el.state, 'failed');
      assert.include(text(el, '[part=message]'), `Your node refused this rune: ${words}`);
      assert.lengthOf(connected, 0);
      assert.isTrue(client.closed);
      if (name === 'not-this-node') await shots(el, 'ampkit-connect-rune-refused');
    });
  }

  it('failed: the reason shown; no rune in any console message', async () => {
    const { el, fail } = await connectEl({ 'node-id': PAYEE, url: URL_, rune: SPENDING_RUNE });
    const logged: string[] = [];
    const saved = { log: console.log, warn: console.warn, error: console.error, info: console.info, debug: console.debug };
    for (const k of Object.keys(saved) as (keyof typeof saved)[])
      console[k] = (...args: unknown[]) => void logged.push(args.map(String).join(' '));
    try {
      const done = el.connect();
      fail(new Error('could not open the node: the handshake failed'));
      assert.isUndefined(await done);
      await el.updateComplete;
    } finally {
      Object.assign(console, saved);
    }
    assert.equal(el.state, 'failed');
    assert.include(text(el), 'Could not connect: could not open the node: the handshake failed');
    assert.include(text(el, '[part=state]'), 'Connection failed');
    assert.isFalse(
      logged.some((l) => l.includes(SPENDING_RUNE)),
      'a rune was logged',
    );
    await el.auditReady();
    assertContrast(el);
    await shots(el, 'ampkit-connect-failed');
  });

  it('the real createAmpkit refuses bad settings with a plain reason', async () => {
    const el = await mount<AmpkitConnect>('ampkit-connect', {}, { 'node-id': 'nope', url: URL_, rune: INVOICE_RUNE });
    await el.connect();
    await el.updateComplete;
    assert.equal(el.state, 'failed');
    assert.include(text(el), 'nodeId must be');
  });

  it('warns in plain words when the rune can spend, from auditRune', async () => {
    const { el } = await connectEl({ 'node-id': PAYEE, url: URL_, rune: SPENDING_RUNE });
    const audit = await el.auditReady();
    assert.isTrue(audit!.canSpend);
    const warning = $(el, '[part=warning]')!;
    assert.equal(warning.getAttribute('role'), 'alert');
    assert.include(warning.textContent!, 'this rune can spend from your node');
    assert.include(warning.textContent!, audit!.summary);
    assert.notInclude(warning.textContent!, SPENDING_RUNE);
    await shots(el, 'ampkit-connect-rune-warning');
    // Typing another rune re-audits it: a malformed one says so, an invoice-only one clears it.
    const rune = input(el, 'rune');
    rune.value = 'not a rune!';
    rune.dispatchEvent(new Event('input'));
    await el.updateComplete;
    assert.notExists($(el, '[part=warning]'));
    assert.include(text(el), 'This does not look like a rune.');
    rune.value = INVOICE_RUNE;
    rune.dispatchEvent(new Event('input'));
    await el.updateComplete;
    assert.notInclude(text(el), 'does not look like');
  });

  it('default deny: no warning only for a read-only or invoice-only rune', async () => {
    const { el } = await connectEl({ 'node-id': PAYEE, url: URL_, rune: SHOP_RUNE });
    assert.isTrue((await el.auditReady())!.invoiceOnly);
    assert.notExists($(el, '[part=warning]'), "the README's shop rune is invoice-only");
    const rune = input(el, 'rune');
    const enter = async (value: string) => {
      rune.value = value;
      rune.dispatchEvent(new Event('input'));
      await el.updateComplete;
      return el.audit!;
    };
    assert.isTrue((await enter(READ_ONLY_RUNE)).readOnly);
    assert.notExists($(el, '[part=warning]'), 'a rune naming only read-only methods');

    const excluding = await enter(EXCLUDING_RUNE);
    assert.include(excluding.spendingMethods, 'multiwithdraw');
    assert.include(text(el, '[part=warning]'), 'this rune can spend from your node');

    const listGet = await enter(LIST_GET_RUNE);
    assert.isFalse(listGet.readOnly);
    assert.isFalse(listGet.invoiceOnly);
    assert.deepEqual(listGet.spendingMethods, []);
    const warning = $(el, '[part=warning]')!;
    assert.equal(warning.getAttribute('role'), 'alert');
    assert.include(warning.textContent!, 'this rune may call methods not known to be harmless');
    assert.notInclude(warning.textContent!, 'this rune can spend from your node');
    assert.include(warning.textContent!, 'listconfigs');
    assertContrast(el);
  });

  it('keyboard: type the settings, Enter connects', async () => {
    const { el, asked, release } = await connectEl({});
    input(el, 'node-id').focus();
    await sendKeys({ type: PAYEE });
    await sendKeys({ press: 'Tab' });
    await sendKeys({ type: URL_ });
    await sendKeys({ press: 'Tab' });
    await sendKeys({ type: INVOICE_RUNE });
    await sendKeys({ press: 'Enter' });
    await until(() => asked.length === 1, 'the factory');
    assert.deepEqual(asked[0], { nodeId: PAYEE, url: URL_, rune: INVOICE_RUNE });
    release();
    await until(() => el.state === 'open', 'open');
  });

  it('autoconnect with all three attributes; closes its client when removed', async () => {
    const client = new FakeClient();
    client.handlers.getinfo = () => nodeInfo();
    const el = await mount<AmpkitConnect>(
      'ampkit-connect',
      { clientFactory: async () => client },
      { 'node-id': PAYEE, url: URL_, rune: INVOICE_RUNE, autoconnect: '', 'worker-url': '/x/ampkit-worker.js', storage: 'memory' },
    );
    await until(() => el.state === 'open', 'autoconnect');
    el.remove();
    await until(() => client.closed, 'the client to close with its element');
  });

  it('strings and theming', async () => {
    const { el } = await connectEl();
    el.strings = { connectButton: 'Verbinden', connectRune: 'Rune (nur Rechnungen)' };
    el.style.setProperty('--ampkit-accent', 'rgb(200, 0, 100)');
    await el.updateComplete;
    assert.equal($(el, '[part=button]')!.textContent!.trim(), 'Verbinden');
    assert.equal($(el, 'label[for=rune]')!.textContent, 'Rune (nur Rechnungen)');
    assert.equal(getComputedStyle($(el, '[part=button]')!).backgroundColor, 'rgb(200, 0, 100)');
  });
});
