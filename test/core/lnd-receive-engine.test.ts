/**
 * The partial-invoice engine on an LND shop: createEngine over lndNode, over a real LNC link
 * to simnet's LND personality of `shop`, paid part by part by the Core Lightning `wallet`
 * (`sendpay`, one HTLC each). lnd keeps no HTLC history, so the engine follows each open
 * invoice by the HTLCs lnd lists with it (LookupInvoice, woken by SubscribeSingleInvoice;
 * docs/lnd.md hard spot 5): parts held toward a plain invoice are listed with lnd's accept
 * time, the invoice is paid once lnd settles the complete set; a hold invoice's preimage is
 * handed over once lnd has ACCEPTED the set, never before; a part lnd times out on its own is
 * reported gone as a timeout; a new engine on the same journal picks an open invoice up.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { IDBFactory } from 'fake-indexeddb';
import { after, before, describe, test } from 'node:test';
import type { LncClient } from '@ampkit/wire/lnc';
import type { CommandoClient } from '../../packages/wire/src/index.ts';
import {
  createEngine,
  indexedDbStore,
  type Engine,
  type Invoice,
  type PartialInvoice,
  type PartGoneReason,
  type Store,
} from '../../packages/core/src/index.ts';
import { lndNode } from '../../packages/core/src/node/lnd.ts';
import { harness, twoHopRoute, type Harness } from '../simnet/harness.ts';
import { eventually, lndClient, lndMethods as m, pairLnc, type LndTestClient } from '../simnet/lnd-harness.ts';

/** Seconds simnet's lnd holds a part of an incomplete set (lnd's own: 120): long enough for a restart with a new pairing under load. */
const LND_MPP_TIMEOUT = 6;

let h: Harness;
let wallet: CommandoClient;
/** A second LNC session to the shop, to read lnd's own records. */
let observer: LndTestClient;
const links: LncClient[] = [];

before(async () => {
  h = await harness({ seed: 13, lnd: ['shop'], lndMppTimeout: LND_MPP_TIMEOUT });
  wallet = await h.client('wallet');
  observer = await lndClient(h.simnet, 'shop');
});
after(async () => {
  for (const lnc of links) lnc.close();
  observer?.lnc.close();
  await h.stop();
});

/** An engine on the LND shop over a fresh LNC session, on `store`; events recorded. */
async function shopEngine(store: Store) {
  const lnc = await pairLnc(h.simnet, 'shop');
  links.push(lnc);
  const engine = await createEngine({
    node: await lndNode(lnc, { invoicePollInterval: 50 }),
    store,
    mppTimeout: LND_MPP_TIMEOUT,
  });
  const events = {
    parts: [] as PartialInvoice[],
    gone: [] as { part: PartialInvoice; reason: PartGoneReason }[],
    paid: [] as Invoice[],
  };
  engine.on('invoice-part', (part) => events.parts.push(part));
  engine.on('invoice-part-gone', (gone) => events.gone.push(gone));
  engine.on('invoice-paid', (invoice) => events.paid.push(invoice));
  return { engine, lnc, events, close: () => (engine.close(), lnc.close()) };
}

/** The wallet sends one part of `invoice` over `via` (a Core Lightning `sendpay`). */
async function sendPart(invoice: Invoice, via: string, amount: number, partid: number) {
  const decoded = await wallet.request('decode', [invoice.bolt11]);
  await wallet.request('sendpay', {
    route: twoHopRoute(h.simnet, 'wallet', via, 'shop', amount, decoded.min_final_cltv_expiry),
    payment_hash: invoice.payment_hash,
    payment_secret: decoded.payment_secret,
    amount_msat: invoice.amount_msat,
    partid,
    groupid: 1,
  });
}

const lookup = (payment_hash: string) => observer.call(m.lookupInvoice, { rHash: Buffer.from(payment_hash, 'hex') });
const sha256 = (hex: string) => createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex');
const store = () => indexedDbStore({ indexedDB: new IDBFactory() });

describe('the partial-invoice engine on an LND shop over LNC, paid by a Core Lightning wallet', () => {
  test("a plain invoice: the first part is listed held with lnd's accept time; the second completes it; paid once, with both parts", async () => {
    const shop = await shopEngine(store());
    try {
      const invoice = await shop.engine.invoice({ amount_msat: 300_000_000, description: 'two parts on lnd' });
      assert.equal((await lookup(invoice.payment_hash)).state, 0, 'lnd has it OPEN');
      await sendPart(invoice, 'alice', 100_000_000, 1);
      const [held] = await eventually(async () => {
        const { partialinvoices } = await shop.engine.listpartialinvoices({ payment_hash: invoice.payment_hash });
        return partialinvoices.length === 1 ? partialinvoices : undefined;
      });
      const row = (await lookup(invoice.payment_hash)).htlcs[0]!;
      assert.equal(held!.partial_amount_msat, 100_000_000);
      assert.equal(held!.total_amount_msat, 300_000_000);
      assert.equal(held!.state, 'accepted');
      assert.equal(held!.incoming_time_unix, Number(row.acceptTime), "lnd's accept_time");
      assert.equal(held!.expiry, row.expiryHeight);
      assert.equal(held!.htlc_id, Number(row.htlcIndex));
      assert.deepEqual(shop.events.parts, [held]);
      const open = (await shop.engine.listinvoices({ payment_hash: invoice.payment_hash })).invoices[0]!;
      assert.equal(open.status, 'unpaid');
      assert.equal(open.amount_held_msat, 100_000_000);

      await sendPart(invoice, 'bob', 200_000_000, 2);
      const paid = await shop.engine.waitinvoice({ payment_hash: invoice.payment_hash, timeout: 10 });
      assert.equal(paid.status, 'paid');
      assert.equal(paid.amount_received_msat, 300_000_000);
      assert.equal(paid.parts, 2);
      assert.equal(paid.amount_held_msat, 0);
      assert.equal(sha256(paid.payment_preimage!), invoice.payment_hash);
      assert.equal(shop.events.paid.length, 1, 'paid once');
      assert.equal(shop.events.parts.length, 2);
      assert.deepEqual(shop.events.gone, []);
      assert.deepEqual((await shop.engine.listpartialinvoices({})).partialinvoices, []);
    } finally {
      shop.close();
    }
  });

  test('a hold invoice: nothing is settled while the set is partial; once lnd ACCEPTs it the engine settles, once', async () => {
    const shop = await shopEngine(store());
    try {
      const invoice = await shop.engine.invoice({ amount_msat: 240_000_000, description: 'held on lnd', hold: true });
      assert.equal(invoice.hold, true);
      const atLnd = await lookup(invoice.payment_hash);
      assert.equal(atLnd.state, 0);
      assert.equal(atLnd.rPreimage.length, 0, 'lnd never had the preimage');
      await sendPart(invoice, 'alice', 120_000_000, 1);
      await eventually(async () => ((await shop.engine.listpartialinvoices({})).partialinvoices.length === 1 ? true : undefined));
      await new Promise((r) => setTimeout(r, 300));
      const partial = await lookup(invoice.payment_hash);
      assert.equal(partial.state, 0, 'still OPEN: the engine settled nothing for half the set');
      assert.equal(partial.rPreimage.length, 0);

      await sendPart(invoice, 'bob', 120_000_000, 2);
      const paid = await shop.engine.waitinvoice({ payment_hash: invoice.payment_hash, timeout: 10 });
      assert.equal(paid.status, 'paid');
      assert.equal(paid.parts, 2);
      assert.equal(paid.amount_received_msat, 240_000_000);
      const settled = await lookup(invoice.payment_hash);
      assert.equal(settled.state, 1, 'SETTLED at lnd');
      assert.equal(Buffer.from(settled.rPreimage).toString('hex'), paid.payment_preimage);
      assert.deepEqual(
        settled.htlcs.map((x) => x.state),
        [1, 1],
      );
      const results = await Promise.all(
        [1, 2].map((partid) => wallet.request('waitsendpay', { payment_hash: invoice.payment_hash, partid, groupid: 1, timeout: 10 })),
      );
      for (const r of results) assert.equal(r.payment_preimage, paid.payment_preimage);
      assert.equal(shop.events.paid.length, 1);
    } finally {
      shop.close();
    }
  });

  test('a part lnd times out on its own (its mpp timeout) is reported gone as a timeout; the invoice stays open', async () => {
    const shop = await shopEngine(store());
    try {
      const invoice = await shop.engine.invoice({ amount_msat: 100_000_000, description: 'never completed' });
      await sendPart(invoice, 'alice', 40_000_000, 1);
      const failed = await wallet.request('waitsendpay', { payment_hash: invoice.payment_hash, partid: 1, groupid: 1, timeout: 10 }).then(
        () => assert.fail('the part must fail back'),
        (e: { data?: { failcodename?: string } }) => e,
      );
      assert.equal(failed.data?.failcodename, 'WIRE_MPP_TIMEOUT');
      const gone = await eventually(async () => (shop.events.gone.length ? shop.events.gone : undefined));
      assert.equal(gone.length, 1);
      assert.equal(gone[0]!.reason, 'timeout');
      assert.equal(gone[0]!.part.partial_amount_msat, 40_000_000);
      const still = (await shop.engine.listinvoices({ payment_hash: invoice.payment_hash })).invoices[0]!;
      assert.equal(still.status, 'unpaid');
      assert.equal(still.amount_held_msat, 0);
      assert.equal((await lookup(invoice.payment_hash)).state, 0, 'lnd keeps the invoice OPEN');
    } finally {
      shop.close();
    }
  });

  test('an engine closed with a part held: a new engine on the same journal follows the invoice and sees it paid', async () => {
    const journal = store();
    const first = await shopEngine(journal);
    const invoice = await first.engine.invoice({ amount_msat: 200_000_000, description: 'across a restart' });
    await sendPart(invoice, 'alice', 100_000_000, 1);
    await eventually(async () => (first.events.parts.length === 1 ? true : undefined));
    first.close();

    const second = await shopEngine(journal);
    try {
      const { partialinvoices } = await second.engine.listpartialinvoices({});
      assert.equal(partialinvoices.length, 1, 'the held part, from the journal');
      await sendPart(invoice, 'bob', 100_000_000, 2);
      const paid = await second.engine.waitinvoice({ payment_hash: invoice.payment_hash, timeout: 10 });
      assert.equal(paid.status, 'paid');
      assert.equal(paid.parts, 2);
      assert.equal(second.events.parts.length, 1, 'only the part that arrived after the restart is news');
    } finally {
      second.close();
    }
  });
});
