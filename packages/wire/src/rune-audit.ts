/**
 * What a rune permits, in plain words, so a page can warn its user before it holds a rune
 * that can spend. The wording of each restriction follows Core Lightning's `showrunes`.
 */
import { testAlternative } from './rune-check.ts';
import { parseRune, type RuneAlternative, type RuneCondition } from './runes.ts';

/** Methods that move funds, or mint runes that can (createrune): a rune reaching any can spend. */
export const SPENDING_METHODS = [
  'pay', 'xpay', 'renepay', 'sendpay', 'sendonion', 'injectpaymentonion', 'keysend', 'withdraw', 'txsend',
  'sendpsbt', 'fundpsbt', 'utxopsbt', 'fundchannel', 'fundchannel_start', 'multifundchannel', 'openchannel_init',
  'close', 'splice_init', 'spliceout', 'sendinvoice', 'createrune', 'commando',
] as const;

/** Methods that change nothing (or only read); the rest of Core Lightning's commands change state. */
const READ_ONLY = /^(list|get|summary$|decode|help$|check|wait|estimatefees$|feerates$)/;

/** A sample of Core Lightning commands used to say which ones a rune allows. */
export const KNOWN_METHODS = [
  ...SPENDING_METHODS,
  'getinfo', 'getroute', 'getroutes', 'getlog', 'listpeers', 'listpeerchannels', 'listchannels', 'listnodes',
  'listfunds', 'listinvoices', 'listsendpays', 'listpays', 'listforwards', 'listdatastore', 'listhtlcs',
  'summary', 'decode', 'help', 'checkrune', 'showrunes', 'waitinvoice', 'waitanyinvoice', 'waitsendpay',
  'invoice', 'delinvoice', 'createinvoice', 'offer', 'fetchinvoice', 'connect', 'disconnect', 'setchannel',
  'datastore', 'deldatastore', 'signmessage', 'stop', 'blacklistrune', 'holdinvoice', 'settleholdinvoice',
  'cancelholdinvoice', 'listholdinvoices',
] as const;

const ENGLISH: Record<Exclude<RuneCondition, '!' | '#'>, string> = {
  '=': 'equal to', '/': 'unequal to', '^': 'starts with', '$': 'ends with', '~': 'contains',
  '<': '<', '>': '>', '{': 'sorts before', '}': 'sorts after',
};

/** One alternative in Core Lightning's words (lightningd/runes.c rune_altern_to_english). */
export function alternativeToEnglish(alt: RuneAlternative): string {
  if (alt.condition === '!') return `${alt.fieldname} is missing`;
  if (alt.condition === '#') return `comment: ${alt.fieldname} ${alt.value}`;
  return `${alt.fieldname} ${ENGLISH[alt.condition]} ${alt.value}`;
}

/** The answer of {@link auditRune}. */
export interface RuneAudit {
  uniqueId?: string;
  restrictions: { alternatives: (RuneAlternative & { english: string })[]; english: string }[];
  restrictionsAsEnglish: string;
  /** No restriction at all: the rune can do anything the node can. */
  unrestricted: boolean;
  /** Some method that spends funds (or mints runes) may pass. Conservative: conditions on params are assumed satisfiable. */
  canSpend: boolean;
  /** Every method it allows only reads. */
  readOnly: boolean;
  /** Known methods it may call; `anyMethod` when the method is not restricted to a list. */
  methods: string[];
  anyMethod: boolean;
  /** Calls per minute, when a `rate` restriction applies to every call. */
  rateLimit?: number;
  /** When a `time<N` restriction makes it expire (Date), if one does. */
  expiresAt?: Date;
  /** One or two plain sentences for a person. */
  summary: string;
}

/** Could the rune allow `method`, assuming every condition on other fields can be met? */
function mayAllow(restrictions: RuneAlternative[][], method: string, nowSeconds: number): boolean {
  return restrictions.every((r) =>
    r.some((alt) => {
      if (alt.fieldname === 'method') return testAlternative(alt, { text: method }) === undefined;
      if (alt.fieldname === 'time') return testAlternative(alt, { text: String(nowSeconds), int: nowSeconds }) === undefined;
      return true;
    }),
  );
}

/**
 * Explains a rune in plain words. Throws `BAD_RUNE` if it is malformed.
 *
 * @example
 * ```ts
 * const audit = auditRune(rune);
 * if (audit.canSpend) showWarning(audit.summary);
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
  const methods = KNOWN_METHODS.filter((m) => mayAllow(conditions, m, nowSeconds));
  const anyMethod = mayAllow(conditions, 'ampkit-audit-no-such-method', nowSeconds);
  const canSpend = SPENDING_METHODS.some((m) => mayAllow(conditions, m, nowSeconds));
  const readOnly = !anyMethod && methods.every((m) => READ_ONLY.test(m));
  const rateRestriction = conditions.find((r) => r.length === 1 && r[0]!.fieldname === 'rate' && r[0]!.condition === '=');
  const rateLimit = rateRestriction ? Number(rateRestriction[0]!.value) : undefined;
  const timeLimit = conditions.find((r) => r.length === 1 && r[0]!.fieldname === 'time' && r[0]!.condition === '<');
  const expiresAt = timeLimit && /^\d+$/.test(timeLimit[0]!.value) ? new Date(Number(timeLimit[0]!.value) * 1000) : undefined;
  const unrestricted = conditions.length === 0;

  let summary: string;
  if (methods.length === 0 && !anyMethod) {
    summary = 'Useless: no method passes this rune’s restrictions (or it has expired).';
  } else if (unrestricted) {
    summary = 'Full access: this rune can call every method, including ones that spend funds. Keep it off web pages you do not control.';
  } else if (canSpend) {
    const spends = SPENDING_METHODS.filter((m) => methods.includes(m));
    summary = `Can spend: this rune allows ${anyMethod ? 'any method' : spends.join(', ')}${
      anyMethod ? ' except where restricted' : ''
    }, within its conditions (${restrictions.map((r) => r.english).join('; ')}).`;
  } else if (readOnly) {
    summary = `Read-only: can call ${methods.join(', ')}; it cannot spend or change anything.`;
  } else {
    summary = `Limited: can call ${anyMethod ? 'methods matching its conditions' : methods.join(', ')}; it cannot spend funds.`;
  }
  if (rateLimit !== undefined) summary += ` At most ${rateLimit} calls a minute.`;
  if (expiresAt) summary += ` Expires ${expiresAt.toISOString()}.`;
  return {
    ...(parsed.uniqueId !== undefined ? { uniqueId: parsed.uniqueId } : {}),
    restrictions,
    restrictionsAsEnglish: restrictions.map((r) => r.english).join(' AND '),
    unrestricted,
    canSpend,
    readOnly,
    methods,
    anyMethod,
    ...(rateLimit !== undefined ? { rateLimit } : {}),
    ...(expiresAt ? { expiresAt } : {}),
    summary,
  };
}
