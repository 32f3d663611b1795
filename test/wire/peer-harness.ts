/** Drives a responder Peer from a hand-held initiator, so tests control every byte. */
import { concatBytes } from '../../packages/wire/src/bytes.ts';
import type { WireError } from '../../packages/wire/src/errors.ts';
import { encodeInit, encodeMessage } from '../../packages/wire/src/message.ts';
import { InitiatorHandshake, NoiseTransport, publicKeyOf } from '../../packages/wire/src/noise.ts';
import { Peer } from '../../packages/wire/src/peer.ts';
import { scriptedSocket } from './helpers.ts';

export const SERVER_KEY = new Uint8Array(32).fill(0x21);
export const CLIENT_KEY = new Uint8Array(32).fill(0x11);

export interface Harness {
  peer: Peer;
  socket: ReturnType<typeof scriptedSocket>;
  transport: NoiseTransport;
  messages: { type: number; payload: Uint8Array }[];
  ready: boolean;
  closed: { error?: WireError } | undefined;
  /** Encrypts and feeds one message to the peer. */
  send(type: number, payload?: Uint8Array): void;
  /** Decrypts everything the peer sent since the last call. */
  received(): { type: number; payload: Uint8Array }[];
}

/** A responder peer after the handshake; with `init`, after our init too. */
export function responderHarness(options: { init?: boolean } = {}): Harness {
  const socket = scriptedSocket();
  const h = { messages: [], ready: false, closed: undefined } as unknown as Harness;
  h.socket = socket;
  h.peer = new Peer(
    socket,
    { role: 'responder', localPrivateKey: SERVER_KEY },
    {
      onReady: () => (h.ready = true),
      onMessage: (type, payload) => h.messages.push({ type, payload }),
      onClose: (error) => (h.closed = error ? { error } : {}),
    },
  );
  const hs = new InitiatorHandshake({ localPrivateKey: CLIENT_KEY, remotePublicKey: publicKeyOf(SERVER_KEY) });
  socket.feed(hs.actOne());
  hs.readActTwo(socket.sent.shift()!);
  const { message, transport } = hs.actThree();
  socket.feed(message);
  h.transport = transport;
  h.send = (type, payload = new Uint8Array(0)) => socket.feed(transport.encrypt(encodeMessage(type, payload)));
  h.received = () => {
    const bytes = concatBytes(...socket.sent.splice(0));
    const out: { type: number; payload: Uint8Array }[] = [];
    let at = 0;
    while (at < bytes.length) {
      const length = transport.decryptLength(bytes.subarray(at, at + 18));
      const body = transport.decryptBody(bytes.subarray(at + 18, at + 18 + length + 16));
      out.push({ type: (body[0]! << 8) | body[1]!, payload: body.subarray(2) });
      at += 18 + length + 16;
    }
    return out;
  };
  if (options.init) socket.feed(transport.encrypt(encodeInit(new Uint8Array(0))));
  return h;
}
