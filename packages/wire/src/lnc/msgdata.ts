/**
 * MsgData, the frame between go-back-N and Noise (lightning-node-connect
 * `mailbox/interface.go`): every go-back-N message is exactly one
 * `version (1 byte, 0) ‖ u32be length ‖ payload`.
 */
import { WireError } from '../errors.ts';

/** The only MsgData version LNC writes. */
export const MSG_DATA_VERSION = 0;
/** Bytes before the payload: version and u32 length. */
export const MSG_DATA_HEADER_SIZE = 5;

/** A decoded MsgData frame. */
export interface MsgData {
  /** The version byte (0 from every known peer). */
  version: number;
  /** The payload; a view into the frame. */
  payload: Uint8Array;
}

/** Wraps one payload in a MsgData frame (version 0 unless told otherwise). */
export function encodeMsgData(payload: Uint8Array, version = MSG_DATA_VERSION): Uint8Array {
  if (!Number.isInteger(version) || version < 0 || version > 255) throw new WireError('INVALID_ARGUMENT', 'MsgData version must be a byte');
  if (payload.length > 0xffff_ffff) throw new WireError('INVALID_ARGUMENT', 'MsgData payload is longer than a u32 can say');
  const out = new Uint8Array(MSG_DATA_HEADER_SIZE + payload.length);
  out[0] = version;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, MSG_DATA_HEADER_SIZE);
  return out;
}

/**
 * Reads one MsgData frame. The frame must be exactly as long as its length says: a short
 * or long frame throws a `PROTOCOL` WireError, since one go-back-N message is one frame.
 */
export function decodeMsgData(frame: Uint8Array): MsgData {
  if (frame.length < MSG_DATA_HEADER_SIZE)
    throw new WireError('PROTOCOL', `MsgData frame of ${frame.length} bytes is shorter than its header`);
  const length = new DataView(frame.buffer, frame.byteOffset + 1, 4).getUint32(0);
  if (length !== frame.length - MSG_DATA_HEADER_SIZE) {
    throw new WireError('PROTOCOL', `MsgData says ${length} payload bytes but carries ${frame.length - MSG_DATA_HEADER_SIZE}`);
  }
  return { version: frame[0]!, payload: frame.subarray(MSG_DATA_HEADER_SIZE) };
}
