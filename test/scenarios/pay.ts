/**
 * `pay()` with the local planner: it plans on the payer's own view of the graph, sends
 * every part through sendpartialpay, and a payment too big for one path goes out in parts
 * over both. The journal must agree with the node part by part. With `planner: 'auto'`
 * (the default) a fresh engine's first payment is planned by the node while the graph is
 * not loaded, and the local planner takes over once it is (loaded after that payment).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHash } from 'node:crypto';
import type { Engine } from '../../packages/core/src/index.ts';
import { engineOn, nodeInvoice, partRows, suiteEngine } from './helpers.ts';
import { offChannels, type NodeSide, type Target } from './target.ts';

/** The journal's parts and the node's, as `groupid/partid:status:amount`, side by side. */
export async function journalAndNode(engine: Engine, side: NodeSide, payment_hash: string): Promise<{ journal: string[]; node: string[] }> {
  const { partialpayments } = await engine.listpartialpayments({ payment_hash });
  return { journal: partRows(partialpayments), node: partRows(await side.sentParts(payment_hash)) };
}

export function payScenarios(target: () => Target): void {
  const alice = suiteEngine(target, 'alice');

  test('a small payment completes; the preimage hashes to the payment hash; the journal is the node', async () => {
    const inv = await nodeInvoice(target(), 25_000_000);
    const result = await alice.engine.pay({ bolt11: inv.bolt11, planner: 'local' });
    assert.equal(result.status, 'complete', result.failreason);
    assert.deepEqual(
      result.parts.map((p) => p.planner),
      result.parts.map(() => 'local'),
    );
    assert.equal(createHash('sha256').update(Buffer.from(result.payment_preimage!, 'hex')).digest('hex'), inv.payment_hash);
    assert.equal(result.amount_delivered_msat, 25_000_000);
    const { journal, node } = await journalAndNode(alice.engine, alice.side, inv.payment_hash);
    assert.deepEqual(journal, node);
    // Paying it again sends nothing.
    const again = await alice.engine.pay({ bolt11: inv.bolt11 });
    assert.equal(again.already_complete, true);
    assert.deepEqual((await journalAndNode(alice.engine, alice.side, inv.payment_hash)).node, node);
  });

  test('a payment bigger than any one path (1,300,000 sat) goes out in parts over bob and carol and completes exactly', async () => {
    const t = target();
    const amount = 1_300_000_000;
    // Whatever an earlier scenario left, alice's paths start as full as they can be.
    await t.rebalance();
    const inv = await nodeInvoice(t, amount);
    const progress: number[] = [];
    const stop = alice.engine.on('pay-progress', (p) => p.payment_hash === inv.payment_hash && progress.push(p.attempts));
    const result = await alice.engine.pay({ bolt11: inv.bolt11, retry_for: 90, planner: 'local' });
    stop();
    try {
      const summary = result.parts
        .map(
          (p) =>
            `${p.route[0]!.id === t.nodes.bob.id ? 'bob' : 'carol'}:${p.amount_msat}:${p.status}${p.failcodename ? `:${p.failcodename}@${p.erring_index}` : ''}${p.failreason ? `:${p.failreason}` : ''}`,
        )
        .join(', ');
      assert.equal(result.status, 'complete', `${result.failreason}; parts: ${summary}`);
      const done = result.parts.filter((p) => p.status === 'complete');
      assert.ok(done.length >= 2, `${done.length} parts`);
      assert.equal(
        done.reduce((s, p) => s + p.amount_msat, 0),
        amount,
        'exactly the invoice, no more',
      );
      const firstHops = new Set(done.map((p) => p.route[0]!.id));
      assert.deepEqual([...firstHops].sort(), [t.nodes.bob.id, t.nodes.carol.id].sort());
      const { journal, node } = await journalAndNode(alice.engine, alice.side, inv.payment_hash);
      assert.deepEqual(journal, node);
      assert.equal(new Set(node.map((r) => r.split(':')[0])).size, node.length, 'no (groupid, partid) twice');
      assert.ok(progress.length >= 3, 'progress came part by part');
    } finally {
      await offChannels(t, [inv.payment_hash]);
      await t.rebalance();
    }
  });

  test("'auto': a fresh engine's first payment is planned by the node, with no wait for the graph; the graph loads after it, and the next payment is planned here", async () => {
    const t = target();
    const fresh = await engineOn(t, 'alice');
    try {
      const first = await nodeInvoice(t, 20_000_000);
      const paid = await fresh.engine.pay({ bolt11: first.bolt11 });
      assert.equal(paid.status, 'complete', paid.failreason);
      assert.ok(paid.parts.length > 0 && paid.parts.every((p) => p.planner === 'node'), paid.parts.map((p) => p.planner).join());
      // The graph (listchannels and listnodes with a field filter) loads behind, after the payment.
      let second: Awaited<ReturnType<Engine['pay']>> | undefined;
      for (let i = 0; i < 20; i++) {
        const inv = await nodeInvoice(t, 20_000_000);
        second = await fresh.engine.pay({ bolt11: inv.bolt11 });
        assert.equal(second.status, 'complete', second.failreason);
        if (second.parts.every((p) => p.planner === 'local')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(
        second?.parts.every((p) => p.planner === 'local'),
        'the local planner took over once its graph was loaded',
      );
    } finally {
      fresh.close();
    }
  });
}
