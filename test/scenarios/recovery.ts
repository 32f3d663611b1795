/**
 * An engine closed mid-payment (a tab closed with parts held at the payee) and a new engine
 * on the same journal: it reconciles what the first left pending with the node, finishes
 * the payment without sending any part twice, and its journal ends as the node's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SentPart } from '../../packages/core/src/index.ts';
import { engineOn, journal, nodeInvoice, twoHops } from './helpers.ts';
import { journalAndNode } from './pay.ts';
import type { Target } from './target.ts';

export function recoveryScenarios(target: () => Target): void {
  test('an engine closed with a part in flight; a new engine on the journal reconciles it, sends the rest, and the journal is the node', async () => {
    const t = target();
    const store = journal();
    const inv = await nodeInvoice(t, 60_000_000);
    const first = await engineOn(t, 'alice', { store });
    const held = (await first.engine.sendpartialpay({
      route: await twoHops(t, first.side, 'bob', 20_000_000, inv.min_final_cltv_expiry),
      payment_hash: inv.payment_hash,
      intended_amount_msat: inv.amount_msat,
      payment_secret: inv.payment_secret,
    })) as SentPart;
    assert.equal(held.status, 'pending');
    first.close();

    const second = await engineOn(t, 'alice', { store });
    try {
      await second.engine.ready();
      // The part the first engine sent is still in flight: the new engine watches it, it does not fail it.
      const [part] = (await second.engine.listpartialpayments({ id: held.id })).partialpayments;
      assert.equal(part!.status, 'pending');
      // pay() finishes the payment with the part in flight counted: only the rest is sent.
      const result = await second.engine.pay({ bolt11: inv.bolt11 });
      assert.equal(result.status, 'complete', result.failreason);
      assert.equal(result.amount_delivered_msat, 40_000_000, "this pay() delivered the rest; the first engine's part the remainder");
      const settled = await second.engine.waitpartialpay({ id: held.id, timeout: 30 });
      assert.equal(settled.status, 'complete');
      const { journal: j, node } = await journalAndNode(second.engine, second.side, inv.payment_hash);
      assert.deepEqual(j, node);
      const delivered = node.filter((r) => r.includes(':complete:')).reduce((s, r) => s + Number(r.split(':')[2]), 0);
      assert.equal(delivered, 60_000_000, 'exactly the invoice');
    } finally {
      second.close();
    }
  });
}
