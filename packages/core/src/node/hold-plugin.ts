/**
 * Core Lightning's hold invoices come from a plugin, and ampkit speaks the common one:
 * BoltzExchange/hold v0.3.x over JSON-RPC (methods in its `src/commands/*.rs`, rows in
 * `src/commands/list.rs`, states and errors in `src/database/model.rs` and
 * `src/settler.rs`; the shapes are kept in test/fixtures/hold-plugin/). This module reads
 * its replies into the engine's types, checking what the engine relies on, and turns its
 * errors, which all carry JSON-RPC code -32700 and differ only in their words, into the
 * engine's codes.
 */
import { RpcError, decodeBolt11 } from '@ampkit/wire';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { engineError, type AmpkitError } from '../errors.ts';
import type { HoldHtlcState, HoldState, Node, NodeHoldHtlc, NodeHoldInvoice } from './node.ts';

/** The plugin ampkit speaks (v0.3.x). */
export const HOLD_PLUGIN = 'BoltzExchange/hold';

/** lightningd's answer for a method no one registered (JSON-RPC "method not found"). */
const UNKNOWN_COMMAND = -32601;
/** The code of every error the plugin gives (cln-plugin's generic error path). */
const PLUGIN_ERROR = -32700;

const HEX32 = /^[0-9a-f]{64}$/;
const SCID = /^\d+x\d+x\d+$/;
/**
 * A chrono NaiveDateTime as serde writes it: UTC (SQLite's CURRENT_TIMESTAMP and chrono's
 * `Utc::now().naive_utc()`), no zone, a fraction of a second only when there is one.
 */
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?$/;
const HOLD_STATES: readonly HoldState[] = ['unpaid', 'accepted', 'paid', 'cancelled'];
const HTLC_STATES: readonly HoldHtlcState[] = ['accepted', 'paid', 'cancelled'];

type Methods = Pick<Node, 'holdinvoice' | 'settleholdinvoice' | 'cancelholdinvoice' | 'listholdinvoices'>;

function badReply(method: string, why: string): AmpkitError {
  return engineError('BAD_REPLY', `${method}: the node's reply ${why}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function count(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Whole unix seconds (as Core Lightning gives times) of one of the plugin's datetime strings, or undefined when it is not one. */
export function holdTime(value: unknown): number | undefined {
  const m = typeof value === 'string' ? DATETIME.exec(value) : null;
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC rolls 2025-02-30 over into March: a date that does not round-trip is no date.
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 19) !== (value as string).slice(0, 19)) return undefined;
  return ms / 1000;
}

const M = 'listholdinvoices';

function time(value: unknown, name: string): number {
  const t = holdTime(value);
  if (t === undefined) throw badReply(M, `has no valid ${name}`);
  return t;
}

/** Reads one row of a hold invoice's `htlcs`, which must belong to invoice `invoiceId`. */
function readHoldHtlc(value: unknown, invoiceId: number): NodeHoldHtlc {
  if (!isObject(value)) throw badReply(M, 'has an htlc that is not an object');
  if (!count(value.id) || value.invoice_id !== invoiceId) throw badReply(M, 'has an htlc with no id or of another invoice');
  if (!HTLC_STATES.includes(value.state as HoldHtlcState)) throw badReply(M, `has an htlc state ${JSON.stringify(value.state)}`);
  if (typeof value.scid !== 'string' || !SCID.test(value.scid)) throw badReply(M, 'has an htlc with no valid scid');
  // `channel_id` is the HTLC's id within the channel (the htlc_accepted hook's `htlc.id`).
  if (!count(value.channel_id)) throw badReply(M, 'has an htlc with no valid channel_id');
  if (!count(value.msat)) throw badReply(M, 'has an htlc with no valid msat');
  // Rows stored before v0.3.3 have `cltv_expiry: null`.
  if (value.cltv_expiry !== null && value.cltv_expiry !== undefined && !count(value.cltv_expiry))
    throw badReply(M, 'has an htlc with no valid cltv_expiry');
  const htlc: NodeHoldHtlc = {
    short_channel_id: value.scid,
    id: value.channel_id,
    amount_msat: value.msat,
    state: value.state as HoldHtlcState,
    created_at: time(value.created_at, 'htlc created_at'),
  };
  if (typeof value.cltv_expiry === 'number') htlc.expiry = value.cltv_expiry;
  return htlc;
}

/** The amount of a hold invoice's BOLT 11, which must be for `payment_hash`. */
function invoiceAmount(bolt11: string, payment_hash: string): number {
  let decoded: ReturnType<typeof decodeBolt11>;
  try {
    decoded = decodeBolt11(bolt11);
  } catch (error) {
    throw badReply(M, `has an invoice that does not decode: ${(error as Error).message}`);
  }
  if (decoded.payment_hash !== payment_hash) throw badReply(M, 'has an invoice for another payment hash');
  if (decoded.amount_msat === undefined) throw badReply(M, 'has an invoice without an amount');
  return decoded.amount_msat;
}

/**
 * Reads one `listholdinvoices` row (BoltzExchange/hold v0.3.x): the invoice under
 * `invoice`, its amount from that BOLT 11 (rows carry none), datetimes as unix seconds, a
 * preimage only when settled and then one that hashes to the row's hash. `amountOf`
 * decodes the invoice (given, to cache it).
 *
 * @throws {AmpkitError} `BAD_REPLY` for a row without what the engine relies on.
 */
export function readHoldInvoice(
  value: unknown,
  amountOf: (bolt11: string, payment_hash: string) => number = invoiceAmount,
): NodeHoldInvoice {
  if (!isObject(value)) throw badReply(M, 'has a hold invoice that is not an object');
  if (!count(value.id)) throw badReply(M, 'has a hold invoice with no id');
  if (typeof value.payment_hash !== 'string' || !HEX32.test(value.payment_hash)) throw badReply(M, 'has no valid payment_hash');
  if (typeof value.invoice !== 'string') {
    throw badReply(M, `has no invoice${'bolt11' in value ? ` (${HOLD_PLUGIN} before v0.3.0 calls it bolt11: ampkit needs v0.3.x)` : ''}`);
  }
  if (!HOLD_STATES.includes(value.state as HoldState)) throw badReply(M, `has a hold state ${JSON.stringify(value.state)}`);
  if (!Array.isArray(value.htlcs)) throw badReply(M, 'has no htlcs array');
  const payment_hash = value.payment_hash;
  const invoice: NodeHoldInvoice = {
    payment_hash,
    bolt11: value.invoice,
    amount_msat: amountOf(value.invoice, payment_hash),
    state: value.state as HoldState,
    created_at: time(value.created_at, 'created_at'),
    htlcs: value.htlcs.map((h) => readHoldHtlc(h, value.id as number)),
  };
  if (value.settled_at !== undefined) invoice.paid_at = time(value.settled_at, 'settled_at');
  // The plugin stores the preimage and `paid` in one transaction: a paid row has one.
  if (value.preimage !== undefined || invoice.state === 'paid') {
    if (typeof value.preimage !== 'string' || !HEX32.test(value.preimage)) throw badReply(M, 'has no valid preimage');
    if (bytesToHex(sha256(hexToBytes(value.preimage))) !== payment_hash)
      throw badReply(M, 'has a preimage that does not match the payment hash');
    invoice.preimage = value.preimage;
  }
  return invoice;
}

/**
 * The engine's error for a hold method's failure, or undefined when it is none of the
 * plugin's own (the caller's general mapping applies). A node without the plugin answers
 * "Unknown command" (-32601): `HOLD_UNSUPPORTED`, saying what is missing. The plugin's
 * "invoice not found" (settle with a preimage of no hold invoice, cancel of an unknown
 * hash) is `NOT_FOUND`. Its other refusals stay `NODE_ERROR` with its words. Words are
 * matched with `includes`: newer cln-plugin releases join an error's causes with ": ".
 */
export function holdError(method: string, error: unknown): AmpkitError | undefined {
  if (!(error instanceof RpcError)) return undefined;
  if (error.code === UNKNOWN_COMMAND) {
    return engineError(
      'HOLD_UNSUPPORTED',
      `the node has no hold-invoice plugin (${HOLD_PLUGIN}): ${method} is an unknown command (${error.message}); start lightningd with --plugin=/path/to/hold (v0.3.x), see README`,
      { nodeCode: error.code, data: error.data, cause: error },
    );
  }
  if (error.code === PLUGIN_ERROR && error.message.includes('invoice not found')) {
    return engineError('NOT_FOUND', `${method}: the node has no such hold invoice (${error.message})`, {
      nodeCode: error.code,
      data: error.data,
      cause: error,
    });
  }
  return undefined;
}

/** How many decoded invoice amounts an adapter keeps: each is a signature recovery saved. */
const AMOUNT_CACHE = 256;

/**
 * The four hold methods over `request` (a JSON-RPC call), with `otherError` for failures
 * that are not the plugin's own ({@link holdError}).
 */
export function holdMethods(
  request: (method: string, params: Record<string, unknown>) => Promise<unknown>,
  otherError: (error: unknown) => unknown,
): Methods {
  const call = async (method: string, params: Record<string, unknown>): Promise<unknown> => {
    try {
      return await request(method, params);
    } catch (error) {
      throw holdError(method, error) ?? otherError(error);
    }
  };
  const amounts = new Map<string, number>();
  const amountOf = (bolt11: string, payment_hash: string): number => {
    const key = `${payment_hash}:${bolt11}`;
    let amount = amounts.get(key);
    if (amount === undefined) {
      amount = invoiceAmount(bolt11, payment_hash);
      if (amounts.size >= AMOUNT_CACHE) amounts.delete(amounts.keys().next().value!);
      amounts.set(key, amount);
    }
    return amount;
  };
  const empty = (method: string, reply: unknown): void => {
    if (!isObject(reply)) throw badReply(method, 'is not an object');
  };
  return {
    async holdinvoice(req) {
      // Only these two: over JSON-RPC the plugin takes no description, expiry or CLTV (and
      // would ignore them); the invoice it returns says what it made.
      const reply = await call('holdinvoice', { payment_hash: req.payment_hash, amount: req.amount_msat });
      if (!isObject(reply) || typeof reply.bolt11 !== 'string' || reply.bolt11 === '') throw badReply('holdinvoice', 'has no bolt11');
      return { bolt11: reply.bolt11 };
    },

    async settleholdinvoice(req) {
      empty('settleholdinvoice', await call('settleholdinvoice', { preimage: req.preimage }));
    },

    async cancelholdinvoice(req) {
      empty('cancelholdinvoice', await call('cancelholdinvoice', { payment_hash: req.payment_hash }));
    },

    async listholdinvoices(req) {
      const reply = await call(M, { payment_hash: req.payment_hash });
      if (!isObject(reply) || !Array.isArray(reply.holdinvoices)) throw badReply(M, 'has no holdinvoices array');
      // Filtered by hash, the plugin answers that invoice or nothing.
      if (reply.holdinvoices.length > 1) throw badReply(M, 'lists more than one invoice for one hash');
      const rows = reply.holdinvoices.map((row) => readHoldInvoice(row, amountOf));
      if (rows.some((row) => row.payment_hash !== req.payment_hash)) throw badReply(M, 'lists an invoice of another payment hash');
      return rows;
    },
  };
}
