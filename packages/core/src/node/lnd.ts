/**
 * The Node interface over lnd's gRPC services carried by Lightning Node Connect
 * (`@ampkit/wire/lnc`). What lnd does and answers is in docs/lnd.md, the contract this
 * adapter and simnet's LND personality are built against; the sections cited below are its.
 *
 * lnd knows no `partid`/`groupid`: every part we send carries a custom record on its last
 * hop ({@link AMPKIT_RECORD}: the group and part ids), which lnd stores with the attempt and
 * shows again in every `HTLCAttempt.route`, so our parts are read back from lnd itself and
 * attempts without the record are not ours. Every reply is checked where it enters, like
 * `clnNode` does: a reply of the wrong shape is `BAD_REPLY`, never trusted.
 *
 * The protobuf code (`lndMethods`, `encodeLnd`, `decodeLnd`) is imported on the first call,
 * not with this module, so a bundle that only talks to Core Lightning never loads it.
 */
import { decodeBolt11, longTimeout, type Bolt11Invoice } from '@ampkit/wire';
import type { LncCallOptions, LncConnectionState, LndMethod, LndMethodName, LndReply, LndRequest, lndMethods } from '@ampkit/wire/lnc';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { AmpkitError, engineError } from '../errors.ts';
import type { NodeInfo, PartFailure, RouteHop } from '../types.ts';
import type {
  GetroutesRequest,
  HoldHtlcState,
  HoldState,
  Node,
  NodeAnnouncement,
  NodeChannel,
  NodeHoldHtlc,
  NodeHoldInvoice,
  NodeInvoice,
  NodePart,
  NodePeerChannel,
  NodeRoute,
  PartKey,
  SendpayRequest,
} from './node.ts';
import { unsentPart, untilOpen } from './node.ts';

/**
 * The custom record type that marks our parts: ASCII `ampk` (0x616d706b), odd so a payee
 * that does not know it ignores it (BOLT 1), and ≥ 65536 as lnd requires of custom records
 * (docs/lnd.md §3.1). Its value is the group id then the part id, each a big-endian u64.
 */
export const AMPKIT_RECORD = 1634562155n;

/** Blocks added to every CLTV of a route we send, as lnd's own payments do (`routing.BlockPadding`, §3.1). */
export const BLOCK_PADDING = 3;

/** The most hops an onion carries (BOLT 4). */
const MAX_HOPS = 27;
const SENDPAY_TIMEOUT = 60;
const POLL_MS = 250;
const INVOICE_POLL_MS = 1000;
const GRAPH_TTL_MS = 30_000;

/** The transport the adapter needs: what `LncClient` of `@ampkit/wire/lnc` has. */
export interface LndRpc {
  /** The link's state: `open` when calls go through. */
  readonly state: LncConnectionState;
  /** One unary gRPC call: protobuf request bytes in, reply bytes out. */
  unary(method: string, request: Uint8Array, options?: LncCallOptions): Promise<Uint8Array>;
  /** One server-streaming gRPC call: iterate for the messages, `cancel()` to stop. */
  serverStream(method: string, request: Uint8Array, options?: LncCallOptions): AsyncIterable<Uint8Array> & { cancel(): void };
  /** Listens to state changes; returns the function that stops listening. */
  on(event: 'state', listener: (state: LncConnectionState, error?: AmpkitError) => void): () => void;
}

/** Options of {@link lndNode}. */
export interface LndNodeOptions {
  /**
   * Seconds `sendpay` may take to see the part registered at lnd before it fails with
   * `TIMEOUT` (60; `0` or `Infinity`: no limit but the link's end). The engine then sends the
   * part again unchanged, and the adapter finds it at lnd by its record instead of sending
   * it twice.
   */
  sendpayTimeout?: number;
  /** Milliseconds between two looks at lnd's payment record while a part is being registered (250). */
  pollInterval?: number;
  /** Milliseconds one DescribeGraph answer serves both `listchannels` and `listnodes` (30 000). */
  graphTtl?: number;
  /**
   * Milliseconds between two looks at the invoices the engine follows (1000): lnd tells of
   * an invoice's state changes, but not of a part held or timed out while it stays open.
   */
  invoicePollInterval?: number;
}

type Methods = typeof lndMethods;
type Reply<N extends LndMethodName> = LndReply<Methods[N]>;
type Request<N extends LndMethodName> = LndRequest<Methods[N]>;
type LndPayment = Reply<'trackPaymentV2'>;
type LndAttempt = Reply<'sendToRouteV2'>;
type LndRoute = NonNullable<LndAttempt['route']>;
type LndHop = LndRoute['hops'][number];
type LndFailure = NonNullable<LndAttempt['failure']>;
type LndInvoice = Reply<'lookupInvoice'>;
type Codec = typeof import('@ampkit/wire/lnc');

let codec: Promise<Codec> | undefined;
/** The protobuf code, loaded on the first call (a chunk of its own in the worker's bundle). */
const loadCodec = (): Promise<Codec> => (codec ??= import('@ampkit/wire/lnc'));

/** Each method's gRPC name and the macaroon permission it needs (docs/lnd.md §1). */
const RPCS: Record<LndMethodName, [name: string, permission: string]> = {
  getInfo: ['lnrpc.Lightning/GetInfo', 'info:read'],
  listChannels: ['lnrpc.Lightning/ListChannels', 'offchain:read'],
  describeGraph: ['lnrpc.Lightning/DescribeGraph', 'info:read'],
  listPayments: ['lnrpc.Lightning/ListPayments', 'offchain:read'],
  listInvoices: ['lnrpc.Lightning/ListInvoices', 'invoices:read'],
  addInvoice: ['lnrpc.Lightning/AddInvoice', 'invoices:write'],
  lookupInvoice: ['lnrpc.Lightning/LookupInvoice', 'invoices:read'],
  queryRoutes: ['lnrpc.Lightning/QueryRoutes', 'info:read'],
  sendToRouteV2: ['routerrpc.Router/SendToRouteV2', 'offchain:write'],
  trackPaymentV2: ['routerrpc.Router/TrackPaymentV2', 'offchain:read'],
  subscribeSingleInvoice: ['invoicesrpc.Invoices/SubscribeSingleInvoice', 'invoices:read'],
  addHoldInvoice: ['invoicesrpc.Invoices/AddHoldInvoice', 'invoices:write'],
  settleInvoice: ['invoicesrpc.Invoices/SettleInvoice', 'invoices:write'],
  cancelInvoice: ['invoicesrpc.Invoices/CancelInvoice', 'invoices:write'],
};

/** gRPC status codes the adapter reads (grpc/doc/statuscodes.md). */
const GRPC = { UNKNOWN: 2, NOT_FOUND: 5, ALREADY_EXISTS: 6, PERMISSION_DENIED: 7, UNIMPLEMENTED: 12, UNAUTHENTICATED: 16 } as const;

/** lnd's `HTLCAttempt.status` (§3.3). */
const ATTEMPT = { IN_FLIGHT: 0, SUCCEEDED: 1, FAILED: 2 } as const;
/** lnd's `Invoice.state` and `InvoiceHTLC.state` (§5.2). */
const INVOICE = { OPEN: 0, SETTLED: 1, CANCELED: 2, ACCEPTED: 3 } as const;
const HTLC_STATES: Record<number, HoldHtlcState> = { 0: 'accepted', 1: 'paid', 2: 'cancelled' };
const HOLD_STATES: Record<number, HoldState> = { 0: 'unpaid', 1: 'paid', 2: 'cancelled', 3: 'accepted' };

/**
 * lnd's failure codes (its own enum, lightning.proto `Failure.FailureCode`) with BOLT 4's
 * number for each (lnd's `lnwire/onion_error.go`; docs/lnd.md §4).
 */
const FAILURES: Record<number, [name: string, bolt4: number]> = {
  1: ['INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS', 0x400f],
  2: ['INCORRECT_PAYMENT_AMOUNT', 0x4010],
  3: ['FINAL_INCORRECT_CLTV_EXPIRY', 0x12],
  4: ['FINAL_INCORRECT_HTLC_AMOUNT', 0x13],
  5: ['FINAL_EXPIRY_TOO_SOON', 0x11],
  6: ['INVALID_REALM', 0x8001],
  7: ['EXPIRY_TOO_SOON', 0x100e],
  8: ['INVALID_ONION_VERSION', 0xc004],
  9: ['INVALID_ONION_HMAC', 0xc005],
  10: ['INVALID_ONION_KEY', 0xc006],
  11: ['AMOUNT_BELOW_MINIMUM', 0x100b],
  12: ['FEE_INSUFFICIENT', 0x100c],
  13: ['INCORRECT_CLTV_EXPIRY', 0x100d],
  14: ['CHANNEL_DISABLED', 0x1014],
  15: ['TEMPORARY_CHANNEL_FAILURE', 0x1007],
  16: ['REQUIRED_NODE_FEATURE_MISSING', 0x6003],
  17: ['REQUIRED_CHANNEL_FEATURE_MISSING', 0x4009],
  18: ['UNKNOWN_NEXT_PEER', 0x400a],
  19: ['TEMPORARY_NODE_FAILURE', 0x2002],
  20: ['PERMANENT_NODE_FAILURE', 0x6002],
  21: ['PERMANENT_CHANNEL_FAILURE', 0x4008],
  22: ['EXPIRY_TOO_FAR', 0x15],
  23: ['MPP_TIMEOUT', 0x17],
  24: ['INVALID_ONION_PAYLOAD', 0x4016],
  25: ['INVALID_ONION_BLINDING', 0xc018],
};
/** lnd's failures without a BOLT 4 code (§4): the source is known only for 998. */
const LOCAL_FAILURES: Record<number, string> = { 997: 'INTERNAL_FAILURE', 998: 'UNKNOWN_FAILURE', 999: 'UNREADABLE_FAILURE' };

const HEX32 = /^[0-9a-f]{64}$/;
const PUBKEY = /^0[23][0-9a-f]{64}$/;
const SCID = /^(\d+)x(\d+)x(\d+)$/;
const SCID_DIR = /^(\d+x\d+x\d+)\/([01])$/;
const DECIMAL = /^\d{1,20}$/;
const U64 = (1n << 64n) - 1n;

function badReply(method: string, why: string): AmpkitError {
  return engineError('BAD_REPLY', `${method}: lnd's reply ${why}`);
}

/** A reply's integer as a number: whole, not negative, exactly representable. */
function safe(method: string, value: bigint | number, name: string): number {
  const n = typeof value === 'bigint' ? (value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : -1) : value;
  if (!Number.isSafeInteger(n) || n < 0) throw badReply(method, `has no valid ${name}`);
  return n;
}

function pubkey(method: string, value: string, name: string): string {
  if (!PUBKEY.test(value)) throw badReply(method, `has no valid ${name}`);
  return value;
}

/** lnd's `uint64` short channel id (a decimal string) as `BLOCKxTXxOUT` (lightning.proto `Channel.chan_id`). */
export function scidFromLnd(id: string | bigint): string | undefined {
  if (typeof id === 'string' && !DECIMAL.test(id)) return undefined;
  const n = BigInt(id);
  if (n <= 0n || n > U64) return undefined;
  return `${n >> 40n}x${(n >> 16n) & 0xffffffn}x${n & 0xffffn}`;
}

/** `BLOCKxTXxOUT` as lnd's `uint64` (decimal string); undefined when a part is out of range. */
export function scidToLnd(scid: string): string | undefined {
  const m = SCID.exec(scid);
  if (!m) return undefined;
  const [block, tx, out] = [BigInt(m[1]!), BigInt(m[2]!), BigInt(m[3]!)];
  if (block > 0xffffffn || tx > 0xffffffn || out > 0xffffn) return undefined;
  return ((block << 40n) | (tx << 16n) | out).toString();
}

function scid(method: string, id: string): string {
  const s = scidFromLnd(id);
  if (s === undefined) throw badReply(method, `has an invalid channel id ${JSON.stringify(id)}`);
  return s;
}

/** The tag of a part: group id then part id, big-endian u64s. */
export function partRecord(groupid: number, partid: number): Uint8Array {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(groupid));
  view.setBigUint64(8, BigInt(partid));
  return bytes;
}

/** The group and part ids a route's last hop carries, or undefined when it carries no well-formed tag (not our part). */
export function readPartRecord(hop: LndHop | undefined): { groupid: number; partid: number } | undefined {
  const value = hop?.customRecords?.get(AMPKIT_RECORD);
  if (!(value instanceof Uint8Array) || value.length !== 16) return undefined;
  const view = new DataView(value.buffer, value.byteOffset, 16);
  const [groupid, partid] = [view.getBigUint64(0), view.getBigUint64(8)];
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  if (groupid > max || partid > max) return undefined;
  return { groupid: Number(groupid), partid: Number(partid) };
}

/** Seconds from lnd's unix nanoseconds. */
const seconds = (ns: bigint): number => Number(ns / 1_000_000_000n);

/** The direction bit of a channel from `from` to `to` (BOLT 7: 0 when `from` is the lesser node id). */
const directionOf = (from: string, to: string): 0 | 1 => (from < to ? 0 : 1);

/**
 * The failure fields of a failed attempt (docs/lnd.md §4): lnd's code as BOLT 4's, its source
 * index as `erring_index` (0 our node, k the node `hops[k-1]`), the channel after the erring
 * node (the last one for the payee) and its direction. For lnd's own 997 and 999 the index is
 * meaningless (left 0), so only `failreason` is given.
 */
export function readAttemptFailure(method: string, failure: LndFailure | undefined, hops: LndHop[], ourId: string): PartFailure {
  if (!failure) return { failreason: 'lnd recorded the attempt as failed without a failure' };
  const known = FAILURES[failure.code];
  const local = LOCAL_FAILURES[failure.code];
  if (!known && failure.code !== 998) {
    return { failreason: `lnd: ${local ?? `failure code ${failure.code}`}` };
  }
  const k = failure.failureSourceIndex;
  if (!Number.isSafeInteger(k) || k < 0 || k > hops.length) throw badReply(method, `has a failure source index ${k} beyond the route`);
  const j = Math.min(k, hops.length - 1);
  const sender = j === 0 ? ourId : hops[j - 1]!.pubKey;
  const fields: PartFailure = {
    erring_index: k,
    erring_node: k === 0 ? ourId : hops[k - 1]!.pubKey,
    erring_channel: scid(method, hops[j]!.chanId),
    erring_direction: directionOf(sender, hops[j]!.pubKey),
  };
  if (known) return { failcode: known[1], failcodename: `WIRE_${known[0]}`, ...fields };
  return { ...fields, failreason: `lnd: ${local} (the erring node's failure could not be read)` };
}

/** A route lnd sent or planned, checked: 1 to 27 hops, valid keys and channels, amounts and CLTVs that do not grow. */
function checkRoute(method: string, route: LndRoute | undefined): LndRoute {
  if (!route || route.hops.length === 0 || route.hops.length > MAX_HOPS)
    throw badReply(method, `has a route of no hops or more than ${MAX_HOPS}`);
  let amount = safe(method, route.totalAmtMsat, 'total_amt_msat');
  let expiry = safe(method, route.totalTimeLock, 'total_time_lock');
  for (const hop of route.hops) {
    pubkey(method, hop.pubKey, 'hop pub_key');
    scid(method, hop.chanId);
    const next = safe(method, hop.amtToForwardMsat, 'amt_to_forward_msat');
    const nextExpiry = safe(method, hop.expiry, 'hop expiry');
    if (next > amount || nextExpiry > expiry || next === 0)
      throw badReply(method, 'has a route whose amount or CLTV grows towards the destination');
    [amount, expiry] = [next, nextExpiry];
  }
  return route;
}

/**
 * Reads one `HTLCAttempt` of a payment: our part when its last hop carries our tag, else
 * undefined (not ours). A settled attempt must carry a preimage that hashes to the payment hash.
 */
export function readAttempt(method: string, payment_hash: string, attempt: LndAttempt, ourId: string): NodePart | undefined {
  const tag = readPartRecord(attempt.route?.hops[attempt.route.hops.length - 1]);
  if (!tag) return undefined;
  const route = checkRoute(method, attempt.route);
  const last = route.hops[route.hops.length - 1]!;
  const status =
    attempt.status === ATTEMPT.IN_FLIGHT
      ? 'pending'
      : attempt.status === ATTEMPT.SUCCEEDED
        ? 'complete'
        : attempt.status === ATTEMPT.FAILED
          ? 'failed'
          : undefined;
  if (!status) throw badReply(method, `has an attempt status ${String(attempt.status)}`);
  const part: NodePart = {
    payment_hash,
    groupid: tag.groupid,
    partid: tag.partid,
    status,
    amount_msat: safe(method, last.amtToForwardMsat, 'amt_to_forward_msat'),
    amount_sent_msat: safe(method, route.totalAmtMsat, 'total_amt_msat'),
    destination: last.pubKey,
  };
  if (attempt.attemptTimeNs > 0n) part.created_at = seconds(attempt.attemptTimeNs);
  if (status !== 'pending' && attempt.resolveTimeNs > 0n) part.completed_at = seconds(attempt.resolveTimeNs);
  if (status === 'complete') part.payment_preimage = checkPreimage(method, attempt.preimage, payment_hash);
  if (status === 'failed') Object.assign(part, readAttemptFailure(method, attempt.failure, route.hops, ourId));
  return part;
}

/** A preimage that must hash to `payment_hash`: a proof of payment that does not is a lie. */
function checkPreimage(method: string, value: Uint8Array, payment_hash: string): string {
  if (!(value instanceof Uint8Array) || value.length !== 32) throw badReply(method, 'has no valid preimage');
  if (bytesToHex(sha256(value)) !== payment_hash) throw badReply(method, 'has a preimage that does not match the payment hash');
  return bytesToHex(value);
}

/** Which of two rows of the same part counts: settled beats in flight beats failed. */
const RANK = { complete: 2, pending: 1, failed: 0 } as const;

/**
 * Our parts in a payment (TrackPaymentV2's message): the attempts carrying our tag, one row per
 * part. Two attempts with one tag (the same part sent twice by someone else's mistake) give
 * the row of the one that settled, else the one in flight.
 */
export function readPaymentParts(method: string, payment_hash: string, payment: LndPayment, ourId: string): NodePart[] {
  if (payment.paymentHash !== payment_hash) throw badReply(method, `is about payment ${JSON.stringify(payment.paymentHash)}`);
  const parts = new Map<string, NodePart>();
  for (const attempt of payment.htlcs) {
    const part = readAttempt(method, payment_hash, attempt, ourId);
    if (!part) continue;
    const key = `${part.groupid}/${part.partid}`;
    const there = parts.get(key);
    if (!there || RANK[part.status] > RANK[there.status]) parts.set(key, part);
  }
  return [...parts.values()];
}

/** The gRPC error a call failed with, duck-typed (the class may come from another bundle). */
function grpcFailure(error: unknown): { code: number; message: string } | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? { code, message: error.message } : undefined;
}

/** Transport failures: the link is down or broke while the call was out. */
const LINK_CODES = new Set(['CONNECTION', 'PROTOCOL', 'HANDSHAKE', 'BAD_MAC']);

/**
 * An lnd error as the engine's (docs/lnd.md §1, hard spot 8): a missing macaroon permission is
 * `PERMISSION` naming the method and the permission it needs (lnd's own text does not),
 * anything else lnd answered is `NODE_ERROR` with the gRPC code as `nodeCode`; the client's
 * own failures keep their code (`CONNECTION`, `TIMEOUT`, `BAD_REPLY`).
 */
export function lndError(name: LndMethodName, error: unknown): AmpkitError {
  const [rpc, permission] = RPCS[name];
  const grpc = grpcFailure(error);
  if (grpc) {
    const data = { method: rpc, message: grpc.message };
    if (
      grpc.code === GRPC.PERMISSION_DENIED ||
      grpc.code === GRPC.UNAUTHENTICATED ||
      /permission denied|expected 1 macaroon|cannot retrieve macaroon|verification failed/i.test(grpc.message)
    ) {
      return engineError(
        'PERMISSION',
        `lnd refused ${rpc}: the session's macaroon needs the ${permission} permission (lnd said: ${grpc.message})`,
        {
          nodeCode: grpc.code,
          data,
          cause: error,
        },
      );
    }
    return engineError('NODE_ERROR', `${rpc}: ${grpc.message}`, { nodeCode: grpc.code, data, cause: error });
  }
  if (error instanceof Error && typeof (error as { code?: unknown }).code === 'string') {
    const code = (error as unknown as { code: string }).code;
    if (code === 'TIMEOUT' || code === 'BAD_REPLY') return engineError(code, error.message, { cause: error });
    if (LINK_CODES.has(code)) return engineError('CONNECTION', error.message, { cause: error });
    if (error instanceof AmpkitError) return error;
  }
  return engineError('CONNECTION', `${rpc}: the request to the node failed: ${String(error)}`, { cause: error });
}

/** The gRPC code and message of a `NODE_ERROR` made by {@link lndError}. */
function refusal(error: unknown): { code: number; message: string } | undefined {
  if (!(error instanceof AmpkitError) || error.code !== 'NODE_ERROR' || error.nodeCode === undefined) return undefined;
  return { code: error.nodeCode, message: (error.data as { message: string }).message };
}

/** An in-memory askrene layer (docs/lnd.md §6: lnd has none). */
interface Layer {
  nodes: Set<string>;
  /** `scid/dir` disabled. */
  disabled: Set<string>;
  /** `scid/dir` → the amount it could not carry. */
  constrained: Map<string, number>;
}

/**
 * One following of a payment (TrackPaymentV2) that its owner ends with {@link end}: the loop
 * stops and the open stream is cancelled, so no stream outlives the call that opened it.
 */
interface Follow {
  done: boolean;
  cancel?: () => void;
}

function end(follow: Follow): void {
  follow.done = true;
  follow.cancel?.();
}

const sleep = (ms: number, signal: Follow): Promise<void> =>
  new Promise((resolve) => {
    if (signal.done) return resolve();
    setTimeout(resolve, ms);
  });

/**
 * Adapts an LNC client (or anything with its `unary`, `serverStream`, `state` and `on`) to
 * the engine's {@link Node}. Reads the node's identity first (GetInfo), hence async.
 *
 * Not mapped: `listhtlcs` and `waithtlcs` (Core Lightning's HTLC history) have no lnd
 * equivalent and reject with `NODE_ERROR` saying so; the engine follows incoming parts by
 * invoice instead ({@link Node.waitinvoices}, docs/lnd.md hard spot 5).
 *
 * @example
 * ```ts
 * const lnc = await connectLnc({ pairingPhrase });
 * const engine = await createEngine({ node: await lndNode(lnc), store: indexedDbStore() });
 * ```
 */
export async function lndNode(rpc: LndRpc, options: LndNodeOptions = {}): Promise<Node> {
  const sendpayTimeout = options.sendpayTimeout ?? SENDPAY_TIMEOUT;
  if (typeof sendpayTimeout !== 'number' || Number.isNaN(sendpayTimeout) || sendpayTimeout < 0) {
    throw engineError('INVALID_ARGUMENT', 'sendpayTimeout must be a number of seconds, 0 or more');
  }
  const pollInterval = options.pollInterval ?? POLL_MS;
  const graphTtl = options.graphTtl ?? GRAPH_TTL_MS;
  const invoicePoll = options.invoicePollInterval ?? INVOICE_POLL_MS;

  const unary = async <N extends LndMethodName>(name: N, request: Request<N>, callOptions?: LncCallOptions): Promise<Reply<N>> => {
    const { lndMethods, encodeLnd, decodeLnd } = await loadCodec();
    const m = lndMethods[name] as unknown as LndMethod<Request<N>, Reply<N>>;
    let bytes: Uint8Array;
    try {
      bytes = await rpc.unary(m.path, encodeLnd(m.input, request), callOptions);
    } catch (error) {
      throw lndError(name, error);
    }
    try {
      return decodeLnd(m.output, bytes, m.path);
    } catch (error) {
      throw lndError(name, error);
    }
  };

  /** A server stream of decoded messages; `next()` gives undefined once it ends. */
  const stream = async <N extends LndMethodName>(name: N, request: Request<N>) => {
    const { lndMethods, encodeLnd, decodeLnd } = await loadCodec();
    const m = lndMethods[name] as unknown as LndMethod<Request<N>, Reply<N>>;
    let call: AsyncIterable<Uint8Array> & { cancel(): void };
    try {
      call = rpc.serverStream(m.path, encodeLnd(m.input, request));
    } catch (error) {
      throw lndError(name, error);
    }
    const iterator = call[Symbol.asyncIterator]();
    return {
      async next(): Promise<Reply<N> | undefined> {
        let step: IteratorResult<Uint8Array>;
        try {
          step = await iterator.next();
        } catch (error) {
          throw lndError(name, error);
        }
        if (step.done) return undefined;
        try {
          return decodeLnd(m.output, step.value, m.path);
        } catch (error) {
          call.cancel();
          throw lndError(name, error);
        }
      },
      cancel: () => call.cancel(),
    };
  };

  /**
   * {@link Node.waitinvoices} (hard spot 5): one SubscribeSingleInvoice per followed invoice,
   * kept open while it is followed, each message after its first (a state change, §5.5)
   * waking the wait at once; otherwise the wait ends after `invoicePoll` ms. The streams
   * close once the waits' signal aborts (the engine closed).
   */
  const invoiceWatch = (() => {
    const subscriptions = new Map<string, () => void>();
    const signals = new WeakSet<AbortSignal>();
    let changed = false;
    let wake: (() => void) | undefined;
    const closeAll = (): void => {
      for (const cancel of subscriptions.values()) cancel();
      subscriptions.clear();
    };
    const subscribe = (payment_hash: string): void => {
      let cancelled = false;
      let call: { cancel(): void } | undefined;
      const cancel = (): void => {
        cancelled = true;
        call?.cancel();
      };
      subscriptions.set(payment_hash, cancel);
      void (async () => {
        try {
          const s = await stream('subscribeSingleInvoice', { rHash: hexToBytes(payment_hash) });
          call = s;
          if (cancelled) return s.cancel();
          for (let first = true; (await s.next()) !== undefined && !cancelled; first = false) {
            if (first) continue;
            changed = true;
            wake?.();
          }
        } catch {
          // A dropped link or a refusal: the polls still look, and the next wait subscribes again.
        } finally {
          if (subscriptions.get(payment_hash) === cancel) subscriptions.delete(payment_hash);
        }
      })();
    };
    const wait = async ({ payment_hashes, signal }: { payment_hashes: readonly string[]; signal?: AbortSignal }): Promise<void> => {
      if (signal && !signals.has(signal)) {
        signals.add(signal);
        signal.addEventListener('abort', closeAll, { once: true });
      }
      const wanted = new Set(payment_hashes);
      for (const [hash, cancel] of subscriptions) {
        if (wanted.has(hash)) continue;
        cancel();
        subscriptions.delete(hash);
      }
      if (signal?.aborted) return closeAll();
      for (const hash of wanted) if (!subscriptions.has(hash)) subscribe(hash);
      if (!changed) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            if (wake === done) wake = undefined;
            resolve();
          };
          const timer = setTimeout(done, invoicePoll);
          signal?.addEventListener('abort', done);
          wake = done;
        });
      }
      changed = false;
    };
    return { wait };
  })();

  const readInfo = (reply: Reply<'getInfo'>): NodeInfo => {
    const m = 'GetInfo';
    const color = /^#([0-9a-f]{6})$/i.exec(reply.color);
    if (!color) throw badReply(m, 'has no valid color');
    const network = reply.chains[0]?.network;
    if (!network) throw badReply(m, 'names no network');
    return {
      id: pubkey(m, reply.identityPubkey, 'identity_pubkey'),
      alias: reply.alias,
      color: color[1]!.toLowerCase(),
      // Core Lightning's word for mainnet (§2).
      network: network === 'mainnet' ? 'bitcoin' : network,
      blockheight: safe(m, reply.blockHeight, 'block_height'),
    };
  };

  const first = readInfo(await unary('getInfo', {}));
  const ourId = first.id;

  /** Channel ends seen in routes, attempts and the graph: `scid` → [lesser node, greater node]. */
  const channelEnds = new Map<string, [string, string]>();
  const learnRoute = (hops: LndHop[]): void => {
    hops.forEach((hop, i) => {
      const from = i === 0 ? ourId : hops[i - 1]!.pubKey;
      const s = scidFromLnd(hop.chanId);
      if (s && PUBKEY.test(from) && PUBKEY.test(hop.pubKey))
        channelEnds.set(s, from < hop.pubKey ? [from, hop.pubKey] : [hop.pubKey, from]);
    });
  };

  /** SendToRouteV2 calls still waiting for their HTLC to resolve, by `hash/groupid/partid`. */
  const sending = new Map<string, Promise<LndAttempt>>();
  const keyOf = (k: PartKey): string => `${k.payment_hash}/${k.groupid}/${k.partid}`;
  const layers = new Map<string, Layer>();

  /**
   * Follows the payment at lnd (TrackPaymentV2) and calls `look` with each message until it
   * returns a result or `state.done` is set. A payment lnd does not know, or a stream that
   * ends, is looked at again after `pollInterval` while `again()` says so; otherwise
   * `NOT_FOUND` (`notFound()`) or the last result stands.
   */
  const track = async <T>(
    payment_hash: string,
    state: Follow,
    look: (payment: LndPayment | undefined, firstMessage: boolean) => T | undefined,
    again: () => boolean,
  ): Promise<T | undefined> => {
    while (!state.done) {
      let s: Awaited<ReturnType<typeof stream<'trackPaymentV2'>>> | undefined;
      try {
        s = await stream('trackPaymentV2', { paymentHash: hexToBytes(payment_hash) });
        state.cancel = s.cancel;
        if (state.done) s.cancel();
        let firstMessage = true;
        for (;;) {
          const payment = await s.next();
          if (payment === undefined || state.done) break;
          const found = look(payment, firstMessage);
          firstMessage = false;
          if (found !== undefined) {
            s.cancel();
            return found;
          }
        }
      } catch (error) {
        s?.cancel();
        const r = refusal(error);
        if (!r || r.code !== GRPC.NOT_FOUND) throw error;
        const found = look(undefined, true);
        if (found !== undefined) return found;
      }
      if (!again()) return undefined;
      await sleep(pollInterval, state);
    }
    return undefined;
  };

  /** Our part with that key at lnd now (TrackPaymentV2's first message), or undefined. */
  const partAtLnd = async (key: PartKey): Promise<NodePart | undefined> => {
    const state = { done: false };
    const found = await track<NodePart | null>(
      key.payment_hash,
      state,
      (payment) => {
        if (!payment) return null;
        for (const h of payment.htlcs) if (h.route && h.route.hops.length <= MAX_HOPS) learnRoute(h.route.hops);
        return (
          readPaymentParts('TrackPaymentV2', key.payment_hash, payment, ourId).find(
            (p) => p.groupid === key.groupid && p.partid === key.partid,
          ) ?? null
        );
      },
      () => false,
    );
    return found ?? undefined;
  };

  /** The engine's route as lnd's (§3.1): what each node sends on, absolute CLTVs from `height`. */
  const lndRoute = (request: SendpayRequest, height: number): Request<'sendToRouteV2'>['route'] => {
    const { route } = request;
    const n = route.length;
    const hops = route.map((hop, i) => {
      const next = i + 1 < n ? route[i + 1]! : hop;
      const chanId = scidToLnd(hop.channel);
      if (chanId === undefined) throw engineError('INVALID_ARGUMENT', `route[${i}].channel ${hop.channel} is not a valid short channel id`);
      return {
        chanId,
        pubKey: hop.id,
        amtToForwardMsat: BigInt(next.amount_msat),
        expiry: height + next.delay,
        ...(i === n - 1
          ? {
              mppRecord: { paymentAddr: hexToBytes(request.payment_secret), totalAmtMsat: BigInt(request.amount_msat) },
              customRecords: new Map([[AMPKIT_RECORD, partRecord(request.groupid, request.partid)]]),
            }
          : {}),
      };
    });
    return { totalAmtMsat: BigInt(route[0]!.amount_msat), totalTimeLock: height + route[0]!.delay, hops };
  };

  /** A deadline as a promise that rejects with `TIMEOUT`, and its cancel. */
  const deadline = (secondsLeft: number, message: string): [Promise<never>, () => void] => {
    let cancel = (): void => {};
    const promise = new Promise<never>((_, reject) => {
      if (secondsLeft === 0 || secondsLeft === Infinity) return;
      cancel = longTimeout(() => reject(engineError('TIMEOUT', message)), secondsLeft * 1000);
    });
    promise.catch(() => {});
    return [promise, () => cancel()];
  };

  /** The layers' ignores for a query that puts `amount_msat` on each channel it uses. */
  const ignoresFor = (names: string[], amount_msat: number): Pick<Request<'queryRoutes'>, 'ignoredNodes' | 'ignoredPairs'> => {
    const nodes = new Set<string>();
    const pairs = new Map<string, { from: Uint8Array; to: Uint8Array }>();
    const pair = (scidDir: string): void => {
      const m = SCID_DIR.exec(scidDir);
      const ends = m && channelEnds.get(m[1]!);
      if (!m || !ends) return; // a channel we never saw: lnd cannot be told about it by nodes
      const [from, to] = m[2] === '0' ? ends : [ends[1], ends[0]];
      pairs.set(`${from}>${to}`, { from: hexToBytes(from), to: hexToBytes(to) });
    };
    for (const name of names) {
      const layer = layers.get(name);
      if (!layer) {
        if (name.startsWith('auto.')) continue; // askrene's built-in layers: lnd's pathfinding does their work
        throw engineError('NODE_ERROR', `getroutes: unknown layer ${name}`, { data: { layer: name } });
      }
      layer.nodes.forEach((n) => nodes.add(n));
      layer.disabled.forEach(pair);
      layer.constrained.forEach((max, scidDir) => amount_msat >= max && pair(scidDir));
    }
    return { ignoredNodes: [...nodes].map((n) => hexToBytes(n)), ignoredPairs: [...pairs.values()] };
  };

  /** lnd's route as a `getroutes` path (§3.1 read backwards; delays relative to the destination's `final_cltv`). */
  const readQueriedRoute = (route: LndRoute | undefined, amount_msat: number, final_cltv: number): NodeRoute => {
    const m = 'QueryRoutes';
    const r = checkRoute(m, route);
    const hops = r.hops;
    const n = hops.length;
    const last = hops[n - 1]!;
    if (safe(m, last.amtToForwardMsat, 'amt_to_forward_msat') !== amount_msat)
      throw badReply(m, 'has a route that does not deliver the amount asked');
    if (hops.some((h) => h.mppRecord || h.ampRecord)) throw badReply(m, 'has a route with a payment record already on it');
    const finalExpiry = last.expiry;
    const path: RouteHop[] = hops.map((hop, i) => {
      const into =
        i === 0 ? { amt: r.totalAmtMsat, expiry: r.totalTimeLock } : { amt: hops[i - 1]!.amtToForwardMsat, expiry: hops[i - 1]!.expiry };
      const from = i === 0 ? ourId : hops[i - 1]!.pubKey;
      return {
        id: hop.pubKey,
        channel: scid(m, hop.chanId),
        direction: directionOf(from, hop.pubKey),
        amount_msat: Number(into.amt),
        delay: into.expiry - finalExpiry + final_cltv,
        style: 'tlv',
      };
    });
    // What arrives at the destination is what its last hop forwards.
    if (path[n - 1]!.amount_msat !== amount_msat) throw badReply(m, "has a route whose last hops disagree on the destination's amount");
    learnRoute(hops);
    return { amount_msat, route: path };
  };

  /** Errors of QueryRoutes as `getroutes`' codes (§6): 205 no path, 215 not enough local balance. */
  const routeError = (error: unknown): unknown => {
    const r = refusal(error);
    if (!r) return error;
    if (r.message.includes('unable to find a path to destination'))
      return engineError('NODE_ERROR', `getroutes: ${r.message}`, { nodeCode: 205, data: { message: r.message, grpcCode: r.code } });
    if (r.message.includes('insufficient local balance'))
      return engineError('NODE_ERROR', `getroutes: ${r.message}`, { nodeCode: 215, data: { message: r.message, grpcCode: r.code } });
    return error;
  };
  const routeCode = (error: unknown): number | undefined =>
    error instanceof AmpkitError && error.code === 'NODE_ERROR' && (error.nodeCode === 205 || error.nodeCode === 215)
      ? error.nodeCode
      : undefined;

  const query = async (
    request: GetroutesRequest,
    amount_msat: number,
    fee_msat: number | undefined,
    outgoing?: string,
  ): Promise<NodeRoute> => {
    const q: Request<'queryRoutes'> = {
      pubKey: request.destination,
      amtMsat: BigInt(amount_msat),
      finalCltvDelta: request.final_cltv,
      useMissionControl: true,
      ...ignoresFor(request.layers, amount_msat),
      ...(fee_msat === undefined ? {} : { feeLimit: { limit: { $case: 'fixedMsat', fixedMsat: BigInt(fee_msat) } } }),
      ...(outgoing === undefined ? {} : { outgoingChanIds: [BigInt(outgoing)] }),
    };
    let reply: Reply<'queryRoutes'>;
    try {
      reply = await unary('queryRoutes', q);
    } catch (error) {
      throw routeError(error);
    }
    if (reply.routes.length === 0) throw badReply('QueryRoutes', 'has no routes');
    const route = readQueriedRoute(reply.routes[0], amount_msat, request.final_cltv);
    if (fee_msat !== undefined && route.route[0]!.amount_msat - amount_msat > fee_msat)
      throw badReply('QueryRoutes', 'has a route above the fee limit');
    return route;
  };

  /**
   * The whole amount split over our channels by what each can spend, one QueryRoutes per share
   * (§6). A share's first hop also carries the later hops' fees: each channel delivers what it
   * can spend less its share of the fee budget, so a route within that budget fits the channel.
   */
  const split = async (request: GetroutesRequest, maxparts: number): Promise<NodeRoute[]> => {
    const channels = (await listChannels()).filter((c) => c.active && c.spendable > 0).sort((a, b) => b.spendable - a.spendable);
    const shares: { chanId: string; amount: number }[] = [];
    const feeShare = (amount: number) => Math.floor((request.maxfee_msat * amount) / request.amount_msat);
    let left = request.amount_msat;
    for (const c of channels) {
      if (left === 0 || shares.length === maxparts) break;
      const amount = Math.min(left, c.spendable - Math.ceil((request.maxfee_msat * Math.min(c.spendable, left)) / request.amount_msat));
      if (amount <= 0) continue;
      shares.push({ chanId: c.chanId, amount });
      left -= amount;
    }
    if (left > 0 || shares.length < 2)
      throw engineError('NODE_ERROR', `getroutes: our channels cannot send ${request.amount_msat} msat in ${maxparts} parts`, {
        nodeCode: 215,
      });
    const routes: NodeRoute[] = [];
    for (const share of shares) routes.push(await query(request, share.amount, feeShare(share.amount), share.chanId));
    return routes;
  };

  /** Our channels as ListChannels has them, with what each can spend (§7). */
  const listChannels = async () => {
    const m = 'ListChannels';
    const reply = await unary('listChannels', {});
    return reply.channels.map((c) => {
      const reserve = safe(m, c.localConstraints?.chanReserveSat ?? 0n, 'chan_reserve_sat');
      const local = safe(m, c.localBalance, 'local_balance');
      const spendable = Math.max(0, local - reserve) * 1000;
      const total = safe(m, c.capacity, 'capacity') * 1000;
      if (!Number.isSafeInteger(spendable) || !Number.isSafeInteger(total)) throw badReply(m, 'has a balance beyond exact numbers');
      const chanId = c.zeroConf && c.zeroConfConfirmedScid > 0n ? c.zeroConfConfirmedScid.toString() : c.chanId;
      return { c, chanId, spendable, total, active: c.active };
    });
  };

  let graph: { at: number; reply: Promise<Reply<'describeGraph'>> } | undefined;
  /** One DescribeGraph answer shared by `listchannels` and `listnodes` for `graphTtl` ms. */
  const describeGraph = (): Promise<Reply<'describeGraph'>> => {
    const now = Date.now();
    if (!graph || now - graph.at > graphTtl) {
      const reply = unary('describeGraph', { includeUnannounced: false }, { timeout: 0 });
      graph = { at: now, reply };
      reply.catch(() => {
        if (graph?.reply === reply) graph = undefined;
      });
    }
    return graph.reply;
  };

  /** The hold invoice methods' errors: no invoicesrpc → HOLD_UNSUPPORTED; `unable to locate invoice` → NOT_FOUND (§5.4, hard spot 6). */
  const holdError = (error: unknown): unknown => {
    const r = refusal(error);
    if (!r) return error;
    if (r.code === GRPC.UNIMPLEMENTED)
      return engineError('HOLD_UNSUPPORTED', `lnd has no invoicesrpc sub-server (${r.message})`, { nodeCode: r.code, cause: error });
    if (r.code === GRPC.NOT_FOUND || r.message.includes('unable to locate invoice') || r.message.includes('there are no existing invoices'))
      return engineError('NOT_FOUND', `no such invoice at lnd: ${r.message}`, { nodeCode: r.code, cause: error });
    return error;
  };

  /** LookupInvoice, or undefined when lnd has no invoice with that hash. */
  const lookup = async (payment_hash: string): Promise<LndInvoice | undefined> => {
    try {
      const invoice = await unary('lookupInvoice', { rHash: hexToBytes(payment_hash) });
      if (bytesToHex(invoice.rHash) !== payment_hash) throw badReply('LookupInvoice', 'is about another payment hash');
      return invoice;
    } catch (error) {
      const mapped = holdError(error);
      if (mapped instanceof AmpkitError && mapped.code === 'NOT_FOUND') return undefined;
      throw mapped;
    }
  };

  /** The HTLCs lnd recorded for an invoice (§5.2), checked. */
  const invoiceHtlcs = (invoice: LndInvoice): NodeHoldHtlc[] => {
    const m = 'LookupInvoice';
    return invoice.htlcs.map((h) => {
      const state = HTLC_STATES[h.state];
      if (!state) throw badReply(m, `has an HTLC state ${h.state}`);
      const row: NodeHoldHtlc = {
        short_channel_id: scid(m, h.chanId),
        id: safe(m, h.htlcIndex, 'htlc_index'),
        amount_msat: safe(m, h.amtMsat, 'amt_msat'),
        expiry: safe(m, h.expiryHeight, 'expiry_height'),
        state,
        created_at: safe(m, h.acceptTime, 'accept_time'),
      };
      const resolved = safe(m, h.resolveTime, 'resolve_time');
      if (state !== 'accepted' && resolved > 0) row.resolved_at = resolved;
      return row;
    });
  };

  /** A bolt11 lnd made for `payment_hash`, decoded and checked. */
  const checkBolt11 = (method: string, bolt11: string, payment_hash: string, amount_msat: number): Bolt11Invoice => {
    let decoded: Bolt11Invoice;
    try {
      decoded = decodeBolt11(bolt11);
    } catch {
      throw badReply(method, 'has a payment_request that does not decode');
    }
    if (decoded.payment_hash !== payment_hash) throw badReply(method, 'has a payment_request for another payment hash');
    if ((decoded.amount_msat ?? 0) !== amount_msat) throw badReply(method, 'has a payment_request for another amount');
    if (decoded.payee !== ourId) throw badReply(method, "has a payment_request that is not this node's");
    return decoded;
  };

  const layerNamed = (method: string, name: string): Layer => {
    const layer = layers.get(name);
    if (!layer) throw engineError('NODE_ERROR', `${method}: unknown layer ${name}`, { data: { layer: name } });
    return layer;
  };

  const unsupported = (method: string): AmpkitError =>
    engineError(
      'NODE_ERROR',
      `${method}: lnd keeps no HTLC history (Core Lightning's listhtlcs/wait htlcs); incoming parts on lnd are read from its invoices`,
      { data: { method, reason: 'lnd-no-htlc-history' } },
    );

  return {
    id: ourId,

    async sendpay(request: SendpayRequest): Promise<NodePart> {
      // Hard spot 3: a second SendToRouteV2 would make a second HTLC, so the part is looked for first.
      const there = await partAtLnd(request);
      if (there) return there;
      const { blockheight } = readInfo(await unary('getInfo', {}));
      const key = keyOf(request);
      const answer = unary(
        'sendToRouteV2',
        { paymentHash: hexToBytes(request.payment_hash), route: lndRoute(request, blockheight + BLOCK_PADDING), skipTempErr: true },
        // lnd answers only when the HTLC resolves, which may take hours: no time limit but the link's.
        { timeout: 0 },
      );
      sending.set(key, answer);
      answer.then(
        () => sending.get(key) === answer && sending.delete(key),
        () => sending.get(key) === answer && sending.delete(key),
      );
      const state: Follow = { done: false };
      // The answer, when it comes first: the attempt as lnd stored it, or a refusal of a part never registered.
      const answered = answer.then(
        (attempt) => {
          const part = readAttempt('SendToRouteV2', request.payment_hash, attempt, ourId);
          if (!part || part.groupid !== request.groupid || part.partid !== request.partid)
            throw badReply('SendToRouteV2', 'has an attempt without our part record');
          return part;
        },
        async (error: unknown) => {
          const r = refusal(error);
          // lnd refuses a part with UNKNOWN or ALREADY_EXISTS (§3.3); any other status, like a lost
          // link, leaves it unknown whether lnd has the part: the engine then sends it again, which finds it.
          if (r?.code === GRPC.UNIMPLEMENTED) throw error; // no routerrpc sub-server: nothing was sent
          if (!r || (r.code !== GRPC.UNKNOWN && r.code !== GRPC.ALREADY_EXISTS))
            throw r ? engineError('CONNECTION', `sendpay: lnd's answer was lost (${r.message})`, { cause: error }) : error;
          // lnd also answers an error for a part it did register when it stops while waiting (§3.3): its record decides.
          // Refused before lnd registered it: failed, with lnd's words (hard spot 2).
          return (await partAtLnd(request)) ?? unsentPart(request, r.message);
        },
      );
      // The part as soon as lnd registered it (hard spot 2).
      const registered = track<NodePart>(
        request.payment_hash,
        state,
        (payment) =>
          payment &&
          readPaymentParts('TrackPaymentV2', request.payment_hash, payment, ourId).find(
            (p) => p.groupid === request.groupid && p.partid === request.partid,
          ),
        () => true,
      ).then((part) => part ?? new Promise<NodePart>(() => {}));
      const [timeout, cancelTimeout] = deadline(sendpayTimeout, 'sendpay: lnd did not register the part in time');
      try {
        return await Promise.race([answered, registered, timeout]);
      } finally {
        end(state);
        cancelTimeout();
        registered.catch(() => {});
        answered.catch(() => {});
      }
    },

    async waitsendpay(request: PartKey & { timeout: number }): Promise<NodePart> {
      const key = keyOf(request);
      const pending = sending.get(key);
      const state: Follow = { done: false };
      let seen = false;
      const resolved = (part: NodePart | undefined) => (part && part.status !== 'pending' ? part : undefined);
      const fromAnswer = pending
        ? pending.then(
            (attempt) => resolved(readAttempt('SendToRouteV2', request.payment_hash, attempt, ourId)) ?? new Promise<NodePart>(() => {}),
            () => new Promise<NodePart>(() => {}),
          )
        : new Promise<NodePart>(() => {});
      const fromTrack = track<NodePart | null>(
        request.payment_hash,
        state,
        (payment, firstMessage) => {
          const part = payment
            ? readPaymentParts('TrackPaymentV2', request.payment_hash, payment, ourId).find(
                (p) => p.groupid === request.groupid && p.partid === request.partid,
              )
            : undefined;
          // A part lnd has not got is not waited for, unless our SendToRouteV2 for it is still out.
          if (!part && firstMessage && !sending.has(key)) return null;
          if (part) seen = true;
          // A timeout of 0 asks how the part is now, as Core Lightning's waitsendpay does.
          if (request.timeout === 0 && (!part || part.status === 'pending'))
            throw engineError('TIMEOUT', 'waitsendpay: the part is still in flight');
          return resolved(part);
        },
        // A stream that ends while the part is in flight (lnd ends it only after a final state) is opened again.
        () => seen || sending.has(key),
      ).then((part) => {
        // The stream ended without the part while our SendToRouteV2 for it was out: its answer tells.
        if (part === undefined && pending && !state.done) return fromAnswer;
        if (part === null || (part === undefined && !state.done))
          throw engineError('NOT_FOUND', `waitsendpay: lnd has no part ${request.groupid}/${request.partid} of ${request.payment_hash}`);
        return part ?? new Promise<NodePart>(() => {});
      });
      const [timeout, cancelTimeout] = deadline(Math.max(0, request.timeout), 'waitsendpay: timed out while waiting');
      try {
        return await Promise.race([fromAnswer, fromTrack, timeout]);
      } finally {
        end(state);
        cancelTimeout();
        fromTrack.catch(() => {});
      }
    },

    async listsendpays(request: { payment_hash: string }): Promise<NodePart[]> {
      const parts = await track<NodePart[]>(
        request.payment_hash,
        { done: false },
        (payment) => (payment ? readPaymentParts('TrackPaymentV2', request.payment_hash, payment, ourId) : []),
        () => false,
      );
      return parts ?? [];
    },

    async getroutes(request: GetroutesRequest): Promise<NodeRoute[]> {
      const maxparts = request.maxparts ?? 1;
      try {
        return [await query(request, request.amount_msat, request.maxfee_msat)];
      } catch (error) {
        const code = routeCode(error);
        if (code === undefined) throw error;
        if (maxparts > 1) {
          try {
            return await split(request, maxparts);
          } catch (splitError) {
            if (routeCode(splitError) === undefined) throw splitError;
          }
        }
        if (code === 205) {
          // "No path" and "too expensive" are one answer at lnd: a query without the fee limit tells them apart.
          const found = await query(request, request.amount_msat, undefined).then(
            () => true,
            () => false,
          );
          if (found)
            throw engineError('NODE_ERROR', `getroutes: no path within the fee budget of ${request.maxfee_msat} msat`, { nodeCode: 206 });
        }
        throw error;
      }
    },

    async askrenecreatelayer({ layer }) {
      if (layers.has(layer)) throw engineError('NODE_ERROR', `askrene-create-layer: layer ${layer} already exists`, { data: { layer } });
      layers.set(layer, { nodes: new Set(), disabled: new Set(), constrained: new Map() });
    },

    async askreneconstrainchannel({ layer, short_channel_id_dir, amount_msat }) {
      if (!SCID_DIR.test(short_channel_id_dir))
        throw engineError('INVALID_ARGUMENT', `invalid short_channel_id_dir ${short_channel_id_dir}`);
      const l = layerNamed('askrene-inform-channel', layer);
      const before = l.constrained.get(short_channel_id_dir);
      l.constrained.set(short_channel_id_dir, before === undefined ? amount_msat : Math.min(before, amount_msat));
    },

    async askrenedisablechannel({ layer, short_channel_id_dir }) {
      if (!SCID_DIR.test(short_channel_id_dir))
        throw engineError('INVALID_ARGUMENT', `invalid short_channel_id_dir ${short_channel_id_dir}`);
      layerNamed('askrene-update-channel', layer).disabled.add(short_channel_id_dir);
    },

    async askrenedisablenode({ layer, node }) {
      if (!PUBKEY.test(node)) throw engineError('INVALID_ARGUMENT', `invalid node id ${node}`);
      layerNamed('askrene-disable-node', layer).nodes.add(node);
    },

    async askreneremovelayer({ layer }) {
      layerNamed('askrene-remove-layer', layer);
      layers.delete(layer);
    },

    async listchannels(request = {}, each) {
      const reply = await describeGraph();
      const out: NodeChannel[] = [];
      for (const edge of reply.edges) {
        const s = scidFromLnd(edge.channelId);
        if (!s || (request.short_channel_id !== undefined && s !== request.short_channel_id)) continue;
        if (!PUBKEY.test(edge.node1Pub) || !PUBKEY.test(edge.node2Pub) || edge.node1Pub === edge.node2Pub) continue;
        if (edge.capacity > BigInt(Math.floor(Number.MAX_SAFE_INTEGER / 1000))) continue;
        channelEnds.set(s, edge.node1Pub < edge.node2Pub ? [edge.node1Pub, edge.node2Pub] : [edge.node2Pub, edge.node1Pub]);
        // node1_policy is what node1 charges to send towards node2 (§7); direction by BOLT 7's ordering.
        for (const [policy, source, destination] of [
          [edge.node1Policy, edge.node1Pub, edge.node2Pub],
          [edge.node2Policy, edge.node2Pub, edge.node1Pub],
        ] as const) {
          if (!policy) continue;
          const u32 = (v: bigint | number) =>
            typeof v === 'bigint' ? v <= 0xffffffffn && v >= 0n : Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
          if (!u32(policy.feeBaseMsat) || !u32(policy.feeRateMilliMsat) || !u32(policy.timeLockDelta)) continue;
          if (policy.minHtlc < 0n || policy.minHtlc > BigInt(Number.MAX_SAFE_INTEGER)) continue;
          if (policy.maxHtlcMsat > BigInt(Number.MAX_SAFE_INTEGER)) continue;
          const channel: NodeChannel = {
            source,
            destination,
            short_channel_id: s,
            direction: directionOf(source, destination),
            amount_msat: Number(edge.capacity) * 1000,
            active: !policy.disabled,
            base_fee_millisatoshi: Number(policy.feeBaseMsat),
            fee_per_millionth: Number(policy.feeRateMilliMsat),
            delay: policy.timeLockDelta,
            htlc_minimum_msat: Number(policy.minHtlc),
            last_update: policy.lastUpdate,
          };
          if (policy.maxHtlcMsat > 0n) channel.htlc_maximum_msat = Number(policy.maxHtlcMsat);
          if (each) each(channel);
          else out.push(channel);
        }
      }
      return out;
    },

    async listnodes() {
      const reply = await describeGraph();
      const nodes: NodeAnnouncement[] = [];
      for (const node of reply.nodes) {
        if (!PUBKEY.test(node.pubKey)) continue;
        const bits = Object.keys(node.features).map(Number);
        // A bit beyond any feature defined is a malformed entry (and would make a huge bitfield).
        if (bits.some((b) => !Number.isInteger(b) || b < 0 || b > 1023)) continue;
        nodes.push(bits.length === 0 ? { nodeid: node.pubKey } : { nodeid: node.pubKey, features: featureHex(bits) });
      }
      return nodes;
    },

    async listpeerchannels(): Promise<NodePeerChannel[]> {
      const m = 'ListChannels';
      return (await listChannels()).map(({ c, chanId, spendable, total, active }) => {
        const channel: NodePeerChannel = {
          peer_id: pubkey(m, c.remotePubkey, 'remote_pubkey'),
          state: active ? 'CHANNELD_NORMAL' : 'LND_INACTIVE',
          peer_connected: active,
          spendable_msat: spendable,
          total_msat: total,
        };
        const s = scidFromLnd(chanId);
        if (s) channel.short_channel_id = s;
        const constraints = c.localConstraints;
        if (constraints) {
          channel.minimum_htlc_out_msat = safe(m, constraints.minHtlcMsat, 'min_htlc_msat');
          const max = safe(m, constraints.maxPendingAmtMsat, 'max_pending_amt_msat');
          if (max > 0) channel.maximum_htlc_out_msat = max;
        }
        return channel;
      });
    },

    async getinfo(): Promise<NodeInfo> {
      const info = readInfo(await unary('getInfo', {}));
      if (info.id !== ourId) throw badReply('GetInfo', `names node ${info.id}, not ${ourId}`);
      return info;
    },

    async invoice(request) {
      const m = 'AddInvoice';
      const reply = await unary('addInvoice', {
        memo: request.description,
        valueMsat: BigInt(request.amount_msat),
        expiry: BigInt(request.expiry),
      });
      if (reply.rHash.length !== 32) throw badReply(m, 'has no valid r_hash');
      const payment_hash = bytesToHex(reply.rHash);
      const decoded = checkBolt11(m, reply.paymentRequest, payment_hash, request.amount_msat);
      return { payment_hash, bolt11: reply.paymentRequest, expires_at: decoded.created_at + decoded.expiry };
    },

    async listinvoices({ payment_hash }): Promise<NodeInvoice[]> {
      const m = 'LookupInvoice';
      const invoice = await lookup(payment_hash);
      if (!invoice) return [];
      const decoded = checkBolt11(m, invoice.paymentRequest, payment_hash, safe(m, invoice.valueMsat, 'value_msat'));
      const status = invoice.state === INVOICE.SETTLED ? 'paid' : invoice.state === INVOICE.CANCELED ? 'expired' : 'unpaid';
      if (!(invoice.state in HOLD_STATES)) throw badReply(m, `has an invoice state ${invoice.state}`);
      // lnd has no label: the engine keeps its own.
      const row: NodeInvoice = {
        label: '',
        bolt11: invoice.paymentRequest,
        payment_hash,
        status,
        expires_at: decoded.created_at + decoded.expiry,
        htlcs: invoiceHtlcs(invoice),
      };
      if (decoded.amount_msat !== undefined) row.amount_msat = decoded.amount_msat;
      if (status === 'paid') {
        row.amount_received_msat = safe(m, invoice.amtPaidMsat, 'amt_paid_msat');
        row.paid_at = safe(m, invoice.settleDate, 'settle_date');
        // lnd returns a plain invoice's preimage from the start: only a settled one is a proof of payment.
        row.payment_preimage = checkPreimage(m, invoice.rPreimage, payment_hash);
      }
      return [row];
    },

    async holdinvoice(request) {
      const m = 'AddHoldInvoice';
      let reply: Reply<'addHoldInvoice'>;
      try {
        reply = await unary('addHoldInvoice', {
          hash: hexToBytes(request.payment_hash),
          valueMsat: BigInt(request.amount_msat),
          ...(request.description !== undefined ? { memo: request.description } : {}),
          ...(request.expiry !== undefined ? { expiry: BigInt(request.expiry) } : {}),
        });
      } catch (error) {
        throw holdError(error);
      }
      checkBolt11(m, reply.paymentRequest, request.payment_hash, request.amount_msat);
      return { bolt11: reply.paymentRequest };
    },

    async settleholdinvoice({ preimage }) {
      try {
        await unary('settleInvoice', { preimage: hexToBytes(preimage) });
      } catch (error) {
        throw holdError(error);
      }
    },

    async cancelholdinvoice({ payment_hash }) {
      try {
        await unary('cancelInvoice', { paymentHash: hexToBytes(payment_hash) });
      } catch (error) {
        throw holdError(error);
      }
    },

    async listholdinvoices({ payment_hash }): Promise<NodeHoldInvoice[]> {
      const m = 'LookupInvoice';
      const invoice = await lookup(payment_hash);
      if (!invoice) return [];
      const state = HOLD_STATES[invoice.state];
      if (!state) throw badReply(m, `has an invoice state ${invoice.state}`);
      // lnd made a plain invoice's preimage itself and shows it before it is settled: not a hold invoice (§5.2).
      if (state !== 'paid' && invoice.rPreimage.length > 0) return [];
      const amount_msat = safe(m, invoice.valueMsat, 'value_msat');
      checkBolt11(m, invoice.paymentRequest, payment_hash, amount_msat);
      const row: NodeHoldInvoice = {
        payment_hash,
        bolt11: invoice.paymentRequest,
        amount_msat,
        state,
        created_at: safe(m, invoice.creationDate, 'creation_date'),
        htlcs: invoiceHtlcs(invoice),
      };
      if (state === 'paid') {
        row.paid_at = safe(m, invoice.settleDate, 'settle_date');
        row.preimage = checkPreimage(m, invoice.rPreimage, payment_hash);
      }
      return [row];
    },

    async listhtlcs() {
      throw unsupported('listhtlcs');
    },

    async waithtlcs() {
      throw unsupported('waithtlcs');
    },

    waitinvoices: (request) => invoiceWatch.wait(request),

    connected(): Promise<void> {
      return untilOpen(rpc);
    },
  };
}

/** BOLT 9 feature bits as Core Lightning's hex bitfield, most significant byte first. */
export function featureHex(bits: number[]): string {
  const length = Math.floor(Math.max(...bits) / 8) + 1;
  const bytes = new Uint8Array(length);
  for (const bit of bits) bytes[length - 1 - (bit >> 3)]! |= 1 << (bit & 7);
  return bytesToHex(bytes);
}
