/**
 * A dropped socket mid-payment: the engine's waits resume after the reconnect, one per part,
 * never doubled; a send whose answer was lost is found at the node, not sent again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clnNode, type Node } from '../../packages/core/src/index.ts';
import { engineHarness, type EngineHarness } from './engine-harness.ts';

let h: EngineHarness;
before(async () => {
  h = await engineHarness({ seed: 31 });
});
after(() => h.stop());

/** Counts waitsendpay calls per part, and the most ever outstanding for one part at once. */
function counting(node: Node, onSendpay?: () => void) {
  const outstanding = new Map<string, number>();
  const stats = { calls: 0, maxPerPart: 0, sendpays: 0 };
  const wrapped: Node = {
    ...node,
    id: node.id,
    sendpay(r) {
      stats.sendpays++;
      onSendpay?.();
      return node.sendpay(r);
    },
    async waitsendpay(r) {
      const key = `${r.payment_hash}/${r.groupid}/${r.partid}`;
      stats.calls++;
      outstanding.set(key, (outstanding.get(key) ?? 0) + 1);
      stats.maxPerPart = Math.max(stats.maxPerPart, outstanding.get(key)!);
      try {
        return await node.waitsendpay(r);
      } finally {
        outstanding.set(key, outstanding.get(key)! - 1);
      }
    },
  };
  return { wrapped, stats, outstanding: () => [...outstanding.values()].reduce((a, b) => a + b, 0) };
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('reconnect: waits resume and are never doubled', () => {
  test('two drops while parts are held: one wait per part at a time, and the payment still completes', async () => {
    const c = counting(clnNode(h.wallet));
    const engine = await h.engine(() => c.wrapped);
    h.simnet.setFaults('alice', { hold: true });
    const inv = await h.invoice(2_000_000);
    const base = { payment_hash: inv.payment_hash, intended_amount_msat: inv.amount_msat, payment_secret: inv.payment_secret };
    await engine.sendpartialpay({ ...base, route: h.route('alice', 1_000_000) });
    await engine.sendpartialpay({ ...base, route: h.route('bob', 1_000_000) });
    const done = engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 20 });
    await until(() => c.outstanding() === 2, 'both parts watched');
    for (let drop = 0; drop < 2; drop++) {
      const calls = c.stats.calls;
      h.simnet.dropConnections('wallet');
      await until(() => h.wallet.state !== 'open', 'the drop');
      await until(
        () => h.wallet.state === 'open' && c.outstanding() === 2 && c.stats.calls >= calls + 2,
        'waits resumed after the reconnect',
      );
    }
    assert.equal(c.stats.maxPerPart, 1, 'never two waits on one part');
    h.simnet.setFaults('alice', { hold: false });
    const payment = await done;
    assert.equal(payment.status, 'complete');
    assert.equal(c.stats.sendpays, 2);
    engine.close();
  });

  test('a sendpay whose answer is lost in a drop: found at the node after the reconnect, not sent again', async () => {
    // The node runs the sendpay after a delay; the socket drops before its answer comes back.
    let dropped = false;
    const c = counting(clnNode(h.wallet), () => {
      if (dropped) return;
      dropped = true;
      h.simnet.setFaults('wallet', { slowReplies: 150 });
      setTimeout(() => h.simnet.dropConnections('wallet'), 30);
    });
    const engine = await h.engine(() => c.wrapped);
    const inv = await h.invoice(1_000_000);
    const sent = await engine.sendpartialpay({
      route: h.route('bob', 1_000_000),
      payment_hash: inv.payment_hash,
      intended_amount_msat: inv.amount_msat,
      payment_secret: inv.payment_secret,
    });
    assert.equal(sent.status, 'pending', 'unknown until the node is asked');
    h.simnet.setFaults('wallet', { slowReplies: 0 });
    const payment = await engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 20 });
    assert.equal(payment.status, 'complete');
    const { payments } = await h.wallet.request('listsendpays', { payment_hash: inv.payment_hash });
    assert.equal(payments.length, 1, 'one HTLC at the node');
    // The engine sent it again after the reconnect; the node gave the same part back.
    assert.equal(c.stats.sendpays, 2);
    engine.close();
  });
});
