/**
 * Every word the elements show, in one table a host page may override: for the whole page
 * with {@link setStrings}, or for one element through its `strings` property. Values are
 * plain strings with `{name}` placeholders, so a translation can be JSON. Amounts are
 * formatted in whole sat with `Intl.NumberFormat` in the table's `locale`; fees are rounded
 * up to whole sat (`feeUnderOne` below one); msat only in details.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * The built-in (English) strings, but the LNC mode's (`LNC_STRINGS`, which load with it).
 * Keys ending in `One`/`Other` are plural forms.
 *
 * @example
 * ```ts
 * setStrings({ ...DEFAULT_STRINGS, ...LNC_STRINGS }); // back to English after a translation
 * ```
 */
export const DEFAULT_STRINGS = {
  /** BCP 47 locale for numbers and times; empty: the browser's. */
  locale: '',
  sat: '{amount} sat',
  msat: '{amount} msat',
  feeUnderOne: 'under 1 sat',
  copy: 'Copy',
  copied: 'Copied',
  copyFailed: 'Could not copy',
  hopsOne: '{count} hop',
  hopsOther: '{count} hops',
  partsOne: '{count} part',
  partsOther: '{count} parts',
  attemptsOne: '{count} attempt',
  attemptsOther: '{count} attempts',
  errorNoClient: 'Connect a node first.',
  errorConnecting: 'Connecting to the node…',
  badAttribute: '{attribute}="{value}" is not valid: it must be {rule}.',
  ruleMsat: 'a whole number of msat above 0',
  ruleFeeMsat: 'a whole number of msat, 0 or more',
  ruleSeconds: 'a whole number of seconds above 0',
  ruleNodeId: "the node's public key, 66 hex characters",
  ruleUrl: 'a ws:// or wss:// address',

  payEmpty: 'No invoice to pay yet.',
  payLoading: 'Reading the invoice…',
  payInvalid: 'This invoice cannot be paid.',
  payNotInvoice: 'This is not a Lightning invoice. Check that it was copied whole.',
  payNoAmount: 'The invoice names no amount.',
  payExpired: 'This invoice has expired. Ask the payee for a new one.',
  payAmount: 'Amount',
  payPayee: 'Payee',
  payDescription: 'For',
  payFeeBudget: 'Fee budget',
  payFeeUpTo: 'up to {amount}',
  payButton: 'Pay {amount}',
  payRetry: 'Try again',
  payPaying: 'Paying {amount}…',
  payProgressLabel: 'Payment progress',
  payProgressText: '{delivered} of {amount} delivered',
  payAttempts: 'Attempts',
  payFees: 'Fees',
  payPaid: 'Paid {amount}',
  payPaidDetail: 'Fees {fee} over {parts} ({attempts}).',
  payFailed: 'The payment failed.',
  payNoRoute: 'No route can carry {amount} to the payee now: too little room on the way. Ask for a smaller amount, or try later.',
  payFeeBudgetLow: 'Every route to the payee costs more than the fee budget of {budget}.',
  payPayeeRefused: 'The payee refused the payment. Ask the payee for a new invoice.',
  payTimedOut: '{amount} could not be delivered in time. Trying again may work.',
  payNodeRefused: 'Your node refused to send the payment. Trying again may work.',
  payStorage: 'This browser could not record the payment, so nothing more was sent. Free some space and try again.',
  payOffline: 'Your node could not be reached. Try again once it is online.',
  payCannotPay: 'This connection may not pay: its rune does not allow it.',
  payOthersInFlight: 'Parts of this payment are already on their way from elsewhere. Wait, then try again.',
  payDetails: 'Details',
  payPartFailed: 'Part {number}: {amount}, failed: {why}',
  diagramShow: 'Show the parts',
  diagramHide: 'Hide the parts',
  diagramPart: 'Part {number}',
  diagramYou: 'You',
  diagramFailedHere: 'failed here, channel {channel}',
  payFailedOnTheWay: '{attempts} failed on the way; the rest went through.',
  payProof: 'Proof of payment',
  payAlreadyDetail: 'Already paid on {date}, from this browser. Nothing more will be sent.',
  payAlreadyUnconfirmed: "Your node has no record of this payment; the proof is this browser's alone.",
  partLabel: 'Part {number}: {amount}, {hops}, {status}',
  partInflight: 'in flight',
  partSettled: 'settled',
  partFailed: 'failed',

  invoiceEmpty: 'No invoice yet.',
  invoiceCreating: 'Making the invoice…',
  invoiceLoading: 'Looking up the invoice…',
  invoiceNotFound: 'The node does not know this invoice.',
  invoiceFailed: 'Could not make the invoice.',
  invoiceHold: 'hold',
  invoiceScan: 'Scan or copy to pay {amount}',
  invoiceQrLabel: 'QR code of the Lightning invoice for {amount}',
  invoiceCopy: 'Copy invoice',
  invoiceOpenWallet: 'Open in wallet',
  invoiceReceived: 'Received {received} of {amount}',
  invoiceProgressLabel: 'Received so far',
  invoicePaid: 'Paid — {amount} received',
  invoiceExpired: 'This invoice expired unpaid.',
  invoiceExpires: 'Expires at {time}',
  invoiceParts: 'Parts held',
  invoiceNoParts: 'Waiting for the first part…',
  invoiceTrying: 'The payer is sending the rest…',
  invoicePart: 'part {number} of {count}',
  invoicePartArrived: 'Part {number} arrived: {amount}.',
  invoicePartDetail: 'Part {number}: {amount}, channel {channel}, HTLC {htlc}, expiry {expiry}',
  invoicePartLeaving: 'leaving: {reason}',
  goneTimeout: 'timed out',
  goneFailed: 'failed',
  goneCancelled: 'cancelled',
  goneExpired: 'expired',

  connectNodeId: 'Node id',
  connectUrl: 'WebSocket URL',
  connectRune: 'Rune',
  connectButton: 'Connect',
  disconnectButton: 'Disconnect',
  cancelButton: 'Cancel',
  connectFailed: 'Could not connect: {reason}',
  connectMissing: 'Enter the node id, the WebSocket URL and a rune.',
  stateIdle: 'Not connected',
  stateConnecting: 'Connecting…',
  stateOpen: 'Connected',
  stateReconnecting: 'Reconnecting…',
  stateClosed: 'Disconnected',
  stateFailed: 'Connection failed',
  runeCanSpend: 'Warning: this rune can spend from your node, and any script on this page can use it. Prefer an invoice-only rune.',
  runeNotKnownSafe:
    'Warning: this rune may call methods not known to be harmless, so it may spend, and any script on this page can use it. Prefer an invoice-only rune.',
  runeBad: 'This does not look like a rune.',
  runeNotThisNode: 'Your node refused this rune: it was not made there, or not copied whole.',
  runeRevoked: 'Your node refused this rune: it has been revoked there.',
  runeExpired: 'Your node refused this rune: it has expired.',
  runeOtherClient: 'Your node refused this rune: it is tied to another client.',
  modeLabel: 'Your node',
  modeCommando: 'Core Lightning (rune)',
  modeLnc: 'LND (Lightning Terminal)',
  lncReconnect: 'Reconnect',
  lncForget: 'Forget this node',
  stateOpenNode: 'Connected to {node}',
} as const;

/**
 * The keys of `<ampkit-connect>`'s LNC mode: their English words come with that mode's code
 * (`LNC_STRINGS`, loaded on demand), so a page that never shows it does not carry them; a
 * page may set them before they load.
 */
const LNC_KEYS = [
  'lncPhrase',
  'lncPhraseHint',
  'lncPhraseCount',
  'lncPhraseTooMany',
  'lncPhraseUnknownWord',
  'lncPhraseGood',
  'lncAdvanced',
  'lncMailbox',
  'lncSessionNotFound',
  'lncSessionInUse',
  'lncNotPaired',
  'lncOffline',
  'lncKeptKeys',
] as const;

/** The strings table: every key of {@link DEFAULT_STRINGS}, and the LNC mode's (`LNC_STRINGS`). */
export type AmpkitStrings = { [K in keyof typeof DEFAULT_STRINGS | (typeof LNC_KEYS)[number]]: string };

/** A key of the strings table. */
export type StringKey = keyof AmpkitStrings;

// The LNC mode's words join once its code loads (addDefaults).
let shared = { ...DEFAULT_STRINGS } as AmpkitStrings;
const watchers = new Set<() => void>();

/**
 * Overrides strings for every ampkit element on the page; elements on screen re-render.
 * Keys not given keep their current value; `setStrings({ ...DEFAULT_STRINGS, ...LNC_STRINGS })`
 * restores English.
 *
 * @example
 * ```ts
 * setStrings({ locale: 'de-DE', payButton: '{amount} bezahlen', sat: '{amount} sat' });
 * ```
 */
export function setStrings(strings: Partial<AmpkitStrings>): void {
  for (const [key, value] of Object.entries(strings)) {
    if (!(key in DEFAULT_STRINGS) && !(LNC_KEYS as readonly string[]).includes(key)) throw new TypeError(`setStrings: unknown key ${key}`);
    if (typeof value !== 'string') throw new TypeError(`setStrings: ${key} must be a string`);
  }
  shared = { ...shared, ...strings };
  for (const watcher of [...watchers]) watcher();
}

/**
 * Adds words to the defaults (the LNC mode's, as its code loads): a word the page already set
 * stays. Elements on screen re-render. @internal
 */
export function addDefaults(words: Partial<AmpkitStrings>): void {
  shared = { ...words, ...shared };
  for (const watcher of [...watchers]) watcher();
}

/**
 * The page's strings table now (the defaults with every {@link setStrings} applied).
 *
 * @example
 * ```ts
 * const { payButton } = getStrings();
 * ```
 */
export function getStrings(): Readonly<AmpkitStrings> {
  return shared;
}

const numberFormats = new Map<string, Intl.NumberFormat>();
const timeFormats = new Map<string, Intl.DateTimeFormat>();
const dateFormats = new Map<string, Intl.DateTimeFormat>();
const pluralRules = new Map<string, Intl.PluralRules>();
const cached = <T>(map: Map<string, T>, locale: string, make: (l: string | undefined) => T): T => {
  let value = map.get(locale);
  if (!value) map.set(locale, (value = make(locale || undefined)));
  return value;
};

/**
 * Words and numbers for one render: the page's table, then an element's own overrides.
 * @internal
 */
export class Translator {
  readonly table: AmpkitStrings;

  constructor(own?: Partial<AmpkitStrings>) {
    this.table = own ? { ...shared, ...own } : shared;
  }

  /** The string `key` with its `{placeholders}` filled in. */
  t(key: StringKey, values: Record<string, string | number> = {}): string {
    // A word not loaded yet (the LNC mode's) shows as its key rather than failing the render.
    return (this.table[key] ?? key).replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
  }

  /** A number in the table's locale. */
  number(value: number): string {
    return cached(numberFormats, this.table.locale, (l) => new Intl.NumberFormat(l, { maximumFractionDigits: 3 })).format(value);
  }

  /** An amount given in msat, shown in whole sat (`1,235 sat`): what people pay and get. */
  sat(msat: number): string {
    return this.t('sat', { amount: this.number(Math.round(msat / 1000)) });
  }

  /**
   * Text from the node or the invoice (a description, an alias, a failure reason), made safe
   * to show: control and bidi-override characters removed, at most `max` characters (an
   * ellipsis after), and isolated (FSI … PDI) so right-to-left text cannot reorder ours.
   */
  ext(text: string | undefined, max = 200): string {
    // eslint-disable-next-line no-control-regex
    const clean = String(text ?? '').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '');
    const chars = [...clean];
    return `\u2068${chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : clean}\u2069`;
  }

  /** A fee given in msat, rounded up to whole sat, `under 1 sat` for less than one. */
  fee(msat: number): string {
    return msat > 0 && msat < 1000 ? this.t('feeUnderOne') : this.t('sat', { amount: this.number(Math.ceil(msat / 1000)) });
  }

  /** An amount in msat as it is (`1,234,567 msat`), for details. */
  msat(msat: number): string {
    return this.t('msat', { amount: this.number(msat) });
  }

  /** A count with its noun, in the locale's plural form (`hopsOne` / `hopsOther`). */
  count(noun: 'hops' | 'parts' | 'attempts', count: number): string {
    const rule = cached(pluralRules, this.table.locale, (l) => new Intl.PluralRules(l)).select(count);
    return this.t(rule === 'one' ? `${noun}One` : `${noun}Other`, { count: this.number(count) });
  }

  /** A Unix time as a date (`Dec 4, 2026`). */
  date(unixSeconds: number): string {
    return cached(dateFormats, this.table.locale, (l) => new Intl.DateTimeFormat(l, { dateStyle: 'medium' })).format(
      new Date(unixSeconds * 1000),
    );
  }

  /** A Unix time as a time of day. */
  time(unixSeconds: number): string {
    return cached(timeFormats, this.table.locale, (l) => new Intl.DateTimeFormat(l, { timeStyle: 'medium' })).format(
      new Date(unixSeconds * 1000),
    );
  }
}

/**
 * Re-renders its element when the page's strings change.
 * @internal
 */
export class StringsController implements ReactiveController {
  private readonly watcher = (): void => this.host.requestUpdate();

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {
    watchers.add(this.watcher);
  }

  hostDisconnected(): void {
    watchers.delete(this.watcher);
  }
}
