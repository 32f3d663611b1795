/**
 * `<ampkit-connect>`: the user's own node, connected from the page: node id, WebSocket
 * URL and rune, a Connect/Disconnect button, the connection's state, and a warning in plain
 * words unless the rune is provably read-only or invoice-only (default deny: a rune that may
 * reach any method not known to be harmless is warned about).
 */
import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type { RuneAudit } from '@ampkit/wire';
import type { ConnectionState, Storage } from '@ampkit/worker';
import type { ClientFactory, ElementsClient } from './client.ts';
import { defaultFactory } from './client-source.ts';
import { fire } from './events.ts';
import { StringsController, Translator, type AmpkitStrings, type StringKey } from './strings.ts';
import { base } from './theme.ts';
import { connectStyles } from './connect-styles.ts';

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

/**
 * Connects the page to the user's node. Other elements take its client with
 * `connection="<its id>"`; a page can take it from the `ampkit-connected` event.
 *
 * @example
 * ```html
 * <ampkit-connect id="wallet" node-id="02…" url="wss://node.example:5019"></ampkit-connect>
 * <ampkit-pay connection="wallet" invoice="lnbc…"></ampkit-pay>
 * ```
 *
 * @tag ampkit-connect
 * @fires ampkit-connected - A client is connected; `detail.client` is it.
 * @fires ampkit-disconnected - The client was closed.
 * @csspart card - The card around everything.
 * @csspart field - A label and its input; also `field-node-id`, `field-url`, `field-rune`.
 * @csspart input - An input.
 * @csspart button - The Connect / Disconnect button.
 * @csspart state - The connection's state.
 * @csspart warning - The warning about a rune that is neither read-only nor invoice-only.
 * @csspart message - A connection error, or what is missing.
 */
export class AmpkitConnect extends LitElement {
  static override properties = {
    nodeId: { type: String, attribute: 'node-id' },
    url: { type: String },
    rune: { type: String },
    workerUrl: { type: String, attribute: 'worker-url' },
    storage: { type: String },
    autoconnect: { type: Boolean },
    clientFactory: { attribute: false },
    strings: { attribute: false },
    _client: { state: true, attribute: false },
    _state: { state: true, attribute: false },
    _message: { state: true, attribute: false },
    _alias: { state: true, attribute: false },
    _values: { state: true, attribute: false },
  };

  /** The element's shadow styles: the shared base, then its own (themable through `--ampkit-*` properties and `::part`). */
  static override styles = [base, connectStyles];

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
  /** Connect as soon as node id, URL and rune are all given (attribute `autoconnect`). */
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

  private stopState: (() => void) | undefined;
  private attempt = 0;
  private auditCache: { rune: string; audit: Audit } | undefined;
  private autoTried = false;

  constructor() {
    super();
    this.autoconnect = false;
    this._state = 'idle';
    this._values = { nodeId: '', url: '', rune: '' };
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

  protected override willUpdate(changed: PropertyValues<this>): void {
    for (const key of ['nodeId', 'url', 'rune'] as const) {
      if (changed.has(key)) this._values = { ...this._values, [key]: this[key] ?? '' };
    }
  }

  protected override updated(): void {
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

  /** Connects with the entered settings; resolves with the client, or undefined if it could not. */
  async connect(): Promise<ElementsClient | undefined> {
    if (this._client) return this._client;
    const t = new Translator(this.strings);
    const { nodeId, url, rune } = this._values;
    if (!nodeId.trim() || !url.trim() || !rune.trim()) {
      this._message = t.t('connectMissing');
      return undefined;
    }
    const attempt = ++this.attempt;
    this._message = undefined;
    this._state = 'connecting';
    const factory = this.clientFactory ?? defaultFactory;
    try {
      const client = await factory({
        nodeId: nodeId.trim(),
        url: url.trim(),
        rune: rune.trim(),
        ...(this.workerUrl ? { worker: this.workerUrl } : {}),
        ...(this.storage ? { storage: this.storage } : {}),
      });
      if (attempt !== this.attempt) {
        void client.close().catch(() => undefined);
        return undefined;
      }
      this._client = client;
      this._state = client.state;
      this.stopState = client.on('state', (state) => {
        this._state = state;
        if (state === 'closed' && this._client === client) this.forget();
      });
      void this.showAlias(client, rune.trim());
      fire(this, 'ampkit-connected', { client });
      return client;
    } catch (error) {
      if (attempt !== this.attempt) return undefined;
      this._state = 'failed';
      this._message = t.t('connectFailed', { reason: (error as Error)?.message ?? String(error) });
      return undefined;
    }
  }

  /**
   * Shows the node's alias beside the state (`getinfo`), but only when the rune may call
   * getinfo: the alias is a nicety, and a shop's invoice-only rune would be refused by its
   * node (the audit is conservative: a rune it says may call getinfo can still be refused).
   */
  private async showAlias(client: ElementsClient, rune: string): Promise<void> {
    try {
      await loadAuditor();
      const audit = auditor!(rune);
      if (!audit.anyMethod && !audit.methods.includes('getinfo')) return;
      const info = await client.getinfo();
      if (this._client === client) this._alias = info.alias;
    } catch {
      // A rune the audit cannot read, or a getinfo refused after all: no alias, nothing more.
    }
  }

  /** Closes the client (its journal keeps every pending part for the next one). */
  async disconnect(): Promise<void> {
    this.attempt++;
    const client = this._client;
    if (!client) {
      this._state = 'idle';
      return;
    }
    this.forget();
    await client.close().catch(() => undefined);
  }

  private forget(): void {
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

  private submit(event: Event): void {
    event.preventDefault();
    if (this._client || this._state === 'connecting') void this.disconnect();
    else void this.connect();
  }

  protected override render(): TemplateResult {
    const t = new Translator(this.strings);
    const busy = this._state === 'connecting' && !this._client;
    const locked = Boolean(this._client) || busy;
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
    return html`<div class="card" part="card">
      <form @submit=${this.submit} novalidate>
        ${field('nodeId', 'node-id', 'connectNodeId', 'text', '02…')} ${field('url', 'url', 'connectUrl', 'url', 'wss://node.example:5019')}
        ${field('rune', 'rune', 'connectRune', 'password', '')}
        ${
          audit && 'audit' in audit && !(audit.audit.readOnly || audit.audit.invoiceOnly)
            ? html`<div class="warning" part="warning" role="alert">
                <strong>${t.t(audit.audit.spendingMethods.length > 0 ? 'runeCanSpend' : 'runeNotKnownSafe')}</strong
                ><span class="summary">${audit.audit.summary}</span>
              </div>`
            : nothing
        }
        ${audit && 'bad' in audit ? html`<p class="hint error" part="message">${t.t('runeBad')}</p>` : nothing}
        ${this._message ? html`<p class="hint error" part="message" role="alert">${this._message}</p>` : nothing}
        <div class="bottom">
          <span class="state" part="state" role="status" aria-live="polite">
            <span class="dot ${this._state}" aria-hidden="true"></span>
            <span class="alias">${t.t(STATE_WORDS[this._state])}${this._alias ? html` — <strong>${this._alias}</strong>` : nothing}</span>
          </span>
          <button part="button" type="submit" class=${this._client || busy ? 'secondary' : ''}>
            ${this._client ? t.t('disconnectButton') : busy ? t.t('cancelButton') : t.t('connectButton')}
          </button>
        </div>
      </form>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ampkit-connect': AmpkitConnect;
  }
}
