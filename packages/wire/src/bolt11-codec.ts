/**
 * BOLT 11 invoices: decode (with signature check or payee recovery) and encode + sign.
 *
 * Written here rather than taken from npm: the maintained decoders (e.g. light-bolt11-decoder)
 * cannot encode or sign, and the one package that can (`bolt11`) pulls in bn.js, elliptic
 * and Buffer. This module uses only @scure/base (bech32) and @noble (secp256k1, SHA-256),
 * which the wire already ships, and runs unchanged in browsers and Node.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { bech32 } from '@scure/base';
import { AmpkitError } from './errors.ts';
import { CURVE_ORDER, getPublicKey, recoverPublicKey, Signature, signRecoverable, verify } from './secp256k1.ts';

/** Why an invoice was refused. */
export type Bolt11Reason =
  'BECH32' | 'PREFIX' | 'AMOUNT' | 'SUB_MSAT' | 'TOO_SHORT' | 'SIGNATURE' | 'MISSING_FIELD' | 'UNKNOWN_REQUIRED_FEATURE' | 'FIELD';

/** A malformed or unverifiable invoice: `code` is `BAD_INVOICE`, `reason` says which rule failed. */
export class Bolt11Error extends AmpkitError {
  declare readonly code: 'BAD_INVOICE';
  readonly reason: Bolt11Reason;
  constructor(reason: Bolt11Reason, message: string) {
    super('BAD_INVOICE', `invalid invoice: ${message}`);
    this.name = 'Bolt11Error';
    this.reason = reason;
  }
}

/** One hop of a route hint (`r` field). */
export interface RouteHintHop {
  pubkey: string;
  short_channel_id: string;
  fee_base_msat: number;
  fee_proportional_millionths: number;
  cltv_expiry_delta: number;
}

/** A decoded invoice, with Core Lightning `decode`'s field names. */
export interface Bolt11Invoice {
  currency: string;
  created_at: number;
  /** Seconds after `created_at` (default 3600). */
  expiry: number;
  /** The payee's node id: the `n` field, or recovered from the signature. */
  payee: string;
  amount_msat?: number;
  description?: string;
  description_hash?: string;
  /** Default 18. */
  min_final_cltv_expiry: number;
  payment_secret?: string;
  /** The feature bitfield as hex, most significant byte first, as `decode` shows it. */
  features?: string;
  routes?: RouteHintHop[][];
  fallbacks?: { version: number; hex: string }[];
  payment_metadata?: string;
  payment_hash: string;
  /** DER, hex. */
  signature: string;
  /** The set feature bits, ascending. */
  featureBits: number[];
}

/** What {@link encodeBolt11} needs. */
export interface EncodeBolt11Options {
  currency: string;
  amount_msat?: number;
  created_at: number;
  payment_hash: string;
  payment_secret: string;
  description?: string;
  description_hash?: string;
  expiry?: number;
  min_final_cltv_expiry?: number;
  features?: number[];
  routes?: RouteHintHop[][];
  payment_metadata?: string;
  /** Write the `n` field (the payee's node id) instead of relying on recovery. */
  includePayee?: boolean;
}

// Tag values: the bech32 character's index (BOLT 11 §Tagged Fields).
const TAG = { p: 1, s: 16, d: 13, h: 23, n: 19, x: 6, c: 24, f: 9, r: 3, features: 5, m: 27 } as const;
/** Feature bits this codec understands (BOLT 9): var_onion_optin, payment_secret, basic_mpp, payment_metadata. */
const KNOWN_FEATURES = new Set([8, 9, 14, 15, 16, 17, 48, 49]);
const SIGNATURE_WORDS = 104;
const MSAT_PER_BTC = 100_000_000_000n;
const MULTIPLIER: Record<string, bigint> = { m: 100_000_000n, u: 100_000n, n: 100n };
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * 5-bit words to bytes. Field data drops the incomplete last bits (`pad` false); the signed
 * data is zero-padded to a whole byte instead (BOLT 11 §Requirements).
 */
function wordsToBytes(words: number[], pad = false): Uint8Array {
  const out = new Uint8Array(pad ? Math.ceil((words.length * 5) / 8) : Math.floor((words.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let i = 0;
  for (const w of words) {
    acc = (acc << 5) | w;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[i++] = (acc >> bits) & 0xff;
    }
    acc &= (1 << bits) - 1;
  }
  if (pad && bits > 0) out[i] = (acc << (8 - bits)) & 0xff;
  return out;
}

function wordsToInt(words: number[]): number {
  let n = 0;
  for (const w of words) n = n * 32 + w;
  return n;
}

function intToWords(n: number): number[] {
  const words: number[] = [];
  do {
    words.unshift(n % 32);
    n = Math.floor(n / 32);
  } while (n > 0);
  return words;
}

function parseAmount(amount: string): number | undefined {
  if (amount === '') return undefined;
  const m = /^(\d+)([a-z]?)$/.exec(amount);
  if (!m) throw new Bolt11Error('AMOUNT', `bad amount '${amount}'`);
  const [, digits, unit] = m as unknown as [string, string, string];
  if (digits.length > 1 && digits.startsWith('0')) throw new Bolt11Error('AMOUNT', 'amount has leading zeros');
  const value = BigInt(digits);
  let msat: bigint;
  if (unit === '') msat = value * MSAT_PER_BTC;
  else if (unit === 'p') {
    // 1 pico-bitcoin is a tenth of a millisatoshi.
    if (value % 10n !== 0n) throw new Bolt11Error('SUB_MSAT', 'amount is not a whole number of millisatoshi');
    msat = value / 10n;
  } else if (MULTIPLIER[unit] !== undefined) msat = value * MULTIPLIER[unit]!;
  else throw new Bolt11Error('AMOUNT', `invalid multiplier '${unit}'`);
  if (msat > BigInt(Number.MAX_SAFE_INTEGER)) throw new Bolt11Error('AMOUNT', 'amount too large');
  // "lnbc0…" would ask for nothing: an invoice for any amount leaves the amount out.
  if (msat === 0n) throw new Bolt11Error('AMOUNT', 'amount is zero');
  return Number(msat);
}

function encodeAmount(msat: number): string {
  if (!Number.isSafeInteger(msat) || msat <= 0) throw new Bolt11Error('AMOUNT', 'amount_msat must be a positive safe integer');
  const v = BigInt(msat);
  if (v % MSAT_PER_BTC === 0n) return `${v / MSAT_PER_BTC}`;
  for (const unit of ['m', 'u', 'n'] as const) if (v % MULTIPLIER[unit]! === 0n) return `${v / MULTIPLIER[unit]!}${unit}`;
  return `${v * 10n}p`;
}

function featureBitsOf(words: number[]): number[] {
  const bits: number[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[words.length - 1 - i]!;
    for (let b = 0; b < 5; b++) if (w & (1 << b)) bits.push(i * 5 + b);
  }
  return bits;
}

function featureHex(bits: number[]): string {
  if (bits.length === 0) return '';
  const top = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(top / 8) + 1);
  for (const b of bits) bytes[bytes.length - 1 - Math.floor(b / 8)]! |= 1 << (b % 8);
  return bytesToHex(bytes);
}

function readRoute(bytes: Uint8Array): RouteHintHop[] {
  if (bytes.length === 0 || bytes.length % 51 !== 0) throw new Bolt11Error('FIELD', 'r field is not a whole number of hops');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hops: RouteHintHop[] = [];
  for (let o = 0; o < bytes.length; o += 51) {
    const block = (bytes[o + 33]! << 16) | (bytes[o + 34]! << 8) | bytes[o + 35]!;
    const tx = (bytes[o + 36]! << 16) | (bytes[o + 37]! << 8) | bytes[o + 38]!;
    const out = view.getUint16(o + 39);
    hops.push({
      pubkey: bytesToHex(bytes.subarray(o, o + 33)),
      short_channel_id: `${block}x${tx}x${out}`,
      fee_base_msat: view.getUint32(o + 41),
      fee_proportional_millionths: view.getUint32(o + 45),
      cltv_expiry_delta: view.getUint16(o + 49),
    });
  }
  return hops;
}

function writeRoute(route: RouteHintHop[]): Uint8Array {
  const bytes = new Uint8Array(route.length * 51);
  const view = new DataView(bytes.buffer);
  route.forEach((hop, i) => {
    const o = i * 51;
    bytes.set(hexToBytes(hop.pubkey), o);
    const [block, tx, out] = hop.short_channel_id.split('x').map(Number) as [number, number, number];
    bytes.set([block >> 16, (block >> 8) & 0xff, block & 0xff, tx >> 16, (tx >> 8) & 0xff, tx & 0xff], o + 33);
    view.setUint16(o + 39, out);
    view.setUint32(o + 41, hop.fee_base_msat);
    view.setUint32(o + 45, hop.fee_proportional_millionths);
    view.setUint16(o + 49, hop.cltv_expiry_delta);
  });
  return bytes;
}

function splitHrp(hrp: string): { currency: string; amount?: number } {
  if (!hrp.startsWith('ln')) throw new Bolt11Error('PREFIX', 'prefix does not start with ln');
  const m = /^ln([a-z]+?)(\d.*)?$/.exec(hrp);
  if (!m || !m[1]) throw new Bolt11Error('PREFIX', `unknown prefix '${hrp}'`);
  const amount = parseAmount(m[2] ?? '');
  return amount === undefined ? { currency: m[1] } : { currency: m[1], amount };
}

/**
 * Decodes and verifies a BOLT 11 invoice. Upper-case invoices are accepted; fields of the
 * wrong length are skipped and unknown fields ignored, as BOLT 11 asks of readers.
 *
 * @throws {Bolt11Error} for a bad checksum, prefix, amount or signature, a missing `p` or
 *   `s` field, or an unknown required (even) feature bit.
 */
export function decodeBolt11(invoice: string): Bolt11Invoice {
  if (typeof invoice !== 'string') throw new Bolt11Error('BECH32', 'not a string');
  let decoded: { prefix: string; words: number[] };
  try {
    decoded = bech32.decode(
      invoice.toLowerCase() === invoice || invoice.toUpperCase() === invoice ? invoice.toLowerCase() : invoice,
      false,
    );
  } catch (error) {
    throw new Bolt11Error('BECH32', (error as Error).message);
  }
  const { prefix, words } = decoded;
  const { currency, amount } = splitHrp(prefix);
  if (words.length < 7 + SIGNATURE_WORDS) throw new Bolt11Error('TOO_SHORT', 'too short for a timestamp and a signature');
  const data = words.slice(0, words.length - SIGNATURE_WORDS);
  const sigBytes = wordsToBytes(words.slice(words.length - SIGNATURE_WORDS));
  const out: Partial<Bolt11Invoice> & { featureBits: number[] } = { currency, created_at: wordsToInt(data.slice(0, 7)), featureBits: [] };
  if (amount !== undefined) out.amount_msat = amount;
  let payeeField: Uint8Array | undefined;
  let i = 7;
  while (i < data.length) {
    if (i + 3 > data.length) throw new Bolt11Error('FIELD', 'truncated tagged field');
    const tag = data[i]!;
    const len = data[i + 1]! * 32 + data[i + 2]!;
    const field = data.slice(i + 3, i + 3 + len);
    if (field.length !== len) throw new Bolt11Error('FIELD', 'tagged field runs past the end');
    i += 3 + len;
    switch (tag) {
      case TAG.p:
        if (len === 52 && out.payment_hash === undefined) out.payment_hash = bytesToHex(wordsToBytes(field));
        break;
      case TAG.s:
        if (len === 52 && out.payment_secret === undefined) out.payment_secret = bytesToHex(wordsToBytes(field));
        break;
      case TAG.h:
        if (len === 52) out.description_hash = bytesToHex(wordsToBytes(field));
        break;
      case TAG.n:
        if (len === 53) payeeField = wordsToBytes(field);
        break;
      case TAG.d:
        try {
          out.description = textDecoder.decode(wordsToBytes(field));
        } catch {
          throw new Bolt11Error('FIELD', 'description is not UTF-8');
        }
        break;
      case TAG.x:
        out.expiry = wordsToInt(field);
        break;
      case TAG.c:
        out.min_final_cltv_expiry = wordsToInt(field);
        break;
      case TAG.f:
        if (len > 0) (out.fallbacks ??= []).push({ version: field[0]!, hex: bytesToHex(wordsToBytes(field.slice(1))) });
        break;
      case TAG.r:
        (out.routes ??= []).push(readRoute(wordsToBytes(field)));
        break;
      case TAG.features: {
        const bits = featureBitsOf(field);
        const unknown = bits.find((b) => b % 2 === 0 && !KNOWN_FEATURES.has(b));
        if (unknown !== undefined) throw new Bolt11Error('UNKNOWN_REQUIRED_FEATURE', `unknown required feature bit ${unknown}`);
        out.featureBits = bits;
        out.features = featureHex(bits);
        break;
      }
      case TAG.m:
        out.payment_metadata = bytesToHex(wordsToBytes(field));
        break;
      default:
      // Unknown fields are skipped (BOLT 11: "MUST skip over unknown fields").
    }
  }
  if (out.payment_hash === undefined) throw new Bolt11Error('MISSING_FIELD', 'no payment hash (p)');
  if (out.payment_secret === undefined) throw new Bolt11Error('MISSING_FIELD', 'no payment secret (s)');
  const hash = sha256(concatBytes(utf8ToBytes(prefix), wordsToBytes(data, true)));
  const recid = sigBytes[64]!;
  if (recid > 3) throw new Bolt11Error('SIGNATURE', 'bad recovery id');
  let signature;
  try {
    signature = Signature.fromBytes(sigBytes.subarray(0, 64), 'compact').addRecoveryBit(recid);
  } catch {
    throw new Bolt11Error('SIGNATURE', 'malformed signature');
  }
  if (payeeField) {
    // With an explicit payee, the signature must verify and be low-S (BOLT 11).
    let valid = false;
    try {
      valid = verify(sigBytes.subarray(0, 64), hash, payeeField, { prehash: false, lowS: true });
    } catch {
      valid = false;
    }
    if (!valid) throw new Bolt11Error('SIGNATURE', 'signature does not verify for the payee in n');
    out.payee = bytesToHex(payeeField);
  } else {
    try {
      // BOLT 11 readers accept high-S here: like libsecp256k1, recover from the low-S twin
      // with the same recovery id.
      const low = signature.hasHighS() ? new Signature(signature.r, CURVE_ORDER - signature.s, recid) : signature;
      out.payee = bytesToHex(recoverPublicKey(low.toBytes('recovered'), hash, { prehash: false }));
    } catch {
      throw new Bolt11Error('SIGNATURE', 'signature is not recoverable');
    }
  }
  out.signature = bytesToHex(derSignature(signature.r, signature.s));
  return {
    currency: out.currency!,
    created_at: out.created_at!,
    expiry: out.expiry ?? 3600,
    payee: out.payee,
    ...(out.amount_msat !== undefined ? { amount_msat: out.amount_msat } : {}),
    ...(out.description !== undefined ? { description: out.description } : {}),
    ...(out.description_hash !== undefined ? { description_hash: out.description_hash } : {}),
    min_final_cltv_expiry: out.min_final_cltv_expiry ?? 18,
    payment_secret: out.payment_secret,
    ...(out.features !== undefined ? { features: out.features } : {}),
    ...(out.routes ? { routes: out.routes } : {}),
    ...(out.fallbacks ? { fallbacks: out.fallbacks } : {}),
    ...(out.payment_metadata !== undefined ? { payment_metadata: out.payment_metadata } : {}),
    payment_hash: out.payment_hash,
    signature: out.signature,
    featureBits: out.featureBits,
  };
}

/**
 * DER (X.690 SEQUENCE of two INTEGERs) of a signature, as Core Lightning's `decode` prints it:
 * @noble/secp256k1 serialises compact signatures only. Each integer is minimal, with a zero
 * byte before a set top bit; r and s are below n, so every length fits the short form.
 */
function derSignature(r: bigint, s: bigint): Uint8Array {
  const integer = (n: bigint) => {
    const hex = n.toString(16);
    const bytes = hexToBytes(hex.length % 2 ? `0${hex}` : hex);
    const body = bytes[0]! & 0x80 ? concatBytes(Uint8Array.of(0), bytes) : bytes;
    return concatBytes(Uint8Array.of(0x02, body.length), body);
  };
  const sequence = concatBytes(integer(r), integer(s));
  return concatBytes(Uint8Array.of(0x30, sequence.length), sequence);
}

function field(tag: number, words: number[]): number[] {
  if (words.length >= 1024) throw new Bolt11Error('FIELD', 'field too long');
  return [tag, words.length >> 5, words.length & 31, ...words];
}

function hexField(tag: number, hex: string, bytes: number, name: string): number[] {
  if (!new RegExp(`^[0-9a-f]{${bytes * 2}}$`, 'i').test(hex)) throw new Bolt11Error('FIELD', `${name} must be ${bytes} bytes of hex`);
  return field(tag, bech32.toWords(hexToBytes(hex)));
}

/**
 * Encodes and signs an invoice with the payee's private key (deterministic RFC 6979, low-S).
 * Fields are written in Core Lightning's order: s, p, d/h, n, x, c, r, 9, m.
 */
export function encodeBolt11(options: EncodeBolt11Options, privateKey: Uint8Array): string {
  const o = options;
  if (!/^[a-z]+$/.test(o.currency)) throw new Bolt11Error('PREFIX', 'currency must be lower-case letters');
  if (!Number.isSafeInteger(o.created_at) || o.created_at < 0 || o.created_at >= 2 ** 35)
    throw new Bolt11Error('FIELD', 'created_at out of range');
  const prefix = `ln${o.currency}${o.amount_msat === undefined ? '' : encodeAmount(o.amount_msat)}`;
  const ts = intToWords(o.created_at);
  const words: number[] = [...new Array(7 - ts.length).fill(0), ...ts];
  words.push(...hexField(TAG.s, o.payment_secret, 32, 'payment_secret'));
  words.push(...hexField(TAG.p, o.payment_hash, 32, 'payment_hash'));
  if (o.description_hash !== undefined) words.push(...hexField(TAG.h, o.description_hash, 32, 'description_hash'));
  else words.push(...field(TAG.d, bech32.toWords(utf8ToBytes(o.description ?? ''))));
  if (o.includePayee) words.push(...field(TAG.n, bech32.toWords(getPublicKey(privateKey, true))));
  if (o.expiry !== undefined && o.expiry !== 3600) words.push(...field(TAG.x, intToWords(o.expiry)));
  if (o.min_final_cltv_expiry !== undefined) words.push(...field(TAG.c, intToWords(o.min_final_cltv_expiry)));
  for (const route of o.routes ?? []) words.push(...field(TAG.r, bech32.toWords(writeRoute(route))));
  if (o.features?.length) {
    const top = Math.max(...o.features);
    const fw = new Array<number>(Math.floor(top / 5) + 1).fill(0);
    for (const b of o.features) fw[fw.length - 1 - Math.floor(b / 5)]! |= 1 << (b % 5);
    words.push(...field(TAG.features, fw));
  }
  if (o.payment_metadata !== undefined) words.push(...field(TAG.m, bech32.toWords(hexToBytes(o.payment_metadata))));
  const hash = sha256(concatBytes(utf8ToBytes(prefix), wordsToBytes(words, true)));
  const sig = signRecoverable(hash, privateKey);
  // noble puts the recovery id first; BOLT 11 puts it last.
  const sig65 = concatBytes(sig.subarray(1), sig.subarray(0, 1));
  return bech32.encode(prefix, [...words, ...bech32.toWords(sig65)], false);
}
