/**
 * clnNode's planner and identity readers: `getroutes` as Core Lightning answers it
 * (cln-fixtures/getroutes.json: what enters each hop) turned into `sendpay` routes (what
 * arrives at each hop's node), `getinfo` as the fixture shows it, and replies that cannot
 * be trusted refused as BAD_REPLY.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RpcError, type CommandoClient } from '../../packages/wire/src/index.ts';
import { AmpkitError, clnNode } from '../../packages/core/src/index.ts';
import { readNodeInfo, readRoutes } from '../../packages/core/src/node/cln.ts';
import { fixture } from '../simnet/harness.ts';

const A = '027b2b1b2e088e7665c5640d6af79c7cbfe7f0eb4c35d765a701bee7c8a36e8f7b';
const B = '031b09ffe9498c3612aba93d6603e5cb6dfb907f8cdf17e875cdbd04825997db90';
const C = '02d23229c7760e5f0e9655d41c606eadf03c6ae332aa3cc4d12d536c605740ce67';

const isCode = (code: string) => (e: unknown) => e instanceof AmpkitError && e.code === code;

function scriptedClient(
  nodeId: string,
  answer: (method: string, params: Record<string, unknown>) => unknown,
): CommandoClient & { calls: [string, Record<string, unknown>][] } {
  const calls: [string, Record<string, unknown>][] = [];
  return {
    nodeId,
    state: 'open',
    calls,
    async request(method: string, params: Record<string, unknown> = {}) {
      calls.push([method, params]);
      return answer(method, params);
    },
    on: () => () => undefined,
    close: () => undefined,
  } as unknown as CommandoClient & { calls: [string, Record<string, unknown>][] };
}

/** A copy of the fixture with `change` applied to its first route's path. */
function withPath(change: (path: any[]) => unknown): unknown {
  const reply = structuredClone(fixture('getroutes.json'));
  reply.routes[0].path = change(reply.routes[0].path) ?? reply.routes[0].path;
  return reply;
}

describe('getroutes, read into sendpay routes', () => {
  test('the fixture: A→B→C for 555,000,000 msat and A→C for 945,000,000 msat', () => {
    assert.deepEqual(readRoutes(fixture('getroutes.json')), [
      {
        amount_msat: 555_000_000,
        route: [
          // B forwards 555,000,000 over 103x2x0 for a fee of 1 + 10 ppm = 5,551 msat, and a delta of 6 blocks.
          { id: B, channel: '103x3x0', direction: 0, amount_msat: 555_005_551, delay: 24, style: 'tlv' },
          { id: C, channel: '103x2x0', direction: 1, amount_msat: 555_000_000, delay: 18, style: 'tlv' },
        ],
      },
      {
        amount_msat: 945_000_000,
        route: [{ id: C, channel: '103x1x0', direction: 0, amount_msat: 945_000_000, delay: 18, style: 'tlv' }],
      },
    ]);
  });

  test('v26.06 hop fields (node_id_out, amount_out_msat, cltv_out) give the same routes', () => {
    const reply = structuredClone(fixture('getroutes.json'));
    const expected = readRoutes(reply);
    for (const [r, route] of reply.routes.entries()) {
      route.path = route.path.map((_hop: unknown, i: number) => {
        const hop = expected[r]!.route[i]!;
        return {
          short_channel_id_dir: `${hop.channel}/${hop.direction}`,
          node_id_in: i === 0 ? A : expected[r]!.route[i - 1]!.id,
          node_id_out: hop.id,
          amount_in_msat: route.path[i].amount_msat,
          amount_out_msat: hop.amount_msat,
          cltv_in: route.path[i].delay,
          cltv_out: hop.delay,
        };
      });
    }
    assert.deepEqual(readRoutes(reply), expected);
  });

  const HOSTILE: Array<[string, unknown]> = [
    ['no routes array', { probability_ppm: 1 }],
    ['an empty routes array', { probability_ppm: 1, routes: [] }],
    ['null', null],
    ['a route that is a string', { routes: ['103x1x0'] }],
    [
      'a route without amount_msat',
      (() => {
        const r = structuredClone(fixture('getroutes.json'));
        delete r.routes[1].amount_msat;
        return r;
      })(),
    ],
    [
      'a route whose amount is a string',
      (() => {
        const r = structuredClone(fixture('getroutes.json'));
        r.routes[1].amount_msat = '945000000msat';
        return r;
      })(),
    ],
    [
      'a route without final_cltv',
      (() => {
        const r = structuredClone(fixture('getroutes.json'));
        delete r.routes[0].final_cltv;
        return r;
      })(),
    ],
    ['an empty path', withPath(() => [])],
    ['a path of 28 hops', withPath((path) => Array.from({ length: 28 }, () => path[0]))],
    ['a hop without a direction', withPath((path) => void (path[0].short_channel_id_dir = '103x3x0'))],
    ['a hop with direction 2', withPath((path) => void (path[0].short_channel_id_dir = '103x3x0/2'))],
    ['a hop whose next node is no key', withPath((path) => void (path[1].next_node_id = 'C'))],
    ['a hop with a negative amount', withPath((path) => void (path[1].amount_msat = -1))],
    ['a hop with a fractional delay', withPath((path) => void (path[1].delay = 24.5))],
    ['amounts that grow towards the destination', withPath((path) => void (path[1].amount_msat = 555_005_552))],
    ['delays that grow towards the destination', withPath((path) => void (path[1].delay = 25))],
    ['a last hop that does not deliver the route amount', withPath((path) => void (path[1].amount_out_msat = 554_000_000))],
    [
      'a route that delivers nothing',
      (() => {
        const r = structuredClone(fixture('getroutes.json'));
        r.routes[1].amount_msat = 0;
        r.routes[1].path[0].amount_msat = 0;
        return r;
      })(),
    ],
  ];
  for (const [name, reply] of HOSTILE) {
    test(`BAD_REPLY: ${name}`, async () => {
      assert.throws(() => readRoutes(reply), isCode('BAD_REPLY'));
      const node = clnNode(scriptedClient(A, () => reply));
      await assert.rejects(
        node.getroutes({ source: A, destination: C, amount_msat: 1_500_000_000, layers: [], maxfee_msat: 1, final_cltv: 18 }),
        isCode('BAD_REPLY'),
      );
    });
  }

  test("clnNode sends Core Lightning's parameters; a 205 stays NODE_ERROR with the node's code", async () => {
    const client = scriptedClient(A, () => fixture('getroutes.json'));
    const request = {
      source: A,
      destination: C,
      amount_msat: 1_500_000_000,
      layers: ['auto.localchans', 'auto.sourcefree'],
      maxfee_msat: 7500,
      final_cltv: 18,
      maxparts: 4,
    };
    assert.equal((await clnNode(client).getroutes(request)).length, 2);
    assert.deepEqual(client.calls, [['getroutes', request]]);
    const none = clnNode(
      scriptedClient(A, () => {
        throw new RpcError('getroutes', 205, 'We could not find a usable set of paths.');
      }),
    );
    await assert.rejects(none.getroutes(request), (e: AmpkitError) => e.code === 'NODE_ERROR' && e.nodeCode === 205);
  });
});

describe('getinfo', () => {
  test('the fixture, read to what the engine gives', async () => {
    const expected = { id: C, alias: 'cln-regtest-C', color: '02d232', network: 'regtest', blockheight: 109 };
    assert.deepEqual(readNodeInfo(fixture('getinfo.json')), expected);
    assert.deepEqual(await clnNode(scriptedClient(C, () => fixture('getinfo.json'))).getinfo(), expected);
  });

  const info = fixture('getinfo.json');
  for (const [name, reply] of [
    ['no id', { ...info, id: undefined }],
    ['an id that is no key', { ...info, id: 'C' }],
    ['a color that is not hex', { ...info, color: 'red' }],
    ['no alias', { ...info, alias: 7 }],
    ['no network', { ...info, network: undefined }],
    ['a negative blockheight', { ...info, blockheight: -1 }],
    ['an array', [info]],
  ] as Array<[string, unknown]>) {
    test(`BAD_REPLY: ${name}`, async () => {
      await assert.rejects(clnNode(scriptedClient(C, () => reply)).getinfo(), isCode('BAD_REPLY'));
    });
  }

  test('BAD_REPLY: a getinfo naming another node than the one the link reached', async () => {
    await assert.rejects(
      clnNode(scriptedClient(A, () => info)).getinfo(),
      (e: AmpkitError) => e.code === 'BAD_REPLY' && /names node/.test(e.message),
    );
  });
});
