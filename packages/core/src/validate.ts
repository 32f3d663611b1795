/**
 * Checks at the engine's edge: everything a caller hands in is checked here, before
 * anything is stored or sent, and fails as INVALID_ARGUMENT with the field's name.
 */
import { engineError } from './errors.ts';
import type { Bolt11Invoice } from '@ampkit/wire';
import type { InvoiceRequest, RouteHop, SendPartialPayRequest } from './types.ts';

const HEX32 = /^[0-9a-f]{64}$/;
const PUBKEY = /^0[23][0-9a-f]{64}$/;
const SCID = /^\d+x\d+x\d+$/;

function invalid(message: string): never {
  throw engineError('INVALID_ARGUMENT', message);
}

/** A 32-byte value as 64 lowercase hex characters. */
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

/** A non-negative wait in seconds (fractions allowed), or undefined for no limit. */
export function checkTimeout(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) invalid('timeout must be a number of seconds, 0 or more');
  return value;
}

/** An engine part id. */
export function checkId(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) invalid('id must be a positive integer');
  return value;
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
    if (typeof h.delay !== 'number' || !Number.isSafeInteger(h.delay) || h.delay < 0) invalid(`${where}.delay must be a non-negative integer`);
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
    invalid('payment_secret is not the invoice\'s');
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
  if (new TextEncoder().encode(v.description).length > MAX_DESCRIPTION_BYTES) invalid(`description must be at most ${MAX_DESCRIPTION_BYTES} bytes`);
  const label = optionalString(v.label, 'label');
  if (label !== undefined && (label.length === 0 || label.length > 200)) invalid('label must be 1 to 200 characters');
  const expiry = v.expiry ?? 3600;
  if (typeof expiry !== 'number' || !Number.isSafeInteger(expiry) || expiry <= 0 || expiry > 31_536_000) invalid('expiry must be a whole number of seconds, 1 to a year');
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
