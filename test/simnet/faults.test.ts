/** Every fault switch changes what a client sees. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect } from '../../packages/wire/src/index.ts';
import { NodeWebSocket } from '../../packages/wire/src/node.ts';
import { runControl } from '../../packages/simnet/src/index.ts';
import { harness, realFixture, twoHopRoute, type Harness } from './harness.ts';

let h: Harness;
before(async () => {
  h = await harness({ seed: 5 });
});
after(() => h.stop());

async function invoice(amount: number, label: string) {
  const shop = await h.client('shop');
  return shop.request('invoice', { amount_msat: amount, label, description: label });
}

async function sendVia(via: string, inv: { payment_hash: string; payment_secret: string }, amount: number, partid = 1) {
  const wallet = await h.client('wallet');
  await wallet.request('sendpay', {
    route: twoHopRoute(h.simnet, 'wallet', via, 'shop', amount),
    payment_hash: inv.payment_hash,
    payment_secret: inv.payment_secret,
    amount_msat: amount,
    partid,
    groupid: 1,
  });
  return wallet;
}

describe('simnet: faults', () => {
  test('latency on a routing node slows the HTLC', async () => {
    const inv = await invoice(1_000_000, 'latency');
    h.simnet.setFaults('alice', { latency: 300 });
    const started = Date.now();
    const wallet = await sendVia('alice', inv, 1_000_000);
    await wallet.request('waitsendpay', { payment_hash: inv.payment_hash, partid: 1, groupid: 1, timeout: 10 });
    assert.ok(Date.now() - started >= 300, `took ${Date.now() - started} ms`);
    h.simnet.setFaults('alice', { latency: 0 });
  });

  test('slow replies delay every RPC answer (switched from the control command)', async () => {
    const shop = await h.client('shop');
    assert.equal(await runControl(h.simnet, 'slow shop 250'), 'ok slow shop 250');
    const started = Date.now();
    await shop.request('getinfo');
    assert.ok(Date.now() - started >= 250);
    assert.equal(await runControl(h.simnet, 'slow shop 0'), 'ok slow shop 0');
    assert.match(await runControl(h.simnet, 'slow nobody 1'), /^error: no node or channel 'nobody'/);
    assert.match(await runControl(h.simnet, 'explode shop'), /^error: unknown command/);
  });

  test('fail the next N HTLCs on a channel, then it works again', async () => {
    const scid = twoHopRoute(h.simnet, 'wallet', 'bob', 'shop', 1)[1]!.channel;
    assert.equal(await runControl(h.simnet, `fail ${scid} 1`), `ok fail ${scid} 1`);
    const inv = await invoice(2_000_000, 'failnext');
    const wallet = await sendVia('bob', inv, 2_000_000, 1);
    await assert.rejects(
      wallet.request('waitsendpay', { payment_hash: inv.payment_hash, partid: 1, groupid: 1, timeout: 10 }),
      (e: { code: number; data: Record<string, unknown> }) => {
        assert.equal(e.code, 204);
        assert.equal(e.data.failcodename, 'WIRE_TEMPORARY_CHANNEL_FAILURE');
        assert.equal(e.data.erring_channel, scid);
        return true;
      },
    );
    await sendVia('bob', inv, 2_000_000, 2);
    assert.equal(
      (await wallet.request('waitsendpay', { payment_hash: inv.payment_hash, partid: 2, groupid: 1, timeout: 10 })).status,
      'complete',
    );
  });

  test('hold keeps HTLCs unresolved until switched off', async () => {
    const inv = await invoice(3_000_000, 'hold');
    h.simnet.setFaults('carol', { hold: true });
    const wallet = await sendVia('carol', inv, 3_000_000);
    await assert.rejects(wallet.request('waitsendpay', { payment_hash: inv.payment_hash, partid: 1, groupid: 1, timeout: 1 }), {
      code: 200,
    });
    const carol = (await wallet.request('listpeerchannels', { id: h.simnet.node('carol').node.id })).channels[0];
    assert.equal(carol.htlcs.length, 1);
    assert.equal(carol.htlcs[0].direction, 'out');
    h.simnet.setFaults('carol', { hold: false });
    assert.equal(
      (await wallet.request('waitsendpay', { payment_hash: inv.payment_hash, partid: 1, groupid: 1, timeout: 10 })).status,
      'complete',
    );
  });

  test('drop every socket: in-flight requests fail with CONNECTION, a new connection works', async () => {
    const info = h.simnet.nodes.find((n) => n.alias === 'wallet')!;
    const client = await connect({ nodeId: info.id, url: info.ws_url, rune: info.rune, WebSocket: NodeWebSocket, reconnect: false });
    const waiting = client.request('waitanyinvoice', { timeout: 30 });
    await new Promise((r) => setTimeout(r, 50));
    h.simnet.dropConnections('wallet');
    await assert.rejects(waiting, { code: 'CONNECTION' });
    const again = await h.client('wallet');
    assert.equal((await again.request('getinfo')).alias, 'wallet');
  });

  test('offline: no connection, peers see it disconnected and cannot route through it; back online all works', async () => {
    await h.simnet.setOnline('dave', false);
    const info = h.simnet.nodes.find((n) => n.alias === 'dave')!;
    await assert.rejects(
      connect({ nodeId: info.id, url: info.ws_url, rune: info.rune, WebSocket: NodeWebSocket, reconnect: false, connectTimeout: 2000 }),
      { code: 'CONNECTION' },
    );
    const wallet = await h.client('wallet');
    const ch = (await wallet.request('listpeerchannels', { id: info.id })).channels[0];
    assert.equal(ch.peer_connected, false);
    const inv = await invoice(1_000_000, 'offline');
    // Refused before it is recorded, with only the failure fields (test/fixtures/cln/sendpay-first-peer-not-ready.json).
    const notReady = realFixture('sendpay-first-peer-not-ready.json').error;
    const viaDave = twoHopRoute(h.simnet, 'wallet', 'dave', 'shop', 1_000_000);
    await assert.rejects(
      wallet.request('sendpay', {
        route: viaDave,
        payment_hash: inv.payment_hash,
        payment_secret: inv.payment_secret,
        amount_msat: 1_000_000,
        partid: 1,
        groupid: 1,
      }),
      (e: { code: number; message: string; data: Record<string, unknown> }) => {
        assert.deepEqual([e.code, e.message], [notReady.code, notReady.message]);
        assert.deepEqual(e.data, {
          ...notReady.data,
          erring_node: h.simnet.node('wallet').node.id,
          erring_channel: viaDave[0]!.channel,
          erring_direction: viaDave[0]!.direction,
        });
        return true;
      },
    );
    assert.deepEqual(
      (await wallet.request('listsendpays', { payment_hash: inv.payment_hash })).payments,
      [],
      'the node has no record of it',
    );
    await h.simnet.setOnline('dave', true);
    const dave = await h.client('dave');
    assert.equal((await dave.request('getinfo')).alias, 'dave');
    await sendVia('dave', inv, 1_000_000, 2);
    assert.equal(
      (await wallet.request('waitsendpay', { payment_hash: inv.payment_hash, partid: 2, groupid: 1, timeout: 10 })).status,
      'complete',
    );
  });

  test('refill all puts every channel back as it opened, but leaves those with an HTLC in flight as they are', async () => {
    const balances = () => [...h.simnet.network.channels.values()].map((c) => [...c.balance].join('/')).join(' ');
    const before = balances();
    const inv = await invoice(3_000_000, 'refill');
    const wallet = await sendVia('carol', inv, 3_000_000);
    await wallet.request('waitsendpay', { payment_hash: inv.payment_hash, partid: 1, groupid: 1, timeout: 10 });
    assert.notEqual(balances(), before, 'the payment moved money');
    const scid = twoHopRoute(h.simnet, 'wallet', 'carol', 'shop', 1)[1]!.channel;
    h.simnet.setFaults(scid, { hold: true });
    const held = await invoice(1_000_000, 'refill-held');
    await sendVia('carol', held, 1_000_000);
    const channel = h.simnet.network.channels.get(scid)!;
    for (let i = 0; i < 100 && channel.htlcs.size === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(await runControl(h.simnet, 'refill all'), /^ok refill all \(\d+ channels; 2 with HTLCs in flight left as they are\)$/);
    assert.equal(channel.htlcs.size, 1, 'the held part, on both channels of its path, stays');
    h.simnet.setFaults(scid, { hold: false });
    const busy = () => [...h.simnet.network.channels.values()].some((c) => c.htlcs.size > 0);
    for (let i = 0; i < 200 && busy(); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(await runControl(h.simnet, 'refill all'), /^ok refill all \(\d+ channels\)$/);
    const opening = [...h.simnet.network.channels.values()].map((c) => `${c.opened}/${c.capacity_msat - c.opened}`).join(' ');
    assert.equal(balances(), opening, 'every balance as it opened');
    assert.match(await runControl(h.simnet, 'refill bob'), /^error: refill takes 'all'/);
  });
});
