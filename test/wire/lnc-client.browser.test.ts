/**
 * connectLnc() in Chromium from the built bundle (dist/ampkit-lnc.js), over the page's own
 * WebSocket, through the Node test mailbox to a litd stand-in (test/wire/browser-test-lnc.ts,
 * started by web-test-runner.config.mjs): the pairing with the phrase (scrypt in the page),
 * unary calls (an echo, an lnd GetInfoResponse decoded with the lnd method table, a gRPC
 * error), a three-message stream, a stream cancelled mid-way that litd sees cancelled, the
 * go-back-N scenarios of the reference tests with the mailbox dropping and repeating packets
 * on real timers, and a new client with the stored keys (KK).
 */
import { assert } from 'chai';
import type * as Lnc from '@ampkit/wire/lnc';
import type { GrpcError as GrpcErrorType, LncClient, LncKeys, WireError as WireErrorType } from '@ampkit/wire/lnc';

// The built bundle, as a page or the worker loads it (npm test builds before the browser tests).
const BUNDLE = '/dist/ampkit-lnc.js';
const { checkPairingPhrase, connectLnc, decodeLnd, encodeLnd, GrpcError, lndMethods, WireError } = (await import(BUNDLE).catch(
  (error: unknown) => {
    throw new Error(`${BUNDLE} did not load: run npm run build first (${String(error)})`);
  },
)) as typeof Lnc;

const ECHO = '/test.Echo/Reverse';
const THREE = '/test.Stream/Three';
const ENDLESS = '/test.Stream/Endless';
const FAIL = '/test.Fail/NoRoute';

interface Session {
  id: number;
  mailbox: string;
  phrase: string;
}
interface Seen {
  handshakes: string[];
  cancelled: string[];
  calls: number;
}

const session: Session = await (await fetch('/lnc-test/session.json', { cache: 'no-store' })).json();
// no-store: the dev server's answers may be cached, and this one changes.
const seen = async (): Promise<Seen> => (await fetch(`/lnc-test/seen/${session.id}.json`, { cache: 'no-store' })).json();

async function until(condition: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('connectLnc in Chromium', () => {
  let client: LncClient;
  let keys: LncKeys;

  after(() => client?.close());

  it('refuses a malformed phrase before anything opens', async () => {
    for (const [phrase, message] of [
      ['only three words', /10 words, this one has 3/],
      [session.phrase.replace(/\S+$/, 'zzzz'), /word 10 of the pairing phrase, "zzzz"/],
    ] as const) {
      try {
        await checkPairingPhrase(phrase);
        assert.fail('should reject');
      } catch (error) {
        assert.match((error as Error).message, message);
      }
    }
    await checkPairingPhrase(session.phrase.toUpperCase());
    try {
      await connectLnc({ pairingPhrase: session.phrase.replace(/^\S+/, 'notaword'), mailbox: session.mailbox });
      assert.fail('should reject');
    } catch (error) {
      assert.instanceOf(error, WireError);
      assert.equal((error as WireErrorType).code, 'INVALID_ARGUMENT');
    }
  });

  it('pairs with the phrase over the browser WebSocket and makes a unary call', async () => {
    assert.isFunction(globalThis.WebSocket);
    client = await connectLnc({ pairingPhrase: session.phrase, mailbox: session.mailbox, reconnect: false });
    assert.equal(client.state, 'open');
    assert.deepEqual([...(await client.unary(ECHO, Uint8Array.of(1, 2, 3)))], [3, 2, 1]);
    // A request bigger than one go-back-N packet's worth, and its reply, arrive whole.
    const big = Uint8Array.from({ length: 100_000 }, (_, i) => i % 251);
    const reversed = await client.unary(ECHO, big);
    assert.equal(reversed.length, big.length);
    assert.deepEqual(reversed.slice(0, 3), Uint8Array.of(big[99_999]!, big[99_998]!, big[99_997]!));
    assert.match(client.authData, /^Macaroon: /);
    keys = client.keys!;
    assert.match(keys.localPrivateKey, /^[0-9a-f]{64}$/);
    assert.match(keys.remotePublicKey, /^0[23][0-9a-f]{64}$/);
    assert.equal(keys.mailbox, session.mailbox);
    assert.deepEqual((await seen()).handshakes, ['XX']);
  });

  it('decodes an lnd reply with the method table', async () => {
    const m = lndMethods.getInfo;
    const info = decodeLnd(m.output, await client.unary(m.path, encodeLnd(m.input, {})), m.path);
    assert.equal(info.alias, 'browser-litd');
    assert.equal(info.blockHeight, 800_000);
    assert.equal(info.numActiveChannels, 3);
  });

  it('a gRPC error comes back as GrpcError', async () => {
    try {
      await client.unary(FAIL, new Uint8Array(0));
      assert.fail('should reject');
    } catch (error) {
      assert.instanceOf(error, GrpcError);
      assert.equal((error as GrpcErrorType).code, 2);
      assert.equal((error as GrpcErrorType).message, 'no route found');
    }
  });

  it('a server stream of three messages ends when the server ends it', async () => {
    const got: number[][] = [];
    for await (const message of client.serverStream(THREE, Uint8Array.of(7))) got.push([...message]);
    assert.deepEqual(got, [
      [7, 0],
      [7, 1],
      [7, 2],
    ]);
  });

  it('a cancelled stream stops, litd sees the cancel, and the link carries on', async () => {
    const stream = client.serverStream(ENDLESS, Uint8Array.of(9));
    const got: number[][] = [];
    for await (const message of stream) {
      got.push([...message]);
      if (got.length === 4) stream.cancel();
    }
    assert.deepEqual(got, [
      [9, 0],
      [9, 1],
      [9, 2],
      [9, 3],
    ]);
    await until(async () => (await seen()).cancelled.includes(ENDLESS), 3000, 'litd seeing the cancel');
    assert.deepEqual([...(await client.unary(ECHO, Uint8Array.of(4, 5)))], [5, 4]);
  });

  it('a new client with the stored keys reconnects with KK; the phrase no longer works', async () => {
    client.close();
    assert.equal(client.state, 'closed');
    // As a page would: the keys went through JSON (localStorage) and come back as they were.
    const stored: LncKeys = JSON.parse(JSON.stringify(keys));
    client = await connectLnc({ keys: stored, reconnect: false });
    assert.equal(client.state, 'open');
    assert.deepEqual((await seen()).handshakes, ['XX', 'KK']);
    assert.deepEqual([...(await client.unary(ECHO, Uint8Array.of(8, 9)))], [9, 8]);
    assert.deepEqual(client.keys, stored);
    client.close();
    try {
      await connectLnc({ pairingPhrase: session.phrase, mailbox: session.mailbox, reconnect: false, connectTimeout: 5000 });
      assert.fail('a used phrase must not pair again');
    } catch (error) {
      assert.instanceOf(error, WireError);
      assert.equal((error as { reason?: string }).reason, 'SESSION_NOT_FOUND');
    }
  });
});

describe('go-back-N over a faulty mailbox in Chromium, real timers (the reference tests’ scenarios)', () => {
  // A session of its own: the other suite's phrase is used up.
  let own: Session;
  let client: LncClient;
  const seen = async (): Promise<Seen> => (await fetch(`/lnc-test/seen/${own.id}.json`, { cache: 'no-store' })).json();
  before(async () => {
    own = await (await fetch('/lnc-test/session.json', { cache: 'no-store' })).json();
    client = await connectLnc({ pairingPhrase: own.phrase, mailbox: own.mailbox, reconnect: false });
    await client.unary(ECHO, Uint8Array.of(0)); // the HTTP/2 settings exchange is over before any fault
  });
  after(() => client?.close());
  interface FaultStats {
    dropped: number;
    duplicated: number;
    droppedData: number;
    droppedAcks: number;
  }
  const fault = async (name: string): Promise<FaultStats> => (await fetch(`/lnc-test/fault/${name}.json`, { cache: 'no-store' })).json();
  const stats = async (): Promise<FaultStats> => (await fetch('/lnc-test/fault-stats.json', { cache: 'no-store' })).json();
  const echo = async (bytes: Uint8Array) => {
    const reply = await client.unary(ECHO, bytes, { timeout: 15_000 });
    assert.deepEqual([...reply], [...bytes].reverse());
  };
  // Every scenario ends on the same link: no reconnect, no new handshake.
  afterEach(async () => {
    await fault('clear');
    assert.equal(client.state, 'open');
    assert.deepEqual((await seen()).handshakes, ['XX']);
  });

  it('a dropped request is resent after the resend timeout and answered once', async () => {
    await fault('drop-request');
    const t = performance.now();
    await echo(Uint8Array.of(1, 2, 3, 4));
    const s = await stats();
    assert.equal(s.droppedData, 1);
    assert.isAtLeast(performance.now() - t, 900, 'the resend waited for the timeout');
    const calls = (await seen()).calls;
    await echo(Uint8Array.of(5));
    assert.equal((await seen()).calls, calls + 1, 'the resent request was served once');
  });

  it('a dropped reply is resent by litd and delivered once', async () => {
    await fault('drop-reply');
    await echo(Uint8Array.from({ length: 300 }, (_, i) => i & 0xff));
    assert.equal((await stats()).droppedData, 1);
  });

  it('dropped ACKs: the resends are recognised as repeats and nothing is delivered twice', async () => {
    await fault('drop-acks');
    const replies = await Promise.all([1, 2, 3].map((n) => client.unary(ECHO, Uint8Array.of(n, 0), { timeout: 15_000 })));
    assert.deepEqual(
      replies.map((r) => [...r]),
      [
        [0, 1],
        [0, 2],
        [0, 3],
      ],
    );
    assert.isAtLeast((await stats()).droppedAcks, 1);
    await new Promise((resolve) => setTimeout(resolve, 1600)); // the ACK blackout ends; the resends settle
    await echo(Uint8Array.of(6, 7));
  });

  it('every packet twice: duplicates are dropped, calls and a stream come through once', async () => {
    await fault('duplicate');
    await echo(Uint8Array.of(9, 8, 7));
    const got: number[][] = [];
    for await (const message of client.serverStream(THREE, Uint8Array.of(3))) got.push([...message]);
    assert.deepEqual(got, [
      [3, 0],
      [3, 1],
      [3, 2],
    ]);
    assert.isAtLeast((await stats()).duplicated, 10);
  });

  it('many messages through a lossy mailbox (one packet in 20 lost): 60 calls, 30 at a time, all answered right', async () => {
    await fault('lossy');
    const sizes = Array.from({ length: 60 }, (_, i) => 1 + ((i * 997) % 3000));
    let next = 0;
    await Promise.all(
      Array.from({ length: 30 }, async () => {
        while (next < sizes.length) {
          const size = sizes[next++]!;
          await echo(Uint8Array.from({ length: size }, (_, j) => (j * 31 + size) & 0xff));
        }
      }),
    );
    assert.isAtLeast((await stats()).dropped, 2);
  });
});
