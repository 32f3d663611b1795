/**
 * What a simulated node sends a peer right after init, as Core Lightning v25.12 does
 * (seen on a real regtest node): its own channel_announcements, channel_updates and
 * node_announcement always; then, to a peer that negotiated `gossip_queries`, a
 * `gossip_timestamp_filter` of its own; to a peer that did not, the rest of the graph it
 * knows. Signatures and funding keys are filler (derived from the seed): a light client
 * checks none, and simnet's peers are light clients.
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import {
  CHAIN_HASH,
  GOSSIP_QUERIES_BIT,
  encodeChannelAnnouncement,
  encodeChannelUpdate,
  encodeGossipTimestampFilter,
  encodeNodeAnnouncement,
  hasFeature,
} from '@ampkit/wire';
import type { Channel, Network, SimNode } from './network.ts';
import { derive } from './seed.ts';

/** The most channels a peer without gossip_queries is sent (the mainnet graph has 50,000). */
export const MAX_GOSSIP_CHANNELS = 500;

const chainHash = /* @__PURE__ */ hexToBytes(CHAIN_HASH.regtest);

function filler(seed: number, ...labels: (string | number)[]): Uint8Array {
  const out = new Uint8Array(64);
  out.set(derive(seed, 'gossip-sig', ...labels));
  out.set(derive(seed, 'gossip-sig2', ...labels), 32);
  return out;
}

function channelGossip(network: Network, channel: Channel, seed: number): Uint8Array[] {
  const [n1, n2] = channel.node;
  const now = Math.floor(network.now() / 1000);
  const messages = [
    encodeChannelAnnouncement({
      chainHash,
      shortChannelId: channel.scid,
      nodeId1: hexToBytes(n1.id),
      nodeId2: hexToBytes(n2.id),
      bitcoinKey1: hexToBytes(n1.id),
      bitcoinKey2: hexToBytes(n2.id),
      signatures: [0, 1, 2, 3].map((i) => filler(seed, channel.scid, i)) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array],
    }),
  ];
  for (const direction of [0, 1] as const) {
    const p = channel.policy[direction];
    messages.push(
      encodeChannelUpdate({
        signature: filler(seed, channel.scid, 'update', direction),
        chainHash,
        shortChannelId: channel.scid,
        timestamp: now,
        direction,
        disabled: !p.active,
        cltvExpiryDelta: p.cltv_expiry_delta,
        htlcMinimumMsat: p.htlc_minimum_msat,
        feeBaseMsat: p.fee_base_msat,
        feeProportionalMillionths: p.fee_proportional_millionths,
        htlcMaximumMsat: p.htlc_maximum_msat,
      }),
    );
  }
  return messages;
}

function nodeGossip(network: Network, node: SimNode, seed: number): Uint8Array {
  return encodeNodeAnnouncement({
    signature: filler(seed, node.id, 'node'),
    timestamp: Math.floor(network.now() / 1000),
    nodeId: hexToBytes(node.id),
    rgb: hexToBytes(node.color.padEnd(6, '0').slice(0, 6)),
    alias: node.alias,
  });
}

/** The messages `node` sends a peer with these init features, in order. */
export function* gossipFor(network: Network, node: SimNode, seed: number, remoteFeatures: Uint8Array): Generator<Uint8Array> {
  for (const channel of node.channels) yield* channelGossip(network, channel, seed);
  yield nodeGossip(network, node, seed);
  if (hasFeature(remoteFeatures, GOSSIP_QUERIES_BIT)) {
    yield encodeGossipTimestampFilter(chainHash, Math.floor(network.now() / 1000), 0xffffffff);
    return;
  }
  // A peer that cannot filter gets the graph, as a BOLT 7 node without gossip_queries sends it.
  let sent = 0;
  const announced = new Set<SimNode>([node]);
  for (const channel of network.channels.values()) {
    if (channel.node.includes(node)) continue;
    if (++sent > MAX_GOSSIP_CHANNELS) break;
    yield* channelGossip(network, channel, seed);
    for (const end of channel.node) {
      if (announced.has(end)) continue;
      announced.add(end);
      yield nodeGossip(network, end, seed);
    }
  }
}
