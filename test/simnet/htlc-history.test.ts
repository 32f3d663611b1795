/**
 * The node's HTLC history as Core Lightning v25.05+ keeps it: `listhtlcs` with created and
 * updated indexes, and `wait htlcs` returning once an index reaches the asked value.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CommandoClient } from '../../packages/wire/src/index.ts';
import { harness, twoHopRoute, type Harness } from './harness.ts';

let h: Harness;
let shop: CommandoClient;
let wallet: CommandoClient;
before(async () => {
  h = await harness({ seed: 21 });
  shop = await h.client('shop');
  wallet = await h.client('wallet');
});
after(() => h.stop());

test('wait htlcs: 0 gives the current index at once; a higher value waits for the next HTLC and describes it', async () => {
  assert.deepEqual(await shop.request('wait', { subsystem: 'htlcs', indexname: 'created', nextvalue: 0 }), {
    subsystem: 'htlcs',
    created: 0,
  });
  const waiting = shop.request('wait', { subsystem: 'htlcs', indexname: 'created', nextvalue: 1 });
  const updated = shop.request('wait', ['htlcs', 'updated', 2]);
  let settled = false;
  void waiting.then(() => (settled = true));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(settled, false);

  const inv = await shop.request('invoice', { amount_msat: 5000, label: 'history', description: 'history' });
  await wallet.request('sendpay', {
    route: twoHopRoute(h.simnet, 'wallet', 'alice', 'shop', 5000),
    payment_hash: inv.payment_hash,
    payment_secret: inv.payment_secret,
    amount_msat: 5000,
    partid: 1,
    groupid: 1,
  });
  const created = await waiting;
  assert.equal(created.subsystem, 'htlcs');
  assert.equal(created.created, 1);
  assert.equal(created.details.direction, 'in');
  assert.equal(created.details.payment_hash, inv.payment_hash);
  assert.equal(created.details.amount_msat, 5000);
  // Committed (updated 1), then removed when the node claims it (updated 2).
  assert.equal((await updated).updated, 2);
  await wallet.request('waitsendpay', { payment_hash: inv.payment_hash, partid: 1, groupid: 1, timeout: 10 });
});

test('listhtlcs by created index and by updated index, from a start, with a limit', async () => {
  const all = (await shop.request('listhtlcs', {})).htlcs;
  assert.equal(all.length, 1);
  const [row] = all;
  assert.deepEqual(Object.keys(row).sort(), [
    'amount_msat',
    'created_index',
    'direction',
    'expiry',
    'id',
    'payment_hash',
    'short_channel_id',
    'state',
    'updated_index',
  ]);
  assert.equal(row.state, 'SENT_REMOVE_ACK_REVOCATION');
  assert.equal(row.created_index, 1);
  assert.equal(row.updated_index, 2);
  assert.deepEqual((await shop.request('listhtlcs', { index: 'created', start: 2 })).htlcs, []);
  assert.deepEqual((await shop.request('listhtlcs', { index: 'updated', start: 2 })).htlcs, [row]);
  assert.deepEqual((await shop.request('listhtlcs', { index: 'updated', start: 3 })).htlcs, []);
  assert.deepEqual((await shop.request('listhtlcs', { index: 'created', start: 1, limit: 0 })).htlcs, []);
  // The payer's node keeps the outgoing side of the same payment.
  const out = (await wallet.request('listhtlcs', { index: 'created', start: 1 })).htlcs;
  assert.equal(out[0].direction, 'out');
  assert.equal(out[0].state, 'RCVD_REMOVE_ACK_REVOCATION');
  await assert.rejects(shop.request('listhtlcs', { id: '9x9x9' }), { code: -32602 });
  await assert.rejects(shop.request('wait', { subsystem: 'htlcs', indexname: 'sideways', nextvalue: 0 }), { code: -32602 });
});
