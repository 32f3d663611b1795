/**
 * A Core Lightning node as a scenario reaches it: the engine's `Node` is `clnNode` over a
 * reconnecting commando client, and the node side is the node's own commands (`invoice`,
 * `listchannels`, `listsendpays`, `listpeerchannels`, `sendpay`) over another.
 */
import type { CommandoClient } from '../../packages/wire/src/index.ts';
import { clnNode, type Node } from '../../packages/core/src/index.ts';
import {
  commandoTo,
  type GossipDirection,
  type NodeSide,
  type RuneKind,
  type SentRow,
  type SideChannel,
  type TargetNode,
} from './target.ts';

interface PeerChannel {
  peer_id: string;
  short_channel_id?: string;
  state: string;
  peer_connected?: boolean;
  to_us_msat: number;
  total_msat: number;
  spendable_msat: number;
  htlcs?: { payment_hash: string }[];
}

/** The node side of a Core Lightning node over `client`; `close()` closes the client. */
export function clnSide(client: CommandoClient): NodeSide {
  return {
    async invoice(amount_msat, label) {
      const { bolt11 } = await client.request('invoice', { amount_msat, label, description: label });
      return { bolt11 };
    },
    async gossip() {
      return (await client.request<{ channels: GossipDirection[] }>('listchannels', {})).channels;
    },
    async sentParts(payment_hash) {
      const { payments } = await client.request<{ payments: SentRow[] }>('listsendpays', { payment_hash });
      return payments.map(({ groupid, partid, status, amount_msat }) => ({ groupid, partid, status, amount_msat }));
    },
    async channels() {
      const { channels } = await client.request<{ channels: PeerChannel[] }>('listpeerchannels', {});
      return channels
        .filter((c) => c.short_channel_id)
        .map((c): SideChannel => ({
          peer_id: c.peer_id,
          short_channel_id: c.short_channel_id!,
          usable: c.state === 'CHANNELD_NORMAL',
          to_us_msat: c.to_us_msat,
          total_msat: c.total_msat,
          spendable_msat: c.spendable_msat,
          htlcs: (c.htlcs ?? []).map((h) => h.payment_hash),
        }));
    },
    async payRoute(route, { payment_hash, payment_secret, amount_msat }) {
      await client.request('sendpay', { route, payment_hash, payment_secret, amount_msat });
      const done = await client.request('waitsendpay', { payment_hash, timeout: 60 }, { timeout: 90_000 });
      if (done.status !== 'complete') throw new Error(`sendpay over ${route.map((h) => h.channel).join(', ')}: ${JSON.stringify(done)}`);
    },
    async payLayers() {
      const { layers } = await client.request<{ layers: { layer: string }[] }>('askrene-listlayers', {});
      return layers.filter((l) => l.layer.startsWith('ampkit-pay-')).map((l) => l.layer);
    },
    close: () => client.close(),
  };
}

/** An engine's `Node` on a Core Lightning node: `clnNode` over a reconnecting commando client with one of its runes. */
export async function clnNodeFor(node: TargetNode, options: { rune?: RuneKind } = {}): Promise<{ node: Node; close(): void }> {
  const client = await commandoTo(node, { reconnect: true, ...options });
  return { node: clnNode(client), close: () => client.close() };
}

/** The node side of a Core Lightning node, over a client with its full rune. */
export async function clnSideOf(node: TargetNode): Promise<NodeSide> {
  return clnSide(await commandoTo(node));
}
