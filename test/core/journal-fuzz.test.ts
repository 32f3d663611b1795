/**
 * Hostile journals: valid records (parts, payments, invoices, the part id counter) mutated
 * in the database itself — fields missing or of the wrong type, preimages of other hashes,
 * numbers past 2^53, NaN, huge arrays, deep nesting, junk objects. Whatever is stored:
 * reading never throws anything but a typed error, never rejects unhandled, never returns a
 * malformed record, still returns every good one, never overwrites one, and an engine on
 * the database starts, pays other hashes and reports each bad record once.
 *
 * Most inputs are checked record by record (`recordProblem`); fewer through the IndexedDB
 * journal in batches; fewer still through an engine. Seeds are fixed, so a failure replays.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IDBFactory } from 'fake-indexeddb';
import { AmpkitError, createEngine, indexedDbStore, type Journal, type StorageProblem } from '../../packages/core/src/index.ts';
import { recordProblem, type RecordKind } from '../../packages/core/src/store/records.ts';
import { FUZZ_N } from '../fuzz-count.ts';
import { prng } from '../wire/helpers.ts';
import { CAROL, OURS, PAYMENT_HASH, daveInvoice, path, scriptedNode } from './scripted-node.ts';
import { HOP, hashOf, invoice, pair, part, payment, rawOpen } from './raw-journal.ts';
import { mutator, pick } from './mutate.ts';

const { junk, mutate } = mutator({
  values: ['103x1x0', HOP.id, pair(7).payment_hash, pair(7).preimage, 'unpaid', 'paid', new Date(0), new Uint8Array(3)],
  keys: ['payment_hash'],
  longString: 50,
  arrayLength: (rand) => 1 + ((rand() * 300) | 0),
  nesting: 200,
  // Another record's proof, or a broken one, where a proof was.
  replacements: [
    (rand, old) => pick(rand, [pair(9).preimage, pair(9).payment_hash, String(old).toUpperCase(), `${String(old).slice(0, 63)}g`]),
  ],
});

/** What each kind of record must be for the engine, checked here independently of records.ts. */
function usable(kind: RecordKind, v: any): boolean {
  const whole = (x: unknown, min = 0) => typeof x === 'number' && Number.isSafeInteger(x) && x >= min;
  const hex32 = (x: unknown) => typeof x === 'string' && /^[0-9a-f]{64}$/.test(x);
  const proof = (x: unknown, hash: string) => x === undefined || (hex32(x) && hashOf(x as string) === hash);
  if (kind === 'counter') return whole(v);
  if (v === null || typeof v !== 'object' || Array.isArray(v) || !hex32(v.payment_hash)) return false;
  if (kind === 'part') {
    return (
      whole(v.id, 1) &&
      whole(v.partid) &&
      whole(v.groupid) &&
      whole(v.amount_msat) &&
      whole(v.amount_sent_msat) &&
      ['pending', 'complete', 'failed'].includes(v.status) &&
      proof(v.payment_preimage, v.payment_hash) &&
      (v.status !== 'complete' || v.payment_preimage !== undefined) &&
      Array.isArray(v.route) &&
      v.route.length > 0 &&
      v.route.every(
        (h: any) => h && typeof h.id === 'string' && typeof h.channel === 'string' && whole(h.amount_msat, 1) && whole(h.delay),
      ) &&
      typeof v.created_at === 'number' &&
      Number.isFinite(v.created_at)
    );
  }
  if (kind === 'payment') {
    return (
      whole(v.amount_msat) &&
      whole(v.amount_sent_msat) &&
      whole(v.parts) &&
      whole(v.groupid) &&
      ['pending', 'complete', 'failed'].includes(v.status) &&
      proof(v.payment_preimage, v.payment_hash) &&
      (v.status !== 'complete' || v.payment_preimage !== undefined)
    );
  }
  return (
    typeof v.label === 'string' &&
    whole(v.amount_msat) &&
    ['unpaid', 'paid', 'expired'].includes(v.status) &&
    typeof v.hold === 'boolean' &&
    proof(v.payment_preimage, v.payment_hash) &&
    proof(v.preimage, v.payment_hash) &&
    whole(v.htlc_index) &&
    Array.isArray(v.held) &&
    v.held.every((p: any) => p && p.payment_hash === v.payment_hash && whole(p.partial_amount_msat)) &&
    Array.isArray(v.left) &&
    typeof v.expires_at === 'number' &&
    typeof v.created_at === 'number'
  );
}

const HASHES = Array.from({ length: 12 }, (_, i) => pair(10 + i));

/** A valid record of `kind` for hash `h`, with id `id` for parts. */
function seed(rand: () => number, kind: Exclude<RecordKind, 'counter'>, h: { preimage: string; payment_hash: string }, id = 1): any {
  if (kind === 'part') return part(id, h.payment_hash, pick(rand, ['pending', 'complete', 'failed'] as const), h.preimage);
  if (kind === 'payment') return payment(h.payment_hash, pick(rand, ['pending', 'complete', 'failed'] as const), h.preimage);
  const inv = {
    ...invoice(h.payment_hash, `l-${h.payment_hash.slice(0, 8)}`),
    status: 'paid' as const,
    paid_at: 3,
    payment_preimage: h.preimage,
  };
  if (rand() < 0.5)
    inv.held = [
      {
        payment_hash: h.payment_hash,
        total_amount_msat: 42,
        incoming_scid: '1x2x3',
        htlc_id: 4,
        partial_amount_msat: 20,
        incoming_time_unix: 1,
        expiry: 120,
        state: 'RCVD_ADD_ACK_REVOCATION',
      },
    ];
  return inv;
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
before(() => process.on('unhandledRejection', onUnhandled));
after(() => {
  process.off('unhandledRejection', onUnhandled);
  assert.deepEqual(unhandled, [], 'no unhandled rejection');
});

describe(`journal records, mutated (${FUZZ_N} records)`, () => {
  test('a record is called good only if the engine can use it; seeds are good', () => {
    const rand = prng(0x10c4);
    let bad = 0;
    for (let i = 0; i < FUZZ_N; i++) {
      const kind = pick(rand, ['part', 'payment', 'invoice', 'counter'] as const);
      const h = pick(rand, HASHES);
      const original = kind === 'counter' ? (rand() * 1000) | 0 : seed(rand, kind, h, 1 + ((rand() * 1000) | 0));
      assert.equal(recordProblem(kind, original), undefined, `the seed is good: ${JSON.stringify(original)}`);
      const mutated = kind === 'counter' ? junk(rand) : mutate(rand, original);
      let problem: string | undefined;
      assert.doesNotThrow(() => (problem = recordProblem(kind, mutated)));
      if (problem === undefined) assert.ok(usable(kind, mutated), `called good: ${kind} ${JSON.stringify(mutated)}`);
      else bad++;
    }
    assert.ok(bad > FUZZ_N / 4, `the mutations made bad records (${bad})`);
  });
});

/** Puts records into `ampkit:<node>` raw, as they are (those IndexedDB refuses are left out). */
async function putRaw(
  idb: IDBFactory,
  node: string,
  records: { store: string; value: unknown; key?: IDBValidKey }[],
): Promise<{ store: string; value: unknown; key?: IDBValidKey }[]> {
  const db = await rawOpen(idb, { name: `ampkit:${node}` });
  const kept: typeof records = [];
  try {
    const tx = db.transaction(['parts', 'payments', 'invoices', 'meta'], 'readwrite');
    for (const r of records) {
      try {
        if (r.key === undefined) tx.objectStore(r.store).put(r.value);
        else tx.objectStore(r.store).put(r.value, r.key);
        kept.push(r);
      } catch {
        // A key IndexedDB cannot take, or a value it cannot clone: no such record can exist.
      }
    }
    await new Promise<void>((resolve, reject) => ((tx.oncomplete = () => resolve()), (tx.onabort = () => reject(tx.error))));
  } finally {
    db.close();
  }
  return kept;
}

/**
 * A batch of records for `node`'s journal, a share of them mutated in place (their key kept,
 * or not: a record whose key IndexedDB refuses never gets stored). Labels are unique, as the
 * label index demands of what is stored.
 */
function batch(rand: () => number, size: number): { store: string; value: any; key?: IDBValidKey }[] {
  const records: { store: string; value: any; key?: IDBValidKey }[] = [];
  let id = 1;
  for (let i = 0; i < size; i++) {
    const h = pick(rand, HASHES);
    const kind = pick(rand, ['part', 'part', 'payment', 'invoice'] as const);
    const store = kind === 'part' ? 'parts' : kind === 'payment' ? 'payments' : 'invoices';
    let value = seed(rand, kind, h, id++);
    if (kind === 'invoice') value.label = `l-${i}`;
    if (rand() < 0.4) {
      value = mutate(rand, value, kind === 'part' ? 'id' : 'payment_hash');
      if (kind === 'invoice' && value && typeof value === 'object' && typeof value.label !== 'string')
        value.label = rand() < 0.5 ? value.label : `l-${i}`;
    }
    records.push({ store, value });
  }
  if (rand() < 0.5) records.push({ store: 'meta', value: rand() < 0.5 ? junk(rand) : (rand() * 3 * size) | 0, key: 'lastId' });
  return records;
}

const keyOf = (store: string, v: any): unknown => (store === 'parts' ? v?.id : v?.payment_hash);
const kindOf = (store: string): RecordKind =>
  store === 'parts' ? 'part' : store === 'payments' ? 'payment' : store === 'invoices' ? 'invoice' : 'counter';

describe(`the IndexedDB journal over mutated records (${Math.max(20, Math.ceil(FUZZ_N / 100))} databases)`, () => {
  test('only good records come back, each as stored; payments with a bad one are refused; a new part never takes a stored key', async () => {
    const rand = prng(0x1db);
    const NODE = '02' + 'cd'.repeat(32);
    for (let round = 0; round < Math.max(20, Math.ceil(FUZZ_N / 100)); round++) {
      const idb = new IDBFactory();
      const store = indexedDbStore({ indexedDB: idb });
      (await store.open(NODE)).close();
      const stored = await putRaw(idb, NODE, batch(rand, 8 + ((rand() * 16) | 0)));
      // The last write under a key is what is stored.
      const last = new Map<string, { store: string; value: any }>();
      for (const r of stored) last.set(`${r.store}/${String(r.store === 'meta' ? r.key : keyOf(r.store, r.value))}`, r);
      const good = (s: string) =>
        [...last.values()].filter((r) => r.store === s && recordProblem(kindOf(s), r.value) === undefined).map((r) => r.value);
      const problems: StorageProblem[] = [];
      const journal: Journal = await store.open(NODE, { onProblem: (p) => problems.push(p) });
      const sameSet = (got: any[], want: any[], key: (v: any) => unknown) =>
        assert.deepEqual(new Map(got.map((v) => [key(v), v])), new Map(want.map((v) => [key(v), v])), `round ${round}`);
      try {
        sameSet(await journal.listParts(), good('parts'), (p) => p.id);
        sameSet(await journal.listPayments(), good('payments'), (p) => p.payment_hash);
        sameSet(await journal.listInvoices(), good('invoices'), (i) => i.payment_hash);
        for (const status of ['pending', 'complete', 'failed'] as const) {
          assert.ok((await journal.listParts({ status })).every((p) => p.status === status && recordProblem('part', p) === undefined));
        }
        for (const r of last.values()) {
          if (r.store !== 'parts' || typeof r.value?.id !== 'number') continue;
          const got = await journal.getPart(r.value.id);
          assert.deepEqual(got, recordProblem('part', r.value) === undefined ? r.value : undefined);
        }
        for (const h of HASHES) {
          const raw = [...last.values()].filter(
            (r) => (r.store === 'parts' || r.store === 'payments') && r.value?.payment_hash === h.payment_hash,
          );
          const spoilt = raw.some((r) => recordProblem(kindOf(r.store), r.value) !== undefined);
          try {
            const view = await journal.read(h.payment_hash);
            assert.ok(!spoilt, `read a payment with a bad record (round ${round})`);
            assert.ok(view.parts.every((p) => recordProblem('part', p) === undefined));
          } catch (error) {
            assert.ok(error instanceof AmpkitError && error.code === 'STORAGE', String(error));
            assert.ok(spoilt, `refused a payment whose records are good: ${(error as Error).message}`);
          }
        }
        // A new payment's part: its id is past every stored key, and it overwrites nothing.
        const fresh = pair(200).payment_hash;
        const id = await journal.update(fresh, (v) => {
          const p = part(v.nextId(), fresh);
          return { payment: payment(fresh), parts: [p], result: p.id };
        });
        const numeric = stored
          .filter((r) => r.store === 'parts')
          .map((r) => (r.value as { id?: unknown } | null)?.id)
          .filter((k): k is number => typeof k === 'number' && Number.isSafeInteger(k));
        assert.ok(
          numeric.every((k) => k < id),
          `id ${id} after ${numeric.join(',')}`,
        );
        sameSet(
          (await journal.listParts()).filter((p) => p.id !== id),
          good('parts'),
          (p) => p.id,
        );
        // Told once per record, never fatal.
        const keys = problems.map((p) => `${(p.error.data as any).store}/${String((p.error.data as any).key)}`);
        assert.equal(new Set(keys).size, keys.length, `reported twice: ${keys.join(', ')}`);
        assert.ok(problems.every((p) => !p.fatal && p.error.code === 'STORAGE'));
      } finally {
        journal.close();
      }
    }
  });
});

describe(`an engine over a mutated journal (${Math.max(5, Math.ceil(FUZZ_N / 1000))} engines)`, () => {
  test('it starts, reports each bad record once as STORAGE, lists only good records, and pays another hash', async () => {
    const rand = prng(0xe9);
    for (let round = 0; round < Math.max(5, Math.ceil(FUZZ_N / 1000)); round++) {
      const idb = new IDBFactory();
      const store = indexedDbStore({ indexedDB: idb });
      (await store.open(OURS)).close();
      await putRaw(idb, OURS, batch(rand, 12 + ((rand() * 12) | 0)));
      // Carol's path holds its parts; bob's completes them (for the invoice's hash only).
      const node = scriptedNode({
        plan: (r) => [path('bob', r.amount_msat)],
        outcome: (route) => (route[0]!.id === CAROL ? 'hold' : 'complete'),
      });
      const engine = await createEngine({ node, store });
      const errors: AmpkitError[] = [];
      engine.on('error', (e) => errors.push(e));
      try {
        await engine.ready();
        const paid = await engine.pay({ bolt11: daveInvoice(100_000), planner: 'node' });
        assert.equal(paid.status, 'complete', `round ${round}: ${paid.failreason}`);
        const other = pair(201).payment_hash;
        const sent = await engine.sendpartialpay({
          route: path('carol', 1000).route,
          payment_hash: other,
          intended_amount_msat: 2000,
          payment_secret: 'cd'.repeat(32),
        });
        assert.equal(sent.status, 'pending');
        const { partialpayments } = await engine.listpartialpayments();
        assert.ok(partialpayments.every((p) => recordProblem('part', p) === undefined));
        assert.ok(partialpayments.some((p) => p.payment_hash === PAYMENT_HASH && p.status === 'complete'));
        assert.ok((await engine.listpayments()).payments.every((p) => recordProblem('payment', p) === undefined));
        await engine.listinvoices();
        await new Promise((r) => setTimeout(r, 5));
        const storage = errors.filter((e) => e.code === 'STORAGE');
        assert.ok(
          storage.every((e) => (e.data as { reason: string }).reason === 'record'),
          storage.map((e) => e.message).join('\n'),
        );
        const keys = storage.map((e) => `${(e.data as any).store}/${String((e.data as any).key)}`);
        assert.equal(new Set(keys).size, keys.length, `reported twice: ${keys.join(', ')}`);
      } finally {
        engine.close();
      }
    }
  });
});
