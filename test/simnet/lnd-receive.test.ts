/**
 * simnet's LND personality, receiving, through the real LNC path (connectLnc → mailbox →
 * endpoint → the node's handlers): GetInfo; LookupInvoice's NotFound texts; an AddInvoice
 * paid by a Core Lightning node in two parts, the first held until the second completes the
 * set, then SETTLED with both InvoiceHTLC rows; a hold invoice ACCEPTED once complete, refused
 * settlement while OPEN, then settled; the settle/cancel refusals of docs/lnd.md §5.4.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { connectLnc, GrpcError } from '@ampkit/wire/lnc';
import { NodeWebSocket } from '@ampkit/wire/node';
import { harness, type Harness } from './harness.ts';
import { channelBetween, chanIdOf, clnRoute, eventually, lndClient, lndMethods as m, simNode, type LndTestClient } from './lnd-harness.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const isGrpc = (code: number, message: string) => (e: unknown) => e instanceof GrpcError && e.code === code && e.message.includes(message);

describe('simnet LND node (alice) receiving over LNC', () => {
  let h: Harness;
  let alice: LndTestClient;
  before(async () => {
    h = await harness({ seed: 3, lnd: ['alice'] });
    alice = await lndClient(h.simnet, 'alice');
  });
  after(async () => {
    alice?.lnc.close();
    await h.stop();
  });

  test('the simnet lists alice as an LND node with a mailbox and a phrase, not as a commando node', () => {
    assert.deepEqual(
      h.simnet.lnd.map((n) => n.alias),
      ['alice'],
    );
    const info = h.simnet.lnd[0]!;
    assert.equal(info.id, simNode(h.simnet, 'alice').id);
    assert.match(info.lnc.mailbox, /^ws:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(info.lnc.pairingPhrase.split(' ').length, 10);
    assert.ok(!h.simnet.nodes.some((n) => n.alias === 'alice'));
  });

  test('lncSession gives a fresh phrase for the same node; a used phrase no longer pairs', async () => {
    const fresh = await h.simnet.lncSession('alice');
    assert.notEqual(fresh.pairingPhrase, h.simnet.lnd[0]!.lnc.pairingPhrase);
    const options = {
      mailbox: fresh.mailbox,
      WebSocket: NodeWebSocket,
      connectTimeout: 5000,
      gbn: { handshakeTimeoutMs: 200, resendTimeoutMs: 100 },
    };
    const first = await connectLnc({ ...options, pairingPhrase: fresh.pairingPhrase });
    const info = await first.unary(m.getInfo.path, new Uint8Array(0));
    assert.ok(info.length > 0);
    first.close();
    await assert.rejects(connectLnc({ ...options, pairingPhrase: fresh.pairingPhrase }), (e: unknown) => {
      assert.equal((e as { reason?: string }).reason, 'SESSION_NOT_FOUND', String(e));
      return true;
    });
  });

  test('LookupInvoice before any invoice: NotFound "there are no existing invoices"; a short hash: UNKNOWN', async () => {
    await assert.rejects(alice.call(m.lookupInvoice, { rHash: randomBytes(32) }), isGrpc(5, 'there are no existing invoices'));
    await assert.rejects(
      alice.call(m.lookupInvoice, { rHash: randomBytes(31) }),
      isGrpc(2, 'payment hash must be exactly 32 bytes, is instead 31'),
    );
  });

  test('GetInfo: identity, alias, regtest, height', async () => {
    const info = await alice.call(m.getInfo, {});
    assert.equal(info.identityPubkey, simNode(h.simnet, 'alice').id);
    assert.equal(info.alias, 'alice');
    assert.equal(info.chains[0]?.network, 'regtest');
    assert.equal(info.blockHeight, 1000);
    assert.equal(info.syncedToChain, true);
    assert.match(info.color, /^#[0-9a-f]{6}$/);
  });

  test('AddInvoice paid by Core Lightning in two parts: held while partial, then SETTLED with both HTLC rows', async () => {
    const wallet = await h.client('wallet');
    const total = 200_000_000;
    const added = await alice.call(m.addInvoice, { memo: 'two parts', valueMsat: BigInt(total) });
    assert.equal(added.rHash.length, 32);
    assert.equal(added.paymentAddr.length, 32);
    const hash = hex(added.rHash);
    const decoded = await wallet.request('decode', [added.paymentRequest]);
    assert.equal(decoded.payee, simNode(h.simnet, 'alice').id);
    assert.equal(decoded.payment_secret, hex(added.paymentAddr));
    assert.equal(decoded.min_final_cltv_expiry, 80, 'lnd default cltv_expiry');
    assert.equal(decoded.expiry, 86_400, 'lnd default expiry: 24 h');

    const updates = alice.stream(m.subscribeSingleInvoice, { rHash: added.rHash });
    const states: number[] = [];
    const followed = (async () => {
      for await (const inv of updates) states.push(inv.state);
    })();

    const send = (path: string[], partid: number) =>
      wallet.request('sendpay', {
        route: clnRoute(h.simnet, path, total / 2, 80),
        payment_hash: hash,
        payment_secret: hex(added.paymentAddr),
        amount_msat: total,
        partid,
        groupid: 1,
      });
    await send(['wallet', 'alice'], 1);
    const partial = await eventually(async () => {
      const inv = await alice.call(m.lookupInvoice, { rHash: added.rHash });
      return inv.htlcs.length === 1 ? inv : undefined;
    });
    assert.equal(partial.state, 0, 'OPEN while the set is partial');
    assert.equal(partial.amtPaidMsat, 0n, 'amt_paid counts only once not OPEN');
    const row = partial.htlcs[0]!;
    assert.equal(row.state, 0, 'the HTLC is ACCEPTED (held)');
    assert.equal(row.amtMsat, BigInt(total / 2));
    assert.equal(row.mppTotalAmtMsat, BigInt(total));
    assert.equal(row.chanId, chanIdOf(channelBetween(h.simnet, 'wallet', 'alice').scid).toString());
    assert.equal(row.expiryHeight, 1080);
    assert.ok(row.acceptTime > 0n);
    assert.equal(row.resolveTime, 0n);

    await send(['wallet', 'bob', 'alice'], 2);
    const results = await Promise.all(
      [1, 2].map((partid) => wallet.request('waitsendpay', { payment_hash: hash, partid, groupid: 1, timeout: 10 })),
    );
    await followed;
    const settled = await alice.call(m.lookupInvoice, { rHash: added.rHash });
    assert.equal(settled.state, 1, 'SETTLED');
    assert.equal(settled.amtPaidMsat, BigInt(total));
    assert.ok(settled.settleDate > 0n);
    assert.equal(settled.htlcs.length, 2);
    assert.deepEqual(
      settled.htlcs.map((x) => x.state),
      [1, 1],
    );
    assert.equal(new Set(settled.htlcs.map((x) => x.chanId)).size, 2, 'one part per incoming channel');
    for (const r of results) assert.equal(r.payment_preimage, hex(settled.rPreimage));
    assert.deepEqual(states, [0, 1], 'SubscribeSingleInvoice: OPEN now, then SETTLED; silent while a part is held; then ends');
    const list = await alice.call(m.listInvoices, { pendingOnly: false });
    assert.ok(list.invoices.some((i) => hex(i.rHash) === hash && i.state === 1));
  });

  test('dropConnections drops the LNC link; the client reconnects with its keys and calls again', async () => {
    await eventually(async () => (h.simnet.connections('alice') === 1 ? true : undefined));
    const states: string[] = [];
    const off = alice.lnc.on('state', (s) => states.push(s));
    h.simnet.dropConnections('alice');
    await eventually(async () => (states.includes('reconnecting') && alice.lnc.state === 'open' ? true : undefined));
    off();
    assert.equal((await alice.call(m.getInfo, {})).alias, 'alice');
  });

  test('LookupInvoice of an unknown hash: NotFound "unable to locate invoice"', async () => {
    await assert.rejects(alice.call(m.lookupInvoice, { rHash: randomBytes(32) }), isGrpc(5, 'unable to locate invoice'));
  });

  test('a hold invoice: settle refused while OPEN, ACCEPTED once complete (no preimage shown), then settled', async () => {
    const wallet = await h.client('wallet');
    const preimage = randomBytes(32);
    const hash = createHash('sha256').update(preimage).digest();
    const total = 50_000_000;
    const added = await alice.call(m.addHoldInvoice, { hash, valueMsat: BigInt(total), memo: 'hold' });
    await assert.rejects(alice.call(m.addHoldInvoice, { hash, valueMsat: 1000n }), isGrpc(2, 'invoice with payment hash already exists'));
    await assert.rejects(alice.call(m.settleInvoice, { preimage }), isGrpc(2, 'invoice still open'));
    const states: number[] = [];
    const followed = (async () => {
      for await (const inv of alice.stream(m.subscribeSingleInvoice, { rHash: hash })) states.push(inv.state);
    })();
    await wallet.request('sendpay', {
      route: clnRoute(h.simnet, ['wallet', 'alice'], total, 80),
      payment_hash: hex(hash),
      payment_secret: hex(added.paymentAddr),
      amount_msat: total,
      partid: 1,
      groupid: 1,
    });
    const accepted = await eventually(async () => {
      const inv = await alice.call(m.lookupInvoice, { rHash: hash });
      return inv.state === 3 ? inv : undefined;
    });
    assert.equal(accepted.rPreimage.length, 0, 'a hold invoice shows no preimage before SETTLED');
    assert.equal(accepted.amtPaidMsat, BigInt(total));
    assert.equal(accepted.htlcs[0]?.state, 0);
    await alice.call(m.settleInvoice, { preimage });
    const paid = await wallet.request('waitsendpay', { payment_hash: hex(hash), partid: 1, groupid: 1, timeout: 10 });
    assert.equal(paid.payment_preimage, hex(preimage));
    await followed;
    assert.deepEqual(states, [0, 3, 1], 'OPEN, ACCEPTED, SETTLED');
    const settled = await alice.call(m.lookupInvoice, { rHash: hash });
    assert.equal(hex(settled.rPreimage), hex(preimage));
    assert.equal(settled.htlcs[0]?.state, 1);
    await alice.call(m.settleInvoice, { preimage }); // idempotent
    await assert.rejects(alice.call(m.cancelInvoice, { paymentHash: hash }), isGrpc(2, 'invoice already settled'));
    await assert.rejects(alice.call(m.settleInvoice, { preimage: randomBytes(32) }), isGrpc(2, 'unable to locate invoice'));
  });

  test('a cancelled hold invoice: its held part fails back with INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS; settle is refused', async () => {
    const wallet = await h.client('wallet');
    const preimage = randomBytes(32);
    const hash = createHash('sha256').update(preimage).digest();
    const total = 40_000_000;
    const added = await alice.call(m.addHoldInvoice, { hash, valueMsat: BigInt(total) });
    await wallet.request('sendpay', {
      route: clnRoute(h.simnet, ['wallet', 'alice'], total / 2, 80),
      payment_hash: hex(hash),
      payment_secret: hex(added.paymentAddr),
      amount_msat: total,
      partid: 1,
      groupid: 1,
    });
    await eventually(async () => ((await alice.call(m.lookupInvoice, { rHash: hash })).htlcs.length === 1 ? true : undefined));
    await alice.call(m.cancelInvoice, { paymentHash: hash });
    await assert.rejects(wallet.request('waitsendpay', { payment_hash: hex(hash), partid: 1, groupid: 1, timeout: 10 }), (e: any) => {
      assert.equal(e.data?.failcodename, 'WIRE_INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS');
      return true;
    });
    const inv = await alice.call(m.lookupInvoice, { rHash: hash });
    assert.equal(inv.state, 2, 'CANCELED');
    assert.equal(inv.htlcs[0]?.state, 2);
    await alice.call(m.cancelInvoice, { paymentHash: hash }); // idempotent
    await assert.rejects(alice.call(m.settleInvoice, { preimage }), isGrpc(2, 'invoice already canceled'));
  });
});
