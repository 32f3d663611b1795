/**
 * A `waitsendpay` answer counts only for the part it names (docs/engine-rules.md, "Watching
 * a part"): a reply about another (groupid, partid) with status `failed` is not this part's
 * fate, and a failure counts only once `listsendpays` confirms it; until then nothing
 * replaces the part.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AmpkitError, Engine, Node, NodePart } from '../../packages/core/src/index.ts';
import { engineHarness, type EngineHarness } from './engine-harness.ts';

let h: EngineHarness;
before(async () => {
  h = await engineHarness({ seed: 53 });
});
after(() => h.stop());

/** A node whose first `waitsendpay` answers with `lie(the asked part)` instead of asking the node. */
function lyingWait(
  lie: (asked: { payment_hash: string; groupid: number; partid: number }) => NodePart,
  counts: { sendpay: number; lies: number },
): (node: Node) => Node {
  return (node) => ({
    ...node,
    id: node.id,
    sendpay: (r) => {
      counts.sendpay++;
      return node.sendpay(r);
    },
    waitsendpay: async (r) => {
      if (counts.lies++ === 0) return lie(r);
      return node.waitsendpay(r);
    },
  });
}

function errors(engine: Engine): AmpkitError[] {
  const seen: AmpkitError[] = [];
  engine.on('error', (e) => seen.push(e));
  return seen;
}

const failedPart = (r: { payment_hash: string; groupid: number; partid: number }, change: Partial<NodePart>): NodePart => ({
  payment_hash: r.payment_hash,
  groupid: r.groupid,
  partid: r.partid,
  status: 'failed',
  amount_msat: 1,
  amount_sent_msat: 1,
  destination: h.simnet.node('shop').node.id,
  created_at: 1,
  failcode: 0x1007,
  failcodename: 'WIRE_TEMPORARY_CHANNEL_FAILURE',
  erring_index: 1,
  ...change,
});

describe('waitsendpay answers are matched to the part', () => {
  test("a failed answer naming another partid is not this part's fate: the part completes, pay() sends no replacement", async () => {
    const inv = await h.invoice(250_000);
    const counts = { sendpay: 0, lies: 0 };
    const engine = await h.engine(lyingWait((r) => failedPart(r, { partid: r.partid + 98 }), counts));
    const seen = errors(engine);
    h.simnet.setFaults('shop', { latency: 300 });
    try {
      const result = await engine.pay({ bolt11: inv.bolt11, retry_for: 20, planner: 'node' });
      assert.equal(result.status, 'complete', result.failreason);
      assert.equal(counts.sendpay, 1, 'one part, no replacement');
      assert.ok(
        seen.some((e) => e.code === 'BAD_REPLY' && /answered about part/.test(e.message)),
        'the mismatch is reported',
      );
    } finally {
      h.simnet.setFaults('shop', { latency: 0 });
    }
  });

  test('a failed answer about this part that listsendpays does not confirm (still in flight) is not taken; the part completes', async () => {
    const inv = await h.invoice(260_000);
    const counts = { sendpay: 0, lies: 0 };
    const engine = await h.engine(lyingWait((r) => failedPart(r, {}), counts));
    const seen = errors(engine);
    h.simnet.setFaults('shop', { latency: 300 });
    try {
      const sent = await engine.sendpartialpay({
        route: h.route('bob', 260_000),
        payment_hash: inv.payment_hash,
        intended_amount_msat: 260_000,
        payment_secret: inv.payment_secret,
      });
      assert.equal(sent.already_complete, undefined);
      const done = await engine.waitpartialpay({ id: (sent as { id: number }).id, timeout: 15 });
      assert.equal(done.status, 'complete');
      assert.equal(done.failcode, undefined);
      assert.equal(counts.sendpay, 1);
      assert.ok(seen.some((e) => e.code === 'BAD_REPLY' && /listsendpays that it is in flight/.test(e.message)));
    } finally {
      h.simnet.setFaults('shop', { latency: 0 });
    }
  });

  test("a failure the node confirms counts, with waitsendpay's details", async () => {
    const inv = await h.invoice(270_000);
    const engine = await h.engine();
    h.simnet.setFaults('shop', { failNext: 1 });
    const sent = await engine.sendpartialpay({
      route: h.route('carol', 270_000),
      payment_hash: inv.payment_hash,
      intended_amount_msat: 270_000,
      payment_secret: inv.payment_secret,
    });
    const done = await engine.waitpartialpay({ id: (sent as { id: number }).id, timeout: 15 });
    assert.equal(done.status, 'failed');
    assert.equal(typeof done.failcode, 'number');
    assert.equal(done.erring_index, 2);
  });
});
