/**
 * Lists that page (Core Lightning's `start` and `limit` over the created index): rows come
 * oldest first, pages cover every row exactly once, filters page through their own indexes,
 * a malformed record inside a page is skipped (reported once) and the page still holds
 * `limit` good rows, a bad `start` or `limit` is INVALID_ARGUMENT — in memory and in
 * IndexedDB alike. And a version 3 database keeps its records when it gains the index.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IDBFactory } from 'fake-indexeddb';
import { AmpkitError, createEngine, indexedDbStore, memoryStore, type Engine, type Store } from '../../packages/core/src/index.ts';
import { idleNode } from './fake-node.ts';
import { NODE, invoice, oldSchema, pair, part, payment, rawOpen, rawPut } from './raw-journal.ts';

/** A node with nothing in flight: the engine has nothing to reconcile. */
const node = idleNode(NODE);

const PAYMENTS = 12;
const PARTS_EACH = 3;
const INVOICES = 9;

/** Payment n (0-based): complete every third one, else failed; its parts likewise. */
const hashOf = (n: number) => pair(10 + n);

/**
 * Fills a journal through its own updates: PAYMENTS payments of PARTS_EACH parts (ids 1…),
 * and INVOICES invoices, the odd ones holding a part. The journal numbers them itself.
 */
async function fill(store: Store): Promise<void> {
  const journal = await store.open(NODE);
  for (let n = 0; n < PAYMENTS; n++) {
    const { payment_hash, preimage } = hashOf(n);
    const status = n % 3 === 0 ? 'complete' : 'failed';
    await journal.update(payment_hash, (v) => ({
      payment: { ...payment(payment_hash, status, preimage), created_at: 1000 - n },
      parts: Array.from({ length: PARTS_EACH }, () => part(v.nextId(), payment_hash, status, preimage)),
      result: undefined,
    }));
  }
  for (let n = 0; n < INVOICES; n++) {
    const { payment_hash } = pair(100 + n);
    const { created_index: _, ...fresh } = invoice(payment_hash, `inv-${n}`);
    const held =
      n % 2 === 1
        ? [
            {
              payment_hash,
              total_amount_msat: 42,
              incoming_scid: '1x2x3',
              htlc_id: n,
              partial_amount_msat: 20,
              incoming_time_unix: 1,
              expiry: 120,
              state: 'RCVD_ADD_ACK_REVOCATION',
            },
          ]
        : [];
    await journal.updateInvoice(payment_hash, () => ({
      invoice: { ...fresh, expires_at: 4_000_000_000, held, amount_held_msat: held.length * 20, parts: held.length },
      result: undefined,
    }));
  }
  journal.close();
}

/**
 * Every row of a list, a page of `limit` at a time, following `next_start`; and the pages'
 * lengths. `rowsCount`: the limit counts rows (listpartialinvoices' counts invoices).
 */
async function all<T>(
  list: (page: { start: number; limit: number }) => Promise<{ rows: T[]; next_start?: number }>,
  limit: number,
  rowsCount = true,
): Promise<{ rows: T[]; pages: number[] }> {
  const rows: T[] = [];
  const pages: number[] = [];
  let start: number | undefined = 0;
  while (start !== undefined) {
    const page: { rows: T[]; next_start?: number } = await list({ start, limit });
    if (rowsCount) assert.ok(page.rows.length <= limit);
    if (rowsCount && page.next_start !== undefined) assert.equal(page.rows.length, limit, 'next_start only after a full page');
    rows.push(...page.rows);
    pages.push(page.rows.length);
    start = page.next_start;
    assert.ok(pages.length < 1000, 'paging ends');
  }
  return { rows, pages };
}

const invalid = (e: unknown) => e instanceof AmpkitError && e.code === 'INVALID_ARGUMENT';

for (const [kind, make] of [
  ['memory', () => memoryStore()],
  ['IndexedDB', () => indexedDbStore({ indexedDB: new IDBFactory() })],
] as const) {
  describe(`lists that page, ${kind} journal`, () => {
    async function engineOn(): Promise<Engine> {
      const store = make();
      await fill(store);
      return createEngine({ node, store });
    }

    test('listpartialpayments: pages in id order cover every part exactly once; a payment hash pages through its parts', async () => {
      const engine = await engineOn();
      try {
        const every = (await engine.listpartialpayments()).partialpayments.map((p) => p.id);
        assert.deepEqual(
          every,
          Array.from({ length: PAYMENTS * PARTS_EACH }, (_, i) => i + 1),
        );
        for (const limit of [1, 5, 36, 100]) {
          const { rows, pages } = await all(async (page) => {
            const r = await engine.listpartialpayments(page);
            return { rows: r.partialpayments.map((p) => p.id), next_start: r.next_start };
          }, limit);
          assert.deepEqual(rows, every, `limit ${limit}`);
          assert.ok(pages.slice(0, -1).every((n) => n === limit));
        }
        const first = await engine.listpartialpayments({ limit: 4 });
        assert.deepEqual(
          first.partialpayments.map((p) => p.id),
          [1, 2, 3, 4],
        );
        assert.equal(first.next_start, 5);
        assert.deepEqual(
          (await engine.listpartialpayments({ start: 11, limit: 3 })).partialpayments.map((p) => p.id),
          [11, 12, 13],
        );
        const hash = hashOf(4).payment_hash;
        const { rows } = await all(async (page) => {
          const r = await engine.listpartialpayments({ payment_hash: hash, ...page });
          return { rows: r.partialpayments, next_start: r.next_start };
        }, 2);
        assert.deepEqual(
          rows.map((p) => p.id),
          [13, 14, 15],
        );
        assert.ok(rows.every((p) => p.payment_hash === hash));
        assert.deepEqual((await engine.listpartialpayments({ start: 1000, limit: 5 })).partialpayments, []);
        assert.equal((await engine.listpartialpayments({ start: 1000, limit: 5 })).next_start, undefined);
        assert.deepEqual((await engine.listpartialpayments({ id: 7, start: 8 })).partialpayments, []);
      } finally {
        engine.close();
      }
    });

    test('listpayments: in the order they were journaled (created_index 1…), with and without a status, every one once', async () => {
      const engine = await engineOn();
      try {
        const every = (await engine.listpayments()).payments;
        assert.deepEqual(
          every.map((p) => p.payment_hash),
          Array.from({ length: PAYMENTS }, (_, n) => hashOf(n).payment_hash),
          'by creation in the journal, not by created_at',
        );
        assert.deepEqual(
          every.map((p) => p.created_index),
          Array.from({ length: PAYMENTS }, (_, n) => n + 1),
        );
        for (const status of [undefined, 'complete', 'failed'] as const) {
          const want = every.filter((p) => status === undefined || p.status === status).map((p) => p.payment_hash);
          for (const limit of [1, 3, 50]) {
            const { rows } = await all(async (page) => {
              const r = await engine.listpayments({ ...(status ? { status } : {}), ...page });
              return { rows: r.payments.map((p) => p.payment_hash), next_start: r.next_start };
            }, limit);
            assert.deepEqual(rows, want, `status ${status}, limit ${limit}`);
          }
        }
        const page = await engine.listpayments({ status: 'failed', start: 4, limit: 2 });
        assert.deepEqual(
          page.payments.map((p) => p.created_index),
          [5, 6],
        );
        assert.equal(page.next_start, 7);
        // A hash names one payment: paging leaves it in or out by its index.
        assert.equal((await engine.listpayments({ payment_hash: hashOf(2).payment_hash, start: 3 })).payments.length, 1);
        assert.equal((await engine.listpayments({ payment_hash: hashOf(2).payment_hash, start: 4 })).payments.length, 0);
      } finally {
        engine.close();
      }
    });

    test('listinvoices and listpartialinvoices: oldest first, pages by invoice, every one once', async () => {
      const engine = await engineOn();
      try {
        const labels = Array.from({ length: INVOICES }, (_, n) => `inv-${n}`);
        assert.deepEqual(
          (await engine.listinvoices()).invoices.map((i) => i.label),
          labels,
        );
        for (const limit of [1, 4, 9, 10]) {
          const { rows } = await all(async (page) => {
            const r = await engine.listinvoices(page);
            return { rows: r.invoices.map((i) => i.label), next_start: r.next_start };
          }, limit);
          assert.deepEqual(rows, labels, `limit ${limit}`);
        }
        assert.deepEqual(
          (await engine.listinvoices({ start: 3, limit: 2 })).invoices.map((i) => i.label),
          ['inv-2', 'inv-3'],
        );
        assert.deepEqual((await engine.listinvoices({ label: 'inv-2', start: 4 })).invoices, []);
        const held = (await engine.listpartialinvoices()).partialinvoices.map((p) => p.htlc_id);
        assert.deepEqual(held, [1, 3, 5, 7]);
        const first = await engine.listpartialinvoices({ limit: 4 });
        assert.deepEqual(
          first.partialinvoices.map((p) => p.htlc_id),
          [1, 3],
          'the parts of the first four invoices',
        );
        assert.equal(first.next_start, 5);
        const { rows } = await all(
          async (page) => {
            const r = await engine.listpartialinvoices({ ...page });
            return { rows: r.partialinvoices.map((p) => p.htlc_id), next_start: r.next_start };
          },
          3,
          false,
        );
        assert.deepEqual(rows, held);
      } finally {
        engine.close();
      }
    });

    test('a start or limit that is not a whole number in range is INVALID_ARGUMENT, for every list', async () => {
      const engine = await engineOn();
      try {
        const calls = [
          (a: object) => engine.listpartialpayments(a),
          (a: object) => engine.listpayments(a),
          (a: object) => engine.listinvoices(a),
          (a: object) => engine.listpartialinvoices(a),
        ];
        const bad = [
          { limit: 0 },
          { limit: -1 },
          { limit: 1.5 },
          { limit: '3' },
          { limit: NaN },
          { limit: Infinity },
          { limit: 2 ** 53 },
          { start: -1 },
          { start: 0.5 },
          { start: '0' },
          { start: null },
        ];
        for (const call of calls) {
          for (const args of bad) await assert.rejects(call(args), invalid, JSON.stringify(args));
          await assert.rejects(call(null as never), invalid);
        }
      } finally {
        engine.close();
      }
    });
  });
}

describe('lists that page over malformed records (IndexedDB)', () => {
  test('a malformed record inside a page is left out and reported once; the page still holds limit good records', async () => {
    const idb = new IDBFactory();
    const store = indexedDbStore({ indexedDB: idb });
    await fill(store);
    // Part 5 gets a status no part has; payment 3 an amount below zero; invoice 2 a junk part.
    await rawPut(idb, 'parts', { ...part(5, hashOf(1).payment_hash, 'failed'), status: 'done' });
    await rawPut(idb, 'payments', { ...payment(hashOf(2).payment_hash, 'failed'), created_index: 3, amount_msat: -1 });
    const { payment_hash } = pair(101);
    await rawPut(idb, 'invoices', { ...invoice(payment_hash, 'inv-1'), created_index: 2, held: [{ junk: true }] });
    const engine = await createEngine({ node, store });
    const errors: AmpkitError[] = [];
    engine.on('error', (e) => errors.push(e));
    try {
      for (let i = 0; i < 2; i++) {
        const parts = await engine.listpartialpayments({ start: 3, limit: 4 });
        assert.deepEqual(
          parts.partialpayments.map((p) => p.id),
          [3, 4, 6, 7],
        );
        assert.equal(parts.next_start, 8);
        const payments = await engine.listpayments({ start: 2, limit: 3 });
        assert.deepEqual(
          payments.payments.map((p) => p.created_index),
          [2, 4, 5],
        );
        const invoices = await engine.listinvoices({ limit: 3 });
        assert.deepEqual(
          invoices.invoices.map((p) => p.label),
          ['inv-0', 'inv-2', 'inv-3'],
        );
        assert.equal(invoices.next_start, 5);
      }
      const { rows } = await all(async (page) => {
        const r = await engine.listpartialpayments(page);
        return { rows: r.partialpayments.map((p) => p.id), next_start: r.next_start };
      }, 2);
      assert.deepEqual(
        rows,
        Array.from({ length: PAYMENTS * PARTS_EACH }, (_, i) => i + 1).filter((id) => id !== 5),
      );
      await new Promise((r) => setTimeout(r, 20));
      const keys = errors
        .filter((e) => e.code === 'STORAGE')
        .map((e) => `${(e.data as { store: string }).store}/${String((e.data as { key: unknown }).key)}`);
      assert.deepEqual(keys.sort(), ['invoices/' + payment_hash, 'parts/5', 'payments/' + hashOf(2).payment_hash].sort());
    } finally {
      engine.close();
    }
  });
});

describe('a version 3 journal gains the created index', () => {
  test('its payments and invoices are numbered in the order they were made, kept otherwise; a malformed one is left as it was', async () => {
    const idb = new IDBFactory();
    // The schema as version 3 made it, and records as version 3 wrote them (no created_index).
    const old = await rawOpen(idb, {
      version: 3,
      upgrade: (db) => oldSchema(db, { cache: true }),
    });
    old.close();
    const v3 = <T extends object>(record: T): Omit<T, 'created_index'> => {
      const { created_index: _, ...rest } = record as T & { created_index?: number };
      return rest;
    };
    // Made at 30, 10, 20: numbered 3, 1, 2.
    for (const [n, at] of [
      [0, 30],
      [1, 10],
      [2, 20],
    ] as const) {
      await rawPut(idb, 'payments', { ...v3(payment(hashOf(n).payment_hash, 'failed')), created_at: at });
      await rawPut(idb, 'parts', part(n + 1, hashOf(n).payment_hash, 'failed'));
      await rawPut(idb, 'invoices', { ...v3(invoice(pair(100 + n).payment_hash, `old-${n}`)), created_at: at });
    }
    const broken = { ...v3(payment(hashOf(3).payment_hash, 'failed')), amount_msat: 'lots' };
    await rawPut(idb, 'payments', broken);

    const store = indexedDbStore({ indexedDB: idb });
    const journal = await store.open(NODE);
    try {
      const payments = await journal.listPayments();
      assert.deepEqual(
        payments.map((p) => [p.payment_hash, p.created_index, p.created_at]),
        [
          [hashOf(1).payment_hash, 1, 10],
          [hashOf(2).payment_hash, 2, 20],
          [hashOf(0).payment_hash, 3, 30],
        ],
      );
      assert.deepEqual(
        (await journal.listInvoices({ limit: 2 })).map((i) => [i.label, i.created_index]),
        [
          ['old-1', 1],
          ['old-2', 2],
        ],
      );
      assert.deepEqual(
        (await journal.listParts({ payment_hash: hashOf(2).payment_hash, start: 1, limit: 5 })).map((p) => p.id),
        [3],
      );
      // The malformed payment is untouched, and refused by its hash as before.
      const raw = await new Promise((resolve) => {
        rawOpen(idb).then((db) => {
          const r = db.transaction('payments').objectStore('payments').get(hashOf(3).payment_hash);
          r.onsuccess = () => (db.close(), resolve(r.result));
        });
      });
      assert.deepEqual(raw, broken);
      // A payment made now comes after them.
      const fresh = hashOf(5).payment_hash;
      await journal.update(fresh, () => ({ payment: payment(fresh), result: undefined }));
      assert.equal((await journal.listPayments({ start: 4 }))[0]!.payment_hash, fresh);
      assert.equal((await journal.listPayments({ start: 4 }))[0]!.created_index, 4);
    } finally {
      journal.close();
    }
  });
});
