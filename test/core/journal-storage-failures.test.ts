/**
 * The journal's database failing (docs/design.md, "Journal"): another tab opening it at a
 * newer version or deleting it, a database a newer version wrote, an upgrade another tab
 * blocks, a full disk. Each is one typed `STORAGE` error: the engine stops cleanly (waits
 * and running `pay()`s end with it, no loop of errors), nothing committed is lost, and a
 * part the journal could not write is never sent nor called refused by the node.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { IDBFactory } from 'fake-indexeddb';
import { AmpkitError, createEngine, indexedDbStore, type Engine, type PartialPayment } from '../../packages/core/src/index.ts';
import { OURS, PAYMENT_HASH, daveInvoice, path, scriptedNode, type ScriptedNode } from './scripted-node.ts';
import { oldSchema, rawOpen } from './raw-journal.ts';

const isStorage = (reason: string) => (e: unknown) => {
  assert.ok(e instanceof AmpkitError, `an AmpkitError, not ${String(e)}`);
  assert.equal(e.code, 'STORAGE', e.message);
  assert.equal((e.data as { reason?: string }).reason, reason, e.message);
  return true;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DB = `ampkit:${OURS}`;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
before(() => process.on('unhandledRejection', onUnhandled));
after(() => process.off('unhandledRejection', onUnhandled));
afterEach(async () => {
  await sleep(20);
  assert.deepEqual(unhandled.splice(0), [], 'no unhandled rejection');
});

async function within<T>(promise: Promise<T>, ms: number, why: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(why)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function eventually(what: string, check: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(5)) if (await check()) return;
  assert.fail(`never: ${what}`);
}

/** An engine on a fresh database whose node keeps every part in flight until released. */
async function holding(): Promise<{ idb: IDBFactory; node: ScriptedNode; engine: Engine; errors: AmpkitError[] }> {
  const idb = new IDBFactory();
  const node = scriptedNode({ plan: (r) => [path('bob', r.amount_msat)], outcome: () => 'hold' });
  const engine = await createEngine({ node, store: indexedDbStore({ indexedDB: idb }) });
  const errors: AmpkitError[] = [];
  engine.on('error', (e) => errors.push(e));
  return { idb, node, engine, errors };
}

/** The parts of the journal as stored (the database may be at any version by then). */
async function storedParts(idb: IDBFactory): Promise<PartialPayment[]> {
  const db = await rawOpen(idb, { name: DB });
  try {
    return await new Promise((resolve, reject) => {
      const r = db.transaction('parts', 'readonly').objectStore('parts').getAll();
      r.onsuccess = () => resolve(r.result as PartialPayment[]);
      r.onerror = () => reject(r.error);
    });
  } finally {
    db.close();
  }
}

describe('another tab changes the database', () => {
  test('opened at a newer version: STORAGE once, the engine stops, pay() ends with it, the committed part stays', async () => {
    const { idb, node, engine, errors } = await holding();
    const paying = assert.rejects(engine.pay({ bolt11: daveInvoice(100_000), planner: 'node' }), isStorage('versionchange'));
    await eventually('a part in flight', () => node.sent.length === 1);
    const waitsendpay = assert.rejects(engine.waitsendpay({ payment_hash: PAYMENT_HASH }), isStorage('versionchange'));

    // Another tab, a newer ampkit: it upgrades the database, and our connection lets it.
    const newer = await within(rawOpen(idb, { name: DB, version: 5 }), 2000, 'the newer version was blocked');
    newer.close();

    await within(paying, 2000, 'pay() never ended');
    await waitsendpay;
    await assert.rejects(engine.listpayments(), isStorage('versionchange'));
    // The node finishes the part; the engine, stopped, neither hears it nor loops on errors.
    node.release('complete');
    await sleep(300);
    assert.deepEqual(
      errors.map((e) => `${e.code}:${(e.data as { reason?: string })?.reason}`),
      ['STORAGE:versionchange'],
    );
    assert.equal(node.sent.length, 1);
    // What was committed stays: the part, pending, for the next engine (of the newer
    // version) to reconcile with the node, which has it complete.
    assert.deepEqual(
      (await storedParts(idb)).map((p) => [p.payment_hash, p.status]),
      [[PAYMENT_HASH, 'pending']],
    );
    assert.equal((await node.listsendpays({ payment_hash: PAYMENT_HASH }))[0]!.status, 'complete');
    // Every new engine on it is told why it cannot start, in words.
    await assert.rejects(
      createEngine({ node, store: indexedDbStore({ indexedDB: idb }) }),
      (e: AmpkitError) => isStorage('version')(e) && /newer version of ampkit/.test(e.message),
    );
    engine.close();
  });

  test('deleted: STORAGE once, saying so, and the engine stops', async () => {
    const { idb, engine, errors } = await holding();
    await engine.listpayments();
    await within(
      new Promise<void>((resolve, reject) => {
        const del = idb.deleteDatabase(DB);
        del.onsuccess = () => resolve();
        del.onerror = () => reject(del.error);
      }),
      2000,
      'the deletion was blocked',
    );
    await assert.rejects(engine.listpayments(), isStorage('versionchange'));
    assert.throws(() => engine.invoice({ amount_msat: 1, description: 'x' }), isStorage('versionchange'));
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /deleted/);
    engine.close();
  });

  test('written by a newer version: a new engine fails at once with STORAGE, in words', async () => {
    const idb = new IDBFactory();
    (await rawOpen(idb, { name: DB, version: 9 })).close();
    const node = scriptedNode({ plan: () => [], outcome: () => 'complete' });
    await assert.rejects(
      createEngine({ node, store: indexedDbStore({ indexedDB: idb }) }),
      (e: AmpkitError) => isStorage('version')(e) && /newer version/.test(e.message),
    );
  });

  test('held open at an older version by a tab that does not let go: STORAGE blocked, not a wait for ever; it opens once that tab closes', async () => {
    const idb = new IDBFactory();
    // An old tab at version 2 that ignores versionchange.
    const old = await rawOpen(idb, {
      name: DB,
      version: 2,
      upgrade: (db) => oldSchema(db, { cache: false }),
    });
    const node = scriptedNode({ plan: () => [], outcome: () => 'complete' });
    await within(
      assert.rejects(
        createEngine({ node, store: indexedDbStore({ indexedDB: idb }) }),
        (e: AmpkitError) => isStorage('blocked')(e) && /another tab/.test(e.message),
      ),
      2000,
      'the open waited',
    );
    old.close();
    await sleep(50);
    const engine = await within(
      createEngine({ node, store: indexedDbStore({ indexedDB: idb }) }),
      2000,
      'no open after the old tab closed',
    );
    assert.deepEqual((await engine.listpayments()).payments, []);
    engine.close();
  });
});

/**
 * The disk is full for writes to `store` while `full()` is true: synchronously (the request
 * is refused) or at commit (the transaction aborts with QuotaExceededError), as browsers do.
 */
function quota(store: string, when: 'request' | 'commit', full: () => boolean): () => void {
  const proto = globalThis.IDBObjectStore.prototype as unknown as Record<
    'put' | 'add',
    (this: IDBObjectStore, ...args: unknown[]) => IDBRequest
  >;
  const original = { put: proto.put, add: proto.add };
  for (const method of ['put', 'add'] as const) {
    proto[method] = function (this: IDBObjectStore, ...args: unknown[]) {
      if (this.name !== store || !full()) return original[method].apply(this, args);
      if (when === 'request') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      const request = original[method].apply(this, args);
      (this.transaction as unknown as { _abort(name: string): void })._abort('QuotaExceededError');
      return request;
    };
  }
  return () => Object.assign(proto, original);
}

describe('the disk is full', () => {
  for (const when of ['request', 'commit'] as const) {
    test(`(${when}) sendpartialpay: STORAGE, nothing sent to the node, the engine stopped, told once`, async () => {
      const { node, engine, errors } = await holding();
      const restore = quota('parts', when, () => true);
      try {
        await assert.rejects(
          engine.sendpartialpay({
            route: path('bob', 1000).route,
            payment_hash: PAYMENT_HASH,
            intended_amount_msat: 1000,
            payment_secret: 'cd'.repeat(32),
          }),
          isStorage('quota'),
        );
      } finally {
        restore();
      }
      assert.deepEqual(node.sent, [], 'nothing reached the node');
      await assert.rejects(engine.listpartialpayments(), isStorage('quota'));
      await sleep(50);
      assert.deepEqual(
        errors.map((e) => e.code),
        ['STORAGE'],
      );
      engine.close();
    });
  }

  test('pay(): STORAGE, not "the node refused a part"; what was journaled before stays', async () => {
    const { idb, node, engine } = await holding();
    let writes = 0;
    // The first part is journaled; the disk fills before the second.
    node.getroutes = async (r) => [path('bob', r.amount_msat / 2), path('carol', r.amount_msat / 2)];
    const restore = quota('parts', 'request', () => ++writes > 1);
    try {
      const result = engine.pay({ bolt11: daveInvoice(100_000), planner: 'node' });
      await within(assert.rejects(result, isStorage('quota')), 2000, 'pay() never ended');
    } finally {
      restore();
    }
    assert.equal(node.sent.length, 1, 'only the part journaled was sent');
    node.release('complete');
    engine.close();
    assert.deepEqual(
      (await storedParts(idb)).map((p) => p.status),
      ['pending'],
    );
  });
});
