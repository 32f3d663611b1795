/** An incomplete set is held (visible in listpeerchannels) and fails back with mpp_timeout; balances return. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fixture, harness, twoHopRoute, type Harness } from './harness.ts';

describe('simnet: two parts of three, then mpp_timeout', () => {
  let h: Harness;
  before(async () => {
    h = await harness({ seed: 11, mppTimeout: 0.4 });
  });
  after(() => h.stop());

  test('held parts show in listpeerchannels, the invoice stays unpaid, then both fail back and balances return', async () => {
    const wallet = await h.client('wallet');
    const shop = await h.client('shop');
    const before = (await wallet.request('listpeerchannels', {})).channels.map((c: { to_us_msat: number }) => c.to_us_msat);
    const total = 900_000_000;
    const inv = await shop.request('invoice', { amount_msat: total, label: 'partial', description: 'two of three' });
    for (const [i, via] of ['alice', 'bob'].entries()) {
      await wallet.request('sendpay', {
        route: twoHopRoute(h.simnet, 'wallet', via, 'shop', 300_000_000),
        payment_hash: inv.payment_hash,
        payment_secret: inv.payment_secret,
        amount_msat: total,
        partid: i + 1,
        groupid: 1,
      });
    }
    await new Promise((r) => setTimeout(r, 100));
    const shopChannels = (await shop.request('listpeerchannels', {})).channels as Record<string, unknown>[];
    const expectedChannelKeys = Object.keys(fixture('listpeerchannels-held-in.json').channels[1]).filter((k) => !k.startsWith('close_to'));
    for (const c of shopChannels) assert.deepEqual(Object.keys(c), expectedChannelKeys);
    const held = shopChannels.flatMap((c) => c.htlcs as Record<string, unknown>[]);
    assert.equal(held.length, 2);
    const expectedKeys = Object.keys(fixture('listpeerchannels-held-in.json').channels[1].htlcs[0]);
    for (const htlc of held) {
      assert.deepEqual(Object.keys(htlc), expectedKeys);
      assert.equal(htlc.direction, 'in');
      assert.equal(htlc.state, 'RCVD_ADD_ACK_REVOCATION');
      assert.equal(htlc.payment_hash, inv.payment_hash);
      assert.equal(htlc.amount_msat, 300_000_000);
    }
    const unpaid = (await shop.request('listinvoices', { label: 'partial' })).invoices[0];
    assert.equal(unpaid.status, 'unpaid');
    assert.equal(unpaid.amount_received_msat, undefined);
    await assert.rejects(wallet.request('waitsendpay', { payment_hash: inv.payment_hash, partid: 1, groupid: 1, timeout: 0 }), {
      code: 200,
      message: 'Timed out while waiting',
    });

    for (const partid of [1, 2]) {
      await assert.rejects(
        wallet.request('waitsendpay', { payment_hash: inv.payment_hash, partid, groupid: 1, timeout: 10 }),
        (e: { code: number; message: string; data: Record<string, unknown> }) => {
          assert.equal(e.code, 204);
          assert.equal(e.message, 'failed: WIRE_MPP_TIMEOUT (reply from remote)');
          assert.deepEqual(
            Object.keys(e.data),
            Object.keys(fixture('waitsendpay-mpp-timeout.json').data).filter((k) => k !== 'bolt11'),
          );
          assert.equal(e.data.failcode, 23);
          assert.equal(e.data.failcodename, 'WIRE_MPP_TIMEOUT');
          assert.equal(e.data.erring_index, 2);
          assert.equal(e.data.erring_node, h.simnet.node('shop').node.id);
          assert.equal(e.data.raw_message, '0017');
          assert.equal(e.data.status, 'pending');
          return true;
        },
      );
    }
    // A failed part cannot be sent again under the same (hash, groupid, partid).
    await assert.rejects(
      wallet.request('sendpay', {
        route: twoHopRoute(h.simnet, 'wallet', 'alice', 'shop', 300_000_000),
        payment_hash: inv.payment_hash,
        payment_secret: inv.payment_secret,
        amount_msat: total,
        partid: 1,
        groupid: 1,
      }),
      { code: 201 },
    );
    const afterwards = (await wallet.request('listpeerchannels', {})).channels.map((c: { to_us_msat: number }) => c.to_us_msat);
    assert.deepEqual(afterwards, before);
    assert.deepEqual(
      (await shop.request('listpeerchannels', {})).channels.flatMap((c: { htlcs: unknown[] }) => c.htlcs),
      [],
    );
    assert.equal((await shop.request('listinvoices', { label: 'partial' })).invoices[0].status, 'unpaid');
    const failed = (await wallet.request('listsendpays', { payment_hash: inv.payment_hash })).payments;
    assert.deepEqual(
      failed.map((p: { status: string }) => p.status),
      ['failed', 'failed'],
    );
  });

  test('a part for an unknown hash fails with incorrect_or_unknown_payment_details (203) and its raw data', async () => {
    const wallet = await h.client('wallet');
    const hash = '11'.repeat(32);
    await wallet.request('sendpay', {
      route: twoHopRoute(h.simnet, 'wallet', 'carol', 'shop', 1_000_000),
      payment_hash: hash,
      payment_secret: '22'.repeat(32),
      amount_msat: 1_000_000,
      partid: 1,
      groupid: 1,
    });
    await assert.rejects(
      wallet.request('waitsendpay', [hash, 10, 1, 1]),
      (e: { code: number; message: string; data: Record<string, unknown> }) => {
        assert.equal(e.code, 203);
        assert.equal(e.message, 'failed: WIRE_INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS (reply from remote)');
        assert.equal(e.data.failcode, 16399);
        assert.equal(e.data.raw_message, `400f${(1_000_000).toString(16).padStart(16, '0')}${(1000).toString(16).padStart(8, '0')}`);
        return true;
      },
    );
  });

  test('underpayment, a wrong secret and overpayment beyond twice are refused at the destination', async () => {
    const wallet = await h.client('wallet');
    const shop = await h.client('shop');
    const inv = await shop.request('invoice', { amount_msat: 50_000_000, label: 'checks', description: 'rules' });
    const cases = [
      { secret: inv.payment_secret, total: 40_000_000, amount: 40_000_000 },
      { secret: '33'.repeat(32), total: 50_000_000, amount: 50_000_000 },
      { secret: inv.payment_secret, total: 100_000_001, amount: 50_000_000 },
    ];
    for (const [i, c] of cases.entries()) {
      await wallet.request('sendpay', {
        route: twoHopRoute(h.simnet, 'wallet', 'dave', 'shop', c.amount),
        payment_hash: inv.payment_hash,
        payment_secret: c.secret,
        amount_msat: c.total,
        partid: i + 1,
        groupid: 5,
      });
      await assert.rejects(wallet.request('waitsendpay', { payment_hash: inv.payment_hash, partid: i + 1, groupid: 5, timeout: 10 }), {
        code: 203,
      });
    }
    assert.equal((await shop.request('listinvoices', { label: 'checks' })).invoices[0].status, 'unpaid');
  });
});
