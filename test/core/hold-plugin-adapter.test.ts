/**
 * The Core Lightning adapter speaks BoltzExchange/hold v0.3.3 (test/fixtures/hold-plugin/):
 * the parameters it sends, the rows it reads (the invoice under `invoice`, its amount from
 * that BOLT 11, datetime strings, `msat`, `scid`, `channel_id` as the HTLC's id), the
 * malformed rows it refuses (BAD_REPLY), and the plugin's errors as the engine's codes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RpcError, type CommandoClient } from '../../packages/wire/src/index.ts';
import { AmpkitError, clnNode, type Node } from '../../packages/core/src/index.ts';
import { holdTime, readHoldInvoice } from '../../packages/core/src/node/hold-plugin.ts';
import { holdFixture } from '../simnet/harness.ts';

const ROW = holdFixture('listholdinvoices-accepted.json').response.holdinvoices[0];
const HASH: string = ROW.payment_hash;
const PREIMAGE = '5e'.repeat(32);
const NODE = '02' + 'ab'.repeat(32);

/** An adapter over a client that records each request and answers with `answer`. */
function adapter(answer: (method: string, params: unknown) => unknown): { node: Node; sent: { method: string; params: unknown }[] } {
  const sent: { method: string; params: unknown }[] = [];
  const client = {
    nodeId: NODE,
    state: 'open',
    on: () => () => undefined,
    close() {},
    async request(method: string, params: unknown): Promise<any> {
      sent.push({ method, params });
      return answer(method, params);
    },
  } as unknown as CommandoClient;
  return { node: clnNode(client), sent };
}

/** An adapter whose node answers every call with the fixture's error. */
function failing(name: string): Node {
  const { error } = holdFixture(name);
  return adapter((method) => {
    throw new RpcError(method, error.code, error.message, error.data);
  }).node;
}

const isCode = (code: string) => (e: unknown) => e instanceof AmpkitError && e.code === code;

describe('the hold plugin adapter: what it sends', () => {
  test('each method sends exactly the parameters the plugin takes, by name', async () => {
    const replies: Record<string, unknown> = {
      holdinvoice: holdFixture('holdinvoice.json').response,
      listholdinvoices: holdFixture('listholdinvoices-unpaid.json').response,
      settleholdinvoice: holdFixture('settleholdinvoice.json').response,
      cancelholdinvoice: holdFixture('cancelholdinvoice.json').response,
    };
    const { node, sent } = adapter((method) => replies[method]);
    // description and expiry are wishes the plugin cannot take over JSON-RPC: not sent.
    await node.holdinvoice({ payment_hash: HASH, amount_msat: 1_000_000, description: 'ignored', expiry: 60 });
    await node.listholdinvoices({ payment_hash: HASH });
    await node.settleholdinvoice({ preimage: PREIMAGE });
    await node.cancelholdinvoice({ payment_hash: HASH });
    assert.deepEqual(sent, [
      holdFixture('holdinvoice.json').request,
      holdFixture('listholdinvoices-unpaid.json').request,
      holdFixture('settleholdinvoice.json').request,
      holdFixture('cancelholdinvoice.json').request,
    ]);
  });
});

describe('the hold plugin adapter: what it reads', () => {
  test('holdinvoice gives the bolt11 of the reply', async () => {
    const { node } = adapter(() => holdFixture('holdinvoice.json').response);
    assert.deepEqual(await node.holdinvoice({ payment_hash: HASH, amount_msat: 1_000_000 }), holdFixture('holdinvoice.json').response);
  });

  test('an accepted row: amount from the invoice, datetimes as unix seconds, channel_id as the HTLC id, cancelled rows kept', async () => {
    const { node } = adapter(() => holdFixture('listholdinvoices-accepted.json').response);
    const [invoice] = await node.listholdinvoices({ payment_hash: HASH });
    assert.deepEqual(invoice, {
      payment_hash: HASH,
      bolt11: ROW.invoice,
      amount_msat: 1_000_000,
      state: 'accepted',
      created_at: Date.UTC(2025, 11, 1, 18, 27, 35) / 1000,
      htlcs: [
        {
          short_channel_id: '103x1x0',
          id: 3,
          amount_msat: 400_000,
          expiry: 312,
          state: 'cancelled',
          created_at: Date.UTC(2025, 11, 1, 18, 27, 41) / 1000,
        },
        {
          short_channel_id: '103x1x0',
          id: 4,
          amount_msat: 400_000,
          expiry: 312,
          state: 'accepted',
          created_at: Date.UTC(2025, 11, 1, 18, 27, 51) / 1000,
        },
        {
          short_channel_id: '105x2x1',
          id: 0,
          amount_msat: 600_000,
          expiry: 313,
          state: 'accepted',
          created_at: Date.UTC(2025, 11, 1, 18, 27, 52) / 1000,
        },
      ],
    });
  });

  test('a paid row: the preimage, and settled_at as paid_at in whole seconds, as Core Lightning gives times', async () => {
    const { node } = adapter(() => holdFixture('listholdinvoices-paid.json').response);
    const [invoice] = await node.listholdinvoices({ payment_hash: HASH });
    assert.equal(invoice!.state, 'paid');
    assert.equal(invoice!.preimage, PREIMAGE);
    assert.equal(invoice!.paid_at, Date.UTC(2025, 11, 1, 18, 28, 2) / 1000);
    assert.deepEqual(
      invoice!.htlcs.map((h) => h.state),
      ['cancelled', 'paid', 'paid'],
    );
  });

  test('unpaid, cancelled and unknown', async () => {
    for (const [name, state] of [
      ['listholdinvoices-unpaid.json', 'unpaid'],
      ['listholdinvoices-cancelled.json', 'cancelled'],
    ] as const) {
      const { node } = adapter(() => holdFixture(name).response);
      const [invoice] = await node.listholdinvoices({ payment_hash: HASH });
      assert.equal(invoice!.state, state, name);
      assert.equal(invoice!.preimage, undefined, name);
      assert.equal(invoice!.paid_at, undefined, name);
    }
    const { node } = adapter(() => holdFixture('listholdinvoices-unknown.json').response);
    assert.deepEqual(await node.listholdinvoices({ payment_hash: '00'.repeat(32) }), []);
  });

  test('an HTLC row from before v0.3.3 (cltv_expiry null) is read without an expiry', () => {
    const row = structuredClone(ROW);
    row.htlcs[1].cltv_expiry = null;
    const invoice = readHoldInvoice(row);
    assert.equal(invoice.htlcs[1]!.expiry, undefined);
    assert.equal(invoice.htlcs[2]!.expiry, 313);
  });

  test('datetimes: naive UTC to whole unix seconds, with or without a fraction of 1 to 9 digits; anything else is no datetime', () => {
    assert.equal(holdTime('2025-12-01T18:27:35'), 1764613655);
    assert.equal(holdTime('2025-12-01T18:27:35.5'), 1764613655);
    assert.equal(holdTime('2025-12-01T18:27:35.123456789'), 1764613655);
    for (const bad of [
      '2025-12-01 18:27:35',
      '2025-02-30T00:00:00',
      '2025-12-01T24:00:00',
      '2025-12-01T18:27:35+02:00',
      '1764613655',
      1764613655,
      null,
      '',
    ]) {
      assert.equal(holdTime(bad), undefined, String(bad));
    }
  });
});

describe('the hold plugin adapter: malformed rows are BAD_REPLY', () => {
  const paid = holdFixture('listholdinvoices-paid.json').response.holdinvoices[0];
  const change = (base: any, edit: (row: any) => void): any => {
    const row = structuredClone(base);
    edit(row);
    return row;
  };
  const bad: [string, unknown][] = [
    ['not an object', 'row'],
    ['no id', change(ROW, (r) => delete r.id)],
    ['a payment_hash that is not hex', change(ROW, (r) => (r.payment_hash = 'zz'))],
    ['no invoice', change(ROW, (r) => delete r.invoice)],
    ['the invoice under bolt11 (a plugin before v0.3.0)', change(ROW, (r) => ((r.bolt11 = r.invoice), delete r.invoice))],
    ['an invoice that does not decode', change(ROW, (r) => (r.invoice = 'lnbcrt1'))],
    ['an invoice for another hash', change(ROW, (r) => (r.payment_hash = '00'.repeat(32)))],
    ['an unknown state', change(ROW, (r) => (r.state = 'held'))],
    ['an amount where the state goes', change(ROW, (r) => (r.state = 1_000_000))],
    ['created_at as unix seconds', change(ROW, (r) => (r.created_at = 1764613655))],
    ['no created_at', change(ROW, (r) => delete r.created_at)],
    ['a settled_at that is no datetime', change(paid, (r) => (r.settled_at = 'yesterday'))],
    ['paid without a preimage', change(paid, (r) => delete r.preimage)],
    ['a preimage of another hash', change(paid, (r) => (r.preimage = '00'.repeat(32)))],
    ['htlcs that are no array', change(ROW, (r) => (r.htlcs = {}))],
    ['an HTLC state in Core Lightning’s words', change(ROW, (r) => (r.htlcs[1].state = 'RCVD_ADD_ACK_REVOCATION'))],
    ['an HTLC state the plugin never gives an HTLC', change(ROW, (r) => (r.htlcs[1].state = 'unpaid'))],
    ['an HTLC amount as a string', change(ROW, (r) => (r.htlcs[1].msat = '400000'))],
    ['an HTLC amount_msat instead of msat', change(ROW, (r) => ((r.htlcs[1].amount_msat = r.htlcs[1].msat), delete r.htlcs[1].msat))],
    ['an HTLC without channel_id', change(ROW, (r) => delete r.htlcs[1].channel_id)],
    ['an HTLC with a negative channel_id', change(ROW, (r) => (r.htlcs[1].channel_id = -1))],
    ['an HTLC scid that is no short channel id', change(ROW, (r) => (r.htlcs[1].scid = 'abc'))],
    ['an HTLC of another invoice', change(ROW, (r) => (r.htlcs[1].invoice_id = 8))],
    ['an HTLC cltv_expiry as a string', change(ROW, (r) => (r.htlcs[1].cltv_expiry = '312'))],
    ['an HTLC created_at as a number', change(ROW, (r) => (r.htlcs[1].created_at = 1))],
  ];
  for (const [why, row] of bad) {
    test(why, async () => {
      assert.throws(() => readHoldInvoice(row), isCode('BAD_REPLY'));
      const { node } = adapter(() => ({ holdinvoices: [row] }));
      await assert.rejects(node.listholdinvoices({ payment_hash: HASH }), isCode('BAD_REPLY'));
    });
  }

  test('replies that are not lists of the asked hash', async () => {
    for (const reply of [{ holdinvoices: [ROW, ROW] }, { holdinvoices: null }, { invoices: [ROW] }, [ROW], null]) {
      const { node } = adapter(() => reply);
      await assert.rejects(node.listholdinvoices({ payment_hash: HASH }), isCode('BAD_REPLY'), JSON.stringify(reply)?.slice(0, 60));
    }
    // A well-formed row, but not for the hash asked about.
    const { node } = adapter(() => ({ holdinvoices: [ROW] }));
    await assert.rejects(node.listholdinvoices({ payment_hash: '00'.repeat(32) }), isCode('BAD_REPLY'));
  });

  test('holdinvoice without a bolt11, settle and cancel with no object', async () => {
    for (const reply of [{}, { invoice: ROW.invoice }, { bolt11: '' }, { bolt11: 5 }, null]) {
      await assert.rejects(adapter(() => reply).node.holdinvoice({ payment_hash: HASH, amount_msat: 1 }), isCode('BAD_REPLY'));
    }
    await assert.rejects(adapter(() => null).node.settleholdinvoice({ preimage: PREIMAGE }), isCode('BAD_REPLY'));
    await assert.rejects(adapter(() => 'ok').node.cancelholdinvoice({ payment_hash: HASH }), isCode('BAD_REPLY'));
  });
});

describe('the hold plugin adapter: errors', () => {
  test('no plugin: every hold method fails HOLD_UNSUPPORTED, naming the plugin and the unknown command', async () => {
    const node = failing('holdinvoice-no-plugin.json');
    const calls: [string, () => Promise<unknown>][] = [
      ['holdinvoice', () => node.holdinvoice({ payment_hash: HASH, amount_msat: 1 })],
      ['listholdinvoices', () => node.listholdinvoices({ payment_hash: HASH })],
      ['settleholdinvoice', () => node.settleholdinvoice({ preimage: PREIMAGE })],
      ['cancelholdinvoice', () => node.cancelholdinvoice({ payment_hash: HASH })],
    ];
    for (const [method, call] of calls) {
      await assert.rejects(call(), (e: unknown) => {
        assert.ok(isCode('HOLD_UNSUPPORTED')(e), String(e));
        const error = e as AmpkitError;
        assert.match(error.message, /no hold-invoice plugin \(BoltzExchange\/hold\)/);
        assert.match(error.message, new RegExp(`${method} is an unknown command`));
        assert.equal(error.nodeCode, -32601);
        return true;
      });
    }
  });

  test('"invoice not found" is NOT_FOUND, for settle and cancel', async () => {
    await assert.rejects(failing('settleholdinvoice-not-found.json').settleholdinvoice({ preimage: '00'.repeat(32) }), isCode('NOT_FOUND'));
    await assert.rejects(
      failing('cancelholdinvoice-not-found.json').cancelholdinvoice({ payment_hash: '00'.repeat(32) }),
      isCode('NOT_FOUND'),
    );
  });

  test('the other refusals are NODE_ERROR with the plugin’s code and words', async () => {
    const cases: [string, (n: Node) => Promise<unknown>][] = [
      ['settleholdinvoice-no-htlcs.json', (n) => n.settleholdinvoice({ preimage: PREIMAGE })],
      ['settleholdinvoice-unpaid-with-parts.json', (n) => n.settleholdinvoice({ preimage: PREIMAGE })],
      ['cancelholdinvoice-paid.json', (n) => n.cancelholdinvoice({ payment_hash: HASH })],
      ['holdinvoice-duplicate.json', (n) => n.holdinvoice({ payment_hash: HASH, amount_msat: 1_000_000 })],
      ['holdinvoice-missing-amount.json', (n) => n.holdinvoice({ payment_hash: HASH, amount_msat: 1_000_000 })],
      ['listholdinvoices-both-filters.json', (n) => n.listholdinvoices({ payment_hash: HASH })],
    ];
    for (const [name, call] of cases) {
      const { message } = holdFixture(name).error;
      await assert.rejects(call(failing(name)), (e: unknown) => {
        assert.ok(isCode('NODE_ERROR')(e), `${name}: ${String(e)}`);
        assert.equal((e as AmpkitError).nodeCode, -32700);
        assert.ok((e as AmpkitError).message.includes(message), name);
        return true;
      });
    }
  });
});
