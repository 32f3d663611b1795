/**
 * Hostile replies at the Core Lightning adapter (clnNode): for every method the engine
 * calls, the real node's answers (cln-fixtures/) mutated — fields missing, extra or of the
 * wrong type, numbers beyond 2^53, huge arrays, deep nesting, other top-level values — and
 * errors with random codes and data. Each call must resolve with a value of the promised
 * shape or reject with an AmpkitError (BAD_REPLY, NODE_ERROR, …), never another exception,
 * never a hang.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RpcError, type CommandoClient } from '../../packages/wire/src/index.ts';
import { AmpkitError, clnNode, type Node } from '../../packages/core/src/index.ts';
import { fixture, holdFixture, realFixture } from '../simnet/harness.ts';
import { FUZZ_N } from '../fuzz-count.ts';
import { prng } from '../wire/helpers.ts';
import { mutator, pick } from './mutate.ts';

const HASH = 'c58eab343d009890415614f2dc0d9332fea328073d5fb94e78a65860c0e996cf';
const ID = (fixture('getinfo.json') as { id: string }).id;
const HOLD_HASH: string = holdFixture('listholdinvoices-paid.json').request.params.payment_hash;

/** Each engine call, with a real reply to mutate. */
const CALLS: { name: string; seed: () => unknown; call: (node: Node) => Promise<unknown> }[] = [
  {
    name: 'sendpay',
    seed: () => fixture('sendpay-part1.json'),
    call: (n) =>
      n.sendpay({
        route: [{ id: ID, channel: '1x1x1', amount_msat: 1, delay: 9 }],
        payment_hash: HASH,
        partid: 1,
        groupid: 1,
        amount_msat: 1,
        payment_secret: HASH,
      }),
  },
  {
    name: 'waitsendpay',
    seed: () => fixture('waitsendpay-complete.json'),
    call: (n) => n.waitsendpay({ payment_hash: HASH, partid: 1, groupid: 1, timeout: 1 }),
  },
  { name: 'listsendpays', seed: () => fixture('listsendpays-mpp-complete.json'), call: (n) => n.listsendpays({ payment_hash: HASH }) },
  {
    name: 'getroutes',
    seed: () => fixture('getroutes.json'),
    call: (n) => n.getroutes({ source: ID, destination: ID, amount_msat: 1, layers: [], maxfee_msat: 1, final_cltv: 18 }),
  },
  // askrene's layers (test/fixtures/cln/askrene-*.json).
  {
    name: 'askrene-create-layer',
    seed: () => realFixture('askrene-create-layer.json').response,
    call: (n) => n.askrenecreatelayer({ layer: 'ampkit-probe' }),
  },
  {
    name: 'askrene-inform-channel',
    seed: () => realFixture('askrene-inform-channel-constrained.json').response,
    call: (n) => n.askreneconstrainchannel({ layer: 'ampkit-probe', short_channel_id_dir: '105x2x0/0', amount_msat: 500_000_000 }),
  },
  { name: 'getinfo', seed: () => fixture('getinfo.json'), call: (n) => n.getinfo() },
  {
    name: 'invoice',
    seed: () => fixture('invoice.json'),
    call: (n) => n.invoice({ amount_msat: 1, label: 'x', description: 'x', expiry: 60 }),
  },
  { name: 'listinvoices', seed: () => fixture('listinvoices-paid-mpp.json'), call: (n) => n.listinvoices({ payment_hash: HASH }) },
  { name: 'listchannels', seed: () => fixture('listchannels.json'), call: (n) => n.listchannels() },
  { name: 'listpeerchannels', seed: () => fixture('listpeerchannels-held-in.json'), call: (n) => n.listpeerchannels() },
  {
    name: 'listnodes',
    seed: () => ({ nodes: [{ nodeid: ID, alias: 'x', color: '02d232', last_timestamp: 1, features: '0800' }, { nodeid: ID }] }),
    call: (n) => n.listnodes(),
  },
  {
    name: 'listhtlcs',
    seed: () => ({
      htlcs: [
        {
          short_channel_id: '103x1x0',
          id: 0,
          expiry: 120,
          amount_msat: 5,
          direction: 'in',
          payment_hash: HASH,
          state: 'RCVD_ADD_ACK_REVOCATION',
          created_index: 1,
          updated_index: 2,
        },
      ],
    }),
    call: (n) => n.listhtlcs({ index: 'created', start: 0 }),
  },
  // The hold plugin's shapes (test/fixtures/hold-plugin/, BoltzExchange/hold v0.3.3).
  {
    name: 'listholdinvoices',
    seed: () => holdFixture('listholdinvoices-paid.json').response,
    call: (n) => n.listholdinvoices({ payment_hash: HOLD_HASH }),
  },
  {
    name: 'holdinvoice',
    seed: () => holdFixture('holdinvoice.json').response,
    call: (n) => n.holdinvoice({ payment_hash: HASH, amount_msat: 1, description: 'x', expiry: 60 }),
  },
  { name: 'wait', seed: () => ({ subsystem: 'htlcs', created: 7 }), call: (n) => n.waithtlcs({ index: 'created', next: 7 }) },
];

const { junk, mutate } = mutator({
  values: ['1x1x1', HASH, ID],
  keys: [],
  longString: 100,
  arrayLength: () => 5_000,
  nesting: 2_000,
});

/** A client that answers every request with what the test says. */
function scripted(answer: () => { result?: unknown; error?: unknown }): CommandoClient {
  return {
    nodeId: ID,
    state: 'open',
    async request(): Promise<any> {
      const a = answer();
      if ('error' in a) throw a.error;
      return a.result;
    },
    on: () => () => undefined,
    close() {},
  } as CommandoClient;
}

async function verdict(promise: Promise<unknown>): Promise<'ok' | 'refused'> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    assert.ok(error instanceof AmpkitError, `untyped failure: ${String(error)} ${(error as Error)?.stack?.split('\n')[1] ?? ''}`);
    assert.equal(typeof error.code, 'string');
    return 'refused';
  }
}

describe(`the Core Lightning adapter, ${FUZZ_N.toLocaleString('en')} hostile replies`, () => {
  test('the seeds are read as the real node answers them', async () => {
    for (const c of CALLS) {
      const node = clnNode(scripted(() => ({ result: c.seed() })));
      // waitsendpay-complete's hash is not HASH's part, but its reply is read all the same.
      assert.equal(await verdict(c.call(node)), 'ok', c.name);
    }
  });

  test('mutated replies: a value or a typed error, for every method', async () => {
    const rand = prng(21);
    const seeds = new Map(CALLS.map((c) => [c.name, c.seed()]));
    const tally = new Map<string, { ok: number; refused: number }>();
    let reply: unknown;
    const node = clnNode(scripted(() => ({ result: reply })));
    for (let i = 0; i < FUZZ_N; i++) {
      const c = CALLS[i % CALLS.length]!;
      reply = mutate(rand, seeds.get(c.name));
      const t = tally.get(c.name) ?? { ok: 0, refused: 0 };
      t[await verdict(c.call(node))]++;
      tally.set(c.name, t);
    }
    for (const [name, t] of tally) assert.ok(t.refused > 0, `${name}: some mutations must be refused (${JSON.stringify(t)})`);
  });

  test('node errors with random codes and data: typed, and a failed part only when the data is one', async () => {
    const rand = prng(22);
    const failed = fixture('waitsendpay-mpp-timeout.json') as { code: number; message: string; data: unknown };
    let error: unknown;
    const node = clnNode(scripted(() => ({ error })));
    for (let i = 0; i < Math.max(1000, FUZZ_N / 4); i++) {
      const c = CALLS[i % CALLS.length]!;
      const code = pick(rand, [-32602, -32601, -32700, -1, 200, 202, 203, 204, 205, 206, 208, 209, 210, 215, 220, 1.5, 2 ** 53 + 2]);
      const data = rand() < 0.5 ? mutate(rand, failed.data) : junk(rand);
      error = new RpcError(c.name, code, pick(rand, [failed.message, '', 'x'.repeat(10_000)]), data);
      const result = await verdict(c.call(node));
      // Only sendpay and waitsendpay turn an error into a value: the failed part in its data.
      if (result === 'ok') assert.ok(c.name === 'sendpay' || c.name === 'waitsendpay', `${c.name} resolved from an error`);
    }
  });
});
