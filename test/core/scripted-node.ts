/**
 * A Node for pay() tests that needs no network: it plans with a script (`plan`), settles
 * every part at once with a script (`outcome`), and keeps askrene layers as Core Lightning
 * does (test/fixtures/cln/askrene-*.json), or refuses them as a rune without askrene-*
 * does (cln/commando-askrene-refused.json). Every call is logged.
 *
 * The payer is `ours`; the payee `dave`, reached over `bob` (channel 1x1x1 then 2x2x2) or
 * `carol` (3x3x3 then 4x4x4).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { encodeBolt11, publicKeyOf } from '../../packages/wire/src/index.ts';
import {
  AmpkitError,
  type GetroutesRequest,
  type Node,
  type NodePart,
  type NodeRoute,
  type PartFailure,
  type RouteHop,
  type SendpayRequest,
} from '../../packages/core/src/index.ts';
import { noReceiving } from './fake-node.ts';

const key = (n: number) => new Uint8Array(32).fill(n);
const fail = (code: 'NODE_ERROR' | 'NOT_FOUND', message: string, options?: { nodeCode: number }) => new AmpkitError(code, message, options);
export const OURS = bytesToHex(publicKeyOf(key(7)));
export const BOB = bytesToHex(publicKeyOf(key(11)));
export const CAROL = bytesToHex(publicKeyOf(key(12)));
export const DAVE = bytesToHex(publicKeyOf(key(13)));
/** The directions of the two paths, as `scid/direction`. */
export const OURS_BOB = '1x1x1/0';
export const BOB_DAVE = '2x2x2/0';
export const OURS_CAROL = '3x3x3/0';
export const CAROL_DAVE = '4x4x4/0';

const PREIMAGE = 'ab'.repeat(32);
export const PAYMENT_HASH = bytesToHex(sha256(Uint8Array.from(Buffer.from(PREIMAGE, 'hex'))));

/** An invoice from dave for `amount_msat`. */
export function daveInvoice(amount_msat: number): string {
  return encodeBolt11(
    {
      currency: 'bcrt',
      amount_msat,
      payment_hash: PAYMENT_HASH,
      payment_secret: 'cd'.repeat(32),
      description: 'scripted',
      created_at: Math.floor(Date.now() / 1000),
      min_final_cltv_expiry: 18,
      features: [8, 14, 17],
    },
    key(13),
  );
}

/** A two-hop path to dave over `via` delivering `amount_msat` (a fee of 1,000 msat to the hop in the middle). */
export function path(via: 'bob' | 'carol', amount_msat: number): NodeRoute {
  const [mid, first, second] = via === 'bob' ? [BOB, OURS_BOB, BOB_DAVE] : [CAROL, OURS_CAROL, CAROL_DAVE];
  const hop = (id: string, dir: string, amount: number, delay: number): RouteHop => ({
    id,
    channel: dir.split('/')[0]!,
    direction: 0,
    amount_msat: amount,
    delay,
    style: 'tlv',
  });
  return { amount_msat, route: [hop(mid, first, amount_msat + 1000, 24), hop(DAVE, second, amount_msat, 18)] };
}

export interface Layer {
  constraints: Map<string, number>;
  disabledChannels: Set<string>;
  disabledNodes: Set<string>;
}

export interface Script {
  /** The paths getroutes answers (or a string: getroutes' 205 with that message); `layers` as askrene would combine them. */
  plan(request: GetroutesRequest, layers: Layer): NodeRoute[] | string;
  /** How a part sent along `route` ends: arrives, fails with those fields, or stays in flight until {@link ScriptedNode.release}. */
  outcome(route: RouteHop[]): 'complete' | 'hold' | PartFailure;
  /** Refuse askrene's layer methods, as a rune that does not allow them. */
  refuseLayers?: boolean;
  /** getroutes answers this many times that it knows no such layer (a node that restarted). */
  forgetLayers?: number;
}

export interface ScriptedNode extends Node {
  /** Every call, as `method` or `method arg`. */
  calls: string[];
  /** The routes of every sendpay, in order, as `via:amount`. */
  sent: string[];
  layers: Map<string, Layer>;
  /** Ends every part held in flight: arrived, or failed with those fields. */
  release(outcome: 'complete' | PartFailure): void;
}

const viaOf = (route: RouteHop[]) => `${route[0]!.id === BOB ? 'bob' : 'carol'}:${route[route.length - 1]!.amount_msat}`;

export function scriptedNode(script: Script): ScriptedNode {
  const calls: string[] = [];
  const sent: string[] = [];
  const parts = new Map<string, NodePart>();
  const held = new Map<string, { part: NodePart; wake: Array<() => void> }>();
  const settle = (part: NodePart, outcome: 'complete' | PartFailure): NodePart =>
    outcome === 'complete' ? { ...part, status: 'complete', payment_preimage: PREIMAGE } : { ...part, status: 'failed', ...outcome };
  const layers = new Map<string, Layer>();
  let forget = script.forgetLayers ?? 0;
  const partKey = (p: { payment_hash: string; groupid: number; partid: number }) => `${p.payment_hash}/${p.groupid}/${p.partid}`;
  const askrene = (method: string, detail: string, run: () => void): Promise<void> => {
    calls.push(`${method} ${detail}`);
    if (script.refuseLayers)
      return Promise.reject(
        fail('NODE_ERROR', `${method}: Invalid rune: Not permitted: method is not equal to getroutes`, { nodeCode: 19537 }),
      );
    try {
      run();
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve();
  };
  const layer = (method: string, name: string): Layer => {
    const l = layers.get(name);
    if (!l) throw fail('NODE_ERROR', `${method}: layer: Unknown layer: invalid token '"${name}"'`, { nodeCode: -32602 });
    return l;
  };
  const node: ScriptedNode = {
    ...noReceiving,
    id: OURS,
    calls,
    sent,
    layers,
    async sendpay(request: SendpayRequest) {
      calls.push('sendpay');
      sent.push(viaOf(request.route));
      const last = request.route[request.route.length - 1]!;
      const part: NodePart = {
        payment_hash: request.payment_hash,
        groupid: request.groupid,
        partid: request.partid,
        status: 'pending',
        amount_msat: last.amount_msat,
        amount_sent_msat: request.route[0]!.amount_msat,
      };
      const outcome = script.outcome(request.route);
      if (outcome === 'hold') held.set(partKey(part), { part, wake: [] });
      parts.set(partKey(part), outcome === 'hold' ? part : settle(part, outcome));
      return part;
    },
    async waitsendpay(request) {
      calls.push('waitsendpay');
      const k = partKey(request);
      const waiting = held.get(k);
      if (waiting) await new Promise<void>((resolve) => waiting.wake.push(resolve));
      const part = parts.get(k);
      if (!part) throw fail('NOT_FOUND', 'waitsendpay: Never attempted payment part');
      return part;
    },
    async listsendpays(request) {
      calls.push('listsendpays');
      return [...parts.values()].filter((p) => p.payment_hash === request.payment_hash);
    },
    async getroutes(request) {
      const mine = request.layers.filter((name) => !name.startsWith('auto.'));
      calls.push(`getroutes ${mine.join(',')}`.trim());
      const combined: Layer = { constraints: new Map(), disabledChannels: new Set(), disabledNodes: new Set() };
      for (const name of mine) {
        const l = layers.get(name);
        if (!l || (forget > 0 && forget--))
          throw fail('NODE_ERROR', `getroutes: layers: unknown layer: invalid token '"${name}"'`, { nodeCode: -32602 });
        for (const [dir, max] of l.constraints) combined.constraints.set(dir, Math.min(max, combined.constraints.get(dir) ?? Infinity));
        l.disabledChannels.forEach((d) => combined.disabledChannels.add(d));
        l.disabledNodes.forEach((n) => combined.disabledNodes.add(n));
      }
      const plan = script.plan(request, combined);
      if (typeof plan === 'string') throw fail('NODE_ERROR', `getroutes: ${plan}`, { nodeCode: 205 });
      return plan;
    },
    askrenecreatelayer: ({ layer: name }) =>
      askrene('askrene-create-layer', name, () => {
        if (layers.has(name)) throw fail('NODE_ERROR', 'askrene-create-layer: Layer already exists', { nodeCode: -32602 });
        layers.set(name, { constraints: new Map(), disabledChannels: new Set(), disabledNodes: new Set() });
      }),
    askreneconstrainchannel: ({ layer: name, short_channel_id_dir, amount_msat }) =>
      askrene(
        'askrene-inform-channel',
        `${short_channel_id_dir} ${amount_msat}`,
        () => void layer('askrene-inform-channel', name).constraints.set(short_channel_id_dir, amount_msat - 1),
      ),
    askrenedisablechannel: ({ layer: name, short_channel_id_dir }) =>
      askrene(
        'askrene-update-channel',
        short_channel_id_dir,
        () => void layer('askrene-update-channel', name).disabledChannels.add(short_channel_id_dir),
      ),
    askrenedisablenode: ({ layer: name, node: id }) =>
      askrene('askrene-disable-node', id, () => void layer('askrene-disable-node', name).disabledNodes.add(id)),
    askreneremovelayer: ({ layer: name }) =>
      askrene('askrene-remove-layer', name, () => {
        layer('askrene-remove-layer', name);
        layers.delete(name);
      }),
    connected: () => Promise.resolve(),
    release(outcome) {
      for (const [k, { part, wake }] of held) {
        parts.set(k, settle(part, outcome));
        held.delete(k);
        wake.forEach((w) => w());
      }
    },
  };
  return node;
}
