/**
 * Two engines on one journal racing (docs/engine-rules.md, "Handing a part to the node"): a
 * part is judged only on the node's answer about that very part. Tab A's `sendpay` is slow
 * to reach the node while tab B opens; B's start-up reconciliation must not call A's part
 * "never sent" — with a shared lock it waits for A's hand-over, without one A's lease keeps
 * it off — and when the node completes a part the journal had failed, the node wins: the
 * preimage is recorded and the payment is complete.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  NEVER_SENT,
  SEND_LEASE_S,
  localLock,
  type Engine,
  type Lock,
  type Node,
  type PartialPayment,
} from '../../packages/core/src/index.ts';
import { engineHarness, type EngineHarness, type Invoice } from './engine-harness.ts';

let h: EngineHarness;
before(async () => {
  h = await engineHarness({ seed: 47 });
});
after(() => h.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A node whose `sendpay` reaches the node `ms` late (the call is held before it is made). */
function slowSendpay(ms: number, sendpays: { count: number }): (node: Node) => Node {
  return (node) => ({
    ...node,
    id: node.id,
    sendpay: async (r) => {
      sendpays.count++;
      await sleep(ms);
      return node.sendpay(r);
    },
  });
}

function onePart(inv: Invoice) {
  return {
    route: h.route('alice', inv.amount_msat),
    payment_hash: inv.payment_hash,
    intended_amount_msat: inv.amount_msat,
    payment_secret: inv.payment_secret,
    bolt11: inv.bolt11,
  };
}

async function journaled(engine: Engine, hash: string): Promise<PartialPayment> {
  for (let i = 0; i < 200; i++) {
    const [part] = (await engine.listpartialpayments({ payment_hash: hash })).partialpayments;
    if (part) return part;
    await sleep(5);
  }
  throw new Error('the part was never journaled');
}

async function atNode(hash: string): Promise<Array<{ groupid: number; partid: number; status: string }>> {
  return (await h.wallet.request('listsendpays', { payment_hash: hash })).payments;
}

describe('two engines on one journal: only the node decides a part', () => {
  test("with a shared lock: B opens while A's sendpay is on its way; B waits for the hand-over, the part completes once, both see it", async () => {
    const inv = await h.invoice(300_000);
    const lock = localLock();
    const sendpays = { count: 0 };
    const a = await h.engine(slowSendpay(800, sendpays), { lock });
    const sending = a.sendpartialpay(onePart(inv));
    const part = await journaled(a, inv.payment_hash);
    const b = await h.engine(undefined, { lock });
    await b.ready();
    const seen = (await b.listpartialpayments({ id: part.id })).partialpayments[0]!;
    assert.notEqual(seen.status, 'failed', `B judged A's part: ${seen.failreason}`);
    await sending;
    const done = await b.waitsendpay({ payment_hash: inv.payment_hash, timeout: 10 });
    assert.equal(done.status, 'complete');
    assert.equal((await a.waitpartialpay({ id: part.id, timeout: 10 })).status, 'complete');
    assert.equal(sendpays.count, 1);
    assert.deepEqual(
      (await atNode(inv.payment_hash)).map((p) => p.status),
      ['complete'],
    );
  });

  test("without a shared lock: A's lease keeps B from judging the part until A's send has had its time", async () => {
    const inv = await h.invoice(310_000);
    const sendpays = { count: 0 };
    const a = await h.engine(slowSendpay(800, sendpays), { lock: localLock() });
    const sending = a.sendpartialpay(onePart(inv));
    const part = await journaled(a, inv.payment_hash);
    assert.ok(part.sender && part.sending_until! > Date.now() / 1000, "the part carries its sender's lease");
    const b = await h.engine(undefined, { lock: localLock() });
    await b.ready();
    assert.equal((await b.listpartialpayments({ id: part.id })).partialpayments[0]!.status, 'pending', 'B leaves a leased part alone');
    await sending;
    const done = await b.waitsendpay({ payment_hash: inv.payment_hash, timeout: 10 });
    assert.equal(done.status, 'complete');
    assert.equal((await atNode(inv.payment_hash)).length, 1);
  });

  test('a lease that ran out: the part the node never got fails as never sent, only then', async () => {
    const inv = await h.invoice(320_000);
    // A journals the part and dies before its sendpay leaves (the call never returns).
    const a = await h.engine((node) => ({ ...node, id: node.id, sendpay: () => new Promise(() => {}) }), { lock: localLock() });
    void a.sendpartialpay(onePart(inv)).catch(() => undefined);
    const part = await journaled(a, inv.payment_hash);
    a.close();
    let clock = Math.floor(Date.now() / 1000);
    const b = await h.engine(undefined, { lock: localLock(), now: () => clock });
    await b.ready();
    assert.equal((await b.listpartialpayments({ id: part.id })).partialpayments[0]!.status, 'pending');
    clock += SEND_LEASE_S + 1;
    const failed = await b.waitpartialpay({ id: part.id, timeout: 10 });
    assert.equal(failed.status, 'failed');
    assert.equal(failed.failreason, NEVER_SENT);
    assert.equal((await atNode(inv.payment_hash)).length, 0);
  });

  test("the node's complete beats the journal's failed: the preimage is recorded, the payment completes, waiters hear it", async () => {
    const inv = await h.invoice(330_000);
    const sendpays = { count: 0 };
    const a = await h.engine(slowSendpay(800, sendpays), { lock: localLock() });
    const sending = a.sendpartialpay(onePart(inv));
    const part = await journaled(a, inv.payment_hash);
    // B believes the lease ran out (a clock far ahead) and fails the part the node has not seen yet.
    const b = await h.engine(undefined, { lock: localLock(), now: () => Math.floor(Date.now() / 1000) + SEND_LEASE_S + 1 });
    await b.ready();
    assert.equal((await b.listpartialpayments({ id: part.id })).partialpayments[0]!.status, 'failed');
    await sending;
    const done = await a.waitpartialpay({ id: part.id, timeout: 10 }).catch(() => undefined);
    for (let i = 0; i < 200 && (await a.listpayments({ payment_hash: inv.payment_hash })).payments[0]!.status !== 'complete'; i++)
      await sleep(10);
    const [payment] = (await a.listpayments({ payment_hash: inv.payment_hash })).payments;
    assert.equal(payment!.status, 'complete', 'the node completed it: so does the journal');
    assert.match(payment!.payment_preimage!, /^[0-9a-f]{64}$/);
    const [stored] = (await a.listpartialpayments({ id: part.id })).partialpayments;
    assert.equal(stored!.status, 'complete');
    assert.equal(stored!.failreason, undefined);
    assert.equal(stored!.payment_preimage, payment!.payment_preimage);
    assert.ok(done === undefined || done.status !== 'pending');
    // A later send of the same payment sends nothing: it is complete.
    const again = await b.sendpartialpay(onePart(inv));
    assert.equal(again.already_complete, true);
    assert.equal((await atNode(inv.payment_hash)).length, 1);
  });

  test('a failed payment whose part the node completed after all: sendpartialpay records it complete and sends nothing', async () => {
    const inv = await h.invoice(340_000);
    const a = await h.engine(slowSendpay(600, { count: 0 }), { lock: localLock(), waitChunk: 5 });
    const sending = a.sendpartialpay(onePart(inv));
    const part = await journaled(a, inv.payment_hash);
    // B's watcher never hears back, so only its next send can learn the node's word.
    const deaf = await h.engine((node) => ({ ...node, id: node.id, waitsendpay: () => new Promise(() => {}) }), {
      lock: localLock(),
      now: () => Math.floor(Date.now() / 1000) + SEND_LEASE_S + 1,
    });
    await deaf.ready();
    a.close();
    await sending.catch(() => undefined);
    for (let i = 0; i < 200 && !(await atNode(inv.payment_hash)).some((p) => p.status === 'complete'); i++) await sleep(10);
    assert.equal((await deaf.listpartialpayments({ id: part.id })).partialpayments[0]!.status, 'failed');
    const again = await deaf.sendpartialpay(onePart(inv));
    assert.equal(again.already_complete, true, 'nothing is sent for a payment the node completed');
    assert.match(again.payment_preimage!, /^[0-9a-f]{64}$/);
    assert.equal((await deaf.listpartialpayments({ id: part.id })).partialpayments[0]!.status, 'complete');
    assert.equal((await atNode(inv.payment_hash)).length, 1);
  });

  test('pay() in A with a slow first send while B opens: one HTLC, pay() complete with the preimage', async () => {
    const inv = await h.invoice(350_000);
    const lock: Lock = localLock();
    const sendpays = { count: 0 };
    const a = await h.engine(slowSendpay(700, sendpays), { lock });
    const paying = a.pay({ bolt11: inv.bolt11, retry_for: 20 });
    await journaled(a, inv.payment_hash);
    const b = await h.engine(undefined, { lock });
    await b.ready();
    const result = await paying;
    assert.equal(result.status, 'complete', result.failreason);
    assert.equal(sendpays.count, 1, 'no replacement was sent');
    assert.equal((await atNode(inv.payment_hash)).length, 1);
  });
});
