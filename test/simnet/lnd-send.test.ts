/**
 * simnet's LND personality, sending, through the real LNC path: QueryRoutes for one route per
 * first channel; two SendToRouteV2 parts with the MPP record to a Core Lightning shop's
 * invoice, answered only when they resolve; a third part beyond the total refused with lnd's
 * overpay text while the two are held; TrackPaymentV2 (current state first, then updates,
 * SUCCEEDED with the preimage and the last hop's custom record as sent); AlreadyExists once
 * paid; a failing hop → a FAILED attempt with lnd's failure code and source index; without
 * skip_temp_err the payment FAILED, and sending again resets it (docs/lnd.md §3).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { GrpcError } from '@ampkit/wire/lnc';
import { harness, type Harness } from './harness.ts';
import { channelBetween, chanIdOf, eventually, lndClient, lndMethods as m, simNode, type LndTestClient } from './lnd-harness.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const isGrpc = (code: number, message: string) => (e: unknown) => e instanceof GrpcError && e.code === code && e.message === message;
/** The adapter's tag record type (docs/lnd.md §8, hard spot 1). */
const TAG = 1634562155n;
const tag = (groupid: number, partid: number) => Uint8Array.of(0, 0, 0, groupid, 0, 0, 0, partid);

describe('simnet LND node (alice) sending over LNC to a Core Lightning shop', () => {
  let h: Harness;
  let alice: LndTestClient;
  before(async () => {
    h = await harness({ seed: 5, lnd: ['alice'] });
    alice = await lndClient(h.simnet, 'alice');
  });
  after(async () => {
    alice?.lnc.close();
    await h.stop();
  });

  /** QueryRoutes to the shop through one first channel, with the MPP record and a tag on the last hop. */
  async function part(firstPeer: string, amount: number, total: number, paymentAddr: Uint8Array, partid: number, groupid = 1) {
    const shop = simNode(h.simnet, 'shop').id;
    const chan = chanIdOf(channelBetween(h.simnet, 'alice', firstPeer).scid);
    const { routes } = await alice.call(m.queryRoutes, {
      pubKey: shop,
      amtMsat: BigInt(amount),
      finalCltvDelta: 18,
      outgoingChanIds: [chan],
    });
    assert.equal(routes.length, 1, 'QueryRoutes gives one route');
    const route = routes[0]!;
    assert.equal(route.hops[0]!.chanId, chan.toString());
    const last = route.hops[route.hops.length - 1]!;
    assert.equal(last.pubKey, shop);
    assert.equal(last.amtToForwardMsat, BigInt(amount));
    assert.equal(last.mppRecord, undefined, 'QueryRoutes sets no MPP record');
    last.mppRecord = { paymentAddr, totalAmtMsat: BigInt(total) };
    last.customRecords = new Map([[TAG, tag(groupid, partid)]]);
    return route;
  }

  test('GetInfo and ListChannels over LNC', async () => {
    const info = await alice.call(m.getInfo, {});
    assert.equal(info.identityPubkey, simNode(h.simnet, 'alice').id);
    const { channels } = await alice.call(m.listChannels, {});
    const toShop = channels.find((c) => c.remotePubkey === simNode(h.simnet, 'shop').id)!;
    assert.equal(toShop.chanId, chanIdOf(channelBetween(h.simnet, 'alice', 'shop').scid).toString());
    assert.equal(toShop.capacity, 1_000_000n);
    assert.equal(toShop.localBalance, 700_000n);
    assert.equal(toShop.active, true);
    const graph = await alice.call(m.describeGraph, {});
    assert.equal(graph.edges.length, h.simnet.network.channels.size);
  });

  test('two MPP parts succeed; a third beyond the total is refused; TrackPaymentV2 shows SUCCEEDED with the preimage and the tags', async () => {
    const shop = await h.client('shop');
    const total = 300_000_000;
    const inv = await shop.request('invoice', { amount_msat: total, label: 'lnd-pays', description: 'from lnd' });
    const hash = Buffer.from(inv.payment_hash, 'hex');
    const addr = Buffer.from(inv.payment_secret, 'hex');
    await assert.rejects(alice.call(m.trackPaymentV2, { paymentHash: hash }), isGrpc(5, "payment isn't initiated"));

    const routes = [await part('shop', total / 2, total, addr, 1), await part('bob', total / 2, total, addr, 2)];
    h.simnet.setFaults('shop', { hold: true });
    // Released in any case, so a failure here does not leave later tests' HTLCs held.
    const release = () => h.simnet.setFaults('shop', { hold: false });
    try {
      const sends = routes.map((route) => alice.call(m.sendToRouteV2, { paymentHash: hash, route, skipTempErr: true }));
      const answered: number[] = [];
      sends.forEach((s, i) => void s.then(() => answered.push(i)));

      const messages: Awaited<ReturnType<typeof alice.call<typeof m.trackPaymentV2>>>[] = [];
      const track = alice.stream(m.trackPaymentV2, { paymentHash: hash });
      const tracked = (async () => {
        for await (const p of track) messages.push(p);
      })();
      await eventually(async () => (messages.at(-1)?.htlcs.filter((a) => a.status === 0).length === 2 ? true : undefined));
      assert.equal(messages[messages.length - 1]!.status, 1, 'IN_FLIGHT');
      assert.deepEqual(answered, [], 'SendToRouteV2 answers only when the HTLC resolves');

      const third = await part('shop', 1_000, total, addr, 3);
      await assert.rejects(
        alice.call(m.sendToRouteV2, { paymentHash: hash, route: third, skipTempErr: true }),
        isGrpc(2, `attempted value exceeds payment amount: attempted=${total + 1_000} mSAT, payment amount=${total} mSAT`),
      );

      release();
      const attempts = await Promise.all(sends);
      await tracked;
      const ids = attempts.map((a) => a.attemptId);
      assert.ok(ids[1]! > ids[0]!, 'attempt ids rise node-wide');
      for (const a of attempts) {
        assert.equal(a.status, 1, 'SUCCEEDED');
        assert.equal(createHash('sha256').update(a.preimage).digest('hex'), inv.payment_hash);
        assert.ok(a.resolveTimeNs >= a.attemptTimeNs && a.attemptTimeNs > 0n);
      }
      const final = messages[messages.length - 1]!;
      assert.equal(final.status, 2, 'SUCCEEDED, and the stream ended');
      assert.equal(final.paymentHash, inv.payment_hash);
      assert.equal(createHash('sha256').update(Buffer.from(final.paymentPreimage, 'hex')).digest('hex'), inv.payment_hash);
      assert.equal(final.valueMsat, BigInt(total));
      assert.ok(final.feeMsat > 0n, 'the part through bob paid a fee');
      assert.equal(final.htlcs.length, 2, 'the refused third part was never recorded');
      for (const [i, a] of final.htlcs.entries()) {
        const last = a.route!.hops[a.route!.hops.length - 1]!;
        assert.deepEqual([...last.customRecords.get(TAG)!], [...tag(1, i + 1)], 'the tag comes back as sent');
        assert.equal(hex(last.mppRecord!.paymentAddr), inv.payment_secret);
        assert.equal(last.mppRecord!.totalAmtMsat, BigInt(total));
      }
      assert.equal(messages[0]!.status, 1, 'the first message is the state at subscription');

      const paid = await shop.request('listinvoices', { label: 'lnd-pays' });
      assert.equal(paid.invoices[0].status, 'paid');
      assert.equal(paid.invoices[0].amount_received_msat, total);

      await assert.rejects(
        alice.call(m.sendToRouteV2, { paymentHash: hash, route: routes[0]!, skipTempErr: true }),
        isGrpc(6, 'invoice is already paid'),
      );
      const listed = await alice.call(m.listPayments, { includeIncomplete: true });
      assert.ok(listed.payments.some((p) => p.paymentHash === inv.payment_hash && p.status === 2));
    } finally {
      release();
    }
  });

  test('a hop failing: FAILED attempt with lnd code and source index; skip_temp_err keeps the payment open', async () => {
    const shop = await h.client('shop');
    const total = 20_000_000;
    const inv = await shop.request('invoice', { amount_msat: total, label: 'fails-once', description: 'x' });
    const hash = Buffer.from(inv.payment_hash, 'hex');
    const addr = Buffer.from(inv.payment_secret, 'hex');
    const route = await part('bob', total, total, addr, 1);
    h.simnet.setFaults(channelBetween(h.simnet, 'bob', 'shop').scid, { failNext: 1 });
    const failed = await alice.call(m.sendToRouteV2, { paymentHash: hash, route, skipTempErr: true });
    assert.equal(failed.status, 2, 'FAILED');
    assert.equal(failed.failure?.code, 15, 'TEMPORARY_CHANNEL_FAILURE');
    assert.equal(failed.failure?.failureSourceIndex, 1, 'bob, the node of hops[0]');
    const [first] = await collect(alice.stream(m.trackPaymentV2, { paymentHash: hash }), 1);
    assert.equal(first!.status, 1, 'all attempts failed temporarily: still IN_FLIGHT');
    assert.equal(first!.failureReason, 0);
    const retried = await alice.call(m.sendToRouteV2, {
      paymentHash: hash,
      route: await part('bob', total, total, addr, 2),
      skipTempErr: true,
    });
    assert.equal(retried.status, 1);
  });

  test('without skip_temp_err one failure fails the payment; sending again resets it (old attempts deleted)', async () => {
    const shop = await h.client('shop');
    const total = 10_000_000;
    const inv = await shop.request('invoice', { amount_msat: total, label: 'fails-for-good', description: 'x' });
    const hash = Buffer.from(inv.payment_hash, 'hex');
    const addr = Buffer.from(inv.payment_secret, 'hex');
    const route = await part('bob', total, total, addr, 1);
    await assert.rejects(
      alice.call(m.sendToRouteV2, {
        paymentHash: hash,
        route: { ...route, hops: route.hops.map((x) => ({ ...x, mppRecord: undefined })) },
        skipTempErr: true,
      }),
      isGrpc(2, 'cannot skip temp error for non-MPP'),
    );
    h.simnet.setFaults(channelBetween(h.simnet, 'bob', 'shop').scid, { failNext: 1 });
    const failed = await alice.call(m.sendToRouteV2, { paymentHash: hash, route, skipTempErr: false });
    assert.equal(failed.status, 2);
    const [state] = await collect(alice.stream(m.trackPaymentV2, { paymentHash: hash }), 1);
    assert.equal(state!.status, 3, 'FAILED');
    assert.equal(state!.failureReason, 3, 'FAILURE_REASON_ERROR');
    const again = await alice.call(m.sendToRouteV2, {
      paymentHash: hash,
      route: await part('bob', total, total, addr, 2),
      skipTempErr: true,
    });
    assert.equal(again.status, 1);
    const [done] = await collect(alice.stream(m.trackPaymentV2, { paymentHash: hash }), 1);
    assert.equal(done!.status, 2);
    assert.equal(done!.htlcs.length, 1, 'the reset deleted the failed attempt');
    assert.ok(done!.paymentIndex > state!.paymentIndex, 'a new payment_index');
  });

  test("QueryRoutes without a path: lnd's texts", async () => {
    await assert.rejects(
      alice.call(m.queryRoutes, { pubKey: simNode(h.simnet, 'shop').id, amtMsat: 10n ** 13n }),
      isGrpc(2, 'insufficient local balance'),
    );
    await assert.rejects(
      alice.call(m.queryRoutes, { pubKey: '02' + '11'.repeat(32), amtMsat: 1000n }),
      isGrpc(2, 'unable to find a path to destination'),
    );
  });
});

/** The first `n` messages of a stream, then cancels it. */
async function collect<T>(stream: AsyncIterable<T> & { cancel(): void }, n: number): Promise<T[]> {
  const out: T[] = [];
  for await (const x of stream) {
    out.push(x);
    if (out.length >= n) break;
  }
  stream.cancel();
  return out;
}
