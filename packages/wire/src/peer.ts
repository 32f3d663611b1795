/**
 * A Lightning peer connection over a byte stream: the BOLT 8 handshake in either role, the
 * encrypted message stream, and BOLT 1's connection rules (init first, ping/pong, unknown
 * even types fatal). Commando client and server both sit on this.
 */
import { ByteQueue } from './byte-queue.ts';
import { toHex } from './bytes.ts';
import { WireError } from './errors.ts';
import { longTimeout } from './timers.ts';
import {
  MessageType,
  PING_NO_REPLY,
  decodeErrorText,
  decodeInit,
  decodeMessage,
  decodePing,
  encodeInit,
  encodePing,
  encodePong,
  isGossip,
  isUnknownEven,
  requiredFeatureBits,
} from './message.ts';
import { answerGossip } from './gossip.ts';
import {
  ACT_ONE_SIZE,
  ACT_THREE_SIZE,
  ACT_TWO_SIZE,
  InitiatorHandshake,
  LENGTH_HEADER_SIZE,
  ResponderHandshake,
  type NoiseTransport,
} from './noise.ts';
import type { ByteSocket } from './socket.ts';

export interface PeerHandlers {
  /** The handshake and the init exchange are done. */
  onReady(peer: Peer): void;
  /** A message other than init, ping and pong, after the peer is ready. */
  onMessage(type: number, payload: Uint8Array): void;
  /** The connection ended; `error` says why unless we closed it ourselves. Called once. */
  onClose(error?: WireError): void;
  /** A BOLT 7 gossip message arrived (and was dropped, or a query answered). Optional: for tests and logs. */
  onGossip?(type: number, payload: Uint8Array): void;
}

export interface PeerOptions {
  role: 'initiator' | 'responder';
  localPrivateKey: Uint8Array;
  /** The node we dial (initiator only). */
  remotePublicKey?: Uint8Array;
  /** Our init features; none by default (commando needs no channel features). */
  features?: Uint8Array;
  /** Send a ping after this much silence, and give up if nothing arrives within `keepaliveTimeout`. */
  keepaliveInterval?: number;
  keepaliveTimeout?: number;
  /** Tests only: fixed ephemeral key. */
  ephemeralPrivateKey?: Uint8Array;
  /** An initiator handshake whose act one was computed ahead, e.g. while the socket opened. */
  prepared?: PreparedInitiator;
}

/** An initiator handshake with its act one already computed. */
export interface PreparedInitiator {
  handshake: InitiatorHandshake;
  actOne: Uint8Array;
}

/**
 * Starts an initiator handshake before there is a socket: act one costs an EC multiply
 * and a key generation, which can overlap the TCP and WebSocket set-up.
 */
export function prepareInitiator(localPrivateKey: Uint8Array, remotePublicKey: Uint8Array): PreparedInitiator {
  const handshake = new InitiatorHandshake({ localPrivateKey, remotePublicKey });
  return { handshake, actOne: handshake.actOne() };
}

type Stage = 'act1' | 'act2' | 'act3' | 'init' | 'ready' | 'closed';

const MAC_SIZE = 16;

export class Peer {
  private readonly queue = new ByteQueue();
  private stage: Stage;
  private transport: NoiseTransport | undefined;
  private initiator: InitiatorHandshake | undefined;
  private responder: ResponderHandshake | undefined;
  private bodyLength = -1;
  private processing = false;
  private cancelKeepalive: (() => void) | undefined;
  private awaitingPong = false;
  /** The peer's static key, hex, once the handshake has proved it. */
  remoteNodeId = '';
  /** The peer's init features (BOLT 9 bit field, `globalfeatures` merged in), once it is ready. */
  remoteFeatures: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly socket: ByteSocket,
    private readonly options: PeerOptions,
    private readonly handlers: PeerHandlers,
  ) {
    socket.onData = (bytes) => this.receive(bytes);
    socket.onClose = (error) => this.finish(error);
    if (options.role === 'initiator') {
      let prepared = options.prepared;
      if (!prepared) {
        if (!options.remotePublicKey) throw new WireError('INVALID_ARGUMENT', 'initiator needs remotePublicKey');
        const handshake = new InitiatorHandshake({
          localPrivateKey: options.localPrivateKey,
          remotePublicKey: options.remotePublicKey,
          ...(options.ephemeralPrivateKey ? { ephemeralPrivateKey: options.ephemeralPrivateKey } : {}),
        });
        prepared = { handshake, actOne: handshake.actOne() };
      }
      this.initiator = prepared.handshake;
      this.stage = 'act2';
      this.write(prepared.actOne);
    } else {
      this.responder = new ResponderHandshake({
        localPrivateKey: options.localPrivateKey,
        ...(options.ephemeralPrivateKey ? { ephemeralPrivateKey: options.ephemeralPrivateKey } : {}),
      });
      this.stage = 'act1';
    }
  }

  get ready(): boolean {
    return this.stage === 'ready';
  }

  /** Encrypts and sends one Lightning message (type included). */
  send(message: Uint8Array): void {
    if (!this.transport || this.stage === 'closed') throw new WireError('CONNECTION', 'connection is not open');
    this.write(this.transport.encrypt(message));
  }

  /** Closes the connection; with an error, the owner learns why. */
  close(error?: WireError): void {
    if (this.stage === 'closed') return;
    this.finish(error);
    this.socket.onClose = () => {};
    this.socket.close();
  }

  private write(bytes: Uint8Array): void {
    this.socket.send(bytes);
  }

  private finish(error?: WireError): void {
    if (this.stage === 'closed') return;
    this.stage = 'closed';
    this.cancelKeepalive?.();
    this.queue.clear();
    this.handlers.onClose(error);
  }

  private receive(bytes: Uint8Array): void {
    if (this.stage === 'closed') return;
    this.queue.push(bytes);
    this.armKeepalive();
    // Messages handled synchronously may close or send; never re-enter the loop.
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.step()) {
        // Each step consumes one act or one message.
      }
    } catch (e) {
      const error = e instanceof WireError ? e : new WireError('PROTOCOL', 'malformed input', { cause: e });
      this.close(error);
    } finally {
      this.processing = false;
    }
  }

  /** Consumes one unit of input if enough bytes are queued; returns whether it did. */
  private step(): boolean {
    switch (this.stage) {
      case 'act1': {
        const act = this.queue.read(ACT_ONE_SIZE);
        if (!act) return false;
        this.responder!.readActOne(act);
        this.stage = 'act3';
        this.write(this.responder!.actTwo());
        return true;
      }
      case 'act2': {
        const act = this.queue.read(ACT_TWO_SIZE);
        if (!act) return false;
        this.initiator!.readActTwo(act);
        const { message, transport } = this.initiator!.actThree();
        this.write(message);
        this.established(transport);
        return true;
      }
      case 'act3': {
        const act = this.queue.read(ACT_THREE_SIZE);
        if (!act) return false;
        this.established(this.responder!.readActThree(act));
        return true;
      }
      case 'init':
      case 'ready':
        return this.readMessage();
      case 'closed':
        return false;
    }
  }

  private established(transport: NoiseTransport): void {
    this.transport = transport;
    this.initiator = undefined;
    this.responder = undefined;
    this.remoteNodeId = toHex(transport.remotePublicKey);
    this.stage = 'init';
    // BOLT 1: each side sends init at once; neither waits for the other's.
    this.send(encodeInit(this.options.features ?? new Uint8Array(0)));
  }

  private readMessage(): boolean {
    if (this.bodyLength < 0) {
      const header = this.queue.read(LENGTH_HEADER_SIZE);
      if (!header) return false;
      this.bodyLength = this.transport!.decryptLength(header);
    }
    const body = this.queue.read(this.bodyLength + MAC_SIZE);
    if (!body) return false;
    this.bodyLength = -1;
    this.handle(this.transport!.decryptBody(body));
    return this.stage !== 'closed';
  }

  private handle(bytes: Uint8Array): void {
    const { type, payload } = decodeMessage(bytes);
    if (this.stage === 'init') {
      // BOLT 1: the first message must be init.
      if (type !== MessageType.INIT) throw new WireError('PROTOCOL', `expected init, got message type ${type}`);
      const init = decodeInit(payload);
      const required = requiredFeatureBits(init.features).concat(requiredFeatureBits(init.globalfeatures));
      // BOLT 1: fail on a required bit we do not know. We know BOLT 9's assigned bits
      // (all below 64); none of them concerns a commando session, so we accept them.
      const unknown = required.filter((bit) => bit >= KNOWN_FEATURE_BITS);
      if (unknown.length) throw new WireError('PROTOCOL', `peer requires unknown features ${unknown.join(', ')}`);
      this.remoteFeatures = mergeFeatures(init.features, init.globalfeatures);
      this.stage = 'ready';
      this.handlers.onReady(this);
      return;
    }
    switch (type) {
      case MessageType.PING: {
        const { numPongBytes } = decodePing(payload);
        if (numPongBytes < PING_NO_REPLY) this.send(encodePong(numPongBytes));
        return;
      }
      case MessageType.PONG:
        this.awaitingPong = false;
        return;
      case MessageType.INIT:
        throw new WireError('PROTOCOL', 'a second init message');
      case MessageType.ERROR:
        // BOLT 1: an error naming a channel we do not have is ignored, and we have none;
        // all-zero channel_id means every channel, i.e. the connection itself.
        if (payload.length >= 32 && payload.subarray(0, 32).some((b) => b !== 0)) return;
        throw new WireError('PROTOCOL', `peer sent error: ${decodeErrorText(payload)}`);
      case MessageType.WARNING:
        return;
      default: {
        if (isGossip(type)) {
          // BOLT 7: gossip is dropped (we route nothing); a query gets its honest answer.
          const answer = answerGossip(type, payload);
          if (answer) this.send(answer);
          this.handlers.onGossip?.(type, payload);
          return;
        }
        if (isUnknownEven(type)) throw new WireError('PROTOCOL', `unknown even message type ${type}`);
        this.handlers.onMessage(type, payload);
      }
    }
  }

  private armKeepalive(): void {
    const interval = this.options.keepaliveInterval;
    if (!interval) return;
    this.awaitingPong = false;
    this.cancelKeepalive?.();
    this.cancelKeepalive = longTimeout(() => this.ping(), interval);
  }

  private ping(): void {
    if (this.stage !== 'ready') return;
    this.awaitingPong = true;
    this.send(encodePing(4));
    this.cancelKeepalive = longTimeout(() => {
      if (this.awaitingPong) this.close(new WireError('CONNECTION', 'peer did not answer ping'));
    }, this.options.keepaliveTimeout ?? 10_000);
  }
}

/** One feature field of both of init's (BOLT 1: the legacy global features are OR-ed into features). */
function mergeFeatures(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.max(a.length, b.length));
  out.set(a, out.length - a.length);
  for (let i = 0; i < b.length; i++) out[out.length - b.length + i]! |= b[i]!;
  return out;
}

/** BOLT 9 assigns feature bits below this; a required bit at or above it is unknown to us. */
const KNOWN_FEATURE_BITS = 64;
