/**
 * Core Lightning runes (ccan/rune, as lightningd and commando use them): bearer tokens
 * whose authcode is a SHA-256 midstate chained over the node's secret and each restriction,
 * so anyone can add restrictions and only the node can check them.
 */
import { base64url } from '@scure/base';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, equalBytes, textEncoder } from './bytes.ts';
import { WireError } from './errors.ts';

/**
 * `!` missing, `=` equal, `/` not equal, `^` starts with, `$` ends with, `~` contains,
 * `<` `>` integer compare, `{` `}` lexical compare, `#` comment.
 */
export type RuneCondition = '!' | '=' | '/' | '^' | '$' | '~' | '<' | '>' | '{' | '}' | '#';
export interface RuneAlternative {
  fieldname: string;
  condition: RuneCondition;
  value: string;
}
/** One restriction: it holds when any of its alternatives holds. */
export type RuneRestriction = RuneAlternative[];
export interface ParsedRune {
  /** The 32-byte SHA-256 midstate. */
  authcode: Uint8Array;
  restrictions: RuneRestriction[];
  uniqueId?: string;
  version?: string;
}

const CONDITIONS = new Set<string>(['!', '=', '/', '^', '$', '~', '<', '>', '{', '}', '#']);

const badRune = (why: string) => new WireError('BAD_RUNE', `malformed rune: ${why}`);

/** ccan's cispunct: ASCII punctuation. A fieldname ends at the first one that is not `_`. */
function isPunct(code: number): boolean {
  return (code >= 33 && code <= 47) || (code >= 58 && code <= 64) || (code >= 91 && code <= 96) || (code >= 123 && code <= 126);
}

// --- SHA-256 midstate -------------------------------------------------------------------
// Runes need the raw chaining state of SHA-256, which no library offers as an API. noble's
// SHA-256 object keeps it in fields it reads and writes with get()/set(); we use those and
// never touch the compression function.
interface Sha256Internals {
  get(): number[];
  set(...words: number[]): void;
  update(data: Uint8Array): unknown;
}

/** SHA-256 end padding used as a separator (ccan rune_sha256_endmarker). */
function endMarker(bytesSoFar: number): Uint8Array {
  const padLength = 1 + ((128 - 8 - (bytesSoFar % 64) - 1) % 64);
  const out = new Uint8Array(padLength + 8);
  out[0] = 0x80;
  const view = new DataView(out.buffer);
  const bits = bytesSoFar * 8;
  view.setUint32(padLength, Math.floor(bits / 0x1_0000_0000));
  view.setUint32(padLength + 4, bits >>> 0);
  return out;
}

interface Midstate {
  words: number[];
  bytes: number;
}

function absorb(state: Midstate | undefined, data: Uint8Array): Midstate {
  const hash = sha256.create() as unknown as Sha256Internals;
  if (state) hash.set(...state.words);
  const bytes = (state?.bytes ?? 0) + data.length;
  const marker = endMarker(bytes);
  hash.update(concatBytes(data, marker));
  return { words: hash.get(), bytes: bytes + marker.length };
}

function wordsToBytes(words: number[]): Uint8Array {
  const out = new Uint8Array(32);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setUint32(i * 4, w >>> 0));
  return out;
}

function bytesToWords(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 32);
  return Array.from({ length: 8 }, (_, i) => view.getUint32(i * 4) | 0);
}

function masterState(secret: Uint8Array): Midstate {
  if (!(secret instanceof Uint8Array) || secret.length === 0 || secret.length + 9 > 64) {
    throw new WireError('INVALID_ARGUMENT', 'masterSecret must be 1 to 55 bytes (Core Lightning uses 32)');
  }
  return absorb(undefined, secret);
}

// --- text form --------------------------------------------------------------------------

/** Writes one restriction as rune text, escaping `\`, `|` and `&` in values (ccan coding.c). */
export function restrictionToString(restriction: RuneRestriction): string {
  return restriction.map((a) => a.fieldname + a.condition + a.value.replace(/[\\|&]/g, (c) => `\\${c}`)).join('|');
}

/** Reads restrictions from rune text; `single` requires exactly one (no `&`). */
function decodeRestrictions(text: string, single: boolean): RuneRestriction[] {
  const restrictions: RuneRestriction[] = [];
  let i = 0;
  while (i < text.length) {
    const restriction: RuneRestriction = [];
    let more = true;
    while (more) {
      let start = i;
      while (i < text.length && !(isPunct(text.charCodeAt(i)) && text[i] !== '_')) i++;
      const fieldname = text.slice(start, i);
      const condition = text[i++];
      if (condition === undefined || !CONDITIONS.has(condition)) throw badRune(`bad condition after "${fieldname.slice(0, 40)}"`);
      let value = '';
      more = false;
      for (;;) {
        if (i >= text.length) break;
        const c = text[i++]!;
        if (c === '|') {
          more = true;
          break;
        }
        if (c === '&') break;
        if (c === '\\') {
          if (i >= text.length) throw badRune('trailing backslash');
          value += text[i++];
        } else {
          start = i - 1;
          // Copy a run of plain characters at once: linear time on long values.
          while (i < text.length && text[i] !== '|' && text[i] !== '&' && text[i] !== '\\') i++;
          value += text.slice(start, i);
        }
      }
      restriction.push({ fieldname, condition: condition as RuneCondition, value });
      if (more && i >= text.length) throw badRune('dangling |');
    }
    restrictions.push(restriction);
    if (single && i < text.length) throw badRune('more than one restriction');
  }
  return restrictions;
}

/** Parses one restriction written as text, e.g. `method^list|method^get`. */
export function parseRestriction(text: string): RuneRestriction {
  if (typeof text !== 'string' || text.length === 0) throw badRune('empty restriction');
  const [restriction] = decodeRestrictions(text, true);
  return restriction!;
}

/** Applies ccan's rule for the unique-id restriction: first, alone, `=`, value `id[-version]`. */
function uniqueIdOf(restrictions: RuneRestriction[]): { uniqueId?: string; version?: string } {
  restrictions.forEach((r, index) => {
    if (r.some((a) => a.fieldname === '') && (index !== 0 || r.length !== 1 || r[0]!.condition !== '=')) {
      throw badRune('a unique id must be the first restriction, alone, with =');
    }
  });
  const first = restrictions[0];
  if (!first || first[0]!.fieldname !== '') return {};
  const value = first[0]!.value;
  const dash = value.indexOf('-');
  return dash < 0 ? { uniqueId: value } : { uniqueId: value.slice(0, dash), version: value.slice(dash + 1) };
}

const URLSAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const SIXBITS = /* @__PURE__ */ (() => {
  const map = new Int8Array(128).fill(-1);
  for (let i = 0; i < 64; i++) map[URLSAFE.charCodeAt(i)] = i;
  return map;
})();

/**
 * base64url as Core Lightning reads a rune (ccan/base64 with the URL-safe alphabet, as
 * rune_from_base64n calls it): whole quartets, then a tail of up to four characters whose
 * trailing `=` are dropped (one character left is malformed). Unused bits of the last
 * character are ignored and `=` anywhere but that tail is malformed. @scure/base is stricter
 * on both counts, so a rune the node takes would be refused here: this decoder is written
 * out to accept exactly what the node accepts. Undefined when malformed.
 */
function decodeRuneBase64(text: string): Uint8Array | undefined {
  const out = new Uint8Array(Math.ceil(text.length / 4) * 3);
  let n = 0;
  const quartet = (chars: string): boolean => {
    const v = [0, 1, 2, 3].map((i) => {
      const code = chars.charCodeAt(i);
      return code < 128 ? SIXBITS[code]! : -1;
    });
    if (v.some((x) => x < 0)) return false;
    out[n] = (v[0]! << 2) | (v[1]! >> 4);
    out[n + 1] = ((v[1]! & 0xf) << 4) | (v[2]! >> 2);
    out[n + 2] = ((v[2]! & 0x3) << 6) | v[3]!;
    return true;
  };
  let i = 0;
  for (; text.length - i > 4; i += 4, n += 3) if (!quartet(text.slice(i, i + 4))) return undefined;
  const tail = text.slice(i).replace(/=+$/, '');
  if (tail.length === 1) return undefined;
  if (tail.length > 1) {
    if (!quartet(tail.padEnd(4, 'A'))) return undefined;
    n += tail.length - 1;
  }
  return out.subarray(0, n);
}

/** Restriction text as ccan reads it: bytes, not checked as UTF-8 (a bad sequence reads as U+FFFD, and then matches no authcode). */
const lenientText = /* @__PURE__ */ new TextDecoder('utf-8');

/**
 * Parses a rune string (base64url, padded or not), accepting exactly what Core Lightning's
 * rune_from_base64n accepts.
 * @throws WireError `BAD_RUNE` for anything malformed.
 */
export function parseRune(rune: string): ParsedRune {
  if (typeof rune !== 'string') throw badRune('not a string');
  if (rune.length > 1_000_000) throw badRune('too long');
  const bytes = decodeRuneBase64(rune);
  if (!bytes) throw badRune('not base64url');
  if (bytes.length < 32) throw badRune('shorter than its 32-byte authcode');
  const body = bytes.subarray(32);
  if (body.includes(0)) throw badRune('NUL in restrictions');
  const restrictions = decodeRestrictions(lenientText.decode(body), false);
  return { authcode: bytes.slice(0, 32), restrictions, ...uniqueIdOf(restrictions) };
}

/** Writes a parsed rune back as Core Lightning does (padded base64url). */
export function encodeRune(rune: ParsedRune): string {
  const text = rune.restrictions.map(restrictionToString).join('&');
  return base64url.encode(concatBytes(rune.authcode, textEncoder.encode(text)));
}

function toRestriction(r: string | RuneRestriction): RuneRestriction {
  if (typeof r === 'string') return parseRestriction(r);
  if (!Array.isArray(r) || r.length === 0) throw badRune('a restriction needs at least one alternative');
  for (const a of r) {
    if (!a || typeof a.fieldname !== 'string' || !CONDITIONS.has(a.condition) || typeof a.value !== 'string') {
      throw badRune('alternative needs fieldname, condition and value');
    }
    if ([...a.fieldname].some((c) => isPunct(c.charCodeAt(0)) && c !== '_')) throw badRune(`fieldname "${a.fieldname}" has punctuation`);
  }
  return r.map((a) => ({ ...a }));
}

function addRestrictions(state: Midstate, restrictions: RuneRestriction[]): Midstate {
  for (const r of restrictions) state = absorb(state, textEncoder.encode(restrictionToString(r)));
  return state;
}

/** Options of {@link createRune}. */
export interface CreateRuneOptions {
  /** The node's rune secret (Core Lightning derives 32 bytes from its HSM secret). */
  masterSecret: Uint8Array;
  /** Restrictions as text (`method^list|method^get`) or as alternatives. */
  restrictions?: Array<string | RuneRestriction>;
  /** Unique id, as `createrune` numbers them; it goes first, as `=N`. */
  uniqueId?: string | number;
  version?: string;
}

/**
 * Makes a rune exactly as Core Lightning's `createrune` writes it.
 *
 * @example
 * ```ts
 * const readonly = createRune({ masterSecret, uniqueId: 1, restrictions: ['method^list|method^get|method=summary', 'method/listdatastore'] });
 * ```
 */
export function createRune(options: CreateRuneOptions): string {
  const restrictions = (options.restrictions ?? []).map(toRestriction);
  if (options.uniqueId !== undefined) {
    const id = String(options.uniqueId);
    if (id.includes('-')) throw new WireError('INVALID_ARGUMENT', 'uniqueId must not contain -');
    restrictions.unshift([{ fieldname: '', condition: '=', value: options.version ? `${id}-${options.version}` : id }]);
  }
  uniqueIdOf(restrictions);
  const state = addRestrictions(masterState(options.masterSecret), restrictions);
  return encodeRune({ authcode: wordsToBytes(state.words), restrictions });
}

/** Bytes hashed so far by a rune with these restrictions: the secret's block, then each padded one. */
function stateOf(rune: ParsedRune): Midstate {
  let bytes = 64;
  for (const r of rune.restrictions) {
    const n = textEncoder.encode(restrictionToString(r)).length;
    bytes += n + endMarker(bytes + n).length;
  }
  return { words: bytesToWords(rune.authcode), bytes };
}

/** Adds restrictions to an existing rune; no secret needed (the point of runes). */
export function restrictRune(rune: string, restrictions: Array<string | RuneRestriction>): string {
  const parsed = parseRune(rune);
  const added = restrictions.map(toRestriction);
  const all = [...parsed.restrictions, ...added];
  uniqueIdOf(all); // a unique id may only be added to a rune that has no restriction yet
  const state = addRestrictions(stateOf(parsed), added);
  return encodeRune({ authcode: wordsToBytes(state.words), restrictions: all });
}

/** Does this rune come from that secret (authcode and version)? Returns the failure, or undefined. */
export function runeDerivationError(rune: ParsedRune, masterSecret: Uint8Array): string | undefined {
  if (rune.version !== undefined) return 'Version mismatch';
  const state = addRestrictions(masterState(masterSecret), rune.restrictions);
  return equalBytes(wordsToBytes(state.words), rune.authcode) ? undefined : 'Not derived from master';
}
