/**
 * <ampkit-connect>'s LNC mode: the choice of node, the pairing phrase checked as it is typed,
 * the kept keys, the states each LNC failure shows in plain words, Forget this node, events.
 */
import { assert } from 'chai';
import { sendKeys } from '@web/test-runner-commands';
import { AmpkitError } from '@ampkit/worker';
import { LncConnectionError } from '@ampkit/wire/lnc';
import '@ampkit/elements/define';
import { AmpkitConnect, LNC_STRINGS, setStrings, type ElementsClient } from '@ampkit/elements';
import { deserializeError, serializeError } from '../../packages/worker/src/protocol.ts';
import { FakeClient, PAYEE, waitingFactory } from './fake-client.ts';
import { $, assertContrast, cleanup, DARK_THEME as DARK, mount, record, shot, text, until } from './helpers.ts';

/** Ten words of the BIP-39 list, as Lightning Terminal shows them. */
const PHRASE = 'fringe try aim absurd minute lunch refuse spend keen math';
/** An LND node's key, as the worker reports it once connected over LNC. */
const LND_KEY = PAYEE.replace(/^02/, '03');

/** A client as createAmpkit({ lnc }) gives it: the node's key, and forget(). */
class LncFakeClient extends FakeClient {
  readonly nodeId = LND_KEY;
  forgotten = false;
  async forget(): Promise<void> {
    this.forgotten = true;
    await this.close();
  }
}

/** An error as it reaches the page from the worker: serialized at open(), deserialized in createAmpkit. */
const acrossTheWorker = (error: unknown): AmpkitError => deserializeError(serializeError(error));

/** Screenshots `el` as it is (light), then on a dark page themed through the custom properties alone. */
async function shots(el: AmpkitConnect, name: string): Promise<void> {
  assertContrast(el);
  await shot(el, name);
  const stage = el.closest('.stage') as HTMLElement;
  const light = stage.style.cssText;
  stage.style.background = '#0b0c10';
  for (const [k, v] of Object.entries(DARK)) stage.style.setProperty(k, v);
  assertContrast(el);
  await shot(el, `${name}-dark`);
  stage.style.cssText = light;
}

/** An LNC connect element whose factory records what it is asked and waits for the test. */
async function lncEl(attrs: Record<string, string> = { mode: 'lnc' }, width?: number) {
  const client = new LncFakeClient();
  const { factory, asked, release, fail } = waitingFactory(client);
  const el = await mount<AmpkitConnect>('ampkit-connect', { clientFactory: factory }, attrs, width);
  await el.phraseReady();
  return { el, client, asked, release, fail };
}

const phrase = (el: AmpkitConnect) => $(el, '#phrase') as HTMLInputElement;
const hint = (el: AmpkitConnect) => text(el, '[part=hint]');

async function type(el: AmpkitConnect, value: string): Promise<void> {
  const input = phrase(el);
  input.value = value;
  input.dispatchEvent(new Event('input'));
  await el.phraseReady();
}

describe('<ampkit-connect> in LNC mode', () => {
  afterEach(cleanup);

  it("the LNC mode's words load with its code; a page's own word for one, set before, stays", async () => {
    setStrings({ lncAdvanced: 'Erweitert' });
    try {
      const el = await mount<AmpkitConnect>('ampkit-connect', {}, { mode: 'lnc' });
      await el.phraseReady();
      assert.include(text(el), 'Erweitert');
      assert.include(hint(el), LNC_STRINGS.lncPhraseHint.slice(0, 30), 'the English of the words the page did not set');
    } finally {
      setStrings({ lncAdvanced: LNC_STRINGS.lncAdvanced });
    }
  });

  it('the mode switch: commando by default; choosing LND shows the phrase and mailbox fields, and back', async () => {
    const el = await mount<AmpkitConnect>('ampkit-connect', {}, {});
    assert.equal(el.mode, 'commando');
    assert.exists($(el, '#rune'));
    assert.notExists($(el, '#phrase'));
    const radios = [...el.shadowRoot!.querySelectorAll<HTMLInputElement>('[part=mode] input[type=radio]')];
    assert.deepEqual(
      radios.map((r) => r.closest('label')!.textContent!.trim()),
      ['Core Lightning (rune)', 'LND (Lightning Terminal)'],
    );
    assert.isTrue(radios[0]!.checked);
    radios[1]!.click();
    await el.phraseReady(); // the LNC mode's chunk
    assert.equal(el.mode, 'lnc');
    assert.equal(el.getAttribute('mode'), 'lnc', 'reflected, for the page to style');
    assert.notExists($(el, '#rune'));
    assert.exists($(el, 'label[for=phrase]'));
    assert.equal(phrase(el).type, 'text');
    assert.exists($(el, 'label[for=mailbox]'));
    assert.equal(($(el, '#mailbox') as HTMLInputElement).placeholder, 'mailbox.terminal.lightning.today:443');
    assert.include(hint(el), 'The ten words of a new Lightning Terminal session');
    radios[0]!.click();
    await el.updateComplete;
    assert.equal(el.mode, 'commando');
    assert.exists($(el, '#rune'));
  });

  it('idle, screenshots: the phrase field with its hint, at 380 and 1280 wide', async () => {
    const { el } = await lncEl();
    assert.include(text(el, '[part=state]'), 'Not connected');
    assert.equal($(el, '[part=button]')!.textContent!.trim(), 'Connect');
    await shots(el, 'ampkit-connect-lnc-idle');
    const wide = (await lncEl({ mode: 'lnc', mailbox: 'mailbox.example:443' }, 1280)).el;
    assert.equal(($(wide, '#mailbox') as HTMLInputElement).value, 'mailbox.example:443');
    assert.isTrue(($(wide, 'details') as HTMLDetailsElement).open, 'a mailbox given is shown');
    await shot(wide, 'ampkit-connect-lnc-idle-1280');
  });

  it('checks the phrase as typed: the count at once, an unknown word by its place only, too many words, a good phrase', async () => {
    const { el, asked } = await lncEl();
    await type(el, 'fringe try');
    assert.equal(hint(el), '2 of 10 words');
    assert.notInclude($(el, '[part=hint]')!.className, 'error');
    // A word is checked once finished (a space after it), before all ten are there.
    await type(el, 'fringe tyr aim ');
    assert.equal(hint(el), "Word 2 is not in Lightning Terminal's word list. Check its spelling.");
    assert.include($(el, '[part=hint]')!.className, 'error');
    assert.equal(phrase(el).getAttribute('aria-invalid'), 'true');
    assert.notInclude(text(el), 'tyr', 'the word is not echoed');
    await shots(el, 'ampkit-connect-lnc-unknown-word');
    // An unfinished last word is not judged yet.
    await type(el, 'fringe try ai');
    assert.equal(hint(el), '3 of 10 words');
    await type(el, `${PHRASE} extra`);
    assert.equal(hint(el), 'A pairing phrase has 10 words; this has 11.');
    await type(el, PHRASE.toUpperCase().replace(/ /g, '  '));
    assert.equal(hint(el), 'Ten words, all from the list.');
    assert.equal(phrase(el).getAttribute('aria-invalid'), 'false');
    await shots(el, 'ampkit-connect-lnc-phrase-good');
    // A phrase with a word not in the list never reaches createAmpkit.
    await type(el, PHRASE.replace('keen', 'keeen'));
    assert.equal(hint(el), "Word 9 is not in Lightning Terminal's word list. Check its spelling.");
    $(el, '[part=button]')!.click();
    await new Promise((r) => setTimeout(r, 50));
    assert.lengthOf(asked, 0);
  });

  it('typing with the keyboard: the check follows each key; Enter pairs', async () => {
    const { el, asked, release, client } = await lncEl();
    phrase(el).focus();
    await sendKeys({ type: 'fringe try aim' });
    await el.phraseReady();
    assert.equal(hint(el), '3 of 10 words');
    await sendKeys({ type: ' absurd minute lunch refuse spend keen math' });
    await el.phraseReady();
    assert.equal(hint(el), 'Ten words, all from the list.');
    await sendKeys({ press: 'Enter' });
    await until(() => asked.length === 1, 'the factory');
    assert.deepEqual(asked[0], { lnc: { pairingPhrase: PHRASE } });
    release();
    await until(() => el.client === client, 'the client');
  });

  it('pairs: connecting, then connected with the node id shortened; the phrase cleared; ampkit-connected with nodeId; Disconnect, then Reconnect without a phrase', async () => {
    const { el, asked, release, client } = await lncEl({ mode: 'lnc', mailbox: 'mailbox.example:443' });
    const connected = record(document, 'ampkit-connected');
    const disconnected = record(document, 'ampkit-disconnected');
    await type(el, PHRASE);
    const logged: string[] = [];
    const saved = { log: console.log, warn: console.warn, error: console.error, info: console.info, debug: console.debug };
    for (const k of Object.keys(saved) as (keyof typeof saved)[])
      console[k] = (...args: unknown[]) => void logged.push(args.map(String).join(' '));
    try {
      $(el, '[part=button]')!.click();
      await until(() => asked.length === 1, 'the factory');
      assert.deepEqual(asked[0], { lnc: { pairingPhrase: PHRASE, mailbox: 'mailbox.example:443' } });
      await el.updateComplete;
      assert.equal(el.state, 'connecting');
      assert.include(text(el, '[part=state]'), 'Connecting…');
      assert.isTrue(phrase(el).disabled);
      assert.notExists($(el, '[part=mode]'), 'no switching while connecting');
      await shots(el, 'ampkit-connect-lnc-connecting');
      release();
      await until(() => el.client === client, 'the client');
      await el.updateComplete;
    } finally {
      Object.assign(console, saved);
    }
    assert.isFalse(
      logged.some((l) => l.includes('fringe')),
      'the phrase was logged',
    );
    assert.equal(el.state, 'open');
    assert.equal(text(el, '[part=state]'), `Connected to ${LND_KEY.slice(0, 8)}…${LND_KEY.slice(-6)}`);
    assert.equal($(el, '[part=state] [title]')!.getAttribute('title'), LND_KEY);
    assert.notExists($(el, '#phrase'), 'connected: only the state and the buttons');
    assert.lengthOf(connected, 1);
    assert.equal(connected[0]!.detail.client, client);
    assert.equal(connected[0]!.detail.nodeId, LND_KEY);
    assert.equal($(el, '[part=button]')!.textContent!.trim(), 'Disconnect');
    assert.equal($(el, '[part~=forget]')!.textContent!.trim(), 'Forget this node');
    await shots(el, 'ampkit-connect-lnc-connected');
    const narrow = el.closest('.stage') as HTMLElement;
    narrow.style.width = '390px';
    await shot(el, 'ampkit-connect-lnc-connected-390');

    $(el, '[part=button]')!.click();
    await until(() => client.closed, 'close()');
    await el.updateComplete;
    assert.isFalse(client.forgotten, 'Disconnect keeps the keys');
    assert.lengthOf(disconnected, 1);
    assert.equal(el.state, 'idle');
    assert.equal(phrase(el).value, '', 'a phrase pairs once: cleared');
    assert.equal($(el, '[part=button]')!.textContent!.trim(), 'Reconnect');
    $(el, '[part=button]')!.click();
    await until(() => asked.length === 2, 'the factory again');
    assert.deepEqual(asked[1], { lnc: { mailbox: 'mailbox.example:443' } }, 'the kept keys, no phrase');
  });

  it('Forget this node: forget() on the client, ampkit-disconnected, back to the phrase field', async () => {
    const { el, asked, release, client } = await lncEl();
    const disconnected = record(document, 'ampkit-disconnected');
    await type(el, PHRASE);
    const done = el.connect();
    await until(() => asked.length === 1, 'the factory');
    release();
    await done;
    await el.updateComplete;
    $(el, '[part~=forget]')!.click();
    await until(() => client.forgotten, 'forget()');
    await el.updateComplete;
    assert.lengthOf(disconnected, 1);
    assert.isUndefined(el.client);
    assert.equal(el.state, 'idle');
    assert.notExists($(el, '[part~=forget]'));
    assert.isFalse(phrase(el).disabled);
    assert.equal($(el, '[part=button]')!.textContent!.trim(), 'Connect', 'no reconnect offered once forgotten');
    assert.include(hint(el), 'The ten words of a new Lightning Terminal session');
  });

  const failures: [string, unknown, string, string][] = [
    [
      'SESSION_NOT_FOUND',
      new LncConnectionError('SESSION_NOT_FOUND', 'the mailbox knows no such stream'),
      'Session expired or revoked: create a new one in Lightning Terminal (a phrase works once).',
      'ampkit-connect-lnc-session-expired',
    ],
    [
      'SESSION_IN_USE',
      new LncConnectionError('SESSION_IN_USE', 'the stream is taken'),
      'This session is in use in another tab. Close it there, then try again.',
      'ampkit-connect-lnc-in-use',
    ],
    [
      'NOT_CONNECTED',
      new LncConnectionError('NOT_CONNECTED', 'the mailbox did not answer'),
      'Offline: could not reach the node or its mailbox.',
      'ampkit-connect-lnc-offline',
    ],
    [
      'not-paired',
      new AmpkitError(
        'INVALID_ARGUMENT',
        'no pairing phrase, and no LNC keys kept from an earlier pairing on this site: pair with a phrase',
        {
          data: { reason: 'not-paired' },
        },
      ),
      'Not paired on this site yet: enter a pairing phrase.',
      'ampkit-connect-lnc-not-paired',
    ],
  ];
  for (const [reason, error, words, name] of failures) {
    it(`${reason}, as it crosses the worker: "${words}"`, async () => {
      const { el, asked, fail } = await lncEl();
      if (reason !== 'not-paired') await type(el, PHRASE);
      const done = el.connect();
      await until(() => asked.length === 1, 'the factory');
      fail(acrossTheWorker(error));
      assert.isUndefined(await done);
      await el.updateComplete;
      assert.include(text(el, '[part=message]'), words);
      assert.equal($(el, '[part=message]')!.getAttribute('role'), 'alert');
      if (reason === 'not-paired') {
        assert.equal(el.state, 'idle', 'nothing kept is no failure of the node');
        assert.include(text(el, '[part=state]'), 'Not connected');
      } else {
        assert.equal(el.state, 'failed');
        assert.include(text(el, '[part=state]'), 'Connection failed');
      }
      assert.notInclude(text(el), 'LNC:', 'no wire words');
      await shots(el, name);
    });
  }

  it('another failure keeps its own words', async () => {
    const { el, asked, fail } = await lncEl();
    const done = el.connect();
    await until(() => asked.length === 1, 'the factory');
    fail(new AmpkitError('STORAGE', 'the journal (IndexedDB) failed: QuotaExceededError: full'));
    await done;
    await el.updateComplete;
    assert.include(text(el, '[part=message]'), 'Could not connect: the journal (IndexedDB) failed');
  });

  it('autoconnect tries the kept keys once; none kept: back to idle, saying nothing', async () => {
    const asked: unknown[] = [];
    const el = await mount<AmpkitConnect>(
      'ampkit-connect',
      {
        clientFactory: async (options: unknown) => {
          asked.push(options);
          throw acrossTheWorker(new AmpkitError('INVALID_ARGUMENT', 'no keys', { data: { reason: 'not-paired' } }));
        },
      },
      { mode: 'lnc', autoconnect: '' },
    );
    await until(() => asked.length === 1, 'the factory');
    await new Promise((r) => setTimeout(r, 20));
    await el.updateComplete;
    assert.deepEqual(asked[0], { lnc: {} });
    assert.equal(el.state, 'idle');
    assert.notExists($(el, '[part=message]'));

    const client = new LncFakeClient();
    let open!: () => void;
    const opening = new Promise<void>((resolve) => (open = resolve));
    const kept = await mount<AmpkitConnect>(
      'ampkit-connect',
      { clientFactory: async () => (await opening, client) },
      { mode: 'lnc', autoconnect: '' },
    );
    await until(
      () => kept.state === 'connecting' && hint(kept).includes('Connecting with the keys kept'),
      'the kept keys said while they connect',
    );
    await shots(kept, 'ampkit-connect-lnc-kept-keys');
    open();
    await until(() => kept.state === 'open', 'connected with the kept keys');
    kept.remove();
    await until(() => client.closed, 'closed with its element');
    assert.isFalse(client.forgotten);
  });
});

describe('<ampkit-connect> in LNC mode, with the real createAmpkit (engine in a worker)', () => {
  afterEach(cleanup);
  const real = { 'worker-url': '/packages/worker/src/worker.ts', storage: 'memory', mode: 'lnc' };

  it('nothing kept on this site: "not paired" from the worker\'s own error', async () => {
    const el = await mount<AmpkitConnect>('ampkit-connect', {}, { ...real });
    await el.phraseReady();
    assert.isUndefined(await el.connect());
    await el.updateComplete;
    assert.equal(el.state, 'idle');
    assert.include(text(el, '[part=message]'), 'Not paired on this site yet');
  });

  it('a mailbox nobody answers at: "offline" from the LNC error as it crosses the worker', async () => {
    const el = await mount<AmpkitConnect>('ampkit-connect', {}, { ...real, mailbox: 'ws://127.0.0.1:9' });
    await type(el, PHRASE);
    assert.isUndefined(await el.connect());
    await el.updateComplete;
    assert.equal(el.state, 'failed');
    assert.include(text(el, '[part=message]'), 'Offline: could not reach the node or its mailbox.');
  });
});
