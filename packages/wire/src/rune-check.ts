/**
 * Checking a rune against a call, as Core Lightning's checkrune (lightningd/runes.c, v25.12)
 * does for commando: a numeric unique id, derived from the master secret, and every
 * restriction (but the unique id) has an alternative that holds for the call's method,
 * params, peer id and time, with `rate` and `per` limits.
 */
import { parseRune, runeDerivationError, type ParsedRune, type RuneAlternative } from './runes.ts';
import { WireError } from './errors.ts';

/** What a rune is checked against. */
export interface RuneRequest {
  method: string;
  params?: unknown;
  /** The caller's node id (hex). */
  peerId?: string;
}

/** A field's value: text, an integer field, or absent. */
type FieldValue = { text: string; int?: number } | undefined;

const INTEGER = /^-?\d+$/;
/** C's isspace, which strtol and friends skip. */
const C_SPACE = '[\\t\\n\\v\\f\\r ]*';
/** What strtol(value, &end, 10) reads whole: C whitespace, a sign, digits. */
const C_LONG = new RegExp(`^${C_SPACE}([+-]?\\d+)$`);
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The value ccan compares a param by: strings as themselves, anything else as its JSON. */
function paramText(value: unknown): FieldValue {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return { text, ...(INTEGER.test(text) && Number.isSafeInteger(Number(text)) ? { int: Number(text) } : {}) };
}

/** ccan rune_alt_single: the failure text of one alternative, or undefined if it holds. */
export function testAlternative(alt: RuneAlternative, field: FieldValue): string | undefined {
  const { fieldname, condition, value } = alt;
  const cond = (complaint: string, holds: boolean) => (holds ? undefined : `${fieldname} ${complaint} ${value}`);
  if (condition === '#') return undefined;
  if (condition === '!') return field ? `${fieldname} is present` : undefined;
  if (!field) return `${fieldname} not present`;
  const text = field.text;
  switch (condition) {
    case '=':
      return cond('is not equal to', text === value);
    case '/':
      return cond('is equal to', text !== value);
    case '^':
      return cond('does not start with', text.startsWith(value));
    case '$':
      return cond('does not end with', text.endsWith(value));
    case '~':
      return cond('does not contain', text.includes(value));
    case '<':
    case '>': {
      if (field.int === undefined) return `${fieldname} is not an integer field`;
      // ccan reads the rune's value with strtol: C whitespace and a sign are fine, 64 bits.
      const m = C_LONG.exec(value);
      const limit = m ? BigInt(m[1]!.replace(/^\+/, '')) : undefined;
      if (limit === undefined || limit < INT64_MIN || limit > INT64_MAX) return `${value} is not a valid integer`;
      return condition === '<'
        ? cond('is greater or equal to', BigInt(field.int) < limit)
        : cond('is less or equal to', BigInt(field.int) > limit);
    }
    case '{':
      return cond('is equal to or ordered after', text < value);
    case '}':
      return cond('is equal to or ordered before', text > value);
  }
}

/**
 * The reason the first failing restriction fails (its alternatives' reasons joined by
 * ` AND `, as ccan/rune writes it), or undefined when every restriction holds. The
 * unique-id restriction is not a condition and is skipped.
 */
export function restrictionsFailure(rune: ParsedRune, evaluate: (alt: RuneAlternative) => string | undefined): string | undefined {
  for (const [index, restriction] of rune.restrictions.entries()) {
    if (index === 0 && rune.uniqueId !== undefined) continue;
    const failures: string[] = [];
    for (const alt of restriction) {
      const failure = evaluate(alt);
      if (failure === undefined) {
        failures.length = 0;
        break;
      }
      failures.push(failure);
    }
    if (failures.length) return failures.join(' AND ');
  }
  return undefined;
}

/**
 * Tests a rune's restrictions (not its authcode) against plain fields: values are strings,
 * and integers where they read as integers.
 */
export function fieldsFailure(rune: ParsedRune, fields: Record<string, string>): string | undefined {
  return restrictionsFailure(rune, (alt) =>
    testAlternative(alt, paramText(Object.hasOwn(fields, alt.fieldname) ? fields[alt.fieldname] : undefined)),
  );
}

/** Nanoseconds per `per` suffix (no suffix: seconds). */
const PER_UNITS: Record<string, bigint> = {
  '': 1_000_000_000n,
  sec: 1_000_000_000n,
  nsec: 1n,
  usec: 1000n,
  msec: 1_000_000n,
  min: 60_000_000_000n,
  hour: 3_600_000_000_000n,
  day: 86_400_000_000_000n,
};
const UINT32_MAX = 2n ** 32n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** strtoul(value, &end, 10) as Core Lightning reads `rate` and `per`: the number (undefined: no digits) and what follows it. */
function cUnsigned(value: string): { n: bigint; rest: string } | undefined {
  const m = new RegExp(`^${C_SPACE}([+-]?)(\\d+)`).exec(value);
  if (!m) return undefined;
  let n = BigInt(m[2]!);
  if (n > UINT64_MAX)
    n = UINT64_MAX; // ERANGE
  else if (m[1] === '-' && n !== 0n) n = 2n ** 64n - n; // C negates in unsigned arithmetic
  return { n, rest: value.slice(m[0].length) };
}

/** The minimum interval a `rate=` or `per=` alternative asks for, in ns, or its failure text (lightningd/runes.c). */
function interval(alt: RuneAlternative): bigint | string {
  const name = alt.fieldname;
  if (alt.condition !== '=') return `${name} operator must be =`;
  const read = cUnsigned(alt.value);
  if (name === 'rate') {
    if (!read || read.rest !== '' || read.n === 0n || read.n >= UINT32_MAX) return 'malformed rate';
    return 60_000_000_000n / read.n;
  }
  if (!read || read.n === 0n || read.n >= UINT32_MAX) return 'malformed per';
  const unit = PER_UNITS[read.rest];
  if (unit === undefined) return 'malformed suffix';
  return read.n * unit > UINT64_MAX ? 'per overflow' : read.n * unit;
}

/**
 * Whether checkrune takes a unique id as a number: strtoull(id, &end, 0) reads it whole
 * (C whitespace, a sign, hex `0x` or octal `0`; an empty id reads as 0) and it fits 63 bits.
 */
export function numericUniqueId(id: string | undefined): boolean {
  if (id === undefined) return false;
  const m = new RegExp(`^${C_SPACE}([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\\d*)$`).exec(id);
  if (!m) return id === '';
  const digits = m[2]!;
  let n = /^0[xX]/.test(digits) ? BigInt(digits) : digits.length > 1 && digits[0] === '0' ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  if (n > UINT64_MAX) return false;
  if (m[1] === '-' && n !== 0n) n = 2n ** 64n - n;
  return n <= INT64_MAX;
}

/**
 * A param as checkrune compares it: an integer JSON number as an integer, anything else as
 * its JSON text (a string without its quotes, escapes kept, as lightningd reads the token).
 */
function jsonField(value: unknown): FieldValue {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return { text: String(value), int: value };
  const json = JSON.stringify(value) ?? String(value);
  return { text: typeof value === 'string' ? json.slice(1, -1) : json };
}

/** Options of {@link createRuneChecker}. */
export interface RuneCheckerOptions {
  masterSecret: Uint8Array;
  /** Clock in ms (tests fix it). */
  now?: () => number;
}

/**
 * Where a rune failed, in checkrune's order: it does not parse (commando answers 19536
 * "Invalid rune" without asking checkrune), its unique id is not a number, it was not made
 * by this node, or a restriction does not hold for the call.
 */
export type RuneFailureStage = 'malformed' | 'unique-id' | 'not-authorized' | 'not-permitted';

export type RuneVerdict = { ok: true; rune: ParsedRune } | { ok: false; stage: RuneFailureStage; reason: string };

/** ccan/json_escape: what lightningd does to a failure text before it puts it in a message. */
function jsonEscape(text: string): string {
  const named: Record<string, string> = { '\n': 'n', '\b': 'b', '\f': 'f', '\t': 't', '\r': 'r', '\\': '\\', '"': '"' };
  return text.replace(/[\u0000-\u001f"\\\u007f]/g, (c) =>
    named[c] ? `\\${named[c]}` : `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
  );
}

/**
 * The error Core Lightning's `checkrune` answers for a failed verdict, word for word
 * (lightningd/runes.c): -32602 for a unique id that is not a number (with the rune's JSON
 * token), 1501 "Not authorized", 1502 "Not permitted" with the failure in plain words
 * (`pnameX` as "parameter X", `parrN` as "parameter #N", `pnum` as "number of parameters").
 * Commando answers it as 19537 "Invalid rune: " and this message.
 *
 * @example
 * ```ts
 * const verdict = checker.check(rune, { method: 'pay' });
 * if (!verdict.ok && verdict.stage !== 'malformed') console.log(checkruneError(verdict, JSON.stringify(rune)).message);
 * ```
 */
export function checkruneError(
  verdict: { stage: Exclude<RuneFailureStage, 'malformed'>; reason: string },
  runeToken: string,
): { code: number; message: string } {
  if (verdict.stage === 'unique-id') return { code: -32602, message: `rune: ${verdict.reason}: invalid token '${runeToken}'` };
  if (verdict.stage === 'not-authorized') return { code: 1501, message: `Not authorized: ${verdict.reason}` };
  let reason = jsonEscape(verdict.reason);
  if (reason.startsWith('pname')) reason = `parameter ${reason.slice(5)}`;
  else if (reason.startsWith('parr')) reason = `parameter #${reason.slice(4)}`;
  else if (reason.startsWith('pnum')) reason = `number of parameters${reason.slice(4)}`;
  else if (reason.startsWith('pinv')) reason = `invoice parameter ${reason.slice(4)}`;
  return { code: 1502, message: `Not permitted: ${reason}` };
}

/**
 * A stateful checker, one per node: like lightningd, it remembers when each unique id last
 * passed, which `rate=N` (at most one call per 60/N seconds) and `per=` limits are against.
 *
 * @example
 * ```ts
 * const checker = createRuneChecker({ masterSecret });
 * const verdict = checker.check(rune, { method: 'pay', params: { bolt11 }, peerId });
 * if (!verdict.ok) throw new Error(`${verdict.stage}: ${verdict.reason}`);
 * ```
 */
export function createRuneChecker(options: RuneCheckerOptions) {
  const now = options.now ?? Date.now;
  /** When each unique id last passed a check, in ms (lightningd keeps it in its database, `last_used_nsec`). */
  const lastUsed = new Map<string, number>();

  function check(runeText: string, request: RuneRequest): RuneVerdict {
    let rune: ParsedRune;
    try {
      rune = parseRune(runeText);
    } catch (e) {
      return { ok: false, stage: 'malformed', reason: e instanceof WireError ? e.message : 'malformed rune' };
    }
    if (!numericUniqueId(rune.uniqueId)) return { ok: false, stage: 'unique-id', reason: 'should have valid numeric unique_id' };
    const derivation = runeDerivationError(rune, options.masterSecret);
    if (derivation) return { ok: false, stage: 'not-authorized', reason: derivation };

    const t = now();
    const uid = rune.uniqueId!;
    const params = request.params;
    const named = new Map<string, unknown>();
    if (params && typeof params === 'object' && !Array.isArray(params)) {
      for (const [k, v] of Object.entries(params)) {
        // Core Lightning adds each name as it is, then with punctuation removed (pnameamountmsat); the first one stays.
        for (const name of [`pname${k}`, `pname${k.replace(/[!-/:-@[-`{-~]/g, '')}`]) if (!named.has(name)) named.set(name, v);
      }
    } else if (Array.isArray(params)) {
      params.forEach((v, i) => named.set(`parr${i}`, v));
    }
    const pnum = Array.isArray(params) ? params.length : params && typeof params === 'object' ? Object.keys(params).length : 0;
    const sinceLast = (ns: bigint): string | undefined => {
      const last = lastUsed.get(uid);
      return last !== undefined && BigInt(Math.max(0, t - last)) * 1_000_000n < ns ? 'too soon' : undefined;
    };

    const field = (alt: RuneAlternative): string | undefined => {
      switch (alt.fieldname) {
        case 'time':
          return testAlternative(alt, { text: String(Math.floor(t / 1000)), int: Math.floor(t / 1000) });
        case 'id':
          return testAlternative(alt, request.peerId === undefined ? undefined : { text: request.peerId });
        case 'method':
          return testAlternative(alt, jsonField(request.method));
        case 'pnum':
          return testAlternative(alt, { text: String(pnum), int: pnum });
        case 'rate':
        case 'per': {
          const ns = interval(alt);
          return typeof ns === 'string' ? ns : sinceLast(ns);
        }
        default:
          return testAlternative(alt, jsonField(named.get(alt.fieldname)));
      }
    };

    const failure = restrictionsFailure(rune, field);
    if (failure !== undefined) return { ok: false, stage: 'not-permitted', reason: failure };
    // Every call that passes is the unique id's last use, whatever its restrictions.
    lastUsed.set(uid, t);
    return { ok: true, rune };
  }

  return { check };
}
