/**
 * Receiving (docs/engine-rules.md, "Receiving"): invoices plain and hold, every held part
 * listed by listpartialinvoices, the set claimed all at once, against simnet with parts
 * from three payers over real commando sockets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AmpkitError, type Engine } from '../../packages/core/src/index.ts';
import { nextEvent, receiveHarness, recordEvents, type ReceiveHarness } from './receive-harness.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let h: ReceiveHarness;
let engine: Engine;

before(async () => {
  h = await receiveHarness();
  engine = await h.engine();
});
after(() => h.stop());

/** Waits until `n` parts of the invoice are held and committed at the node. */
async function partsHeld(hash: string, n: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { partialinvoices } = await engine.listpartialinvoices({ payment_hash: hash });
    if (partialinvoices.length === n && partialinvoices.every((p) => p.state === 'RCVD_ADD_ACK_REVOCATION')) return;
    await sleep(10);
  }
  assert.fail(`expected ${n} held parts`);
}

describe('plain invoices', () => {
  test('invoice() gives the record; listinvoices shows it unpaid', async () => {
    const inv = await engine.invoice({ amount_msat: 42_000, description: 'tea', label: 'plain-1' });
    assert.equal(inv.label, 'plain-1');
    assert.equal(inv.status, 'unpaid');
    assert.equal(inv.hold, false);
    assert.equal(inv.amount_msat, 42_000);
    assert.match(inv.bolt11, /^lnbcrt420n1/);
    assert.equal(inv.payment_preimage, undefined);
    assert.ok(inv.expires_at > inv.created_at);
    const { invoices } = await engine.listinvoices({ label: 'plain-1' });
    assert.deepEqual(invoices, [inv]);
    // The node has it too, under the same label.
    const node = (await h.shop.request('listinvoices', { label: 'plain-1' })).invoices[0];
    assert.equal(node.payment_hash, inv.payment_hash);
  });

  test('parts from three payers at different times: two parts of 6 and 9 msat toward 42 show as two entries, then the third completes the set', async () => {
    const inv = await engine.invoice({ amount_msat: 42, description: 'the design example' });
    const events = recordEvents(engine);
    await h.pay('alice', inv.bolt11, 6, 1);
    await partsHeld(inv.payment_hash, 1);
    await sleep(50);
    await h.pay('bob', inv.bolt11, 9, 2);
    await partsHeld(inv.payment_hash, 2);
    const { partialinvoices } = await engine.listpartialinvoices({ payment_hash: inv.payment_hash });
    const shop = h.simnet.node('shop').node;
    const scidFrom = (alias: string) => shop.channels.find((c) => c.other(shop).alias === alias)!.scid;
    assert.deepEqual(
      partialinvoices.map(({ incoming_time_unix, expiry, htlc_id, ...rest }) => {
        assert.ok(Math.abs(incoming_time_unix - Date.now() / 1000) < 5);
        assert.equal(expiry, 1018);
        assert.equal(htlc_id, 0);
        return rest;
      }),
      [
        {
          payment_hash: inv.payment_hash,
          total_amount_msat: 42,
          incoming_scid: scidFrom('alice'),
          partial_amount_msat: 6,
          state: 'RCVD_ADD_ACK_REVOCATION',
        },
        {
          payment_hash: inv.payment_hash,
          total_amount_msat: 42,
          incoming_scid: scidFrom('bob'),
          partial_amount_msat: 9,
          state: 'RCVD_ADD_ACK_REVOCATION',
        },
      ],
    );
    let [listed] = (await engine.listinvoices({ payment_hash: inv.payment_hash })).invoices;
    assert.equal(listed!.amount_held_msat, 15);
    assert.equal(listed!.parts, 2);
    assert.equal(listed!.status, 'unpaid');

    const paid = nextEvent(engine, 'invoice-paid', (i) => i.payment_hash === inv.payment_hash);
    await h.pay('carol', inv.bolt11, 27, 3);
    const record = await engine.waitinvoice({ payment_hash: inv.payment_hash, timeout: 10 });
    assert.equal(record.status, 'paid');
    assert.equal(record.amount_received_msat, 42);
    assert.equal(record.amount_held_msat, 0);
    assert.equal(record.parts, 3);
    assert.match(record.payment_preimage!, /^[0-9a-f]{64}$/);
    assert.equal(typeof record.paid_at, 'number');
    assert.deepEqual((await paid).payment_hash, inv.payment_hash);
    assert.deepEqual((await engine.listpartialinvoices({ payment_hash: inv.payment_hash })).partialinvoices, []);
    [listed] = (await engine.listinvoices({ payment_hash: inv.payment_hash })).invoices;
    assert.deepEqual(listed, record);
    for (const [payer, partid] of [
      ['alice', 1],
      ['bob', 2],
      ['carol', 3],
    ] as const) {
      assert.equal((await h.outcome(payer, inv.payment_hash, partid)).status, 'complete');
    }
    assert.deepEqual(events.slice(0, 4), ['invoice-part', 'invoice-part', 'invoice-part', 'invoice-paid']);
  });

  test('overpayment: parts past the amount (total_msat up to twice it) are claimed, and amount_received says so', async () => {
    const inv = await engine.invoice({ amount_msat: 42, description: 'generous' });
    await h.pay('alice', inv.bolt11, 30, 1, 60);
    await partsHeld(inv.payment_hash, 1);
    await h.pay('bob', inv.bolt11, 30, 2, 60);
    const record = await engine.waitinvoice({ label: inv.label, timeout: 10 });
    assert.equal(record.status, 'paid');
    assert.equal(record.amount_received_msat, 60);
    assert.equal(record.parts, 2);
  });
});

describe('hold invoices', () => {
  test('the preimage is the engine’s: the node settles only when the engine hands it over, once, after the set is complete', async () => {
    const settlesBefore = h.calls('settleholdinvoice');
    const inv = await engine.invoice({ amount_msat: 42, description: 'held', hold: true });
    assert.equal(inv.hold, true);
    assert.equal(inv.payment_preimage, undefined);
    assert.equal(h.nodePreimage(inv.payment_hash), undefined);
    await h.pay('alice', inv.bolt11, 6, 1);
    await h.pay('bob', inv.bolt11, 9, 2);
    await partsHeld(inv.payment_hash, 2);
    const hold = (await h.shop.request('listholdinvoices', { payment_hash: inv.payment_hash })).holdinvoices[0];
    assert.equal(hold.state, 'unpaid');
    assert.equal(hold.preimage, undefined);
    assert.equal(h.nodePreimage(inv.payment_hash), undefined);
    assert.equal(h.calls('settleholdinvoice'), settlesBefore);

    await h.pay('carol', inv.bolt11, 27, 3);
    const record = await engine.waitinvoice({ payment_hash: inv.payment_hash, timeout: 10 });
    assert.equal(record.status, 'paid');
    assert.equal(record.amount_received_msat, 42);
    assert.equal(record.parts, 3);
    assert.equal(h.nodePreimage(inv.payment_hash), record.payment_preimage);
    assert.equal(h.calls('settleholdinvoice'), settlesBefore + 1);
    for (const [payer, partid] of [
      ['alice', 1],
      ['bob', 2],
      ['carol', 3],
    ] as const) {
      assert.equal((await h.outcome(payer, inv.payment_hash, partid)).status, 'complete');
    }
    await sleep(100);
    assert.equal(h.calls('settleholdinvoice'), settlesBefore + 1);
  });

  test('paid in two parts: nothing is settled while one part is held, the set is settled once the second arrives', async () => {
    const settles = h.calls('settleholdinvoice');
    const inv = await engine.invoice({ amount_msat: 42, description: 'two parts', hold: true });
    await h.pay('alice', inv.bolt11, 20, 1);
    await partsHeld(inv.payment_hash, 1);
    // Give the engine every chance to settle too early: it must not.
    await sleep(300);
    let [row] = (await h.shop.request('listholdinvoices', { payment_hash: inv.payment_hash })).holdinvoices;
    assert.deepEqual([row.state, row.htlcs.map((x: { state: string }) => x.state)], ['unpaid', ['accepted']]);
    assert.equal(h.calls('settleholdinvoice'), settles);
    assert.equal(h.nodePreimage(inv.payment_hash), undefined);
    assert.equal((await engine.listinvoices({ payment_hash: inv.payment_hash })).invoices[0]!.amount_held_msat, 20);

    await h.pay('bob', inv.bolt11, 22, 2);
    const record = await engine.waitinvoice({ payment_hash: inv.payment_hash, timeout: 10 });
    assert.deepEqual([record.status, record.amount_received_msat, record.parts], ['paid', 42, 2]);
    assert.equal(h.calls('settleholdinvoice'), settles + 1);
    [row] = (await h.shop.request('listholdinvoices', { payment_hash: inv.payment_hash })).holdinvoices;
    assert.deepEqual(
      [row.state, row.preimage, row.htlcs.map((x: { state: string }) => x.state)],
      ['paid', record.payment_preimage, ['paid', 'paid']],
    );
    for (const [payer, partid] of [
      ['alice', 1],
      ['bob', 2],
    ] as const) {
      assert.equal((await h.outcome(payer, inv.payment_hash, partid)).status, 'complete');
    }
  });
});

describe('invoice input', () => {
  test('bad input is INVALID_ARGUMENT and creates nothing', async () => {
    const before = (await engine.listinvoices()).invoices.length;
    const nodeBefore = h.calls('invoice') + h.calls('holdinvoice');
    for (const bad of [
      {},
      { amount_msat: 0, description: 'x' },
      { amount_msat: 1.5, description: 'x' },
      { amount_msat: 10, description: 7 },
      { amount_msat: 10, description: 'x'.repeat(640) },
      { amount_msat: 10, description: 'x', expiry: -1 },
      { amount_msat: 10, description: 'x', hold: 'yes' },
      { amount_msat: 10, description: 'x', label: '' },
    ]) {
      await assert.rejects(engine.invoice(bad as never), (e: unknown) => e instanceof AmpkitError && e.code === 'INVALID_ARGUMENT');
    }
    await assert.rejects(
      engine.invoice({ amount_msat: 10, description: 'x', label: 'plain-1' }),
      (e: unknown) => e instanceof AmpkitError && e.code === 'INVALID_ARGUMENT',
    );
    assert.equal((await engine.listinvoices()).invoices.length, before);
    assert.equal(h.calls('invoice') + h.calls('holdinvoice'), nodeBefore);
    await assert.rejects(engine.waitinvoice({ label: 'nope' }), (e: unknown) => e instanceof AmpkitError && e.code === 'NOT_FOUND');
    await assert.rejects(engine.waitinvoice({} as never), (e: unknown) => e instanceof AmpkitError && e.code === 'INVALID_ARGUMENT');
    await assert.rejects(
      engine.listpartialinvoices({ payment_hash: 'zz' }),
      (e: unknown) => e instanceof AmpkitError && e.code === 'INVALID_ARGUMENT',
    );
  });
});
