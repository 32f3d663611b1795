/**
 * Every rule of `sendpartialpay` (docs/engine-rules.md, "Sending"), against simnet over a
 * real commando WebSocket with the journal in (fake) IndexedDB.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AmpkitError, type Engine, type Node, type SendpayRequest } from '../../packages/core/src/index.ts';
import { engineHarness, type EngineHarness, type Invoice } from './engine-harness.ts';

let h: EngineHarness;
let engine: Engine;
/** Every sendpay the engine made, as the node interface saw it. */
const sendpays: SendpayRequest[] = [];

function recording(node: Node): Node {
  return {
    ...node,
    id: node.id,
    sendpay(request) {
      sendpays.push(request);
      return node.sendpay(request);
    },
  };
}

before(async () => {
  h = await engineHarness();
  engine = await h.engine(recording);
});
after(() => h.stop());

function part(inv: Invoice, via: 'alice' | 'bob' | 'carol' | 'dave', amount: number, extra: Record<string, unknown> = {}) {
  return {
    route: h.route(via, amount),
    payment_hash: inv.payment_hash,
    intended_amount_msat: inv.amount_msat,
    payment_secret: inv.payment_secret,
    ...extra,
  };
}

async function nodeParts(payment_hash: string): Promise<any[]> {
  return (await h.wallet.request('listsendpays', { payment_hash })).payments;
}

function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  return assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AmpkitError, `an AmpkitError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

describe('sendpartialpay rule 1.1: a new payment hash', () => {
  test('creates the payment with amount_msat = intended_amount_msat, status pending, and journals the part', async () => {
    const inv = await h.invoice(6_000_000);
    const sent = await engine.sendpartialpay(part(inv, 'alice', 2_000_000, { bolt11: inv.bolt11, description: 'coffee' }));
    assert.equal(sent.already_complete, undefined);
    assert.deepEqual(Object.keys(sent), ['id', 'partid', 'groupid', 'payment_hash', 'amount_msat', 'status']);
    assert.equal(sent.status, 'pending');
    assert.equal(sent.partid, 1);
    assert.equal(sent.groupid, 1);
    assert.equal(sent.amount_msat, 2_000_000);
    const { payments } = await engine.listpayments({ payment_hash: inv.payment_hash });
    assert.equal(payments.length, 1);
    const p = payments[0]!;
    assert.equal(p.amount_msat, 6_000_000);
    assert.equal(p.status, 'pending');
    assert.equal(p.parts, 1);
    assert.equal(p.bolt11, inv.bolt11);
    assert.equal(p.description, 'coffee');
    assert.equal(p.destination, h.simnet.node('shop').node.id);
    assert.ok(p.amount_sent_msat > 2_000_000, 'fees included');
    const { partialpayments } = await engine.listpartialpayments({ payment_hash: inv.payment_hash });
    assert.equal(partialpayments.length, 1);
    assert.equal(partialpayments[0]!.status, 'pending');
  });
});

describe('sendpartialpay rule 2: journal, then CLN sendpay', () => {
  test('sends partid, groupid, amount_msat = the total, and the payment_secret; parts get consecutive partids', async () => {
    const inv = await h.invoice(9_000_000);
    const before = sendpays.length;
    const sent = [];
    for (const via of ['alice', 'bob', 'carol'] as const) sent.push(await engine.sendpartialpay(part(inv, via, 3_000_000)));
    const made = sendpays.slice(before);
    assert.deepEqual(
      made.map((s) => s.partid),
      [1, 2, 3],
    );
    for (const s of made) {
      assert.equal(s.groupid, 1);
      assert.equal(s.amount_msat, 9_000_000);
      assert.equal(s.payment_secret, inv.payment_secret);
      assert.equal(s.payment_hash, inv.payment_hash);
    }
    // The node holds exactly these three parts, under the engine's partids.
    const atNode = await nodeParts(inv.payment_hash);
    assert.deepEqual(atNode.map((p) => [p.groupid, p.partid]).sort(), [
      [1, 1],
      [1, 2],
      [1, 3],
    ]);
    const done = await engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 10 });
    assert.equal(done.status, 'complete');
  });

  test('a part and the payment carry CLN field names', async () => {
    const inv = await h.invoice(4_000_000);
    const a = await engine.sendpartialpay(part(inv, 'alice', 2_000_000, { bolt11: inv.bolt11 }));
    await engine.sendpartialpay(part(inv, 'bob', 2_000_000));
    const done = await engine.waitpartialpay({ id: (a as { id: number }).id, timeout: 10 });
    assert.deepEqual(Object.keys(done).sort(), [
      'amount_msat',
      'amount_sent_msat',
      'completed_at',
      'created_at',
      'destination',
      'groupid',
      'id',
      'partid',
      'payment_hash',
      'payment_preimage',
      'route',
      'status',
    ]);
    const payment = await engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 10 });
    assert.deepEqual(Object.keys(payment).sort(), [
      'amount_msat',
      'amount_sent_msat',
      'bolt11',
      'completed_at',
      'created_at',
      'created_index',
      'destination',
      'groupid',
      'parts',
      'payment_hash',
      'payment_preimage',
      'status',
    ]);
  });
});

describe('sendpartialpay rule 1.2.1: another amount for the same hash', () => {
  test('fails with AMOUNT_MISMATCH and changes nothing, here or at the node', async () => {
    const inv = await h.invoice(5_000_000);
    await engine.sendpartialpay(part(inv, 'alice', 1_000_000));
    const before = sendpays.length;
    await rejectsWith(engine.sendpartialpay({ ...part(inv, 'bob', 1_000_000), intended_amount_msat: 4_000_000 }), 'AMOUNT_MISMATCH');
    assert.equal(sendpays.length, before);
    assert.equal((await engine.listpartialpayments({ payment_hash: inv.payment_hash })).partialpayments.length, 1);
    assert.equal((await engine.listpayments({ payment_hash: inv.payment_hash })).payments[0]!.amount_msat, 5_000_000);
    assert.equal((await nodeParts(inv.payment_hash)).length, 1);
  });

  test('an invoice asking for another amount is refused before anything is stored', async () => {
    const inv = await h.invoice(5_000_000);
    await rejectsWith(
      engine.sendpartialpay({ ...part(inv, 'bob', 1_000_000), intended_amount_msat: 4_500_000, bolt11: inv.bolt11 }),
      'AMOUNT_MISMATCH',
    );
    assert.deepEqual((await engine.listpayments({ payment_hash: inv.payment_hash })).payments, []);
  });
});

describe('sendpartialpay rule 1.2.2: the payment is complete', () => {
  test('returns already_complete with the preimage and sends nothing', async () => {
    const inv = await h.invoice(2_000_000);
    await engine.sendpartialpay(part(inv, 'alice', 2_000_000));
    const paid = await engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 10 });
    const before = sendpays.length;
    const again = await engine.sendpartialpay(part(inv, 'bob', 2_000_000));
    assert.deepEqual(again, {
      already_complete: true,
      payment_hash: inv.payment_hash,
      amount_msat: 2_000_000,
      status: 'complete',
      payment_preimage: paid.payment_preimage,
    });
    assert.equal(sendpays.length, before);
    assert.equal((await nodeParts(inv.payment_hash)).length, 1);
  });

  test('a hash the node already paid outside this engine is recorded complete, never paid twice', async () => {
    const inv = await h.invoice(1_000_000);
    await h.wallet.request('pay', { bolt11: inv.bolt11 });
    const before = sendpays.length;
    const result = await engine.sendpartialpay(part(inv, 'alice', 1_000_000));
    assert.equal(result.already_complete, true);
    assert.equal(sendpays.length, before);
    const [payment] = (await engine.listpayments({ payment_hash: inv.payment_hash })).payments;
    assert.equal(payment!.status, 'complete');
    assert.equal(payment!.payment_preimage, (result as { payment_preimage: string }).payment_preimage);
  });
});

describe('sendpartialpay rule 1.2.3: the payment failed', () => {
  test('goes back to pending with a new groupid, and the retry completes', async () => {
    const inv = await h.invoice(3_000_000);
    h.simnet.setFaults('carol', { failNext: 1 });
    const first = await engine.sendpartialpay(part(inv, 'carol', 3_000_000));
    const failed = await engine.waitpartialpay({ id: (first as { id: number }).id, timeout: 10 });
    assert.equal(failed.status, 'failed');
    assert.equal(typeof failed.failcode, 'number');
    assert.equal(typeof failed.failcodename, 'string');
    assert.equal(typeof failed.erring_index, 'number');
    assert.equal(typeof failed.erring_node, 'string');
    assert.equal(typeof failed.erring_channel, 'string');
    const payment = await engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 10 });
    assert.equal(payment.status, 'failed');
    assert.equal(payment.groupid, 1);

    const retry = await engine.sendpartialpay(part(inv, 'alice', 3_000_000));
    assert.equal((retry as { groupid: number }).groupid, 2);
    assert.equal((retry as { partid: number }).partid, 2);
    assert.equal((await engine.listpayments({ payment_hash: inv.payment_hash })).payments[0]!.status, 'pending');
    const done = await engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 10 });
    if (done.status !== 'complete') console.log((await engine.listpartialpayments({ payment_hash: inv.payment_hash })).partialpayments);
    assert.equal(done.status, 'complete');
    assert.equal(done.groupid, 2);
    assert.equal(done.parts, 1);
  });
});

describe('the overpay guard', () => {
  test('pending plus complete parts never pass the intended amount', async () => {
    const inv = await h.invoice(5_000_000);
    await engine.sendpartialpay(part(inv, 'alice', 3_000_000));
    const before = sendpays.length;
    await rejectsWith(engine.sendpartialpay(part(inv, 'bob', 2_000_001)), 'OVERPAY');
    assert.equal(sendpays.length, before);
    // Exactly the rest is fine.
    await engine.sendpartialpay(part(inv, 'bob', 2_000_000));
    assert.equal((await engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 10 })).status, 'complete');
  });

  test('a failed part frees its amount for a retry', async () => {
    const inv = await h.invoice(4_000_000);
    h.simnet.setFaults('carol', { failNext: 1 });
    const a = await engine.sendpartialpay(part(inv, 'carol', 2_000_000));
    await engine.sendpartialpay(part(inv, 'alice', 2_000_000));
    assert.equal((await engine.waitpartialpay({ id: (a as { id: number }).id, timeout: 10 })).status, 'failed');
    // One part failed, one is held by the shop: the payment is still pending (resolution step 3).
    assert.equal((await engine.listpayments({ payment_hash: inv.payment_hash })).payments[0]!.status, 'pending');
    await engine.sendpartialpay(part(inv, 'bob', 2_000_000));
    const done = await engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 10 });
    assert.equal(done.status, 'complete');
    assert.equal(done.parts, 2);
  });
});

describe('resolution steps', () => {
  test('a part the destination refuses fails with its failcode, and the payment fails with it (steps 1, 3, 4)', async () => {
    const unknown = 'ab'.repeat(32);
    const inv = { bolt11: '', payment_hash: unknown, payment_secret: 'cd'.repeat(32), amount_msat: 10_000 };
    const sent = await engine.sendpartialpay(part(inv, 'dave', 10_000));
    const [partDone, paymentDone] = await Promise.all([
      engine.waitpartialpay({ id: (sent as { id: number }).id, timeout: 10 }),
      engine.waitsendpay({ payment_hash: unknown, timeout: 10 }),
    ]);
    assert.equal(partDone.status, 'failed');
    assert.equal(partDone.failcode, 16399);
    assert.equal(partDone.failcodename, 'WIRE_INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS');
    assert.equal(partDone.erring_index, 2);
    assert.equal(partDone.erring_node, h.simnet.node('shop').node.id);
    assert.equal(paymentDone.status, 'failed');
    assert.equal(paymentDone.amount_sent_msat, 0);
    assert.equal(paymentDone.parts, 1);
  });

  test('every wait on a part and on its payment wakes once it completes (steps 2 and 4)', async () => {
    const inv = await h.invoice(3_000_000);
    const a = (await engine.sendpartialpay(part(inv, 'alice', 1_500_000))) as { id: number };
    const waits = [
      engine.waitpartialpay({ id: a.id }),
      engine.waitpartialpay({ id: a.id }),
      engine.waitsendpay({ payment_hash: inv.payment_hash }),
    ];
    await engine.sendpartialpay(part(inv, 'bob', 1_500_000));
    const [p1, p2, payment] = await Promise.all(waits);
    assert.equal((p1 as { status: string }).status, 'complete');
    assert.deepEqual(p1, p2);
    assert.equal((payment as { payment_preimage: string }).payment_preimage, (p1 as { payment_preimage: string }).payment_preimage);
  });
});

describe('the node refusing', () => {
  test("a sendpay the rune refuses is PERMISSION naming sendpay, with the node's code, and the part is recorded failed", async () => {
    const info = h.simnet.nodes.find((n) => n.alias === 'wallet')!;
    const readonly = await h.client('wallet', { readonly: true });
    const { clnNode, createEngine, memoryStore } = await import('../../packages/core/src/index.ts');
    const limited = await createEngine({ node: clnNode(readonly), store: memoryStore() });
    try {
      const inv = await h.invoice(1_000_000);
      await assert.rejects(limited.sendpartialpay(part(inv, 'alice', 1_000_000)), (error: AmpkitError) => {
        assert.equal(error.code, 'PERMISSION');
        assert.equal(error.nodeCode, 19537);
        assert.match(error.message, /^the rune does not permit sendpay \(needed to send payments\)/);
        assert.equal((error.data as { method: string }).method, 'sendpay');
        assert.match((error.data as { message: string }).message, /^Invalid rune: Not permitted: method is not equal to /);
        return true;
      });
      const [p] = (await limited.listpartialpayments({ payment_hash: inv.payment_hash })).partialpayments;
      assert.equal(p!.status, 'failed');
      assert.match(p!.failreason!, /the rune does not permit sendpay/);
      assert.equal((await limited.listpayments({ payment_hash: inv.payment_hash })).payments[0]!.status, 'failed');
      assert.equal(info.alias, 'wallet');
    } finally {
      limited.close();
    }
  });
});

describe('waits', () => {
  test('TIMEOUT when the time passes, NOT_FOUND for what was never sent', async () => {
    h.simnet.setFaults('alice', { hold: true });
    const inv = await h.invoice(3_000_000);
    const a = (await engine.sendpartialpay(part(inv, 'alice', 1_000_000))) as { id: number };
    await rejectsWith(engine.waitpartialpay({ id: a.id, timeout: 0.05 }), 'TIMEOUT');
    await rejectsWith(engine.waitpartialpay({ id: a.id, timeout: 0 }), 'TIMEOUT');
    await rejectsWith(engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 0.05 }), 'TIMEOUT');
    await rejectsWith(engine.waitpartialpay({ id: 999_999 }), 'NOT_FOUND');
    await rejectsWith(engine.waitsendpay({ payment_hash: 'ef'.repeat(32) }), 'NOT_FOUND');
    h.simnet.setFaults('alice', { hold: false });
  });
});

describe('events', () => {
  test('part created, part updated and payment updated carry the records, in order', async () => {
    const inv = await h.invoice(2_000_000);
    const seen: string[] = [];
    const stops = [
      engine.on('part-created', (p) => p.payment_hash === inv.payment_hash && seen.push(`part-created ${p.partid} ${p.status}`)),
      engine.on('part-updated', (p) => p.payment_hash === inv.payment_hash && seen.push(`part-updated ${p.partid} ${p.status}`)),
      engine.on('payment-updated', (p) => p.payment_hash === inv.payment_hash && seen.push(`payment-updated ${p.status} ${p.parts}`)),
    ];
    await engine.sendpartialpay(part(inv, 'alice', 1_000_000));
    await engine.sendpartialpay(part(inv, 'bob', 1_000_000));
    await engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 10 });
    const { partialpayments } = await engine.listpartialpayments({ payment_hash: inv.payment_hash });
    await Promise.all(partialpayments.map((p) => engine.waitpartialpay({ id: p.id, timeout: 10 })));
    for (const stop of stops) stop();
    assert.deepEqual(seen.slice(0, 4), [
      'part-created 1 pending',
      'payment-updated pending 1',
      'part-created 2 pending',
      'payment-updated pending 2',
    ]);
    assert.deepEqual(
      seen.slice(4).sort(),
      ['part-updated 1 complete', 'part-updated 2 complete', 'payment-updated complete 2', 'payment-updated complete 2'].sort(),
    );
  });
});
