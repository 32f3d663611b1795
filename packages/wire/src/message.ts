/**
 * The Lightning message layer (BOLT 1) that commando needs: a 2-byte type then a payload;
 * `init` with feature bits, `ping`/`pong`, and the rule that unknown odd types are ignored
 * while unknown even types end the connection.
 */
import { concatBytes } from './bytes.ts';
import { WireError } from './errors.ts';

/** BOLT 1 and commando message types. */
export const MessageType = {
  WARNING: 1,
  INIT: 16,
  ERROR: 17,
  PING: 18,
  PONG: 19,
  /** BOLT 7 gossip: read and dropped by a light client (see gossip.ts). */
  CHANNEL_ANNOUNCEMENT: 256,
  NODE_ANNOUNCEMENT: 257,
  CHANNEL_UPDATE: 258,
  ANNOUNCEMENT_SIGNATURES: 259,
  QUERY_SHORT_CHANNEL_IDS: 261,
  REPLY_SHORT_CHANNEL_IDS_END: 262,
  QUERY_CHANNEL_RANGE: 263,
  REPLY_CHANNEL_RANGE: 264,
  GOSSIP_TIMESTAMP_FILTER: 265,
  /** Commando request, more to come (Core Lightning plugins/commando.c). */
  COMMANDO_CMD_CONTINUES: 0x4c4d,
  /** Commando request, last or only part. */
  COMMANDO_CMD_TERM: 0x4c4f,
  /** Commando reply, more to come. */
  COMMANDO_REPLY_CONTINUES: 0x594b,
  /** Commando reply, last or only part. */
  COMMANDO_REPLY_TERM: 0x594d,
} as const;

export interface LightningMessage {
  type: number;
  payload: Uint8Array;
}

/** Splits a decrypted message into its type and payload. */
export function decodeMessage(bytes: Uint8Array): LightningMessage {
  if (bytes.length < 2) throw new WireError('PROTOCOL', `message of ${bytes.length} bytes has no type`);
  return { type: (bytes[0]! << 8) | bytes[1]!, payload: bytes.subarray(2) };
}

export function encodeMessage(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + payload.length);
  out[0] = type >>> 8;
  out[1] = type & 0xff;
  out.set(payload, 2);
  return out;
}

/** BOLT 1: a peer that receives an unknown even type must fail the connection. */
export function isUnknownEven(type: number): boolean {
  return type % 2 === 0 && !KNOWN_TYPES.has(type);
}

/** BOLT 7's types: known, so an even one is no reason to close the link. */
export function isGossip(type: number): boolean {
  return type >= MessageType.CHANNEL_ANNOUNCEMENT && type <= MessageType.GOSSIP_TIMESTAMP_FILTER && type !== 260;
}

const KNOWN_TYPES = /* @__PURE__ */ new Set<number>(Object.values(MessageType));

function u16(value: number): Uint8Array {
  return Uint8Array.of(value >>> 8, value & 0xff);
}

function readU16(bytes: Uint8Array, at: number, what: string): number {
  if (at + 2 > bytes.length) throw new WireError('PROTOCOL', `${what}: truncated`);
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

export interface InitMessage {
  /** Legacy global feature bits (BOLT 9), big-endian bit field. */
  globalfeatures: Uint8Array;
  /** Feature bits (BOLT 9), big-endian bit field. */
  features: Uint8Array;
  /** The TLV stream that follows, undecoded. */
  tlvs: Uint8Array;
}

export function encodeInit(features: Uint8Array, globalfeatures: Uint8Array = new Uint8Array(0)): Uint8Array {
  return encodeMessage(MessageType.INIT, concatBytes(u16(globalfeatures.length), globalfeatures, u16(features.length), features));
}

export function decodeInit(payload: Uint8Array): InitMessage {
  const gflen = readU16(payload, 0, 'init globalfeatures length');
  if (2 + gflen > payload.length) throw new WireError('PROTOCOL', 'init: globalfeatures truncated');
  const globalfeatures = payload.subarray(2, 2 + gflen);
  const flen = readU16(payload, 2 + gflen, 'init features length');
  const start = 4 + gflen;
  if (start + flen > payload.length) throw new WireError('PROTOCOL', 'init: features truncated');
  return {
    globalfeatures,
    features: payload.subarray(start, start + flen),
    tlvs: payload.subarray(start + flen),
  };
}

/**
 * The even (required) feature bits a peer set that we do not know. BOLT 1: such a peer
 * must be disconnected. We know none as required: commando needs no channel features.
 */
export function requiredFeatureBits(features: Uint8Array): number[] {
  const bits: number[] = [];
  for (let i = 0; i < features.length; i++) {
    const byte = features[features.length - 1 - i]!;
    for (let b = 0; b < 8; b += 2) if (byte & (1 << b)) bits.push(i * 8 + b);
  }
  return bits;
}

/** BOLT 1 §ping: a sender asking for 65532 or more pong bytes gets no reply. */
export const PING_NO_REPLY = 65532;

export function encodePing(numPongBytes: number, ignoredLength = 0): Uint8Array {
  return encodeMessage(MessageType.PING, concatBytes(u16(numPongBytes), u16(ignoredLength), new Uint8Array(ignoredLength)));
}

export function decodePing(payload: Uint8Array): { numPongBytes: number } {
  const numPongBytes = readU16(payload, 0, 'ping num_pong_bytes');
  const byteslen = readU16(payload, 2, 'ping byteslen');
  if (4 + byteslen > payload.length) throw new WireError('PROTOCOL', 'ping: ignored bytes truncated');
  return { numPongBytes };
}

export function encodePong(length: number): Uint8Array {
  return encodeMessage(MessageType.PONG, concatBytes(u16(length), new Uint8Array(length)));
}

/** Reads a `warning` or `error` message's text, for the close reason. */
export function decodeErrorText(payload: Uint8Array): string {
  // channel_id (32) then u16 len then data.
  if (payload.length < 34) return '';
  const len = readU16(payload, 32, 'error length');
  const data = payload.subarray(34, 34 + len);
  let text = '';
  for (const byte of data) text += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '?';
  return text;
}
