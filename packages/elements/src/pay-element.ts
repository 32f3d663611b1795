/**
 * `<ampkit-pay>`: a checkout button for one BOLT 11 invoice that shows the payment part by
 * part as the engine sends it.
 */
import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { AmpkitError } from '@ampkit/worker';
import type { ClientFactory, DecodedInvoice, ElementsClient, PaymentCheck, PayProgress, PayRequest, PayResult } from './client.ts';
import { ClientSource } from './client-source.ts';
import { CopyController } from './copy.ts';
import { fire } from './events.ts';
import { payBar, payBarStyles } from './pay-bar.ts';
import { describeFailure, type ShownFailure } from './pay-failure.ts';
import { checkAttributes, type NumberRule } from './attributes.ts';
import { moreDetails } from './details.ts';
import { StringsController, Translator, type AmpkitStrings } from './strings.ts';
import { base } from './theme.ts';
import { payStyles } from './pay-styles.ts';

/** Where an `<ampkit-pay>` is. */
export type PayState = 'empty' | 'loading' | 'invalid' | 'expired' | 'ready' | 'paying' | 'paid' | 'already-paid' | 'failed' | 'error';

/**
 * The fee budget `pay()` uses when none is given: 0.5% of the amount, at least 5,000 msat.
 *
 * @example
 * ```ts
 * defaultMaxFee(3_000_000); // 15_000
 * ```
 */
export const defaultMaxFee = (amount_msat: number): number => Math.max(5_000, Math.floor(amount_msat / 200));

/** The picture of the parts, once loaded. */
let diagram: typeof import('./pay-diagram.ts') | undefined;

/** What a rune must allow for pay(): sending parts, and reading them back. */
const PAY_METHODS = ['sendpay', 'listsendpays'];

/** The number attributes and what each must be. */
const PAY_NUMBERS: NumberRule[] = [
  ['amount-msat', 'amountMsat', 1, 'ruleMsat'],
  ['max-fee-msat', 'maxFeeMsat', 0, 'ruleFeeMsat'],
];

/** The longest a timer may be set for. */
const MAX_TIMER_MS = 2_147_483_647;

/** Errors that mean the node could not be asked, not that the invoice is bad. */
const UNREACHABLE = new Set<string | number>(['CONNECTION', 'TIMEOUT']);

const shortId = (id: string): string => (id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id);

/**
 * Pays a BOLT 11 invoice with the user's node and shows every part as it goes: one bar with
 * a segment per part (in flight, settled, failed), attempts and fees so far, and the
 * preimage as proof once paid.
 *
 * States (`state`): `empty`, `loading`, `invalid`, `expired`, `ready`, `paying`, `paid`,
 * `already-paid` (this browser's journal paid the invoice before: its date and proof, and
 * whether the node's own record agrees; no Pay button), `failed`, `error` (no client). Events: `ampkit-pay-progress`, `ampkit-paid`,
 * `ampkit-pay-failed`.
 *
 * @example
 * ```html
 * <ampkit-connect id="wallet"></ampkit-connect>
 * <ampkit-pay connection="wallet" invoice="lnbc10u1p…"></ampkit-pay>
 * <script type="module">
 *   document.querySelector('ampkit-pay').addEventListener('ampkit-paid', (e) => ship(e.detail.payment_preimage));
 * </script>
 * ```
 *
 * @tag ampkit-pay
 * @fires ampkit-pay-progress - A part was sent or resolved; `detail` is the PayProgress.
 * @fires ampkit-paid - The payment is complete; `detail` is the PayResult with the preimage.
 * @fires ampkit-pay-failed - The payment failed (`detail` is the PayResult) or could not be made (`detail.error`).
 * @csspart card - The card around everything.
 * @csspart diagram - The picture of the parts (each part's path and fate), shown on demand.
 * @csspart amount - The amount.
 * @csspart details - The payee, description and fee budget.
 * @csspart button - The Pay and Try again buttons, and the copy button.
 * @csspart bar - The progress bar (role=progressbar).
 * @csspart segment - One part in the bar; also `segment-settled`, `segment-inflight`, `segment-failed`.
 * @csspart tooltip - A segment's amount and hop count, on hover and focus.
 * @csspart legend - The count of parts by status under the bar.
 * @csspart stats - Attempts and fees so far.
 * @csspart proof - The preimage box once paid.
 * @csspart message - The line that says what is going on (empty, loading, errors).
 */
export class AmpkitPay extends LitElement {
  static override properties = {
    invoice: { type: String },
    amountMsat: { type: Number, attribute: 'amount-msat' },
    maxFeeMsat: { type: Number, attribute: 'max-fee-msat' },
    client: { attribute: false },
    connection: { type: String },
    nodeId: { type: String, attribute: 'node-id' },
    url: { type: String },
    rune: { type: String },
    workerUrl: { type: String, attribute: 'worker-url' },
    clientFactory: { attribute: false },
    strings: { attribute: false },
    aliases: { attribute: false },
    _state: { state: true },
    _decoded: { state: true },
    _progress: { state: true },
    _result: { state: true },
    _reason: { state: true },
    _announcement: { state: true },
    _check: { state: true },
    _failure: { state: true },
    _diagram: { state: true },
  };

  /** The element's shadow styles: the shared base, the parts bar, then its own (themable through `--ampkit-*` properties and `::part`). */
  static override styles = [base, payBarStyles, payStyles];

  /** The BOLT 11 invoice to pay (attribute `invoice`). */
  declare invoice: string;
  /** What to pay, in msat, for an invoice without an amount (attribute `amount-msat`). */
  declare amountMsat: number | undefined;
  /** The most the payment may cost in fees, in msat (attribute `max-fee-msat`; default 0.5% of the amount, ≥ 5,000). */
  declare maxFeeMsat: number | undefined;
  /** The client to pay with (property only); else `connection`, else a client made from `node-id`, `url`, `rune`. */
  declare client: ElementsClient | undefined;
  /** The id of an `<ampkit-connect>` whose client to use (attribute `connection`). */
  declare connection: string | undefined;
  /** The node's id, for a client of the element's own (attribute `node-id`). */
  declare nodeId: string | undefined;
  /** The node's WebSocket URL, for a client of the element's own (attribute `url`). */
  declare url: string | undefined;
  /** A rune, for a client of the element's own (attribute `rune`). It must allow paying. */
  declare rune: string | undefined;
  /** Where `ampkit-worker.js` is, if not beside `ampkit.js` (attribute `worker-url`). */
  declare workerUrl: string | undefined;
  /** Makes the element's own client (default `createAmpkit`); for tests or another transport. */
  declare clientFactory: ClientFactory | undefined;
  /** Overrides of the page's strings for this element (see `setStrings`). */
  declare strings: Partial<AmpkitStrings> | undefined;
  /** Names for node ids in the picture of the parts (property only), e.g. `{ '02ab…': 'bob' }`; others show as short ids. */
  declare aliases: Record<string, string> | undefined;

  declare private _state: PayState;
  declare private _decoded: DecodedInvoice | undefined;
  declare private _progress: PayProgress | undefined;
  declare private _result: PayResult | undefined;
  declare private _reason: string | undefined;
  declare private _announcement: string;
  /** The journal's payment of this invoice, once known to be complete. */
  /** The picture of the parts is open (its code loads on the first open). */
  declare private _diagram: boolean;
  /** How the last payment failed, in words. */
  declare private _failure: ShownFailure | undefined;
  declare private _check: (PaymentCheck & { payment: NonNullable<PaymentCheck['payment']> }) | undefined;

  private readonly source = new ClientSource(this);
  private readonly told: { last?: string } = {};
  private readonly copier = new CopyController(this);
  private bound = -1;
  private generation = 0;
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    this.invoice = '';
    this._state = 'empty';
    this._announcement = '';
    this._diagram = false;
    new StringsController(this);
  }

  /** Where the element is: `empty`, `loading`, `invalid`, `expired`, `ready`, `paying`, `paid`, `already-paid`, `failed` or `error`. */
  get state(): PayState {
    return this._state;
  }

  /** The invoice, as the node decoded it. */
  get decoded(): DecodedInvoice | undefined {
    return this._decoded;
  }

  /** The payment's latest progress while paying, and after. */
  get progress(): PayProgress | undefined {
    return this._progress;
  }

  /** How the last payment ended. */
  get result(): PayResult | undefined {
    return this._result;
  }

  /** What is to be paid, in msat: the invoice's amount, or `amount-msat` for one without. */
  get amount(): number | undefined {
    return this._decoded?.amount_msat ?? (this.amountMsat && this.amountMsat > 0 ? this.amountMsat : undefined);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.expiryTimer);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    this.source.sync();
    const version = this.source.version;
    const invoiceChanged = changed.has('invoice') || changed.has('amountMsat');
    // A payment under way or done stays on screen whatever becomes of the client (or its fee budget).
    const busy = this._state === 'paying' || this._state === 'paid' || this._state === 'already-paid';
    if (invoiceChanged || ((version !== this.bound || changed.has('maxFeeMsat')) && !busy) || !this.hasUpdated) this.load();
    this.bound = version;
  }

  /** Decodes the invoice (through the client: the decoder lives in the worker) and checks it can be paid. */
  private load(): void {
    const generation = ++this.generation;
    clearTimeout(this.expiryTimer);
    this._decoded = this._progress = this._result = this._reason = this._check = undefined;
    const client = this.source.client;
    const bolt11 = this.invoice?.trim();
    const missing = this.source.missing;
    const bad = checkAttributes(this as never, PAY_NUMBERS, new Translator(this.strings), this.told);
    // A bad attribute, or a node that cannot be reached, is said even before there is an invoice.
    if (bad || (!client && missing.kind === 'failed')) {
      const t = new Translator(this.strings);
      this._reason = bad ?? t.t('connectFailed', { reason: t.ext((missing as { message: string }).message) });
      return void (this._state = 'error');
    }
    if (!bolt11) return void (this._state = 'empty');
    if (!client) return void (this._state = missing.kind === 'connecting' ? 'loading' : 'error');
    this._state = 'loading';
    client.decode({ bolt11 }).then(
      (decoded) => {
        if (generation !== this.generation) return;
        this._decoded = decoded;
        if (this.amount === undefined) {
          this._state = 'invalid';
        } else void this.checkPaid(client, generation);
      },
      (error: AmpkitError) => {
        if (generation !== this.generation) return;
        this._state = UNREACHABLE.has(error?.code) ? 'error' : 'invalid';
        this._reason = error?.message ?? String(error);
      },
    );
  }

  /**
   * Asks the journal, checked against the node, whether this invoice was paid from here
   * before: then `already-paid`, never a Pay button; else on to `ready` or `expired`. A
   * check that fails leaves it to pay(), which never pays a hash twice.
   */
  private async checkPaid(client: ElementsClient, generation: number): Promise<void> {
    let check: PaymentCheck = {};
    try {
      check = await client.checkpayment({ payment_hash: this._decoded!.payment_hash });
    } catch {
      // pay() itself refuses to pay a hash twice, and says why it cannot pay.
    }
    if (generation !== this.generation) return;
    const payment = check.payment;
    if (payment?.status === 'complete') return this.showAlreadyPaid({ ...check, payment });
    // A rune that may not send (read-only, invoice-only) is said now, not at Pay.
    const audit = await this.source.audit();
    if (generation !== this.generation) return;
    if (audit && !audit.anyMethod && !PAY_METHODS.every((m) => audit.methods.includes(m))) {
      this._reason = new Translator(this.strings).t('payCannotPay');
      this._state = 'error';
      return;
    }
    this.checkExpiry();
  }

  private showAlreadyPaid(check: PaymentCheck & { payment: NonNullable<PaymentCheck['payment']> }): void {
    clearTimeout(this.expiryTimer);
    this._check = check;
    this._state = 'already-paid';
    const t = new Translator(this.strings);
    this.announce(t.t('payAlreadyDetail', { date: t.date(check.payment.completed_at ?? check.payment.created_at) }));
  }

  /** `ready` until the invoice expires, then `expired` (a timer flips it while it shows). */
  private checkExpiry(): void {
    const decoded = this._decoded!;
    const left = (decoded.created_at + decoded.expiry) * 1000 - Date.now();
    if (left <= 0) {
      if (this._state !== 'expired') this.announce(new Translator(this.strings).t('payExpired'));
      this._state = 'expired';
      return;
    }
    if (this._state !== 'failed') this._state = 'ready';
    clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(
      () => {
        if (this._state === 'ready' || this._state === 'failed') this.checkExpiry();
      },
      Math.min(left + 50, MAX_TIMER_MS),
    );
  }

  /** The fee budget, in msat: the payment's own once it runs, else `max-fee-msat`, else pay()'s default. */
  get feeBudget(): number | undefined {
    if (this._progress) return this._progress.maxfee_msat;
    if (this.maxFeeMsat !== undefined && this.maxFeeMsat !== null && this.maxFeeMsat >= 0) return this.maxFeeMsat;
    const amount = this.amount;
    return amount === undefined ? undefined : defaultMaxFee(amount);
  }

  /**
   * Pays the invoice (what the Pay button does). Resolves with the result, or `undefined`
   * when the element is not `ready` (or `failed`: paying again retries) or the call failed.
   */
  async pay(): Promise<PayResult | undefined> {
    const client = this.source.client;
    const decoded = this._decoded;
    if (!client || !decoded || (this._state !== 'ready' && this._state !== 'failed')) return undefined;
    const generation = this.generation;
    const t = new Translator(this.strings);
    const amount = this.amount!;
    const request: PayRequest = { bolt11: this.invoice.trim() };
    if (decoded.amount_msat === undefined) request.amount_msat = amount;
    if (this.maxFeeMsat !== undefined && this.maxFeeMsat !== null && this.maxFeeMsat >= 0) request.maxfee_msat = this.maxFeeMsat;
    clearTimeout(this.expiryTimer);
    this._result = this._reason = this._failure = undefined;
    this._progress = {
      payment_hash: decoded.payment_hash,
      amount_msat: amount,
      maxfee_msat: this.feeBudget!,
      status: 'pending',
      parts: [],
      attempts: 0,
      amount_delivered_msat: 0,
      amount_inflight_msat: 0,
      fee_msat: 0,
    };
    this._state = 'paying';
    this.announce(t.t('payPaying', { amount: t.sat(amount) }));
    const stop = client.on('pay-progress', (progress) => {
      if (progress.payment_hash !== decoded.payment_hash || generation !== this.generation) return;
      this._progress = progress;
      fire(this, 'ampkit-pay-progress', progress);
    });
    try {
      const result = await client.pay(request);
      if (generation !== this.generation) return result;
      this._result = result;
      this._progress = result;
      if (result.already_complete) {
        // Paid before (another tab, another visit): said as on load, with the node asked about it.
        this._state = 'loading';
        void this.checkPaid(client, generation);
        fire(this, 'ampkit-paid', result);
      } else if (result.status === 'complete') {
        this._state = 'paid';
        this.announce(t.t('payPaid', { amount: t.sat(result.amount_msat) }));
        fire(this, 'ampkit-paid', result);
      } else {
        this.failed(describeFailure(result, undefined, t), t);
        fire(this, 'ampkit-pay-failed', result);
      }
      return result;
    } catch (caught) {
      if (generation !== this.generation) return undefined;
      const error =
        caught instanceof AmpkitError
          ? caught
          : new AmpkitError('INTERNAL', (caught as Error)?.message ?? String(caught), { cause: caught });
      this.failed(describeFailure(this._progress, error, t), t);
      fire(this, 'ampkit-pay-failed', { error });
      return undefined;
    } finally {
      stop();
    }
  }

  private failed(failure: ShownFailure, t: Translator): void {
    this._state = 'failed';
    this._failure = failure;
    this.announce(this.failureText(failure, t));
  }

  /** The failure's message, with what was not delivered and the fee budget in it. */
  private failureText(failure: ShownFailure, t: Translator): string {
    const p = this._progress;
    const left = p ? p.amount_msat - p.amount_delivered_msat : (this.amount ?? 0);
    return t.t(failure.message, { amount: t.sat(left), budget: t.fee(p?.maxfee_msat ?? this.feeBudget ?? 0) });
  }

  private async copyProof(preimage: string): Promise<void> {
    await this.copier.copy(preimage);
    const t = new Translator(this.strings);
    this.announce(this.copier.status === 'copied' ? t.t('copied') : t.t('copyFailed'));
  }

  private announce(text: string): void {
    // A repeated message is still announced: the live region's text must change.
    this._announcement = this._announcement === text ? `${text}\u00a0` : text;
  }

  protected override render(): TemplateResult {
    const t = new Translator(this.strings);
    return html`<div class="card" part="card">${this.body(t)}</div>
      <div class="sr-only" role="status" aria-live="polite" aria-atomic="true">${this._announcement}</div>`;
  }

  private body(t: Translator): TemplateResult {
    switch (this._state) {
      case 'empty':
        return html`<p class="message muted" part="message">${t.t('payEmpty')}</p>`;
      case 'loading':
        return html`<p class="status muted" part="message">
          <span class="spinner"></span>${t.t(this.source.missing.kind === 'connecting' ? 'errorConnecting' : 'payLoading')}
        </p>`;
      case 'error':
        return html`<p class="message error" part="message">${this._reason ?? t.t('errorNoClient')}</p>`;
      case 'invalid':
        // Decoded but without an amount to pay; else the decoder refused it (its words in the details).
        return this._decoded
          ? html`<p class="message error" part="message">${t.t('payInvalid')}</p>
              <p class="message muted">${t.t('payNoAmount')}</p>`
          : html`<p class="message error" part="message">${t.t('payNotInvoice')}</p>
              ${this._reason ? moreDetails(t.t('payDetails'), [t.ext(this._reason, 400)]) : nothing}`;
      case 'expired':
        return html`${this.summary(t, t.t('goneExpired'))}
          <p class="message error" part="message">${t.t('payExpired')}</p>`;
      case 'ready':
        return html`${this.summary(t)}
          <button class="wide" part="button" @click=${() => void this.pay()}>${t.t('payButton', { amount: t.sat(this.amount!) })}</button>`;
      case 'paying':
        return html`${this.summary(t)}${this.progressView(t)}
          <p class="status muted" part="message"><span class="spinner"></span>${t.t('payPaying', { amount: t.sat(this.amount!) })}</p>`;
      case 'paid':
        return this.paidView(t);
      case 'already-paid':
        return this.alreadyView(t);
      case 'failed': {
        const failure = this._failure ?? { message: 'payFailed', retry: true, details: [] };
        return html`${this.summary(t, t.t('partFailed'))}${this._progress?.parts.length ? this.progressView(t) : nothing}
          <p class="message error" part="message">${this.failureText(failure, t)}</p>
          ${moreDetails(t.t('payDetails'), failure.details)}
          ${failure.retry ? html`<button class="wide" part="button" @click=${() => void this.pay()}>${t.t('payRetry')}</button>` : nothing}`;
      }
    }
  }

  /** The amount, payee, description and fee budget. */
  private summary(t: Translator, badge?: string): TemplateResult {
    const decoded = this._decoded!;
    const amount = this.amount;
    const fee = this.feeBudget;
    return html`
      <div class="head">
        <div class="amount" part="amount">${amount === undefined ? '—' : t.sat(amount)}</div>
        ${badge ? html`<span class="badge ${this._state}">${badge}</span>` : nothing}
      </div>
      <dl class="details" part="details">
        <div class="row">
          <dt class="label">${t.t('payPayee')}</dt>
          <dd class="value mono" title=${decoded.payee}>${shortId(decoded.payee)}</dd>
        </div>
        ${
          decoded.description
            ? html`<div class="row">
                <dt class="label">${t.t('payDescription')}</dt>
                <dd class="value description">${t.ext(decoded.description, 160)}</dd>
              </div>`
            : nothing
        }
        ${
          fee !== undefined
            ? html`<div class="row">
                <dt class="label">${t.t('payFeeBudget')}</dt>
                <dd class="value">${t.t('payFeeUpTo', { amount: t.fee(fee) })}</dd>
              </div>`
            : nothing
        }
      </dl>
    `;
  }

  /** The bar, its legend, attempts and fees. */
  /** Opens or closes the picture of the parts; its chunk (pay-diagram.ts) loads on the first open. */
  async toggleDiagram(): Promise<void> {
    if (!diagram) {
      diagram = await import('./pay-diagram.ts');
      const sheet = diagram.diagramStyles.styleSheet;
      const root = this.shadowRoot!;
      if (sheet) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    }
    this._diagram = !this._diagram;
  }

  /** The button that shows the parts, and the picture once open. */
  private diagramView(t: Translator, progress: PayProgress): TemplateResult | typeof nothing {
    if (!progress.parts.length) return nothing;
    return html`<button
        class="small secondary"
        part="button diagram-toggle"
        aria-expanded=${this._diagram}
        @click=${() => void this.toggleDiagram()}
      >
        ${t.t(this._diagram ? 'diagramHide' : 'diagramShow')}
      </button>
      ${this._diagram && diagram ? diagram.payDiagram(progress, this.aliases ?? {}, t) : nothing}`;
  }

  private progressView(t: Translator): TemplateResult {
    const progress = this._progress!;
    return html`<div class="progress">
      ${payBar(progress, t)}${this.diagramView(t, progress)}
      <dl class="stats" part="stats">
        <div>
          <dt>${t.t('payAttempts')}</dt>
          <dd>${t.number(progress.attempts)}</dd>
        </div>
        <div>
          <dt>${t.t('payFees')}</dt>
          <dd>${t.fee(progress.fee_msat)}</dd>
        </div>
      </dl>
    </div>`;
  }

  /** A payment this journal made before: its date, amount and proof, and what the node said of it. */
  private alreadyView(t: Translator): TemplateResult {
    const { payment, confirmed } = this._check!;
    return html`
      <div class="head">
        <div class="amount ok" part="amount">${t.sat(payment.amount_msat)}</div>
        <span class="check" aria-hidden="true">✓</span>
      </div>
      <p class="message" part="message">${t.t('payAlreadyDetail', { date: t.date(payment.completed_at ?? payment.created_at) })}</p>
      ${confirmed === false ? html`<p class="warning" part="message">${t.t('payAlreadyUnconfirmed')}</p>` : nothing}
      ${this.proofView(t, payment.payment_preimage ?? '')}
    `;
  }

  private proofView(t: Translator, preimage: string): TemplateResult {
    const copied = this.copier.status;
    return html`<div class="proof" part="proof">
      <div class="row">
        <span class="label">${t.t('payProof')}</span>
        <button class="small secondary" part="button copy" @click=${() => this.copyProof(preimage)}>
          ${copied === 'copied' ? t.t('copied') : copied === 'failed' ? t.t('copyFailed') : t.t('copy')}
        </button>
      </div>
      <code class="preimage mono" part="preimage">${preimage}</code>
    </div>`;
  }

  /** After success, failed attempts recede: a count, and where each failed, one click away. */
  private failedOnTheWay(t: Translator, result: PayResult): TemplateResult | typeof nothing {
    const failed = result.parts.filter((p) => p.status === 'failed').length;
    if (!failed) return nothing;
    const lines = describeFailure({ ...result, failreason: '' }, undefined, t).details;
    return moreDetails(t.t('payFailedOnTheWay', { attempts: t.count('attempts', failed) }), lines);
  }

  private paidView(t: Translator): TemplateResult {
    const result = this._result!;
    const preimage = result.payment_preimage ?? '';
    const parts = result.parts.filter((p) => p.status === 'complete').length;
    return html`
      <div class="head">
        <div class="amount ok" part="amount">${t.t('payPaid', { amount: t.sat(result.amount_msat) })}</div>
        <span class="check" aria-hidden="true">✓</span>
      </div>
      <p class="message muted">
        ${t.t('payPaidDetail', { fee: t.fee(result.fee_msat), parts: t.count('parts', parts), attempts: t.count('attempts', result.attempts) })}
      </p>
      <div class="progress">${payBar({ ...result, parts: result.parts.filter((p) => p.status === 'complete') }, t)}</div>
      ${this.failedOnTheWay(t, result)} ${this.diagramView(t, result)} ${this.proofView(t, preimage)}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ampkit-pay': AmpkitPay;
  }
}
