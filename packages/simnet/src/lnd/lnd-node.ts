/**
 * A simulated LND node: a node of the shared {@link Network} with lnd's personality, whose
 * gRPC methods (the 14 of `lndMethods` in @ampkit/wire/lnc) answer with lnd's shapes, codes
 * and texts as docs/lnd.md states them (each section cited where it is implemented). simnet
 * serves it only over LNC (lnc/endpoint.ts through lnc/mailbox.ts), like litd in front of lnd.
 *
 * What it models:
 * - sending (§3): SendToRouteV2 answering only when the HTLC resolves; lnd's payment control
 *   (InitPayment by the stored status, `Registrable()`, `verifyAttempt()` with the overpay
 *   guard, their texts and codes); node-wide attempt ids; `skip_temp_err` and the failures
 *   that end a payment; a FAILED payment reset (attempts deleted) when sent to again; hop
 *   custom records kept with the attempt and returned as sent; TrackPaymentV2 (current state
 *   first, one message per change, end at a terminal state) and ListPayments;
 * - failures (§4): the BOLT 4 code mapped to lnrpc's enum, `failure_source_index` as lnd
 *   counts it (0 our node, k the k-th hop's node), `htlc_msat` and `height` where BOLT 4
 *   carries them;
 * - receiving (§5): AddInvoice / AddHoldInvoice (24 h default expiry, cltv 80, a signed BOLT 11
 *   with a payment secret), lnd's MPP receiver (parts held until the announced total arrives,
 *   120 s per HTLC from its own accept time, refusals as INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS),
 *   InvoiceHTLC rows, amt_paid only once not OPEN, hold invoices ACCEPTED then settled or
 *   cancelled, Lookup/List/SubscribeSingleInvoice with their codes;
 * - GetInfo (§2), ListChannels and DescribeGraph (§7) from the simulated channels, QueryRoutes
 *   (§6) as one route over gossip plus our own real balances.
 *
 * What it does not model: macaroons (a session's permissions are checked in front of it, by
 * lnd/permissions.ts; the node itself allows every call), mission control
 * (`use_mission_control` is ignored), lnd restarts and `resumePayments()`, the
 * hold-invoice expiry at `expiry_height − holdexpirydelta` (no blocks are mined), invoice
 * expiry other than lazily when an OPEN invoice is read or paid, AMP, keysend, blinded
 * paths, route hints, channel_update inside failures, `first_hop_custom_records`, custom
 * records in the onion (the payee never sees them), the custom-record type check
 * (`record.CustomSet.Validate()`), and lnd's block padding (none is added to a given route,
 * as lnd does for SendToRoute).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { encodeBolt11 } from '@ampkit/wire';
import {
  decodeLnd,
  encodeLnd,
  invoicesDecode,
  invoicesEncode,
  lightningDecode,
  lightningEncode,
  routerDecode,
} from '@ampkit/wire/lnc-server';
import { Changes } from '../changes.ts';
import {
  FailCode,
  type Attempt,
  type AttemptResult,
  type Channel,
  type FailName,
  type Network,
  type RouteHop,
  type SimNode,
} from '../network.ts';
import { findPath, toRoute } from '../routing.ts';
import { derive, deriveKey } from '../seed.ts';
import { TestGrpcStatus, type TestCall, type TestHandler } from '../lnc/endpoint.ts';

type EncInvoice = lightningEncode.Invoice;
type EncRoute = lightningEncode.Route;
type EncAttempt = lightningEncode.HTLCAttempt;
type EncPayment = lightningEncode.Payment;

/** gRPC status codes lnd's refusals carry (docs/lnd.md §1: most are UNKNOWN). */
const UNKNOWN = 2;
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;

/** §5.1: `expiry` 0 means 24 h (`DefaultInvoiceExpiry`); at most one year. */
const DEFAULT_INVOICE_EXPIRY = 86_400;
const MAX_INVOICE_EXPIRY = 365 * 24 * 3600;
/** §5.1: `cltv_expiry` 0 means the node's timelockdelta (default 80). */
const DEFAULT_CLTV = 80;
/** §5.3: an HTLC of an incomplete set is held 120 s from its own accept time. */
export const LND_MPP_TIMEOUT_MS = 120_000;
/** Invoice features lnd sets: var_onion_optin (9), payment_secret required (14), basic_mpp (17). */
const INVOICE_FEATURES = [9, 14, 17];
const FEATURES: Record<number, { name: string; isRequired: boolean; isKnown: boolean }> = {
  9: { name: 'tlv-onion', isRequired: false, isKnown: true },
  14: { name: 'payment-addr', isRequired: true, isKnown: true },
  17: { name: 'multi-path-payments', isRequired: false, isKnown: true },
};

/** Invoice states (§5.2). */
const OPEN = 0;
const SETTLED = 1;
const CANCELED = 2;
const ACCEPTED = 3;
/** InvoiceHTLC states (§5.2). */
const HTLC_ACCEPTED = 0;
const HTLC_SETTLED = 1;
const HTLC_CANCELED = 2;
/** HTLCAttempt statuses (§3.3). */
const ATTEMPT_IN_FLIGHT = 0;
const ATTEMPT_SUCCEEDED = 1;
const ATTEMPT_FAILED = 2;
/** Payment statuses (§3.4). */
const PAYMENT_IN_FLIGHT = 1;
const PAYMENT_SUCCEEDED = 2;
const PAYMENT_FAILED = 3;
const PAYMENT_INITIATED = 4;
/** Failure reasons (§3.4). */
const REASON_NONE = 0;
const REASON_ERROR = 3;
const REASON_INCORRECT_PAYMENT_DETAILS = 4;

/** BOLT 4 code → lnrpc `Failure.FailureCode` (§4's table), for the codes simnet's hops produce. */
const LNRPC_CODE: Record<number, number> = {
  [FailCode.incorrect_or_unknown_payment_details]: 1,
  [FailCode.final_incorrect_cltv_expiry]: 3,
  [FailCode.expiry_too_soon]: 7,
  [FailCode.amount_below_minimum]: 11,
  [FailCode.fee_insufficient]: 12,
  [FailCode.incorrect_cltv_expiry]: 13,
  [FailCode.channel_disabled]: 14,
  [FailCode.temporary_channel_failure]: 15,
  [FailCode.unknown_next_peer]: 18,
  [FailCode.temporary_node_failure]: 19,
  [FailCode.permanent_node_failure]: 20,
  [FailCode.mpp_timeout]: 23,
};

/** A short channel id `BxTxO` as lnd's uint64, in decimal (the `jstype = JS_STRING` form). */
export function scidToChanId(scid: string): string {
  const [block, tx, out] = scid.split('x').map(BigInt) as [bigint, bigint, bigint];
  return ((block << 40n) | (tx << 16n) | out).toString();
}

/** lnd's uint64 channel id (decimal) as `BxTxO`. */
export function chanIdToScid(chanId: string): string {
  const id = BigInt(chanId);
  return `${id >> 40n}x${(id >> 16n) & 0xffffffn}x${id & 0xffffn}`;
}

const refuse = (code: number, message: string): TestGrpcStatus => new TestGrpcStatus(code, message);

/** One InvoiceHTLC row (§5.2), as stored. */
interface HtlcRow {
  chanId: string;
  htlcIndex: bigint;
  amtMsat: bigint;
  acceptHeight: number;
  acceptTime: bigint;
  resolveTime: bigint;
  expiryHeight: number;
  state: number;
  mppTotalAmtMsat: bigint;
}

interface InvoiceRecord {
  hash: string;
  preimage?: Uint8Array;
  hold: boolean;
  memo: string;
  valueMsat: number;
  creationDate: number;
  settleDate: number;
  expiry: number;
  cltvExpiry: number;
  private: boolean;
  paymentRequest: string;
  paymentAddr: Uint8Array;
  addIndex: number;
  settleIndex: number;
  state: number;
  htlcs: { row: HtlcRow; attempt: Attempt; timer?: ReturnType<typeof setTimeout> }[];
}

interface AttemptRecord {
  attemptId: number;
  status: number;
  /** The route as sent (custom records included), with lnd's computed fields filled in. */
  route: EncRoute;
  attemptTimeNs: bigint;
  resolveTimeNs: bigint;
  failure?: lightningEncode.Failure;
  preimage?: Uint8Array;
  /** What the payee receives (the last hop's amt_to_forward_msat). */
  delivered: number;
  /** What left our node (route.total_amt_msat). */
  sent: number;
  mpp?: { addr: string; total: number };
}

interface PaymentRecord {
  hash: string;
  valueMsat: number;
  creationTimeNs: bigint;
  paymentIndex: number;
  failureReason: number;
  attempts: AttemptRecord[];
}

/** One simulated lnd: its key, its invoices and its payments, and its gRPC handlers by path. */
export class LndNode {
  readonly privateKey: Uint8Array;
  /** litd's static key for this node's LNC sessions. */
  readonly lncKey: Uint8Array;
  readonly invoices = new Map<string, InvoiceRecord>();
  readonly payments = new Map<string, PaymentRecord>();
  private readonly changes = new Changes();
  private attemptSeq = 0;
  private paymentSeq = 0;
  private addSeq = 0;
  private settleSeq = 0;
  private secretCounter = 0;
  private preimageCounter = 0;
  private stopped = false;
  /** How many times each path was called: for tests. */
  readonly calls = new Map<string, number>();

  constructor(
    readonly network: Network,
    readonly node: SimNode,
    readonly seed: number,
    /** Milliseconds an HTLC of an incomplete set is held (§5.3: 120 s). */
    readonly mppTimeout = LND_MPP_TIMEOUT_MS,
  ) {
    this.privateKey = deriveKey(seed, node.alias);
    this.lncKey = derive(seed, 'lnc static key', node.alias);
    node.receive = (attempt) => this.receive(attempt);
  }

  static publicKeyOf(seed: number, alias: string): string {
    return bytesToHex(secp256k1.getPublicKey(deriveKey(seed, alias), true));
  }

  stop(): void {
    this.stopped = true;
    for (const invoice of this.invoices.values()) for (const h of invoice.htlcs) clearTimeout(h.timer);
    this.changes.stop();
    this.node.htlcLog.stop();
  }

  /** Resolves at the next change of an invoice or payment, or when the call ends. */
  private async changed(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw refuse(1, 'context canceled');
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(refuse(1, 'context canceled'));
      signal.addEventListener('abort', onAbort, { once: true });
      this.changes.next().then(
        () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error instanceof TestGrpcStatus ? error : refuse(14, 'lnd is shutting down'));
        },
      );
    });
  }

  private wake(): void {
    this.changes.wake();
  }

  /**
   * Counts the call, waits the node's `slowReplies` and `slowMethods` faults (keyed by the
   * method's name, e.g. `SendToRouteV2`), and decodes the request; bytes that are not the
   * request message end the call as grpc-go does (INTERNAL, "grpc: error unmarshalling request").
   */
  private async begin<Q>(path: string, decoder: Parameters<typeof decodeLnd<Q>>[0], bytes: Uint8Array): Promise<Q> {
    this.calls.set(path, (this.calls.get(path) ?? 0) + 1);
    const name = path.slice(path.lastIndexOf('/') + 1);
    const slow = (this.node.faults.slowReplies ?? 0) + (this.node.faults.slowMethods?.[name] ?? 0);
    if (slow) await new Promise((r) => setTimeout(r, slow));
    try {
      return decodeLnd(decoder, bytes, path);
    } catch (error) {
      throw refuse(13, `grpc: error unmarshalling request: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** The gRPC handlers, by path, for the LNC endpoint. */
  handlers(): Record<string, TestHandler> {
    const unary =
      <Q, R>(
        path: string,
        decoder: Parameters<typeof decodeLnd<Q>>[0],
        encoder: Parameters<typeof encodeLnd<R>>[0],
        fn: (q: Q, call: TestCall) => R | Promise<R>,
      ): TestHandler =>
      async (bytes, call) => {
        const request = await this.begin(path, decoder, bytes);
        const reply = await fn(request, call);
        call.send(encodeLnd(encoder, reply));
      };
    const streaming =
      <Q>(path: string, decoder: Parameters<typeof decodeLnd<Q>>[0], fn: (q: Q, call: TestCall) => Promise<void>): TestHandler =>
      async (bytes, call) => {
        await fn(await this.begin(path, decoder, bytes), call);
      };
    const L = lightningDecode;
    const E = lightningEncode;
    return {
      '/lnrpc.Lightning/GetInfo': unary('/lnrpc.Lightning/GetInfo', L.GetInfoRequest, E.GetInfoResponse, () => this.getInfo()),
      '/lnrpc.Lightning/ListChannels': unary('/lnrpc.Lightning/ListChannels', L.ListChannelsRequest, E.ListChannelsResponse, (q) =>
        this.listChannels(q),
      ),
      '/lnrpc.Lightning/DescribeGraph': unary('/lnrpc.Lightning/DescribeGraph', L.ChannelGraphRequest, E.ChannelGraph, () =>
        this.describeGraph(),
      ),
      '/lnrpc.Lightning/QueryRoutes': unary('/lnrpc.Lightning/QueryRoutes', L.QueryRoutesRequest, E.QueryRoutesResponse, (q) =>
        this.queryRoutes(q),
      ),
      '/lnrpc.Lightning/AddInvoice': unary('/lnrpc.Lightning/AddInvoice', L.Invoice, E.AddInvoiceResponse, (q) => this.addInvoice(q)),
      '/lnrpc.Lightning/LookupInvoice': unary('/lnrpc.Lightning/LookupInvoice', L.PaymentHash, E.Invoice, (q) => this.lookupInvoice(q)),
      '/lnrpc.Lightning/ListInvoices': unary('/lnrpc.Lightning/ListInvoices', L.ListInvoiceRequest, E.ListInvoiceResponse, (q) =>
        this.listInvoices(q),
      ),
      '/lnrpc.Lightning/ListPayments': unary('/lnrpc.Lightning/ListPayments', L.ListPaymentsRequest, E.ListPaymentsResponse, (q) =>
        this.listPayments(q),
      ),
      '/routerrpc.Router/SendToRouteV2': unary('/routerrpc.Router/SendToRouteV2', routerDecode.SendToRouteRequest, E.HTLCAttempt, (q) =>
        this.sendToRoute(q),
      ),
      '/routerrpc.Router/TrackPaymentV2': streaming('/routerrpc.Router/TrackPaymentV2', routerDecode.TrackPaymentRequest, (q, call) =>
        this.trackPayment(q, call),
      ),
      '/invoicesrpc.Invoices/SubscribeSingleInvoice': streaming(
        '/invoicesrpc.Invoices/SubscribeSingleInvoice',
        invoicesDecode.SubscribeSingleInvoiceRequest,
        (q, call) => this.subscribeSingleInvoice(q, call),
      ),
      '/invoicesrpc.Invoices/AddHoldInvoice': unary(
        '/invoicesrpc.Invoices/AddHoldInvoice',
        invoicesDecode.AddHoldInvoiceRequest,
        invoicesEncode.AddHoldInvoiceResp,
        (q) => this.addHoldInvoice(q),
      ),
      '/invoicesrpc.Invoices/SettleInvoice': unary(
        '/invoicesrpc.Invoices/SettleInvoice',
        invoicesDecode.SettleInvoiceMsg,
        invoicesEncode.SettleInvoiceResp,
        (q) => this.settleInvoice(q),
      ),
      '/invoicesrpc.Invoices/CancelInvoice': unary(
        '/invoicesrpc.Invoices/CancelInvoice',
        invoicesDecode.CancelInvoiceMsg,
        invoicesEncode.CancelInvoiceResp,
        (q) => this.cancelInvoice(q),
      ),
    };
  }

  // ——— §2 GetInfo ———

  getInfo(): lightningEncode.GetInfoResponse {
    const active = this.node.channels.filter((c) => c.other(this.node).online).length;
    return {
      version: '0.19.0-beta simnet',
      identityPubkey: this.node.id,
      alias: this.node.alias,
      color: `#${this.node.color.padEnd(6, '0').slice(0, 6)}`,
      numActiveChannels: active,
      numInactiveChannels: this.node.channels.length - active,
      numPeers: new Set(this.node.channels.map((c) => c.other(this.node).id)).size,
      blockHeight: this.network.blockheight,
      blockHash: bytesToHex(derive(0, 'block', this.network.blockheight)),
      syncedToChain: true,
      syncedToGraph: true,
      chains: [{ chain: 'bitcoin', network: 'regtest' }],
      features: FEATURES,
    };
  }

  // ——— §7 ListChannels, DescribeGraph ———

  listChannels(q: lightningDecode.ListChannelsRequest): lightningEncode.ListChannelsResponse {
    const channels: lightningEncode.Channel[] = [];
    for (const c of this.node.channels) {
      const side = c.side(this.node);
      const peer = c.other(this.node);
      const active = peer.online;
      if (q.activeOnly && !active) continue;
      if (q.inactiveOnly && active) continue;
      const pending = [...c.htlcs].map((h) => ({
        incoming: h.from !== side,
        amount: BigInt(Math.floor(h.amount_msat / 1000)),
        hashLock: hexToBytes(h.payment_hash),
        expirationHeight: h.expiry,
        htlcIndex: BigInt(h.id),
      }));
      const reserveSat = BigInt(c.reserve() / 1000);
      const policy = c.policy[side];
      channels.push({
        active,
        remotePubkey: peer.id,
        channelPoint: `${bytesToHex(sha256(new TextEncoder().encode(c.scid)))}:0`,
        chanId: scidToChanId(c.scid),
        capacity: BigInt(Math.floor(c.capacity_msat / 1000)),
        localBalance: BigInt(Math.floor(c.balance[side] / 1000)),
        remoteBalance: BigInt(Math.floor(c.balance[1 - side]! / 1000)),
        unsettledBalance: BigInt(Math.floor([...c.htlcs].reduce((s, h) => s + h.amount_msat, 0) / 1000)),
        pendingHtlcs: pending,
        initiator: c.funder === side,
        localChanReserveSat: reserveSat,
        remoteChanReserveSat: reserveSat,
        localConstraints: {
          chanReserveSat: reserveSat,
          minHtlcMsat: BigInt(policy.htlc_minimum_msat),
          maxPendingAmtMsat: BigInt(policy.htlc_maximum_msat),
          maxAcceptedHtlcs: 483,
          csvDelay: 144,
          dustLimitSat: 354n,
        },
        remoteConstraints: {
          chanReserveSat: reserveSat,
          minHtlcMsat: BigInt(c.policy[1 - side]!.htlc_minimum_msat),
          maxPendingAmtMsat: BigInt(c.policy[1 - side]!.htlc_maximum_msat),
          maxAcceptedHtlcs: 483,
          csvDelay: 144,
          dustLimitSat: 354n,
        },
      });
    }
    return { channels };
  }

  describeGraph(): lightningEncode.ChannelGraph {
    const now = this.network.seconds();
    const nodes: lightningEncode.LightningNode[] = [...this.network.nodes.values()].map((n) => ({
      lastUpdate: now,
      pubKey: n.id,
      alias: n.alias,
      color: `#${n.color.padEnd(6, '0').slice(0, 6)}`,
      features: FEATURES,
    }));
    const policy = (c: Channel, side: 0 | 1): lightningEncode.RoutingPolicy => {
      const p = c.policy[side];
      return {
        timeLockDelta: p.cltv_expiry_delta,
        minHtlc: BigInt(p.htlc_minimum_msat),
        feeBaseMsat: BigInt(p.fee_base_msat),
        feeRateMilliMsat: BigInt(p.fee_proportional_millionths),
        disabled: !p.active,
        maxHtlcMsat: BigInt(p.htlc_maximum_msat),
        lastUpdate: now,
      };
    };
    const edges: lightningEncode.ChannelEdge[] = [...this.network.channels.values()].map((c) => ({
      channelId: scidToChanId(c.scid),
      chanPoint: `${bytesToHex(sha256(new TextEncoder().encode(c.scid)))}:0`,
      lastUpdate: now,
      node1Pub: c.node[0].id,
      node2Pub: c.node[1].id,
      capacity: BigInt(Math.floor(c.capacity_msat / 1000)),
      node1Policy: policy(c, 0),
      node2Policy: policy(c, 1),
    }));
    return { nodes, edges };
  }

  // ——— §6 QueryRoutes ———

  queryRoutes(q: lightningDecode.QueryRoutesRequest): lightningEncode.QueryRoutesResponse {
    const target = this.network.nodes.get(q.pubKey);
    const amount = q.amtMsat > 0n ? Number(q.amtMsat) : Number(q.amt) * 1000;
    const finalCltv = q.finalCltvDelta || DEFAULT_CLTV;
    const exclude = new Set<string>();
    for (const id of q.ignoredNodes) exclude.add(bytesToHex(id));
    for (const pair of q.ignoredPairs) {
      const from = this.network.nodes.get(bytesToHex(pair.from));
      const to = bytesToHex(pair.to);
      for (const c of from?.channels ?? []) if (c.other(from!).id === to) exclude.add(`${c.scid}/${c.side(from!)}`);
    }
    for (const edge of q.ignoredEdges) {
      const c = this.network.channels.get(chanIdToScid(edge.channelId));
      if (c) exclude.add(`${c.scid}/${edge.directionReverse ? 1 : 0}`);
    }
    if (q.outgoingChanIds.length > 0) {
      const allowed = new Set(q.outgoingChanIds.map((id) => chanIdToScid(id.toString())));
      for (const c of this.node.channels) if (!allowed.has(c.scid)) exclude.add(`${c.scid}/${c.side(this.node)}`);
    }
    // routing/payment_session.go noRouteError: our channels cannot carry the amount at all.
    const local = this.node.channels
      .filter((c) => !exclude.has(`${c.scid}/${c.side(this.node)}`) && c.other(this.node).online)
      .reduce((s, c) => s + c.spendable(c.side(this.node)), 0);
    if (local < amount) throw refuse(UNKNOWN, 'insufficient local balance');
    const path = target ? findPath(this.network, this.node, target, amount, finalCltv, { exclude }) : undefined;
    if (!path) throw refuse(UNKNOWN, 'unable to find a path to destination');
    const hops = toRoute(path);
    const fee = hops[0]!.amount_msat - amount;
    const limit = q.feeLimit?.limit;
    const maxFee =
      limit?.$case === 'fixed'
        ? Number(limit.fixed) * 1000
        : limit?.$case === 'fixedMsat'
          ? Number(limit.fixedMsat)
          : limit?.$case === 'percent'
            ? Math.floor((amount * Number(limit.percent)) / 100)
            : Infinity;
    if (fee > maxFee) throw refuse(UNKNOWN, 'unable to find a path to destination');
    return { routes: [this.lndRoute(hops)], successProb: 1 };
  }

  /** The engine's hops (amount and delay arriving at each node) as lnd's Route (§3.1's conversion). */
  lndRoute(hops: RouteHop[]): EncRoute {
    const height = this.network.blockheight;
    const n = hops.length;
    const lndHops: lightningEncode.Hop[] = hops.map((h, i) => {
      const out = i < n - 1 ? hops[i + 1]! : h;
      const fee = h.amount_msat - out.amount_msat;
      const channel = this.network.channels.get(h.channel);
      return {
        chanId: scidToChanId(h.channel),
        chanCapacity: BigInt(Math.floor((channel?.capacity_msat ?? 0) / 1000)),
        amtToForward: BigInt(Math.floor(out.amount_msat / 1000)),
        amtToForwardMsat: BigInt(out.amount_msat),
        fee: BigInt(Math.floor(fee / 1000)),
        feeMsat: BigInt(fee),
        expiry: height + out.delay,
        pubKey: h.id,
        tlvPayload: true,
      };
    });
    const total = hops[0]!.amount_msat;
    const fees = total - hops[n - 1]!.amount_msat;
    return {
      totalTimeLock: height + hops[0]!.delay,
      totalAmt: BigInt(Math.floor(total / 1000)),
      totalAmtMsat: BigInt(total),
      totalFees: BigInt(Math.floor(fees / 1000)),
      totalFeesMsat: BigInt(fees),
      hops: lndHops,
    };
  }

  // ——— §5 invoices ———

  private nextSecret(): Uint8Array {
    return derive(this.seed, 'lnd secret', this.node.alias, ++this.secretCounter);
  }

  private makeInvoice(o: {
    hash: string;
    preimage?: Uint8Array;
    hold: boolean;
    memo: string;
    value: bigint;
    valueMsat: bigint;
    expiry: bigint;
    cltvExpiry: bigint;
    private: boolean;
  }): InvoiceRecord {
    // §5.1: value and value_msat are exclusive; expiry 0 → 24 h, at most a year; cltv 0 → 80.
    if (o.value !== 0n && o.valueMsat !== 0n) throw refuse(UNKNOWN, 'sat and msat arguments are mutually exclusive');
    const valueMsat = o.valueMsat !== 0n ? Number(o.valueMsat) : Number(o.value) * 1000;
    const expiry = o.expiry === 0n ? DEFAULT_INVOICE_EXPIRY : Number(o.expiry);
    if (expiry > MAX_INVOICE_EXPIRY) {
      throw refuse(UNKNOWN, `expiry of ${expiry} seconds greater than max expiry of ${MAX_INVOICE_EXPIRY} seconds`);
    }
    if (this.invoices.has(o.hash)) throw refuse(UNKNOWN, 'invoice with payment hash already exists');
    const cltvExpiry = o.cltvExpiry === 0n ? DEFAULT_CLTV : Number(o.cltvExpiry);
    const paymentAddr = this.nextSecret();
    const creationDate = this.network.seconds();
    const paymentRequest = encodeBolt11(
      {
        currency: 'bcrt',
        ...(valueMsat > 0 ? { amount_msat: valueMsat } : {}),
        created_at: creationDate,
        payment_hash: o.hash,
        payment_secret: bytesToHex(paymentAddr),
        description: o.memo,
        expiry,
        min_final_cltv_expiry: cltvExpiry,
        features: INVOICE_FEATURES,
      },
      this.privateKey,
    );
    const invoice: InvoiceRecord = {
      hash: o.hash,
      ...(o.preimage ? { preimage: o.preimage } : {}),
      hold: o.hold,
      memo: o.memo,
      valueMsat,
      creationDate,
      settleDate: 0,
      expiry,
      cltvExpiry,
      private: o.private,
      paymentRequest,
      paymentAddr,
      addIndex: ++this.addSeq,
      settleIndex: 0,
      state: OPEN,
      htlcs: [],
    };
    this.invoices.set(o.hash, invoice);
    this.wake();
    return invoice;
  }

  addInvoice(q: lightningDecode.Invoice): lightningEncode.AddInvoiceResponse {
    if (q.rPreimage.length !== 0 && q.rPreimage.length !== 32) throw refuse(UNKNOWN, 'payment preimage must be exactly 32 bytes');
    const preimage =
      q.rPreimage.length === 32 ? q.rPreimage.slice() : derive(this.seed, 'lnd preimage', this.node.alias, ++this.preimageCounter);
    const hash = bytesToHex(sha256(preimage));
    const inv = this.makeInvoice({ ...q, hash, preimage, hold: false });
    return { rHash: hexToBytes(hash), paymentRequest: inv.paymentRequest, addIndex: BigInt(inv.addIndex), paymentAddr: inv.paymentAddr };
  }

  addHoldInvoice(q: invoicesDecode.AddHoldInvoiceRequest): invoicesEncode.AddHoldInvoiceResp {
    if (q.hash.length !== 32) throw refuse(UNKNOWN, `payment hash must be exactly 32 bytes, is instead ${q.hash.length}`);
    const inv = this.makeInvoice({ ...q, hash: bytesToHex(q.hash), hold: true });
    return { paymentRequest: inv.paymentRequest, addIndex: BigInt(inv.addIndex), paymentAddr: inv.paymentAddr };
  }

  /** §5.3: an OPEN invoice past `creation_date + expiry` is cancelled (done lazily here, when read or paid). */
  private expire(invoice: InvoiceRecord): void {
    if (invoice.state === OPEN && this.network.seconds() >= invoice.creationDate + invoice.expiry) this.cancel(invoice);
  }

  /** §5.5 LookupInvoice: NotFound for an unknown hash, UNKNOWN for a hash of the wrong length. */
  lookupInvoice(q: lightningDecode.PaymentHash): EncInvoice {
    const hash = q.rHash.length > 0 ? q.rHash : q.rHashStr ? hexToBytes(q.rHashStr) : q.rHash;
    if (hash.length !== 32) throw refuse(UNKNOWN, `payment hash must be exactly 32 bytes, is instead ${hash.length}`);
    const invoice = this.invoices.get(bytesToHex(hash));
    if (!invoice) throw refuse(NOT_FOUND, this.invoices.size === 0 ? 'there are no existing invoices' : 'unable to locate invoice');
    this.expire(invoice);
    return this.invoiceMessage(invoice);
  }

  /** §5.5 ListInvoices: by add_index, 100 a page by default, `pending_only` keeps OPEN and ACCEPTED. */
  listInvoices(q: lightningDecode.ListInvoiceRequest): lightningEncode.ListInvoiceResponse {
    for (const inv of this.invoices.values()) this.expire(inv);
    let list = [...this.invoices.values()].sort((a, b) => a.addIndex - b.addIndex);
    if (q.pendingOnly) list = list.filter((i) => i.state === OPEN || i.state === ACCEPTED);
    const max = q.numMaxInvoices === 0n ? 100 : Number(q.numMaxInvoices);
    const offset = Number(q.indexOffset);
    if (q.reversed) {
      if (offset > 0) list = list.filter((i) => i.addIndex < offset);
      list = list.slice(Math.max(0, list.length - max));
    } else {
      list = list.filter((i) => i.addIndex > offset).slice(0, max);
    }
    return {
      invoices: list.map((i) => this.invoiceMessage(i)),
      firstIndexOffset: BigInt(list[0]?.addIndex ?? 0),
      lastIndexOffset: BigInt(list[list.length - 1]?.addIndex ?? 0),
    };
  }

  /** §5.5: the invoice now, then one message per state change, ending after SETTLED or CANCELED; silent for an unknown hash. */
  async subscribeSingleInvoice(q: invoicesDecode.SubscribeSingleInvoiceRequest, call: TestCall): Promise<void> {
    const hash = bytesToHex(q.rHash);
    let sent: number | undefined;
    for (;;) {
      const invoice = this.invoices.get(hash);
      if (invoice) {
        this.expire(invoice);
        if (invoice.state !== sent) {
          sent = invoice.state;
          call.send(encodeLnd(lightningEncode.Invoice, this.invoiceMessage(invoice)));
          if (sent === SETTLED || sent === CANCELED) return;
        }
      }
      await this.changed(call.signal);
    }
  }

  /** §5.4 SettleInvoice, found by the preimage's hash. */
  settleInvoice(q: invoicesDecode.SettleInvoiceMsg): invoicesEncode.SettleInvoiceResp {
    const invoice = q.preimage.length === 32 ? this.invoices.get(bytesToHex(sha256(q.preimage))) : undefined;
    if (!invoice) throw refuse(UNKNOWN, 'unable to locate invoice');
    if (invoice.state === SETTLED) return {};
    if (invoice.state === CANCELED) throw refuse(UNKNOWN, 'invoice already canceled');
    if (invoice.state === OPEN) throw refuse(UNKNOWN, 'invoice still open');
    this.settle(invoice, q.preimage.slice());
    return {};
  }

  /** §5.4 CancelInvoice. */
  cancelInvoice(q: invoicesDecode.CancelInvoiceMsg): invoicesEncode.CancelInvoiceResp {
    const invoice = this.invoices.get(bytesToHex(q.paymentHash));
    if (!invoice) throw refuse(UNKNOWN, 'unable to locate invoice');
    if (invoice.state === SETTLED) throw refuse(UNKNOWN, 'invoice already settled');
    if (invoice.state !== CANCELED) this.cancel(invoice);
    return {};
  }

  private settle(invoice: InvoiceRecord, preimage: Uint8Array): void {
    const now = this.network.seconds();
    invoice.state = SETTLED;
    invoice.preimage = preimage;
    invoice.settleDate = now;
    invoice.settleIndex = ++this.settleSeq;
    for (const h of invoice.htlcs) {
      if (h.row.state !== HTLC_ACCEPTED) continue;
      clearTimeout(h.timer);
      h.row.state = HTLC_SETTLED;
      h.row.resolveTime = BigInt(now);
      this.network.fulfill(h.attempt, bytesToHex(preimage));
    }
    this.wake();
  }

  /** Cancels the invoice; held HTLCs fail back as INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS (§5.4). */
  private cancel(invoice: InvoiceRecord): void {
    invoice.state = CANCELED;
    for (const h of invoice.htlcs) {
      if (h.row.state !== HTLC_ACCEPTED) continue;
      this.cancelHtlc(h, 'incorrect_or_unknown_payment_details');
    }
    this.wake();
  }

  private cancelHtlc(h: InvoiceRecord['htlcs'][number], name: FailName): void {
    clearTimeout(h.timer);
    h.row.state = HTLC_CANCELED;
    h.row.resolveTime = BigInt(this.network.seconds());
    const data = name === 'incorrect_or_unknown_payment_details' ? this.network.paymentDetailsData(Number(h.row.amtMsat)) : '';
    this.network.failBack(h.attempt, h.attempt.route.length, name, data);
  }

  /** §5.3 `updateMpp()`: an arriving HTLC is refused, held, or completes the set. */
  private receive(attempt: Attempt): void {
    const arrived = attempt.arrived!;
    const index = attempt.route.length;
    const reject = (): void =>
      this.network.failBack(attempt, index, 'incorrect_or_unknown_payment_details', this.network.paymentDetailsData(arrived.amount_msat));
    const { payment_hash, payment_secret, total_msat } = attempt.final;
    const invoice = this.invoices.get(payment_hash);
    if (invoice) this.expire(invoice);
    if (!invoice || invoice.state !== OPEN) return reject();
    if (payment_secret !== bytesToHex(invoice.paymentAddr)) return reject();
    if (total_msat === 0 || total_msat < invoice.valueMsat) return reject();
    const held = invoice.htlcs.filter((h) => h.row.state === HTLC_ACCEPTED);
    if (held.some((h) => Number(h.row.mppTotalAmtMsat) !== total_msat)) return reject();
    if (arrived.expiry < this.network.blockheight + invoice.cltvExpiry) return reject();
    const row: HtlcRow = {
      chanId: scidToChanId(arrived.channel.scid),
      htlcIndex: BigInt(arrived.htlc.id),
      amtMsat: BigInt(arrived.amount_msat),
      acceptHeight: this.network.blockheight,
      acceptTime: BigInt(this.network.seconds()),
      resolveTime: 0n,
      expiryHeight: arrived.expiry,
      state: HTLC_ACCEPTED,
      mppTotalAmtMsat: BigInt(total_msat),
    };
    const entry: InvoiceRecord['htlcs'][number] = { row, attempt };
    invoice.htlcs.push(entry);
    invoice.htlcs.sort((a, b) => Number(a.row.htlcIndex - b.row.htlcIndex));
    const sum = held.reduce((s, h) => s + Number(h.row.amtMsat), 0) + arrived.amount_msat;
    if (sum < total_msat) {
      // Held; a timer for this HTLC alone: at expiry, if still OPEN, it alone fails with MPP_TIMEOUT.
      entry.timer = setTimeout(() => {
        if (this.stopped || invoice.state !== OPEN || row.state !== HTLC_ACCEPTED) return;
        this.cancelHtlc(entry, 'mpp_timeout');
        this.wake();
      }, this.mppTimeout);
      this.wake();
      return;
    }
    for (const h of invoice.htlcs) clearTimeout(h.timer);
    if (invoice.hold) {
      invoice.state = ACCEPTED;
      this.wake();
      return;
    }
    this.settle(invoice, invoice.preimage!);
  }

  /** §5.2 `CreateRPCInvoice()`. */
  invoiceMessage(i: InvoiceRecord): EncInvoice {
    const paid = i.state === OPEN ? 0 : i.htlcs.filter((h) => h.row.state !== HTLC_CANCELED).reduce((s, h) => s + Number(h.row.amtMsat), 0);
    return {
      memo: i.memo,
      rPreimage: !i.hold || i.state === SETTLED ? i.preimage : new Uint8Array(0),
      rHash: hexToBytes(i.hash),
      value: BigInt(Math.floor(i.valueMsat / 1000)),
      valueMsat: BigInt(i.valueMsat),
      settled: i.state === SETTLED,
      creationDate: BigInt(i.creationDate),
      settleDate: BigInt(i.settleDate),
      paymentRequest: i.paymentRequest,
      expiry: BigInt(i.expiry),
      cltvExpiry: BigInt(i.cltvExpiry),
      private: i.private,
      addIndex: BigInt(i.addIndex),
      settleIndex: BigInt(i.settleIndex),
      amtPaid: BigInt(Math.floor(paid / 1000)),
      amtPaidSat: BigInt(Math.floor(paid / 1000)),
      amtPaidMsat: BigInt(paid),
      state: i.state as EncInvoice['state'],
      htlcs: i.htlcs.map((h) => ({ ...h.row, state: h.row.state as lightningEncode.InvoiceHTLCState })),
      features: FEATURES,
      paymentAddr: i.paymentAddr,
    };
  }

  // ——— §3 sending ———

  /** §3.4 `decidePaymentStatus()`. */
  static statusOf(p: PaymentRecord): number {
    if (p.attempts.some((a) => a.status === ATTEMPT_IN_FLIGHT)) return PAYMENT_IN_FLIGHT;
    if (p.attempts.some((a) => a.status === ATTEMPT_SUCCEEDED)) return PAYMENT_SUCCEEDED;
    if (p.failureReason !== REASON_NONE) return PAYMENT_FAILED;
    if (p.attempts.some((a) => a.status === ATTEMPT_FAILED)) return PAYMENT_IN_FLIGHT;
    return PAYMENT_INITIATED;
  }

  /** §3.2–3.3: registers one attempt and answers with it once its HTLC resolves. */
  async sendToRoute(q: routerDecode.SendToRouteRequest): Promise<EncAttempt> {
    const route = q.route;
    if (!route || route.hops.length === 0) throw refuse(UNKNOWN, 'unable to send, no routes provided');
    if (q.paymentHash.length !== 32) throw refuse(UNKNOWN, `payment hash must be exactly 32 bytes, is instead ${q.paymentHash.length}`);
    const hash = bytesToHex(q.paymentHash);
    const last = route.hops[route.hops.length - 1]!;
    let mpp: AttemptRecord['mpp'];
    if (last.mppRecord) {
      const addr = last.mppRecord.paymentAddr;
      const total = last.mppRecord.totalAmtMsat;
      if (addr.length === 0 && total === 0n) throw refuse(UNKNOWN, 'missing total_msat and payment_addr');
      if (addr.length === 0) throw refuse(UNKNOWN, 'missing payment_addr');
      if (total === 0n) throw refuse(UNKNOWN, 'missing total_msat');
      mpp = { addr: bytesToHex(addr), total: Number(total) };
    }
    const hops = this.engineHops(route);
    const delivered = Number(last.amtToForwardMsat);
    // 2. skip_temp_err needs an MPP record.
    if (q.skipTempErr && !mpp) throw refuse(UNKNOWN, 'cannot skip temp error for non-MPP');
    // 1. InitPayment by the stored payment's status.
    const value = mpp ? mpp.total : delivered;
    let payment = this.payments.get(hash);
    const status = payment ? LndNode.statusOf(payment) : undefined;
    if (!payment || status === PAYMENT_FAILED) {
      // None, or FAILED: (re)created; a reset deletes its attempts and failure reason.
      payment = {
        hash,
        valueMsat: value,
        creationTimeNs: BigInt(this.network.now()) * 1_000_000n,
        paymentIndex: ++this.paymentSeq,
        failureReason: REASON_NONE,
        attempts: [],
      };
      this.payments.set(hash, payment);
    } else if (status === PAYMENT_SUCCEEDED) {
      throw refuse(ALREADY_EXISTS, 'invoice is already paid');
    } else if (!mpp) {
      throw refuse(ALREADY_EXISTS, status === PAYMENT_INITIATED ? 'payment already exists' : 'payment is in transition');
    }
    // 4. RegisterAttempt: Registrable() then verifyAttempt().
    const registrable = LndNode.registrable(payment);
    if (registrable) throw refuse(UNKNOWN, registrable);
    const refusal = LndNode.verifyAttempt(payment, mpp, delivered);
    if (refusal) throw refuse(UNKNOWN, refusal);
    const record: AttemptRecord = {
      attemptId: ++this.attemptSeq,
      status: ATTEMPT_IN_FLIGHT,
      route: this.storedRoute(route),
      attemptTimeNs: BigInt(this.network.now()) * 1_000_000n,
      resolveTimeNs: 0n,
      delivered,
      sent: Number(route.totalAmtMsat),
      ...(mpp ? { mpp } : {}),
    };
    const stored = payment;
    stored.attempts.push(record);
    this.wake();
    // 5–6. The switch: a local refusal fails at once from index 0; otherwise wait for the HTLC.
    const result = await new Promise<AttemptResult>((resolve) => {
      const local = this.network.send(
        this.node,
        hops,
        { payment_hash: hash, total_msat: mpp ? mpp.total : delivered, ...(mpp ? { payment_secret: mpp.addr } : {}) },
        resolve,
      );
      if (local) resolve(local);
    });
    this.resolveAttempt(stored, record, result, q.skipTempErr);
    return this.attemptMessage(record);
  }

  /** lnd's hops → the network's (amount and delay arriving at each node; §3.1). */
  private engineHops(route: lightningDecode.Route): RouteHop[] {
    const height = this.network.blockheight;
    let from = this.node;
    return route.hops.map((hop, i) => {
      const scid = chanIdToScid(hop.chanId || '0');
      const channel = this.network.channels.get(scid);
      // lnd needs no graph lookup when pub_key is given, else it looks chan_id up.
      const id = hop.pubKey || (channel ? channel.other(from).id : '');
      from = this.network.nodes.get(id) ?? from;
      const amount = i === 0 ? route.totalAmtMsat : route.hops[i - 1]!.amtToForwardMsat;
      const expiry = i === 0 ? route.totalTimeLock : route.hops[i - 1]!.expiry;
      return { id, channel: scid, amount_msat: Number(amount), delay: expiry - height };
    });
  }

  /** The route as lnd stores and returns it: as given (custom records and MPP record kept), fees filled in (`MarshallRoute()`). */
  private storedRoute(route: lightningDecode.Route): EncRoute {
    const hops = route.hops.map((hop, i) => {
      const incoming = i === 0 ? route.totalAmtMsat : route.hops[i - 1]!.amtToForwardMsat;
      const fee = incoming - hop.amtToForwardMsat;
      const channel = this.network.channels.get(chanIdToScid(hop.chanId || '0'));
      return {
        chanId: hop.chanId,
        chanCapacity: BigInt(Math.floor((channel?.capacity_msat ?? 0) / 1000)),
        amtToForward: hop.amtToForwardMsat / 1000n,
        amtToForwardMsat: hop.amtToForwardMsat,
        fee: fee / 1000n,
        feeMsat: fee,
        expiry: hop.expiry,
        pubKey: hop.pubKey,
        tlvPayload: true,
        ...(hop.mppRecord
          ? { mppRecord: { paymentAddr: hop.mppRecord.paymentAddr.slice(), totalAmtMsat: hop.mppRecord.totalAmtMsat } }
          : {}),
        customRecords: new Map([...hop.customRecords].map(([k, v]) => [k, v.slice()])),
        ...(hop.metadata.length ? { metadata: hop.metadata.slice() } : {}),
      };
    });
    const fees = route.totalAmtMsat - (route.hops[route.hops.length - 1]?.amtToForwardMsat ?? 0n);
    return {
      totalTimeLock: route.totalTimeLock,
      totalFees: fees / 1000n,
      totalFeesMsat: fees,
      totalAmt: route.totalAmtMsat / 1000n,
      totalAmtMsat: route.totalAmtMsat,
      hops,
    };
  }

  /** §3.2 `MPPayment.Registrable()`: undefined when an attempt may be added, else lnd's text. */
  static registrable(p: PaymentRecord): string | undefined {
    const status = LndNode.statusOf(p);
    if (status === PAYMENT_SUCCEEDED) return 'payment is already succeeded';
    if (status === PAYMENT_FAILED) return 'payment has already failed';
    if (p.attempts.some((a) => a.status === ATTEMPT_SUCCEEDED)) return 'payment has settled htlcs';
    if (p.failureReason !== REASON_NONE) return 'payment has failure reason';
    return undefined;
  }

  /** §3.2 `verifyAttempt()` against the attempts in flight, and lnd's overpay guard over settled + in flight. */
  static verifyAttempt(p: PaymentRecord, mpp: AttemptRecord['mpp'], delivered: number): string | undefined {
    const inFlight = p.attempts.filter((a) => a.status === ATTEMPT_IN_FLIGHT);
    for (const a of inFlight) {
      if (mpp && !a.mpp) return 'payment has non-MPP attempts';
      if (!mpp && a.mpp) return 'payment has MPP attempts';
      if (mpp && a.mpp && a.mpp.addr !== mpp.addr) return 'payment address mismatch';
      if (mpp && a.mpp && a.mpp.total !== mpp.total) return 'mp payment total amount mismatch';
    }
    if (!mpp && delivered !== p.valueMsat) return "attempted value doesn't match payment amount";
    const used = p.attempts.filter((a) => a.status !== ATTEMPT_FAILED).reduce((s, a) => s + a.delivered, 0);
    const attempted = used + delivered;
    if (attempted > p.valueMsat) {
      return `attempted value exceeds payment amount: attempted=${attempted} mSAT, payment amount=${p.valueMsat} mSAT`;
    }
    return undefined;
  }

  /** §3.2 step 7 and §4: records the HTLC's outcome, and whether it ends the payment. */
  private resolveAttempt(p: PaymentRecord, a: AttemptRecord, result: AttemptResult, skipTempErr: boolean): void {
    a.resolveTimeNs = BigInt(this.network.now()) * 1_000_000n;
    if (result.ok) {
      a.status = ATTEMPT_SUCCEEDED;
      a.preimage = hexToBytes(result.preimage);
      this.wake();
      return;
    }
    a.status = ATTEMPT_FAILED;
    const code = LNRPC_CODE[result.failcode] ?? 998;
    const data = result.raw_message.slice(4);
    const failure: lightningEncode.Failure = {
      code: code as lightningEncode.Failure['code'],
      failureSourceIndex: result.erring_index,
    };
    if (result.failcode === FailCode.incorrect_or_unknown_payment_details && data.length >= 24) {
      failure.htlcMsat = BigInt(`0x${data.slice(0, 16)}`);
      failure.height = Number.parseInt(data.slice(16, 24), 16);
    }
    a.failure = failure;
    const n = a.route.hops!.length;
    if (!skipTempErr) {
      p.failureReason = REASON_ERROR;
    } else if (result.erring_index === n) {
      // From the payee: final unless MPP_TIMEOUT, or FINAL_INCORRECT_CLTV_EXPIRY / _HTLC_AMOUNT on a multi-hop route.
      if (code === 23) {
        // temporary
      } else if ((code === 3 || code === 4) && n > 1) {
        // temporary
      } else if (code === 1 || code === 2 || code === 5) {
        p.failureReason = REASON_INCORRECT_PAYMENT_DETAILS;
      } else {
        p.failureReason = REASON_ERROR;
      }
    }
    this.wake();
  }

  /** `MarshalHTLCAttempt()` (§3.3). */
  private attemptMessage(a: AttemptRecord): EncAttempt {
    return {
      attemptId: BigInt(a.attemptId),
      status: a.status as EncAttempt['status'],
      route: a.route,
      attemptTimeNs: a.attemptTimeNs,
      resolveTimeNs: a.resolveTimeNs,
      ...(a.failure ? { failure: a.failure } : {}),
      ...(a.preimage ? { preimage: a.preimage } : {}),
    };
  }

  /** `MarshallPayment()` (§3.4): INITIATED shown as IN_FLIGHT, the zero preimage when none. */
  paymentMessage(p: PaymentRecord): EncPayment {
    const status = LndNode.statusOf(p);
    const settled = p.attempts.filter((a) => a.status === ATTEMPT_SUCCEEDED);
    const fee = settled.reduce((s, a) => s + (a.sent - a.delivered), 0);
    const preimage = settled[0]?.preimage;
    return {
      paymentHash: p.hash,
      value: BigInt(Math.floor(p.valueMsat / 1000)),
      valueSat: BigInt(Math.floor(p.valueMsat / 1000)),
      valueMsat: BigInt(p.valueMsat),
      creationDate: p.creationTimeNs / 1_000_000_000n,
      creationTimeNs: p.creationTimeNs,
      fee: BigInt(Math.floor(fee / 1000)),
      feeSat: BigInt(Math.floor(fee / 1000)),
      feeMsat: BigInt(fee),
      paymentPreimage: preimage ? bytesToHex(preimage) : '0'.repeat(64),
      status: (status === PAYMENT_INITIATED ? PAYMENT_IN_FLIGHT : status) as EncPayment['status'],
      htlcs: p.attempts.map((a) => this.attemptMessage(a)),
      paymentIndex: BigInt(p.paymentIndex),
      failureReason: p.failureReason as EncPayment['failureReason'],
    };
  }

  /** §3.5 TrackPaymentV2: the current state, then one message per change, ending after a terminal state. */
  async trackPayment(q: routerDecode.TrackPaymentRequest, call: TestCall): Promise<void> {
    const hash = bytesToHex(q.paymentHash);
    if (!this.payments.has(hash)) throw refuse(NOT_FOUND, "payment isn't initiated");
    let last: Uint8Array | undefined;
    for (;;) {
      const p = this.payments.get(hash)!;
      const status = LndNode.statusOf(p);
      const terminal = status === PAYMENT_SUCCEEDED || status === PAYMENT_FAILED;
      if (!q.noInflightUpdates || terminal) {
        const bytes = encodeLnd(lightningEncode.Payment, this.paymentMessage(p));
        if (!last || !equal(last, bytes)) {
          last = bytes;
          call.send(bytes);
        }
      }
      if (terminal) return;
      await this.changed(call.signal);
    }
  }

  /** §3.5 ListPayments: by payment_index, 100 a page; without include_incomplete only SUCCEEDED ones. */
  listPayments(q: lightningDecode.ListPaymentsRequest): lightningEncode.ListPaymentsResponse {
    let list = [...this.payments.values()].sort((a, b) => a.paymentIndex - b.paymentIndex);
    if (!q.includeIncomplete) list = list.filter((p) => LndNode.statusOf(p) === PAYMENT_SUCCEEDED);
    const total = list.length;
    const max = q.maxPayments === 0n ? 100 : Number(q.maxPayments);
    const offset = Number(q.indexOffset);
    if (q.reversed) {
      if (offset > 0) list = list.filter((p) => p.paymentIndex < offset);
      list = list.slice(Math.max(0, list.length - max));
    } else {
      list = list.filter((p) => p.paymentIndex > offset).slice(0, max);
    }
    return {
      payments: list.map((p) => this.paymentMessage(p)),
      firstIndexOffset: BigInt(list[0]?.paymentIndex ?? 0),
      lastIndexOffset: BigInt(list[list.length - 1]?.paymentIndex ?? 0),
      ...(q.countTotalPayments ? { totalNumPayments: BigInt(total) } : {}),
    };
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
