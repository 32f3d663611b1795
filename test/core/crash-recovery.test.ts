/**
 * A closed tab mid-payment loses nothing: the engine is killed at each point of a three-part
 * payment, a new engine on the same journal reconciles with the node, and the payment ends
 * right with exactly one HTLC per part at the node.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  NEVER_SENT,
  SEND_LEASE_S,
  clnNode,
  createEngine,
  type Engine,
  type Journal,
  type Node,
  type SentPart,
  type Store,
} from '../../packages/core/src/index.ts';
import { engineHarness, type EngineHarness, type Invoice } from './engine-harness.ts';

let h: EngineHarness;
before(async () => {
  h = await engineHarness({ seed: 21 });
});
after(() => h.stop());

const never = new Promise<never>(() => {});

/**
 * A node and a store that die together: once `kill()` is called, every call of theirs, and
 * every answer still on its way, never comes back, as when a tab is closed.
 */
class Mortal {
  dead = false;
  kill(): void {
    this.dead = true;
  }
  /** Runs `call` unless dead; an answer that arrives after death is lost. */
  async guard<T>(call: () => Promise<T>): Promise<T> {
    if (this.dead) return never;
    try {
      const value = await call();
      return this.dead ? never : value;
    } catch (error) {
      if (this.dead) return never;
      throw error;
    }
  }
  node(inner: Node, hooks: { beforeSendpay?(partid: number): void; afterSendpay?(partid: number): void; holdWaits?: boolean }): Node {
    return {
      ...inner,
      id: inner.id,
      sendpay: (r) =>
        this.guard(async () => {
          hooks.beforeSendpay?.(r.partid);
          if (this.dead) return never;
          const part = await inner.sendpay(r);
          hooks.afterSendpay?.(r.partid);
          return part;
        }),
      waitsendpay: (r) => (hooks.holdWaits ? never : this.guard(() => inner.waitsendpay(r))),
      listsendpays: (r) => this.guard(() => inner.listsendpays(r)),
      connected: () => this.guard(() => inner.connected()),
    };
  }
  store(inner: Store, hooks: { beforeDurableWrite?(): void }): Store {
    return {
      open: async (nodeId) => {
        const journal = await inner.open(nodeId);
        const wrapped: Journal = {
          read: (hash) => this.guard(() => journal.read(hash)),
          update: (hash, change, options) =>
            this.guard(() => {
              if (options?.durable) hooks.beforeDurableWrite?.();
              return this.dead ? never : journal.update(hash, change, options);
            }),
          getPart: (id) => this.guard(() => journal.getPart(id)),
          listParts: (filter) => this.guard(() => journal.listParts(filter)),
          listPayments: (filter) => this.guard(() => journal.listPayments(filter)),
          getInvoice: (hash) => this.guard(() => journal.getInvoice(hash)),
          updateInvoice: (hash, change, options) => this.guard(() => journal.updateInvoice(hash, change, options)),
          listInvoices: (filter) => this.guard(() => journal.listInvoices(filter)),
          getCache: (key) => this.guard(() => journal.getCache(key)),
          putCache: (key, value) => this.guard(() => journal.putCache(key, value)),
          getHoldKey: () => this.guard(() => journal.getHoldKey()),
          addHoldKey: (key) => this.guard(() => journal.addHoldKey(key)),
          close: () => undefined,
        };
        return wrapped;
      },
    };
  }
}

const VIAS = ['alice', 'bob', 'carol'] as const;
const PART = 1_000_000;

function request(inv: Invoice, i: number) {
  return {
    route: h.route(VIAS[i]!, PART),
    payment_hash: inv.payment_hash,
    intended_amount_msat: inv.amount_msat,
    payment_secret: inv.payment_secret,
  };
}

/** Sends the three parts on a doomed engine, stopping at the first that never returns. */
async function sendUntilDeath(engine: Engine, inv: Invoice, mortal: Mortal): Promise<void> {
  for (let i = 0; i < 3 && !mortal.dead; i++) {
    await Promise.race([engine.sendpartialpay(request(inv, i)), new Promise((resolve) => setTimeout(resolve, 2000))]);
  }
}

/** Runs the payment on an engine that dies where the hooks say, and checks that it died. */
async function dieDuring(
  inv: Invoice,
  mortal: Mortal,
  nodeHooks: Parameters<Mortal['node']>[1],
  storeHooks: Parameters<Mortal['store']>[1] = {},
): Promise<Engine> {
  const victim = await createEngine({ node: mortal.node(clnNode(h.wallet), nodeHooks), store: mortal.store(h.store, storeHooks) });
  await sendUntilDeath(victim, inv, mortal);
  return victim;
}

/** A new engine on the same journal (its clock `ahead` seconds ahead), after reconciliation. */
async function reopen(ahead = 0): Promise<Engine> {
  const engine = await h.engine(undefined, ahead ? { now: () => Math.floor(Date.now() / 1000) + ahead } : {});
  await engine.ready();
  return engine;
}

async function atNode(hash: string): Promise<Array<{ groupid: number; partid: number; status: string }>> {
  return (await h.wallet.request('listsendpays', { payment_hash: hash })).payments;
}

async function assertPaidOnce(engine: Engine, inv: Invoice, expectedPartids: number[]): Promise<void> {
  const payment = await engine.waitsendpay({ payment_hash: inv.payment_hash, timeout: 10 });
  assert.equal(payment.status, 'complete');
  assert.match(payment.payment_preimage!, /^[0-9a-f]{64}$/);
  const nodeParts = await atNode(inv.payment_hash);
  const keys = nodeParts.map((p) => `${p.groupid}/${p.partid}`);
  assert.equal(new Set(keys).size, keys.length, 'no part reached the node twice');
  assert.deepEqual(nodeParts.map((p) => p.partid).sort(), expectedPartids);
  assert.ok(nodeParts.every((p) => p.status === 'complete'));
  const { invoices } = await h.shop.request('listinvoices', { payment_hash: inv.payment_hash });
  assert.equal(invoices[0].status, 'paid');
  assert.equal(invoices[0].amount_received_msat, inv.amount_msat, 'the shop got exactly the amount');
  // The journal agrees with the node about every part that reached it.
  const { partialpayments } = await engine.listpartialpayments({ payment_hash: inv.payment_hash });
  for (const p of nodeParts) {
    const mine = partialpayments.find((x) => x.partid === p.partid && x.groupid === p.groupid);
    assert.ok(mine, `part ${p.partid} is in the journal`);
    await engine.waitpartialpay({ id: mine.id, timeout: 10 });
  }
  const settled = (await engine.listpartialpayments({ payment_hash: inv.payment_hash })).partialpayments;
  for (const p of settled) if (p.status === 'complete') assert.equal(p.payment_preimage, payment.payment_preimage);
}

describe('crash recovery: a three-part payment killed at each point', () => {
  test('before the journal write of part 3: parts 1 and 2 are watched again; part 3 is sent by the new engine', async () => {
    const inv = await h.invoice(3 * PART);
    const mortal = new Mortal();
    let durableWrites = 0;
    await dieDuring(inv, mortal, {}, { beforeDurableWrite: () => ++durableWrites === 3 && mortal.kill() });
    assert.ok(mortal.dead);
    assert.deepEqual((await atNode(inv.payment_hash)).map((p) => p.partid).sort(), [1, 2]);

    const engine = await reopen();
    const parts = (await engine.listpartialpayments({ payment_hash: inv.payment_hash })).partialpayments;
    assert.deepEqual(
      parts.map((p) => p.partid),
      [1, 2],
    );
    const sent = await engine.sendpartialpay(request(inv, 2));
    assert.equal((sent as SentPart).partid, 3);
    await assertPaidOnce(engine, inv, [1, 2, 3]);
  });

  test("between the journal and sendpay: once the closed tab's lease on it has run out, part 3 fails as never sent, and a new part 4 completes the set", async () => {
    const inv = await h.invoice(3 * PART);
    const mortal = new Mortal();
    await dieDuring(inv, mortal, { beforeSendpay: (partid) => partid === 3 && mortal.kill() });
    assert.ok(mortal.dead);

    const engine = await reopen(SEND_LEASE_S + 1);
    const parts = (await engine.listpartialpayments({ payment_hash: inv.payment_hash })).partialpayments;
    assert.deepEqual(
      parts.map((p) => [p.partid, p.status === 'failed' ? p.failreason : 'in flight']),
      [
        [1, 'in flight'],
        [2, 'in flight'],
        [3, NEVER_SENT],
      ],
    );
    const payment = (await engine.listpayments({ payment_hash: inv.payment_hash })).payments[0]!;
    assert.equal(payment.status, 'pending');
    const sent = await engine.sendpartialpay(request(inv, 2));
    assert.equal((sent as SentPart).partid, 4);
    await assertPaidOnce(engine, inv, [1, 2, 4]);
  });

  test('after sendpay, before its answer: the new engine finds part 3 at the node and never sends it again', async () => {
    const inv = await h.invoice(3 * PART);
    const mortal = new Mortal();
    await dieDuring(inv, mortal, { afterSendpay: (partid) => partid === 3 && mortal.kill() });
    assert.ok(mortal.dead);

    const engine = await reopen();
    await assertPaidOnce(engine, inv, [1, 2, 3]);
    const again = await engine.sendpartialpay(request(inv, 2));
    assert.equal(again.already_complete, true);
    assert.deepEqual((await atNode(inv.payment_hash)).map((p) => p.partid).sort(), [1, 2, 3]);
  });

  test("after fulfilment, before the engine heard of it: the new engine takes the node's preimage", async () => {
    const inv = await h.invoice(3 * PART);
    const mortal = new Mortal();
    const victim = await dieDuring(inv, mortal, { holdWaits: true });
    for (let i = 0; i < 100 && !(await atNode(inv.payment_hash)).every((p) => p.status === 'complete'); i++)
      await new Promise((r) => setTimeout(r, 20));
    const { partialpayments: before } = await victim.listpartialpayments({ payment_hash: inv.payment_hash });
    assert.ok(
      before.every((p) => p.status === 'pending'),
      'the doomed engine never saw the fulfilment',
    );
    mortal.kill();

    const engine = await reopen();
    const { partialpayments } = await engine.listpartialpayments({ payment_hash: inv.payment_hash });
    assert.deepEqual(
      partialpayments.map((p) => p.status),
      ['complete', 'complete', 'complete'],
    );
    await assertPaidOnce(engine, inv, [1, 2, 3]);
  });
});
