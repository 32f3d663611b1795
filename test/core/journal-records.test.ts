/**
 * The journal trusts nothing it reads (docs/design.md, "Journal"): a malformed record is
 * kept aside — never returned, never overwritten, reported once as a `STORAGE` error — and
 * never holds up other payments; a part id counter behind the stored parts, or not a number
 * at all, never makes a new part take an old one's key.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { IDBFactory } from 'fake-indexeddb';
import {
  AmpkitError,
  createEngine,
  indexedDbStore,
  memoryStore,
  type Node,
  type NodePart,
  type StorageProblem,
} from '../../packages/core/src/index.ts';
import { noReceiving } from './fake-node.ts';
import { OURS, daveInvoice, PAYMENT_HASH, path, scriptedNode } from './scripted-node.ts';
import { HOP, NODE, invoice, pair, part, payment, rawGet, rawPut } from './raw-journal.ts';

const isStorage = (reason?: string) => (e: unknown) =>
  e instanceof AmpkitError && e.code === 'STORAGE' && (reason === undefined || (e.data as { reason?: string }).reason === reason);

/** Unhandled rejections while a test runs (node would end the run on one; here it is named). */
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
before(() => process.on('unhandledRejection', onUnhandled));
after(() => process.off('unhandledRejection', onUnhandled));
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(unhandled.splice(0), [], 'no unhandled rejection');
});

/** A sending node that keeps every part in flight and knows of none it was not sent. */
function quietNode(): Node & { sent: string[] } {
  const sent: string[] = [];
  return {
    ...noReceiving,
    id: NODE,
    sent,
    async sendpay(r): Promise<NodePart> {
      sent.push(r.payment_hash);
      return {
        payment_hash: r.payment_hash,
        groupid: r.groupid,
        partid: r.partid,
        status: 'pending',
        amount_msat: 1000,
        amount_sent_msat: 1000,
      };
    },
    waitsendpay: () => new Promise(() => {}),
    listsendpays: async () => [],
    connected: async () => {},
  };
}

const A = pair(1);
const B = pair(2);
const C = pair(3);
const D = pair(4);

/** A journal with good and bad records side by side. */
async function mixed(idb: IDBFactory): Promise<void> {
  const store = indexedDbStore({ indexedDB: idb });
  const journal = await store.open(NODE);
  journal.close();
  await rawPut(idb, 'parts', part(1, A.payment_hash));
  await rawPut(idb, 'parts', part(2, B.payment_hash, 'complete', B.preimage));
  // A preimage that is not the proof of its hash, and a status no part has.
  await rawPut(idb, 'parts', part(3, C.payment_hash, 'complete', A.preimage));
  await rawPut(idb, 'parts', { ...part(4, A.payment_hash), status: 'done' });
  await rawPut(idb, 'payments', payment(A.payment_hash));
  await rawPut(idb, 'payments', payment(B.payment_hash, 'complete', B.preimage));
  await rawPut(idb, 'payments', { ...payment(D.payment_hash), amount_msat: -1 });
  await rawPut(idb, 'invoices', invoice(A.payment_hash, 'good'));
  await rawPut(idb, 'invoices', { ...invoice(C.payment_hash, 'bad'), held: [{ junk: true }] });
}

describe('journal records are checked when read', () => {
  test('the lists and lookups give the good records and never a malformed one', async () => {
    const idb = new IDBFactory();
    await mixed(idb);
    const problems: StorageProblem[] = [];
    const journal = await indexedDbStore({ indexedDB: idb }).open(NODE, { onProblem: (p) => problems.push(p) });
    assert.deepEqual(
      (await journal.listParts()).map((p) => p.id),
      [1, 2],
    );
    assert.deepEqual(
      (await journal.listParts({ status: 'complete' })).map((p) => p.id),
      [2],
    );
    assert.deepEqual(
      (await journal.listParts({ status: 'pending' })).map((p) => p.id),
      [1],
    );
    assert.deepEqual(await journal.listParts({ payment_hash: C.payment_hash }), []);
    assert.equal(await journal.getPart(3), undefined);
    assert.equal((await journal.getPart(2))!.payment_preimage, B.preimage);
    assert.deepEqual((await journal.listPayments()).map((p) => p.payment_hash).sort(), [A.payment_hash, B.payment_hash].sort());
    assert.deepEqual(await journal.listPayments({ payment_hash: D.payment_hash }), []);
    assert.deepEqual(
      (await journal.listInvoices()).map((i) => i.label),
      ['good'],
    );
    assert.equal(await journal.getInvoice(C.payment_hash), undefined);
    // Each malformed record reported once, however often it was met.
    assert.ok(problems.every((p) => !p.fatal && isStorage('record')(p.error)));
    assert.deepEqual(problems.map((p) => (p.error.data as { key: unknown }).key).sort(), [3, 4, C.payment_hash, D.payment_hash].sort());
    journal.close();
  });

  test('a payment with a malformed part is neither read nor changed: the bad record stays as it was', async () => {
    const idb = new IDBFactory();
    await mixed(idb);
    const journal = await indexedDbStore({ indexedDB: idb }).open(NODE);
    const before = await rawGet(idb, 'parts', 4);
    await assert.rejects(journal.read(A.payment_hash), isStorage('record'));
    let called = false;
    await assert.rejects(
      journal.update(A.payment_hash, (v) => {
        called = true;
        return { parts: [{ ...part(4, A.payment_hash), status: 'failed' }], result: v.nextId() };
      }),
      isStorage('record'),
    );
    assert.equal(called, false, 'the change never saw a view with a part left out');
    await assert.rejects(
      journal.updateInvoice(C.payment_hash, () => ({ invoice: invoice(C.payment_hash, 'bad'), result: undefined })),
      isStorage('record'),
    );
    assert.deepEqual(await rawGet(idb, 'parts', 4), before);
    assert.deepEqual(((await rawGet(idb, 'invoices', C.payment_hash)) as { held: unknown }).held, [{ junk: true }]);
    journal.close();
  });

  test('a malformed record is one STORAGE error event of the engine, once', async () => {
    const idb = new IDBFactory();
    await mixed(idb);
    const engine = await createEngine({ node: quietNode(), store: indexedDbStore({ indexedDB: idb }) });
    const errors: AmpkitError[] = [];
    engine.on('error', (e) => errors.push(e));
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(
        (await engine.listpartialpayments()).partialpayments.map((p) => p.id),
        [1, 2],
      );
      await engine.listpayments();
      await engine.listinvoices();
    }
    await new Promise((r) => setTimeout(r, 20));
    const keys = errors
      .filter(isStorage('record'))
      .map((e) => (e.data as { store: string; key: unknown }).store + '/' + String((e.data as { key: unknown }).key));
    assert.deepEqual(keys.sort(), ['invoices/' + C.payment_hash, 'parts/3', 'parts/4', 'payments/' + D.payment_hash].sort());
    engine.close();
  });

  test('a malformed pending part does not hold up start-up nor pay() of another hash', async () => {
    const idb = new IDBFactory();
    await indexedDbStore({ indexedDB: idb })
      .open(OURS)
      .then((j) => j.close());
    // A pending part whose hash no node would take: today's start-up asked the node about it for ever.
    await rawPut(idb, 'parts', { ...part(1, 'not-a-hash'), payment_hash: 'not-a-hash' }, undefined, OURS);
    // A good pending part of a payment whose record is malformed: kept aside too.
    await rawPut(idb, 'parts', part(2, C.payment_hash), undefined, OURS);
    await rawPut(idb, 'payments', { ...payment(C.payment_hash), status: 'paid' }, undefined, OURS);
    const node = scriptedNode({ plan: (r) => [path('bob', r.amount_msat)], outcome: () => 'complete' });
    const asked: string[] = [];
    const listsendpays = node.listsendpays;
    node.listsendpays = async (r) => {
      asked.push(r.payment_hash);
      // Core Lightning refuses a malformed hash (-32602), as it would every time.
      if (!/^[0-9a-f]{64}$/.test(r.payment_hash))
        throw new AmpkitError('NODE_ERROR', 'listsendpays: payment_hash: should be a 32 byte hex value', { nodeCode: -32602 });
      return listsendpays(r);
    };
    const engine = await createEngine({ node, store: indexedDbStore({ indexedDB: idb }) });
    try {
      const result = await withDeadline(
        engine.pay({ bolt11: daveInvoice(100_000), planner: 'node' }),
        5000,
        'pay() waited on the malformed records',
      );
      assert.equal(result.status, 'complete');
      await withDeadline(engine.ready(), 1000, 'start-up never finished');
      assert.ok(
        !asked.includes('not-a-hash') && !asked.includes(C.payment_hash),
        `the node was asked only about good payments: ${asked.join(', ')}`,
      );
      assert.deepEqual(await rawGet(idb, 'payments', C.payment_hash, OURS), { ...payment(C.payment_hash), status: 'paid' });
      assert.equal(((await rawGet(idb, 'parts', 2, OURS)) as { status: string }).status, 'pending');
      assert.ok(PAYMENT_HASH !== C.payment_hash);
    } finally {
      engine.close();
    }
  });
});

describe('part ids', () => {
  test('a counter behind the stored parts: the next part gets a new id, the old part survives', async () => {
    const idb = new IDBFactory();
    const journal = await indexedDbStore({ indexedDB: idb }).open(NODE);
    for (let i = 0; i < 3; i++)
      await journal.update(A.payment_hash, (v) => ({ parts: [part(v.nextId(), A.payment_hash)], result: undefined }));
    // A backup restored, another writer: the counter says 1 while parts 2 and 3 exist.
    await rawPut(idb, 'meta', 1, 'lastId');
    const id = await journal.update(B.payment_hash, (v) => {
      const p = part(v.nextId(), B.payment_hash);
      return { parts: [p], result: p.id };
    });
    assert.equal(id, 4);
    assert.equal(((await rawGet(idb, 'parts', 2)) as { payment_hash: string }).payment_hash, A.payment_hash);
    assert.deepEqual(
      (await journal.listParts()).map((p) => [p.id, p.payment_hash === A.payment_hash ? 'A' : 'B']),
      [
        [1, 'A'],
        [2, 'A'],
        [3, 'A'],
        [4, 'B'],
      ],
    );
    journal.close();
  });

  for (const [label, counter] of [
    ['"7"', '7'],
    ['-1', -1],
    ['1.5', 1.5],
    ['NaN', Number.NaN],
    ['an object', { n: 3 }],
    ['null', null],
    ['2^60', 2 ** 60],
  ] as const) {
    test(`a counter that is not a whole number (${label}) counts as none, is reported, and rejects nothing unhandled`, async () => {
      const idb = new IDBFactory();
      const problems: StorageProblem[] = [];
      const journal = await indexedDbStore({ indexedDB: idb }).open(NODE, { onProblem: (p) => problems.push(p) });
      await journal.update(A.payment_hash, (v) => ({
        payment: payment(A.payment_hash),
        parts: [part(v.nextId(), A.payment_hash)],
        result: undefined,
      }));
      await rawPut(idb, 'meta', counter, 'lastId');
      // The payment is written first: a part that then failed to write left its write unheard.
      const id = await journal.update(B.payment_hash, (v) => {
        const p = part(v.nextId(), B.payment_hash);
        return { payment: payment(B.payment_hash), parts: [p], result: p.id };
      });
      assert.equal(id, 2);
      assert.equal(await rawGet(idb, 'meta', 'lastId'), 2, 'replaced by a good counter');
      assert.deepEqual(
        problems.map((p) => (p.error.data as { store: string }).store),
        ['meta'],
      );
      assert.equal((await journal.getPart(1))!.payment_hash, A.payment_hash);
      journal.close();
    });
  }

  test('the memory journal counts past its stored parts too, and never overwrites one', async () => {
    const journal = await memoryStore().open(NODE);
    await journal.update(A.payment_hash, (v) => ({ parts: [part(v.nextId(), A.payment_hash)], result: undefined }));
    await assert.rejects(
      journal.update(B.payment_hash, () => ({ parts: [part(1, B.payment_hash)], result: undefined })),
      isStorage('record'),
    );
    assert.equal((await journal.getPart(1))!.payment_hash, A.payment_hash);
  });

  test('a record that would be malformed is never written (a rule bug fails loudly, writes nothing)', async () => {
    for (const store of [indexedDbStore({ indexedDB: new IDBFactory() }), memoryStore()]) {
      const journal = await store.open(NODE);
      await assert.rejects(
        journal.update(A.payment_hash, (v) => ({
          parts: [{ ...part(v.nextId(), A.payment_hash), route: [{ ...HOP, amount_msat: -5 }] }],
          result: undefined,
        })),
        isStorage('record'),
      );
      await assert.rejects(
        journal.update(A.payment_hash, () => ({ payment: { ...payment(A.payment_hash), status: 'complete' }, result: undefined })),
        isStorage('record'),
      );
      assert.deepEqual(await journal.listParts(), []);
      assert.deepEqual(await journal.listPayments(), []);
      journal.close();
    }
  });
});

async function withDeadline<T>(promise: Promise<T>, ms: number, why: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(why)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
