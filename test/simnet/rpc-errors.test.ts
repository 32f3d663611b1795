/** Runes and bad input: CLN's codes and messages, and the node keeps working afterwards. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import LnMessage from 'lnmessage';
import { fixture, harness, realFixture, twoHopRoute, type Harness } from './harness.ts';

let h: Harness;
before(async () => {
  h = await harness({ seed: 3 });
});
after(() => h.stop());

describe('simnet: runes', () => {
  test('the read-only rune may list, get, wait and decode, and is refused sendpay', async () => {
    const ro = await h.client('wallet', { readonly: true });
    assert.equal((await ro.request('getinfo')).alias, 'wallet');
    assert.ok(Array.isArray((await ro.request('listpeerchannels')).channels));
    await assert.rejects(ro.request('waitsendpay', { payment_hash: '00'.repeat(32) }), { code: 208 });
    assert.equal((await ro.request('decode', ['nonsense'])).valid, false);
    await assert.rejects(
      ro.request('sendpay', { route: twoHopRoute(h.simnet, 'wallet', 'alice', 'shop', 1000), payment_hash: '00'.repeat(32) }),
      (e: { code: number; message: string }) => e.code === 19537 && e.message.startsWith('Invalid rune: Not permitted'),
    );
    await assert.rejects(ro.request('invoice', { amount_msat: 1, label: 'x', description: 'y' }), { code: 19537 });
  });

  test('createrune and showrunes answer in v25.12 shapes, and the new rune is enforced', async () => {
    const admin = await h.client('shop');
    const made = await admin.request('createrune', { restrictions: [['method=invoice'], ['rate=10']] });
    assert.deepEqual(Object.keys(made), Object.keys(fixture('createrune-restricted.json')));
    const shown = (await admin.request('showrunes', { rune: made.rune })).runes[0];
    assert.deepEqual(Object.keys(shown), Object.keys(fixture('showrunes.json').runes[2]));
    assert.equal(shown.restrictions_as_english, 'method equal to invoice AND rate equal to 10');
    const info = h.simnet.nodes.find((n) => n.alias === 'shop')!;
    const { connect } = await import('../../packages/wire/src/index.ts');
    const { NodeWebSocket } = await import('../../packages/wire/src/node.ts');
    const limited = await connect({ nodeId: info.id, url: info.ws_url, rune: made.rune, WebSocket: NodeWebSocket, reconnect: false });
    try {
      assert.ok((await limited.request('invoice', { amount_msat: 1000, label: 'by-limited', description: 'ok' })).bolt11);
      await assert.rejects(limited.request('listinvoices'), { code: 19537 });
    } finally {
      limited.close();
    }
  });
});

describe('simnet: bad input gets Core Lightning errors', () => {
  test('unknown method', async () => {
    const c = await h.client('wallet');
    await assert.rejects(c.request('nosuchmethod', {}), fixture('error-unknown-method.json'));
  });

  test('a hop id that is not a node id, as the fixture', async () => {
    const c = await h.client('wallet');
    const route = twoHopRoute(h.simnet, 'wallet', 'alice', 'shop', 1000);
    route[0]!.id = '02aa';
    await assert.rejects(c.request('sendpay', { route, payment_hash: '00'.repeat(32) }), fixture('error-sendpay-bad-params.json'));
  });

  test('wrong types, missing params, unknown params, unsafe amounts', async () => {
    const c = await h.client('wallet');
    const cases: [string, unknown, number, string | RegExp][] = [
      ['invoice', { label: 'x', description: 'y' }, -32602, 'missing required parameter: amount_msat'],
      [
        'invoice',
        { amount_msat: 'lots', label: 'x', description: 'y' },
        -32602,
        `amount_msat: should be a millisatoshi amount: invalid token '"lots"'`,
      ],
      ['invoice', { amount_msat: 2 ** 53, label: 'x', description: 'y' }, -32602, /^amount_msat: should be a millisatoshi amount/],
      ['invoice', { amount_msat: 1.5, label: 'x', description: 'y' }, -32602, /^amount_msat: should be a millisatoshi amount/],
      ['invoice', { amount_msat: 1000, label: 'x', description: 'y', colour: 'red' }, -32602, /^unknown parameter: colour/],
      ['invoice', [1000, 'x', 'y', 1, null, null, null, null, null, 'extra'], -32602, 'too many parameters: got 10, expected 9'],
      ['waitsendpay', { payment_hash: 'xyz' }, -32602, `payment_hash: should be a 32 byte hex value: invalid token '"xyz"'`],
      ['sendpay', { route: 'r', payment_hash: '00'.repeat(32) }, -32602, `route: should be an array: invalid token '"r"'`],
      ['sendpay', { route: [], payment_hash: '00'.repeat(32) }, -32602, 'Empty route'],
      ['listpeerchannels', { id: 42 }, -32602, `id: should be a node id: invalid token '42'`],
      ['getroute', { id: '02' + 'ab'.repeat(32), amount_msat: 1000, riskfactor: 1 }, 205, 'Could not find a route'],
      ['delinvoice', { label: 'nope', status: 'unpaid' }, 905, 'Unknown invoice'],
    ];
    for (const [method, params, code, message] of cases) {
      await assert.rejects(c.request(method, params as Record<string, unknown>), (e: { code: number; message: string }) => {
        assert.equal(e.code, code, `${method} ${JSON.stringify(params)}`);
        if (typeof message === 'string') assert.equal(e.message, message);
        else assert.match(e.message, message);
        return true;
      });
    }
  });

  test('an unknown channel in a route and a route that does not connect fail as CLN reports them', async () => {
    const c = await h.client('wallet');
    const route = twoHopRoute(h.simnet, 'wallet', 'alice', 'shop', 1000);
    // No channel 1x1x1 to our first peer: refused before the part is recorded, only the
    // failure fields in data (test/fixtures/cln/sendpay-no-first-peer.json).
    const noPeer = realFixture('sendpay-no-first-peer.json').error;
    await assert.rejects(
      c.request('sendpay', { route: [{ ...route[0]!, channel: '1x1x1' }, route[1]], payment_hash: '01'.repeat(32) }),
      (e: { code: number; message: string; data: Record<string, unknown> }) => {
        assert.deepEqual([e.code, e.message], [noPeer.code, noPeer.message]);
        assert.deepEqual(e.data, { ...noPeer.data, erring_node: h.simnet.node('wallet').node.id });
        return true;
      },
    );
    assert.deepEqual((await c.request('listsendpays', { payment_hash: '01'.repeat(32) })).payments, []);
    // alice has no channel 1x1x1 to the shop: she answers unknown_next_peer.
    await c.request('sendpay', { route: [route[0], { ...route[1]!, channel: '1x1x1' }], payment_hash: '02'.repeat(32) });
    await assert.rejects(
      c.request('waitsendpay', { payment_hash: '02'.repeat(32), timeout: 5 }),
      (e: { code: number; data: Record<string, unknown> }) => {
        assert.equal(e.code, 204);
        assert.equal(e.data.failcodename, 'WIRE_UNKNOWN_NEXT_PEER');
        assert.equal(e.data.erring_index, 1);
        assert.equal(e.data.erring_node, h.simnet.node('alice').node.id);
        return true;
      },
    );
    // A fee too low for alice's policy: fee_insufficient from alice, for her outgoing channel.
    const cheap = twoHopRoute(h.simnet, 'wallet', 'alice', 'shop', 5_000_000);
    cheap[0]!.amount_msat = cheap[1]!.amount_msat;
    await c.request('sendpay', { route: cheap, payment_hash: '03'.repeat(32) });
    await assert.rejects(
      c.request('waitsendpay', { payment_hash: '03'.repeat(32), timeout: 5 }),
      (e: { data: Record<string, unknown> }) => {
        assert.equal(e.data.failcodename, 'WIRE_FEE_INSUFFICIENT');
        assert.equal(e.data.erring_channel, cheap[1]!.channel);
        return true;
      },
    );
    // A delay that leaves alice no cltv_expiry_delta: incorrect_cltv_expiry.
    const tight = twoHopRoute(h.simnet, 'wallet', 'alice', 'shop', 5_000_000);
    tight[0]!.delay = tight[1]!.delay;
    await c.request('sendpay', { route: tight, payment_hash: '04'.repeat(32) });
    await assert.rejects(
      c.request('waitsendpay', { payment_hash: '04'.repeat(32), timeout: 5 }),
      (e: { data: Record<string, unknown> }) => e.data.failcodename === 'WIRE_INCORRECT_CLTV_EXPIRY',
    );
    // More than the next channel holds: temporary_channel_failure.
    const huge = twoHopRoute(h.simnet, 'wallet', 'alice', 'bob', 700_000_000);
    await c.request('sendpay', { route: huge, payment_hash: '05'.repeat(32) });
    await assert.rejects(
      c.request('waitsendpay', { payment_hash: '05'.repeat(32), timeout: 5 }),
      (e: { data: Record<string, unknown> }) => e.data.failcodename === 'WIRE_TEMPORARY_CHANNEL_FAILURE',
    );
    // More than our own first channel can spend: recorded pending, then failed by our own
    // node (test/fixtures/cln/sendpay-capacity-exceeded.json, waitsendpay-capacity-exceeded.json).
    const local = twoHopRoute(h.simnet, 'wallet', 'alice', 'shop', 745_000_000);
    assert.equal((await c.request('sendpay', { route: local, payment_hash: '06'.repeat(32) })).status, 'pending');
    const exceeded = realFixture('waitsendpay-capacity-exceeded.json').error;
    await assert.rejects(
      c.request('waitsendpay', { payment_hash: '06'.repeat(32), timeout: 5 }),
      (e: { code: number; message: string; data: Record<string, unknown> }) => {
        assert.equal(e.code, exceeded.code);
        assert.match(e.message, /^failed: WIRE_TEMPORARY_CHANNEL_FAILURE \(WIRE_TEMPORARY_CHANNEL_FAILURE: Capacity exceeded/);
        assert.deepEqual([e.data.erring_index, e.data.failcode, e.data.erring_channel], [0, exceeded.data.failcode, local[0]!.channel]);
        return true;
      },
    );
    // The node still works.
    assert.equal((await c.request('getinfo')).alias, 'wallet');
  });

  test('lnmessage, unmodified, gets the same answers and errors', async () => {
    const info = h.simnet.nodes.find((n) => n.alias === 'shop')!;
    const port = Number(new URL(info.ws_url).port);
    const ln = new LnMessage({ remoteNodePublicKey: info.id, ip: '127.0.0.1', port, wsProtocol: 'ws:' });
    assert.equal(await ln.connect(false), true);
    try {
      const got = (await ln.commando({ method: 'getinfo', params: [], rune: info.rune })) as Record<string, unknown>;
      assert.deepEqual(Object.keys(got), Object.keys(fixture('getinfo.json')));
      const inv = (await ln.commando({
        method: 'invoice',
        params: { amount_msat: 5000, label: 'ln', description: 'lnmessage' },
        rune: info.rune,
      })) as { bolt11: string };
      assert.match(inv.bolt11, /^lnbcrt50n1/);
      await assert.rejects(ln.commando({ method: 'sendpay', params: {}, rune: info.readonly_rune }));
    } finally {
      ln.disconnect();
    }
  });
});
