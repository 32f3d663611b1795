/**
 * `<ampkit-invoice>`: makes an invoice, or watches one, and shows it being paid part by
 * part: a QR code to scan, "received X of Y" filling as parts arrive, each held part live.
 */
import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type { Invoice, InvoiceRequest, PartialInvoice } from '@ampkit/worker';
import type { ClientFactory, ElementsClient } from './client.ts';
import { ClientSource } from './client-source.ts';
import { CopyController } from './copy.ts';
import { fire } from './events.ts';
import { invoiceStyles, partsList, qrCode, receivedBar, type ShownPart } from './invoice-view.ts';
import { checkAttributes, type NumberRule } from './attributes.ts';

/** The number attributes and what each must be. */
const INVOICE_NUMBERS: NumberRule[] = [
  ['amount-msat', 'amountMsat', 1, 'ruleMsat'],
  ['expiry', 'expiry', 1, 'ruleSeconds'],
];
import { lightningUri, loadQrEncoder, type QrEncoder } from './qr.ts';
import { StringsController, Translator, type AmpkitStrings } from './strings.ts';
import { base } from './theme.ts';

/** Where an `<ampkit-invoice>` is. */
export type InvoiceState = 'empty' | 'creating' | 'loading' | 'unpaid' | 'paid' | 'expired' | 'error';

const MAX_TIMER_MS = 2_147_483_647;
const keyOf = (part: PartialInvoice): string => `${part.incoming_scid}/${part.htlc_id}`;

/**
 * Makes an invoice (`amount-msat`, `description`, `hold`) or watches one (`bolt11` or
 * `payment-hash`), and shows it being paid: a QR code, a copy button, "received X of Y"
 * filling as parts arrive, each held part live (a part that leaves stays marked for a
 * moment), then paid or expired.
 *
 * Where it runs: a plain invoice's preimage stays with the node, so a checkout page may make
 * one with a rune that can only make and follow invoices. A hold invoice's (`hold`) is made
 * and kept by the engine behind this element, in the page's origin: its journal keeps it
 * sealed with a non-extractable WebCrypto key, which stops a copied profile, an IndexedDB
 * dump or a script that only reads records, but not script running in that origin (it can
 * have WebCrypto decrypt with the key) nor the browser's memory. So set `hold` only on a
 * page of the payee's own (the shop's device or back office), never on a checkout page
 * that runs in the payer's browser.
 *
 * @example
 * ```html
 * <ampkit-invoice connection="shop-node" amount-msat="42000" description="coffee"></ampkit-invoice>
 * <script type="module">
 *   const el = document.querySelector('ampkit-invoice');
 *   el.addEventListener('ampkit-invoice-created', (e) => sendToCustomer(e.detail.bolt11));
 *   el.addEventListener('ampkit-invoice-paid', (e) => ship(e.detail.payment_hash));
 * </script>
 * ```
 *
 * @tag ampkit-invoice
 * @fires ampkit-invoice-created - It made an invoice; `detail` is the Invoice.
 * @fires ampkit-invoice-part - A part arrived and is held; `detail` is the PartialInvoice.
 * @fires ampkit-invoice-paid - The invoice is paid; `detail` is the Invoice.
 * @fires ampkit-invoice-expired - The invoice expired unpaid; `detail` is the Invoice.
 * @csspart card - The card around everything.
 * @csspart amount - The amount.
 * @csspart qr - The QR code (an SVG).
 * @csspart button - The copy and open-in-wallet buttons.
 * @csspart bar - The "received" bar (role=progressbar).
 * @csspart received - The "received X of Y" text.
 * @csspart parts - The list of held parts.
 * @csspart part - One held part; `part-leaving` while it leaves.
 * @csspart message - The line that says what is going on.
 */
export class AmpkitInvoice extends LitElement {
  /** How long a part that went away stays listed as leaving, in ms. */
  static leavingMs = 1500;

  static override properties = {
    amountMsat: { type: Number, attribute: 'amount-msat' },
    description: { type: String },
    hold: { type: Boolean },
    expiry: { type: Number },
    bolt11: { type: String },
    paymentHash: { type: String, attribute: 'payment-hash' },
    client: { attribute: false },
    connection: { type: String },
    nodeId: { type: String, attribute: 'node-id' },
    url: { type: String },
    rune: { type: String },
    workerUrl: { type: String, attribute: 'worker-url' },
    clientFactory: { attribute: false },
    strings: { attribute: false },
    _state: { state: true },
    _invoice: { state: true },
    _parts: { state: true },
    _reason: { state: true },
    _announcement: { state: true },
  };

  /** The element's shadow styles: the shared base, then its own (themable through `--ampkit-*` properties and `::part`). */
  static override styles = [base, invoiceStyles];

  /** What to ask for, in msat, when the element makes the invoice (attribute `amount-msat`). */
  declare amountMsat: number | undefined;
  /** The new invoice's description (attribute `description`). */
  declare description: string | undefined;
  /**
   * Make a hold invoice: the engine claims it only once held parts reach the amount
   * (attribute `hold`). The preimage is then this page's engine's secret, sealed at rest but
   * open to script in the page's origin: only on a page of the payee's own, never a checkout
   * in the payer's browser.
   */
  declare hold: boolean;
  /** Seconds until the new invoice expires (attribute `expiry`; the engine's default 3600). */
  declare expiry: number | undefined;
  /** An invoice to watch instead of making one (attribute `bolt11`). */
  declare bolt11: string | undefined;
  /** The payment hash of an invoice to watch (attribute `payment-hash`). */
  declare paymentHash: string | undefined;
  /** The client (property only); else `connection`, else one made from `node-id`, `url`, `rune`. */
  declare client: ElementsClient | undefined;
  /** The id of an `<ampkit-connect>` whose client to use (attribute `connection`). */
  declare connection: string | undefined;
  /** The node's id, for a client of the element's own (attribute `node-id`). */
  declare nodeId: string | undefined;
  /** The node's WebSocket URL, for a client of the element's own (attribute `url`). */
  declare url: string | undefined;
  /** A rune, for a client of the element's own (attribute `rune`): one that may only make and follow invoices is enough. */
  declare rune: string | undefined;
  /** Where `ampkit-worker.js` is, if not beside `ampkit.js` (attribute `worker-url`). */
  declare workerUrl: string | undefined;
  /** Makes the element's own client (default `createAmpkit`). */
  declare clientFactory: ClientFactory | undefined;
  /** Overrides of the page's strings for this element. */
  declare strings: Partial<AmpkitStrings> | undefined;

  declare private _state: InvoiceState;
  declare private _invoice: Invoice | undefined;
  declare private _parts: ShownPart[];
  declare private _reason: string | undefined;
  declare private _announcement: string;

  private readonly source = new ClientSource(this);
  private readonly told: { last?: string } = {};
  private readonly copier = new CopyController(this);
  private bound = -1;
  private target = '';
  private made: { target: string; invoice: Invoice } | undefined;
  private generation = 0;
  private stop: (() => void)[] = [];
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private encode: QrEncoder | undefined;

  constructor() {
    super();
    this.hold = false;
    this._state = 'empty';
    this._parts = [];
    this._announcement = '';
    new StringsController(this);
  }

  /** The invoice record (as `listinvoices` gives it), once known; read-only. */
  get invoice(): Invoice | undefined {
    return this._invoice;
  }

  /** Where the element is: `empty`, `creating`, `loading`, `unpaid`, `paid`, `expired` or `error`. */
  get state(): InvoiceState {
    return this._state;
  }

  /** The parts held now (leaving ones excluded). */
  get parts(): PartialInvoice[] {
    return this._parts.filter((p) => !p.leaving).map((p) => p.part);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.encode) {
      loadQrEncoder().then(
        (encode) => {
          this.encode = encode;
          this.requestUpdate();
        },
        (error) => console.error('ampkit: the QR encoder did not load', error),
      );
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unwatch();
    this.target = '';
  }

  /** What the attributes ask for: `watch:…`, `make:…` or nothing. */
  private wanted(): string {
    const bolt11 = this.bolt11?.trim();
    const hash = this.paymentHash?.trim().toLowerCase();
    if (bolt11 || hash) return `watch:${hash || ''}:${bolt11 || ''}`;
    if (this.amountMsat && this.amountMsat > 0)
      return `make:${this.amountMsat}:${this.hold}:${this.expiry ?? ''}:${this.description ?? ''}`;
    // Nothing to make or watch, or a bad number (said by load): the attributes themselves.
    return `none:${this.amountMsat}:${this.expiry}`;
  }

  protected override willUpdate(_changed: PropertyValues<this>): void {
    this.source.sync();
    const version = this.source.version;
    const target = this.wanted();
    // A paid or expired invoice stays on screen whatever becomes of the client.
    const done = this._state === 'paid' || this._state === 'expired';
    if (target !== this.target || (version !== this.bound && !done) || !this.hasUpdated) this.load(target);
    this.target = target;
    this.bound = version;
  }

  private unwatch(): void {
    this.generation++;
    for (const stop of this.stop) stop();
    this.stop = [];
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private later(ms: number, task: () => void): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        task();
      },
      Math.min(ms, MAX_TIMER_MS),
    );
    this.timers.add(timer);
  }

  private load(target: string): void {
    this.unwatch();
    const generation = this.generation;
    this._invoice = this._reason = undefined;
    this._parts = [];
    const client = this.source.client;
    const missing = this.source.missing;
    const t = new Translator(this.strings);
    const bad = checkAttributes(this as never, INVOICE_NUMBERS, t, this.told);
    // A bad attribute, or a node that cannot be reached, is said even before there is an invoice.
    if (bad || (!client && missing.kind === 'failed')) {
      this._reason = bad ?? t.t('connectFailed', { reason: t.ext((missing as { message: string }).message) });
      return void (this._state = 'error');
    }
    if (target.startsWith('none:')) return void (this._state = 'empty');
    if (!client) return void (this._state = missing.kind === 'connecting' ? 'loading' : 'error');
    const fail = (error: unknown, key: 'invoiceFailed' | 'invoiceNotFound') => {
      if (generation !== this.generation) return;
      this._state = 'error';
      const detail = error instanceof Error ? error.message : String(error ?? '');
      this._reason = [t.t(key), detail && t.ext(detail)].filter(Boolean).join(' ');
    };
    if (target.startsWith('make:')) {
      if (this.made?.target === target)
        return void this.watch(client, this.made.invoice.payment_hash, generation).catch((e) => fail(e, 'invoiceNotFound'));
      this._state = 'creating';
      const request: InvoiceRequest = { amount_msat: this.amountMsat!, description: this.description ?? '' };
      if (this.hold) request.hold = true;
      if (this.expiry) request.expiry = this.expiry;
      client.invoice(request).then(
        (invoice) => {
          if (generation !== this.generation) return;
          this.made = { target, invoice };
          this._invoice = invoice;
          fire(this, 'ampkit-invoice-created', invoice);
          return this.watch(client, invoice.payment_hash, generation).catch((e) => fail(e, 'invoiceNotFound'));
        },
        (e) => fail(e, 'invoiceFailed'),
      );
      return;
    }
    this._state = 'loading';
    const hash = this.paymentHash?.trim().toLowerCase();
    (hash ? Promise.resolve(hash) : client.decode({ bolt11: this.bolt11!.trim() }).then((d) => d.payment_hash))
      .then((payment_hash) => (generation === this.generation ? this.watch(client, payment_hash, generation) : undefined))
      .catch((e) => fail(e, 'invoiceNotFound'));
  }

  /** Follows the invoice: events first (nothing slips between), then its record and held parts. */
  private async watch(client: ElementsClient, payment_hash: string, generation: number): Promise<void> {
    const mine = (hash: string) => hash === payment_hash && generation === this.generation;
    this.stop.push(
      client.on('invoice-part', (part) => mine(part.payment_hash) && this.arrived(part, true)),
      client.on('invoice-part-gone', ({ part, reason }) => {
        if (!mine(part.payment_hash)) return;
        const key = keyOf(part);
        if (!this._parts.some((p) => keyOf(p.part) === key)) return;
        this._parts = this._parts.map((p) => (keyOf(p.part) === key ? { part: p.part, leaving: reason } : p));
        this.later(AmpkitInvoice.leavingMs, () => (this._parts = this._parts.filter((p) => keyOf(p.part) !== key)));
      }),
      client.on('invoice-updated', (invoice) => mine(invoice.payment_hash) && this.record(invoice)),
      client.on('invoice-paid', (invoice) => mine(invoice.payment_hash) && this.record(invoice)),
      client.on('invoice-expired', (invoice) => mine(invoice.payment_hash) && this.record(invoice)),
    );
    const { invoices } = await client.listinvoices({ payment_hash });
    if (generation !== this.generation) return;
    const invoice = invoices[0];
    if (!invoice) throw new Error();
    this.record(invoice);
    if (invoice.status !== 'unpaid') return;
    const { partialinvoices } = await client.listpartialinvoices({ payment_hash });
    if (generation !== this.generation || this._state !== 'unpaid') return;
    for (const part of partialinvoices) this.arrived(part, false);
  }

  private arrived(part: PartialInvoice, live: boolean): void {
    if (this._state !== 'unpaid' && this._state !== 'loading' && this._state !== 'creating') return;
    const key = keyOf(part);
    if (this._parts.some((p) => keyOf(p.part) === key && !p.leaving)) return;
    this._parts = [...this._parts.filter((p) => keyOf(p.part) !== key), { part }].sort(
      (a, b) => a.part.incoming_time_unix - b.part.incoming_time_unix,
    );
    if (!live) return;
    const t = new Translator(this.strings);
    const number = this._parts.findIndex((p) => keyOf(p.part) === key) + 1;
    this.announce(t.t('invoicePartArrived', { number: t.number(number), amount: t.sat(part.partial_amount_msat) }));
    fire(this, 'ampkit-invoice-part', part);
  }

  /** Takes a newer record of the invoice; fires paid or expired once. */
  private record(invoice: Invoice): void {
    const before = this._state;
    this._invoice = invoice;
    const t = new Translator(this.strings);
    if (invoice.status === 'paid') {
      this._state = 'paid';
      this._parts = [];
      if (before !== 'paid') {
        this.announce(t.t('invoicePaid', { amount: t.sat(invoice.amount_received_msat || invoice.amount_msat) }));
        fire(this, 'ampkit-invoice-paid', invoice);
      }
    } else if (invoice.status === 'expired') {
      this._state = 'expired';
      if (before !== 'expired') {
        this.announce(t.t('invoiceExpired'));
        fire(this, 'ampkit-invoice-expired', invoice);
      }
    } else {
      this._state = 'unpaid';
      if (before !== 'unpaid') this.expireAt(invoice);
    }
  }

  /** The engine says when an invoice expires; should it not (a plain invoice nobody paid), the clock does. */
  private expireAt(invoice: Invoice): void {
    const generation = this.generation;
    this.later(Math.max(0, invoice.expires_at * 1000 - Date.now()) + 1000, () => {
      if (generation !== this.generation || this._state !== 'unpaid') return;
      this.record({ ...this._invoice!, status: 'expired', amount_held_msat: 0, parts: 0 });
    });
  }

  private announce(text: string): void {
    this._announcement = this._announcement === text ? `${text}\u00a0` : text;
  }

  private async copyInvoice(bolt11: string): Promise<void> {
    await this.copier.copy(bolt11);
    const t = new Translator(this.strings);
    this.announce(this.copier.status === 'copied' ? t.t('copied') : t.t('copyFailed'));
  }

  protected override render(): TemplateResult {
    const t = new Translator(this.strings);
    return html`<div class="card" part="card">${this.body(t)}</div>
      <div class="sr-only" role="status" aria-live="polite" aria-atomic="true">${this._announcement}</div>`;
  }

  private body(t: Translator): TemplateResult {
    const invoice = this._invoice;
    switch (this._state) {
      case 'empty':
        return html`<p class="message muted" part="message">${t.t('invoiceEmpty')}</p>`;
      case 'creating':
      case 'loading':
        return html`<p class="status muted" part="message">
          <span class="spinner"></span
          >${t.t(this.source.missing.kind === 'connecting' ? 'errorConnecting' : this._state === 'creating' ? 'invoiceCreating' : 'invoiceLoading')}
        </p>`;
      case 'error':
        return html`<p class="message error" part="message">${this._reason ?? t.t('errorNoClient')}</p>`;
      case 'unpaid':
        return this.unpaidView(invoice!, t);
      case 'paid':
        return html`${this.head(invoice!, t)}
          <div class="done">
            <span class="mark" aria-hidden="true">✓</span>
            <span class="big ok" part="message"
              >${t.t('invoicePaid', { amount: t.sat(invoice!.amount_received_msat || invoice!.amount_msat) })}</span
            >
            <span class="muted">${t.count('parts', invoice!.parts)}${invoice!.paid_at ? ` · ${t.time(invoice!.paid_at)}` : ''}</span>
          </div>`;
      case 'expired':
        return html`${this.head(invoice!, t)}
          <div class="done">
            <span class="mark expired" aria-hidden="true">✕</span>
            <span class="big" part="message">${t.t('invoiceExpired')}</span>
          </div>`;
    }
  }

  private head(invoice: Invoice, t: Translator): TemplateResult {
    return html`<div class="head">
        <div class="amount" part="amount">${t.sat(invoice.amount_msat)}</div>
        ${invoice.hold ? html`<span class="badge">${t.t('invoiceHold')}</span>` : nothing}
      </div>
      ${invoice.description ? html`<p class="description">${t.ext(invoice.description, 160)}</p>` : nothing}`;
  }

  private unpaidView(invoice: Invoice, t: Translator): TemplateResult {
    const held = this._parts.filter((p) => !p.leaving).reduce((sum, p) => sum + p.part.partial_amount_msat, 0);
    const copied = this.copier.status;
    const amount = t.sat(invoice.amount_msat);
    return html`${this.head(invoice, t)}
      <div class="qr-box">
        ${qrCode(this.encode, lightningUri(invoice.bolt11), t.t('invoiceQrLabel', { amount }))}
        <span class="muted">${t.t('invoiceScan', { amount })}</span>
      </div>
      <div class="actions">
        <button part="button copy" @click=${() => this.copyInvoice(invoice.bolt11)}>
          ${copied === 'copied' ? t.t('copied') : copied === 'failed' ? t.t('copyFailed') : t.t('invoiceCopy')}
        </button>
        <a class="button secondary" part="button open" href=${`lightning:${invoice.bolt11}`}>${t.t('invoiceOpenWallet')}</a>
      </div>
      ${receivedBar(held, invoice.amount_msat, t)} ${partsList(this._parts, held < invoice.amount_msat, t)}
      <div class="footer muted"><span>${t.t('invoiceExpires', { time: t.time(invoice.expires_at) })}</span></div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ampkit-invoice': AmpkitInvoice;
  }
}
