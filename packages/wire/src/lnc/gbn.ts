/**
 * LNC's go-back-N layer (lightning-node-connect `gbn/`): reliable, ordered messages over the
 * mailbox, which may drop, repeat or hold back packets, and may hand a new reader packets
 * left over from an earlier connection. One class plays both roles: the client (the browser)
 * and the server (litd), chosen by `role`.
 *
 * It is a state machine and does no I/O of its own: packets go out through the `send`
 * function it is given and come in through {@link GbnConnection.receive}; its timers go
 * through {@link GbnTimers}, so tests can drive time by hand.
 *
 * The rules, from the reference (see test/fixtures/reference/lnc/README.md §3):
 * - Handshake: the client sends SYN(N) until a SYN comes back (every other packet is
 *   ignored as stale), then SYNACK. The server waits for SYN, answers SYN(N) with the
 *   client's N and waits for SYNACK; once it has timed out waiting, a SYNACK or a DATA also
 *   completes the handshake.
 * - Sending: at most N packets unacknowledged, sequence numbers modulo N+1. ACKs are
 *   cumulative; NACK(s) resends from s; nothing received for the resend timeout resends the
 *   whole window. After a resend, new data waits until the peer has caught up.
 * - Receiving: only the expected sequence number is taken (and ACKed); anything else gets a
 *   NACK for the expected one, at most once per two resend timeouts for the same number.
 *   The client holds its ACKs up to 20 ms so that one cumulative ACK covers a burst (each
 *   ACK is a mailbox message of its own); the server, like Go's, ACKs every packet at once.
 * - Keepalive: after a quiet spell (client 7 s, server 5 s) a ping, a DATA that carries
 *   nothing but takes a sequence number; nothing received within 3 s more ends the
 *   connection.
 * - FIN closes; the side that closes sends it, unless the peer closed first.
 */
import { concatBytes } from '../bytes.ts';
import { WireError, type WireErrorCode } from '../errors.ts';
import { longTimeout } from '../timers.ts';
import { decodeGbnPacket, encodeGbnPacket, type GbnPacket } from './gbn-packet.ts';

/** Which end of the connection: the client sends the first SYN; the server is litd's side. */
export type GbnRole = 'client' | 'server';

/** The clock a connection runs on; swap it in tests to drive time by hand. */
export interface GbnTimers {
  /** Calls `callback` once after `ms` milliseconds; returns the function that cancels it. */
  setTimer(callback: () => void, ms: number): () => void;
  /** Milliseconds on a clock that only goes forward. */
  now(): number;
}

/** The platform's timers (`setTimeout`, `performance.now`). */
export const systemTimers: GbnTimers = {
  setTimer: longTimeout,
  now: () => globalThis.performance.now(),
};

/** The values LNC's client and server use (lightning-node-connect `mailbox/client_conn.go`, `server_conn.go`). */
export const GBN_DEFAULTS = {
  /** Window size: at most this many packets unacknowledged (`gbn.DefaultN`). */
  n: 20,
  /** How long to wait for the peer's handshake reply before sending again; +50% per retry. */
  handshakeTimeoutMs: 2000,
  /** Resend the window when nothing has been received for this long (at least; see `resendTimeoutMs`). */
  resendTimeoutMs: 1000,
  /** Client: send a ping after this long without receiving anything. */
  clientPingMs: 7000,
  /** Server: send a ping after this long without receiving anything. */
  serverPingMs: 5000,
  /** After a ping, the connection is dead if nothing arrives within this long. */
  pongTimeoutMs: 3000,
  /**
   * Client: how long an ACK waits so that one cumulative ACK covers the packets arriving
   * meanwhile (ours, not Go's: its peers ACK every packet at once, and take cumulative ACKs).
   * Far below the peer's smallest resend timeout (1 s), so it never causes a resend.
   */
  clientAckDelayMs: 20,
} as const;

/** How many ACKed packets between two measures of the round trip time. */
const RTT_SAMPLE_EVERY = 200;
/** The resend timeout is this many round trips, when that is more than `resendTimeoutMs`. */
const RTT_MULTIPLIER = 5;
/** Each resend in a row waits this fraction of the timeout longer. */
const BOOST = 0.5;

/** Options of a {@link GbnConnection}. */
export interface GbnOptions {
  /** Which end this is. */
  role: GbnRole;
  /**
   * Hands one packet to the mailbox. It may throw (a closed socket): the connection then
   * closes with a `SEND_FAILED` {@link GbnError}.
   */
  send: (packet: Uint8Array) => void;
  /** Client: the window size it proposes (1–255, 20 by default). The server adopts the client's. */
  n?: number;
  /** See {@link GBN_DEFAULTS}. */
  handshakeTimeoutMs?: number;
  /** The smallest resend timeout; it grows to five round trips on slow links. See {@link GBN_DEFAULTS}. */
  resendTimeoutMs?: number;
  /** Quiet time before a ping (7 s for the client, 5 s for the server); 0 sends no pings. */
  pingMs?: number;
  /** See {@link GBN_DEFAULTS}. */
  pongTimeoutMs?: number;
  /**
   * Hold each ACK up to this long, so that one cumulative ACK covers every packet that
   * arrives meanwhile; an ACK goes at once when half the window is unacknowledged, before
   * a NACK, and for a ping. 0 ACKs every packet at once, as the Go peers do (the server's
   * default); 20 ms is the client's ({@link GBN_DEFAULTS}.clientAckDelayMs).
   */
  ackDelayMs?: number;
  /**
   * Split messages longer than this into chunks (`final` = 0 on all but the last). 0, the
   * default, never splits, as the Go peers do.
   */
  maxChunkSize?: number;
  /** The clock; {@link systemTimers} by default. */
  timers?: GbnTimers;
}

/** Why a go-back-N connection ended with an error. */
export type GbnFailure =
  /** The peer sent FIN (litd closing the session, or a failed Noise handshake on its side). */
  | 'REMOTE_CLOSED'
  /** Nothing arrived within the pong timeout after a ping: the peer or the mailbox is gone. */
  | 'KEEPALIVE'
  /** After the handshake, a packet that is not a go-back-N packet arrived. */
  | 'BAD_PACKET'
  /** The server answered the SYN with a different window size. */
  | 'WINDOW_MISMATCH'
  /** The `send` function threw: the mailbox socket is gone. */
  | 'SEND_FAILED';

const FAILURE_CODES: Record<GbnFailure, WireErrorCode> = {
  REMOTE_CLOSED: 'CONNECTION',
  KEEPALIVE: 'CONNECTION',
  BAD_PACKET: 'PROTOCOL',
  WINDOW_MISMATCH: 'PROTOCOL',
  SEND_FAILED: 'CONNECTION',
};

/** A go-back-N connection that ended badly: `reason` says how; `code` is `CONNECTION` or `PROTOCOL`. */
export class GbnError extends WireError {
  /** What ended the connection. */
  readonly reason: GbnFailure;
  /** `detail` says in plain words what happened; `cause` is the underlying error, if any. */
  constructor(reason: GbnFailure, detail: string, options?: { cause?: unknown }) {
    super(FAILURE_CODES[reason], `go-back-N connection ended: ${reason} (${detail})`, options);
    this.name = 'GbnError';
    this.reason = reason;
  }
}

/** Where a connection is: shaking hands, carrying messages, or done. */
export type GbnState = 'handshake' | 'open' | 'closed';

type Phase = 'idle' | 'syn-sent' | 'wait-syn' | 'wait-synack' | 'open' | 'closed';

interface Outgoing {
  payload: Uint8Array;
  final: boolean;
  ping: boolean;
}

const EMPTY = new Uint8Array(0);
function ignore(): void {}

/**
 * One end of a go-back-N connection. Set the handlers, call {@link GbnConnection.start},
 * feed every packet from the mailbox to {@link GbnConnection.receive}.
 *
 * @example
 * ```ts
 * const gbn = new GbnConnection({ role: 'client', send: (packet) => mailbox.send(packet) });
 * mailbox.onPacket = (packet) => gbn.receive(packet);
 * gbn.onOpen = () => gbn.send(msgData);
 * gbn.onMessage = (message) => console.log(message);
 * gbn.onClose = (error) => console.log('closed', error?.reason);
 * gbn.start();
 * ```
 */
export class GbnConnection {
  /** Called once when the handshake completes. */
  onOpen: () => void = ignore;
  /** Called with each whole message, in order, exactly once. */
  onMessage: (message: Uint8Array) => void = ignore;
  /** Called once when the connection ends: no error after {@link GbnConnection.close}, else why. */
  onClose: (error?: GbnError) => void = ignore;

  /** The role this end plays. */
  readonly role: GbnRole;
  private readonly timers: GbnTimers;
  private readonly options: GbnOptions;
  private phase: Phase = 'idle';
  private n: number;
  private s: number;

  // Handshake.
  private synSentAt = 0;
  private handshakeRetries = 0;
  private serverTimedOut = false;
  private cancelHandshakeTimer = ignore;
  private rtt: number | undefined;

  // Sending: packets [base, top) are sent and not yet acknowledged.
  private window: (Uint8Array | undefined)[] = [];
  private sentAt: number[] = [];
  private base = 0;
  private top = 0;
  private backlog: Outgoing[] = [];
  private resendTimeout: number;
  private resendBoost = 0;
  private lastNackResendAt = -Infinity;
  private cancelResendTimer = ignore;
  private ackedSinceSample = 0;
  // After a resend, new data waits until the peer has caught up with `holdTop`.
  private holding = false;
  private holdTop = 0;
  private cancelHoldTimer = ignore;
  private cancelReleaseTimer = ignore;

  // Receiving.
  private recvSeq = 0;
  private lastNackSeq = -1;
  private lastNackAt = -Infinity;
  private chunks: Uint8Array[] = [];
  // Delayed ACK: the newest sequence number received and not yet acknowledged, and how many.
  private ackSeq = -1;
  private unacked = 0;
  private cancelAckTimer = ignore;

  // Keepalive.
  private cancelPingTimer = ignore;
  private cancelPongTimer = ignore;

  constructor(options: GbnOptions) {
    if (options.role !== 'client' && options.role !== 'server')
      throw new WireError('INVALID_ARGUMENT', 'role must be "client" or "server"');
    if (typeof options.send !== 'function') throw new WireError('INVALID_ARGUMENT', 'send must be a function');
    const n = options.n ?? GBN_DEFAULTS.n;
    if (!Number.isInteger(n) || n < 1 || n > 255) throw new WireError('INVALID_ARGUMENT', `window size must be 1 to 255, got ${n}`);
    this.options = options;
    this.role = options.role;
    this.timers = options.timers ?? systemTimers;
    this.n = n;
    this.s = n + 1;
    this.resendTimeout = this.minResendTimeout;
  }

  /** Where the connection is. */
  get state(): GbnState {
    return this.phase === 'open' ? 'open' : this.phase === 'closed' ? 'closed' : 'handshake';
  }

  /** The window size in use (for the server, the client's, once the handshake has begun). */
  get windowSize(): number {
    return this.n;
  }

  /** Packets sent and not yet acknowledged, plus chunks waiting for room in the window. */
  get pending(): number {
    return this.windowCount() + this.backlog.length;
  }

  /** The current resend timeout in milliseconds, before any boost. */
  get currentResendTimeout(): number {
    return this.resendTimeout;
  }

  private get minResendTimeout(): number {
    return this.options.resendTimeoutMs ?? GBN_DEFAULTS.resendTimeoutMs;
  }

  private get handshakeTimeout(): number {
    return this.options.handshakeTimeoutMs ?? GBN_DEFAULTS.handshakeTimeoutMs;
  }

  /** Starts the handshake: the client sends SYN, the server starts listening for one. Call once. */
  start(): void {
    if (this.phase !== 'idle') throw new WireError('INVALID_ARGUMENT', 'go-back-N connection already started');
    if (this.role === 'client') this.sendSyn();
    else this.phase = 'wait-syn';
  }

  /**
   * Queues one message. It goes out as soon as the handshake is done and the window has
   * room; the connection keeps it (and resends it) until the peer acknowledges it. Throws a
   * `CONNECTION` error once the connection is closed.
   */
  send(message: Uint8Array): void {
    if (this.phase === 'closed') throw new WireError('CONNECTION', 'go-back-N connection is closed');
    if (!(message instanceof Uint8Array)) throw new WireError('INVALID_ARGUMENT', 'a go-back-N message must be a Uint8Array');
    const max = this.options.maxChunkSize ?? 0;
    const copy = message.slice();
    if (max <= 0 || copy.length <= max) {
      this.backlog.push({ payload: copy, final: true, ping: false });
    } else {
      for (let offset = 0; offset < copy.length; offset += max) {
        this.backlog.push({ payload: copy.subarray(offset, offset + max), final: offset + max >= copy.length, ping: false });
      }
    }
    this.pump();
  }

  /**
   * Takes one packet from the mailbox. During the handshake anything unexpected is ignored
   * (it may be left over from an earlier connection); afterwards a malformed packet closes
   * the connection with `BAD_PACKET`.
   */
  receive(bytes: Uint8Array): void {
    if (this.phase === 'closed' || this.phase === 'idle') return;
    let packet: GbnPacket;
    try {
      packet = decodeGbnPacket(bytes);
    } catch (cause) {
      if (this.phase === 'open') this.fail(new GbnError('BAD_PACKET', (cause as Error).message, { cause }));
      return;
    }
    switch (this.phase) {
      case 'syn-sent':
        return this.clientHandshake(packet);
      case 'wait-syn':
      case 'wait-synack':
        return this.serverHandshake(packet);
      case 'open':
        return this.dataPhase(packet);
    }
  }

  /**
   * Closes the connection: sends FIN if the handshake had completed and the peer has not
   * closed first, stops every timer, drops what was not yet acknowledged, and calls
   * `onClose` with no error. Harmless to call twice.
   */
  close(): void {
    if (this.phase === 'closed') return;
    const wasOpen = this.phase === 'open';
    this.phase = 'closed';
    if (wasOpen) {
      try {
        this.options.send(encodeGbnPacket({ type: 'FIN' }));
      } catch {
        // The mailbox is already gone; the peer will notice by its keepalive.
      }
    }
    this.finish(undefined);
  }

  // ── handshake ──────────────────────────────────────────────────────────────

  private sendSyn(): void {
    this.phase = 'syn-sent';
    this.synSentAt = this.timers.now();
    this.cancelHandshakeTimer();
    const wait = this.handshakeTimeout * (1 + BOOST * this.handshakeRetries);
    this.cancelHandshakeTimer = this.timers.setTimer(() => {
      this.handshakeRetries++;
      this.sendSyn();
    }, wait);
    this.write({ type: 'SYN', n: this.n });
  }

  private clientHandshake(packet: GbnPacket): void {
    if (packet.type !== 'SYN') return; // stale packets of an earlier connection
    if (packet.n !== this.n) {
      this.fail(new GbnError('WINDOW_MISMATCH', `the server answered SYN(${this.n}) with SYN(${packet.n})`));
      return;
    }
    this.rtt = this.timers.now() - this.synSentAt;
    this.cancelHandshakeTimer();
    if (!this.write({ type: 'SYNACK' })) return;
    this.open();
  }

  private serverHandshake(packet: GbnPacket): void {
    if (packet.type === 'SYN') {
      if (packet.n < 1) return; // a window of 0 cannot carry anything: not a real client
      this.n = packet.n;
      this.s = packet.n + 1;
      this.phase = 'wait-synack';
      this.synSentAt = this.timers.now();
      this.cancelHandshakeTimer();
      this.cancelHandshakeTimer = this.timers.setTimer(() => {
        // No SYNACK: listen for a new SYN, and accept the client's next packet as proof it got ours.
        this.serverTimedOut = true;
        this.phase = 'wait-syn';
      }, this.handshakeTimeout);
      this.write({ type: 'SYN', n: this.n });
      return;
    }
    const completes =
      packet.type === 'SYNACK' ? this.phase === 'wait-synack' || this.serverTimedOut : packet.type === 'DATA' && this.serverTimedOut;
    if (!completes) return;
    if (this.phase === 'wait-synack') this.rtt = this.timers.now() - this.synSentAt;
    this.cancelHandshakeTimer();
    this.open();
    if (packet.type === 'DATA' && this.phase === 'open') this.dataPhase(packet);
  }

  private open(): void {
    this.phase = 'open';
    if (this.rtt !== undefined) this.resendTimeout = Math.max(this.minResendTimeout, RTT_MULTIPLIER * this.rtt);
    this.window = new Array<Uint8Array | undefined>(this.s);
    this.sentAt = new Array<number>(this.s).fill(Number.NaN);
    this.armPing();
    this.onOpen();
    this.pump();
  }

  // ── data phase ─────────────────────────────────────────────────────────────

  private dataPhase(packet: GbnPacket): void {
    this.heard();
    switch (packet.type) {
      case 'DATA':
        return this.onData(packet);
      case 'ACK':
        return this.onAck(packet.seq);
      case 'NACK':
        return this.onNack(packet.seq);
      case 'FIN':
        this.phase = 'closed';
        this.finish(new GbnError('REMOTE_CLOSED', 'the peer sent FIN'));
        return;
      default:
        // SYN or SYNACK after the handshake: a repeat of the handshake, nothing to do.
        return;
    }
  }

  /** Anything received: the peer is alive, so the ping and resend clocks start over. */
  private heard(): void {
    this.cancelPongTimer();
    this.cancelPongTimer = ignore;
    this.armPing();
    if (this.windowCount() > 0) this.armResend();
  }

  private onData(packet: Extract<GbnPacket, { type: 'DATA' }>): void {
    if (packet.seq !== this.recvSeq) {
      // A repeat (our ACK was lost) or a gap (a packet was lost): either way, say what we expect.
      const now = this.timers.now();
      if (this.lastNackSeq === this.recvSeq && now - this.lastNackAt < 2 * this.resendTimeout) return;
      this.lastNackSeq = this.recvSeq;
      this.lastNackAt = now;
      if (!this.flushAck()) return;
      this.write({ type: 'NACK', seq: this.recvSeq });
      return;
    }
    this.recvSeq = (this.recvSeq + 1) % this.s;
    if (!this.acknowledge(packet.seq, packet.ping)) return;
    if (packet.ping) return;
    this.chunks.push(packet.payload.slice());
    if (!packet.final) return;
    const message = this.chunks.length === 1 ? this.chunks[0]! : concatBytes(...this.chunks);
    this.chunks = [];
    this.onMessage(message);
  }

  /** ACKs `seq` now, or soon with whatever else arrives (see {@link GbnOptions.ackDelayMs}); false if the connection closed. */
  private acknowledge(seq: number, urgent: boolean): boolean {
    this.ackSeq = seq;
    this.unacked++;
    const delay = this.options.ackDelayMs ?? (this.role === 'client' ? GBN_DEFAULTS.clientAckDelayMs : 0);
    if (urgent || !(delay > 0) || this.unacked * 2 >= this.n) return this.flushAck();
    if (this.unacked === 1) {
      this.cancelAckTimer = this.timers.setTimer(() => {
        this.cancelAckTimer = ignore;
        this.flushAck();
      }, delay);
    }
    return true;
  }

  /** Sends the ACK held back, if any; false if the connection closed. */
  private flushAck(): boolean {
    this.cancelAckTimer();
    this.cancelAckTimer = ignore;
    if (this.unacked === 0) return this.phase !== 'closed';
    this.unacked = 0;
    return this.write({ type: 'ACK', seq: this.ackSeq });
  }

  private onAck(seq: number): void {
    if (!this.inWindow(seq)) return; // a repeat, or an ACK for nothing we sent
    const next = (seq + 1) % this.s;
    let acked = 0;
    let sample: number | undefined;
    while (this.base !== next) {
      acked++;
      if (++this.ackedSinceSample >= RTT_SAMPLE_EVERY && !Number.isNaN(this.sentAt[this.base]!)) {
        sample = this.timers.now() - this.sentAt[this.base]!;
        this.ackedSinceSample = 0;
      }
      this.window[this.base] = undefined;
      this.base = (this.base + 1) % this.s;
    }
    if (sample !== undefined) this.resendTimeout = Math.max(this.minResendTimeout, RTT_MULTIPLIER * sample);
    if (acked > 0) this.resendBoost = 0;
    if (this.windowCount() === 0) this.stopResend();
    else this.armResend();
    // The peer has everything up to the last packet of the resend: release new data after
    // one more resend timeout, unless a NACK says otherwise first.
    if (this.holding && next === this.holdTop) {
      this.cancelReleaseTimer();
      this.cancelReleaseTimer = this.timers.setTimer(() => this.release(), this.resendTimeout);
    }
    this.pump();
  }

  private onNack(seq: number): void {
    this.cancelReleaseTimer();
    this.cancelReleaseTimer = ignore;
    if (seq === this.top) {
      // The peer has everything we sent: our ACKs were lost, or it saw a repeat.
      for (let i = this.base; i !== this.top; i = (i + 1) % this.s) this.window[i] = undefined;
      this.base = this.top;
      this.stopResend();
      if (this.holding) this.release();
      else this.pump();
      return;
    }
    if (!this.inWindow(seq)) return;
    for (let i = this.base; i !== seq; i = (i + 1) % this.s) this.window[i] = undefined;
    this.base = seq;
    const now = this.timers.now();
    if (now - this.lastNackResendAt < this.handshakeTimeout) return; // resent just now: let it arrive
    this.lastNackResendAt = now;
    this.resendWindow();
  }

  /** Sends every packet in the window again, then holds new data until the peer catches up. */
  private resendWindow(): void {
    if (this.windowCount() === 0) return;
    const packets: Uint8Array[] = [];
    for (let i = this.base; i !== this.top; i = (i + 1) % this.s) {
      packets.push(this.window[i]!);
      this.sentAt[i] = Number.NaN; // a resent packet's ACK says nothing about the round trip
    }
    this.holding = true;
    this.holdTop = this.top;
    this.cancelHoldTimer();
    this.cancelReleaseTimer();
    this.cancelReleaseTimer = ignore;
    this.cancelHoldTimer = this.timers.setTimer(() => this.release(), 3 * this.resendTimeout);
    this.armResend();
    for (const packet of packets) if (!this.writeRaw(packet)) return;
  }

  private release(): void {
    if (!this.holding) return;
    this.holding = false;
    this.cancelHoldTimer();
    this.cancelReleaseTimer();
    this.cancelHoldTimer = this.cancelReleaseTimer = ignore;
    this.pump();
  }

  /** Moves chunks from the backlog into the window while there is room. */
  private pump(): void {
    while (this.phase === 'open' && !this.holding && this.backlog.length > 0 && this.windowCount() < this.n) {
      const next = this.backlog.shift()!;
      const seq = this.top;
      const packet = encodeGbnPacket({ type: 'DATA', seq, final: next.final, ping: next.ping, payload: next.payload });
      this.window[seq] = packet;
      this.sentAt[seq] = this.timers.now();
      this.top = (this.top + 1) % this.s;
      if (this.windowCount() === 1) this.armResend();
      if (!this.writeRaw(packet)) return;
    }
  }

  private armResend(): void {
    this.cancelResendTimer();
    const wait = this.resendTimeout * (1 + BOOST * this.resendBoost);
    this.cancelResendTimer = this.timers.setTimer(() => {
      this.cancelResendTimer = ignore;
      if (this.phase !== 'open' || this.windowCount() === 0) return;
      this.resendBoost++;
      this.resendWindow();
    }, wait);
  }

  private stopResend(): void {
    this.cancelResendTimer();
    this.cancelResendTimer = ignore;
  }

  // ── keepalive ──────────────────────────────────────────────────────────────

  private armPing(): void {
    this.cancelPingTimer();
    this.cancelPingTimer = ignore;
    const every = this.options.pingMs ?? (this.role === 'client' ? GBN_DEFAULTS.clientPingMs : GBN_DEFAULTS.serverPingMs);
    if (!(every > 0)) return;
    this.cancelPingTimer = this.timers.setTimer(() => {
      this.cancelPingTimer = ignore;
      if (this.phase !== 'open') return;
      const pongTimeout = this.options.pongTimeoutMs ?? GBN_DEFAULTS.pongTimeoutMs;
      this.cancelPongTimer = this.timers.setTimer(() => {
        this.fail(new GbnError('KEEPALIVE', `nothing received within ${pongTimeout} ms of a ping`));
      }, pongTimeout);
      // A ping takes a sequence number like any DATA; it goes ahead of waiting data.
      this.backlog.unshift({ payload: EMPTY, final: false, ping: true });
      this.pump();
    }, every);
  }

  // ── plumbing ───────────────────────────────────────────────────────────────

  private windowCount(): number {
    return (this.top - this.base + this.s) % this.s;
  }

  /** Whether `seq` is in [base, top), modulo s. */
  private inWindow(seq: number): boolean {
    return seq < this.s && (seq - this.base + this.s) % this.s < this.windowCount();
  }

  private write(packet: GbnPacket): boolean {
    return this.writeRaw(encodeGbnPacket(packet));
  }

  /** Sends one packet; false (and the connection closed) if the mailbox refused it. */
  private writeRaw(bytes: Uint8Array): boolean {
    if (this.phase === 'closed') return false;
    try {
      this.options.send(bytes);
      return true;
    } catch (cause) {
      this.fail(new GbnError('SEND_FAILED', 'the mailbox did not take a packet', { cause }));
      return false;
    }
  }

  private fail(error: GbnError): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.finish(error);
  }

  private finish(error: GbnError | undefined): void {
    this.cancelHandshakeTimer();
    this.cancelResendTimer();
    this.cancelPingTimer();
    this.cancelPongTimer();
    this.cancelHoldTimer();
    this.cancelReleaseTimer();
    this.cancelAckTimer();
    this.cancelHandshakeTimer = this.cancelResendTimer = this.cancelPingTimer = ignore;
    this.cancelPongTimer = this.cancelHoldTimer = this.cancelReleaseTimer = this.cancelAckTimer = ignore;
    this.unacked = 0;
    this.backlog = [];
    this.window = [];
    this.chunks = [];
    this.onClose(error);
  }
}
