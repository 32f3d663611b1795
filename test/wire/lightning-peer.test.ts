import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { concatBytes } from '../../packages/wire/src/bytes.ts';
import { WireError } from '../../packages/wire/src/errors.ts';
import { MessageType, encodeInit, encodeMessage, encodePing } from '../../packages/wire/src/message.ts';
import { HandshakeError, publicKeyOf } from '../../packages/wire/src/noise.ts';
import { Peer } from '../../packages/wire/src/peer.ts';
import { prng, randomBytes, scriptedSocket } from './helpers.ts';
import { CLIENT_KEY, SERVER_KEY, responderHarness } from './peer-harness.ts';

function ping(numPongBytes: number, ignored = 0): Uint8Array {
  return encodePing(numPongBytes, ignored).subarray(2);
}

describe('Lightning peer: init exchange', () => {
  test('the responder sends init right after the handshake and becomes ready on ours', () => {
    const h = responderHarness();
    const sent = h.received();
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.type, MessageType.INIT);
    assert.equal(h.ready, false);
    h.send(MessageType.INIT, encodeInit(new Uint8Array(0)).subarray(2));
    assert.equal(h.ready, true);
    assert.equal(h.peer.remoteNodeId, Buffer.from(publicKeyOf(CLIENT_KEY)).toString('hex'));
  });

  test('a first message other than init closes the connection with PROTOCOL', () => {
    const h = responderHarness();
    h.send(MessageType.PING, ping(4));
    assert.equal(h.closed?.error?.code, 'PROTOCOL');
    assert.equal(h.socket.closed, true);
  });

  test('init requiring an unknown feature bit closes the connection', () => {
    const h = responderHarness();
    const features = new Uint8Array(13); // bit 100 is in byte 12 from the end
    features[0] = 1 << (100 - 96);
    h.send(MessageType.INIT, encodeInit(features).subarray(2));
    assert.equal(h.closed?.error?.code, 'PROTOCOL');
  });

  test("init with Core Lightning's own feature bits is accepted", () => {
    const h = responderHarness();
    h.send(MessageType.INIT, encodeInit(Buffer.from('0898880a8a59a1', 'hex')).subarray(2));
    assert.equal(h.ready, true);
    assert.equal(h.closed, undefined);
  });
});

describe('Lightning peer: ping, pong and unknown types', () => {
  test('a ping is answered with a pong of the requested length', () => {
    const h = responderHarness({ init: true });
    h.received();
    h.send(MessageType.PING, ping(10, 3));
    const [pong] = h.received();
    assert.equal(pong!.type, MessageType.PONG);
    assert.equal((pong!.payload[0]! << 8) | pong!.payload[1]!, 10);
    assert.equal(pong!.payload.length, 12);
  });

  test('a ping asking for 65532 or more bytes gets no pong (BOLT 1)', () => {
    const h = responderHarness({ init: true });
    h.received();
    h.send(MessageType.PING, ping(65532));
    assert.deepEqual(h.received(), []);
    assert.equal(h.closed, undefined);
  });

  test('unknown odd types are passed up and the connection stays', () => {
    const h = responderHarness({ init: true });
    h.send(0x8001, Uint8Array.of(1, 2, 3));
    assert.equal(h.closed, undefined);
    assert.deepEqual(
      h.messages.map((m) => m.type),
      [0x8001],
    );
  });

  test('an unknown even type closes the connection with PROTOCOL', () => {
    const h = responderHarness({ init: true });
    h.send(0x8000, Uint8Array.of(1));
    assert.equal(h.closed?.error?.code, 'PROTOCOL');
  });

  test('a truncated ping closes with PROTOCOL rather than throwing', () => {
    const h = responderHarness({ init: true });
    h.send(MessageType.PING, Uint8Array.of(0));
    assert.equal(h.closed?.error?.code, 'PROTOCOL');
  });
});

describe('Lightning peer: the byte stream', () => {
  test('any split of the bytes across frames yields the same messages', () => {
    const rand = prng(7);
    for (let round = 0; round < 20; round++) {
      const h = responderHarness();
      const payloads = Array.from({ length: 30 }, (_, i) => randomBytes(rand, i % 5 === 0 ? 60_000 : (rand() * 300) | 0));
      const stream = concatBytes(
        h.transport.encrypt(encodeInit(new Uint8Array(0))),
        ...payloads.map((p) => h.transport.encrypt(encodeMessage(0x4c4f, p))),
      );
      for (let at = 0; at < stream.length;) {
        const size = rand() < 0.3 ? 1 : 1 + ((rand() * 5000) | 0);
        h.socket.feed(stream.subarray(at, at + size));
        at += size;
      }
      assert.equal(h.closed, undefined);
      assert.equal(h.messages.length, payloads.length);
      h.messages.forEach((m, i) => assert.deepEqual(m.payload, payloads[i]));
    }
  });

  test('a flipped bit in a frame closes with BAD_MAC', () => {
    const h = responderHarness({ init: true });
    const frame = h.transport.encrypt(encodeMessage(0x4c4f, new Uint8Array(40)));
    frame[25]! ^= 1;
    h.socket.feed(frame);
    assert.equal(h.closed?.error?.code, 'BAD_MAC');
  });

  test('a half frame waits, and a close then reports CONNECTION', () => {
    const h = responderHarness({ init: true });
    const frame = h.transport.encrypt(encodeMessage(0x4c4f, new Uint8Array(40)));
    h.socket.feed(frame.subarray(0, 30));
    assert.equal(h.closed, undefined);
    h.socket.onClose(new WireError('CONNECTION', 'gone'));
    const closed = h.closed as { error?: WireError } | undefined;
    assert.equal(closed?.error?.code, 'CONNECTION');
  });
});

describe('Lightning peer: hostile handshakes', () => {
  function responder() {
    const socket = scriptedSocket();
    let closed: WireError | undefined;
    new Peer(
      socket,
      { role: 'responder', localPrivateKey: SERVER_KEY },
      {
        onReady: () => assert.fail('must not become ready'),
        onMessage: () => {},
        onClose: (error) => (closed = error),
      },
    );
    return { socket, closed: () => closed };
  }

  const validActOne = Buffer.from(
    '00036360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f70df6086551151f58b8afe6c195782c6a',
    'hex',
  );

  for (const [name, mutate, reason] of [
    ['wrong version byte', (b: Uint8Array) => (b[0] = 1), 'ACT1_BAD_VERSION'],
    ['a point not on the curve', (b: Uint8Array) => (b[1] = 4), 'ACT1_BAD_PUBKEY'],
    ['a bad MAC', (b: Uint8Array) => (b[49]! ^= 1), 'ACT1_BAD_TAG'],
  ] as const) {
    test(`act one with ${name} closes with HANDSHAKE ${reason}`, () => {
      const r = responder();
      const act = new Uint8Array(validActOne);
      mutate(act);
      r.socket.feed(act);
      const error = r.closed();
      assert.ok(error instanceof HandshakeError, String(error));
      assert.equal(error.code, 'HANDSHAKE');
      assert.equal(error.reason, reason);
      assert.equal(r.socket.closed, true);
    });
  }

  test('a short act one waits for more and sends nothing', () => {
    const r = responder();
    r.socket.feed(validActOne.subarray(0, 49));
    assert.equal(r.closed(), undefined);
    assert.equal(r.socket.sent.length, 0);
  });
});
