/**
 * connectLnc() end to end, against the test mailbox and the test LNC endpoint (litd's part,
 * with Node's own HTTP/2 server behind the Noise channel): a pairing with the phrase, unary
 * and streaming calls (a stream cancelled mid-way, the server seeing the cancel), a gRPC
 * error, a reply past the flow-control windows, the keys handed back; a killed socket
 * mid-call (the call fails with CONNECTION and is not sent again, the client reconnects
 * with KK); a second client with the stored keys; and the failures a UI must tell apart:
 * session not found (wrong or used phrase, unknown keys, revoked session), session in use,
 * and a malformed phrase refused before any socket opens.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { textEncoder, toHex } from '../../packages/wire/src/bytes.ts';
import { WireError } from '../../packages/wire/src/errors.ts';
import { connectLnc, LncConnectionError, type LncClient, type LncConnectionState } from '../../packages/wire/src/lnc/client.ts';
import { GrpcError } from '../../packages/wire/src/lnc/grpc.ts';
import { pairingPhraseFromEntropy, pairingSessionId, staticKeysSessionId, streamIdsOf } from '../../packages/wire/src/lnc/phrase.ts';
import { NodeWebSocket } from '../../packages/wire/src/node.ts';
import { publicKeyOf } from '../../packages/wire/src/noise.ts';
import type { WebSocketConstructor } from '../../packages/wire/src/socket.ts';
import { startTestMailbox, type TestMailbox } from './lnc-mailbox-server.ts';
import { startTestEndpoint, TestGrpcStatus, type TestEndpoint, type TestHandler } from './lnc-test-endpoint.ts';

const GET_INFO = '/lnrpc.Lightning/GetInfo';
const SUBSCRIBE = '/invoicesrpc.Invoices/SubscribeSingleInvoice';
const SEND_TO_ROUTE = '/routerrpc.Router/SendToRouteV2';
const LIST_INVOICES = '/lnrpc.Lightning/ListInvoices';
const HANG = '/test.Slow/Hang';

/** Short go-back-N timers on both sides, so drops are noticed in well under a second. */
const GBN = { handshakeTimeoutMs: 200, resendTimeoutMs: 100, pingMs: 300, pongTimeoutMs: 300 };

const handlers: Record<string, TestHandler> = {
  // Echoes the request reversed, so the reply proves the request arrived whole.
  [GET_INFO]: (request, call) => call.send(request.slice().reverse()),
  [SUBSCRIBE]: async (request, call) => {
    for (let i = 0; !call.signal.aborted; i++) {
      call.send(Uint8Array.of(request[0] ?? 0, i));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  },
  [SEND_TO_ROUTE]: () => {
    throw new TestGrpcStatus(2, 'no route found');
  },
  [LIST_INVOICES]: (request, call) => call.send(new Uint8Array(300_000).fill(request[0] ?? 7)),
  [HANG]: (_request, call) => new Promise<void>((resolve) => call.signal.addEventListener('abort', () => resolve())),
};

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms))),
  ]);
}

async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function stateReached(client: LncClient, state: LncConnectionState): Promise<void> {
  if (client.state === state) return Promise.resolve();
  return new Promise((resolve) => {
    const off = client.on('state', (s) => {
      if (s === state) {
        off();
        resolve();
      }
    });
  });
}

let mailbox: TestMailbox;
const clients: LncClient[] = [];
const endpoints: TestEndpoint[] = [];

function common() {
  return {
    mailbox: mailbox.url,
    WebSocket: NodeWebSocket,
    gbn: GBN,
    connectTimeout: 5000,
    reconnect: { attempts: 4, minDelay: 20, maxDelay: 100 },
  };
}

async function track(client: Promise<LncClient>): Promise<LncClient> {
  const c = await client;
  clients.push(c);
  return c;
}

async function endpoint(label: string): Promise<TestEndpoint> {
  const e = await startTestEndpoint({ mailbox, handlers, entropy: sha256(textEncoder.encode(label)), gbn: GBN });
  endpoints.push(e);
  return e;
}

function isLncFailure(reason: LncConnectionError['reason']) {
  return (error: unknown) => {
    assert.ok(error instanceof LncConnectionError, `expected an LncConnectionError, got ${String(error)}`);
    assert.equal(error.reason, reason);
    return true;
  };
}

before(async () => {
  mailbox = await startTestMailbox();
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
});

after(async () => {
  for (const e of endpoints.splice(0)) await e.close();
  await mailbox.close();
  // Nothing may be left running: a socket or a timer would keep the whole test run alive.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const left = process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap' || r === 'Timeout');
  assert.deepEqual(left, [], 'sockets or timers left open');
});

describe('connectLnc: a paired session', () => {
  let litd: TestEndpoint;
  let paired: LncClient;

  before(async () => {
    litd = await endpoint('lnc-client paired session');
  });

  test('pairing with the phrase: a unary call goes through, the keys come back, the macaroon rides along', async () => {
    const states: LncConnectionState[] = [];
    paired = await connectLnc({ ...common(), pairingPhrase: litd.phrase, reconnect: { attempts: 4, minDelay: 20, maxDelay: 100 } });
    paired.on('state', (s) => states.push(s));
    assert.equal(paired.state, 'open');
    const reply = await paired.unary(GET_INFO, Uint8Array.of(1, 2, 3));
    assert.deepEqual([...reply], [3, 2, 1]);
    assert.deepEqual(litd.handshakes, ['XX']);
    assert.equal(paired.keys?.remotePublicKey, toHex(litd.publicKey));
    assert.equal(paired.keys?.mailbox, mailbox.url);
    assert.equal(toHex(publicKeyOf(Buffer.from(paired.keys!.localPrivateKey, 'hex'))), toHex(litd.clientKey!));
    assert.equal(paired.authData, 'Macaroon: 0201036c6e6402f801030a10');
    assert.equal(litd.calls.at(-1)?.macaroon, '0201036c6e6402f801030a10');
    assert.deepEqual(states, []);
  });

  test('a server stream, cancelled after three messages: the server sees the cancel, the link lives on', async () => {
    const stream = paired.serverStream(SUBSCRIBE, Uint8Array.of(9));
    const got: number[][] = [];
    for await (const message of stream) {
      got.push([...message]);
      if (got.length === 3) stream.cancel();
    }
    assert.deepEqual(got, [
      [9, 0],
      [9, 1],
      [9, 2],
    ]);
    await until(() => litd.cancelled.includes(SUBSCRIBE), 3000, 'the server seeing the cancel');
    assert.deepEqual([...(await paired.unary(GET_INFO, Uint8Array.of(4, 5)))], [5, 4]);
  });

  test('a gRPC error comes back as GrpcError; a 300 kB reply passes the flow-control windows', async () => {
    await assert.rejects(paired.unary(SEND_TO_ROUTE, new Uint8Array(0)), (error: unknown) => {
      assert.ok(error instanceof GrpcError);
      assert.equal(error.code, 2);
      assert.equal(error.message, 'no route found');
      return true;
    });
    const big = await paired.unary(LIST_INVOICES, Uint8Array.of(42));
    assert.equal(big.length, 300_000);
    assert.ok(big.every((b) => b === 42));
  });

  test('a timeout and an abort fail the call with TIMEOUT; the server is told to stop', async () => {
    await assert.rejects(paired.unary(HANG, new Uint8Array(0), { timeout: 100 }), (e: unknown) => (e as WireError).code === 'TIMEOUT');
    const controller = new AbortController();
    const call = paired.unary(HANG, new Uint8Array(0), { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(call, (e: unknown) => (e as WireError).code === 'TIMEOUT');
    await until(() => litd.cancelled.filter((m) => m === HANG).length === 2, 3000, 'both cancels');
  });

  test('sockets killed mid-call: the call fails with CONNECTION, is not sent again, and the client reconnects with KK', async () => {
    const states: [LncConnectionState, string | undefined][] = [];
    let waiting: Promise<Uint8Array> | undefined;
    const off = paired.on('state', (s, e) => {
      states.push([s, (e as LncConnectionError | undefined)?.reason]);
      // A call made while the link is down waits for the reconnection.
      if (s === 'reconnecting') waiting ??= paired.unary(GET_INFO, Uint8Array.of(1, 0), { timeout: 5000 });
    });
    const before = litd.calls.filter((c) => c.method === HANG).length;
    const call = paired.unary(HANG, new Uint8Array(0), { timeout: 10_000 });
    const failure = call.then(
      () => assert.fail('the call must fail'),
      (error: unknown) => error,
    );
    await until(() => litd.calls.filter((c) => c.method === HANG).length === before + 1, 3000, 'the call reaching litd');
    mailbox.kill();
    const error = await within(failure, 3000, 'the call failing');
    assert.ok(error instanceof LncConnectionError, String(error));
    assert.equal(error.code, 'CONNECTION');
    assert.equal(error.reason, 'NOT_CONNECTED');
    await within(stateReached(paired, 'open'), 5000, 'the reconnection');
    off();
    assert.deepEqual(states, [
      ['reconnecting', 'NOT_CONNECTED'],
      ['open', undefined],
    ]);
    assert.deepEqual(litd.handshakes, ['XX', 'KK']);
    assert.deepEqual([...(await within(waiting!, 3000, 'the waiting call'))], [0, 1]);
    assert.deepEqual([...(await paired.unary(GET_INFO, Uint8Array.of(6, 7)))], [7, 6]);
    assert.equal(litd.calls.filter((c) => c.method === HANG).length, before + 1, 'the failed call was not sent again');
  });

  test('a second client with the same keys while the first is connected (another tab): SESSION_IN_USE; the first carries on', async () => {
    await assert.rejects(connectLnc({ ...common(), keys: paired.keys! }), isLncFailure('SESSION_IN_USE'));
    assert.equal(paired.state, 'open');
    assert.deepEqual([...(await paired.unary(GET_INFO, Uint8Array.of(2, 3)))], [3, 2]);
  });

  test('after the client closes, a second client with the stored keys connects (KK); the phrase no longer works', async () => {
    const keys = paired.keys!;
    paired.close();
    assert.equal(paired.state, 'closed');
    await assert.rejects(paired.unary(GET_INFO, new Uint8Array(0)), (e: unknown) => (e as WireError).code === 'CONNECTION');
    const second = await track(connectLnc({ ...common(), keys }));
    assert.equal(litd.handshakes.at(-1), 'KK');
    assert.deepEqual([...(await second.unary(GET_INFO, Uint8Array.of(8, 9)))], [9, 8]);
    second.close();
    await assert.rejects(connectLnc({ ...common(), pairingPhrase: litd.phrase }), isLncFailure('SESSION_NOT_FOUND'));
  });

  test('a session revoked while connected: the link drops and reconnection ends in failed, SESSION_NOT_FOUND', async () => {
    const client = await track(connectLnc({ ...common(), keys: paired.keys! }));
    const failed = new Promise<LncConnectionError>((resolve) =>
      client.on('state', (s, e) => {
        if (s === 'failed') resolve(e as LncConnectionError);
      }),
    );
    const stream = client.serverStream(SUBSCRIBE, Uint8Array.of(1));
    const iterator = stream[Symbol.asyncIterator]();
    assert.deepEqual([...(await iterator.next()).value!], [1, 0]);
    litd.killSession();
    // The open stream ends with the link's error; its owner would open it again.
    await assert.rejects(
      (async () => {
        for (;;) if ((await iterator.next()).done) return;
      })(),
      (e: unknown) => e instanceof LncConnectionError && e.code === 'CONNECTION',
    );
    const error = await within(failed, 5000, 'failed');
    assert.equal(error.reason, 'SESSION_NOT_FOUND');
    assert.equal(client.state, 'failed');
    const late = client.serverStream(SUBSCRIBE, Uint8Array.of(1));
    await assert.rejects(late[Symbol.asyncIterator]().next(), (e: unknown) => (e as WireError).code === 'CONNECTION');
  });
});

describe('connectLnc: litd not answering', () => {
  test('close() while the client reconnects to a litd that is gone ends the attempt at once', async () => {
    const litd = await endpoint('lnc-client litd goes away');
    const client = await track(connectLnc({ ...common(), pairingPhrase: litd.phrase }));
    await client.unary(GET_INFO, new Uint8Array(0)); // litd has read act three: the session is on KK now
    await litd.close(); // stops listening; the session's streams stay in the mailbox
    const reconnecting = stateReached(client, 'reconnecting');
    mailbox.kill();
    await within(reconnecting, 3000, 'reconnecting');
    // The KK attempt now waits for a SYN nobody sends; close() must not wait for its timeout.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const sockets = mailbox.sockets;
    assert.ok(sockets >= 2, `the attempt holds its two sockets (${sockets})`);
    client.close();
    assert.equal(client.state, 'closed');
    await until(() => mailbox.sockets === 0, 2000, 'the sockets closing');
  });

  test('streams that exist but nobody serves: NOT_CONNECTED with code TIMEOUT after connectTimeout', async () => {
    const keys = {
      localPrivateKey: sha256(textEncoder.encode('silent client')),
      remotePublicKey: publicKeyOf(sha256(textEncoder.encode('silent litd'))),
    };
    const sid = staticKeysSessionId(keys.localPrivateKey, keys.remotePublicKey);
    mailbox.createSession(sid);
    await assert.rejects(connectLnc({ ...common(), keys, connectTimeout: 500 }), (error: unknown) => {
      assert.ok(error instanceof LncConnectionError);
      assert.equal(error.reason, 'NOT_CONNECTED');
      assert.equal(error.code, 'TIMEOUT');
      return true;
    });
  });
});

describe('connectLnc: what a UI must tell apart', () => {
  test('a phrase with no session (wrong phrase, expired or revoked session, litd offline): SESSION_NOT_FOUND', async () => {
    const phrase = pairingPhraseFromEntropy(sha256(textEncoder.encode('no such session')).slice(0, 14));
    await assert.rejects(connectLnc({ ...common(), pairingPhrase: phrase }), isLncFailure('SESSION_NOT_FOUND'));
  });

  test('keys of a session the mailbox does not know: SESSION_NOT_FOUND', async () => {
    const keys = {
      localPrivateKey: sha256(textEncoder.encode('unknown client')),
      remotePublicKey: publicKeyOf(sha256(textEncoder.encode('unknown litd'))),
    };
    await assert.rejects(connectLnc({ ...common(), keys }), isLncFailure('SESSION_NOT_FOUND'));
  });

  test('a session another tab holds: SESSION_IN_USE', async () => {
    const entropy = sha256(textEncoder.encode('session in use')).slice(0, 14);
    entropy[13]! &= 0xfc;
    const streams = streamIdsOf(pairingSessionId(entropy));
    mailbox.createSession(streams.receive);
    const release = mailbox.occupy(streams.receive, 'read');
    try {
      await assert.rejects(connectLnc({ ...common(), pairingPhrase: pairingPhraseFromEntropy(entropy) }), isLncFailure('SESSION_IN_USE'));
    } finally {
      release();
    }
  });

  test('a malformed phrase (nine words, an unknown word) is INVALID_ARGUMENT before any socket opens', async () => {
    let opened = 0;
    const Counting = class extends (NodeWebSocket as unknown as new (url: string) => object) {
      constructor(url: string) {
        opened++;
        super(url);
      }
    } as unknown as WebSocketConstructor;
    const ten = 'fringe try aim absurd minute lunch refuse spend keen math';
    for (const phrase of [ten.split(' ').slice(0, 9).join(' '), ten.replace('lunch', 'lunchbox')]) {
      await assert.rejects(
        connectLnc({ ...common(), WebSocket: Counting, pairingPhrase: phrase }),
        (e: unknown) => e instanceof WireError && e.code === 'INVALID_ARGUMENT',
      );
    }
    assert.equal(opened, 0);
  });
});
