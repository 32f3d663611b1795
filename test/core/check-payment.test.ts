/**
 * `checkpayment`: what the journal holds of a payment and whether the node agrees, so that a
 * page says "already paid" only when it is so. On simnet's wallet over commando: a payment
 * made here is confirmed by the node's own parts; a node that has no record of it (a
 * reset network, a deleted history: here a node whose `listsendpays` answers nothing) leaves
 * the journal's proof standing but unconfirmed, and pay() still sends nothing; a link that is
 * down leaves `confirmed` out; a hash never paid, or malformed, says so.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AmpkitError, type Engine, type Node } from '../../packages/core/src/index.ts';
import { engineHarness, type EngineHarness } from './engine-harness.ts';

let h: EngineHarness;
const engines: Engine[] = [];

before(async () => {
  h = await engineHarness({ seed: 21 });
});
after(async () => {
  for (const engine of engines) engine.close();
  await h.stop();
});

async function engine(wrap?: (node: Node) => Node): Promise<Engine> {
  const made = await h.engine(wrap);
  engines.push(made);
  return made;
}

/** A node whose history is gone (listsendpays answers nothing) and that counts sendpay calls. */
function forgetful(sent: { count: number }) {
  return (node: Node): Node =>
    Object.assign(Object.create(node) as Node, {
      listsendpays: async () => [],
      sendpay: (request: Parameters<Node['sendpay']>[0]) => {
        sent.count++;
        return node.sendpay(request);
      },
    });
}

describe('checkpayment: the journal and the node on a payment', () => {
  test('a payment made here: complete in the journal and confirmed by the node', async () => {
    const e = await engine();
    const invoice = await h.invoice(50_000_000);
    const paid = await e.pay({ bolt11: invoice.bolt11 });
    assert.equal(paid.status, 'complete');
    const check = await e.checkpayment({ payment_hash: invoice.payment_hash });
    assert.equal(check.payment?.status, 'complete');
    assert.equal(check.payment?.payment_preimage, paid.payment_preimage);
    assert.equal(check.confirmed, true);
  });

  test("a node without a record of it: unconfirmed, the proof still the journal's, and pay() sends nothing", async () => {
    const first = await engine();
    const invoice = await h.invoice(40_000_000);
    const paid = await first.pay({ bolt11: invoice.bolt11 });
    assert.equal(paid.status, 'complete');
    first.close();
    const sent = { count: 0 };
    const e = await engine(forgetful(sent));
    const check = await e.checkpayment({ payment_hash: invoice.payment_hash });
    assert.equal(check.payment?.status, 'complete');
    assert.equal(check.confirmed, false);
    const again = await e.pay({ bolt11: invoice.bolt11 });
    assert.equal(again.already_complete, true);
    assert.equal(again.payment_preimage, paid.payment_preimage);
    assert.equal(sent.count, 0, 'never paid twice');
  });

  test('the link down: the journal answers and confirmed is left out; a hash never paid has no payment', async () => {
    const down = (node: Node): Node =>
      Object.assign(Object.create(node) as Node, {
        listsendpays: async () => {
          throw new AmpkitError('CONNECTION', 'the link to the node is closed');
        },
      });
    const invoice = await h.invoice(30_000_000);
    const payer = await engine();
    assert.deepEqual(await payer.checkpayment({ payment_hash: invoice.payment_hash }), {});
    await payer.pay({ bolt11: invoice.bolt11 });
    payer.close();
    const e = await engine(down);
    const check = await e.checkpayment({ payment_hash: invoice.payment_hash });
    assert.equal(check.payment?.status, 'complete');
    assert.equal('confirmed' in check, false);
    await assert.rejects(e.checkpayment({ payment_hash: 'nothex' }), (err: AmpkitError) => err.code === 'INVALID_ARGUMENT');
  });
});
