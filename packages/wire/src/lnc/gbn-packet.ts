/**
 * The packets of LNC's go-back-N layer (lightning-node-connect `gbn/messages.go`). One packet
 * is one mailbox message; its first byte says what it is:
 *
 * | type   | bytes                                      |
 * |--------|--------------------------------------------|
 * | SYN    | `01 N` (the window size)                   |
 * | DATA   | `02 seq final ping payload…`               |
 * | ACK    | `03 seq`                                   |
 * | NACK   | `04 expected_seq`                          |
 * | FIN    | `05`                                       |
 * | SYNACK | `06`                                       |
 */
import { WireError } from '../errors.ts';

/** A decoded go-back-N packet. */
export type GbnPacket =
  /** Opens the handshake; `n` is the window size the client chose (the server echoes it). */
  | { type: 'SYN'; n: number }
  /**
   * One chunk of a message. `final` is false while more chunks of the same message follow;
   * `ping` marks a keepalive, which carries nothing but still takes a sequence number.
   */
  | { type: 'DATA'; seq: number; final: boolean; ping: boolean; payload: Uint8Array }
  /** The receiver got DATA `seq` (and, cumulatively, everything before it). */
  | { type: 'ACK'; seq: number }
  /** The receiver expected DATA `seq` and got something else. */
  | { type: 'NACK'; seq: number }
  /** The sender is closing the connection. */
  | { type: 'FIN' }
  /** The client's last handshake packet. */
  | { type: 'SYNACK' };

const SYN = 0x01;
const DATA = 0x02;
const ACK = 0x03;
const NACK = 0x04;
const FIN = 0x05;
const SYNACK = 0x06;

/** Bytes before a DATA packet's payload: type, seq, final, ping. */
export const GBN_DATA_HEADER_SIZE = 4;

/**
 * Writes a packet. DATA always carries its four header bytes, even with an empty payload
 * (Go's decoder reads the ping byte of any DATA of three bytes or more).
 */
export function encodeGbnPacket(packet: GbnPacket): Uint8Array {
  switch (packet.type) {
    case 'SYN':
      return Uint8Array.of(SYN, byte(packet.n, 'SYN window'));
    case 'DATA': {
      const out = new Uint8Array(GBN_DATA_HEADER_SIZE + packet.payload.length);
      out[0] = DATA;
      out[1] = byte(packet.seq, 'DATA sequence number');
      out[2] = packet.final ? 1 : 0;
      out[3] = packet.ping ? 1 : 0;
      out.set(packet.payload, GBN_DATA_HEADER_SIZE);
      return out;
    }
    case 'ACK':
      return Uint8Array.of(ACK, byte(packet.seq, 'ACK sequence number'));
    case 'NACK':
      return Uint8Array.of(NACK, byte(packet.seq, 'NACK sequence number'));
    case 'FIN':
      return Uint8Array.of(FIN);
    case 'SYNACK':
      return Uint8Array.of(SYNACK);
  }
}

/**
 * Reads a packet. An empty packet, an unknown type or a wrong length throws a `PROTOCOL`
 * WireError. The DATA payload is a view into `bytes`, not a copy.
 */
export function decodeGbnPacket(bytes: Uint8Array): GbnPacket {
  const type = bytes[0];
  const fixed = (length: number, name: string): void => {
    if (bytes.length !== length) throw new WireError('PROTOCOL', `go-back-N ${name} packet of ${bytes.length} bytes, expected ${length}`);
  };
  switch (type) {
    case SYN:
      fixed(2, 'SYN');
      return { type: 'SYN', n: bytes[1]! };
    case DATA: {
      if (bytes.length < GBN_DATA_HEADER_SIZE) {
        throw new WireError('PROTOCOL', `go-back-N DATA packet of ${bytes.length} bytes, expected at least ${GBN_DATA_HEADER_SIZE}`);
      }
      return {
        type: 'DATA',
        seq: bytes[1]!,
        final: flag(bytes[2]!, 'final'),
        ping: flag(bytes[3]!, 'ping'),
        payload: bytes.subarray(GBN_DATA_HEADER_SIZE),
      };
    }
    case ACK:
      fixed(2, 'ACK');
      return { type: 'ACK', seq: bytes[1]! };
    case NACK:
      fixed(2, 'NACK');
      return { type: 'NACK', seq: bytes[1]! };
    case FIN:
      fixed(1, 'FIN');
      return { type: 'FIN' };
    case SYNACK:
      fixed(1, 'SYNACK');
      return { type: 'SYNACK' };
    default:
      throw new WireError('PROTOCOL', type === undefined ? 'empty go-back-N packet' : `unknown go-back-N packet type ${type}`);
  }
}

function byte(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 255) throw new WireError('INVALID_ARGUMENT', `${what} must be a byte, got ${value}`);
  return value;
}

function flag(value: number, what: string): boolean {
  // Go writes 0 or 1 and reads `== 1`; anything else is not a packet Go would write.
  if (value > 1) throw new WireError('PROTOCOL', `go-back-N DATA ${what} flag is ${value}, expected 0 or 1`);
  return value === 1;
}
