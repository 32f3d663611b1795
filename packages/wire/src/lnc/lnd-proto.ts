/**
 * Encoding and decoding of lnd's protobuf messages, with the code ts-proto generated from
 * lnd's own .proto files (`./lnd/`, `npm run proto`) and the binary reader and writer of
 * `@bufbuild/protobuf/wire`.
 */
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { WireError } from '../errors.ts';
import type { LndDecoder, LndEncoder } from './lnd-methods.ts';

// Invalid UTF-8 in a string field is an error, not U+FFFD; a leading U+FEFF is text.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const strictUtf8 = (bytes: Uint8Array): string => utf8.decode(bytes);

/**
 * Decodes one protobuf message of lnd's (the bytes after gRPC's 5-byte prefix).
 *
 * Fields the decoder does not know (a newer lnd's additions) are skipped and not kept:
 * replies are read, never sent back, so there is nothing to preserve them for. A known field
 * sent with another wire type than lnd's proto gives it is skipped too (the field keeps its
 * default), as protobuf's own decoders do. `bytes` fields are views into `bytes`, not copies.
 *
 * @param decoder - A method's `output` from {@link lndMethods}, or any decoder from `./lnd/decode/`.
 * @param bytes - The protobuf bytes.
 * @param method - The gRPC path the bytes answer (`/lnrpc.Lightning/GetInfo`), for the error message.
 * @returns The decoded message, every field present (protobuf's default where the bytes said
 *   nothing, `undefined` for an absent message field or oneof); 64-bit integers are `bigint`
 *   except the channel ids lnd marks `jstype = JS_STRING` (decimal strings); `bytes` fields are
 *   `Uint8Array`; an enum value this lnd does not define stays its number.
 * @throws WireError `BAD_REPLY` when the bytes are not a valid encoding of the message
 *   (truncated, a length past the end, wire type 6 or 7, invalid UTF-8 in a string, a field
 *   number 0 or an end-group tag where the message should go on), with the reason as `cause`.
 *
 * @example
 * const m = lndMethods.getInfo;
 * const info = decodeLnd(m.output, protobufBytes, m.path);
 * info.blockHeight; // 800000
 */
export function decodeLnd<T>(decoder: LndDecoder<T>, bytes: Uint8Array, method: string): T {
  const reader = new BinaryReader(bytes, strictUtf8);
  try {
    const message = decoder.decode(reader);
    // The generated decoders stop, without an error, at a tag of field number 0 or an
    // end-group tag: at the top level that leaves bytes unread.
    if (reader.pos !== reader.len) throw new Error(`decoding stopped at byte ${reader.pos} of ${reader.len}`);
    return message;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new WireError('BAD_REPLY', `${method}: the reply is not a valid protobuf message of this method (${reason})`, { cause });
  }
}

/**
 * Encodes one protobuf message of lnd's from a plain object (the gRPC request body, before
 * its 5-byte prefix). Fields left out, at any depth, take their protobuf defaults and are not sent.
 *
 * @param encoder - A method's `input` from {@link lndMethods}, or any encoder from `./lnd/encode/`.
 * @throws Error when a 64-bit integer is out of its type's range (a programming error, not a reply's).
 *
 * @example
 * encodeLnd(lndMethods.subscribeSingleInvoice.input, { rHash: paymentHash });
 */
export function encodeLnd<T>(encoder: LndEncoder<T>, message: T): Uint8Array {
  return encoder.encode(message).finish();
}
