/**
 * LNC's Noise handshakes against vectors-handshake.json (made by running the unmodified
 * lightning-node-connect Go code with fixed keys): every act of XX at versions 0, 1 and 2
 * and of KK, written and read in both roles, byte for byte, with h and ck after each act;
 * the transport samples; BOLT 8's rotation run; then the failures: wrong pairing phrase,
 * altered bytes, unknown versions, calls out of turn.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromHex, textEncoder, toHex } from '../../packages/wire/src/bytes.ts';
import { WireError } from '../../packages/wire/src/errors.ts';
import { NoiseTransport, publicKeyOf } from '../../packages/wire/src/noise.ts';
import {
  LncHandshakeError,
  LncInitiator,
  LncResponder,
  type LncHandshakeFailure,
  type LncHandshakeOptions,
  type LncResponderOptions,
} from '../../packages/wire/src/lnc/handshake.ts';
import { deriveSpake2N, SPAKE2_N_HEX, spake2Mask, spake2PasswordScalar, spake2Unmask } from '../../packages/wire/src/lnc/spake2.ts';
import { LncMessageDecoder } from '../../packages/wire/src/lnc/transport.ts';
import { lncFixture } from './lnc-fixtures.ts';

interface Act {
  act: number;
  from: 'client' | 'server';
  wire: string;
  after: { h: string; ck: string };
}
interface TransportMessage {
  dir: 'client->server' | 'server->client';
  index: number;
  plaintext_hex: string;
  wire: string;
}
interface HandshakeVector {
  pattern: string;
  protocol_name: string;
  acts: Act[];
  auth_data_ascii: string;
  client_received_auth_data: string;
  client_static_priv: string;
  client_static_pub: string;
  server_static_priv: string;
  server_static_pub: string;
  client_ephemeral_priv: string;
  client_ephemeral_pub: string;
  server_ephemeral_priv: string;
  server_ephemeral_pub: string;
  client_versions?: [number, number];
  server_versions?: [number, number];
  negotiated_version_client?: number;
  negotiated_version_server?: number;
  negotiated_version?: number;
  final_ck: string;
  transport: { messages: TransportMessage[] };
}

const vectors = lncFixture('vectors-handshake.json') as {
  spake2: Record<string, string | boolean>;
  xx_v0: HandshakeVector;
  xx_v1: HandshakeVector;
  xx_v2: HandshakeVector;
  kk_v2: HandshakeVector;
  bolt8_transport_rotation: Record<string, string | boolean>;
};

const PASSWORD = fromHex(vectors.spake2.pw_stretched as string);
const XX = { v0: vectors.xx_v0, v1: vectors.xx_v1, v2: vectors.xx_v2 };

function clientOptions(v: HandshakeVector, password = PASSWORD): LncHandshakeOptions {
  const common = { localPrivateKey: fromHex(v.client_static_priv), ephemeralPrivateKey: fromHex(v.client_ephemeral_priv) };
  if (v.pattern === 'KK') return { ...common, remotePublicKey: fromHex(v.server_static_pub) };
  return { ...common, password, minVersion: v.client_versions![0], maxVersion: v.client_versions![1] };
}

function serverOptions(v: HandshakeVector, password = PASSWORD): LncResponderOptions {
  const common = {
    localPrivateKey: fromHex(v.server_static_priv),
    ephemeralPrivateKey: fromHex(v.server_ephemeral_priv),
    authData: textEncoder.encode(v.auth_data_ascii),
  };
  if (v.pattern === 'KK') return { ...common, remotePublicKey: fromHex(v.client_static_pub) };
  return { ...common, password, minVersion: v.server_versions![0], maxVersion: v.server_versions![1] };
}

function assertState(snapshot: { h: Uint8Array; ck: Uint8Array }, act: Act, who: string): void {
  assert.equal(toHex(snapshot.h), act.after.h, `${who}: h after act ${act.act}`);
  assert.equal(toHex(snapshot.ck), act.after.ck, `${who}: ck after act ${act.act}`);
}

/** Plays the client against the vector's recorded server acts. */
function runClient(v: HandshakeVector): LncInitiator {
  const client = new LncInitiator(clientOptions(v));
  const [a1, a2, a3] = v.acts as [Act, Act, Act | undefined];
  assert.equal(toHex(client.actOne()), a1.wire, 'act 1 bytes');
  assertState(client.snapshot(), a1, 'client');
  client.readActTwo(fromHex(a2.wire));
  assertState(client.snapshot(), a2, 'client');
  if (a3) {
    assert.equal(client.done, false);
    assert.equal(toHex(client.actThree()), a3.wire, 'act 3 bytes');
    assertState(client.snapshot(), a3, 'client');
  }
  assert.equal(client.done, true);
  return client;
}

/** Plays the server against the vector's recorded client acts. */
function runServer(v: HandshakeVector): LncResponder {
  const server = new LncResponder(serverOptions(v));
  const [a1, a2, a3] = v.acts as [Act, Act, Act | undefined];
  server.readActOne(fromHex(a1.wire));
  assertState(server.snapshot(), a1, 'server');
  assert.equal(toHex(server.actTwo()), a2.wire, 'act 2 bytes');
  assertState(server.snapshot(), a2, 'server');
  if (a3) {
    assert.equal(server.done, false);
    server.readActThree(fromHex(a3.wire));
    assertState(server.snapshot(), a3, 'server');
  }
  assert.equal(server.done, true);
  return server;
}

function checkTransport(v: HandshakeVector, client: LncInitiator, server: LncResponder): void {
  const c = client.finish().transport;
  const s = server.finish().transport;
  for (const m of v.transport.messages) {
    const [sender, receiver] = m.dir === 'client->server' ? [c, s] : [s, c];
    assert.equal(toHex(sender.encrypt(fromHex(m.plaintext_hex))), m.wire, `${m.dir} message ${m.index}`);
    const decoder = new LncMessageDecoder(receiver);
    assert.deepEqual(decoder.push(fromHex(m.wire)).map(toHex), [m.plaintext_hex]);
  }
}

function expectFailure(run: () => unknown, act: number, reasons: LncHandshakeFailure[]): LncHandshakeError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof LncHandshakeError, `a typed handshake error, got ${String(error)}`);
    assert.ok(error instanceof WireError);
    assert.equal(error.code, 'HANDSHAKE');
    assert.equal(error.act, act, error.message);
    assert.ok(reasons.includes(error.reason), `reason ${error.reason} not in ${reasons.join(', ')}: ${error.message}`);
    return error;
  }
  assert.fail(`act ${act} should have failed`);
}

describe('LNC SPAKE2 (vectors-handshake.json spake2)', () => {
  const s = vectors.spake2;
  test('N is derived from "Lightning Node Connect" at counter 1', () => {
    assert.equal(toHex(deriveSpake2N()), s.N);
    assert.equal(SPAKE2_N_HEX, s.N);
  });
  test('the password scalar is the scrypt output reduced mod n', () => {
    assert.equal(spake2PasswordScalar(PASSWORD).toString(16).padStart(64, '0'), s.pw_scalar_mod_n);
  });
  test('mask: me = e + pw·N, and unmask gives e back', () => {
    const e = fromHex(s.ephemeral_pub as string);
    assert.equal(toHex(publicKeyOf(fromHex(s.ephemeral_priv as string))), s.ephemeral_pub);
    const me = spake2Mask(e, PASSWORD);
    assert.equal(toHex(me), s.masked_ephemeral_me);
    assert.equal(toHex(spake2Unmask(me, PASSWORD)), s.ephemeral_pub);
  });
  test('unmasking with another password gives another point', () => {
    const other = PASSWORD.slice();
    other[0]! ^= 1;
    assert.notEqual(toHex(spake2Unmask(fromHex(s.masked_ephemeral_me as string), other)), s.ephemeral_pub);
  });
  test('a masked key that is not a point is a typed error', () => {
    const bad = fromHex(s.masked_ephemeral_me as string);
    bad[0] = 5;
    assert.throws(
      () => spake2Unmask(bad, PASSWORD),
      (e: unknown) => e instanceof WireError && e.code === 'HANDSHAKE',
    );
  });
});

for (const [name, v] of Object.entries(XX)) {
  describe(`LNC XX handshake ${name} (server versions ${v.server_versions!.join('..')})`, () => {
    test('initial h and ck', () => {
      const client = new LncInitiator(clientOptions(v));
      const initial = (v as unknown as { initial_state: { h: string; ck: string } }).initial_state;
      assert.equal(toHex(client.snapshot().h), initial.h);
      assert.equal(toHex(client.snapshot().ck), initial.ck);
    });
    test('client role: writes acts 1 and 3 byte for byte, reads act 2', () => {
      const result = runClient(v).finish();
      assert.equal(result.version, v.negotiated_version_client);
      assert.equal(result.pattern, 'XX');
      assert.equal(toHex(result.remotePublicKey), v.server_static_pub);
      assert.equal(new TextDecoder().decode(result.authData), v.client_received_auth_data);
    });
    test('server role: reads acts 1 and 3, writes act 2 byte for byte', () => {
      const result = runServer(v).finish();
      assert.equal(result.version, v.negotiated_version_server);
      assert.equal(toHex(result.remotePublicKey), v.client_static_pub);
    });
    test('both roles end on the same final ck and h, and the transport samples match', () => {
      const client = runClient(v);
      const server = runServer(v);
      assert.equal(toHex(client.snapshot().ck), v.final_ck);
      assert.deepEqual(client.finish().handshakeHash, server.finish().handshakeHash);
      checkTransport(v, client, server);
    });
  });
}

describe('LNC KK handshake v2 (vectors-handshake.json kk_v2)', () => {
  const v = vectors.kk_v2;
  test('initial h and ck (after the two pre-message keys)', () => {
    const initial = (v as unknown as { initial_state: { h: string; ck: string } }).initial_state;
    for (const side of [new LncInitiator(clientOptions(v)), new LncResponder(serverOptions(v))]) {
      assert.equal(toHex(side.snapshot().h), initial.h);
      assert.equal(toHex(side.snapshot().ck), initial.ck);
    }
  });
  test('client role: writes act 1, reads act 2', () => {
    const result = runClient(v).finish();
    assert.equal(result.pattern, 'KK');
    assert.equal(result.version, v.negotiated_version);
    assert.equal(new TextDecoder().decode(result.authData), v.client_received_auth_data);
  });
  test('server role: reads act 1, writes act 2', () => {
    assert.equal(runServer(v).finish().version, v.negotiated_version);
  });
  test('final ck and transport samples', () => {
    const client = runClient(v);
    const server = runServer(v);
    assert.equal(toHex(client.snapshot().ck), v.final_ck);
    checkTransport(v, client, server);
  });
  test('KK has no act three', () => {
    const client = runClient(v);
    expectFailure(() => client.actThree(), 3, ['OUT_OF_ORDER']);
  });
});

describe('LNC transport = BOLT 8 transport (bolt8_transport_rotation)', () => {
  test('1002 "hello" messages across two key rotations', () => {
    const r = vectors.bolt8_transport_rotation;
    assert.equal(r.matches_bolt8, true);
    // BOLT 8 appendix A, initiator after act three: sk, rk and ck.
    const transport = new NoiseTransport(
      fromHex('969ab31b4d288cedf6218839b27a3e2140827047f2c0f01bf5c04435d43511a9'),
      fromHex('bb9020b8965f4df047e07f955f3c4b88418984aadc5cdb35096b9ea8fa5c3442'),
      fromHex('919219dbb2920afa8db80f9a51787a840bcf111ed8d588caf9ab4be716e42b01'),
      new Uint8Array(33),
    );
    const hello = textEncoder.encode('hello');
    let checked = 0;
    for (let i = 0; i <= 1001; i++) {
      const wire = transport.encrypt(hello);
      if (r[String(i)] !== undefined) {
        assert.equal(toHex(wire), r[String(i)], `message ${i}`);
        checked++;
      }
    }
    assert.equal(checked, 6);
  });
});

describe('LNC handshake failures', () => {
  const v = vectors.xx_v2;
  const [a1, a2, a3] = v.acts as [Act, Act, Act];

  test('wrong pairing phrase: the server fails act 1 authentication', () => {
    const wrong = PASSWORD.slice();
    wrong[31]! ^= 0x40;
    const server = new LncResponder(serverOptions(v, wrong));
    const error = expectFailure(() => server.readActOne(fromHex(a1.wire)), 1, ['BAD_TAG']);
    assert.match(error.message, /pairing phrase/);
    // The failed handshake is dead: the next act is refused, not computed.
    expectFailure(() => server.actTwo(), 2, ['OUT_OF_ORDER']);
  });

  test('wrong pairing phrase end to end: honest server, client with another password', () => {
    const other = fromHex('1c69a1967edff953babf2a04e919c841d74e942cc2f4c754de831a787196e5b2');
    const client = new LncInitiator(clientOptions(v, other));
    const server = new LncResponder(serverOptions(v));
    expectFailure(() => server.readActOne(client.actOne()), 1, ['BAD_TAG']);
  });

  test('every altered byte of act 1 is caught by the server', () => {
    const wire = fromHex(a1.wire);
    for (let i = 1; i < wire.length; i++) {
      const bad = wire.slice();
      bad[i]! ^= 0x01;
      const server = new LncResponder(serverOptions(v));
      expectFailure(() => server.readActOne(bad), 1, ['BAD_TAG', 'BAD_KEY']);
    }
  });

  test('every altered byte of act 2 is caught by the client', () => {
    const wire = fromHex(a2.wire);
    for (let i = 1; i < wire.length; i++) {
      const bad = wire.slice();
      bad[i]! ^= 0x01;
      const client = new LncInitiator(clientOptions(v));
      client.actOne();
      expectFailure(() => client.readActTwo(bad), 2, ['BAD_TAG', 'BAD_KEY', 'BAD_PAYLOAD']);
    }
  });

  test('altered bytes of a version-0 act 2 (500-byte block) are caught', () => {
    const v0 = vectors.xx_v0;
    const wire = fromHex(v0.acts[1]!.wire);
    for (let i = 1; i < wire.length; i += 7) {
      const bad = wire.slice();
      bad[i]! ^= 0x80;
      const client = new LncInitiator(clientOptions(v0));
      client.actOne();
      expectFailure(() => client.readActTwo(bad), 2, ['BAD_TAG', 'BAD_KEY']);
    }
  });

  test('every altered byte of act 3 is caught by the server', () => {
    const wire = fromHex(a3.wire);
    for (let i = 1; i < wire.length; i++) {
      const bad = wire.slice();
      bad[i]! ^= 0x01;
      const server = new LncResponder(serverOptions(v));
      server.readActOne(fromHex(a1.wire));
      server.actTwo();
      expectFailure(() => server.readActThree(bad), 3, ['BAD_TAG', 'BAD_KEY']);
    }
  });

  test('altered KK acts are caught in both roles', () => {
    const kk = vectors.kk_v2;
    const [k1, k2] = kk.acts.map((a) => fromHex(a.wire)) as [Uint8Array, Uint8Array];
    for (let i = 1; i < k1.length; i++) {
      const bad = k1.slice();
      bad[i]! ^= 0x01;
      expectFailure(() => new LncResponder(serverOptions(kk)).readActOne(bad), 1, ['BAD_TAG', 'BAD_KEY']);
    }
    for (let i = 1; i < k2.length; i += 3) {
      const bad = k2.slice();
      bad[i]! ^= 0x01;
      const client = new LncInitiator(clientOptions(kk));
      client.actOne();
      expectFailure(() => client.readActTwo(bad), 2, ['BAD_TAG', 'BAD_KEY', 'BAD_PAYLOAD']);
    }
  });

  test('a KK act 1 from an unknown client key fails authentication', () => {
    const kk = vectors.kk_v2;
    const stranger = { ...clientOptions(kk), localPrivateKey: fromHex('11'.repeat(32)) };
    const act = new LncInitiator(stranger).actOne();
    expectFailure(() => new LncResponder(serverOptions(kk)).readActOne(act), 1, ['BAD_TAG']);
  });

  test('short, long and empty acts are BAD_LENGTH', () => {
    const wire = fromHex(a1.wire);
    expectFailure(() => new LncResponder(serverOptions(v)).readActOne(wire.subarray(0, 49)), 1, ['BAD_LENGTH']);
    expectFailure(() => new LncResponder(serverOptions(v)).readActOne(new Uint8Array([...wire, 0])), 1, ['BAD_LENGTH']);
    expectFailure(() => new LncResponder(serverOptions(v)).readActOne(new Uint8Array(0)), 1, ['BAD_LENGTH']);
    const client = new LncInitiator(clientOptions(v));
    client.actOne();
    expectFailure(() => client.readActTwo(fromHex(a2.wire).subarray(0, 100)), 2, ['BAD_LENGTH', 'BAD_PAYLOAD']);
  });

  test('unknown versions are refused in acts 1 and 2; act 3 must repeat act 2 version', () => {
    const act1 = fromHex(a1.wire);
    act1[0] = 3;
    expectFailure(() => new LncResponder(serverOptions(v)).readActOne(act1), 1, ['BAD_VERSION']);
    act1[0] = 0xff;
    expectFailure(() => new LncResponder(serverOptions(v)).readActOne(act1), 1, ['BAD_VERSION']);

    const act2 = fromHex(a2.wire);
    act2[0] = 3;
    const client = new LncInitiator(clientOptions(v));
    client.actOne();
    expectFailure(() => client.readActTwo(act2), 2, ['BAD_VERSION']);

    const act3 = fromHex(a3.wire);
    act3[0] = 1;
    const server = new LncResponder(serverOptions(v));
    server.readActOne(fromHex(a1.wire));
    server.actTwo();
    expectFailure(() => server.readActThree(act3), 3, ['BAD_VERSION']);
  });

  test('a client limited to version 2 refuses a version-1 server', () => {
    const client = new LncInitiator({ ...clientOptions(v), minVersion: 2 });
    const server = new LncResponder({ ...serverOptions(v), maxVersion: 1 });
    // The client opens at its minimum, 2, which a [0,1] server refuses.
    expectFailure(() => server.readActOne(client.actOne()), 1, ['BAD_VERSION']);
    // And a [2,2] client reading a version-1 act 2 refuses it.
    const client2 = new LncInitiator({ ...clientOptions(v), minVersion: 2 });
    client2.actOne();
    expectFailure(() => client2.readActTwo(fromHex(vectors.xx_v1.acts[1]!.wire)), 2, ['BAD_VERSION']);
  });

  test('calls out of turn are OUT_OF_ORDER', () => {
    const client = new LncInitiator(clientOptions(v));
    expectFailure(() => client.readActTwo(fromHex(a2.wire)), 2, ['OUT_OF_ORDER']);
    expectFailure(() => client.finish(), 1, ['OUT_OF_ORDER']);
    client.actOne();
    expectFailure(() => client.actOne(), 1, ['OUT_OF_ORDER']);
  });

  test('bad options are INVALID_ARGUMENT', () => {
    const isInvalid = (e: unknown) => e instanceof WireError && e.code === 'INVALID_ARGUMENT';
    const base = clientOptions(v);
    assert.throws(() => new LncInitiator({ localPrivateKey: base.localPrivateKey }), isInvalid);
    assert.throws(() => new LncInitiator({ ...base, remotePublicKey: fromHex(v.server_static_pub) }), isInvalid);
    assert.throws(() => new LncInitiator({ ...base, password: new Uint8Array(31) }), isInvalid);
    assert.throws(() => new LncInitiator({ ...base, maxVersion: 3 }), isInvalid);
    assert.throws(() => new LncInitiator({ ...base, minVersion: 2, maxVersion: 1 }), isInvalid);
    assert.throws(() => new LncResponder({ ...serverOptions(v), maxVersion: 0, authData: new Uint8Array(499) }), isInvalid);
  });
});

describe('LNC version negotiation (upstream TestHandshake matrix, random keys)', () => {
  const cases: { server: [number, number]; client: [number, number]; expect: number; authBytes?: number }[] = [
    { server: [0, 0], client: [0, 0], expect: 0 },
    { server: [1, 1], client: [1, 1], expect: 1, authBytes: 3 * 1024 * 1024 },
    { server: [0, 0], client: [0, 1], expect: 0 },
    { server: [0, 1], client: [0, 1], expect: 1 },
    { server: [0, 2], client: [0, 2], expect: 2 },
  ];
  for (const c of cases) {
    test(`server ${c.server.join('..')}, client ${c.client.join('..')} → version ${c.expect}`, () => {
      const authData = new Uint8Array(c.authBytes ?? 40).fill(0xab);
      const clientKey = fromHex('21'.repeat(32));
      const serverKey = fromHex('42'.repeat(32));
      const client = new LncInitiator({ localPrivateKey: clientKey, password: PASSWORD, minVersion: c.client[0], maxVersion: c.client[1] });
      const server = new LncResponder({
        localPrivateKey: serverKey,
        password: PASSWORD,
        minVersion: c.server[0],
        maxVersion: c.server[1],
        authData,
      });
      server.readActOne(client.actOne());
      client.readActTwo(server.actTwo());
      server.readActThree(client.actThree());
      const [cr, sr] = [client.finish(), server.finish()];
      assert.equal(cr.version, c.expect);
      assert.equal(sr.version, c.expect);
      assert.deepEqual(cr.authData, authData);
      assert.deepEqual(cr.remotePublicKey, publicKeyOf(serverKey));
      assert.deepEqual(sr.remotePublicKey, publicKeyOf(clientKey));
      const message = textEncoder.encode('GET / over LNC');
      assert.deepEqual(new LncMessageDecoder(sr.transport).push(cr.transport.encrypt(message)), [message]);
      if (c.expect === 2) {
        // After a v2 pairing both sides know each other's key: the next connection is KK.
        const kkClient = new LncInitiator({ localPrivateKey: clientKey, remotePublicKey: cr.remotePublicKey });
        const kkServer = new LncResponder({ localPrivateKey: serverKey, remotePublicKey: sr.remotePublicKey, authData });
        kkServer.readActOne(kkClient.actOne());
        kkClient.readActTwo(kkServer.actTwo());
        assert.equal(kkClient.finish().version, 2);
        assert.deepEqual(kkClient.finish().authData, authData);
        const reply = textEncoder.encode('reply');
        assert.deepEqual(new LncMessageDecoder(kkClient.finish().transport).push(kkServer.finish().transport.encrypt(reply)), [reply]);
      }
    });
  }
});

describe('LncMessageDecoder', () => {
  test('messages split across, or packed into, MsgData payloads in any way', () => {
    const key = (b: number) => new Uint8Array(32).fill(b);
    const sender = new NoiseTransport(key(1), key(2), key(3), new Uint8Array(33));
    const receiver = new NoiseTransport(key(2), key(1), key(3), new Uint8Array(33));
    const messages = Array.from({ length: 40 }, (_, i) => new Uint8Array(i * 37).fill(i));
    const stream = Uint8Array.from(messages.flatMap((m) => [...sender.encrypt(m)]));
    const decoder = new LncMessageDecoder(receiver);
    const got: Uint8Array[] = [];
    // Chunk sizes cycle through 1, 18, 7, 100…: headers and bodies land on every kind of boundary.
    const sizes = [1, 18, 7, 100, 17, 19, 3, 250];
    for (let offset = 0, i = 0; offset < stream.length; i++) {
      const size = sizes[i % sizes.length]!;
      got.push(...decoder.push(stream.subarray(offset, offset + size)));
      offset += size;
    }
    assert.equal(decoder.buffered, 0);
    assert.deepEqual(got, messages);
  });
  test('an altered message is a BAD_MAC error', () => {
    const key = (b: number) => new Uint8Array(32).fill(b);
    const sender = new NoiseTransport(key(1), key(2), key(3), new Uint8Array(33));
    const receiver = new NoiseTransport(key(2), key(1), key(3), new Uint8Array(33));
    const wire = sender.encrypt(textEncoder.encode('hello'));
    wire[20]! ^= 1;
    assert.throws(
      () => new LncMessageDecoder(receiver).push(wire),
      (e: unknown) => e instanceof WireError && e.code === 'BAD_MAC',
    );
  });
});
