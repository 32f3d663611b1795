/**
 * The HTTP/2 client under a scripted peer that breaks the rules (RFC 9113): every violation
 * ends in a typed error — the connection closed with GOAWAY and a PROTOCOL Http2Error, or
 * only the stream reset when the rule is a stream-level one — and `receive` never throws.
 * Also what we send: frames within the peer's MAX_FRAME_SIZE, DATA within its windows,
 * large header blocks split into CONTINUATION, writes within one LNC Noise message.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { concatBytes, toHex } from '../../packages/wire/src/bytes.ts';
import { WireError } from '../../packages/wire/src/errors.ts';
import { GrpcClient } from '../../packages/wire/src/lnc/grpc.ts';
import { HpackDecoder, HpackEncoder, type HeaderField } from '../../packages/wire/src/lnc/hpack.ts';
import {
  CONNECTION_PREFACE,
  Http2Connection,
  Http2Error,
  Http2ErrorCode,
  type Http2ConnectionOptions,
} from '../../packages/wire/src/lnc/http2.ts';
import { parseFrames as parse, type Frame } from './lnc-fixtures.ts';

const DATA = 0;
const HEADERS = 1;
const RST_STREAM = 3;
const SETTINGS = 4;
const PUSH_PROMISE = 5;
const PING = 6;
const GOAWAY = 7;
const WINDOW_UPDATE = 8;
const CONTINUATION = 9;

function frame(type: number, flags: number, stream: number, payload: Uint8Array | number[] = []): Uint8Array {
  const body = Uint8Array.from(payload);
  const out = new Uint8Array(9 + body.length);
  out[0] = body.length >>> 16;
  out[1] = (body.length >>> 8) & 0xff;
  out[2] = body.length & 0xff;
  out[3] = type;
  out[4] = flags;
  new DataView(out.buffer).setUint32(5, stream);
  out.set(body, 9);
  return out;
}

const u32 = (value: number) => {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0);
  return out;
};
const setting = (id: number, value: number) => [id >> 8, id & 0xff, ...u32(value)];
const okHeaders: HeaderField[] = [
  [':status', '200'],
  ['content-type', 'application/grpc'],
];
const encoder = new HpackEncoder();
const grpcMessage = (message: number[]) => [0, ...u32(message.length), ...message];

/** A client connection whose peer is this test: `feed` sends it frames, `sent` returns what it wrote since the last look. */
function setup(options: Partial<Http2ConnectionOptions> = {}) {
  const writes: Uint8Array[] = [];
  let closed: { error?: WireError } | undefined;
  const h2 = new Http2Connection({
    write: (bytes) => writes.push(new Uint8Array(bytes)),
    onClose: (error) => (closed = { error }),
    ...options,
  });
  h2.start();
  const preface = concatBytes(...writes.splice(0));
  assert.equal(toHex(preface.subarray(0, 24)), toHex(CONNECTION_PREFACE));
  const feed = (...frames: Uint8Array[]) => {
    // A hostile peer must never make receive throw.
    assert.doesNotThrow(() => h2.receive(concatBytes(...frames)));
  };
  feed(frame(SETTINGS, 0, 0));
  const settingsAck = parse(concatBytes(...writes.splice(0)));
  return {
    h2,
    feed,
    settingsAck,
    grpc: new GrpcClient(h2, { timeout: 0 }),
    writes,
    sent: () => parse(concatBytes(...writes.splice(0))),
    closed: () => closed,
    preface: parse(preface.subarray(24)),
  };
}

/** Asserts the connection ended with GOAWAY(code) and a PROTOCOL Http2Error carrying the code. */
function assertConnectionError(peer: ReturnType<typeof setup>, code: number): void {
  const goAway = peer.sent().find((f) => f.type === GOAWAY);
  assert.ok(goAway, 'GOAWAY sent');
  assert.equal(new DataView(goAway.payload.buffer, goAway.payload.byteOffset).getUint32(4), code, 'GOAWAY code');
  const error = peer.closed()?.error;
  assert.ok(error instanceof Http2Error, `closed with ${String(error)}`);
  assert.equal(error.code, 'PROTOCOL');
  assert.equal(error.http2Code, code);
  assert.equal(peer.h2.closed, true);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('HTTP/2 client: what it sends', () => {
  test('preface, SETTINGS (push off, our windows, header list limit) and a connection WINDOW_UPDATE', () => {
    const peer = setup({ initialWindowSize: 1 << 20, connectionWindowSize: 1 << 24 });
    const [settings, windowUpdate] = peer.preface;
    assert.equal(settings!.type, SETTINGS);
    assert.equal(toHex(settings!.payload), toHex(Uint8Array.from([...setting(2, 0), ...setting(4, 1 << 20), ...setting(6, 65_536)])));
    assert.equal(windowUpdate!.type, WINDOW_UPDATE);
    assert.equal(toHex(windowUpdate!.payload), toHex(u32((1 << 24) - 65_535)));
    // The peer's SETTINGS is acknowledged, its PING answered with the same bytes.
    assert.deepEqual(
      peer.settingsAck.map((f) => [f.type, f.flags, f.payload.length]),
      [[SETTINGS, 1, 0]],
    );
    peer.feed(frame(PING, 0, 0, [1, 2, 3, 4, 5, 6, 7, 8]), frame(PING, 1, 0, [9, 9, 9, 9, 9, 9, 9, 9]));
    const sent = peer.sent();
    assert.equal(sent.length, 1, 'a PING ACK is not answered');
    assert.deepEqual([sent[0]!.type, sent[0]!.flags, toHex(sent[0]!.payload)], [PING, 1, '0102030405060708']);
  });

  test("DATA stays within the peer's windows and frame size; WINDOW_UPDATE and SETTINGS release more", async () => {
    const peer = setup();
    const body = Uint8Array.from({ length: 100_000 }, (_, i) => i & 0xff);
    const stream = peer.h2.request([[':method', 'POST']], { onHeaders() {}, onData() {}, onClose() {} }, { body, endStream: true });
    let data = peer.sent().filter((f) => f.type === DATA);
    assert.deepEqual(
      data.map((f) => f.payload.length),
      [16_384, 16_384, 16_384, 16_383],
      'the 65 535-byte windows, in frames of at most 16 384',
    );
    // More stream window alone does not help: the connection window is spent too.
    peer.feed(frame(WINDOW_UPDATE, 0, stream.id, u32(50_000)));
    assert.equal(peer.sent().filter((f) => f.type === DATA).length, 0);
    peer.feed(frame(WINDOW_UPDATE, 0, 0, u32(20_000)));
    data = peer.sent().filter((f) => f.type === DATA);
    assert.deepEqual(
      data.map((f) => f.payload.length),
      [16_384, 3_616],
    );
    // A bigger frame size and window from SETTINGS: the rest goes at once, ending the stream.
    peer.feed(frame(SETTINGS, 0, 0, [...setting(5, 65_536), ...setting(4, 200_000)]), frame(WINDOW_UPDATE, 0, 0, u32(100_000)));
    data = peer.sent().filter((f) => f.type === DATA);
    assert.deepEqual(
      data.map((f) => [f.payload.length, f.flags]),
      [[100_000 - 65_535 - 20_000, 1]],
    );
  });

  test('a peer MAX_FRAME_SIZE over 64 KiB: frames still fit one write (one LNC Noise message of 65 535 bytes)', () => {
    const peer = setup();
    peer.feed(frame(SETTINGS, 0, 0, [...setting(5, 1 << 20), ...setting(4, 1 << 20)]), frame(WINDOW_UPDATE, 0, 0, u32(1 << 20)));
    peer.sent();
    peer.h2.request(
      [[':method', 'POST']],
      { onHeaders() {}, onData() {}, onClose() {} },
      { body: new Uint8Array(200_000), endStream: true },
    );
    assert.ok(peer.writes.every((w) => w.length <= 65_535));
    const data = peer.sent().filter((f) => f.type === DATA);
    assert.deepEqual(
      data.map((f) => f.payload.length),
      [65_526, 65_526, 65_526, 3_422],
    );
  });

  test('a header block larger than the frame size goes as HEADERS + CONTINUATION; every write fits one Noise message', () => {
    const peer = setup();
    const big = '~'.repeat(40_000); // 13 bits in Huffman, so sent plain: 40 000 octets
    const grpc = new GrpcClient(peer.h2, { metadata: { macaroon: big } });
    void grpc.unary('/a.B/C', new Uint8Array(0), { timeout: 0 }).catch(() => {});
    assert.ok(peer.writes.every((w) => w.length <= 65_535));
    const sent = peer.sent();
    assert.deepEqual(
      sent.map((f) => [f.type, f.flags]),
      [
        [HEADERS, 0],
        [CONTINUATION, 0],
        [CONTINUATION, 4],
        [DATA, 1],
      ],
    );
    const block = concatBytes(...sent.slice(0, 3).map((f) => f.payload));
    const fields = new Map(new HpackDecoder({ maxHeaderListSize: 1 << 20 }).decode(block));
    assert.equal(fields.get('macaroon'), big);
    assert.equal(fields.get(':path'), '/a.B/C');
    peer.h2.close();
  });

  test('a peer limit on header list size and on concurrent streams is respected', async () => {
    const peer = setup();
    peer.feed(frame(SETTINGS, 0, 0, [...setting(6, 400), ...setting(3, 1)]));
    const tooBig = await rejection(peer.grpc.unary('/a.B/C', new Uint8Array(0), { metadata: { x: 'y'.repeat(200) } }));
    assert.ok(tooBig instanceof WireError && tooBig.code === 'INVALID_ARGUMENT', String(tooBig));
    const first = rejection(peer.grpc.unary('/a.B/C', new Uint8Array(0)));
    const second = await rejection(peer.grpc.unary('/a.B/D', new Uint8Array(0)));
    assert.ok(second instanceof WireError && second.code === 'CONNECTION', String(second));
    peer.h2.close();
    assert.ok((await first) instanceof WireError);
  });
});

describe('HTTP/2 client: connection errors', () => {
  const cases: [string, number, (peer: ReturnType<typeof setup>) => Uint8Array[]][] = [
    ['a frame over 16 384 bytes', Http2ErrorCode.FRAME_SIZE_ERROR, () => [frame(DATA, 0, 1, new Uint8Array(16_385))]],
    ['DATA on stream 0', Http2ErrorCode.PROTOCOL_ERROR, () => [frame(DATA, 0, 0, [1])]],
    ['DATA on a stream never opened', Http2ErrorCode.PROTOCOL_ERROR, () => [frame(DATA, 0, 7, [1])]],
    ['HEADERS on an even (server) stream', Http2ErrorCode.PROTOCOL_ERROR, () => [frame(HEADERS, 4, 2, encoder.encode(okHeaders))]],
    ['PUSH_PROMISE', Http2ErrorCode.PROTOCOL_ERROR, () => [frame(PUSH_PROMISE, 4, 1, [0, 0, 0, 2, 0x82])]],
    ['CONTINUATION without HEADERS', Http2ErrorCode.PROTOCOL_ERROR, () => [frame(CONTINUATION, 4, 1, [0x88])]],
    [
      'a header block interrupted by PING',
      Http2ErrorCode.PROTOCOL_ERROR,
      () => [frame(HEADERS, 0, 1, [0x88]), frame(PING, 0, 0, new Uint8Array(8))],
    ],
    ['a header block HPACK cannot decode', Http2ErrorCode.COMPRESSION_ERROR, () => [frame(HEADERS, 4, 1, [0x80])]],
    ['PING of 7 bytes', Http2ErrorCode.FRAME_SIZE_ERROR, () => [frame(PING, 0, 0, new Uint8Array(7))]],
    ['PING on a stream', Http2ErrorCode.PROTOCOL_ERROR, () => [frame(PING, 0, 1, new Uint8Array(8))]],
    ['SETTINGS of 5 bytes', Http2ErrorCode.FRAME_SIZE_ERROR, () => [frame(SETTINGS, 0, 0, new Uint8Array(5))]],
    ['SETTINGS ACK with a payload', Http2ErrorCode.FRAME_SIZE_ERROR, () => [frame(SETTINGS, 1, 0, new Uint8Array(6))]],
    ['MAX_FRAME_SIZE below 16 384', Http2ErrorCode.PROTOCOL_ERROR, () => [frame(SETTINGS, 0, 0, setting(5, 100))]],
    ['INITIAL_WINDOW_SIZE past 2^31-1', Http2ErrorCode.FLOW_CONTROL_ERROR, () => [frame(SETTINGS, 0, 0, setting(4, 0x80000000))]],
    ['connection WINDOW_UPDATE past 2^31-1', Http2ErrorCode.FLOW_CONTROL_ERROR, () => [frame(WINDOW_UPDATE, 0, 0, u32(0x7fffffff))]],
    ['connection WINDOW_UPDATE of 0', Http2ErrorCode.PROTOCOL_ERROR, () => [frame(WINDOW_UPDATE, 0, 0, u32(0))]],
    ['RST_STREAM of 3 bytes', Http2ErrorCode.FRAME_SIZE_ERROR, () => [frame(RST_STREAM, 0, 1, [0, 0, 8])]],
    ['GOAWAY of 4 bytes', Http2ErrorCode.FRAME_SIZE_ERROR, () => [frame(GOAWAY, 0, 0, [0, 0, 0, 1])]],
    [
      'padding longer than the frame',
      Http2ErrorCode.PROTOCOL_ERROR,
      () => [frame(HEADERS, 4, 1, encoder.encode(okHeaders)), frame(DATA, 8, 1, [9, 1, 2])],
    ],
    [
      'endless CONTINUATION',
      Http2ErrorCode.ENHANCE_YOUR_CALM,
      () => [
        frame(HEADERS, 0, 1, [0x88]),
        ...Array.from({ length: 40 }, () => frame(CONTINUATION, 0, 1, new Uint8Array(16_384).fill(0x88))),
      ],
    ],
  ];
  for (const [name, code, frames] of cases) {
    test(name, async () => {
      const peer = setup({ initialWindowSize: 65_535, connectionWindowSize: 65_535 });
      const call = rejection(peer.grpc.unary('/a.B/C', new Uint8Array(0)));
      peer.sent();
      peer.feed(...frames(peer));
      assertConnectionError(peer, code);
      const error = await call;
      assert.ok(error instanceof Http2Error && error.http2Code === code, `the call failed with ${String(error)}`);
      // Nothing more is read or sent once closed.
      peer.feed(frame(PING, 0, 0, new Uint8Array(8)));
      assert.equal(peer.sent().length, 0);
    });
  }

  test('the first frame must be SETTINGS', () => {
    const writes: Uint8Array[] = [];
    let error: WireError | undefined;
    const h2 = new Http2Connection({ write: (b) => writes.push(b), onClose: (e) => (error = e) });
    h2.start();
    h2.receive(frame(PING, 0, 0, new Uint8Array(8)));
    assert.ok(error instanceof Http2Error && error.http2Code === Http2ErrorCode.PROTOCOL_ERROR);
  });

  test('random bytes after SETTINGS: receive never throws, and the connection ends typed or survives', () => {
    let seed = 99;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    for (let run = 0; run < 300; run++) {
      const peer = setup();
      void peer.grpc.unary('/a.B/C', new Uint8Array(0)).catch(() => {});
      // Plausible frames: small lengths, types 0–10, streams 0–3, random flags and payloads.
      const frames = Array.from({ length: 1 + (random() % 6) }, () =>
        frame(random() % 11, random(), random() % 4, Uint8Array.from({ length: random() % 24 }, random)),
      );
      peer.feed(...frames);
      const error = peer.closed()?.error;
      if (error) assert.ok(error instanceof Http2Error && error.code === 'PROTOCOL', String(error));
      peer.h2.close();
    }
  });
});

describe('HTTP/2 client: stream errors leave the connection up', () => {
  test('RST_STREAM from the peer fails that call with CONNECTION and its code', async () => {
    const peer = setup();
    const call = rejection(peer.grpc.unary('/a.B/C', new Uint8Array(0)));
    peer.feed(frame(RST_STREAM, 0, 1, u32(Http2ErrorCode.REFUSED_STREAM)));
    const error = await call;
    assert.ok(error instanceof Http2Error);
    assert.equal(error.code, 'CONNECTION');
    assert.equal(error.http2Code, Http2ErrorCode.REFUSED_STREAM);
    assert.equal(peer.h2.closed, false);
    assert.equal(peer.h2.activeStreams, 0);
  });

  test('trailers without END_STREAM, DATA before headers, a stream WINDOW_UPDATE of 0: RST_STREAM(PROTOCOL_ERROR) for that stream', async () => {
    const peer = setup();
    const bad: Uint8Array[][] = [
      [frame(HEADERS, 4, 1, encoder.encode(okHeaders)), frame(HEADERS, 4, 1, encoder.encode([['grpc-status', '0']]))],
      [frame(DATA, 0, 3, grpcMessage([1]))],
      [frame(WINDOW_UPDATE, 0, 5, u32(0))],
      [
        frame(
          HEADERS,
          5,
          7,
          encoder.encode([
            [':status', '200'],
            [':path', '/x'],
          ]),
        ),
      ],
      [frame(HEADERS, 5, 9, encoder.encode([['content-type', 'application/grpc']]))],
      [
        frame(
          HEADERS,
          5,
          11,
          encoder.encode([
            [':status', '200'],
            ['Upper', 'x'],
          ]),
        ),
      ],
    ];
    for (const frames of bad) {
      const call = rejection(peer.grpc.unary('/a.B/C', new Uint8Array(0)));
      const id = peer.sent().find((f) => f.type === HEADERS)!.stream;
      peer.feed(...frames);
      const error = await call;
      assert.ok(error instanceof Http2Error && error.code === 'PROTOCOL', `stream ${id}: ${String(error)}`);
      const reset = peer.sent().find((f) => f.type === RST_STREAM);
      assert.ok(reset, `stream ${id} reset`);
      assert.equal(reset.stream, id);
      assert.equal(toHex(reset.payload), toHex(u32(Http2ErrorCode.PROTOCOL_ERROR)));
    }
    assert.equal(peer.h2.closed, false);
    // The connection still works: a well-formed reply on a new stream.
    const call = peer.grpc.unary('/a.B/C', new Uint8Array(0));
    const id = peer.sent().find((f) => f.type === HEADERS)!.stream;
    peer.feed(
      frame(HEADERS, 4, id, encoder.encode(okHeaders)),
      frame(DATA, 0, id, grpcMessage([4, 2])),
      frame(HEADERS, 5, id, encoder.encode([['grpc-status', '0']])),
    );
    assert.deepEqual(await call, Uint8Array.of(4, 2));
  });

  test('frames for a stream we cancelled are ignored, but their bytes still count against the connection window', async () => {
    const peer = setup({ initialWindowSize: 65_535, connectionWindowSize: 65_535 });
    const stream = peer.grpc.serverStream('/a.B/C', new Uint8Array(0));
    peer.feed(frame(HEADERS, 4, 1, encoder.encode(okHeaders)));
    peer.sent();
    stream.cancel();
    assert.deepEqual(
      peer.sent().map((f) => [f.type, f.stream, toHex(f.payload)]),
      [[RST_STREAM, 1, '00000008']],
    );
    // 40 000 bytes in flight arrive after the reset: a WINDOW_UPDATE on the connection only.
    peer.feed(
      frame(DATA, 0, 1, new Uint8Array(16_000)),
      frame(DATA, 0, 1, new Uint8Array(16_000)),
      frame(DATA, 0, 1, new Uint8Array(8000)),
    );
    const updates = peer.sent().filter((f) => f.type === WINDOW_UPDATE);
    assert.deepEqual(
      updates.map((f) => f.stream),
      [0],
    );
    assert.equal(peer.h2.closed, false);
    const messages: Uint8Array[] = [];
    for await (const message of stream) messages.push(message);
    assert.deepEqual(messages, []);
  });

  test('a slow reader holds back the stream window: the peer can send at most one window ahead', async () => {
    const peer = setup({ initialWindowSize: 65_535 });
    const stream = peer.grpc.serverStream('/a.B/C', new Uint8Array(0));
    peer.feed(frame(HEADERS, 4, 1, encoder.encode(okHeaders)));
    peer.sent();
    const message = grpcMessage(Array.from({ length: 10_000 }, (_, i) => i & 0xff));
    // Six messages (60 030 bytes) nobody reads yet: only the first frame's bytes are credited back.
    for (let i = 0; i < 6; i++) peer.feed(frame(DATA, 0, 1, message));
    assert.equal(peer.sent().filter((f) => f.type === WINDOW_UPDATE && f.stream === 1).length, 0);
    // The seventh would pass the window: the peer must not send it, and if it does, the stream is reset.
    const iterator = stream[Symbol.asyncIterator]();
    for (let i = 0; i < 6; i++) assert.equal((await iterator.next()).value?.length, 10_000);
    const updates = peer.sent().filter((f) => f.type === WINDOW_UPDATE && f.stream === 1);
    assert.equal(updates.length, 1, 'the window reopens once the reader has caught up');
    stream.cancel();
  });

  test('DATA past the stream window resets the stream with FLOW_CONTROL_ERROR', async () => {
    const peer = setup({ initialWindowSize: 65_535 });
    const stream = peer.grpc.serverStream('/a.B/C', new Uint8Array(0));
    peer.feed(frame(HEADERS, 4, 1, encoder.encode(okHeaders)));
    peer.sent();
    // Nobody reads: after the first frame, credit is held back, and the fourth full frame is one byte too many.
    const full = frame(DATA, 0, 1, grpcMessage(new Array(16_379).fill(1)));
    peer.feed(full, full, full, full);
    const reset = peer.sent().find((f) => f.type === RST_STREAM);
    assert.ok(reset);
    assert.equal(toHex(reset.payload), toHex(u32(Http2ErrorCode.FLOW_CONTROL_ERROR)));
    await assert.rejects(
      async () => {
        for await (const _ of stream);
      },
      (e: unknown) => e instanceof Http2Error && e.http2Code === Http2ErrorCode.FLOW_CONTROL_ERROR,
    );
    assert.equal(peer.h2.closed, false);
  });
});
