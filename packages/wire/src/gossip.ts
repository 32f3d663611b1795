/**
 * BOLT 7 gossip as a light client meets it. A commando session routes nothing and keeps no
 * graph, so it advertises `gossip_queries` (BOLT 9 bit 7, optional): a BOLT 7 node then
 * relays no gossip until asked with `gossip_timestamp_filter`, which we never send. What a
 * node still sends (Core Lightning always sends its own channel_announcement,
 * node_announcement and channel_updates on connect, and its own gossip_timestamp_filter) is
 * read and dropped. Queries we are asked are answered honestly: we know no channels.
 *
 * The encoders here also let simnet send the same bytes a real node does.
 */
import { concatBytes, textEncoder } from './bytes.ts';
import { WireError } from './errors.ts';
import { MessageType, encodeMessage } from './message.ts';

/** BOLT 9: `gossip_queries` is bits 6 (required) / 7 (optional). */
export const GOSSIP_QUERIES_BIT = 6;

/** Our init features: `gossip_queries` as optional (bit 7) and nothing else. */
export function lightClientFeatures(): Uint8Array {
  return Uint8Array.of(1 << (GOSSIP_QUERIES_BIT + 1));
}

/** Whether a feature field (big-endian bit field, BOLT 9) sets either bit of the pair at `evenBit`. */
export function hasFeature(features: Uint8Array, evenBit: number): boolean {
  for (const bit of [evenBit, evenBit + 1]) {
    const index = features.length - 1 - Math.floor(bit / 8);
    if (index >= 0 && features[index]! & (1 << (bit % 8))) return true;
  }
  return false;
}

const CHAIN_HASH_SIZE = 32;

function need(payload: Uint8Array, size: number, what: string): void {
  if (payload.length < size) throw new WireError('PROTOCOL', `${what}: truncated`);
}

function u16(value: number): Uint8Array {
  return Uint8Array.of(value >>> 8, value & 0xff);
}

function u32(value: number): Uint8Array {
  return Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

function u64(value: number): Uint8Array {
  const out = new Uint8Array(8);
  let v = BigInt(value);
  for (let i = 7; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

/** BOLT 7 `short_channel_id`: block height (3 bytes), transaction index (3), output (2). */
export function encodeShortChannelId(scid: string): Uint8Array {
  const m = /^(\d+)x(\d+)x(\d+)$/.exec(scid);
  const [block, tx, out] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [NaN, NaN, NaN];
  if (!(block < 2 ** 24 && tx < 2 ** 24 && out < 2 ** 16)) throw new WireError('INVALID_ARGUMENT', `bad short_channel_id ${scid}`);
  return Uint8Array.of(block >>> 16, (block >>> 8) & 0xff, block & 0xff, tx >>> 16, (tx >>> 8) & 0xff, tx & 0xff, out >>> 8, out & 0xff);
}

const readU32 = (b: Uint8Array, at: number) => ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;

/**
 * The answer a peer that advertised `gossip_queries` owes to a query (BOLT 7 §Query
 * Messages), or undefined for gossip that needs none. We keep no graph, so:
 * - `query_channel_range` gets one `reply_channel_range` covering exactly the asked range,
 *   `sync_complete` 1 and no short channel ids;
 * - `query_short_channel_ids` gets `reply_short_channel_ids_end` with `full_information` 0
 *   (we do not maintain this chain's channel information).
 * A query too short for its fixed fields is a PROTOCOL error.
 */
export function answerGossip(type: number, payload: Uint8Array): Uint8Array | undefined {
  switch (type) {
    case MessageType.QUERY_CHANNEL_RANGE: {
      need(payload, CHAIN_HASH_SIZE + 8, 'query_channel_range');
      const chainHash = payload.subarray(0, CHAIN_HASH_SIZE);
      const first = readU32(payload, CHAIN_HASH_SIZE);
      const count = readU32(payload, CHAIN_HASH_SIZE + 4);
      // encoded_short_ids: encoding type 0 (uncompressed) and no ids.
      return encodeMessage(
        MessageType.REPLY_CHANNEL_RANGE,
        concatBytes(chainHash, u32(first), u32(count), Uint8Array.of(1), u16(1), Uint8Array.of(0)),
      );
    }
    case MessageType.QUERY_SHORT_CHANNEL_IDS: {
      need(payload, CHAIN_HASH_SIZE + 2, 'query_short_channel_ids');
      return encodeMessage(MessageType.REPLY_SHORT_CHANNEL_IDS_END, concatBytes(payload.subarray(0, CHAIN_HASH_SIZE), Uint8Array.of(0)));
    }
    default:
      return undefined;
  }
}

/** Chain hashes (BOLT 0: the genesis block hash in internal byte order). */
export const CHAIN_HASH = {
  bitcoin: '6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000',
  regtest: '06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f',
} as const;

/** A channel's gossip, as simnet sends it: the fields of BOLT 7's three messages. */
export interface ChannelGossip {
  chainHash: Uint8Array;
  shortChannelId: string;
  /** The two ends, node_id_1 < node_id_2 (33-byte compressed keys). */
  nodeId1: Uint8Array;
  nodeId2: Uint8Array;
  /** Funding keys; any 33 bytes will do for a light client, which checks no signature. */
  bitcoinKey1: Uint8Array;
  bitcoinKey2: Uint8Array;
  /** Four 64-byte signatures: node 1, node 2, bitcoin 1, bitcoin 2. */
  signatures: [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
}

/** BOLT 7 `channel_announcement` (no features). */
export function encodeChannelAnnouncement(c: ChannelGossip): Uint8Array {
  return encodeMessage(
    MessageType.CHANNEL_ANNOUNCEMENT,
    concatBytes(
      ...c.signatures,
      u16(0),
      c.chainHash,
      encodeShortChannelId(c.shortChannelId),
      c.nodeId1,
      c.nodeId2,
      c.bitcoinKey1,
      c.bitcoinKey2,
    ),
  );
}

/** One direction's policy, as a `channel_update` carries it. */
export interface ChannelUpdateFields {
  signature: Uint8Array;
  chainHash: Uint8Array;
  shortChannelId: string;
  timestamp: number;
  /** 0: from node_id_1; 1: from node_id_2. */
  direction: 0 | 1;
  disabled: boolean;
  cltvExpiryDelta: number;
  htlcMinimumMsat: number;
  feeBaseMsat: number;
  feeProportionalMillionths: number;
  htlcMaximumMsat: number;
}

/** BOLT 7 `channel_update` (`message_flags` bit 0: htlc_maximum_msat present, as it must be). */
export function encodeChannelUpdate(u: ChannelUpdateFields): Uint8Array {
  return encodeMessage(
    MessageType.CHANNEL_UPDATE,
    concatBytes(
      u.signature,
      u.chainHash,
      encodeShortChannelId(u.shortChannelId),
      u32(u.timestamp),
      Uint8Array.of(1),
      Uint8Array.of(u.direction | (u.disabled ? 2 : 0)),
      u16(u.cltvExpiryDelta),
      u64(u.htlcMinimumMsat),
      u32(u.feeBaseMsat),
      u32(u.feeProportionalMillionths),
      u64(u.htlcMaximumMsat),
    ),
  );
}

/** BOLT 7 `node_announcement` with no features and no addresses. */
export function encodeNodeAnnouncement(n: {
  signature: Uint8Array;
  timestamp: number;
  nodeId: Uint8Array;
  rgb: Uint8Array;
  alias: string;
}): Uint8Array {
  const alias = new Uint8Array(32);
  alias.set(textEncoder.encode(n.alias).subarray(0, 32));
  return encodeMessage(MessageType.NODE_ANNOUNCEMENT, concatBytes(n.signature, u16(0), u32(n.timestamp), n.nodeId, n.rgb, alias, u16(0)));
}

/** BOLT 7 `gossip_timestamp_filter`, as Core Lightning sends one to a peer with `gossip_queries`. */
export function encodeGossipTimestampFilter(chainHash: Uint8Array, firstTimestamp: number, timestampRange: number): Uint8Array {
  return encodeMessage(MessageType.GOSSIP_TIMESTAMP_FILTER, concatBytes(chainHash, u32(firstTimestamp), u32(timestampRange)));
}
