/**
 * `<ampkit-connect>`: the user's own node, connected from the page. Core Lightning over
 * commando: node id, WebSocket URL and rune, and a warning in plain words unless the rune is
 * provably read-only or invoice-only (default deny: a rune that may reach any method not known
 * to be harmless is warned about). LND through Lightning Terminal (LNC): the ten-word pairing
 * phrase, checked as it is typed, or the keys a pairing on this site kept; a "Forget this
 * node" button. Both: a Connect/Disconnect button and the connection's state in plain words.
 */
import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type { RuneAudit } from '@ampkit/wire';
import type { PhraseCheck } from './lnc-mode.ts';
import type { AmpkitOptions, ConnectionState, Storage } from '@ampkit/worker';
import type { ClientFactory, ElementsClient } from './client.ts';
import { defaultFactory } from './client-source.ts';
import { fire } from './events.ts';
import { StringsController, Translator, type AmpkitStrings, type StringKey } from './strings.ts';
import { base } from './theme.ts';
import { connectStyles } from './connect-styles.ts';

/** How `<ampkit-connect>` reaches the node: Core Lightning over commando (a rune), or LND through Lightning Terminal (LNC). */
export type ConnectMode = 'commando' | 'lnc';

/** Where an `<ampkit-connect>` is: `idle` (no client) or the client's connection state. */
export type ConnectState = 'idle' | ConnectionState;

const STATE_WORDS: Record<ConnectState, StringKey> = {
  idle: 'stateIdle',
  connecting: 'stateConnecting',
  open: 'stateOpen',
  reconnecting: 'stateReconnecting',
  closed: 'stateClosed',
  failed: 'stateFailed',
};

let auditor: ((rune: string) => RuneAudit) | undefined;
let auditorLoading: Promise<void> | undefined;
const loadAuditor = (): Promise<void> =>
  (auditorLoading ??= import('./rune-audit.ts').then(({ auditRune }) => {
    auditor = auditRune;
  }));

/** What auditRune says of a rune, or that it is not one. */
type Audit = { audit: RuneAudit } | { bad: true } | undefined;

type LncMode = typeof import('./lnc-mode.ts');
let lncMode: LncMode | undefined;
let lncModeLoading: Promise<LncMode> | undefined;
/** The LNC mode's code (lnc-mode.ts), a chunk of its own, fetched once LNC is chosen. */
const loadLncMode = (): Promise<LncMode> => (lncModeLoading ??= import('./lnc-mode.ts').then((module) => (lncMode = module)));

/**
 * Connects the page to the user's node. Other elements take its client with
 * `connection="<its id>"`; a page can take it from the `ampkit-connected` event.
 *
 * In LNC mode (`mode="lnc"`, or the user's choice in the element) Connect pairs with the
 * phrase typed, or, with none, connects with the keys an earlier pairing kept on this site;
 * the phrase is cleared once it has paired (it works only once). Disconnect keeps the keys;
 * "Forget this node" deletes them.
 *
 * @example
 * ```html
 * <ampkit-connect id="wallet" node-id="02…" url="wss://node.example:5019"></ampkit-connect>
 * <ampkit-pay connection="wallet" invoice="lnbc…"></ampkit-pay>
 * <ampkit-connect id="lnd-wallet" mode="lnc" autoconnect></ampkit-connect>
 * ```
 *
 * @tag ampkit-connect
 * @fires ampkit-connected - A client is connected; `detail.client` is it, `detail.nodeId` the node's key.
 * @fires ampkit-disconnected - The client was closed (or forgotten).
 * @csspart card - The card around everything.
 * @csspart mode - The choice of node: Core Lightning (rune) or LND (Lightning Terminal); hidden while connecting or connected.
 * @csspart field - A label and its input; also `field-node-id`, `field-url`, `field-rune`, `field-phrase`, `field-mailbox`.
 * @csspart input - An input.
 * @csspart button - The Connect / Disconnect button, and the Forget button.
 * @csspart forget - The "Forget this node" button (LNC mode, connected).
 * @csspart hint - What the typed pairing phrase lacks, or that it is good.
 * @csspart state - The connection's state.
 * @csspart warning - The warning about a rune that is neither read-only nor invoice-only.
 * @csspart message - A connection error, or what is missing.
 */
export class AmpkitConnect extends LitElement {
  static override properties = {
    mode: { type: String, reflect: true },
    mailbox: { type: String },
    nodeId: { type: String, attribute: 'node-id' },
    url: { type: String },
    rune: { type: String },
    workerUrl: { type: String, attribute: 'worker-url' },
    storage: { type: String },
    autoconnect: { type: Boolean },
    clientFactory: { attribute: false },
    strings: { attribute: false },
    _client: { state: true },
    _state: { state: true },
    _message: { state: true },
    _alias: { state: true },
    _values: { state: true },
    _phrase: { state: true },
    _mailbox: { state: true },
    _check: { state: true },
    _pairedHere: { state: true },
  };

  /** The element's shadow styles: the shared base, then its own (themable through `--ampkit-*` properties and `::part`). */
  static override styles = [base, connectStyles];

  /**
   * How to reach the node (attribute `mode`, reflected): `commando` (default; Core Lightning,
   * node id, URL and rune) or `lnc` (LND through Lightning Terminal, a pairing phrase); any
   * other value is taken as `commando`. The user may switch it in the element while not connected.
   */
  declare mode: ConnectMode;
  /** LNC: the mailbox server, `host:port` (attribute `mailbox`; Lightning Terminal's when not given). */
  declare mailbox: string | undefined;
  /** Pre-fills the node id (attribute `node-id`). */
  declare nodeId: string | undefined;
  /** Pre-fills the WebSocket URL (attribute `url`). */
  declare url: string | undefined;
  /** Pre-fills the rune (attribute `rune`). */
  declare rune: string | undefined;
  /** Where `ampkit-worker.js` is, if not beside `ampkit.js` (attribute `worker-url`). */
  declare workerUrl: string | undefined;
  /** Where the journal lives: `indexeddb` (default) or `memory` (attribute `storage`). */
  declare storage: Storage | undefined;
  /**
   * Connect as soon as node id, URL and rune are all given (attribute `autoconnect`); in LNC
   * mode, with the keys kept on this site, once, saying nothing if there are none.
   */
  declare autoconnect: boolean;
  /** Makes the client (default `createAmpkit`); for tests or another transport. */
  declare clientFactory: ClientFactory | undefined;
  /** Overrides of the page's strings for this element. */
  declare strings: Partial<AmpkitStrings> | undefined;

  declare private _client: ElementsClient | undefined;
  declare private _state: ConnectState;
  declare private _message: string | undefined;
  declare private _alias: string | undefined;
  declare private _values: { nodeId: string; url: string; rune: string };
  declare private _phrase: string;
  declare private _mailbox: string;
  declare private _check: PhraseCheck;
  /** An LNC connection succeeded from this element: the button offers to reconnect without a phrase. */
  declare private _pairedHere: boolean;

  private stopState: (() => void) | undefined;
  private attempt = 0;
  private auditCache: { rune: string; audit: Audit } | undefined;
  private autoTried = false;
  private checkVersion = 0;

  constructor() {
    super();
    this.mode = 'commando';
    this.autoconnect = false;
    this._state = 'idle';
    this._values = { nodeId: '', url: '', rune: '' };
    this._phrase = '';
    this._mailbox = '';
    this._pairedHere = false;
    new StringsController(this);
  }

  /** The connected client, if any; read-only (others take it through `connection` or the `ampkit-connected` event). */
  get client(): ElementsClient | undefined {
    return this._client;
  }

  /** `idle` without a client, else its connection: `connecting`, `open`, `reconnecting`, `closed`, `failed`. */
  get state(): ConnectState {
    return this._state;
  }

  /** What the entered rune allows, in plain words (auditRune), or undefined when none or malformed. */
  get audit(): RuneAudit | undefined {
    const audit = this.runeAudit();
    return audit && 'audit' in audit ? audit.audit : undefined;
  }

  /**
   * The audit of the entered rune. The rune code (a base64 codec, the restriction parser)
   * comes in its own chunk, loaded once a rune is entered; until then this is undefined.
   */
  private runeAudit(): Audit {
    const rune = this._values.rune.trim();
    if (this.auditCache?.rune === rune) return this.auditCache.audit;
    if (!rune) return undefined;
    if (!auditor) {
      loadAuditor().then(
        () => this.requestUpdate(),
        (error) => console.error('ampkit: the rune audit did not load', error),
      );
      return undefined;
    }
    let audit: Audit;
    try {
      audit = { audit: auditor(rune) };
    } catch {
      audit = { bad: true };
    }
    this.auditCache = { rune, audit };
    return audit;
  }

  /** Resolves once the rune audit's code is loaded and the entered rune audited. */
  async auditReady(): Promise<RuneAudit | undefined> {
    await loadAuditor();
    this.requestUpdate();
    await this.updateComplete;
    return this.audit;
  }

  /** Resolves once the LNC mode's code is loaded and the typed pairing phrase checked. */
  async phraseReady(): Promise<void> {
    await loadLncMode();
    this.requestUpdate();
    await this.checkPhrase();
    await this.updateComplete;
  }

  /** Checks the typed phrase (lnc-mode.ts's checkPhrase); the latest check wins. */
  private async checkPhrase(): Promise<PhraseCheck> {
    const version = ++this.checkVersion;
    const check = await (await loadLncMode()).checkPhrase(this._phrase);
    if (version === this.checkVersion) this._check = check;
    return check;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    for (const key of ['nodeId', 'url', 'rune'] as const) {
      if (changed.has(key)) this._values = { ...this._values, [key]: this[key] ?? '' };
    }
    if (changed.has('mailbox')) this._mailbox = this.mailbox ?? '';
  }

  protected override updated(): void {
    if (this.mode === 'lnc') {
      // The check and the default mailbox's name come in a chunk of their own, fetched once LNC is chosen.
      if (!lncMode)
        void loadLncMode().then(
          () => this.requestUpdate(),
          (error) => console.error('ampkit: LNC mode did not load', error),
        );
      if (this.autoconnect && !this.autoTried) {
        this.autoTried = true;
        void this.connect({ quiet: true });
      }
      return;
    }
    const { nodeId, url, rune } = this._values;
    if (this.autoconnect && !this.autoTried && nodeId && url && rune) {
      this.autoTried = true;
      void this.connect();
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    // A connection must not outlive its element: nobody could close it then.
    if (this._client) void this.disconnect();
  }

  /**
   * Connects with the entered settings; resolves with the client, or undefined if it could
   * not. In LNC mode: pairs with the typed phrase, or with none connects with the keys kept
   * on this site (`quiet`: says nothing when there are none, for `autoconnect`).
   */
  async connect({ quiet = false }: { quiet?: boolean } = {}): Promise<ElementsClient | undefined> {
    if (this._client) return this._client;
    const t = new Translator(this.strings);
    let options: AmpkitOptions;
    if (this.mode === 'lnc') {
      const phrase = this._phrase.trim();
      if (phrase) {
        // Connecting from here on, so a second Enter during the check cancels instead of pairing twice.
        const attempt = ++this.attempt;
        this._state = 'connecting';
        const check = await this.checkPhrase();
        if (attempt !== this.attempt) return undefined;
        if (check?.error) {
          this._state = 'idle';
          return undefined;
        }
      }
      const mailbox = this._mailbox.trim();
      options = { lnc: { ...(phrase ? { pairingPhrase: phrase } : {}), ...(mailbox ? { mailbox } : {}) } };
    } else {
      const { nodeId, url, rune } = this._values;
      if (!nodeId.trim() || !url.trim() || !rune.trim()) {
        this._message = t.t('connectMissing');
        return undefined;
      }
      options = { nodeId: nodeId.trim(), url: url.trim(), rune: rune.trim() };
      // A string that is not a rune is refused here: nothing is sent to the node.
      await loadAuditor().catch(() => undefined);
      const audit = this.runeAudit();
      if (audit && 'bad' in audit) {
        this._message = t.t('runeBad');
        return undefined;
      }
    }
    const attempt = ++this.attempt;
    this._message = undefined;
    this._state = 'connecting';
    const factory = this.clientFactory ?? defaultFactory;
    try {
      const client = await factory({
        ...options,
        ...(this.workerUrl ? { worker: this.workerUrl } : {}),
        ...(this.storage ? { storage: this.storage } : {}),
      });
      // Connected says the node takes the rune: one getinfo, before anything else sees the client.
      const probe = options.lnc ? {} : await this.probeRune(client, t);
      const refused = probe.refused;
      if (attempt !== this.attempt || refused) {
        void client.close().catch(() => undefined);
        if (refused && attempt === this.attempt) {
          this._state = 'failed';
          this._message = refused;
        }
        return undefined;
      }
      this._client = client;
      this._alias = probe.alias;
      this._state = client.state;
      const nodeId = client.nodeId ?? options.nodeId ?? '';
      this.stopState = client.on('state', (state) => {
        this._state = state;
        if (state === 'closed' && this._client === client) this.release();
      });
      if (options.lnc) {
        // A phrase pairs once: the keys it gave are what connects from now on.
        this._phrase = '';
        this._check = undefined;
        this._pairedHere = true;
      }
      fire(this, 'ampkit-connected', { client, nodeId });
      return client;
    } catch (error) {
      if (attempt !== this.attempt) return undefined;
      const lnc = options.lnc ? await loadLncMode().catch(() => undefined) : undefined;
      if (attempt !== this.attempt) return undefined;
      const failure = lnc?.lncFailure(error);
      if (failure === 'not-paired') this._pairedHere = false;
      // Nothing kept on this site is no failure of the node: say what to do, without "Connection failed".
      this._state = failure === 'not-paired' ? 'idle' : 'failed';
      if (quiet && failure === 'not-paired') return undefined;
      this._message = failure
        ? t.t(lnc!.LNC_FAILURE_WORDS[failure])
        : t.t('connectFailed', { reason: (error as Error)?.message ?? String(error) });
      return undefined;
    }
  }

  /**
   * Asks the node whether it takes the rune (one `getinfo`): the alias when it may call it;
   * a refusal of the method alone ("Not permitted: method …", an invoice-only rune) means the
   * node takes the rune. A rune the node did not make, revoked, expired or tied to another
   * client gives its refusal in plain words, and the element does not say Connected.
   */
  private async probeRune(client: ElementsClient, t: Translator): Promise<{ alias?: string; refused?: string }> {
    try {
      return { alias: (await client.getinfo()).alias };
    } catch (error) {
      const { code, data } = error as { code?: string; data?: { message?: string } };
      const node = data?.message ?? '';
      if (code !== 'PERMISSION' || /Not permitted: (method|parameter|number of|too soon)/.test(node)) return {};
      const key = /Blacklisted/.test(node)
        ? 'runeRevoked'
        : /Not permitted: time/.test(node)
          ? 'runeExpired'
          : /Not permitted: id/.test(node)
            ? 'runeOtherClient'
            : 'runeNotThisNode';
      return { refused: t.t(key) };
    }
  }

  /** Closes the client (its journal keeps every pending part for the next one; over LNC the kept keys stay). */
  async disconnect(): Promise<void> {
    this.attempt++;
    const client = this._client;
    if (!client) {
      this._state = 'idle';
      return;
    }
    this.release();
    await client.close().catch(() => undefined);
  }

  /**
   * "Forget this node": closes the client and deletes the LNC keys kept for this site
   * (`client.forget()`), so the next connection needs a new pairing phrase. The session stays
   * valid in Lightning Terminal until it is revoked there.
   */
  async forget(): Promise<void> {
    const client = this._client;
    this.attempt++;
    this._pairedHere = false;
    this._message = undefined;
    if (!client) return;
    this.release();
    if (client.forget) await client.forget();
    else await client.close().catch(() => undefined);
  }

  private release(): void {
    this.stopState?.();
    this.stopState = undefined;
    this._client = undefined;
    this._alias = undefined;
    this._state = 'idle';
    fire(this, 'ampkit-disconnected', {});
  }

  private input(key: 'nodeId' | 'url' | 'rune', event: Event): void {
    this._values = { ...this._values, [key]: (event.target as HTMLInputElement).value };
    this._message = undefined;
  }

  private inputPhrase(event: Event): void {
    this._phrase = (event.target as HTMLInputElement).value;
    this._message = undefined;
    void this.checkPhrase().catch((error) => console.error('ampkit: phrase check failed', (error as Error)?.name));
  }

  private choose(mode: ConnectMode): void {
    this.mode = mode;
    this._message = undefined;
    if (this._state === 'failed') this._state = 'idle';
  }

  private submit(event: Event): void {
    event.preventDefault();
    if (this._client || this._state === 'connecting') void this.disconnect();
    else void this.connect();
  }

  protected override render(): TemplateResult {
    const t = new Translator(this.strings);
    const busy = this._state === 'connecting' && !this._client;
    const locked = Boolean(this._client) || busy;
    const lnc = this.mode === 'lnc';
    const connectWord = lnc && this._pairedHere && !this._phrase.trim() ? t.t('lncReconnect') : t.t('connectButton');
    // Over LNC the node's key is known only once connected: shown shortened, whole in the title.
    const key = lnc && this._state === 'open' ? this._client?.nodeId : undefined;
    const stateWords = key
      ? html`<span title=${key}>${t.t('stateOpenNode', { node: lncMode?.shortNodeId(key) ?? key })}</span>`
      : html`${t.t(STATE_WORDS[this._state])}${this._alias ? html` — <strong>${t.ext(this._alias, 40)}</strong>` : nothing}`;
    return html`<div class="card" part="card">
      <form @submit=${this.submit} novalidate>
        ${
          locked
            ? nothing
            : html`<fieldset class="mode" part="mode">
                <legend>${t.t('modeLabel')}</legend>
                ${(['commando', 'lnc'] as const).map(
                  (mode) =>
                    html`<label class="choice"
                      ><input type="radio" name="mode" .checked=${lnc === (mode === 'lnc')} @change=${() => this.choose(mode)} />${t.t(
                        mode === 'lnc' ? 'modeLnc' : 'modeCommando',
                      )}</label
                    >`,
                )}
              </fieldset>`
        }
        ${lnc ? this.renderLnc(t, locked) : this.renderCommando(t, locked)}
        ${this._message ? html`<p class="hint error" part="message" role="alert">${this._message}</p>` : nothing}
        <div class="bottom">
          <span class="state" part="state" role="status" aria-live="polite">
            <span class="dot ${this._state}" aria-hidden="true"></span>
            <span class="alias">${stateWords}</span>
          </span>
          <span class="buttons">
            ${
              lnc && this._client
                ? html`<button part="button forget" type="button" class="secondary" @click=${() => void this.forget()}>
                    ${t.t('lncForget')}
                  </button>`
                : nothing
            }
            <button part="button" type="submit" class=${this._client || busy ? 'secondary' : ''}>
              ${this._client ? t.t('disconnectButton') : busy ? t.t('cancelButton') : connectWord}
            </button>
          </span>
        </div>
      </form>
    </div>`;
  }

  private renderCommando(t: Translator, locked: boolean): TemplateResult {
    const audit = this.runeAudit();
    const field = (key: 'nodeId' | 'url' | 'rune', name: string, label: StringKey, type: string, placeholder: string) => html`
      <div class="field" part="field field-${name}">
        <label for=${name}>${t.t(label)}</label>
        <input
          id=${name}
          part="input"
          type=${type}
          .value=${this._values[key]}
          placeholder=${placeholder}
          autocomplete="off"
          spellcheck="false"
          ?disabled=${locked}
          @input=${(e: Event) => this.input(key, e)}
        />
      </div>
    `;
    return html`${field('nodeId', 'node-id', 'connectNodeId', 'text', '02…')}
    ${field('url', 'url', 'connectUrl', 'url', 'wss://node.example:5019')} ${field('rune', 'rune', 'connectRune', 'password', '')}
    ${
      audit && 'audit' in audit && !(audit.audit.readOnly || audit.audit.invoiceOnly)
        ? html`<div class="warning" part="warning" role="alert">
            <strong>${t.t(audit.audit.spendingMethods.length > 0 ? 'runeCanSpend' : 'runeNotKnownSafe')}</strong
            ><span class="summary">${audit.audit.summary}</span>
          </div>`
        : nothing
    }
    ${audit && 'bad' in audit ? html`<p class="hint error" part="message">${t.t('runeBad')}</p>` : nothing}`;
  }

  /** The LNC fields (lnc-mode.ts), once its chunk is here, until connected (then only the state and the buttons matter). */
  private renderLnc(t: Translator, locked: boolean): TemplateResult | typeof nothing {
    if (this._client || !lncMode) return nothing;
    return lncMode.renderLncFields({
      t,
      phrase: this._phrase,
      mailbox: this._mailbox,
      mailboxGiven: Boolean(this.mailbox),
      check: this._check,
      locked,
      onPhrase: (event) => this.inputPhrase(event),
      onMailbox: (event) => (this._mailbox = (event.target as HTMLInputElement).value),
    });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ampkit-connect': AmpkitConnect;
  }
}
