/**
 * `@ampkit/wire/lnc`: gRPC calls to lnd behind litd (Lightning Terminal) over Lightning Node
 * Connect, in plain TypeScript — no WASM. {@link connectLnc} pairs with the ten-word phrase
 * litd shows (or reconnects with the keys a pairing handed back) and gives a client for unary
 * and server-streaming calls; {@link lndMethods} with {@link encodeLnd} and {@link decodeLnd}
 * turn lnd's protobuf messages into plain objects and back.
 *
 * A subpath of its own, so a page that talks only to Core Lightning over commando never loads
 * HTTP/2, HPACK or protobuf.
 *
 * @example
 * ```ts
 * import { connectLnc, lndMethods, encodeLnd, decodeLnd } from '@ampkit/wire/lnc';
 *
 * const lnc = await connectLnc({ pairingPhrase });
 * await keep(lnc.keys); // the phrase works once; the keys (a private key among them) connect from now on
 * const m = lndMethods.getInfo;
 * const info = decodeLnd(m.output, await lnc.unary(m.path, encodeLnd(m.input, {})), m.path);
 * ```
 *
 * @packageDocumentation
 */
// The error classes again, so a page that loads only this bundle can test `instanceof` on what
// it throws (a bundle of the root export would hold other copies of the classes).
export { AmpkitError, WireError, type WireErrorCode } from '../errors.ts';
export {
  connectLnc,
  LncConnectionError,
  type LncCallOptions,
  type LncClient,
  type LncCommonOptions,
  type LncConnectionFailure,
  type LncConnectionState,
  type LncConnectOptions,
  type LncKeys,
  type LncKeysOptions,
  type LncPairingOptions,
} from './client.ts';
export { GrpcError, GrpcStatus, type GrpcServerStream } from './grpc.ts';
export { DEFAULT_MAILBOX_SERVER } from './mailbox.ts';
export type { ReconnectPolicy } from '../timers.ts';
export { checkPairingPhrase, PAIRING_PHRASE_WORDS } from './session.ts';
export { lndMethods, type LndMethod, type LndMethodKind, type LndMethodName, type LndReply, type LndRequest } from './lnd-methods.ts';
export { decodeLnd, encodeLnd } from './lnd-proto.ts';
