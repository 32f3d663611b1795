/**
 * LNC's HTTP/2 client and gRPC framing, against two independent implementations:
 * - the server half of transcript-full-stack.json (grpc-go 1.33 behind real LNC Noise),
 *   unwrapped from its go-back-N packets and decrypted, then fed to our client: the three
 *   gRPC results must come out exactly (GetInfo's reply, three invoice updates, the
 *   trailers-only "no route found"), and grpc-go's own request header blocks must decode;
 * - Node's built-in HTTP/2 server (nghttp2) on 127.0.0.1, reached over a plain TCP socket:
 *   unary calls, a cancelled server stream, messages past the 65 535-byte windows in both
 *   directions, a trailers-only error, a timeout, an abort, and GOAWAY.
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, fromHex, textEncoder, toHex } from '../../packages/wire/src/bytes.ts';
import { WireError } from '../../packages/wire/src/errors.ts';
import { GrpcClient, GrpcError, GrpcStatus, type GrpcServerStream } from '../../packages/wire/src/lnc/grpc.ts';
import { LncInitiator } from '../../packages/wire/src/lnc/handshake.ts';
import { HpackDecoder } from '../../packages/wire/src/lnc/hpack.ts';
import { Http2Connection, Http2Error, Http2ErrorCode } from '../../packages/wire/src/lnc/http2.ts';
import { preparePairing } from '../../packages/wire/src/lnc/phrase.ts';
import { LncMessageDecoder } from '../../packages/wire/src/lnc/transport.ts';
import { fullStack as transcript, msgDataPayloads, parseFrames as frames } from './lnc-fixtures.ts';

/** The server's HTTP/2 writes, decrypted from the recorded packets with the client's keys. */
async function serverHttp2Writes(): Promise<Uint8Array[]> {
  const fromClient = msgDataPayloads('client->server');
  const fromServer = msgDataPayloads('server->client');
  const { password } = await preparePairing(transcript.pairing_words);
  const client = new LncInitiator({
    localPrivateKey: fromHex(transcript.client_static_priv),
    ephemeralPrivateKey: sha256(textEncoder.encode('ampkit-lnc-vector client ephemeral xx')),
    password,
  });
  assert.equal(toHex(client.actOne()), toHex(fromClient[0]!));
  client.readActTwo(fromServer[0]!);
  client.actThree();
  const decoder = new LncMessageDecoder(client.finish().transport);
  return fromServer.slice(1).flatMap((payload) => decoder.push(payload));
}

describe('HTTP/2 and gRPC: the grpc-go transcript', () => {
  test('the server writes decode into the three recorded gRPC results', async () => {
    const serverWrites = await serverHttp2Writes();
    assert.deepEqual(
      serverWrites.map(toHex),
      transcript.plaintext_http2.filter((w) => w.who === 'server').map((w) => w.hex),
    );

    const written: Uint8Array[] = [];
    const h2 = new Http2Connection({ write: (bytes) => written.push(bytes.slice()) });
    h2.start();
    const macaroon = transcript.server_saw_calls[0]!.metadata_macaroon[0]!;
    const grpc = new GrpcClient(h2, { metadata: { macaroon } });
    // The calls in the transcript's order, so they get streams 1, 3 and 5 as grpc-go's did.
    const getInfo = grpc.unary('/lnrpc.Lightning/GetInfo', new Uint8Array(0));
    const subscription = grpc.serverStream(
      '/invoicesrpc.Invoices/SubscribeSingleInvoice',
      fromHex(transcript.server_saw_calls[1]!.request_hex),
    );
    const sendToRoute = grpc.unary('/routerrpc.Router/SendToRouteV2', new Uint8Array(0));
    const sendToRouteFailure = sendToRoute.then(
      () => assert.fail('SendToRouteV2 must fail'),
      (error: unknown) => error,
    );
    const requests = frames(concatBytes(...written.slice(1))).filter((f) => f.type === 1);
    assert.deepEqual(
      requests.map((f) => f.stream),
      [1, 3, 5],
    );

    for (const bytes of serverWrites) h2.receive(bytes);
    assert.equal(h2.closed, false);

    assert.equal(toHex(await getInfo), transcript.client_results.GetInfo_response_hex);
    const updates: string[] = [];
    for await (const message of subscription) updates.push(toHex(message));
    assert.deepEqual(updates, transcript.client_results.SubscribeSingleInvoice_responses_hex);
    const error = await sendToRouteFailure;
    assert.ok(error instanceof GrpcError);
    assert.equal(error.code, GrpcStatus.UNKNOWN); // grpc-go's "Unknown"
    assert.equal(error.statusName, transcript.client_results.SendToRouteV2_error.code.toUpperCase());
    assert.equal(error.message, transcript.client_results.SendToRouteV2_error.message);
    assert.equal(error.method, '/routerrpc.Router/SendToRouteV2');

    // What we sent back: SETTINGS ACK, and each of grpc-go's BDP pings acknowledged with its
    // payload (its PING ACKs answer grpc-go's client's pings, not ours: we send none).
    const sent = frames(concatBytes(...written.slice(1)));
    assert.ok(sent.some((f) => f.type === 4 && f.flags === 1));
    const serverPings = frames(concatBytes(...serverWrites)).filter((f) => f.type === 6 && f.flags === 0);
    assert.ok(serverPings.length >= 3);
    const pingAcks = sent.filter((f) => f.type === 6);
    assert.equal(pingAcks.length, serverPings.length);
    for (const ack of pingAcks) {
      assert.equal(ack.flags, 1);
      assert.equal(toHex(ack.payload), '02041010090e0707');
    }
    assert.equal(h2.activeStreams, 0);
  });

  test("grpc-go's own request header blocks decode (Huffman, dynamic table across three requests)", () => {
    const decoder = new HpackDecoder();
    const clientWrites = transcript.plaintext_http2.filter((w) => w.who === 'client').map((w) => fromHex(w.hex));
    const blocks = frames(concatBytes(...clientWrites.slice(1))).filter((f) => f.type === 1);
    const requests = blocks.map((f) => new Map(decoder.decode(f.payload)));
    assert.deepEqual(
      requests.map((r) => r.get(':path')),
      transcript.server_saw_calls.map((c) => c.method),
    );
    for (const request of requests) {
      assert.equal(request.get(':method'), 'POST');
      assert.equal(request.get(':scheme'), 'http');
      assert.equal(request.get(':authority'), 'lnd');
      assert.equal(request.get('content-type'), 'application/grpc');
      assert.equal(request.get('te'), 'trailers');
      assert.equal(request.get('macaroon'), transcript.server_saw_calls[0]!.metadata_macaroon[0]);
    }
    assert.ok(decoder.tableSize > 0, 'grpc-go indexes its request headers');
  });
});

// ---- against Node's HTTP/2 server ----

interface Seen {
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
  rstCode?: number;
}

function grpcFrame(message: Uint8Array, flag = 0): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out[0] = flag;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** A deterministic message of `length` bytes. */
function pattern(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
}

function sendOk(stream: http2.ServerHttp2Stream, chunks: Uint8Array[]): void {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': '' }));
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
}

/** gRPC-shaped handlers on Node's HTTP/2 server; `seen` records each finished request. */
function handle(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, seen: Map<string, Seen>): void {
  const path = String(headers[':path']);
  const body: Buffer[] = [];
  const record: Seen = { headers, body: Buffer.alloc(0) };
  seen.set(path, record);
  stream.on('data', (chunk: Buffer) => body.push(chunk));
  stream.on('close', () => {
    record.rstCode = stream.rstCode;
  });
  stream.on('error', () => {});
  stream.on('end', () => {
    record.body = Buffer.concat(body);
    const request = record.body.subarray(5);
    switch (path) {
      case '/test.Echo/Unary':
        // The reply is the request reversed, so it depends on what arrived.
        return sendOk(stream, [grpcFrame(Uint8Array.from(request).reverse())]);
      case '/test.Echo/Big':
        // 300 000 bytes back, past our 65 535-byte windows, written in odd-sized pieces.
        return sendOk(stream, [grpcFrame(pattern(300_000, request.length & 0xff))]);
      case '/test.Echo/Split': {
        // Three messages: two in one write, the third split across writes mid-prefix.
        const all = Buffer.concat([grpcFrame(pattern(10, 1)), grpcFrame(new Uint8Array(0)), grpcFrame(pattern(1000, 2))]);
        return sendOk(stream, [all.subarray(0, 17), all.subarray(17, 20), all.subarray(20)]);
      }
      case '/test.Echo/Two':
        return sendOk(stream, [grpcFrame(pattern(3, 0)), grpcFrame(pattern(3, 1))]);
      case '/test.Echo/Compressed':
        return sendOk(stream, [grpcFrame(pattern(3, 0), 1)]);
      case '/test.Echo/NoTrailers':
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
        return void stream.end(grpcFrame(pattern(3, 0)));
      case '/test.Echo/NotFound':
        stream.respond({ ':status': 404 }, { endStream: true });
        return;
      case '/test.Echo/Fail':
        // Trailers-only: one HEADERS frame with END_STREAM.
        stream.respond(
          { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'invoice not found: caf%C3%A9 100%' },
          { endStream: true },
        );
        return;
      case '/test.Echo/Stream': {
        // One message every 10 ms until the client cancels.
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
        let n = 0;
        const timer = setInterval(() => {
          if (stream.destroyed || stream.closed) return clearInterval(timer);
          stream.write(grpcFrame(pattern(100, n++)));
        }, 10);
        stream.on('close', () => clearInterval(timer));
        return;
      }
      case '/test.Echo/Hang':
        return; // never answers
      default:
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12' }, { endStream: true });
    }
  });
}

interface Fixture {
  server: http2.Http2Server;
  port: number;
  seen: Map<string, Seen>;
  sessions: Set<http2.ServerHttp2Session>;
  sockets: Set<net.Socket>;
}

async function startServer(): Promise<Fixture> {
  const server = http2.createServer();
  const seen = new Map<string, Seen>();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  server.on('stream', (stream, headers) => handle(stream, headers, seen));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as net.AddressInfo).port, seen, sessions, sockets: new Set() };
}

async function stopServer(f: Fixture): Promise<void> {
  for (const socket of f.sockets) socket.destroy();
  for (const session of f.sessions) session.destroy();
  await new Promise<void>((resolve) => f.server.close(() => resolve()));
}

/** Our client over a plain TCP socket: 65 535-byte receive windows so flow control is exercised. */
async function connect(f: Fixture, onGoAway?: (last: number, code: number) => void) {
  const socket = net.connect(f.port, '127.0.0.1');
  f.sockets.add(socket);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let closeError: WireError | undefined;
  const h2 = new Http2Connection({
    write: (bytes) => void socket.write(bytes),
    initialWindowSize: 65_535,
    connectionWindowSize: 65_535,
    onClose: (error) => {
      closeError = error;
      socket.end();
    },
    onGoAway,
  });
  socket.on('data', (bytes: Buffer) => h2.receive(bytes));
  socket.on('close', () => h2.transportClosed());
  socket.on('error', () => {});
  h2.start();
  const grpc = new GrpcClient(h2, { metadata: { macaroon: '0201036c6e64' } });
  return { socket, h2, grpc, closeError: () => closeError };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

describe("HTTP/2 and gRPC against Node's HTTP/2 server (nghttp2)", () => {
  let f: Fixture;
  let client: Awaited<ReturnType<typeof connect>>;
  before(async () => {
    f = await startServer();
    client = await connect(f);
  });
  after(async () => {
    client.h2.close();
    await stopServer(f);
  });

  test('unary: request headers and metadata arrive as sent, the reply comes back', async () => {
    const reply = await client.grpc.unary('/test.Echo/Unary', Uint8Array.of(1, 2, 3), { timeout: 5000 });
    assert.deepEqual(reply, Uint8Array.of(3, 2, 1));
    const seen = f.seen.get('/test.Echo/Unary')!;
    assert.equal(seen.headers[':method'], 'POST');
    assert.equal(seen.headers[':scheme'], 'http');
    assert.equal(seen.headers[':authority'], 'lnd');
    assert.equal(seen.headers['content-type'], 'application/grpc');
    assert.equal(seen.headers.te, 'trailers');
    assert.equal(seen.headers.macaroon, '0201036c6e64');
    assert.equal(seen.headers['grpc-timeout'], '5000m');
    assert.equal(toHex(seen.body), '0000000003010203');
  });

  test('many unary calls at once on one connection', async () => {
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => client.grpc.unary('/test.Echo/Unary', Uint8Array.of(i, 0xff))));
    replies.forEach((reply, i) => assert.deepEqual(reply, Uint8Array.of(0xff, i)));
  });

  test('flow control: 200 000 bytes up and 300 000 bytes down through 65 535-byte windows', async () => {
    const request = pattern(200_000, 9);
    const reply = await client.grpc.unary('/test.Echo/Big', request, { timeout: 10_000 });
    assert.deepEqual(f.seen.get('/test.Echo/Big')!.body.subarray(5), Buffer.from(request));
    assert.deepEqual(reply, pattern(300_000, 200_000 & 0xff));
  });

  test('messages packed into one DATA frame and split across frames, then trailers', async () => {
    const stream = client.grpc.serverStream('/test.Echo/Split', new Uint8Array(0));
    const messages: Uint8Array[] = [];
    for await (const message of stream) messages.push(message);
    assert.deepEqual(messages, [pattern(10, 1), new Uint8Array(0), pattern(1000, 2)]);
  });

  test('server stream: read three messages, cancel; the server sees RST_STREAM(CANCEL)', async () => {
    const stream: GrpcServerStream = client.grpc.serverStream('/test.Echo/Stream', Uint8Array.of(7));
    const got: Uint8Array[] = [];
    for await (const message of stream) {
      got.push(message);
      if (got.length === 3) stream.cancel();
    }
    assert.deepEqual(got, [pattern(100, 0), pattern(100, 1), pattern(100, 2)]);
    await until(() => f.seen.get('/test.Echo/Stream')?.rstCode !== undefined, 'the server to see the reset');
    assert.equal(f.seen.get('/test.Echo/Stream')!.rstCode, http2.constants.NGHTTP2_CANCEL);
    // Leaving a for-await early cancels too.
    const again = client.grpc.serverStream('/test.Echo/Stream', Uint8Array.of(8));
    for await (const message of again) {
      assert.equal(message.length, 100);
      break;
    }
    assert.equal(client.h2.closed, false);
  });

  test('trailers-only error: status and percent-decoded message', async () => {
    const error = await rejection(client.grpc.unary('/test.Echo/Fail', new Uint8Array(0)));
    assert.ok(error instanceof GrpcError);
    assert.equal(error.code, GrpcStatus.NOT_FOUND);
    assert.equal(error.nodeCode, 5);
    assert.equal(error.statusName, 'NOT_FOUND');
    assert.equal(error.message, 'invoice not found: café 100%');
    // The same status ends a server stream's iteration with the error.
    const stream = client.grpc.serverStream('/test.Echo/Fail', new Uint8Array(0));
    await assert.rejects(async () => {
      for await (const _ of stream) assert.fail('no messages');
    }, GrpcError);
  });

  test('malformed replies: two messages to a unary call, a compressed message, no trailers, HTTP 404', async () => {
    const two = await rejection(client.grpc.unary('/test.Echo/Two', new Uint8Array(0)));
    assert.ok(two instanceof GrpcError && two.code === GrpcStatus.UNIMPLEMENTED, String(two));
    const compressed = await rejection(client.grpc.unary('/test.Echo/Compressed', new Uint8Array(0)));
    assert.ok(compressed instanceof WireError && compressed.code === 'PROTOCOL', String(compressed));
    const noTrailers = await rejection(client.grpc.unary('/test.Echo/NoTrailers', new Uint8Array(0)));
    assert.ok(noTrailers instanceof GrpcError && noTrailers.code === GrpcStatus.INTERNAL, String(noTrailers));
    const notFound = await rejection(client.grpc.unary('/test.Echo/NotFound', new Uint8Array(0)));
    assert.ok(notFound instanceof GrpcError && notFound.code === GrpcStatus.UNIMPLEMENTED, String(notFound));
    const unknown = await rejection(client.grpc.unary('/test.Echo/Nothing', new Uint8Array(0)));
    assert.ok(unknown instanceof GrpcError && unknown.code === GrpcStatus.UNIMPLEMENTED, String(unknown));
    assert.equal(client.h2.closed, false, 'stream-level failures leave the connection up');
  });

  test('timeout and AbortSignal fail the call with TIMEOUT and reset the stream', async () => {
    const timedOut = await rejection(client.grpc.unary('/test.Echo/Hang', new Uint8Array(0), { timeout: 100 }));
    assert.ok(timedOut instanceof WireError && timedOut.code === 'TIMEOUT', String(timedOut));
    await until(() => f.seen.get('/test.Echo/Hang')?.rstCode !== undefined, 'the server to see the reset');
    assert.equal(f.seen.get('/test.Echo/Hang')!.rstCode, http2.constants.NGHTTP2_CANCEL);
    assert.equal(f.seen.get('/test.Echo/Hang')!.headers['grpc-timeout'], '100m');

    const controller = new AbortController();
    const aborted = rejection(client.grpc.unary('/test.Echo/Hang', new Uint8Array(0), { signal: controller.signal }));
    controller.abort();
    const error = await aborted;
    assert.ok(error instanceof WireError && error.code === 'TIMEOUT', String(error));
    const already = await rejection(client.grpc.unary('/test.Echo/Unary', new Uint8Array(0), { signal: AbortSignal.abort() }));
    assert.ok(already instanceof WireError && already.code === 'TIMEOUT');
  });

  test('bad metadata and method names are refused before anything is sent', async () => {
    const bad: Record<string, string>[] = [{ 'Bad-Name': 'x' }, { te: 'x' }, { 'grpc-status': '0' }, { ok: 'line\nbreak' }];
    for (const metadata of bad) {
      const error = await rejection(client.grpc.unary('/test.Echo/Unary', new Uint8Array(0), { metadata }));
      assert.ok(error instanceof WireError && error.code === 'INVALID_ARGUMENT', JSON.stringify(metadata));
    }
    const error = await rejection(client.grpc.unary('no-slash', new Uint8Array(0)));
    assert.ok(error instanceof WireError && error.code === 'INVALID_ARGUMENT');
  });
});

describe("GOAWAY from Node's HTTP/2 server", () => {
  let f: Fixture;
  before(async () => {
    f = await startServer();
  });
  after(async () => {
    await stopServer(f);
  });

  test('streams above last-stream-id fail with CONNECTION, those below finish, new calls are refused', async () => {
    let goAway: [number, number] | undefined;
    const client = await connect(f, (last, code) => (goAway = [last, code]));
    try {
      // Stream 1 completes; stream 3 hangs; then the server goes away with last-stream-id 1.
      assert.deepEqual(await client.grpc.unary('/test.Echo/Unary', Uint8Array.of(5, 6)), Uint8Array.of(6, 5));
      const hanging = rejection(client.grpc.unary('/test.Echo/Hang', new Uint8Array(0)));
      await until(() => f.seen.has('/test.Echo/Hang'), 'the hanging call to arrive');
      const [session] = f.sessions;
      session!.goaway(http2.constants.NGHTTP2_NO_ERROR, 1);
      const error = await hanging;
      assert.ok(error instanceof Http2Error, String(error));
      assert.equal(error.code, 'CONNECTION');
      assert.equal(error.http2Code, Http2ErrorCode.NO_ERROR);
      assert.deepEqual(goAway, [1, 0]);
      const refused = await rejection(client.grpc.unary('/test.Echo/Unary', new Uint8Array(0)));
      assert.ok(refused instanceof WireError && refused.code === 'CONNECTION');
    } finally {
      client.h2.close();
      client.socket.destroy();
    }
  });

  test('a dropped connection fails calls in flight with CONNECTION', async () => {
    const client = await connect(f);
    const hanging = rejection(client.grpc.unary('/test.Echo/Hang', new Uint8Array(0)));
    const stream = client.grpc.serverStream('/test.Echo/Stream', new Uint8Array(0));
    const iteration = rejection(
      (async () => {
        for await (const _ of stream);
      })(),
    );
    await until(() => f.sessions.size > 0 && f.seen.has('/test.Echo/Stream'), 'the calls to arrive');
    for (const session of f.sessions) session.destroy();
    for (const error of [await hanging, await iteration]) {
      assert.ok(error instanceof WireError && error.code === 'CONNECTION', String(error));
    }
    assert.equal(client.h2.closed, true);
    client.socket.destroy();
  });
});
