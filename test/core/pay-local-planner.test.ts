/**
 * pay() with the local planner (the default), against simnet's demo topology over
 * commando: the graph comes from listchannels once and then from the journal's cache; a
 * payment too big for one path goes out in three or more parts and completes; a failed
 * part is learned from and what is left planned again; an offline peer's channel is not
 * used; fee budgets, an unreachable amount and retry_for end it cleanly with every part
 * resolved; the node's own planner is never asked.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { clnNode, createEngine, type Engine, type PayResult } from '../../packages/core/src/index.ts';
import { engineHarness, type EngineHarness } from './engine-harness.ts';

/** 1,800,000 sat: more than any one routing node passes to the shop (~700,000 sat). */
const BIG = 1_800_000_000;

async function withHarness(run: (h: EngineHarness, engine: Engine) => Promise<void>): Promise<void> {
  const h = await engineHarness({ mppTimeout: 1.5 });
  try {
    await run(h, await h.engine());
  } finally {
    await h.stop();
  }
}

const calls = (h: EngineHarness, method: string) => h.simnet.node('wallet').calls.get(method) ?? 0;

async function shopInvoice(h: EngineHarness, payment_hash: string) {
  const { invoices } = await h.shop.request('listinvoices', { payment_hash });
  return invoices[0] as { status: string; amount_received_msat?: number };
}

/** What every result must satisfy, whatever the outcome. */
function checkResult(h: EngineHarness, result: PayResult, maxfee_msat: number): void {
  assert.equal(result.attempts, result.parts.length);
  assert.ok(
    result.parts.every((p) => p.status !== 'pending'),
    'no part is left in flight',
  );
  const kept = result.parts.filter((p) => p.status === 'complete');
  assert.equal(
    result.amount_delivered_msat,
    kept.reduce((s, p) => s + p.amount_msat, 0),
  );
  assert.ok(result.fee_msat <= maxfee_msat, `fees ${result.fee_msat} within ${maxfee_msat}`);
  assert.ok(result.amount_delivered_msat <= result.amount_msat, 'never more than the amount');
  assert.equal(calls(h, 'sendpay'), result.attempts, 'every part sent once');
  assert.equal(calls(h, 'getroutes'), 0, 'the node was not asked to plan');
  if (result.status === 'complete') assert.equal(bytesToHex(sha256(hexToBytes(result.payment_preimage!))), result.payment_hash);
  else assert.equal(typeof result.failreason, 'string');
}

describe('pay() with the local planner', () => {
  test('1,800,000 sat wallet → shop completes in three or more parts planned here; the shop is paid exactly the amount', () =>
    withHarness(async (h, engine) => {
      const inv = await h.invoice(BIG);
      const result = await engine.pay({ planner: 'local', bolt11: inv.bolt11 });
      checkResult(h, result, BIG / 200);
      assert.equal(result.status, 'complete');
      assert.ok(result.parts.length >= 3, `${result.parts.length} parts`);
      assert.ok(new Set(result.parts.map((p) => p.route[0]!.channel)).size >= 3, 'over three or more of our channels');
      assert.equal(calls(h, 'listchannels'), 1);
      const paid = await shopInvoice(h, inv.payment_hash);
      assert.equal(paid.status, 'paid');
      assert.equal(paid.amount_received_msat, BIG);
      const { partialpayments } = await engine.listpartialpayments({ payment_hash: inv.payment_hash });
      assert.deepEqual(
        partialpayments,
        result.parts.map(({ planner, ...part }) => (assert.equal(planner, 'local'), part)),
      );
    }));

  test('the graph is cached beside the journal: a new engine plans without listchannels; an old cache is refreshed behind', () =>
    withHarness(async (h, engine) => {
      const first = await engine.pay({ planner: 'local', bolt11: (await h.invoice(50_000_000)).bolt11 });
      assert.equal(first.status, 'complete');
      assert.equal(calls(h, 'listchannels'), 1);
      engine.close();
      const again = await createEngine({ node: clnNode(h.wallet), store: h.store });
      try {
        const second = await again.pay({ planner: 'local', bolt11: (await h.invoice(50_000_000)).bolt11 });
        assert.equal(second.status, 'complete');
        assert.equal(calls(h, 'listchannels'), 1, 'planned from the cache');
      } finally {
        again.close();
      }
      const eager = await createEngine({ node: clnNode(h.wallet), store: h.store, graphRefresh: 0 });
      try {
        const third = await eager.pay({ planner: 'local', bolt11: (await h.invoice(50_000_000)).bolt11 });
        assert.equal(third.status, 'complete');
        for (let i = 0; i < 50 && calls(h, 'listchannels') < 2; i++) await new Promise((r) => setTimeout(r, 20));
        assert.equal(calls(h, 'listchannels'), 2, 'a stale cache is loaded again behind the plan');
      } finally {
        eager.close();
      }
    }));

  test('a part that fails (alice fails the next HTLC) is learned from and the rest planned again; the payment completes', () =>
    withHarness(async (h, engine) => {
      h.simnet.setFaults('alice', { failNext: 1 });
      const inv = await h.invoice(BIG);
      const result = await engine.pay({ planner: 'local', bolt11: inv.bolt11 });
      checkResult(h, result, BIG / 200);
      assert.equal(result.status, 'complete');
      // Alice's failure, and any the replanned parts met for lack of liquidity on the way.
      const failed = result.parts.filter((p) => p.status === 'failed');
      assert.equal(
        failed.filter((p) => p.failcodename === 'WIRE_TEMPORARY_NODE_FAILURE' && p.erring_node === h.simnet.node('alice').node.id).length,
        1,
      );
      assert.ok(
        failed.every((p) => p.failcodename === 'WIRE_TEMPORARY_NODE_FAILURE' || p.failcodename === 'WIRE_TEMPORARY_CHANNEL_FAILURE'),
      );
      assert.equal((await shopInvoice(h, inv.payment_hash)).amount_received_msat, BIG);
    }));

  test('a transient failure is avoided for the rest of the payment, not remembered as no liquidity by the next one', () =>
    withHarness(async (h, engine) => {
      const alice = h.simnet.node('alice').node.id;
      const small = async (e: Engine) => {
        const result = await e.pay({ planner: 'local', bolt11: (await h.invoice(20_000_000)).bolt11 });
        assert.equal(result.status, 'complete');
        return result;
      };
      // Alice is the cheapest way to the shop: a small payment goes through her.
      assert.ok((await small(engine)).parts.every((p) => p.route[0]!.id === alice));
      h.simnet.setFaults('alice', { failNext: 1 });
      const failing = await small(engine);
      assert.equal(failing.parts[0]!.status, 'failed');
      assert.equal(failing.parts[0]!.failcodename, 'WIRE_TEMPORARY_NODE_FAILURE');
      assert.equal(failing.parts[0]!.erring_node, alice);
      assert.ok(
        failing.parts.slice(1).every((p) => p.route[0]!.id !== alice),
        'the rest planned around her',
      );
      // She is back: the next payment goes through her again, and so does a new engine's on the journal.
      const next = await small(engine);
      assert.ok(next.parts.every((p) => p.status === 'complete' && p.route[0]!.id === alice));
      engine.close();
      const fresh = await createEngine({ node: clnNode(h.wallet), store: h.store });
      try {
        const later = await small(fresh);
        assert.ok(later.parts.every((p) => p.status === 'complete' && p.route[0]!.id === alice));
      } finally {
        fresh.close();
      }
    }));

  test('a peer that is offline: its channel is not planned over (listpeerchannels says so)', () =>
    withHarness(async (h, engine) => {
      await h.simnet.setOnline('alice', false);
      const inv = await h.invoice(1_200_000_000);
      const result = await engine.pay({ planner: 'local', bolt11: inv.bolt11 });
      checkResult(h, result, 1_200_000_000 / 200);
      assert.equal(result.status, 'complete');
      const alice = h.simnet.node('alice').node.id;
      assert.ok(
        result.parts.every((p) => p.route[0]!.id !== alice),
        'no part through alice',
      );
    }));

  test('a fee budget below what any plan costs sends nothing and says so', () =>
    withHarness(async (h, engine) => {
      const inv = await h.invoice(BIG);
      const result = await engine.pay({ planner: 'local', bolt11: inv.bolt11, maxfee_msat: 1000 });
      checkResult(h, result, 1000);
      assert.equal(result.status, 'failed');
      assert.match(
        result.failreason!,
        /^no route for the remaining 1800000000 msat within the fee budget \(1000 msat left\): every plan found costs more/,
      );
      assert.deepEqual(result.parts, []);
    }));

  test('more than the network can carry to the shop fails cleanly with nothing sent', () =>
    withHarness(async (h, engine) => {
      const inv = await h.invoice(5_000_000_000);
      const result = await engine.pay({ planner: 'local', bolt11: inv.bolt11, maxfee_msat: 100_000_000 });
      checkResult(h, result, 100_000_000);
      assert.equal(result.status, 'failed');
      assert.match(result.failreason!, /^no route for the remaining 5000000000 msat/);
      assert.equal(result.failkind, 'no-route');
      assert.deepEqual(result.parts, []);
    }));

  test('a router offline for a moment after a failure: with nothing in flight and no route, pay() waits, asks again once it is back, and completes', () =>
    withHarness(async (h, engine) => {
      h.simnet.setFaults('dave', { failNext: 1 });
      const dave = h.simnet.node('dave').node.id;
      let back: Promise<void> | undefined;
      engine.on('part-updated', (part) => {
        if (part.status === 'failed' && part.erring_node === dave && !back) {
          back = h.simnet
            .setOnline('dave', false)
            .then(() => new Promise((r) => setTimeout(r, 400)))
            .then(() => h.simnet.setOnline('dave', true));
        }
      });
      const amount = 2_500_000_000;
      const inv = await h.invoice(amount);
      const result = await engine.pay({ planner: 'local', bolt11: inv.bolt11, retry_for: 20 });
      checkResult(h, result, amount / 200);
      assert.ok(back, 'dave failed a part and went offline');
      assert.equal(result.status, 'complete', result.failreason);
      assert.equal((await shopInvoice(h, inv.payment_hash)).amount_received_msat, amount);
    }));

  test('an amount that cannot be reached once dave is gone fails cleanly: every part in flight waited for and failed', () =>
    withHarness(async (h, engine) => {
      h.simnet.setFaults('dave', { failNext: 1 });
      const dave = h.simnet.node('dave').node.id;
      engine.on('part-updated', (part) => {
        if (part.status === 'failed' && part.erring_node === dave) void h.simnet.setOnline('dave', false);
      });
      const amount = 2_500_000_000;
      const inv = await h.invoice(amount);
      const result = await engine.pay({ planner: 'local', bolt11: inv.bolt11, retry_for: 20 });
      checkResult(h, result, amount / 200);
      assert.equal(result.status, 'failed');
      assert.match(result.failreason!, /^no route for the remaining \d+ msat/);
      assert.ok(result.parts.every((p) => p.status === 'failed'));
      assert.equal((await shopInvoice(h, inv.payment_hash)).status, 'unpaid');
    }));

  test('retry_for passing ends it: the shop fails every HTLC, pay() retries, then gives up', () =>
    withHarness(async (h, engine) => {
      h.simnet.setFaults('shop', { failNext: 1_000_000 });
      const inv = await h.invoice(BIG);
      const result = await engine.pay({ planner: 'local', bolt11: inv.bolt11, retry_for: 2 });
      checkResult(h, result, BIG / 200);
      assert.equal(result.status, 'failed');
      assert.match(result.failreason!, /^gave up after retry_for \(2 s\) with 1800000000 msat not delivered/);
      assert.equal(result.failkind, 'timeout');
      assert.ok(result.parts.length > 3, 'the parts of the first plan failed and were planned again');
    }));
});
