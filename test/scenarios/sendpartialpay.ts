/**
 * The sendpartialpay rules (docs: "Sending") and the resolution steps, against the node's
 * own `sendpay`, `waitsendpay` and `listsendpays` (on lnd: SendToRouteV2 and
 * TrackPaymentV2): alice's engine pays dave's invoices in parts over alice → bob → dave
 * and alice → carol → dave, and each check of what was sent reads the node's own record.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHash } from 'node:crypto';
import { AmpkitError, type PartialPayment, type SentPart } from '../../packages/core/src/index.ts';
import { engineOn, eventually, nodeInvoice, partRows, suiteEngine, twoHops, type ScenarioInvoice } from './helpers.ts';
import type { Alias, Target } from './target.ts';

function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  return assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AmpkitError, `an AmpkitError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

export function sendpartialpayScenarios(target: () => Target): void {
  const alice = suiteEngine(target, 'alice');

  const part = async (inv: ScenarioInvoice, via: Alias, amount: number, extra: Record<string, unknown> = {}) => ({
    route: await twoHops(target(), alice.side, via, amount, inv.min_final_cltv_expiry),
    payment_hash: inv.payment_hash,
    intended_amount_msat: inv.amount_msat,
    payment_secret: inv.payment_secret,
    ...extra,
  });
  const nodeParts = async (payment_hash: string) => partRows(await alice.side.sentParts(payment_hash));
  /** The node's parts once none is pending: a payment is complete with its first complete part, the rest follow. */
  const settledNodeParts = (payment_hash: string) =>
    eventually('every part resolved at the node', async () => {
      const rows = await nodeParts(payment_hash);
      return rows.some((r) => r.includes(':pending:')) ? undefined : rows;
    });

  test('rule 1.1 and 2: a new hash makes a payment of the intended amount; the part is journaled, then sent with partid, groupid and the total', async () => {
    const inv = await nodeInvoice(target(), 300_000_000);
    const created: PartialPayment[] = [];
    const stop = alice.engine.on('part-created', (p) => p.payment_hash === inv.payment_hash && created.push(p));
    const sent = (await alice.engine.sendpartialpay(await part(inv, 'bob', 100_000_000, { bolt11: inv.bolt11 }))) as SentPart;
    stop();
    assert.deepEqual([sent.status, sent.partid, sent.groupid, sent.amount_msat], ['pending', 1, 1, 100_000_000]);
    assert.deepEqual(
      created.map((p) => p.id),
      [sent.id],
    );
    const [payment] = (await alice.engine.listpayments({ payment_hash: inv.payment_hash })).payments;
    assert.equal(payment!.amount_msat, 300_000_000);
    assert.equal(payment!.status, 'pending');
    assert.equal(payment!.destination, target().nodes.dave.id);
    // The node has exactly that part, pending, under the engine's ids.
    assert.deepEqual(await nodeParts(inv.payment_hash), ['1/1:pending:100000000']);
    // Two more parts over the other path complete the set; the payee claims it.
    const second = (await alice.engine.sendpartialpay(await part(inv, 'carol', 100_000_000))) as SentPart;
    const third = (await alice.engine.sendpartialpay(await part(inv, 'carol', 100_000_000))) as SentPart;
    const done = await alice.engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 60 });
    // The payment is complete with its first complete part; each part resolves on its own.
    for (const id of [sent.id, second.id, third.id])
      assert.equal((await alice.engine.waitpartialpay({ id, timeout: 60 })).status, 'complete');
    assert.equal(done.status, 'complete');
    assert.equal(createHash('sha256').update(Buffer.from(done.payment_preimage!, 'hex')).digest('hex'), inv.payment_hash);
    assert.equal(done.parts, 3);
    assert.deepEqual(await nodeParts(inv.payment_hash), ['1/1:complete:100000000', '1/2:complete:100000000', '1/3:complete:100000000']);
    const { partialpayments } = await alice.engine.listpartialpayments({ payment_hash: inv.payment_hash });
    assert.deepEqual(
      partialpayments.map((p) => p.status),
      ['complete', 'complete', 'complete'],
    );
  });

  test('rule 1.2.1: another intended amount for the same hash fails with AMOUNT_MISMATCH and sends nothing', async () => {
    const inv = await nodeInvoice(target(), 50_000_000);
    await alice.engine.sendpartialpay(await part(inv, 'bob', 20_000_000));
    await rejectsWith(
      alice.engine.sendpartialpay({ ...(await part(inv, 'carol', 20_000_000)), intended_amount_msat: 40_000_000 }),
      'AMOUNT_MISMATCH',
    );
    assert.deepEqual(await nodeParts(inv.payment_hash), ['1/1:pending:20000000']);
    // The guard beyond the proposal: more than the amount in flight is OVERPAY, also refused before the node.
    await rejectsWith(alice.engine.sendpartialpay(await part(inv, 'carol', 30_000_001)), 'OVERPAY');
    await alice.engine.sendpartialpay(await part(inv, 'carol', 30_000_000));
    assert.equal((await alice.engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 60 })).status, 'complete');
    assert.deepEqual(await settledNodeParts(inv.payment_hash), ['1/1:complete:20000000', '1/2:complete:30000000']);
  });

  test('rule 1.2.2: a complete payment answers already_complete with the preimage and sends nothing', async () => {
    const inv = await nodeInvoice(target(), 10_000_000);
    await alice.engine.sendpartialpay(await part(inv, 'bob', 10_000_000));
    const paid = await alice.engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 60 });
    const again = await alice.engine.sendpartialpay(await part(inv, 'carol', 10_000_000));
    assert.equal(again.already_complete, true);
    assert.equal((again as { payment_preimage: string }).payment_preimage, paid.payment_preimage);
    assert.deepEqual(await nodeParts(inv.payment_hash), ['1/1:complete:10000000']);
  });

  test("rule 1.1: a hash the node paid for another journal is answered already_complete with the node's preimage; nothing is sent", async () => {
    const inv = await nodeInvoice(target(), 9_000_000);
    await alice.engine.sendpartialpay(await part(inv, 'bob', 9_000_000));
    const paid = await alice.engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 60 });
    // Another tab or tool on the same node, with a journal of its own.
    const other = await engineOn(target(), 'alice');
    try {
      const again = await other.engine.sendpartialpay(await part(inv, 'carol', 9_000_000));
      assert.equal(again.already_complete, true);
      assert.equal((again as { payment_preimage: string }).payment_preimage, paid.payment_preimage);
      const [payment] = (await other.engine.listpayments({ payment_hash: inv.payment_hash })).payments;
      assert.equal(payment!.status, 'complete');
      assert.deepEqual(await nodeParts(inv.payment_hash), ['1/1:complete:9000000']);
    } finally {
      other.close();
    }
  });

  test('rule 1.1: parts in flight that this journal did not send: OVERPAY, nothing is sent; the journal that sent them completes the payment', async () => {
    const inv = await nodeInvoice(target(), 16_000_000);
    // Opened first: the part below is held at the payee only until its set times out.
    const other = await engineOn(target(), 'alice');
    try {
      await alice.engine.sendpartialpay(await part(inv, 'bob', 6_000_000));
      await rejectsWith(other.engine.sendpartialpay(await part(inv, 'carol', 10_000_000)), 'OVERPAY');
      assert.deepEqual(await nodeParts(inv.payment_hash), ['1/1:pending:6000000']);
    } finally {
      other.close();
    }
    await alice.engine.sendpartialpay(await part(inv, 'carol', 10_000_000));
    assert.equal((await alice.engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 60 })).status, 'complete');
    assert.deepEqual(await settledNodeParts(inv.payment_hash), ['1/1:complete:6000000', '1/2:complete:10000000']);
  });

  test('resolution: a part the payee refuses fails with its BOLT 4 code and erring index; rule 1.2.3 retries the failed payment in a new group', async () => {
    const inv = await nodeInvoice(target(), 12_000_000);
    // A wrong payment secret: the payee answers incorrect_or_unknown_payment_details (PERM|15).
    const sent = (await alice.engine.sendpartialpay({
      ...(await part(inv, 'bob', 12_000_000)),
      payment_secret: '11'.repeat(32),
    })) as SentPart;
    const failed = await alice.engine.waitpartialpay({ id: sent.id, timeout: 60 });
    assert.equal(failed.status, 'failed');
    assert.equal(failed.failcode, 0x4000 | 15);
    assert.equal(failed.failcodename, 'WIRE_INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS');
    assert.equal(failed.erring_index, 2);
    assert.equal(failed.erring_node, target().nodes.dave.id);
    const payment = await alice.engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 10 });
    assert.equal(payment.status, 'failed');
    // Rule 1.2.3: the failed payment goes back to pending under a new groupid, and pays.
    const retry = (await alice.engine.sendpartialpay(await part(inv, 'carol', 12_000_000))) as SentPart;
    assert.equal(retry.groupid, 2);
    const retried = await alice.engine.waitpartialpay({ id: retry.id, timeout: 60 });
    assert.equal(retried.status, 'complete', JSON.stringify(retried));
    assert.equal((await alice.engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 60 })).status, 'complete');
    // lnd deletes a failed payment's attempts when it is sent to again (docs/lnd.md, hard spot 4).
    const older = target().nodes.alice.impl === 'lnd' ? [] : ['1/1:failed:12000000'];
    assert.deepEqual(await nodeParts(inv.payment_hash), [...older, `2/${retry.partid}:complete:12000000`]);
  });

  test('resolution: a part for a hash the payee never issued fails at the payee; the journal agrees with the node', async () => {
    const inv = await nodeInvoice(target(), 7_000_000);
    const unknown = { ...inv, payment_hash: createHash('sha256').update(`unknown-${Date.now()}`).digest('hex') };
    const sent = (await alice.engine.sendpartialpay(await part(unknown, 'bob', 7_000_000))) as SentPart;
    const failed = await alice.engine.waitpartialpay({ id: sent.id, timeout: 60 });
    assert.equal(failed.status, 'failed');
    assert.equal(failed.failcode, 0x4000 | 15);
    assert.deepEqual(await nodeParts(unknown.payment_hash), ['1/1:failed:7000000']);
  });
}
