/**
 * What a rune permits, in plain words, so a page can warn its user before it holds a rune
 * that can spend. The wording of each restriction follows Core Lightning's `showrunes`.
 *
 * Default deny (docs/design.md, "Trust"): a rune is called safe (read-only or invoice-only)
 * only if every method it can reach is on one of two explicit allow-lists,
 * {@link READ_ONLY_METHODS} and {@link INVOICE_METHODS}. Any other method — a known
 * spender, a known method that is merely not vouched for, or a name ampkit has never heard
 * of (a plugin's, a later Core Lightning's) — counts as one that may spend. A method
 * condition other than `=` (`/`, `^`, `$`, `~`, `{`, `}`, `#`) admits infinitely many
 * names, so a rune whose restrictions do not pin the method to a finite list of `=` names
 * can always reach an unknown method and is never called safe. This includes Core
 * Lightning's own "read-only" recipe
 * `method^list|method^get|method=summary&method/listdatastore`: it reaches any `list…` or
 * `get…` a plugin or a later version adds, and already on v25.12.1 `listconfigs` (which
 * shows bitcoind's RPC password) and `getemergencyrecoverdata`. Make a safe rune with an
 * explicit list: `method=getinfo|method=listinvoices|…`.
 *
 * Conditions on other fields are read as "may hold": params (`pname…`, `parr…`, `pinv…`,
 * `pnum`), `id`, `rate` and `per` could all be met by some call, and `time>N` becomes true
 * once N passes. Only a `time<N` that has already passed (time never goes back) and conditions
 * a method name can never meet (`method!`: a call always has a method; `method<N` and
 * `method>N`: checkrune compares a method as text, never as an integer) are read as false.
 */
import { testAlternative } from './rune-check.ts';
import { parseRune, type RuneAlternative, type RuneCondition } from './runes.ts';

/**
 * Methods that can only read: they change nothing on the node and hand out nothing that
 * could spend or unlock more. Core Lightning v25.12.1's (lightningd and the plugins it ships),
 * plus `summary` (the summary plugin) and `listholdinvoices` (the hold-invoice plugin).
 * `sql` is here because its authorizer refuses anything but reads and it has no datastore
 * or config table (both checked on v25.12.1).
 * Left out on purpose, though they only read: `listconfigs` (shows bitcoind's RPC password),
 * `listdatastore` (plugins keep secrets there; Core Lightning's own recipe excludes it),
 * `showrunes` (shows stored runes whole, which may spend), `getemergencyrecoverdata` and
 * `staticbackup` (channel backups), `check` (runs a command's parameter checks, which a
 * plugin may not keep side-effect free).
 */
export const READ_ONLY_METHODS = [
  'getinfo',
  'getlog',
  'getroute',
  'getroutes',
  'listpeers',
  'listpeerchannels',
  'listclosedchannels',
  'listchannels',
  'listnodes',
  'listfunds',
  'listaddresses',
  'listtransactions',
  'listinvoices',
  'listinvoicerequests',
  'listoffers',
  'listsendpays',
  'listpays',
  'listforwards',
  'listhtlcs',
  'listincoming',
  'listchainmoves',
  'listchannelmoves',
  'listnetworkevents',
  'listsqlschemas',
  'sql',
  'datastoreusage',
  'feerates',
  'parsefeerate',
  'estimatefees',
  'getchaininfo',
  'getrawblockbyheight',
  'getutxout',
  'help',
  'decode',
  'decodepay',
  'checkmessage',
  'checkrune',
  'paystatus',
  'renepaystatus',
  'autoclean-status',
  'askrene-listlayers',
  'askrene-listreservations',
  'bkpr-listbalances',
  'bkpr-listincome',
  'bkpr-listaccountevents',
  'bkpr-inspect',
  'bkpr-channelsapy',
  'wait',
  'waitinvoice',
  'waitanyinvoice',
  'waitsendpay',
  'waitblockheight',
  'summary',
  'listholdinvoices',
] as const;

/**
 * Methods that make, settle or withdraw requests to be paid: through them the node can only
 * receive. `delinvoice`, `disableoffer` and `cancelholdinvoice` only give up a payment;
 * `settleholdinvoice` releases a preimage, which takes the held payment in. Left out:
 * `createinvoice` and `signinvoice` (sign an invoice string the caller wrote),
 * `invoicerequest` (an offer to *send* money: the node pays the invoice that answers it),
 * `sendinvoice`, `createoffer`, and the hold plugin's `injectholdinvoice`.
 */
export const INVOICE_METHODS = [
  'invoice',
  'delinvoice',
  'offer',
  'enableoffer',
  'disableoffer',
  'holdinvoice',
  'settleholdinvoice',
  'cancelholdinvoice',
] as const;

/**
 * Methods known to move the node's funds, to be a step of doing so (fundpsbt and utxopsbt
 * reserve its coins for a transaction) or to hand out the power to (createrune mints runes,
 * exposesecret shows the HSM secret, plugin and reckless run code). Not a deny-list: any
 * method off the allow-lists may spend; these are the ones a summary names as spenders.
 */
export const SPENDING_METHODS = [
  'pay',
  'xpay',
  'xpay-as-pay',
  'renepay',
  'renesendpay',
  'sendpay',
  'sendonion',
  'injectpaymentonion',
  'keysend',
  'invoicerequest',
  'withdraw',
  'multiwithdraw',
  'txsend',
  'sendpsbt',
  'signpsbt',
  'fundpsbt',
  'utxopsbt',
  'fundchannel',
  'fundchannel_start',
  'fundchannel_complete',
  'multifundchannel',
  'openchannel_init',
  'openchannel_update',
  'openchannel_signed',
  'openchannel_bump',
  'splice_init',
  'splice_update',
  'splice_signed',
  'spliceout',
  'close',
  'createrune',
  'commando',
  'exposesecret',
  'plugin',
  'reckless',
] as const;

/** Core Lightning v25.12.1's other commands (and the hold plugin's): known, and not vouched for. */
const OTHER_METHODS = [
  'abort_channels',
  'addgossip',
  'addpsbtinput',
  'addpsbtoutput',
  'askrene-age',
  'askrene-bias-channel',
  'askrene-bias-node',
  'askrene-create-channel',
  'askrene-create-layer',
  'askrene-disable-node',
  'askrene-inform-channel',
  'askrene-remove-layer',
  'askrene-reserve',
  'askrene-unreserve',
  'askrene-update-channel',
  'autoclean-once',
  'batching',
  'bkpr-dumpincomecsv',
  'bkpr-editdescriptionbyoutpoint',
  'bkpr-editdescriptionbypaymentid',
  'blacklistrune',
  'cancelrecurringinvoice',
  'check',
  'connect',
  'createinvoice',
  'createinvoicerequest',
  'createoffer',
  'createonion',
  'datastore',
  'decryptencrypteddata',
  'deldatastore',
  'delforward',
  'delnetworkevent',
  'delpay',
  'deprecations',
  'destroyrune',
  'dev',
  'dev-connectd-exhaust-fds',
  'dev-fail',
  'dev-feerate',
  'dev-finalizepsbt',
  'dev-forget-channel',
  'dev-ignore-htlcs',
  'dev-listaddrs',
  'dev-memdump',
  'dev-memleak',
  'dev-peer-shachain',
  'dev-queryrates',
  'dev-quiesce',
  'dev-rawrequest',
  'dev-reenable-commit',
  'dev-report-fds',
  'dev-rescan-outputs',
  'dev-set-max-scids-encode-size',
  'dev-sign-last-tx',
  'dev-splice',
  'dev-suppress-gossip',
  'disableinvoicerequest',
  'disconnect',
  'emergencyrecover',
  'fetchinvoice',
  'fundchannel_cancel',
  'funderupdate',
  'getemergencyrecoverdata',
  'injectonionmessage',
  'injectutxodeposit',
  'injectutxospend',
  'invokerune',
  'listconfigs',
  'listdatastore',
  'makesecret',
  'newaddr',
  'notifications',
  'openchannel_abort',
  'payersign',
  'ping',
  'preapproveinvoice',
  'preapprovekeysend',
  'recover',
  'recoverchannel',
  'reserveinputs',
  'restorefrompeer',
  'sendcustommsg',
  'sendinvoice',
  'sendrawtransaction',
  'setchannel',
  'setconfig',
  'setleaserates',
  'setpsbtversion',
  'showrunes',
  'signinvoice',
  'signmessage',
  'signmessagewithkey',
  'staticbackup',
  'stfu_channels',
  'stop',
  'txdiscard',
  'txprepare',
  'unreserveinputs',
  'upgradewallet',
  'injectholdinvoice',
  'cleanholdinvoices',
] as const;

/**
 * Every method ampkit knows by name: Core Lightning v25.12.1's commands (as its `help` lists
 * them, developer ones included), the hold-invoice plugin's and `summary`. An audit lists
 * the ones a rune may call; a method not here is unknown, and may spend.
 */
export const KNOWN_METHODS: readonly string[] = [...READ_ONLY_METHODS, ...INVOICE_METHODS, ...SPENDING_METHODS, ...OTHER_METHODS];

const READ_ONLY = new Set<string>(READ_ONLY_METHODS);
const INVOICE = new Set<string>(INVOICE_METHODS);
const SPENDING = new Set<string>(SPENDING_METHODS);
const KNOWN = new Map(KNOWN_METHODS.map((m, i) => [m, i]));
const harmless = (method: string) => READ_ONLY.has(method) || INVOICE.has(method);

const ENGLISH: Record<Exclude<RuneCondition, '!' | '#'>, string> = {
  '=': 'equal to',
  '/': 'unequal to',
  '^': 'starts with',
  $: 'ends with',
  '~': 'contains',
  '<': '<',
  '>': '>',
  '{': 'sorts before',
  '}': 'sorts after',
};

/** One alternative in Core Lightning's words (lightningd/runes.c rune_altern_to_english). */
export function alternativeToEnglish(alt: RuneAlternative): string {
  if (alt.condition === '!') return `${alt.fieldname} is missing`;
  if (alt.condition === '#') return `comment: ${alt.fieldname} ${alt.value}`;
  return `${alt.fieldname} ${ENGLISH[alt.condition]} ${alt.value}`;
}

/** The answer of {@link auditRune}. Conservative throughout: "may" means no call was ruled out. */
export interface RuneAudit {
  uniqueId?: string;
  restrictions: { alternatives: (RuneAlternative & { english: string })[]; english: string }[];
  restrictionsAsEnglish: string;
  /** No restriction at all: the rune can do anything the node can. */
  unrestricted: boolean;
  /**
   * The rune may reach a method not on {@link READ_ONLY_METHODS} or {@link INVOICE_METHODS}
   * (default deny): a known spender, another known method, or an unknown one. Exactly
   * `!(readOnly || invoiceOnly)`.
   */
  canSpend: boolean;
  /** Every method it may reach is on {@link READ_ONLY_METHODS} (true, too, of a rune that allows nothing). */
  readOnly: boolean;
  /** It may make invoices, and every method it may reach is on {@link INVOICE_METHODS} or {@link READ_ONLY_METHODS}. */
  invoiceOnly: boolean;
  /**
   * It may reach methods that are not in {@link KNOWN_METHODS}: its method conditions leave
   * names open (`^`, `/`, …, or no method condition at all), or name an unknown method.
   */
  unknownMethods: boolean;
  /** The methods it may call: every one it names, when it pins the method to `=` names; else the known ones its conditions let through. */
  methods: string[];
  /** Those of `methods` on {@link SPENDING_METHODS}. */
  spendingMethods: string[];
  /** Nearly any method passes: every restriction can be met whatever the method, or by all names but one (`method/x`). */
  anyMethod: boolean;
  /** Calls per minute, when a `rate` restriction applies to every call. */
  rateLimit?: number;
  /** When a `time<N` restriction makes it expire, if one does. */
  expiresAt?: Date;
  /** When a `time>N` restriction first lets it pass, if one does; until then the node refuses it, and after it the audit holds. */
  notBefore?: Date;
  /** One or two plain sentences for a person. */
  summary: string;
}

/** Far enough ahead to pass any `time>N` a clock will reach. */
const FOREVER = Number.MAX_SAFE_INTEGER;

/** Could an alternative on a field other than `method` hold for some call, now or later? */
function otherFieldMayHold(alt: RuneAlternative, nowSeconds: number): boolean {
  if (alt.fieldname !== 'time') return true;
  if (alt.condition === '!') return false;
  if (alt.condition === '<') return testAlternative(alt, { text: String(nowSeconds), int: nowSeconds }) === undefined;
  if (alt.condition === '>') return testAlternative(alt, { text: String(FOREVER), int: FOREVER }) === undefined;
  return true;
}

/** Could the rune allow `method`, assuming every condition on other fields can be met (now or later)? */
function mayAllow(restrictions: RuneAlternative[][], method: string, nowSeconds: number): boolean {
  return restrictions.every((r) =>
    r.some((alt) =>
      alt.fieldname === 'method' ? testAlternative(alt, { text: method }) === undefined : otherFieldMayHold(alt, nowSeconds),
    ),
  );
}

/** What one alternative lets through, whatever the call: one method name, none, or an open set. */
function reach(alt: RuneAlternative, nowSeconds: number): { name: string } | 'none' | 'open' {
  if (alt.fieldname !== 'method') return otherFieldMayHold(alt, nowSeconds) ? 'open' : 'none';
  if (alt.condition === '=') return { name: alt.value };
  if (alt.condition === '!' || alt.condition === '<' || alt.condition === '>') return 'none';
  return 'open';
}

/** Seconds since 1970 (as ccan reads `time`) as a Date, if it is a plain number a Date can hold. */
function dateOf(seconds: string, add = 0): Date | undefined {
  if (!/^\d{1,15}$/.test(seconds)) return undefined;
  const ms = (Number(seconds) + add) * 1000;
  return ms <= 8.64e15 ? new Date(ms) : undefined;
}

/** The single-alternative restrictions on `field` with `condition`, each one's value. */
const singles = (conditions: RuneAlternative[][], field: string, condition: RuneCondition) =>
  conditions.filter((r) => r.length === 1 && r[0]!.fieldname === field && r[0]!.condition === condition).map((r) => r[0]!.value);

/**
 * Explains a rune in plain words, and says whether it is provably safe (read-only or
 * invoice-only) under default deny; see the module's notes for the rules. Throws `BAD_RUNE`
 * if it is malformed.
 *
 * @example
 * ```ts
 * const audit = auditRune(rune);
 * if (audit.canSpend) showWarning(audit.summary); // neither read-only nor invoice-only
 * ```
 */
export function auditRune(rune: string): RuneAudit {
  const parsed = parseRune(rune);
  const conditions = parsed.uniqueId !== undefined ? parsed.restrictions.slice(1) : parsed.restrictions;
  const restrictions = conditions.map((r) => {
    const alternatives = r.map((a) => ({ ...a, english: alternativeToEnglish(a) }));
    return { alternatives, english: alternatives.map((a) => a.english).join(' OR ') };
  });
  const nowSeconds = Math.floor(Date.now() / 1000);

  // A restriction none of whose alternatives is open pins the method to its `=` names.
  let pinned: string[] | undefined;
  for (const r of conditions) {
    const reaches = r.map((alt) => reach(alt, nowSeconds));
    if (reaches.includes('open')) continue;
    const names = reaches.flatMap((x) => (typeof x === 'object' ? [x.name] : []));
    pinned = pinned === undefined ? [...new Set(names)] : pinned.filter((n) => names.includes(n));
  }
  const rank = (m: string) => KNOWN.get(m) ?? KNOWN_METHODS.length;
  const methods = (pinned ?? KNOWN_METHODS).filter((m) => mayAllow(conditions, m, nowSeconds)).sort((a, b) => rank(a) - rank(b));
  const unknownMethods = pinned === undefined || methods.some((m) => !KNOWN.has(m));
  const canSpend = unknownMethods || !methods.every(harmless);
  const readOnly = !canSpend && methods.every((m) => READ_ONLY.has(m));
  const invoiceOnly = !canSpend && !readOnly;
  const spendingMethods = methods.filter((m) => SPENDING.has(m));
  const anyMethod = conditions.every((r) =>
    r.some((alt) => (alt.fieldname === 'method' ? alt.condition === '/' || alt.condition === '#' : otherFieldMayHold(alt, nowSeconds))),
  );
  const rates = singles(conditions, 'rate', '=')
    .filter((v) => /^\d+$/.test(v) && Number(v) > 0)
    .map(Number);
  const rateLimit = rates.length ? Math.min(...rates) : undefined;
  const expiries = singles(conditions, 'time', '<').flatMap((v) => dateOf(v) ?? []);
  const expiresAt = expiries.length ? new Date(Math.min(...expiries.map(Number))) : undefined;
  const starts = singles(conditions, 'time', '>').flatMap((v) => dateOf(v, 1) ?? []);
  const notBefore = starts.length ? new Date(Math.max(...starts.map(Number))) : undefined;
  const unrestricted = conditions.length === 0;
  const conditionsInWords = restrictions.map((r) => r.english).join('; ');

  let summary: string;
  if (methods.length === 0 && !unknownMethods) {
    summary = 'Useless: no method passes this rune’s restrictions (or it has expired).';
  } else if (unrestricted) {
    summary = 'Full access: this rune can call every method, including ones that spend funds. Keep it off web pages you do not control.';
  } else if (spendingMethods.length > 0) {
    const what = anyMethod
      ? 'any method except where restricted'
      : `${spendingMethods.join(', ')}${pinned === undefined ? ' and any other method its conditions leave open' : ''}`;
    summary = `Can spend: this rune allows ${what}, within its conditions (${conditionsInWords}).`;
  } else if (canSpend) {
    const named = methods.filter((m) => !harmless(m));
    if (pinned === undefined) named.push('any method a plugin or a later Core Lightning adds that its conditions let through');
    const list = named.length > 1 ? `${named.slice(0, -1).join(', ')} and ${named.at(-1)}` : named[0];
    summary = `Not known to be safe: this rune can call ${list}, which ampkit cannot vouch for, so treat it as able to spend (its conditions: ${conditionsInWords}).`;
  } else if (readOnly) {
    summary = `Read-only: can call ${methods.join(', ')}; it cannot spend or change anything.`;
  } else {
    summary = `Invoice-only: can call ${methods.join(', ')}; it can make and settle invoices to be paid, and cannot spend.`;
  }
  if (rateLimit !== undefined) summary += ` At most ${rateLimit} calls a minute.`;
  if (notBefore && notBefore.getTime() > Date.now()) summary += ` Not valid before ${notBefore.toISOString()}.`;
  if (expiresAt) summary += ` Expires ${expiresAt.toISOString()}.`;
  return {
    ...(parsed.uniqueId !== undefined ? { uniqueId: parsed.uniqueId } : {}),
    restrictions,
    restrictionsAsEnglish: restrictions.map((r) => r.english).join(' AND '),
    unrestricted,
    canSpend,
    readOnly,
    invoiceOnly,
    unknownMethods,
    methods,
    spendingMethods,
    anyMethod,
    ...(rateLimit !== undefined ? { rateLimit } : {}),
    ...(expiresAt ? { expiresAt } : {}),
    ...(notBefore ? { notBefore } : {}),
    summary,
  };
}
