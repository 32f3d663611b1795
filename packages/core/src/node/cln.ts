/**
 * The Node interface over Core Lightning's JSON-RPC carried by commando (`@ampkit/wire`).
 * Maps CLN's codes onto the engine's (cln-fixtures/: 200 timed out, 202–204 and 209 a failed
 * part with the part in `data`, or only its failure fields when `sendpay` refused it before
 * recording it, 208 a part never attempted) and checks every reply it uses.
 */
import { RpcError, type CommandoClient, type RequestOptions } from '@ampkit/wire';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { AmpkitError, engineError } from '../errors.ts';
import type { NodeInfo, PartFailure, RouteHop } from '../types.ts';
import { runeRefusal } from './rune-refusal.ts';
import { holdMethods } from './hold-plugin.ts';
import type {
  Node,
  NodeAnnouncement,
  NodeChannel,
  NodePeerChannel,
  NodeHtlc,
  NodeInvoice,
  NodePart,
  NodeRoute,
  PartKey,
  SendpayRequest,
} from './node.ts';
import { unsentPart, untilOpen } from './node.ts';

// The hold plugin's rows are read where its methods live.
export { readHoldInvoice } from './hold-plugin.ts';

/** Extra time the commando request gets beyond the node's own wait, for the reply to travel. */
const WAIT_SLACK_MS = 15_000;

/** Default of {@link ClnNodeOptions.sendpayTimeout}, in seconds. */
const SENDPAY_TIMEOUT = 60;

/** `waitsendpay` codes whose `data` is the failed part (CLN's PAY_* codes). */
const FAILED_PART_CODES = new Set([202, 203, 204, 209]);

const HEX32 = /^[0-9a-f]{64}$/;

function badReply(method: string, why: string): AmpkitError {
  return engineError('BAD_REPLY', `${method}: the node's reply ${why}`);
}

function int(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Reads one `listsendpays`/`sendpay`/`waitsendpay` part, checking what the engine relies on. */
export function readNodePart(method: string, value: unknown, forceStatus?: 'failed'): NodePart {
  if (value === null || typeof value !== 'object') throw badReply(method, 'is not a part');
  const v = value as Record<string, unknown>;
  const status = forceStatus ?? v.status;
  if (typeof v.payment_hash !== 'string' || !HEX32.test(v.payment_hash)) throw badReply(method, 'has no payment_hash');
  if (!int(v.partid) || !int(v.groupid)) throw badReply(method, 'has no partid or groupid');
  if (status !== 'pending' && status !== 'complete' && status !== 'failed') throw badReply(method, `has status ${String(status)}`);
  if (!int(v.amount_msat) || !int(v.amount_sent_msat)) throw badReply(method, 'has no amounts');
  const part: NodePart = {
    payment_hash: v.payment_hash,
    groupid: v.groupid,
    partid: v.partid,
    status,
    amount_msat: v.amount_msat,
    amount_sent_msat: v.amount_sent_msat,
  };
  if (typeof v.destination === 'string') part.destination = v.destination;
  if (int(v.created_at)) part.created_at = v.created_at;
  if (int(v.completed_at)) part.completed_at = v.completed_at;
  if (status === 'complete') {
    part.payment_preimage = checkPreimage(method, v.payment_preimage, v.payment_hash);
  }
  return Object.assign(part, readFailure(v));
}

/** The failure fields of a failed part or of a refusal (CLN's routefail info), those well formed. */
function readFailure(v: Record<string, unknown>): PartFailure {
  const failure: PartFailure = {};
  if (int(v.failcode)) failure.failcode = v.failcode;
  if (typeof v.failcodename === 'string') failure.failcodename = v.failcodename;
  if (int(v.erring_index)) failure.erring_index = v.erring_index;
  if (typeof v.erring_node === 'string') failure.erring_node = v.erring_node;
  if (typeof v.erring_channel === 'string') failure.erring_channel = v.erring_channel;
  if (int(v.erring_direction)) failure.erring_direction = v.erring_direction;
  return failure;
}

/** Core Lightning's HTLC states: the first ten are an outgoing HTLC's, the last ten an incoming one's. */
export const HTLC_STATES = [
  'SENT_ADD_HTLC',
  'SENT_ADD_COMMIT',
  'RCVD_ADD_REVOCATION',
  'RCVD_ADD_ACK_COMMIT',
  'SENT_ADD_ACK_REVOCATION',
  'RCVD_REMOVE_HTLC',
  'RCVD_REMOVE_COMMIT',
  'SENT_REMOVE_REVOCATION',
  'SENT_REMOVE_ACK_COMMIT',
  'RCVD_REMOVE_ACK_REVOCATION',
  'RCVD_ADD_HTLC',
  'RCVD_ADD_COMMIT',
  'SENT_ADD_REVOCATION',
  'SENT_ADD_ACK_COMMIT',
  'RCVD_ADD_ACK_REVOCATION',
  'SENT_REMOVE_HTLC',
  'SENT_REMOVE_COMMIT',
  'RCVD_REMOVE_REVOCATION',
  'RCVD_REMOVE_ACK_COMMIT',
  'SENT_REMOVE_ACK_REVOCATION',
] as const;

const SCID = /^\d+x\d+x\d+$/;

function object(method: string, value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badReply(method, `has ${what} that is not an object`);
  return value as Record<string, unknown>;
}

function list(method: string, reply: unknown, field: string): unknown[] {
  const value = (reply as Record<string, unknown> | null)?.[field];
  if (!Array.isArray(value)) throw badReply(method, `has no ${field} array`);
  return value;
}

function hex32(method: string, value: unknown, name: string): string {
  if (typeof value !== 'string' || !HEX32.test(value)) throw badReply(method, `has no valid ${name}`);
  return value;
}

function text(method: string, value: unknown, name: string): string {
  if (typeof value !== 'string') throw badReply(method, `has no ${name}`);
  return value;
}

function count(method: string, value: unknown, name: string): number {
  if (!int(value)) throw badReply(method, `has no valid ${name}`);
  return value;
}

function htlcState(method: string, value: unknown): string {
  if (!(HTLC_STATES as readonly unknown[]).includes(value)) throw badReply(method, `has an unknown HTLC state ${JSON.stringify(value)}`);
  return value as string;
}

function scid(method: string, value: unknown): string {
  if (typeof value !== 'string' || !SCID.test(value)) throw badReply(method, 'has no valid short_channel_id');
  return value;
}

/** Reads one `listhtlcs` row. */
export function readHtlc(value: unknown): NodeHtlc {
  const m = 'listhtlcs';
  const v = object(m, value, 'an htlc');
  if (v.direction !== 'in' && v.direction !== 'out') throw badReply(m, `has an htlc direction ${JSON.stringify(v.direction)}`);
  const htlc: NodeHtlc = {
    short_channel_id: scid(m, v.short_channel_id),
    id: count(m, v.id, 'id'),
    expiry: count(m, v.expiry, 'expiry'),
    amount_msat: count(m, v.amount_msat, 'amount_msat'),
    direction: v.direction,
    payment_hash: hex32(m, v.payment_hash, 'payment_hash'),
    state: htlcState(m, v.state),
    created_index: count(m, v.created_index, 'created_index'),
  };
  if (v.updated_index !== undefined) htlc.updated_index = count(m, v.updated_index, 'updated_index');
  return htlc;
}

/** Reads one `listinvoices` row. */
export function readInvoice(value: unknown): NodeInvoice {
  const m = 'listinvoices';
  const v = object(m, value, 'an invoice');
  if (v.status !== 'unpaid' && v.status !== 'paid' && v.status !== 'expired')
    throw badReply(m, `has an invoice status ${JSON.stringify(v.status)}`);
  const invoice: NodeInvoice = {
    label: text(m, v.label, 'label'),
    bolt11: text(m, v.bolt11, 'bolt11'),
    payment_hash: hex32(m, v.payment_hash, 'payment_hash'),
    status: v.status,
    expires_at: count(m, v.expires_at, 'expires_at'),
  };
  if (v.amount_msat !== undefined) invoice.amount_msat = count(m, v.amount_msat, 'amount_msat');
  if (v.status === 'paid') {
    invoice.amount_received_msat = count(m, v.amount_received_msat, 'amount_received_msat');
    invoice.paid_at = count(m, v.paid_at, 'paid_at');
    invoice.payment_preimage = checkPreimage(m, v.payment_preimage, invoice.payment_hash);
  }
  return invoice;
}

const PUBKEY = /^0[23][0-9a-f]{64}$/;
const SCID_DIR = /^(\d+x\d+x\d+)\/([01])$/;
/** The most hops an onion carries (BOLT 4: 1300 bytes of payloads). */
const MAX_HOPS = 27;

function pubkey(method: string, value: unknown, name: string): string {
  if (typeof value !== 'string' || !PUBKEY.test(value)) throw badReply(method, `has no valid ${name}`);
  return value;
}

/**
 * Reads a `getroutes` answer into `sendpay` routes. Core Lightning gives each path hop the
 * channel, the node at its far end, and what is sent *into* the hop (`amount_msat`, `delay`,
 * fees of the hop's own node included: cln-fixtures/getroutes.json, and the schema's "the
 * amount to send into this hop"). `sendpay` wants what *arrives at* each hop's node, which
 * is what enters the next hop, and for the last hop the route's `amount_msat` and
 * `final_cltv`. v26.06 names both ends (`amount_out_msat`, `cltv_out`, `node_id_out`);
 * those are read when present. The amounts and delays must not grow along a path.
 */
export function readRoutes(reply: unknown): NodeRoute[] {
  const m = 'getroutes';
  const routes = list(m, reply, 'routes');
  if (routes.length === 0) throw badReply(m, 'has no routes');
  return routes.map((value) => {
    const r = object(m, value, 'a route');
    const amount_msat = count(m, r.amount_msat, 'amount_msat');
    const finalCltv = count(m, r.final_cltv, 'final_cltv');
    if (!Array.isArray(r.path) || r.path.length === 0 || r.path.length > MAX_HOPS)
      throw badReply(m, `has a path of no hops or more than ${MAX_HOPS}`);
    const path = r.path.map((hop) => object(m, hop, 'a hop'));
    const into = (h: Record<string, unknown>) => ({
      amount: count(m, h.amount_in_msat ?? h.amount_msat, 'amount_msat'),
      delay: count(m, h.cltv_in ?? h.delay, 'delay'),
    });
    const route: RouteHop[] = path.map((h, i) => {
      const dir = typeof h.short_channel_id_dir === 'string' ? SCID_DIR.exec(h.short_channel_id_dir) : null;
      if (!dir) throw badReply(m, 'has no valid short_channel_id_dir');
      const next = i + 1 < path.length ? into(path[i + 1]!) : { amount: amount_msat, delay: finalCltv };
      return {
        id: pubkey(m, h.node_id_out ?? h.next_node_id, 'next_node_id'),
        channel: dir[1]!,
        direction: Number(dir[2]) as 0 | 1,
        amount_msat: h.amount_out_msat === undefined ? next.amount : count(m, h.amount_out_msat, 'amount_out_msat'),
        delay: h.cltv_out === undefined ? next.delay : count(m, h.cltv_out, 'cltv_out'),
        style: 'tlv',
      };
    });
    route.forEach((hop, i) => {
      const before = i === 0 ? into(path[0]!) : { amount: route[i - 1]!.amount_msat, delay: route[i - 1]!.delay };
      if (hop.amount_msat > before.amount || hop.delay > before.delay)
        throw badReply(m, 'has a path whose amount or delay grows towards the destination');
    });
    const last = route[route.length - 1]!;
    if (last.amount_msat !== amount_msat || amount_msat === 0) throw badReply(m, 'has a path that does not deliver its amount_msat');
    return { amount_msat, route };
  });
}

const u32 = (value: unknown): value is number => int(value) && value <= 0xffffffff;

/** lightningd-rpc(7) "Field filtering": the `listchannels` fields {@link readChannel} reads, and no others. */
const CHANNEL_FILTER = {
  channels: [
    Object.fromEntries(
      [
        'source',
        'destination',
        'short_channel_id',
        'direction',
        'amount_msat',
        'active',
        'base_fee_millisatoshi',
        'fee_per_millionth',
        'delay',
        'htlc_minimum_msat',
        'htlc_maximum_msat',
      ].map((field) => [field, true]),
    ),
  ],
};
/** The `listnodes` fields {@link readNodeAnnouncement} reads. */
const NODE_FILTER = { nodes: [{ nodeid: true, features: true }] };
const FEATURES = /^(?:[0-9a-f]{2})*$/;

/**
 * Reads one `listchannels` entry (cln-fixtures/listchannels.json), or undefined when it is
 * malformed: one bad direction in a gossip dump of a hundred thousand is left out, not
 * allowed to fail the graph.
 */
export function readChannel(value: unknown): NodeChannel | undefined {
  if (!isChannel(value)) return undefined;
  const v = value as unknown as Record<string, unknown>;
  const channel: NodeChannel = {
    source: v.source as string,
    destination: v.destination as string,
    short_channel_id: v.short_channel_id as string,
    direction: v.direction as 0 | 1,
    amount_msat: v.amount_msat as number,
    active: v.active as boolean,
    base_fee_millisatoshi: v.base_fee_millisatoshi as number,
    fee_per_millionth: v.fee_per_millionth as number,
    delay: v.delay as number,
    htlc_minimum_msat: v.htlc_minimum_msat as number,
    last_update: (v.last_update as number | undefined) ?? 0,
  };
  if (v.htlc_maximum_msat !== undefined) channel.htlc_maximum_msat = v.htlc_maximum_msat as number;
  return channel;
}

/**
 * Whether a `listchannels` entry has every field {@link readChannel} reads, well formed. The
 * whole graph keeps the entries that pass as they came, fields of their own and all (the
 * request's filter asks for no others): a copy of 100,000 entries would double the heap
 * while the graph is built.
 */
export function isChannel(value: unknown): value is NodeChannel {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.source === 'string' &&
    PUBKEY.test(v.source) &&
    typeof v.destination === 'string' &&
    PUBKEY.test(v.destination) &&
    v.source !== v.destination &&
    typeof v.short_channel_id === 'string' &&
    SCID.test(v.short_channel_id) &&
    (v.direction === 0 || v.direction === 1) &&
    int(v.amount_msat) &&
    typeof v.active === 'boolean' &&
    u32(v.base_fee_millisatoshi) &&
    u32(v.fee_per_millionth) &&
    u32(v.delay) &&
    int(v.htlc_minimum_msat) &&
    (v.htlc_maximum_msat === undefined || int(v.htlc_maximum_msat)) &&
    (v.last_update === undefined || int(v.last_update))
  );
}

/** Reads one `listnodes` row, or undefined when it is malformed. */
export function readNodeAnnouncement(value: unknown): NodeAnnouncement | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.nodeid !== 'string' || !PUBKEY.test(v.nodeid)) return undefined;
  if (v.features !== undefined && (typeof v.features !== 'string' || !FEATURES.test(v.features))) return undefined;
  return v.features === undefined ? { nodeid: v.nodeid } : { nodeid: v.nodeid, features: v.features };
}

/** Reads one `listpeerchannels` row (cln-fixtures/listpeerchannels-held-in.json). */
export function readPeerChannel(value: unknown): NodePeerChannel {
  const m = 'listpeerchannels';
  const v = object(m, value, 'a channel');
  const channel: NodePeerChannel = {
    peer_id: pubkey(m, v.peer_id, 'peer_id'),
    state: text(m, v.state, 'state'),
    peer_connected: v.peer_connected === true,
    spendable_msat: v.spendable_msat === undefined ? 0 : count(m, v.spendable_msat, 'spendable_msat'),
    total_msat: v.total_msat === undefined ? 0 : count(m, v.total_msat, 'total_msat'),
  };
  if (v.short_channel_id !== undefined) channel.short_channel_id = scid(m, v.short_channel_id);
  if (int(v.minimum_htlc_out_msat)) channel.minimum_htlc_out_msat = v.minimum_htlc_out_msat;
  if (int(v.maximum_htlc_out_msat)) channel.maximum_htlc_out_msat = v.maximum_htlc_out_msat;
  return channel;
}

/** Reads a `getinfo` answer (cln-fixtures/getinfo.json). */
export function readNodeInfo(reply: unknown): NodeInfo {
  const m = 'getinfo';
  const v = object(m, reply, 'a reply');
  if (typeof v.color !== 'string' || !/^[0-9a-f]{6}$/.test(v.color)) throw badReply(m, 'has no valid color');
  return {
    id: pubkey(m, v.id, 'id'),
    alias: text(m, v.alias, 'alias'),
    color: v.color,
    network: text(m, v.network, 'network'),
    blockheight: count(m, v.blockheight, 'blockheight'),
  };
}

/** A preimage that must hash to `payment_hash`: a proof of payment that does not is a lie. */
function checkPreimage(method: string, value: unknown, payment_hash: string): string {
  if (typeof value !== 'string' || !HEX32.test(value)) throw badReply(method, 'has no valid preimage');
  if (bytesToHex(sha256(hexToBytes(value))) !== payment_hash) throw badReply(method, 'has a preimage that does not match the payment hash');
  return value;
}

/** A failed part from a node error whose `data` is the part (sendpay or waitsendpay failing). */
function failedPart(method: string, error: RpcError): NodePart {
  const part = readNodePart(method, error.data, 'failed');
  if (part.failcode === undefined) part.failreason = error.message;
  return part;
}

/** Whether a failure's `data` carries the part itself (CLN adds the payment's fields only once it exists). */
function holdsPart(data: unknown): boolean {
  return data !== null && typeof data === 'object' && 'payment_hash' in data;
}

/**
 * A `sendpay` the node refused before it recorded the part (lightningd/pay.c
 * send_payment_core: no channel to the first peer, or the peer not ready; `data` has only
 * the failure fields, cln-fixtures in test/fixtures/cln/sendpay-no-first-peer.json and
 * sendpay-first-peer-not-ready.json). No HTLC left and the node has no record: the part
 * failed, with the node's words and failure fields so the planner can go around it.
 */
function refusedPart(request: SendpayRequest, error: RpcError): NodePart {
  if (error.data === null || typeof error.data !== 'object' || Array.isArray(error.data))
    throw badReply('sendpay', 'refused the part with data that is not an object');
  return { ...unsentPart(request, error.message), ...readFailure(error.data as Record<string, unknown>), failreason: error.message };
}

function nodeError(error: unknown): unknown {
  if (error instanceof RpcError) {
    // A rune refusal is PERMISSION, naming the method refused; any other refusal is NODE_ERROR.
    return (
      runeRefusal(error) ??
      engineError('NODE_ERROR', `${error.method}: ${error.message}`, { nodeCode: error.code, data: error.data, cause: error })
    );
  }
  // The wire's own failures (CONNECTION, TIMEOUT, BAD_REPLY) already carry the engine's codes.
  if (error instanceof AmpkitError) return error;
  return engineError('CONNECTION', `the request to the node failed: ${String(error)}`, { cause: error });
}

/** Options of {@link clnNode}. */
export interface ClnNodeOptions {
  /**
   * Seconds a `sendpay` may go unanswered before it fails with `TIMEOUT` (60; `0` or
   * `Infinity`: no limit but the link's end). Core Lightning answers `sendpay` once the
   * HTLC is offered to the first peer, not when the payment ends, so a minute unanswered
   * means a stuck node or a lost reply. The engine then treats the part as one that may
   * or may not have reached the node: it sends it again unchanged (same `groupid` and
   * `partid`, which the node never runs twice) and follows the node's record, so a
   * timeout never makes a second HTLC.
   */
  sendpayTimeout?: number;
}

/**
 * Adapts a commando client to the engine's {@link Node}.
 *
 * @example
 * ```ts
 * const client = await connect({ nodeId, url, rune });
 * const engine = await createEngine({ node: clnNode(client), store: indexedDbStore() });
 * ```
 */
export function clnNode(client: CommandoClient, options: ClnNodeOptions = {}): Node {
  const sendpayTimeout = options.sendpayTimeout ?? SENDPAY_TIMEOUT;
  if (typeof sendpayTimeout !== 'number' || Number.isNaN(sendpayTimeout) || sendpayTimeout < 0) {
    throw engineError('INVALID_ARGUMENT', 'sendpayTimeout must be a number of seconds, 0 or more');
  }
  const call = async (method: string, params: Record<string, unknown>, options?: RequestOptions): Promise<unknown> => {
    try {
      return await client.request(method, params, options);
    } catch (error) {
      throw nodeError(error);
    }
  };
  /**
   * A `waitsendpay` failure that does not carry the part (209 "Payment failure reason
   * unknown" has no data at all): the node said this part failed, and its own record gives
   * the rest. Without that record nothing is certain, so nothing is marked failed.
   */
  const recordedFailure = async (key: PartKey, error: RpcError): Promise<NodePart> => {
    const payments = list('listsendpays', await call('listsendpays', { payment_hash: key.payment_hash }), 'payments');
    const there = payments.map((p) => readNodePart('listsendpays', p)).find((p) => p.groupid === key.groupid && p.partid === key.partid);
    if (!there)
      throw engineError('NOT_FOUND', `waitsendpay: ${error.message}, and listsendpays has no such part`, { nodeCode: error.code });
    if (there.status !== 'failed')
      throw badReply('waitsendpay', `says the part failed (${error.code}) while listsendpays has it ${there.status}`);
    const failure = error.data !== null && typeof error.data === 'object' ? readFailure(error.data as Record<string, unknown>) : {};
    return { ...there, ...failure, ...(failure.failcode === undefined ? { failreason: error.message } : {}) };
  };
  return {
    id: client.nodeId,

    async sendpay(request: SendpayRequest): Promise<NodePart> {
      const params: Record<string, unknown> = {
        route: request.route,
        payment_hash: request.payment_hash,
        amount_msat: request.amount_msat,
        payment_secret: request.payment_secret,
        partid: request.partid,
        groupid: request.groupid,
      };
      if (request.bolt11 !== undefined) params.bolt11 = request.bolt11;
      if (request.description !== undefined) params.description = request.description;
      try {
        // A bounded wait (a node that never answers must not hold the part forever): on
        // TIMEOUT, as on a dropped link, the engine is unsure whether the part started and
        // sends it again under the same key, which the node answers from its record.
        return readNodePart('sendpay', await client.request('sendpay', params, { timeout: sendpayTimeout * 1000 }));
      } catch (error) {
        if (error instanceof RpcError && error.data !== undefined && FAILED_PART_CODES.has(error.code)) {
          return holdsPart(error.data) ? failedPart('sendpay', error) : refusedPart(request, error);
        }
        throw nodeError(error);
      }
    },

    async waitsendpay(request: PartKey & { timeout: number }): Promise<NodePart> {
      const seconds = Math.max(0, Math.ceil(request.timeout));
      try {
        const reply = await client.request(
          'waitsendpay',
          { payment_hash: request.payment_hash, partid: request.partid, groupid: request.groupid, timeout: seconds },
          { timeout: seconds * 1000 + WAIT_SLACK_MS },
        );
        return readNodePart('waitsendpay', reply);
      } catch (error) {
        if (error instanceof RpcError) {
          if (error.code === 200) throw engineError('TIMEOUT', 'waitsendpay: timed out while waiting', { nodeCode: 200 });
          if (error.code === 208) throw engineError('NOT_FOUND', `waitsendpay: ${error.message}`, { nodeCode: 208 });
          if (FAILED_PART_CODES.has(error.code))
            return holdsPart(error.data) ? failedPart('waitsendpay', error) : recordedFailure(request, error);
        }
        throw nodeError(error);
      }
    },

    async listsendpays(request: { payment_hash: string }): Promise<NodePart[]> {
      const payments = list('listsendpays', await call('listsendpays', { payment_hash: request.payment_hash }), 'payments');
      return payments.map((p) => readNodePart('listsendpays', p));
    },

    async getroutes(request) {
      const params: Record<string, unknown> = {
        source: request.source,
        destination: request.destination,
        amount_msat: request.amount_msat,
        layers: request.layers,
        maxfee_msat: request.maxfee_msat,
        final_cltv: request.final_cltv,
      };
      if (request.maxparts !== undefined) params.maxparts = request.maxparts;
      return readRoutes(await call('getroutes', params));
    },

    // askrene's layer methods, as v25.12 answers them (test/fixtures/cln/askrene-*.json).
    async askrenecreatelayer({ layer }) {
      const m = 'askrene-create-layer';
      const made = list(m, await call(m, { layer, persistent: false }), 'layers').some((l) => object(m, l, 'a layer').layer === layer);
      if (!made) throw badReply(m, `does not list the layer ${layer}`);
    },

    async askreneconstrainchannel({ layer, short_channel_id_dir, amount_msat }) {
      const m = 'askrene-inform-channel';
      const constraints = list(m, await call(m, { layer, short_channel_id_dir, amount_msat, inform: 'constrained' }), 'constraints');
      if (!constraints.some((c) => object(m, c, 'a constraint').short_channel_id_dir === short_channel_id_dir))
        throw badReply(m, `has no constraint on ${short_channel_id_dir}`);
    },

    async askrenedisablechannel({ layer, short_channel_id_dir }) {
      object('askrene-update-channel', await call('askrene-update-channel', { layer, short_channel_id_dir, enabled: false }), 'a reply');
    },

    async askrenedisablenode({ layer, node }) {
      object('askrene-disable-node', await call('askrene-disable-node', { layer, node }), 'a reply');
    },

    async askreneremovelayer({ layer }) {
      object('askrene-remove-layer', await call('askrene-remove-layer', { layer }), 'a reply');
    },

    async listchannels(request = {}, each) {
      const params = request.short_channel_id === undefined ? {} : { short_channel_id: request.short_channel_id };
      // The whole graph is tens of megabytes of JSON on mainnet: no request timeout, the link's end ends it,
      // only the fields the planner reads (about half of each entry), and with `each` entry by entry as
      // the bytes arrive, never the whole reply at once.
      const stream = each && { array: 'channels', onItem: (entry: unknown) => isChannel(entry) && each(entry) };
      const reply = await call('listchannels', params, { timeout: 0, filter: CHANNEL_FILTER, ...(stream ? { stream } : {}) });
      return list('listchannels', reply, 'channels').filter(isChannel);
    },

    async listnodes() {
      const reply = await call('listnodes', {}, { timeout: 0, filter: NODE_FILTER });
      return list('listnodes', reply, 'nodes')
        .map(readNodeAnnouncement)
        .filter((n): n is NodeAnnouncement => n !== undefined);
    },

    async listpeerchannels() {
      return list('listpeerchannels', await call('listpeerchannels', {}), 'channels').map(readPeerChannel);
    },

    async getinfo() {
      const info = readNodeInfo(await call('getinfo', {}));
      // The link's handshake proved which node answers; a getinfo naming another is a lie.
      if (info.id !== client.nodeId.toLowerCase()) throw badReply('getinfo', `names node ${info.id}, not ${client.nodeId}`);
      return info;
    },

    async invoice(request) {
      const reply = object('invoice', await call('invoice', { ...request }), 'a reply');
      return {
        payment_hash: hex32('invoice', reply.payment_hash, 'payment_hash'),
        bolt11: text('invoice', reply.bolt11, 'bolt11'),
        expires_at: count('invoice', reply.expires_at, 'expires_at'),
      };
    },

    async listinvoices(request) {
      return list('listinvoices', await call('listinvoices', { payment_hash: request.payment_hash }), 'invoices').map(readInvoice);
    },

    // BoltzExchange/hold's methods (hold-plugin.ts).
    ...holdMethods((method, params) => client.request(method, params), nodeError),

    async listhtlcs(request) {
      return list('listhtlcs', await call('listhtlcs', { index: request.index, start: request.start }), 'htlcs').map(readHtlc);
    },

    async waithtlcs(request) {
      const reply = object(
        'wait',
        await call(
          'wait',
          { subsystem: 'htlcs', indexname: request.index, nextvalue: request.next },
          { timeout: 0, ...(request.signal ? { signal: request.signal } : {}) },
        ),
        'a reply',
      );
      return count('wait', reply[request.index] ?? 0, request.index);
    },

    connected(): Promise<void> {
      return untilOpen(client);
    },
  };
}
