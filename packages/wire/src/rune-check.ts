/**
 * Checking a rune against a call, as Core Lightning's checkrune and commando do: derived
 * from the master secret, and every restriction (but the unique id) has an alternative that
 * holds for the call's method, params, peer id and time, with `rate` and `per` limits.
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
      if (!INTEGER.test(value) || !Number.isSafeInteger(Number(value))) return `${value} is not a valid integer`;
      return condition === '<'
        ? cond('is greater or equal to', field.int < Number(value))
        : cond('is less or equal to', field.int > Number(value));
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
  return restrictionsFailure(rune, (alt) => testAlternative(alt, paramText(Object.hasOwn(fields, alt.fieldname) ? fields[alt.fieldname] : undefined)));
}

const UNITS: Record<string, number> = { nsec: 1e-6, usec: 1e-3, msec: 1, sec: 1000, min: 60_000, hour: 3_600_000, day: 86_400_000 };

/** `per=5sec` → 5000 ms; undefined if malformed. */
function perMillis(value: string): number | undefined {
  const m = /^(\d+)(nsec|usec|msec|sec|min|hour|day)?$/.exec(value);
  if (!m) return undefined;
  const ms = Number(m[1]) * UNITS[m[2] ?? 'sec']!;
  return ms > 0 ? ms : undefined;
}

/** Options of {@link createRuneChecker}. */
export interface RuneCheckerOptions {
  masterSecret: Uint8Array;
  /** Clock in ms (tests fix it). */
  now?: () => number;
}

export type RuneVerdict = { ok: true; rune: ParsedRune } | { ok: false; reason: string };

/**
 * A stateful checker (rate limits count across calls), one per node.
 *
 * @example
 * ```ts
 * const checker = createRuneChecker({ masterSecret });
 * const verdict = checker.check(rune, { method: 'pay', params: { bolt11 }, peerId });
 * if (!verdict.ok) throw new Error(`Not permitted: ${verdict.reason}`);
 * ```
 */
export function createRuneChecker(options: RuneCheckerOptions) {
  const now = options.now ?? Date.now;
  // Per unique id: calls this minute (rate), and last call per `per` restriction.
  let minute = Math.floor(now() / 60_000);
  const rateCounters = new Map<string, number>();
  const lastCall = new Map<string, number>();

  function check(runeText: string, request: RuneRequest): RuneVerdict {
    let rune: ParsedRune;
    try {
      rune = parseRune(runeText);
    } catch (e) {
      return { ok: false, reason: e instanceof WireError ? e.message : 'malformed rune' };
    }
    const derivation = runeDerivationError(rune, options.masterSecret);
    if (derivation) return { ok: false, reason: derivation };

    const t = now();
    if (Math.floor(t / 60_000) !== minute) {
      // Core Lightning forgets its rate counters every minute.
      minute = Math.floor(t / 60_000);
      rateCounters.clear();
    }
    const uid = rune.uniqueId ?? '';
    const params = request.params;
    const named = new Map<string, unknown>();
    if (params && typeof params === 'object' && !Array.isArray(params)) {
      for (const [k, v] of Object.entries(params)) {
        named.set(`pname${k}`, v);
        // Core Lightning matches names with punctuation removed, e.g. pnameamountmsat.
        named.set(`pname${k.replace(/[!-/:-@[-`{-~]/g, '')}`, v);
      }
    } else if (Array.isArray(params)) {
      params.forEach((v, i) => named.set(`parr${i}`, v));
    }
    const pnum = Array.isArray(params) ? params.length : params && typeof params === 'object' ? Object.keys(params).length : 0;
    let usesRate = false;
    const perHits: string[] = [];

    const field = (alt: RuneAlternative): string | undefined => {
      switch (alt.fieldname) {
        case 'time':
          return testAlternative(alt, { text: String(Math.floor(t / 1000)), int: Math.floor(t / 1000) });
        case 'id':
          return testAlternative(alt, request.peerId === undefined ? undefined : { text: request.peerId });
        case 'method':
          return testAlternative(alt, { text: request.method });
        case 'pnum':
          return testAlternative(alt, { text: String(pnum), int: pnum });
        case 'rate': {
          if (alt.condition !== '=') return 'rate operator must be =';
          const r = Number(alt.value);
          if (!INTEGER.test(alt.value) || r <= 0 || r >= 2 ** 32) return 'malformed rate';
          usesRate = true;
          return (rateCounters.get(uid) ?? 0) >= r ? `Rate of ${r} per minute exceeded` : undefined;
        }
        case 'per': {
          if (alt.condition !== '=') return 'per operator must be =';
          const ms = perMillis(alt.value);
          if (ms === undefined) return 'malformed per';
          const key = `${uid}/${alt.value}`;
          const last = lastCall.get(key);
          if (last !== undefined && t - last < ms) return `Too soon: per ${alt.value}`;
          perHits.push(key);
          return undefined;
        }
        default:
          return testAlternative(alt, paramText(named.get(alt.fieldname)));
      }
    };

    const failure = restrictionsFailure(rune, field);
    if (failure !== undefined) return { ok: false, reason: failure };
    // Counters move only when the whole rune passed.
    if (usesRate) rateCounters.set(uid, (rateCounters.get(uid) ?? 0) + 1);
    for (const key of perHits) lastCall.set(key, t);
    return { ok: true, rune };
  }

  return { check };
}
