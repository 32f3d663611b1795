/**
 * @ampkit/wire: everything needed to talk to a Core Lightning node from a browser over
 * commando — BOLT 8 transport, the Lightning message layer, the commando client and
 * server, and runes. Node-only pieces (the `ws` server) live in `@ampkit/wire/node`.
 */
export { AmpkitError, RpcError, WireError, type AmpkitErrorOptions, type WireErrorCode } from './errors.ts';
export { connect, type CommandoClient, type ConnectOptions, type ConnectionState, type RequestOptions } from './commando-client.ts';
export { acceptCommando, type CommandoContext, type CommandoHandler, type CommandoServerOptions } from './commando-server.ts';
export { COMMANDO_CHUNK, MAX_COMMANDO_REQUEST, commandoFrames } from './commando.ts';
export { MAX_TIMER_MS, longTimeout, type ReconnectPolicy } from './timers.ts';
export {
  HandshakeError,
  InitiatorHandshake,
  NoiseTransport,
  ResponderHandshake,
  publicKeyOf,
  randomPrivateKey,
  type HandshakeFailure,
} from './noise.ts';
export {
  MessageType,
  decodeInit,
  decodeMessage,
  decodePing,
  encodeInit,
  encodeMessage,
  encodePing,
  encodePong,
  type InitMessage,
  type LightningMessage,
} from './message.ts';
export { Peer, type PeerHandlers, type PeerOptions } from './peer.ts';
export {
  CHAIN_HASH,
  GOSSIP_QUERIES_BIT,
  answerGossip,
  encodeChannelAnnouncement,
  encodeChannelUpdate,
  encodeGossipTimestampFilter,
  encodeNodeAnnouncement,
  encodeShortChannelId,
  hasFeature,
  lightClientFeatures,
  type ChannelGossip,
  type ChannelUpdateFields,
} from './gossip.ts';
export { ByteQueue } from './byte-queue.ts';
export { openWebSocket, wrapWebSocket, type ByteSocket, type WebSocketConstructor, type WebSocketLike } from './socket.ts';
export { fromHex, toHex } from './bytes.ts';
export {
  createRune,
  encodeRune,
  parseRestriction,
  parseRune,
  restrictRune,
  restrictionToString,
  runeDerivationError,
  type CreateRuneOptions,
  type ParsedRune,
  type RuneAlternative,
  type RuneCondition,
  type RuneRestriction,
} from './runes.ts';
export {
  checkruneError,
  createRuneChecker,
  fieldsFailure,
  type RuneCheckerOptions,
  type RuneFailureStage,
  type RuneRequest,
  type RuneVerdict,
} from './rune-check.ts';
export {
  INVOICE_METHODS,
  KNOWN_METHODS,
  READ_ONLY_METHODS,
  SPENDING_METHODS,
  alternativeToEnglish,
  auditRune,
  type RuneAudit,
} from './rune-audit.ts';
export {
  Bolt11Error,
  decodeBolt11,
  encodeBolt11,
  type Bolt11Invoice,
  type Bolt11Reason,
  type EncodeBolt11Options,
  type RouteHintHop,
} from './bolt11-codec.ts';
