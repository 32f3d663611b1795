/**
 * The scenarios' network on simnet with alice (the payer) and dave (the payee) running lnd's
 * personality, reachable only over Lightning Node Connect; bob and carol stay Core Lightning.
 * An engine on alice or dave runs on `lndNode` over its own LNC session, as a page would; the
 * node side reads lnd's own records over another session: AddInvoice, DescribeGraph,
 * TrackPaymentV2 (our parts recognised by the tag on their last hop, decoded here, not by the
 * adapter), ListChannels and SendToRouteV2.
 */
import { GrpcError } from '@ampkit/wire/lnc';
import { startSimnet, type Simnet } from '../../packages/simnet/src/index.ts';
import { lndNode } from '../../packages/core/src/node/lnd.ts';
import type { Node, RouteHop } from '../../packages/core/src/index.ts';
import { lndClient, lndMethods as m, pairLnc, type LndTestClient } from '../simnet/lnd-harness.ts';
import { clnNodeFor, clnSideOf } from './cln-side.ts';
import { SCENARIO_TOPOLOGY } from './simnet-target.ts';
import {
  ALIASES,
  clnTargetNode,
  payBack,
  type Alias,
  type GossipDirection,
  type NodeSide,
  type SentRow,
  type SideChannel,
  type Target,
  type TargetNode,
  type TargetNodeRef,
} from './target.ts';

/** The nodes with lnd's personality. */
export const LND_ALIASES: readonly Alias[] = ['alice', 'dave'];

/** The tag record ampkit puts on a part's last hop: group id then part id, big-endian u64s (docs/lnd.md §8, hard spot 1). */
const TAG_RECORD = 1634562155n;

export interface LndTarget extends Target {
  kind: 'simnet-lnd';
  simnet: Simnet;
  stop(): Promise<void>;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** lnd's uint64 channel id as `BLOCKxTXxOUT`. */
function scidOf(chanId: string | bigint): string {
  const n = BigInt(chanId);
  return `${n >> 40n}x${(n >> 16n) & 0xffffffn}x${n & 0xffffn}`;
}

/** `BLOCKxTXxOUT` as lnd's uint64 channel id. */
function chanIdOf(scid: string): bigint {
  const [block, tx, out] = scid.split('x').map(BigInt) as [bigint, bigint, bigint];
  return (block << 40n) | (tx << 16n) | out;
}

/** The group and part ids of an attempt's tag, or undefined for an attempt without one (not ampkit's). */
function tagOf(records: Map<bigint, Uint8Array> | undefined): { groupid: number; partid: number } | undefined {
  const value = records?.get(TAG_RECORD);
  if (!value || value.length !== 16) return undefined;
  const view = new DataView(value.buffer, value.byteOffset, 16);
  return { groupid: Number(view.getBigUint64(0)), partid: Number(view.getBigUint64(8)) };
}

const ATTEMPT_STATUS: Record<number, SentRow['status']> = { 0: 'pending', 1: 'complete', 2: 'failed' };

/** The node side of an LND node over `client` (shared: the target closes it when it stops). */
function lndSide(client: LndTestClient): NodeSide {
  return {
    async invoice(amount_msat, label) {
      const added = await client.call(m.addInvoice, { memo: label, valueMsat: BigInt(amount_msat) });
      return { bolt11: added.paymentRequest };
    },
    async gossip() {
      const { edges } = await client.call(m.describeGraph, {});
      return edges.flatMap((e) =>
        (
          [
            [e.node1Pub, e.node2Pub, e.node1Policy, 0],
            [e.node2Pub, e.node1Pub, e.node2Policy, 1],
          ] as const
        )
          .filter(([, , policy]) => policy && !policy.disabled)
          .map(([source, destination, policy, direction]): GossipDirection => ({
            source,
            destination,
            short_channel_id: scidOf(e.channelId),
            direction,
            base_fee_millisatoshi: Number(policy!.feeBaseMsat),
            fee_per_millionth: Number(policy!.feeRateMilliMsat),
            delay: policy!.timeLockDelta,
          })),
      );
    },
    async sentParts(payment_hash) {
      // TrackPaymentV2's first message is the payment as lnd stores it; NotFound: never sent.
      const stream = client.stream(m.trackPaymentV2, { paymentHash: Buffer.from(payment_hash, 'hex'), noInflightUpdates: false });
      try {
        for await (const payment of stream) {
          return payment.htlcs.map((a): SentRow => {
            const last = a.route!.hops[a.route!.hops.length - 1]!;
            // An attempt without ampkit's tag (sent by another tool) shows as group 0, numbered by its attempt id.
            const tag = tagOf(last.customRecords) ?? { groupid: 0, partid: Number(a.attemptId) };
            return { ...tag, status: ATTEMPT_STATUS[a.status]!, amount_msat: Number(last.amtToForwardMsat) };
          });
        }
        return [];
      } catch (error) {
        if (error instanceof GrpcError && error.code === 5) return [];
        throw error;
      } finally {
        stream.cancel();
      }
    },
    async channels() {
      const { channels } = await client.call(m.listChannels, {});
      return channels.map((c): SideChannel => ({
        peer_id: c.remotePubkey,
        short_channel_id: scidOf(c.chanId),
        usable: c.active,
        to_us_msat: Number(c.localBalance) * 1000,
        total_msat: Number(c.capacity) * 1000,
        spendable_msat: Math.max(0, Number(c.localBalance - (c.localConstraints?.chanReserveSat ?? 0n)) * 1000),
        htlcs: c.pendingHtlcs.map((h) => hex(h.hashLock)),
      }));
    },
    async payRoute(route, { payment_hash, payment_secret, amount_msat }) {
      const { blockHeight } = await client.call(m.getInfo, {});
      const attempt = await client.call(m.sendToRouteV2, {
        paymentHash: Buffer.from(payment_hash, 'hex'),
        route: lndRoute(route, blockHeight, { paymentAddr: Buffer.from(payment_secret, 'hex'), totalAmtMsat: BigInt(amount_msat) }),
        skipTempErr: false,
      });
      if (attempt.status !== 1)
        throw new Error(`SendToRouteV2 over ${route.map((h) => h.channel).join(', ')}: ${JSON.stringify(attempt.failure)}`);
    },
    close() {},
  };
}

/**
 * `sendpay`'s route (each hop: what arrives at its node, and the CLTV delta of the HTLC to it)
 * as lnd's Route (each hop: what its node forwards, and the expiry of the HTLC it offers).
 */
function lndRoute(route: RouteHop[], height: number, mppRecord: { paymentAddr: Uint8Array; totalAmtMsat: bigint }) {
  const last = route.length - 1;
  return {
    totalAmtMsat: BigInt(route[0]!.amount_msat),
    totalTimeLock: height + route[0]!.delay,
    hops: route.map((hop, i) => {
      const out = route[Math.min(i + 1, last)]!;
      return {
        chanId: chanIdOf(hop.channel).toString(),
        pubKey: hop.id,
        amtToForwardMsat: BigInt(out.amount_msat),
        expiry: height + out.delay,
        tlvPayload: true,
        ...(i === last ? { mppRecord } : {}),
      };
    }),
  };
}

/**
 * Starts the scenario network with alice and dave as LND nodes over LNC; `mppTimeout` in
 * seconds, for every node (8: an engine pairs its LNC session in a second or two, and the
 * recovery scenario's held part must outlive the pairing of a second engine).
 */
export async function lndTarget(options: { mppTimeout?: number; seed?: number } = {}): Promise<LndTarget> {
  const mppTimeout = options.mppTimeout ?? 8;
  const simnet = await startSimnet({
    topology: SCENARIO_TOPOLOGY,
    mppTimeout,
    lnd: [...LND_ALIASES],
    lndMppTimeout: mppTimeout,
    hopDelay: 2,
    seed: options.seed ?? 5,
  });
  const nodes = {} as Record<Alias, TargetNodeRef>;
  const cln = {} as Record<Alias, TargetNode>;
  for (const n of simnet.lnd) nodes[n.alias as Alias] = { alias: n.alias as Alias, id: n.id, impl: 'lnd' };
  for (const n of simnet.nodes) {
    const node = clnTargetNode(n);
    nodes[node.alias] = cln[node.alias] = node;
  }
  if (ALIASES.some((a) => !nodes[a])) throw new Error('the LND scenario network lacks a node');

  /** One raw session per LND node for the node side, opened on first use. */
  const sides = new Map<Alias, Promise<LndTestClient>>();
  const links = new Set<{ close(): void }>();
  const pair = async (alias: Alias) => {
    const lnc = await pairLnc(simnet, alias);
    links.add(lnc);
    return lnc;
  };

  const target: LndTarget = {
    kind: 'simnet-lnd',
    simnet,
    nodes,
    mppTimeout,
    holdInvoices: true,
    async nodeFor(alias, access) {
      if (nodes[alias].impl === 'cln') return clnNodeFor(cln[alias], access);
      // An LNC session carries its own permissions: there is no rune to pick.
      const lnc = await pair(alias);
      const node: Node = await lndNode(lnc, { pollInterval: 50, invoicePollInterval: 100 });
      return {
        node,
        close() {
          lnc.close();
          links.delete(lnc);
        },
      };
    },
    async sideOf(alias) {
      if (nodes[alias].impl === 'cln') return clnSideOf(cln[alias]);
      let client = sides.get(alias);
      if (!client) {
        client = lndClient(simnet, alias);
        sides.set(alias, client);
      }
      return lndSide(await client);
    },
    rebalance: () => payBack(target),
    async stop() {
      for (const link of links) link.close();
      for (const client of sides.values()) (await client).lnc.close();
      await simnet.stop();
    },
  };
  return target;
}
