/**
 * The engine on an LND wallet: createEngine over lndNode, over a real LNC link (connectLnc →
 * simnet's mailbox → the LND personality of the `wallet` node), paying a Core Lightning shop
 * on the same simulated network, with the journal in (fake) IndexedDB. The same engine and
 * rules as on Core Lightning: parts journaled and tagged, handed to SendToRouteV2, followed to
 * the preimage; a paid hash answered from the journal and never sent again (rule 1.2.2); no
 * part beyond the amount (OVERPAY, rule 2); pay() with lnd's QueryRoutes as the planner and
 * with the local planner on lnd's graph. Receiving on lnd: test/core/lnd-receive-engine.test.ts.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { after, before, describe, test } from 'node:test';
import { connectLnc, type LncClient } from '@ampkit/wire/lnc';
import { NodeWebSocket } from '@ampkit/wire/node';
import type { CommandoClient } from '../../packages/wire/src/index.ts';
import { AmpkitError, createEngine, indexedDbStore, type Engine, type Node, type RouteHop } from '../../packages/core/src/index.ts';
import { lndNode } from '../../packages/core/src/node/lnd.ts';
import { harness, simNode, twoHopRoute, type Harness } from '../simnet/harness.ts';
import { lndClient, lndMethods as m, type LndTestClient } from '../simnet/lnd-harness.ts';

let h: Harness;
let lnc: LncClient;
let node: Node;
let engine: Engine;
let shop: CommandoClient;
/** A second LNC session to the wallet, to read lnd's own records. */
let observer: LndTestClient;
let labels = 0;

before(async () => {
  h = await harness({ seed: 11, lnd: ['wallet'] });
  const session = await h.simnet.lncSession('wallet');
  lnc = await connectLnc({
    pairingPhrase: session.pairingPhrase,
    mailbox: session.mailbox,
    WebSocket: NodeWebSocket,
    gbn: { handshakeTimeoutMs: 200, resendTimeoutMs: 100 },
  });
  node = await lndNode(lnc, { pollInterval: 20 });
  engine = await createEngine({ node, store: indexedDbStore({ indexedDB: new IDBFactory() }), waitChunk: 5 });
  shop = await h.client('shop');
  observer = await lndClient(h.simnet, 'wallet');
});
after(async () => {
  engine?.close();
  lnc?.close();
  observer?.lnc.close();
  await h.stop();
});

async function invoice(amount_msat: number) {
  const label = `lnd-engine-${++labels}`;
  const inv = await shop.request('invoice', { amount_msat, label, description: label });
  return {
    bolt11: inv.bolt11 as string,
    payment_hash: inv.payment_hash as string,
    payment_secret: inv.payment_secret as string,
    amount_msat,
  };
}

/** wallet → via → shop, delivering `amount`, in the engine's route terms. */
function route(via: string, amount: number): RouteHop[] {
  return twoHopRoute(h.simnet, 'wallet', via, 'shop', amount).map((hop) => ({ ...hop, direction: hop.direction === 1 ? 1 : 0 }));
}

/** The attempts lnd itself holds for a hash (TrackPaymentV2's first message). */
async function lndAttempts(payment_hash: string) {
  const stream = observer.stream(m.trackPaymentV2, { paymentHash: Buffer.from(payment_hash, 'hex'), noInflightUpdates: false });
  for await (const payment of stream) {
    stream.cancel();
    return payment.htlcs;
  }
  return [];
}

describe('the engine on an LND wallet over LNC, paying a Core Lightning shop', () => {
  test('two parts by sendpartialpay: journaled, tagged, settled once the set is complete, the preimage checked', async () => {
    const inv = await invoice(8_000_000);
    const common = { payment_hash: inv.payment_hash, intended_amount_msat: inv.amount_msat, payment_secret: inv.payment_secret };
    const first = await engine.sendpartialpay({ ...common, route: route('alice', 5_000_000), bolt11: inv.bolt11 });
    assert.equal(first.status, 'pending');
    const second = await engine.sendpartialpay({ ...common, route: route('bob', 3_000_000) });
    assert.deepEqual(
      [first, second].map((p) => ('partid' in p ? p.partid : undefined)),
      [1, 2],
    );
    const done = await engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 20 });
    assert.equal(done.status, 'complete');
    const { payments } = await engine.listpayments({ payment_hash: inv.payment_hash });
    assert.equal(payments[0]!.status, 'complete');
    assert.equal(payments[0]!.parts, 2);
    const preimage = payments[0]!.payment_preimage!;
    assert.match(preimage, /^[0-9a-f]{64}$/);
    const paid = (await shop.request('listinvoices', { payment_hash: inv.payment_hash })).invoices[0];
    assert.equal(paid.status, 'paid');
    assert.equal(paid.amount_received_msat, 8_000_000);
    // lnd holds exactly the two attempts, each with the engine's tag on the last hop.
    const attempts = await lndAttempts(inv.payment_hash);
    assert.equal(attempts.length, 2);
    for (const a of attempts) assert.ok(a.route?.hops.at(-1)?.customRecords.has(1634562155n), 'tagged');
  });

  test('a paid hash is answered from the journal with its preimage; lnd sees no new attempt (rule 1.2.2)', async () => {
    const inv = await invoice(2_000_000);
    const common = { payment_hash: inv.payment_hash, intended_amount_msat: inv.amount_msat, payment_secret: inv.payment_secret };
    await engine.sendpartialpay({ ...common, route: route('alice', 2_000_000) });
    assert.equal((await engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 20 })).status, 'complete');
    const again = await engine.sendpartialpay({ ...common, route: route('bob', 2_000_000) });
    assert.equal(again.already_complete, true);
    assert.match(String(again.payment_preimage), /^[0-9a-f]{64}$/);
    assert.equal((await lndAttempts(inv.payment_hash)).length, 1);
  });

  test('no part beyond the amount: OVERPAY before anything reaches lnd (rule 2)', async () => {
    const inv = await invoice(3_000_000);
    const common = { payment_hash: inv.payment_hash, intended_amount_msat: inv.amount_msat, payment_secret: inv.payment_secret };
    // The shop holds the first part (2 of 3 M) until the set is complete.
    await engine.sendpartialpay({ ...common, route: route('alice', 2_000_000) });
    await assert.rejects(engine.sendpartialpay({ ...common, route: route('bob', 1_500_000) }), (e: unknown) => {
      assert.ok(e instanceof AmpkitError);
      assert.equal(e.code, 'OVERPAY');
      return true;
    });
    assert.equal((await lndAttempts(inv.payment_hash)).length, 1);
    await engine.sendpartialpay({ ...common, route: route('bob', 1_000_000) });
    assert.equal((await engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 20 })).status, 'complete');
  });

  for (const planner of ['node', 'local'] as const) {
    test(`pay() with ${planner === 'node' ? "lnd's QueryRoutes" : "the local planner on lnd's graph"} pays a bolt11`, async () => {
      const inv = await invoice(20_000_000);
      const result = await engine.pay({ planner, bolt11: inv.bolt11 });
      assert.equal(result.status, 'complete', result.failreason);
      assert.equal(result.amount_delivered_msat, 20_000_000);
      assert.match(String(result.payment_preimage), /^[0-9a-f]{64}$/);
      const paid = (await shop.request('listinvoices', { payment_hash: inv.payment_hash })).invoices[0];
      assert.equal(paid.status, 'paid');
    });
  }
});
