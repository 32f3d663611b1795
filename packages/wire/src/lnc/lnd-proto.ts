/**
 * Encoding and decoding of lnd's protobuf messages, with @bufbuild/protobuf and the code
 * generated from lnd's own .proto files (`./lnd/`, `npm run proto`).
 */
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import { WireError } from '../errors.ts';

/**
 * Decodes one protobuf message of lnd's (the bytes after gRPC's 5-byte prefix).
 *
 * Fields the schema does not know (a newer lnd's additions) are skipped and not kept:
 * replies are read, never sent back, so there is nothing to preserve them for. The library
 * does not check the wire type of a known scalar field against the schema (neither does
 * protobufjs): such a mismatch reads as some value of the right type, not as an error.
 *
 * @param schema - The message's schema from `./lnd/` (e.g. `GetInfoResponseSchema`), or a
 *   method's `output` from {@link "./lnd-methods.ts"}.
 * @param bytes - The protobuf bytes.
 * @param method - The gRPC path the bytes answer (`/lnrpc.Lightning/GetInfo`), for the error message.
 * @returns The decoded message; 64-bit integers are `bigint`, `bytes` fields `Uint8Array`.
 * @throws WireError `BAD_REPLY` when the bytes are not a valid encoding of the message
 *   (truncated, a wrong wire type, invalid UTF-8 in a string), with the library's error as `cause`.
 *
 * @example
 * const info = decodeLnd(GetInfoResponseSchema, protobufBytes, '/lnrpc.Lightning/GetInfo');
 * info.blockHeight; // 800000
 */
export function decodeLnd<Desc extends DescMessage>(schema: Desc, bytes: Uint8Array, method: string): MessageShape<Desc> {
  try {
    return fromBinary(schema, bytes, { readUnknownFields: false });
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new WireError('BAD_REPLY', `${method}: the reply is not a valid ${schema.typeName} (${reason})`, { cause });
  }
}

/**
 * Encodes one protobuf message of lnd's from a plain object (the gRPC request body, before
 * its 5-byte prefix). Fields left out take their protobuf defaults and are not sent.
 *
 * @example
 * encodeLnd(SubscribeSingleInvoiceRequestSchema, { rHash: paymentHash });
 */
export function encodeLnd<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>): Uint8Array {
  return toBinary(schema, create(schema, init));
}
