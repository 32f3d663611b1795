/**
 * The sendpartialpay rules (docs: "Sending") and the resolution steps, against the node's
 * own `sendpay`, `waitsendpay` and `listsendpays`: alice's engine pays dave's invoices in
 * parts over alice → bob → dave and alice → carol → dave.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createHash } from 'node:crypto';
import { AmpkitError, type Engine, type PartialPayment, type SentPart } from '../../packages/core/src/index.ts';
import type { CommandoClient } from '../../packages/wire/src/index.ts';
import { engineOn, nodeInvoice, twoHops, type ScenarioInvoice } from './helpers.ts';
import type { Alias, Target } from './target.ts';

function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  return assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AmpkitError, `an AmpkitError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

export function sendpartialpayScenarios(target: () => Target): void {
  let engine: Engine;
  let client: CommandoClient;
  let close: () => void;

  before(async () => {
    ({ engine, client, close } = await engineOn(target(), 'alice'));
  });
  after(() => close?.());

  const part = async (inv: ScenarioInvoice, via: Alias, amount: number, extra: Record<string, unknown> = {}) => ({
    route: await twoHops(target(), client, via, amount, inv.min_final_cltv_expiry),
    payment_hash: inv.payment_hash,
    intended_amount_msat: inv.amount_msat,
    payment_secret: inv.payment_secret,
    ...extra,
  });
  const nodeParts = async (payment_hash: string) =>
    ((await client.request('listsendpays', { payment_hash })).payments as { groupid: number; partid: number; status: string; amount_msat: number }[])
      .map((p) => `${p.groupid}/${p.partid}:${p.status}:${p.amount_msat}`)
      .sort();

  test('rule 1.1 and 2: a new hash makes a payment of the intended amount; the part is journaled, then sent with partid, groupid and the total', async () => {
    const inv = await nodeInvoice(target(), 300_000_000);
    const created: PartialPayment[] = [];
    const stop = engine.on('part-created', (p) => created.push(p));
    const sent = (await engine.sendpartialpay(await part(inv, 'bob', 100_000_000, { bolt11: inv.bolt11 }))) as SentPart;
    stop();
    assert.deepEqual([sent.status, sent.partid, sent.groupid, sent.amount_msat], ['pending', 1, 1, 100_000_000]);
    assert.equal(created.length, 1);
    const [payment] = (await engine.listpayments({ payment_hash: inv.payment_hash })).payments;
    assert.equal(payment!.amount_msat, 300_000_000);
    assert.equal(payment!.status, 'pending');
    assert.equal(payment!.destination, target().nodes.dave.id);
    // The node has exactly that part, pending, under the engine's ids.
    assert.deepEqual(await nodeParts(inv.payment_hash), ['1/1:pending:100000000']);
    // Two more parts over the other path complete the set; the payee claims it.
    await engine.sendpartialpay(await part(inv, 'carol', 100_000_000));
    await engine.sendpartialpay(await part(inv, 'carol', 100_000_000));
    const done = await engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 60 });
    assert.equal(done.status, 'complete');
    assert.equal(createHash('sha256').update(Buffer.from(done.payment_preimage!, 'hex')).digest('hex'), inv.payment_hash);
    assert.equal(done.parts, 3);
    assert.deepEqual(await nodeParts(inv.payment_hash), ['1/1:complete:100000000', '1/2:complete:100000000', '1/3:complete:100000000']);
    const { partialpayments } = await engine.listpartialpayments({ payment_hash: inv.payment_hash });
    assert.deepEqual(partialpayments.map((p) => p.status), ['complete', 'complete', 'complete']);
  });

  test('rule 1.2.1: another intended amount for the same hash fails with AMOUNT_MISMATCH and sends nothing', async () => {
    const inv = await nodeInvoice(target(), 50_000_000);
    await engine.sendpartialpay(await part(inv, 'bob', 20_000_000));
    await rejectsWith(engine.sendpartialpay({ ...(await part(inv, 'carol', 20_000_000)), intended_amount_msat: 40_000_000 }), 'AMOUNT_MISMATCH');
    assert.deepEqual(await nodeParts(inv.payment_hash), ['1/1:pending:20000000']);
    // The guard beyond the proposal: more than the amount in flight is OVERPAY, also refused before the node.
    await rejectsWith(engine.sendpartialpay(await part(inv, 'carol', 30_000_001)), 'OVERPAY');
    await engine.sendpartialpay(await part(inv, 'carol', 30_000_000));
    assert.equal((await engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 60 })).status, 'complete');
    assert.deepEqual(await nodeParts(inv.payment_hash), ['1/1:complete:20000000', '1/2:complete:30000000']);
  });

  test('rule 1.2.2: a complete payment answers already_complete with the preimage and sends nothing', async () => {
    const inv = await nodeInvoice(target(), 10_000_000);
    await engine.sendpartialpay(await part(inv, 'bob', 10_000_000));
    const paid = await engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 60 });
    const again = await engine.sendpartialpay(await part(inv, 'carol', 10_000_000));
    assert.equal(again.already_complete, true);
    assert.equal((again as { payment_preimage: string }).payment_preimage, paid.payment_preimage);
    assert.deepEqual(await nodeParts(inv.payment_hash), ['1/1:complete:10000000']);
  });

  test('resolution: a part the payee refuses fails with its BOLT 4 code and erring index; rule 1.2.3 retries the failed payment in a new group', async () => {
    const inv = await nodeInvoice(target(), 12_000_000);
    // A wrong payment secret: the payee answers incorrect_or_unknown_payment_details (PERM|15).
    const sent = (await engine.sendpartialpay({ ...(await part(inv, 'bob', 12_000_000)), payment_secret: '11'.repeat(32) })) as SentPart;
    const failed = await engine.waitpartialpay({ id: sent.id, timeout: 60 });
    assert.equal(failed.status, 'failed');
    assert.equal(failed.failcode, 0x4000 | 15);
    assert.equal(failed.failcodename, 'WIRE_INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS');
    assert.equal(failed.erring_index, 2);
    assert.equal(failed.erring_node, target().nodes.dave.id);
    const payment = await engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 10 });
    assert.equal(payment.status, 'failed');
    // Rule 1.2.3: the failed payment goes back to pending under a new groupid, and pays.
    const retry = (await engine.sendpartialpay(await part(inv, 'carol', 12_000_000))) as SentPart;
    assert.equal(retry.groupid, 2);
    assert.equal((await engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 60 })).status, 'complete');
    assert.deepEqual(await nodeParts(inv.payment_hash), ['1/1:failed:12000000', `2/${retry.partid}:complete:12000000`]);
  });

  test('resolution: a part for a hash the payee never issued fails at the payee; the journal agrees with the node', async () => {
    const inv = await nodeInvoice(target(), 7_000_000);
    const unknown = { ...inv, payment_hash: createHash('sha256').update(`unknown-${Date.now()}`).digest('hex') };
    const sent = (await engine.sendpartialpay(await part(unknown, 'bob', 7_000_000))) as SentPart;
    const failed = await engine.waitpartialpay({ id: sent.id, timeout: 60 });
    assert.equal(failed.status, 'failed');
    assert.equal(failed.failcode, 0x4000 | 15);
    assert.deepEqual(await nodeParts(unknown.payment_hash), ['1/1:failed:7000000']);
  });
}
