/**
 * connectLnc() in Chromium, over the page's own WebSocket, through the Node test mailbox to a
 * litd stand-in (test/wire/browser-test-lnc.ts, started by web-test-runner.config.mjs): the
 * pairing with the phrase (scrypt in the page), unary calls (an echo, an lnd GetInfoResponse
 * decoded with the lnd method table, a gRPC error), a three-message stream, a stream
 * cancelled mid-way that litd sees cancelled, and a new client with the stored keys (KK).
 */
import { assert } from 'chai';
import {
  connectLnc,
  decodeLnd,
  encodeLnd,
  GrpcError,
  checkPairingPhrase,
  lndMethods,
  WireError,
  type LncClient,
  type LncKeys,
} from '@ampkit/wire/lnc';

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
      assert.equal((error as WireError).code, 'INVALID_ARGUMENT');
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
      assert.equal((error as GrpcError).code, 2);
      assert.equal((error as GrpcError).message, 'no route found');
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
