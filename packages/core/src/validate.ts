/**
 * Checks at the engine's edge: everything a caller hands in is checked here, before
 * anything is stored or sent, and fails as INVALID_ARGUMENT with the field's name.
 */
import { engineError } from './errors.ts';
import { Bolt11Error, type Bolt11Invoice, type RouteHintHop } from '@ampkit/wire';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { DecodedInvoice, InvoiceRequest, PlannerChoice, RouteHop, SendPartialPayRequest } from './types.ts';

const HEX32 = /^[0-9a-f]{64}$/;
const PUBKEY = /^0[23][0-9a-f]{64}$/;
const SCID = /^\d+x\d+x\d+$/;

function invalid(message: string): never {
  throw engineError('INVALID_ARGUMENT', message);
}

/** A 32-byte value as 64 lowercase hex characters. */
/** True when `preimage` is 32 bytes of hex whose SHA-256 is `payment_hash`: a proof of payment, not a claim of one. */
export function isPreimageOf(preimage: unknown, payment_hash: string): preimage is string {
  return typeof preimage === 'string' && HEX32.test(preimage) && bytesToHex(sha256(hexToBytes(preimage))) === payment_hash;
}

export function checkHex32(value: unknown, name: string): string {
  if (typeof value !== 'string' || !HEX32.test(value)) invalid(`${name} must be 32 bytes as 64 lowercase hex characters`);
  return value;
}

/** A whole number of millisatoshi, more than zero and exactly representable. */
export function checkAmount(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    invalid(`${name} must be a positive safe integer of millisatoshi`);
  }
  return value;
}

/**
 * A non-negative wait in seconds (fractions allowed), or undefined for no limit. Any
 * length is honoured (the waits run on longTimeout, not setTimeout's 24.8 days); `Infinity`
 * means no limit, as leaving it out does.
 */
export function checkTimeout(value: unknown): number | undefined {
  if (value === undefined || value === Infinity) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) invalid('timeout must be a number of seconds, 0 or more');
  return value;
}

/** An engine part id. */
export function checkId(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) invalid('id must be a positive integer');
  return value;
}

/**
 * The page a list call asks for (types.ts `ListPage`): `start` a created index, 0 or more;
 * `limit` 1 or more; both whole and exactly representable. `method` names the call when
 * `input` is not an object at all.
 */
export function checkPage(input: unknown, method: string): { start?: number; limit?: number } {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) invalid(`${method} takes an object of arguments`);
  const { start, limit } = input as { start?: unknown; limit?: unknown };
  if (start !== undefined && (typeof start !== 'number' || !Number.isSafeInteger(start) || start < 0))
    invalid('start must be a whole number, 0 or more');
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1))
    invalid('limit must be a whole number, 1 or more');
  return { ...(start !== undefined ? { start } : {}), ...(limit !== undefined ? { limit: limit as number } : {}) };
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value !== undefined && typeof value !== 'string') invalid(`${name} must be a string`);
  return value as string | undefined;
}

/**
 * A route as `getroute` gives it: at least one hop, each reaching a node over a channel,
 * amounts and delays that never grow towards the destination (each hop keeps its fee and
 * its CLTV delta).
 */
export function checkRoute(value: unknown): RouteHop[] {
  if (!Array.isArray(value) || value.length === 0) invalid('route must be a non-empty array of hops');
  if (value.length > 27) invalid('route is longer than an onion can carry (27 hops)');
  const route: RouteHop[] = [];
  value.forEach((hop: unknown, i) => {
    const where = `route[${i}]`;
    if (hop === null || typeof hop !== 'object' || Array.isArray(hop)) invalid(`${where} must be an object`);
    const h = hop as Record<string, unknown>;
    if (typeof h.id !== 'string' || !PUBKEY.test(h.id)) invalid(`${where}.id must be a 33-byte compressed public key in lowercase hex`);
    if (typeof h.channel !== 'string' || !SCID.test(h.channel)) invalid(`${where}.channel must be a short channel id like 103x1x0`);
    const amount_msat = checkAmount(h.amount_msat, `${where}.amount_msat`);
    if (typeof h.delay !== 'number' || !Number.isSafeInteger(h.delay) || h.delay < 0)
      invalid(`${where}.delay must be a non-negative integer`);
    if (h.direction !== undefined && h.direction !== 0 && h.direction !== 1) invalid(`${where}.direction must be 0 or 1`);
    const style = optionalString(h.style, `${where}.style`);
    const previous = route[i - 1];
    if (previous && amount_msat > previous.amount_msat) invalid(`${where}.amount_msat grows along the route`);
    if (previous && h.delay > previous.delay) invalid(`${where}.delay grows along the route`);
    route.push({
      id: h.id,
      channel: h.channel,
      ...(h.direction !== undefined ? { direction: h.direction as 0 | 1 } : {}),
      amount_msat,
      delay: h.delay,
      ...(style !== undefined ? { style } : {}),
    });
  });
  return route;
}

/** The arguments of `sendpartialpay`, checked and copied (the caller's objects are never kept). */
export function checkSendPartialPay(value: unknown): SendPartialPayRequest {
  if (value === null || typeof value !== 'object') invalid('sendpartialpay takes one object of arguments');
  const v = value as Record<string, unknown>;
  const route = checkRoute(v.route);
  const request: SendPartialPayRequest = {
    route,
    payment_hash: checkHex32(v.payment_hash, 'payment_hash'),
    intended_amount_msat: checkAmount(v.intended_amount_msat, 'intended_amount_msat'),
    payment_secret: checkHex32(v.payment_secret, 'payment_secret'),
  };
  const bolt11 = optionalString(v.bolt11, 'bolt11');
  const description = optionalString(v.description, 'description');
  if (bolt11 !== undefined) request.bolt11 = bolt11;
  if (description !== undefined) request.description = description;
  if (route[route.length - 1]!.amount_msat > request.intended_amount_msat) {
    throw engineError('OVERPAY', 'the part delivers more than the intended amount');
  }
  return request;
}

/**
 * When a part names its invoice, the invoice must be for that hash and secret, and ask for
 * the intended amount when it names one (BOLT 11 `p`, `s`, amount). A mismatch is a caller
 * bug that would send money against the wrong invoice, so it stops here.
 */
export function checkInvoice(request: SendPartialPayRequest, decode: (bolt11: string) => Bolt11Invoice): void {
  if (request.bolt11 === undefined) return;
  let invoice: Bolt11Invoice;
  try {
    invoice = decode(request.bolt11);
  } catch (error) {
    throw engineError('INVALID_ARGUMENT', `bolt11 does not decode: ${(error as Error).message}`, { cause: error });
  }
  if (invoice.payment_hash !== request.payment_hash) invalid('bolt11 is for another payment_hash');
  if (invoice.payment_secret !== undefined && invoice.payment_secret !== request.payment_secret) {
    invalid("payment_secret is not the invoice's");
  }
  if (invoice.amount_msat !== undefined && invoice.amount_msat !== request.intended_amount_msat) {
    throw engineError('AMOUNT_MISMATCH', `the invoice asks for ${invoice.amount_msat} msat, not ${request.intended_amount_msat}`);
  }
}

/** The longest description a BOLT 11 `d` field carries (639 bytes of UTF-8). */
const MAX_DESCRIPTION_BYTES = 639;

/** `invoice()`'s input, with its defaults filled in (label excepted). */
export function checkInvoiceRequest(value: unknown): Required<Omit<InvoiceRequest, 'label'>> & { label?: string } {
  if (value === null || typeof value !== 'object') invalid('invoice needs { amount_msat, description }');
  const v = value as Record<string, unknown>;
  const amount_msat = checkAmount(v.amount_msat, 'amount_msat');
  if (typeof v.description !== 'string') invalid('description must be a string');
  if (new TextEncoder().encode(v.description).length > MAX_DESCRIPTION_BYTES)
    invalid(`description must be at most ${MAX_DESCRIPTION_BYTES} bytes`);
  const label = optionalString(v.label, 'label');
  if (label !== undefined && (label.length === 0 || label.length > 200)) invalid('label must be 1 to 200 characters');
  const expiry = v.expiry ?? 3600;
  if (typeof expiry !== 'number' || !Number.isSafeInteger(expiry) || expiry <= 0 || expiry > 31_536_000)
    invalid('expiry must be a whole number of seconds, 1 to a year');
  if (v.hold !== undefined && typeof v.hold !== 'boolean') invalid('hold must be true or false');
  return { amount_msat, description: v.description, expiry, hold: v.hold === true, ...(label !== undefined ? { label } : {}) };
}

/** Exactly one of `label` and `payment_hash`, to name one invoice. */
export function checkInvoiceKey(value: unknown): { label: string } | { payment_hash: string } {
  if (value === null || typeof value !== 'object') invalid('give { label } or { payment_hash }');
  const v = value as Record<string, unknown>;
  if ((v.label === undefined) === (v.payment_hash === undefined)) invalid('give exactly one of label and payment_hash');
  if (v.payment_hash !== undefined) return { payment_hash: checkHex32(v.payment_hash, 'payment_hash') };
  if (typeof v.label !== 'string') invalid('label must be a string');
  return { label: v.label };
}

/** A caller's BOLT 11 invoice, decoded; `INVALID_ARGUMENT` (with the codec's `reason` in `data`) when it does not decode. */
export function checkBolt11(value: unknown, decode: (bolt11: string) => Bolt11Invoice): Bolt11Invoice {
  if (typeof value !== 'string' || value.length === 0) invalid('bolt11 must be a BOLT 11 invoice string');
  try {
    return decode(value);
  } catch (error) {
    const reason = error instanceof Bolt11Error ? error.reason : undefined;
    throw engineError('INVALID_ARGUMENT', `bolt11 does not decode: ${(error as Error).message}`, {
      cause: error,
      ...(reason ? { data: { reason } } : {}),
    });
  }
}

/** The fields of a decoded invoice that `decode()` gives, as Core Lightning's `decode` names them. */
export function decodedInvoice(invoice: Bolt11Invoice): DecodedInvoice {
  const {
    currency,
    payment_hash,
    payee,
    amount_msat,
    description,
    description_hash,
    created_at,
    expiry,
    min_final_cltv_expiry,
    payment_secret,
  } = invoice;
  return {
    currency,
    payment_hash,
    payee,
    ...(amount_msat !== undefined ? { amount_msat } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(description_hash !== undefined ? { description_hash } : {}),
    created_at,
    expiry,
    min_final_cltv_expiry,
    ...(payment_secret !== undefined ? { payment_secret } : {}),
  };
}

/** `pay()`'s input checked against its invoice, defaults filled in. */
export interface PayPlan {
  bolt11: string;
  payment_hash: string;
  payment_secret: string;
  /** The payee. */
  destination: string;
  amount_msat: number;
  maxfee_msat: number;
  /** Seconds. */
  retry_for: number;
  maxparts: number;
  /** The invoice's `min_final_cltv_expiry`. */
  final_cltv: number;
  /** Who plans the routes. */
  planner: PlannerChoice;
  /** The invoice's route hints (BOLT 11 `r`). */
  route_hints?: RouteHintHop[][];
}

/** BOLT 9 basic_mpp (bits 16/17): without it, the payee takes one part only. */
const BASIC_MPP = [16, 17];
/** BOLT 2: a channel carries at most 483 HTLCs each way. */
const MAX_PARTS = 483;

/** `pay()`'s input: a payable invoice, an amount, a budget, a deadline. `nowSeconds` judges expiry. */
export function checkPayRequest(value: unknown, decode: (bolt11: string) => Bolt11Invoice, nowSeconds: number, ourId: string): PayPlan {
  if (value === null || typeof value !== 'object') invalid('pay takes one object of arguments: { bolt11 }');
  const v = value as Record<string, unknown>;
  if (v.planner !== undefined && v.planner !== 'auto' && v.planner !== 'local' && v.planner !== 'node')
    invalid("planner must be 'auto', 'local' or 'node'");
  const invoice = checkBolt11(v.bolt11, decode);
  if (invoice.payment_secret === undefined) invalid('the invoice has no payment_secret; ampkit pays only invoices that have one');
  if (invoice.created_at + invoice.expiry <= nowSeconds)
    invalid(`the invoice expired at ${invoice.created_at + invoice.expiry} (unix seconds)`);
  if (invoice.payee === ourId) invalid("the invoice is our own node's");
  let amount_msat: number;
  if (invoice.amount_msat !== undefined) {
    if (v.amount_msat !== undefined && v.amount_msat !== invoice.amount_msat)
      invalid(`the invoice asks for ${invoice.amount_msat} msat; amount_msat must be absent or the same`);
    amount_msat = invoice.amount_msat;
  } else {
    if (v.amount_msat === undefined) invalid('the invoice has no amount: give amount_msat');
    amount_msat = checkAmount(v.amount_msat, 'amount_msat');
  }
  const floor = Math.max(5000, Math.floor(amount_msat / 200));
  const maxfee_msat = v.maxfee_msat ?? floor;
  // A budget above the amount (past the 5,000 msat floor) is most likely a unit mistake.
  if (
    typeof maxfee_msat !== 'number' ||
    !Number.isSafeInteger(maxfee_msat) ||
    maxfee_msat < 0 ||
    maxfee_msat > Math.max(amount_msat, 5000)
  ) {
    invalid('maxfee_msat must be a whole number of millisatoshi, 0 up to the amount');
  }
  const retry_for = v.retry_for ?? 60;
  if (typeof retry_for !== 'number' || !Number.isFinite(retry_for) || retry_for <= 0 || retry_for > 86_400)
    invalid('retry_for must be a number of seconds, more than 0 and at most a day');
  const maxparts = v.maxparts ?? 16;
  if (typeof maxparts !== 'number' || !Number.isSafeInteger(maxparts) || maxparts < 1 || maxparts > MAX_PARTS)
    invalid(`maxparts must be a whole number from 1 to ${MAX_PARTS}`);
  const mpp = invoice.featureBits.some((bit) => BASIC_MPP.includes(bit));
  return {
    bolt11: v.bolt11 as string,
    payment_hash: invoice.payment_hash,
    payment_secret: invoice.payment_secret,
    destination: invoice.payee,
    amount_msat,
    maxfee_msat,
    retry_for,
    maxparts: mpp ? maxparts : 1,
    final_cltv: invoice.min_final_cltv_expiry,
    planner: (v.planner as PlannerChoice | undefined) ?? 'auto',
    ...(invoice.routes?.length ? { route_hints: invoice.routes } : {}),
  };
}
