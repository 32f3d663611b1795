/**
 * A test LNC endpoint for Node: litd's side of a session, over the test mailbox
 * (mailbox.ts). It creates the session's streams, listens with a go-back-N server
 * and the Noise responder (XX with the pairing password the first time; after a version-2
 * pairing it moves the session to the static keys' streams and answers KK from then on, as
 * litd does, so the phrase works once), and serves HTTP/2 with Node's own `node:http2`
 * server (nghttp2): the decrypted bytes go into a Duplex given to `server.emit('connection')`.
 * gRPC handlers see opaque request bytes and answer with length-prefixed messages and
 * `grpc-status` trailers, so the client is tested against an independent HTTP/2 stack.
 * With `upstream`, the decrypted bytes go instead to a real gRPC server over TCP, as litd
 * hands them to lnd.
 *
 * One connection per session at a time: when it ends (FIN, killed sockets, keepalive), the
 * endpoint listens again, on the KK streams once paired.
 */
import http2 from 'node:http2';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  GbnConnection,
  LncMessageDecoder,
  LncResponder,
  MailboxConnection,
  MAX_MESSAGE_SIZE,
  NodeWebSocket,
  decodeMsgData,
  encodeMsgData,
  pairingPhraseFromEntropy,
  preparePairing,
  publicKeyOf,
  staticKeysSessionId,
  streamIdsOf,
  textEncoder,
  type LncStreamIds,
  type NoiseTransport,
} from '@ampkit/wire/lnc-server';
import type { TestMailbox } from './mailbox.ts';

/** One gRPC call as a handler sees it. */
export interface TestCall {
  /** The call's path. */
  method: string;
  /** Request metadata (HTTP/2 headers, lowercase). */
  metadata: http2.IncomingHttpHeaders;
  /** Sends one reply message. */
  send(message: Uint8Array): void;
  /** Aborted when the client cancels the call or the link drops. */
  signal: AbortSignal;
}

/** A failure a handler throws to end its call with that gRPC status. */
export class TestGrpcStatus extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Serves one call: send replies with `call.send`, return to end with status OK, throw {@link TestGrpcStatus} for another. */
export type TestHandler = (request: Uint8Array, call: TestCall) => Promise<void> | void;

/** Options of {@link startTestEndpoint}. */
export interface TestEndpointOptions {
  /** The test mailbox to serve through. */
  mailbox: TestMailbox;
  /** gRPC handlers by path. A path without one gets UNIMPLEMENTED. */
  handlers?: Record<string, TestHandler>;
  /** Entropy of the pairing phrase (14 bytes, last two bits zero); derived from a label when omitted. */
  entropy?: Uint8Array;
  /** litd's static private key (32 bytes); derived from a label when omitted. */
  staticKey?: Uint8Array;
  /** Auth data of act two; `Macaroon: 0201…` by default. */
  authData?: string;
  /** go-back-N timing of the server side (short in tests). */
  gbn?: { handshakeTimeoutMs?: number; resendTimeoutMs?: number; pingMs?: number; pongTimeoutMs?: number };
  /**
   * A gRPC server (plain HTTP/2 over TCP) to hand each link's decrypted bytes to, one TCP
   * connection per link, instead of the built-in HTTP/2 server; `handlers`, `calls` and
   * `cancelled` are then unused. When that server drops the connection, the link ends too.
   */
  upstream?: { host: string; port: number };
}

/** A running endpoint (one litd session). */
export interface TestEndpoint {
  /** The ten words to pair with. */
  phrase: string;
  /** litd's static public key. */
  publicKey: Uint8Array;
  /** The client's static key, once a pairing at version 2 told it. */
  readonly clientKey: Uint8Array | undefined;
  /** The streams the session listens on now (pairing streams, then the KK ones), as the client sees them. */
  readonly streams: LncStreamIds;
  /** Handlers by path; change them between calls. */
  handlers: Record<string, TestHandler>;
  /** Paths of calls the client cancelled (RST_STREAM CANCEL), in order. */
  readonly cancelled: string[];
  /** Metadata of every call served, in order. */
  readonly calls: { method: string; macaroon: string | undefined }[];
  /** Connections (handshakes completed) so far, with their pattern. */
  readonly handshakes: ('XX' | 'KK')[];
  /** Whether a client link is up now. */
  readonly connected: boolean;
  /** Revokes the session: its streams are deleted and the endpoint stops listening (the client sees "stream not found"). */
  killSession(): void;
  /** Holds the client's receive stream for a phantom reader (another tab); returns the release function. */
  occupy(): () => void;
  /** Stops listening and drops the current link; the http2 server is closed. */
  close(): Promise<void>;
}

const DEFAULT_AUTH = 'Macaroon: 0201036c6e6402f801030a10';

/** Starts litd's side of one session: creates the pairing streams and listens. */
export async function startTestEndpoint(options: TestEndpointOptions): Promise<TestEndpoint> {
  const { mailbox } = options;
  const entropy = (options.entropy ?? sha256(textEncoder.encode('lnc test endpoint entropy'))).slice(0, 14);
  entropy[13]! &= 0xfc;
  const phrase = pairingPhraseFromEntropy(entropy);
  const { password, streams: pairingStreams } = await preparePairing(phrase);
  const serverKey = options.staticKey ?? sha256(textEncoder.encode('lnc test endpoint static key'));
  const authData = textEncoder.encode(options.authData ?? DEFAULT_AUTH);
  const gbnTiming = options.gbn ?? {};

  let clientKey: Uint8Array | undefined;
  let streams = pairingStreams;
  let running = true;
  let killed = false;
  let pairingDeleted = false;
  let current: { shut(): void; connected: boolean } | undefined;
  const cancelled: string[] = [];
  const calls: { method: string; macaroon: string | undefined }[] = [];
  const handshakes: ('XX' | 'KK')[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  const pendingCalls = new Set<AbortController>();

  const server = http2.createServer();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    session.on('error', () => {});
  });
  server.on('stream', (stream, headers) => serve(stream, headers));

  mailbox.createSession(pairingStreams.receive);

  const endpoint: TestEndpoint = {
    phrase,
    publicKey: publicKeyOf(serverKey),
    get clientKey() {
      return clientKey;
    },
    get streams() {
      return streams;
    },
    handlers: { ...options.handlers },
    cancelled,
    calls,
    handshakes,
    get connected() {
      return current?.connected ?? false;
    },
    killSession() {
      killed = true;
      mailbox.deleteStream(streams.receive);
      mailbox.deleteStream(streams.send);
      current?.shut();
    },
    occupy() {
      return mailbox.occupy(streams.receive, 'read');
    },
    async close() {
      running = false;
      current?.shut();
      for (const controller of pendingCalls) controller.abort();
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  /** One listening turn: mailbox sockets, go-back-N server, Noise responder, then HTTP/2 until the link ends. */
  const listen = async (): Promise<void> => {
    if (!running || killed) return;
    if (clientKey && !pairingDeleted) {
      // litd's next Accept after a pairing moves the session: the phrase's streams go.
      pairingDeleted = true;
      mailbox.deleteStream(pairingStreams.receive);
      mailbox.deleteStream(pairingStreams.send);
    }
    const listening = streams;
    let box: MailboxConnection;
    try {
      // The server reads the client's send stream and writes to its receive stream.
      box = await MailboxConnection.open({
        server: mailbox.url,
        streams: { receive: listening.send, send: listening.receive },
        WebSocket: NodeWebSocket,
      });
    } catch {
      if (running && !killed) setTimeout(() => void listen(), 50);
      return;
    }
    if (!running || killed) {
      box.close();
      return;
    }
    const gbn = new GbnConnection({
      handshakeTimeoutMs: 200,
      resendTimeoutMs: 100,
      ...gbnTiming,
      role: 'server',
      send: (packet) => box.send(packet),
    });
    const responder = new LncResponder(
      clientKey ? { localPrivateKey: serverKey, remotePublicKey: clientKey, authData } : { localPrivateKey: serverKey, password, authData },
    );
    let transport: NoiseTransport | undefined;
    let decoder: LncMessageDecoder | undefined;
    let pipe: Duplex | undefined;
    let socket: net.Socket | undefined;
    let ended = false;
    let act = 0;
    const turn = {
      connected: false,
      shut: () => {
        if (ended) return;
        ended = true;
        gbn.close();
        box.close();
        pipe?.destroy();
        socket?.destroy();
        if (current === turn) current = undefined;
        if (running && !killed) setTimeout(() => void listen(), 10);
      },
    };
    current = turn;

    const connect = () => {
      turn.connected = true;
      decoder = new LncMessageDecoder(transport!);
      // What nghttp2 writes in one turn of the event loop goes out together, as grpc-go's
      // writer flushes its buffer once it has nothing more queued: a unary reply (headers,
      // message, trailers) is one Noise message, not three.
      let queued: Buffer[] = [];
      const flush = () => {
        const bytes = Buffer.concat(queued);
        queued = [];
        for (let offset = 0; offset < bytes.length; offset += MAX_MESSAGE_SIZE) {
          if (gbn.state === 'closed') return;
          gbn.send(encodeMsgData(transport!.encrypt(bytes.subarray(offset, offset + MAX_MESSAGE_SIZE))));
        }
      };
      pipe = new Duplex({
        read() {},
        write(chunk: Buffer, _encoding, callback) {
          if (queued.length === 0) {
            // Two turns: nghttp2 writes a reply's trailers a turn after its message.
            setImmediate(() =>
              setImmediate(() => {
                try {
                  flush();
                } catch (error) {
                  pipe?.destroy(error as Error);
                }
              }),
            );
          }
          queued.push(chunk);
          callback();
        },
      });
      pipe.on('error', () => {});
      if (options.upstream) {
        socket = net.connect(options.upstream);
        socket.on('error', () => {});
        socket.on('close', () => turn.shut());
        pipe.pipe(socket);
        socket.pipe(pipe);
      } else {
        server.emit('connection', pipe);
      }
    };

    box.onPacket = (packet) => {
      // A SYN once the link is up: the client has started over (a reload, a second client
      // with the keys) without our hearing its FIN. Go's go-back-N connection ends on it too
      // (gbn/gbn_conn.go receivePacketsForever: any packet but DATA, ACK, NACK or FIN is an
      // "unexpected message" error, and the connection closes); litd then listens again, and
      // the client sends SYN again shortly.
      if (packet[0] === 0x01 && gbn.state === 'open') return turn.shut();
      gbn.receive(packet);
    };
    box.onClose = () => turn.shut();
    gbn.onClose = () => turn.shut();
    gbn.onMessage = (frame) => {
      try {
        const { payload } = decodeMsgData(frame);
        if (decoder) {
          for (const message of decoder.push(payload)) pipe!.push(Buffer.from(message));
          return;
        }
        if (act === 0) {
          act = 1;
          responder.readActOne(payload);
          gbn.send(encodeMsgData(responder.actTwo()));
          if (responder.pattern === 'XX') return; // act three comes next; KK is done
        } else {
          responder.readActThree(payload);
        }
        const result = responder.finish();
        transport = result.transport;
        handshakes.push(result.pattern);
        if (result.pattern === 'XX' && result.version >= 2) {
          // litd keeps the client's key; the next connection is KK on the static keys' streams,
          // and the pairing streams go when it listens again, so the phrase works once.
          clientKey = result.remotePublicKey.slice();
          streams = streamIdsOf(staticKeysSessionId(serverKey, clientKey));
          mailbox.createSession(streams.receive);
        }
        connect();
      } catch {
        // A failed handshake: litd closes the connection (FIN) and listens again.
        turn.shut();
      }
    };
    gbn.start();
  };

  function serve(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    const method = String(headers[':path']);
    calls.push({ method, macaroon: headers['macaroon'] as string | undefined });
    // Made when a handler first asks for its signal: most never do, and an abort costs a DOMException.
    let controller: AbortController | undefined;
    let closed = false;
    stream.on('close', () => {
      closed = true;
      if (stream.rstCode === http2.constants.NGHTTP2_CANCEL) cancelled.push(method);
      if (!controller) return;
      pendingCalls.delete(controller);
      controller.abort();
    });
    stream.on('error', () => {});
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      const length = body.length >= 5 ? body.readUInt32BE(1) : -1;
      if (length !== body.length - 5) return trailersOnly(stream, 13, 'request is not one length-prefixed message');
      const request = new Uint8Array(body.subarray(5));
      const handler = endpoint.handlers[method];
      if (!handler) return trailersOnly(stream, 12, `unknown method ${method}`);
      let responded = false;
      const call: TestCall = {
        method,
        metadata: headers,
        get signal() {
          if (!controller) {
            controller = new AbortController();
            if (closed) controller.abort();
            else pendingCalls.add(controller);
          }
          return controller.signal;
        },
        send(message) {
          if (stream.destroyed || stream.closed) return;
          if (!responded) {
            responded = true;
            stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
          }
          const framed = Buffer.alloc(5 + message.length);
          framed.writeUInt32BE(message.length, 1);
          framed.set(message, 5);
          stream.write(framed);
        },
      };
      Promise.resolve()
        .then(() => handler(request, call))
        .then(
          () => finish(0, ''),
          (error: unknown) =>
            error instanceof TestGrpcStatus
              ? finish(error.status, error.message)
              : finish(2, error instanceof Error ? error.message : String(error)),
        );
      const finish = (status: number, message: string) => {
        if (stream.destroyed || stream.closed) return;
        if (!responded) return trailersOnly(stream, status, message);
        stream.once('wantTrailers', () => {
          const trailers: http2.OutgoingHttpHeaders = { 'grpc-status': String(status) };
          if (message) trailers['grpc-message'] = encodeURIComponent(message);
          stream.sendTrailers(trailers);
        });
        stream.end();
      };
    });
  }

  function trailersOnly(stream: http2.ServerHttp2Stream, status: number, message: string): void {
    if (stream.destroyed || stream.closed) return;
    stream.respond(
      { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(status), 'grpc-message': encodeURIComponent(message) },
      { endStream: true },
    );
  }

  void listen();
  return endpoint;
}
