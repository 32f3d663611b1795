/**
 * pay() with the node as planner, against simnet's demo topology over commando: a payment
 * too big for one path goes out in parts and completes; failed parts are planned again;
 * a fee budget, an unreachable amount and retry_for end it cleanly with every part resolved;
 * a paid invoice sends nothing; concurrent calls send one set; bad input sends nothing;
 * pay-progress tells each step. Then decode() and getinfo().
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { decodeBolt11, encodeBolt11, publicKeyOf } from '../../packages/wire/src/index.ts';
import {
  AmpkitError,
  clnNode,
  createEngine,
  memoryStore,
  type Engine,
  type Node,
  type PayProgress,
  type PayResult,
} from '../../packages/core/src/index.ts';
import { engineHarness, type EngineHarness } from './engine-harness.ts';
import { noReceiving } from './fake-node.ts';

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

const sendpays = (h: EngineHarness) => h.simnet.node('wallet').calls.get('sendpay') ?? 0;

async function shopInvoice(h: EngineHarness, payment_hash: string) {
  const { invoices } = await h.shop.request('listinvoices', { payment_hash });
  return invoices[0] as { status: string; amount_received_msat?: number };
}

function collect(engine: Engine): PayProgress[] {
  const events: PayProgress[] = [];
  engine.on('pay-progress', (p) => events.push(p));
  return events;
}

/** What every result must satisfy, whatever the outcome. */
function checkResult(result: PayResult, maxfee_msat: number): void {
  assert.equal(result.maxfee_msat, maxfee_msat);
  assert.equal(result.attempts, result.parts.length);
  assert.ok(
    result.parts.every((p) => p.status !== 'pending'),
    'no part is left in flight',
  );
  assert.equal(result.amount_inflight_msat, 0);
  const kept = result.parts.filter((p) => p.status === 'complete');
  assert.equal(
    result.amount_delivered_msat,
    kept.reduce((s, p) => s + p.amount_msat, 0),
  );
  assert.equal(
    result.fee_msat,
    kept.reduce((s, p) => s + p.amount_sent_msat - p.amount_msat, 0),
  );
  assert.ok(result.fee_msat <= maxfee_msat, `fees ${result.fee_msat} within ${maxfee_msat}`);
  assert.ok(result.amount_delivered_msat <= result.amount_msat);
  if (result.status === 'complete') {
    assert.equal(bytesToHex(sha256(hexToBytes(result.payment_preimage!))), result.payment_hash);
    assert.equal(result.failreason, undefined);
  } else {
    assert.equal(result.payment_preimage, undefined);
    assert.equal(typeof result.failreason, 'string');
  }
}

/** Takes `alias` offline once one of the engine's parts fails at it. */
function offlineAfterFailure(h: EngineHarness, engine: Engine, alias: string): void {
  const id = h.simnet.node(alias).node.id;
  engine.on('part-updated', (part) => {
    if (part.status === 'failed' && part.erring_node === id) void h.simnet.setOnline(alias, false);
  });
}

describe('pay() with the node planning', () => {
  test('1,800,000 sat wallet → shop completes in three or more parts; the shop is paid exactly the amount', () =>
    withHarness(async (h, engine) => {
      const inv = await h.invoice(BIG);
      const result = await engine.pay({ planner: 'node', bolt11: inv.bolt11 });
      checkResult(result, BIG / 200);
      assert.equal(result.status, 'complete');
      assert.ok(result.parts.length >= 3, `${result.parts.length} parts`);
      assert.equal(result.amount_delivered_msat, BIG);
      assert.equal(result.destination, h.simnet.node('shop').node.id);
      assert.equal(result.already_complete, undefined);
      assert.deepEqual(new Set(result.parts.map((p) => p.route[0]!.channel)).size, result.parts.length, 'disjoint first hops');
      assert.equal(sendpays(h), result.attempts);
      const paid = await shopInvoice(h, inv.payment_hash);
      assert.equal(paid.status, 'paid');
      assert.equal(paid.amount_received_msat, BIG);
      // Every part went through sendpartialpay: journaled, listed, one payment.
      const { partialpayments } = await engine.listpartialpayments({ payment_hash: inv.payment_hash });
      assert.deepEqual(
        partialpayments,
        result.parts.map(({ planner, ...part }) => (assert.equal(planner, 'node'), part)),
      );
      const [payment] = (await engine.listpayments({ payment_hash: inv.payment_hash })).payments;
      assert.equal(payment!.status, 'complete');
      assert.equal(payment!.amount_sent_msat, BIG + result.fee_msat);
    }));

  test('a part that fails (alice fails the next HTLC) is planned again and the payment completes', () =>
    withHarness(async (h, engine) => {
      h.simnet.setFaults('alice', { failNext: 1 });
      const inv = await h.invoice(BIG);
      const result = await engine.pay({ planner: 'node', bolt11: inv.bolt11 });
      checkResult(result, BIG / 200);
      assert.equal(result.status, 'complete');
      const failed = result.parts.filter((p) => p.status === 'failed');
      assert.equal(failed.length, 1);
      assert.equal(failed[0]!.failcodename, 'WIRE_TEMPORARY_NODE_FAILURE');
      assert.equal(failed[0]!.erring_node, h.simnet.node('alice').node.id);
      assert.equal(result.amount_delivered_msat, BIG);
      assert.equal(sendpays(h), result.attempts);
      assert.equal((await shopInvoice(h, inv.payment_hash)).amount_received_msat, BIG);
    }));

  test('a first peer gone as its part is sent: the node refuses it before recording it, the part fails at once with its words, pay() goes around', () =>
    withHarness(async (h, engine) => {
      const alice = h.simnet.node('alice').node.id;
      // alice goes offline between the plan and the sendpay of the part through her.
      engine.on('part-created', (part) => {
        if (part.route[0]!.id === alice) void h.simnet.setOnline('alice', false);
      });
      const inv = await h.invoice(100_000_000);
      const result = await engine.pay({ planner: 'node', bolt11: inv.bolt11 });
      checkResult(result, 500_000);
      assert.equal(result.status, 'complete');
      const [refused, ...rest] = result.parts;
      assert.equal(refused!.route[0]!.id, alice);
      assert.equal(refused!.status, 'failed');
      assert.equal(refused!.failreason, 'failed: WIRE_TEMPORARY_CHANNEL_FAILURE (First peer not ready)');
      assert.deepEqual([refused!.erring_index, refused!.erring_channel], [0, refused!.route[0]!.channel]);
      assert.ok(rest.length > 0 && rest.every((p) => p.route[0]!.id !== alice), 'planned around the refused first hop');
      // Sent once, never again; the node has no record of it.
      assert.equal(sendpays(h), result.attempts);
      const { payments } = await h.wallet.request('listsendpays', { payment_hash: inv.payment_hash });
      assert.ok(!payments.some((p: { partid: number }) => p.partid === refused!.partid));
    }));

  test('a fee budget too small for the retry fails with a reason, spends nothing beyond it, and a later pay() may try again', () =>
    withHarness(async (h, engine) => {
      // The first plan: alice 450,000 sat (46,000 msat of fees), bob and carol 675,000 sat
      // each (102,250 and 136,000). Carol fails her part and goes offline; the retry must go
      // through dave for 169,750 msat, but only 10,000 + 136,000 msat of budget are left.
      // pay() waits for the parts held at the shop (its mpp_timeout fails them back), then
      // asks for the whole amount again: alice, bob and dave cost 318,000 msat, over budget.
      const maxfee_msat = 284_250 + 10_000;
      h.simnet.setFaults('carol', { failNext: 1 });
      offlineAfterFailure(h, engine, 'carol');
      const events = collect(engine);
      const inv = await h.invoice(BIG);
      const result = await engine.pay({ planner: 'node', bolt11: inv.bolt11, maxfee_msat });
      checkResult(result, maxfee_msat);
      assert.equal(result.status, 'failed');
      assert.match(result.failreason!, /^no route for the remaining 1800000000 msat within the fee budget \(294250 msat left\)/);
      assert.ok(
        events.every((e) => e.fee_msat <= maxfee_msat),
        'fees in flight never pass the budget',
      );
      assert.equal(sendpays(h), result.attempts, 'nothing sent after the node found no route');
      // The parts held at the shop were failed back by its mpp_timeout: nothing was paid.
      assert.ok(result.parts.some((p) => p.failcodename === 'WIRE_MPP_TIMEOUT'));
      assert.equal(result.amount_delivered_msat, 0);
      assert.equal((await shopInvoice(h, inv.payment_hash)).status, 'unpaid');
      assert.equal((await engine.listpayments({ payment_hash: inv.payment_hash })).payments[0]!.status, 'failed');

      // A failed payment may be paid again: a new attempt (groupid), with the default budget.
      const again = await engine.pay({ planner: 'node', bolt11: inv.bolt11 });
      checkResult(again, BIG / 200);
      assert.equal(again.status, 'complete');
      assert.ok(again.parts.every((p) => p.groupid === result.parts[0]!.groupid + 1));
      assert.equal((await shopInvoice(h, inv.payment_hash)).amount_received_msat, BIG);
    }));

  test('a fee budget below what any plan costs sends nothing', () =>
    withHarness(async (h, engine) => {
      const inv = await h.invoice(BIG);
      const result = await engine.pay({ planner: 'node', bolt11: inv.bolt11, maxfee_msat: 1000 });
      checkResult(result, 1000);
      assert.equal(result.status, 'failed');
      assert.match(result.failreason!, /^no route for the remaining 1800000000 msat within the fee budget \(1000 msat left\)/);
      assert.equal(result.failkind, 'fee-budget', result.failreason);
      assert.deepEqual(result.parts, []);
      assert.equal(sendpays(h), 0);
    }));

  test('an amount that cannot be reached once dave is gone fails cleanly: every part in flight waited for and failed', () =>
    withHarness(async (h, engine) => {
      // 2,500,000 sat needs all four routing nodes; without dave the others pass ~2,070,000.
      h.simnet.setFaults('dave', { failNext: 1 });
      offlineAfterFailure(h, engine, 'dave');
      const amount = 2_500_000_000;
      const inv = await h.invoice(amount);
      const result = await engine.pay({ planner: 'node', bolt11: inv.bolt11 });
      checkResult(result, amount / 200);
      assert.equal(result.status, 'failed');
      assert.match(result.failreason!, /^no route for the remaining \d+ msat within the fee budget/);
      assert.equal(result.failkind, 'no-route');
      assert.ok(result.parts.length > 1);
      assert.ok(result.parts.every((p) => p.status === 'failed'));
      assert.ok(
        result.parts.some((p) => p.failcodename === 'WIRE_MPP_TIMEOUT'),
        'the held parts timed out at the shop',
      );
      assert.equal(sendpays(h), result.attempts);
      assert.equal((await shopInvoice(h, inv.payment_hash)).status, 'unpaid');
      const { partialpayments } = await engine.listpartialpayments({ payment_hash: inv.payment_hash });
      assert.ok(partialpayments.every((p) => p.status === 'failed'));
    }));

  test('retry_for passing ends it: the shop fails every HTLC, pay() retries, then gives up', () =>
    withHarness(async (h, engine) => {
      h.simnet.setFaults('shop', { failNext: 1_000_000 });
      const inv = await h.invoice(BIG);
      const result = await engine.pay({ planner: 'node', bolt11: inv.bolt11, retry_for: 2 });
      checkResult(result, BIG / 200);
      assert.equal(result.status, 'failed');
      assert.match(result.failreason!, /^gave up after retry_for \(2 s\) with 1800000000 msat not delivered/);
      assert.equal(result.failkind, 'timeout');
      assert.ok(result.parts.length > 3, 'the parts of the first plan failed and were planned again');
      assert.ok(result.parts.every((p) => p.status === 'failed' && p.failcodename === 'WIRE_TEMPORARY_NODE_FAILURE'));
      assert.equal(sendpays(h), result.attempts);
    }));

  test('a permanent refusal from the payee stops at once', () =>
    withHarness(async (h, engine) => {
      const inv = await h.invoice(50_000_000);
      await h.shop.request('delinvoice', {
        label: (await h.shop.request('listinvoices', { payment_hash: inv.payment_hash })).invoices[0].label,
        status: 'unpaid',
      });
      const result = await engine.pay({ planner: 'node', bolt11: inv.bolt11 });
      checkResult(result, 250_000);
      assert.equal(result.status, 'failed');
      assert.equal(result.failreason, 'the payee refused the payment (WIRE_INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS)');
      assert.equal(result.attempts, 1);
    }));

  test('an invoice already paid resolves complete with the preimage and sends nothing', () =>
    withHarness(async (h, engine) => {
      const inv = await h.invoice(BIG);
      const first = await engine.pay({ planner: 'node', bolt11: inv.bolt11 });
      const sent = sendpays(h);
      const events = collect(engine);
      const again = await engine.pay({ planner: 'node', bolt11: inv.bolt11 });
      assert.equal(again.status, 'complete');
      assert.equal(again.already_complete, true);
      assert.equal(again.payment_preimage, first.payment_preimage);
      assert.deepEqual(again.parts, []);
      assert.equal(again.amount_delivered_msat, BIG);
      assert.equal(sendpays(h), sent);
      assert.deepEqual(
        events.map((e) => e.status),
        ['complete'],
      );

      // An engine on another journal learns it from the node (sendpartialpay's already_complete).
      const other = await createEngine({ node: clnNode(h.wallet), store: memoryStore() });
      try {
        const elsewhere = await other.pay({ planner: 'node', bolt11: inv.bolt11 });
        assert.equal(elsewhere.status, 'complete');
        assert.equal(elsewhere.already_complete, true);
        assert.equal(elsewhere.payment_preimage, first.payment_preimage);
        assert.equal(sendpays(h), sent);
      } finally {
        other.close();
      }
    }));

  test('two pay() calls of one invoice at once send one set and give one result', () =>
    withHarness(async (h, engine) => {
      const inv = await h.invoice(BIG);
      const [a, b] = await Promise.all([
        engine.pay({ planner: 'node', bolt11: inv.bolt11 }),
        engine.pay({ planner: 'node', bolt11: inv.bolt11, maxfee_msat: 100_000 }),
      ]);
      assert.equal(a, b);
      assert.equal(a.status, 'complete');
      assert.equal(sendpays(h), a.attempts);
      assert.equal((await engine.listpartialpayments({ payment_hash: inv.payment_hash })).partialpayments.length, a.attempts);
      assert.equal((await shopInvoice(h, inv.payment_hash)).amount_received_msat, BIG);
    }));

  test('an invoice without an amount pays amount_msat', () =>
    withHarness(async (h, engine) => {
      const inv = await h.shop.request('invoice', { amount_msat: 'any', label: 'any-1', description: 'tip' });
      const result = await engine.pay({ planner: 'node', bolt11: inv.bolt11, amount_msat: 21_000_000 });
      checkResult(result, 105_000);
      assert.equal(result.status, 'complete');
      assert.equal((await shopInvoice(h, inv.payment_hash)).amount_received_msat, 21_000_000);
    }));

  test('closing the engine while parts are held ends pay() with CONNECTION; the journal keeps the parts', () =>
    withHarness(async (h, engine) => {
      h.simnet.setFaults('shop', { hold: true });
      const inv = await h.invoice(BIG);
      const inFlight = new Promise<void>((resolve) => engine.on('pay-progress', (p) => p.amount_inflight_msat === BIG && resolve()));
      const paying = engine.pay({ planner: 'node', bolt11: inv.bolt11 });
      await inFlight;
      engine.close();
      await assert.rejects(paying, (e: AmpkitError) => e.code === 'CONNECTION');
      const journal = await h.store.open(h.simnet.node('wallet').node.id);
      const parts = await journal.listParts({ payment_hash: inv.payment_hash });
      journal.close();
      assert.ok(parts.length >= 3 && parts.every((p) => p.status === 'pending'));
    }));

  test('pay-progress: one event per part created, one per part resolved, then the result', () =>
    withHarness(async (h, engine) => {
      h.simnet.setFaults('bob', { failNext: 1 });
      const events = collect(engine);
      const inv = await h.invoice(BIG);
      const result = await engine.pay({ planner: 'node', bolt11: inv.bolt11 });
      assert.equal(result.status, 'complete');
      assert.equal(events.length, 2 * result.attempts + 1);
      const { payment_preimage, already_complete, destination, created_at, completed_at, ...last } = result;
      assert.deepEqual(events.at(-1), last);
      assert.ok(events.slice(0, -1).every((e) => e.status === 'pending'));
      for (const [i, event] of events.entries()) {
        const before = events[i - 1];
        const ids = event.parts.map((p) => p.id);
        assert.deepEqual(ids.slice(0, before?.parts.length ?? 0), before?.parts.map((p) => p.id) ?? [], 'parts are only added, in order');
        // Each event is one step: one part created (pending), or one part resolved.
        const changed = event.parts.filter((p, k) => before?.parts[k]?.status !== p.status);
        if (i < events.length - 1) assert.equal(changed.length, 1, `event ${i}: ${JSON.stringify(event.parts.map((p) => p.status))}`);
        for (const [k, part] of (before?.parts ?? []).entries()) {
          if (part.status !== 'pending') assert.equal(event.parts[k]!.status, part.status, 'a resolved part stays resolved');
        }
        assert.equal(event.attempts, event.parts.length);
      }
      assert.ok(events.some((e) => e.parts.some((p) => p.status === 'failed')));
    }));
});

/** A node that records every call and answers none: bad input must never reach it. */
function silentNode(privateKey: Uint8Array): { node: Node; calls: string[] } {
  const calls: string[] = [];
  const refuse = (method: string) => () => {
    calls.push(method);
    return Promise.reject(new Error(`${method} must not be called`));
  };
  const node: Node = {
    ...noReceiving,
    id: bytesToHex(publicKeyOf(privateKey)),
    sendpay: refuse('sendpay'),
    waitsendpay: refuse('waitsendpay'),
    listsendpays: refuse('listsendpays'),
    getroutes: refuse('getroutes'),
    getinfo: refuse('getinfo'),
    connected: () => Promise.resolve(),
  };
  return { node, calls };
}

describe('pay() input: INVALID_ARGUMENT, nothing sent', () => {
  const ours = new Uint8Array(32).fill(7);
  const payee = new Uint8Array(32).fill(9);
  const now = Math.floor(Date.now() / 1000);
  const invoice = (o: { amount_msat?: number; created_at?: number; expiry?: number; features?: number[] } = {}, key = payee) =>
    encodeBolt11(
      {
        currency: 'bcrt',
        payment_hash: 'aa'.repeat(32),
        payment_secret: 'bb'.repeat(32),
        description: 'x',
        created_at: now,
        features: [8, 14, 17],
        ...o,
      },
      key,
    );
  const priced = invoice({ amount_msat: 1_000_000 });
  const BAD: Array<[string, unknown]> = [
    ['no arguments', undefined],
    ['a string', priced],
    ['no bolt11', {}],
    ['a bolt11 that does not decode', { bolt11: 'lnbcrt1notaninvoice' }],
    ['an expired invoice', { bolt11: invoice({ amount_msat: 1000, created_at: now - 120, expiry: 60 }) }],
    ['our own invoice', { bolt11: invoice({ amount_msat: 1000 }, ours) }],
    ['an amountless invoice without amount_msat', { bolt11: invoice() }],
    ['an amountless invoice with amount_msat 0', { bolt11: invoice(), amount_msat: 0 }],
    ['an amountless invoice with a fractional amount_msat', { bolt11: invoice(), amount_msat: 1.5 }],
    ["an amount_msat other than the invoice's", { bolt11: priced, amount_msat: 999_999 }],
    ['a negative maxfee_msat', { bolt11: priced, maxfee_msat: -1 }],
    ['a maxfee_msat above the amount', { bolt11: priced, maxfee_msat: 1_000_001 }],
    ['a maxfee_msat as a string', { bolt11: priced, maxfee_msat: '5000' }],
    ['retry_for 0', { bolt11: priced, retry_for: 0 }],
    ['retry_for Infinity', { bolt11: priced, retry_for: Infinity }],
    ['maxparts 0', { bolt11: priced, maxparts: 0 }],
    ['maxparts 2.5', { bolt11: priced, maxparts: 2.5 }],
    ['maxparts 1000', { bolt11: priced, maxparts: 1000 }],
    ['an unknown planner', { bolt11: priced, planner: 'askrene' }],
  ];
  for (const [name, input] of BAD) {
    test(name, async () => {
      const { node, calls } = silentNode(ours);
      const engine = await createEngine({ node, store: memoryStore() });
      try {
        await assert.rejects(engine.pay(input as never), (error: unknown) => {
          assert.ok(error instanceof AmpkitError);
          assert.equal(error.code, 'INVALID_ARGUMENT', error.message);
          return true;
        });
        assert.deepEqual(calls, []);
        assert.deepEqual((await engine.listpayments()).payments, []);
      } finally {
        engine.close();
      }
    });
  }

  test("the codec's reason comes along in data", async () => {
    const engine = await createEngine({ node: silentNode(ours).node, store: memoryStore() });
    await assert.rejects(
      engine.pay({ bolt11: priced.slice(0, -1) + (priced.endsWith('q') ? 'p' : 'q') }),
      (e: AmpkitError) => e.code === 'INVALID_ARGUMENT' && (e.data as { reason: string }).reason === 'BECH32',
    );
    engine.close();
  });

  test('a closed engine refuses with CONNECTION', async () => {
    const engine = await createEngine({ node: silentNode(ours).node, store: memoryStore() });
    engine.close();
    await assert.rejects(engine.pay({ bolt11: priced }), (e: AmpkitError) => e.code === 'CONNECTION');
  });
});

describe('decode() and getinfo()', () => {
  test("decode gives Core Lightning decode's fields, here, without the node", () =>
    withHarness(async (h, engine) => {
      const inv = await h.invoice(42_000, 'decode-me');
      const calls = [...h.simnet.node('wallet').calls.values()].reduce((a, b) => a + b, 0);
      const decoded = await engine.decode({ bolt11: inv.bolt11 });
      const full = decodeBolt11(inv.bolt11);
      assert.deepEqual(decoded, {
        currency: 'bcrt',
        payment_hash: inv.payment_hash,
        payee: h.simnet.node('shop').node.id,
        amount_msat: 42_000,
        description: 'decode-me',
        created_at: full.created_at,
        expiry: full.expiry,
        min_final_cltv_expiry: full.min_final_cltv_expiry,
        payment_secret: inv.payment_secret,
      });
      assert.equal(
        [...h.simnet.node('wallet').calls.values()].reduce((a, b) => a + b, 0),
        calls,
        'no node call',
      );
      await assert.rejects(
        engine.decode({ bolt11: 'lnbcrt1garbage' }),
        (e: AmpkitError) => e.code === 'INVALID_ARGUMENT' && (e.data as { reason: string }).reason === 'BECH32',
      );
      await assert.rejects(engine.decode(null as never), (e: AmpkitError) => e.code === 'INVALID_ARGUMENT');
      await assert.rejects(engine.decode({ bolt11: 7 } as never), (e: AmpkitError) => e.code === 'INVALID_ARGUMENT');
    }));

  test("getinfo gives the node's id, alias, color, network and block height", () =>
    withHarness(async (h, engine) => {
      const wallet = h.simnet.node('wallet').node;
      assert.deepEqual(await engine.getinfo(), {
        id: wallet.id,
        alias: 'wallet',
        color: wallet.color,
        network: 'regtest',
        blockheight: 1000,
      });
    }));
});
