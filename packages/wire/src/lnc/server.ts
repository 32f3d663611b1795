/**
 * `@ampkit/wire/lnc-server` (Node only): the server-side pieces of Lightning Node Connect that
 * a stand-in for litd needs (simnet's LNC endpoint): the go-back-N connection, the Noise
 * responder, the mailbox connection, the MsgData framing, the message decoder of the
 * encrypted stream, and the pairing phrase's streams and secrets. The client never loads
 * this subpath; the pieces are the same ones the client runs, on the other side.
 *
 * @packageDocumentation
 */
export { textEncoder } from '../bytes.ts';
export { MAX_MESSAGE_SIZE, publicKeyOf, type NoiseTransport } from '../noise.ts';
export { NodeWebSocket } from '../node.ts';
export { GbnConnection } from './gbn.ts';
export { LncResponder } from './handshake.ts';
export { MailboxConnection } from './mailbox.ts';
export { decodeMsgData, encodeMsgData, type MsgData } from './msgdata.ts';
export { pairingPhraseFromEntropy, preparePairing, staticKeysSessionId, streamIdsOf, type LncStreamIds } from './phrase.ts';
export { LncMessageDecoder } from './transport.ts';
// lnd's messages the other way round from the client: a server decodes requests and encodes replies.
export { decodeLnd, encodeLnd } from './lnd-proto.ts';
export * as lightningDecode from './lnd/decode/lightning.ts';
export * as routerDecode from './lnd/decode/router.ts';
export * as invoicesDecode from './lnd/decode/invoices.ts';
export * as lightningEncode from './lnd/encode/lightning.ts';
export * as invoicesEncode from './lnd/encode/invoices.ts';
