/**
 * Lists that page, against Chromium's own IndexedDB: the compound indexes and key ranges
 * the journal pages through behave as fake-indexeddb's do (list-paging.test.ts has the rest).
 */
import { assert } from 'chai';
import { AmpkitError, createEngine, indexedDbStore, type PartialPayment } from '@ampkit/core';
import { idleNode } from './fake-node.ts';

const NODE = '02' + 'aa'.repeat(32);
const HOP = { id: '03' + '22'.repeat(32), channel: '103x1x0', amount_msat: 1000, delay: 18 };
const hex = (n: number) => n.toString(16).padStart(64, '0');

const node = idleNode(NODE);

function part(id: number, payment_hash: string): PartialPayment {
  return {
    id,
    partid: id,
    groupid: 1,
    payment_hash,
    destination: HOP.id,
    route: [HOP],
    amount_msat: 1000,
    amount_sent_msat: 1000,
    status: 'failed',
    created_at: 1,
    failreason: 'test',
  };
}

describe('lists that page, in Chromium IndexedDB', () => {
  it('pages of parts and payments cover each exactly once, in created order, with and without a filter', async () => {
    const store = indexedDbStore({ name: `ampkit-paging-${Date.now()}` });
    const journal = await store.open(NODE);
    const PAYMENTS = 40;
    for (let n = 0; n < PAYMENTS; n++) {
      const payment_hash = hex(n + 1);
      await journal.update(payment_hash, (v) => ({
        payment: {
          payment_hash,
          amount_msat: 5000,
          amount_sent_msat: 0,
          parts: 5,
          groupid: 1,
          status: n % 2 ? 'failed' : 'pending',
          created_at: 100 - n,
        },
        parts: Array.from({ length: 5 }, () => part(v.nextId(), payment_hash)),
        result: undefined,
      }));
    }
    journal.close();
    const engine = await createEngine({ node, store });
    try {
      const ids: number[] = [];
      for (let start: number | undefined = 0; start !== undefined;) {
        const page: { partialpayments: PartialPayment[]; next_start?: number } = await engine.listpartialpayments({ start, limit: 17 });
        ids.push(...page.partialpayments.map((p) => p.id));
        start = page.next_start;
      }
      assert.deepEqual(
        ids,
        Array.from({ length: PAYMENTS * 5 }, (_, i) => i + 1),
      );
      const mine = await engine.listpartialpayments({ payment_hash: hex(7), start: 33, limit: 2 });
      assert.deepEqual(
        mine.partialpayments.map((p) => p.id),
        [33, 34],
      );
      assert.equal(mine.next_start, 35);
      const failed: number[] = [];
      for (let start: number | undefined = 0; start !== undefined;) {
        const page: { payments: { created_index?: number }[]; next_start?: number } = await engine.listpayments({
          status: 'failed',
          start,
          limit: 6,
        });
        failed.push(...page.payments.map((p) => p.created_index!));
        start = page.next_start;
      }
      assert.deepEqual(
        failed,
        Array.from({ length: PAYMENTS / 2 }, (_, i) => 2 * i + 2),
      );
      let refused: unknown;
      await engine.listpayments({ limit: 0 }).catch((e) => (refused = e));
      assert.ok(refused instanceof AmpkitError && refused.code === 'INVALID_ARGUMENT');
    } finally {
      engine.close();
    }
  });
});
