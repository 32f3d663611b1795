/**
 * A test LNC mailbox for Node: what aperture's hashmail server and the lnd WebSocket proxy in
 * front of it look like to a client (test/fixtures/reference/lnc/README.md §2), on `ws` at
 * 127.0.0.1. Streams exist only once created (litd's `NewCipherBox`, here
 * {@link TestMailbox.createSession}); each has at most one reader and one writer, a second one
 * waiting 250 ms and then getting "read stream occupied" / "write stream occupied"; a stream
 * that does not exist gives "stream not found". Messages nobody reads wait for the next
 * reader, so a new connection may see packets of an earlier one, as with the real mailbox.
 *
 * Faults for tests: {@link TestMailbox.onForward} decides per message (deliver, drop,
 * duplicate, delay), {@link TestMailbox.kill} drops sockets as a crash would, and
 * {@link TestMailbox.occupy} holds a stream for a phantom client.
 */
import type { AddressInfo } from 'node:net';
import { base64 } from '@scure/base';
import { WebSocketServer, type WebSocket } from 'ws';

/** What to do with one message: deliver it, drop it, deliver it twice, or deliver it (and those behind it) later. */
export type ForwardDecision = 'deliver' | 'drop' | 'duplicate' | { delayMs: number };

/** A message on its way through the mailbox, as {@link TestMailbox.onForward} sees it. */
export interface ForwardInfo {
  /** The stream it was written to (base64, as on the wire). */
  streamId: string;
  /** The go-back-N packet. */
  packet: Uint8Array;
  /** 1 for the first message the mailbox carried, 2 for the second, … */
  index: number;
}

interface Stream {
  id: string;
  reader: WebSocket | 'phantom' | undefined;
  writer: WebSocket | 'phantom' | undefined;
  /** Messages not yet delivered, each with the time it may go (later than now when delayed). */
  waiting: { packet: Uint8Array; readyAt: number }[];
  wakeup: boolean;
}

const RECEIVE_PATH = '/v1/lightning-node-connect/hashmail/receive';
const SEND_PATH = '/v1/lightning-node-connect/hashmail/send';
const ACQUIRE_TIMEOUT_MS = 250;

/** A running test mailbox. */
export interface TestMailbox {
  /** `ws://127.0.0.1:port`, for the `server` option of `MailboxConnection.open`. */
  url: string;
  /** Creates the two streams of a session (the id and the id with its last bit flipped), as litd does. */
  createSession(sessionId: Uint8Array): void;
  /** Creates one stream; harmless if it exists. */
  createStream(streamId: Uint8Array): void;
  /** Deletes a stream and drops its reader and writer. */
  deleteStream(streamId: Uint8Array): void;
  /** Holds a stream's read or write side for a phantom client until the returned function is called. */
  occupy(streamId: Uint8Array, side: 'read' | 'write'): () => void;
  /** Decides the fate of each message; deliver everything when unset. */
  onForward: ((info: ForwardInfo) => ForwardDecision) | undefined;
  /** Drops sockets without a close handshake: all of them, or those of one stream. */
  kill(streamId?: Uint8Array): void;
  /** Messages written to the mailbox so far. */
  readonly forwarded: number;
  /** Open sockets. */
  readonly sockets: number;
  /** Drops every socket and stops listening; pending delays are cancelled. */
  close(): Promise<void>;
}

const corked = new WeakSet<WebSocket>();
/**
 * Holds a socket's writes until the end of this tick, so that the messages relayed in one
 * turn (a burst read from a writer) leave in one system call, as a buffered relay's do.
 */
function corkForThisTick(ws: WebSocket): void {
  const socket = (ws as unknown as { _socket?: import('node:net').Socket })._socket;
  if (!socket || corked.has(ws)) return;
  corked.add(ws);
  socket.cork();
  process.nextTick(() => {
    corked.delete(ws);
    socket.uncork();
  });
}

/** Starts a test mailbox on 127.0.0.1 at a free port. */
export async function startTestMailbox(): Promise<TestMailbox> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const streams = new Map<string, Stream>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const socketsOf = new Map<WebSocket, Set<Stream>>();
  let forwarded = 0;

  const later = (fn: () => void, ms: number) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const deliverNow = (stream: Stream) => {
    const reader = stream.reader;
    if (!reader || reader === 'phantom' || reader.readyState !== reader.OPEN) return;
    while (stream.waiting.length > 0) {
      const head = stream.waiting[0]!;
      const wait = head.readyAt - Date.now();
      if (wait > 0) {
        // A delayed message holds back those behind it: the stream stays in order.
        if (!stream.wakeup) {
          stream.wakeup = true;
          later(() => {
            stream.wakeup = false;
            deliverNow(stream);
          }, wait);
        }
        return;
      }
      stream.waiting.shift();
      corkForThisTick(reader);
      reader.send(JSON.stringify({ result: { desc: { stream_id: stream.id }, msg: base64.encode(head.packet) } }));
    }
  };

  const enqueue = (stream: Stream, packet: Uint8Array, delayMs = 0) => {
    stream.waiting.push({ packet, readyAt: Date.now() + delayMs });
    deliverNow(stream);
  };

  const forward = (stream: Stream, packet: Uint8Array) => {
    forwarded++;
    const decision = mailbox.onForward?.({ streamId: stream.id, packet, index: forwarded }) ?? 'deliver';
    if (decision === 'drop') return;
    if (decision === 'deliver') return enqueue(stream, packet);
    if (decision === 'duplicate') {
      enqueue(stream, packet);
      return enqueue(stream, packet);
    }
    enqueue(stream, packet, decision.delayMs);
  };

  /** Takes a side of a stream, waiting up to 250 ms for the holder to leave, as aperture does. */
  const acquire = async (stream: Stream, side: 'reader' | 'writer', ws: WebSocket): Promise<boolean> => {
    const deadline = Date.now() + ACQUIRE_TIMEOUT_MS;
    while (stream[side] !== undefined && stream[side] !== ws) {
      if (Date.now() >= deadline || ws.readyState !== ws.OPEN) return false;
      await new Promise<void>((resolve) => later(resolve, 10));
    }
    stream[side] = ws;
    let set = socketsOf.get(ws);
    if (!set) socketsOf.set(ws, (set = new Set()));
    set.add(stream);
    return true;
  };

  const refuse = (ws: WebSocket, message: string, envelope: boolean) => {
    const body = { code: 2, message, details: [] };
    ws.send(JSON.stringify(envelope ? { error: body } : body), () => ws.close(1000));
  };

  wss.on('connection', (ws, request) => {
    const url = new URL(request.url ?? '/', 'http://mailbox');
    if (url.searchParams.get('method') !== 'POST' || (url.pathname !== RECEIVE_PATH && url.pathname !== SEND_PATH)) {
      ws.close(1008, 'unknown path');
      return;
    }
    const receiving = url.pathname === RECEIVE_PATH;
    // Messages of one socket are handled one after another, in order.
    let chain = Promise.resolve();
    let claimed: Stream | undefined;
    ws.on('message', (data, isBinary) => {
      chain = chain.then(async () => {
        // A writer's message that arrived before its close frame is still delivered, as by
        // aperture: a client sends FIN (or act three) and closes at once.
        if (ws.readyState !== ws.OPEN && (receiving || !claimed)) return;
        let frame: { stream_id?: unknown; desc?: { stream_id?: unknown; streamId?: unknown }; msg?: unknown };
        try {
          if (isBinary) throw new Error('binary');
          frame = JSON.parse(data.toString());
        } catch {
          return refuse(ws, 'invalid JSON frame', receiving);
        }
        const id = receiving ? frame.stream_id : (frame.desc?.stream_id ?? frame.desc?.streamId);
        const stream = typeof id === 'string' ? streams.get(id) : undefined;
        if (receiving) {
          if (claimed) return; // the init frame comes once; anything else on this socket is ignored
          if (!stream) return refuse(ws, 'stream not found', true);
          if (!(await acquire(stream, 'reader', ws))) return refuse(ws, 'read stream occupied', true);
          claimed = stream;
          return deliverNow(stream);
        }
        if (!stream) return refuse(ws, 'stream not found', false);
        if (claimed && claimed !== stream) return refuse(ws, 'one send socket writes one stream', false);
        if (!claimed) {
          if (!(await acquire(stream, 'writer', ws))) return refuse(ws, 'write stream occupied', false);
          claimed = stream;
        }
        const packet = typeof frame.msg === 'string' ? base64.decode(frame.msg) : new Uint8Array(0);
        forward(stream, packet);
      });
    });
    ws.on('close', () => {
      for (const stream of socketsOf.get(ws) ?? []) {
        if (stream.reader === ws) stream.reader = undefined;
        if (stream.writer === ws) stream.writer = undefined;
      }
      socketsOf.delete(ws);
    });
    ws.on('error', () => {});
  });

  const idOf = (bytes: Uint8Array) => base64.encode(bytes);
  const mailbox: TestMailbox = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    onForward: undefined,
    createStream(streamId) {
      const id = idOf(streamId);
      if (!streams.has(id)) streams.set(id, { id, reader: undefined, writer: undefined, waiting: [], wakeup: false });
    },
    createSession(sessionId) {
      const partner = sessionId.slice();
      partner[63]! ^= 0x01;
      mailbox.createStream(sessionId);
      mailbox.createStream(partner);
    },
    deleteStream(streamId) {
      const stream = streams.get(idOf(streamId));
      if (!stream) return;
      streams.delete(stream.id);
      for (const side of [stream.reader, stream.writer]) if (side && side !== 'phantom') side.terminate();
    },
    occupy(streamId, side) {
      const stream = streams.get(idOf(streamId));
      if (!stream) throw new Error('no such stream');
      const key = side === 'read' ? 'reader' : 'writer';
      if (stream[key]) throw new Error(`the ${side} side is already held`);
      stream[key] = 'phantom';
      return () => {
        if (stream[key] === 'phantom') stream[key] = undefined;
      };
    },
    kill(streamId) {
      const only = streamId ? streams.get(idOf(streamId)) : undefined;
      for (const ws of wss.clients) {
        if (!streamId || socketsOf.get(ws)?.has(only!)) ws.terminate();
      }
    },
    get forwarded() {
      return forwarded;
    },
    get sockets() {
      return wss.clients.size;
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const ws of wss.clients) ws.terminate();
      return new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
  return mailbox;
}
