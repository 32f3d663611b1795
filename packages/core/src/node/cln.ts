/**
 * The Node interface over Core Lightning's JSON-RPC carried by commando (`@ampkit/wire`).
 * Maps CLN's codes onto the engine's (cln-fixtures/: 200 timed out, 202–204 and 209 a failed
 * part with the part in `data`, 208 a part never attempted) and checks every reply it uses.
 */
import { RpcError, type CommandoClient } from '@ampkit/wire';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { AmpkitError, engineError } from '../errors.ts';
import type { Node, NodePart, PartKey, SendpayRequest } from './node.ts';

/** Extra time the commando request gets beyond the node's own wait, for the reply to travel. */
const WAIT_SLACK_MS = 15_000;

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
    const preimage = v.payment_preimage;
    if (typeof preimage !== 'string' || !HEX32.test(preimage)) throw badReply(method, 'completes a part without a preimage');
    // The preimage is the proof of payment: one that does not hash to the payment hash is a lie.
    if (bytesToHex(sha256(hexToBytes(preimage))) !== v.payment_hash) throw badReply(method, 'has a preimage that does not match the payment hash');
    part.payment_preimage = preimage;
  }
  if (int(v.failcode)) part.failcode = v.failcode;
  if (typeof v.failcodename === 'string') part.failcodename = v.failcodename;
  if (int(v.erring_index)) part.erring_index = v.erring_index;
  if (typeof v.erring_node === 'string') part.erring_node = v.erring_node;
  if (typeof v.erring_channel === 'string') part.erring_channel = v.erring_channel;
  if (int(v.erring_direction)) part.erring_direction = v.erring_direction;
  return part;
}

/** A failed part from a node error whose `data` is the part (sendpay or waitsendpay failing). */
function failedPart(method: string, error: RpcError): NodePart {
  const part = readNodePart(method, error.data, 'failed');
  if (part.failcode === undefined) part.failreason = error.message;
  return part;
}

function nodeError(error: unknown): unknown {
  if (error instanceof RpcError) {
    return engineError('NODE_ERROR', `${error.method}: ${error.message}`, { nodeCode: error.code, data: error.data, cause: error });
  }
  // The wire's own failures (CONNECTION, TIMEOUT, BAD_REPLY) already carry the engine's codes.
  if (error instanceof AmpkitError) return error;
  return engineError('CONNECTION', `the request to the node failed: ${String(error)}`, { cause: error });
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
export function clnNode(client: CommandoClient): Node {
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
        // No request timeout: a timed-out sendpay could still start later, which would leave
        // the engine unsure whether a part is in flight. The link dropping is the only end.
        return readNodePart('sendpay', await client.request('sendpay', params, { timeout: 0 }));
      } catch (error) {
        if (error instanceof RpcError && error.data !== undefined && FAILED_PART_CODES.has(error.code)) return failedPart('sendpay', error);
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
          if (error.data !== undefined && FAILED_PART_CODES.has(error.code)) return failedPart('waitsendpay', error);
        }
        throw nodeError(error);
      }
    },

    async listsendpays(request: { payment_hash: string }): Promise<NodePart[]> {
      let reply: unknown;
      try {
        reply = await client.request('listsendpays', { payment_hash: request.payment_hash });
      } catch (error) {
        throw nodeError(error);
      }
      const payments = (reply as { payments?: unknown } | null)?.payments;
      if (!Array.isArray(payments)) throw badReply('listsendpays', 'has no payments array');
      return payments.map((p) => readNodePart('listsendpays', p));
    },

    connected(): Promise<void> {
      return new Promise((resolve, reject) => {
        const settle = (state: string): boolean => {
          if (state === 'open') resolve();
          else if (state === 'closed' || state === 'failed') reject(engineError('CONNECTION', `the link to the node is ${state}`));
          else return false;
          return true;
        };
        if (settle(client.state)) return;
        const stop = client.on('state', (state) => {
          if (settle(state)) stop();
        });
      });
    },
  };
}
