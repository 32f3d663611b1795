/**
 * One cap on the unfinished replies a connection holds: a node
 * streaming replies it never finishes to many requests at once held 377 MiB in one client,
 * each request under its own `maxReplyBytes`. `maxBufferedReplyBytes` bounds the total:
 * the request whose chunk would pass it fails with BAD_REPLY and lets go of what it held;
 * the others carry on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, type CommandoClient } from '../../packages/wire/src/commando-client.ts';
import { WireError } from '../../packages/wire/src/errors.ts';
import { MessageType } from '../../packages/wire/src/message.ts';
import { NodeWebSocket } from '../../packages/wire/src/node.ts';
import { delay } from './helpers.ts';
import { fakeNode, replyPayload, type FakeRequest } from './fake-node.ts';

const CAP = 100_000;
/** The opening of a reply `{"result":{"pad":"…"}}`: the rest is padding, then `"}}`. */
const HEAD = '{"result":{"pad":"';

let script: (request: FakeRequest) => void = () => {};
let node: Awaited<ReturnType<typeof fakeNode>>;
let client: CommandoClient;

before(async () => {
  node = await fakeNode((request) => script(request));
  client = await connect({ nodeId: node.nodeId, url: node.url, WebSocket: NodeWebSocket, maxBufferedReplyBytes: CAP, reconnect: false });
});
after(async () => {
  client.close();
  await node.close();
});

/** Sends `body` as reply frames that continue it, each within a Lightning message's 65 535 bytes. */
const more = (r: FakeRequest, body: string) => {
  for (let at = 0; at < body.length; at += 60_000)
    r.send(MessageType.COMMANDO_REPLY_CONTINUES, replyPayload(r.id, body.slice(at, at + 60_000)));
};
const term = (r: FakeRequest, body: string) => r.send(MessageType.COMMANDO_REPLY_TERM, replyPayload(r.id, body));
/** A chunk of `bytes` bytes: the reply's head and padding for the first, padding after. */
const chunk = (bytes: number, first: boolean) => (first ? HEAD + 'x'.repeat(bytes - HEAD.length) : 'x'.repeat(bytes));

/** Collects `n` requests, then hands them to `answer` at once. */
function whenAll(n: number, answer: (requests: FakeRequest[]) => void): void {
  const waiting: FakeRequest[] = [];
  script = (r) => {
    waiting.push(r);
    if (waiting.length === n) answer(waiting);
  };
}

type Outcome = { pad: number } | WireError;
const settle = (p: Promise<{ pad: string }>): Promise<Outcome> =>
  p.then(
    (v) => ({ pad: v.pad.length }),
    (e: WireError) => e,
  );
const isCapError = (o: Outcome | undefined): boolean =>
  o instanceof WireError && o.code === 'BAD_REPLY' && /maxBufferedReplyBytes/.test(o.message);

describe('commando client: maxBufferedReplyBytes', () => {
  test('the request whose chunk passes the cap fails typed and frees what it held; the others are answered whole', async () => {
    whenAll(4, ([a, b, c, d]) => {
      more(a!, chunk(40_000, true)); // 40 000 held
      more(b!, chunk(40_000, true)); // 80 000
      more(c!, chunk(10_000, true)); // 90 000
      more(c!, chunk(20_000, false)); // 110 000 would pass the cap: c fails, its 10 000 are let go (80 000)
      more(c!, chunk(5_000, false)); // c's late frames are dropped, not held
      more(d!, chunk(19_000, true)); // 99 000: fits only if c's 10 000 were let go
      term(c!, '"}}');
      term(a!, '"}}');
      term(b!, '"}}');
      term(d!, '"}}');
    });
    const outcomes = await Promise.all(['a', 'b', 'c', 'd'].map((m) => settle(client.request(m))));
    const pad = (n: number) => ({ pad: n - HEAD.length });
    assert.deepEqual(outcomes[0], pad(40_000));
    assert.deepEqual(outcomes[1], pad(40_000));
    assert.ok(isCapError(outcomes[2]), `c: ${String(outcomes[2])}`);
    assert.deepEqual(outcomes[3], pad(19_000));
    // Nothing is held any more: one reply as large as the cap fits again.
    whenAll(1, ([r]) => {
      more(r!, chunk(CAP - 3, true));
      term(r!, '"}}');
    });
    assert.deepEqual(await client.request('whole'), { pad: 'x'.repeat(CAP - 3 - HEAD.length) });
    assert.equal(client.state, 'open');
  });

  test('a hostile node streaming to eight requests at once never gets more than the cap held', async () => {
    const rounds = 6;
    const size = 25_000;
    whenAll(8, (requests) => {
      for (let round = 0; round < rounds; round++) for (const r of requests) more(r, chunk(size, round === 0));
      for (const r of requests) term(r, '"}}');
    });
    const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => settle(client.request(`flood${i}`))));
    const answered = outcomes.filter((o): o is { pad: number } => !(o instanceof WireError));
    const refused = outcomes.filter((o) => o instanceof WireError);
    assert.ok(refused.every(isCapError), String(refused[0]));
    assert.ok(refused.length >= 1);
    // What was answered was held at once (all ended together), and it stayed within the cap.
    const held = answered.reduce((sum, o) => sum + o.pad + HEAD.length + 3, 0);
    assert.ok(held <= CAP, `${held} bytes held at once, over ${CAP}`);
    for (const o of answered) assert.equal(o.pad, rounds * size - HEAD.length);
    // The link is fine and nothing is held: another request is answered.
    whenAll(1, ([r]) => term(r!, '{"result":{"ok":true}}'));
    assert.deepEqual(await client.request('after'), { ok: true });
  });

  test('a request that times out mid-reply lets go of what it held', async () => {
    let slow: FakeRequest | undefined;
    script = (r) => {
      slow = r;
      more(r, chunk(60_000, true));
    };
    await assert.rejects(client.request('slow', {}, { timeout: 100 }), (e: WireError) => e.code === 'TIMEOUT');
    whenAll(1, ([r]) => {
      more(r!, chunk(90_000, true));
      term(r!, '"}}');
    });
    assert.deepEqual(await client.request('next'), { pad: 'x'.repeat(90_000 - HEAD.length) });
    term(slow!, '"}}'); // a late end to the abandoned reply is ignored
    await delay(20);
    assert.equal(client.state, 'open');
  });

  test('the cap must be a number of bytes over 0', async () => {
    for (const bad of [0, -1, Number.NaN, '1000' as unknown as number]) {
      await assert.rejects(
        connect({ nodeId: node.nodeId, url: node.url, WebSocket: NodeWebSocket, maxBufferedReplyBytes: bad }),
        (e: WireError) => e.code === 'INVALID_ARGUMENT',
      );
    }
  });
});
