/**
 * The journal's records as they must be to be used (docs/design.md, "Trust": journal
 * records are validated on read; a bad one is quarantined, never trusted, never blocking
 * others). Both stores run every record they read through these checks: a disk that flipped
 * bits, an extension or a hand that edited IndexedDB, another version of ampkit that wrote
 * a shape this one does not know — none of it reaches the engine as a record.
 *
 * The checks are those the engine relies on: keys and ids are what the stores index by,
 * amounts are whole, exact millisatoshi, a status is one of the three, a route is one
 * `sendpay` takes (validate.ts `checkRoute`), and a preimage is a proof: it hashes to the
 * payment hash (docs/design.md, "Trust": "a preimage is a proof only when it hashes to the
 * payment hash", wherever it enters). Fields the checks do not know are left alone, so a
 * newer version's additions do not make a record bad here.
 */
import { AmpkitError } from '../errors.ts';
import type { PartialPayment, Payment } from '../types.ts';
import { checkRoute, isPreimageOf } from '../validate.ts';
import type { StoredInvoice } from './store.ts';

const HEX32 = /^[0-9a-f]{64}$/;
const HEX = /^(?:[0-9a-f]{2})+$/;
const PUBKEY = /^0[23][0-9a-f]{64}$/;

/** Thrown by the checks below, caught by {@link recordProblem}; never leaves this module. */
class Bad {
  constructor(readonly why: string) {}
}

function bad(why: string): never {
  throw new Bad(why);
}

type Fields = Record<string, unknown>;

function object(value: unknown): Fields {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) bad('is not an object');
  return value as Fields;
}

/** A whole number, 0 or more, exactly representable (amounts, ids, counts, indexes). */
function whole(v: Fields, name: string, min = 0): void {
  const x = v[name];
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min) bad(`${name} must be a whole number from ${min}`);
}

/** Unix seconds: a number, 0 or more (a test clock may give fractions). */
function time(v: Fields, name: string, optional = false): void {
  const x = v[name];
  if (optional && x === undefined) return;
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) bad(`${name} must be unix seconds`);
}

function text(v: Fields, name: string, optional = false): void {
  const x = v[name];
  if (optional && x === undefined) return;
  if (typeof x !== 'string') bad(`${name} must be a string`);
}

function flag(v: Fields, name: string): void {
  if (v[name] !== undefined && typeof v[name] !== 'boolean') bad(`${name} must be true or false`);
}

function hash(v: Fields, name = 'payment_hash'): string {
  const x = v[name];
  if (typeof x !== 'string' || !HEX32.test(x)) bad(`${name} must be 32 bytes of lowercase hex`);
  return x;
}

function oneOf(v: Fields, name: string, allowed: readonly string[]): void {
  if (!allowed.includes(v[name] as string)) bad(`${name} must be one of ${allowed.join(', ')}`);
}

/** An optional preimage must be the proof for `payment_hash`. */
function proof(v: Fields, name: string, payment_hash: string): void {
  if (v[name] !== undefined && !isPreimageOf(v[name], payment_hash)) bad(`${name} does not hash to the payment hash`);
}

const STATUS = ['pending', 'complete', 'failed'] as const;

function checkPart(value: unknown): void {
  const v = object(value);
  whole(v, 'id', 1);
  whole(v, 'partid');
  whole(v, 'groupid');
  const payment_hash = hash(v);
  if (typeof v.destination !== 'string' || !PUBKEY.test(v.destination)) bad('destination must be a node id');
  try {
    checkRoute(v.route);
  } catch (error) {
    bad(error instanceof AmpkitError ? error.message : 'route is not a route');
  }
  whole(v, 'amount_msat');
  whole(v, 'amount_sent_msat');
  oneOf(v, 'status', STATUS);
  time(v, 'created_at');
  time(v, 'completed_at', true);
  // A complete part is the payee's word that it was paid: only with its proof.
  if (v.status === 'complete' && v.payment_preimage === undefined) bad('is complete without a payment_preimage');
  proof(v, 'payment_preimage', payment_hash);
  for (const name of ['failcode', 'erring_index', 'erring_direction']) if (v[name] !== undefined) whole(v, name);
  for (const name of ['failcodename', 'erring_node', 'erring_channel', 'failreason', 'sender']) text(v, name, true);
  time(v, 'sending_until', true);
}

function checkPayment(value: unknown): void {
  const v = object(value);
  const payment_hash = hash(v);
  whole(v, 'amount_msat');
  whole(v, 'amount_sent_msat');
  whole(v, 'parts');
  whole(v, 'groupid');
  oneOf(v, 'status', STATUS);
  text(v, 'destination', true);
  time(v, 'created_at');
  time(v, 'completed_at', true);
  if (v.status === 'complete' && v.payment_preimage === undefined) bad('is complete without a payment_preimage');
  proof(v, 'payment_preimage', payment_hash);
  text(v, 'bolt11', true);
  text(v, 'description', true);
  // What lists order and page by (store.ts `ListRange`); the journal gives it on first write.
  whole(v, 'created_index', 1);
}

function checkHeld(value: unknown, payment_hash: string, i: number): void {
  let v: Fields;
  try {
    v = object(value);
    if (v.payment_hash !== payment_hash) bad('is for another payment hash');
    whole(v, 'total_amount_msat');
    text(v, 'incoming_scid');
    whole(v, 'htlc_id');
    whole(v, 'partial_amount_msat');
    time(v, 'incoming_time_unix');
    whole(v, 'expiry');
    text(v, 'state');
  } catch (error) {
    if (error instanceof Bad) bad(`held[${i}] ${error.why}`);
    throw error;
  }
}

function checkInvoice(value: unknown): void {
  const v = object(value);
  const payment_hash = hash(v);
  text(v, 'label');
  text(v, 'bolt11');
  whole(v, 'amount_msat');
  text(v, 'description');
  oneOf(v, 'status', ['unpaid', 'paid', 'expired']);
  if (typeof v.hold !== 'boolean') bad('hold must be true or false');
  time(v, 'created_at');
  time(v, 'expires_at');
  whole(v, 'amount_received_msat');
  whole(v, 'amount_held_msat');
  whole(v, 'parts');
  time(v, 'paid_at', true);
  proof(v, 'payment_preimage', payment_hash);
  // Hold invoices: the preimage sealed (sealed-preimage.ts opens and checks it), or an older
  // version's plain one, which must be the proof.
  proof(v, 'preimage', payment_hash);
  const sealed = v.sealed_preimage;
  if (sealed !== undefined) {
    const s = object(sealed);
    if (typeof s.iv !== 'string' || !HEX.test(s.iv) || typeof s.data !== 'string' || !HEX.test(s.data))
      bad('sealed_preimage must be { iv, data } in hex');
  }
  if (!Array.isArray(v.held)) bad('held must be an array');
  v.held.forEach((part, i) => checkHeld(part, payment_hash, i));
  if (!Array.isArray(v.left) || !v.left.every((key) => typeof key === 'string')) bad('left must be an array of strings');
  whole(v, 'htlc_index');
  flag(v, 'creating');
  flag(v, 'cancelled');
  time(v, 'settling_at', true);
  whole(v, 'created_index', 1);
}

/** The kinds of record the journal keeps. */
export type RecordKind = 'part' | 'payment' | 'invoice' | 'counter';

const CHECKS: Record<RecordKind, (value: unknown) => void> = {
  part: checkPart,
  payment: checkPayment,
  invoice: checkInvoice,
  counter: (value) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) bad('must be a whole number from 0');
  },
};

/** Why `value` cannot be used as a record of `kind`, in words; undefined when it can. */
export function recordProblem(kind: RecordKind, value: unknown): string | undefined {
  try {
    CHECKS[kind](value);
    return undefined;
  } catch (error) {
    if (error instanceof Bad) return error.why;
    // A check that itself failed (a getter that throws, a proxy): the record is not usable.
    return `could not be checked (${String(error)})`;
  }
}

/** True when `value` is a part the engine may use. */
export const isPart = (value: unknown): value is PartialPayment => recordProblem('part', value) === undefined;
/** True when `value` is a payment the engine may use. */
export const isPayment = (value: unknown): value is Payment => recordProblem('payment', value) === undefined;
/** True when `value` is an invoice the engine may use. */
export const isInvoice = (value: unknown): value is StoredInvoice => recordProblem('invoice', value) === undefined;
/** True when `value` is a usable part id counter. */
export const isCounter = (value: unknown): value is number => recordProblem('counter', value) === undefined;
