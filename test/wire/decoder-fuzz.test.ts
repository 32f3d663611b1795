/**
 * Randomized hostile input at every decoder of the wire layer: each of FUZZ_N (10,000; 100,000 in `npm run fuzz`)
 * generated inputs must either decode or fail with a typed WireError/RpcError — never
 * another exception, never a hang. Seeds are fixed so a failure replays.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FUZZ_N } from '../fuzz-count.ts';
import { decodeReply } from '../../packages/wire/src/commando.ts';
import { RpcError, WireError } from '../../packages/wire/src/errors.ts';
import { decodeInit, decodeMessage, decodePing, encodeMessage } from '../../packages/wire/src/message.ts';
import { HandshakeError, InitiatorHandshake, NoiseTransport, ResponderHandshake, publicKeyOf } from '../../packages/wire/src/noise.ts';
import { prng, randomBytes } from './helpers.ts';
import { CLIENT_KEY, SERVER_KEY, responderHarness } from './peer-harness.ts';

const N = FUZZ_N;

function expectTyped(fn: () => unknown, accept: (e: unknown) => boolean): 'ok' | 'error' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    assert.ok(accept(e), `untyped failure: ${String(e)}`);
    return 'error';
  }
}

const isWire = (code?: string) => (e: unknown) => e instanceof WireError && (code === undefined || e.code === code);

/** Flips, truncates, extends or overwrites a valid input. */
function mutate(rand: () => number, valid: Uint8Array): Uint8Array {
  const out = new Uint8Array(valid);
  switch ((rand() * 4) | 0) {
    case 0:
      out[(rand() * out.length) | 0]! ^= 1 << ((rand() * 8) | 0);
      return out;
    case 1:
      return out.subarray(0, (rand() * out.length) | 0);
    case 2:
      return new Uint8Array([...out, ...randomBytes(rand, 1 + ((rand() * 8) | 0))]);
    default:
      out.set(randomBytes(rand, 4), (rand() * (out.length - 4)) | 0);
      return out;
  }
}

describe(`decoder fuzz (${N.toLocaleString('en')} inputs each)`, () => {
  test('Lightning message decoders: type, init, ping', () => {
    const rand = prng(1);
    const counts = { ok: 0, error: 0 };
    for (let i = 0; i < N; i++) {
      const bytes = randomBytes(rand, (rand() * 64) | 0);
      for (const decode of [decodeMessage, decodeInit, decodePing]) counts[expectTyped(() => decode(bytes), isWire('PROTOCOL'))]++;
    }
    assert.ok(counts.error > 0 && counts.ok > 0);
  });

  test('handshake act one, two and three readers', () => {
    const rand = prng(2);
    // One handshake object takes every input: a failed read may leave it spent, but its
    // readers must still only throw typed errors. (A fresh one each time costs two EC ops.)
    const responderOne = new ResponderHandshake({ localPrivateKey: SERVER_KEY });
    const responder = () => responderOne;
    const initiator = new InitiatorHandshake({ localPrivateKey: CLIENT_KEY, remotePublicKey: publicKeyOf(SERVER_KEY) });
    const validActOne = initiator.actOne();
    const isHandshake = (e: unknown) => e instanceof HandshakeError;
    let accepted = 0;
    // Most random inputs fail cheaply at the version byte or the point; 1 in 20 is a
    // mutated valid act, which reaches the ECDH and the MAC.
    for (let i = 0; i < N; i++) {
      const input = rand() < 0.05 ? mutate(rand, validActOne) : randomBytes(rand, rand() < 0.5 ? 50 : (rand() * 80) | 0);
      if (rand() < 0.5 && input.length > 1) input[0] = 0;
      if (expectTyped(() => responder().readActOne(input), isHandshake) === 'ok') accepted++;
    }
    assert.ok(accepted < N / 100, 'almost nothing random passes act one');
    const act2 = () => {
      const hs = new InitiatorHandshake({ localPrivateKey: CLIENT_KEY, remotePublicKey: publicKeyOf(SERVER_KEY) });
      hs.actOne();
      return hs;
    };
    const hs2 = act2();
    for (let i = 0; i < N; i++) {
      const input = randomBytes(rand, rand() < 0.5 ? 50 : (rand() * 80) | 0);
      if (rand() < 0.5 && input.length > 1) input[0] = 0;
      // A failed read leaves the handshake unusable, but readActTwo on it must still only throw typed errors.
      expectTyped(() => hs2.readActTwo(input), isHandshake);
    }
    const r3 = new ResponderHandshake({ localPrivateKey: SERVER_KEY });
    r3.readActOne(validActOne);
    r3.actTwo();
    for (let i = 0; i < N; i++) {
      const input = randomBytes(rand, rand() < 0.5 ? 66 : (rand() * 100) | 0);
      if (rand() < 0.5 && input.length > 1) input[0] = 0;
      expectTyped(() => r3.readActThree(input), isHandshake);
    }
  });

  test('BOLT 8 frame decryption: random and mutated frames fail with BAD_MAC', () => {
    const rand = prng(3);
    const key = randomBytes(rand, 32);
    const ck = randomBytes(rand, 32);
    for (let i = 0; i < N; i++) {
      const sender = new NoiseTransport(key, key, ck, new Uint8Array(33));
      const receiver = new NoiseTransport(key, key, ck, new Uint8Array(33));
      const frame = sender.encrypt(encodeMessage(0x4c4f, randomBytes(rand, (rand() * 100) | 0)));
      const bad = rand() < 0.5 ? mutate(rand, frame) : randomBytes(rand, frame.length);
      const result = expectTyped(() => {
        const length = receiver.decryptLength(bad.subarray(0, 18));
        receiver.decryptBody(bad.subarray(18, 18 + length + 16));
      }, isWire('BAD_MAC'));
      // Only an unchanged prefix can pass; a real change must be caught.
      if (result === 'ok') assert.deepEqual(bad.subarray(0, frame.length), frame);
    }
  });

  test('a live peer fed random streams closes with a typed error and never throws', () => {
    const rand = prng(4);
    const codes = new Map<string, number>();
    for (let i = 0; i < 120; i++) {
      const h = responderHarness({ init: rand() < 0.5 });
      for (let k = 0; k < 40 && !h.closed; k++) h.socket.feed(randomBytes(rand, (rand() * 300) | 0));
      if (h.closed) {
        const code = h.closed.error?.code ?? 'clean';
        assert.ok(h.closed.error instanceof WireError, `untyped close ${String(h.closed.error)}`);
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    }
    assert.ok((codes.get('BAD_MAC') ?? 0) > 100, JSON.stringify([...codes]));
  });

  test('commando reply decoder', () => {
    const rand = prng(5);
    const fragments = [
      '{',
      '}',
      '[',
      ']',
      '"result"',
      '"error"',
      '"code"',
      '"message"',
      ':',
      ',',
      '1',
      '-32602',
      '1e400',
      '9007199254740993',
      'null',
      'true',
      '"x"',
      '\\u0000',
      '"\\ud800"',
    ];
    const encoder = new TextEncoder();
    let results = 0;
    for (let i = 0; i < N; i++) {
      let bytes: Uint8Array;
      if (rand() < 0.3) bytes = randomBytes(rand, (rand() * 64) | 0);
      else {
        let text = '';
        const parts = (rand() * 12) | 0;
        for (let k = 0; k < parts; k++) text += fragments[(rand() * fragments.length) | 0];
        if (rand() < 0.3) text = `{"result":${text}}`;
        if (rand() < 0.2) text = `{"error":{"code":${text || 1},"message":"m"}}`;
        bytes = encoder.encode(text);
      }
      if (
        expectTyped(
          () => decodeReply('fuzz', bytes),
          (e) => e instanceof RpcError || isWire('BAD_REPLY')(e),
        ) === 'ok'
      )
        results++;
    }
    assert.ok(results > 0);
    // Deep nesting and huge arrays are no exception to the rule.
    expectTyped(() => decodeReply('deep', encoder.encode('['.repeat(200_000))), isWire('BAD_REPLY'));
    assert.equal((decodeReply('wide', encoder.encode(`{"result":[${'0,'.repeat(100_000)}0]}`)) as number[]).length, 100_001);
  });
});
