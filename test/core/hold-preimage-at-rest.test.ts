/**
 * A hold invoice's preimage at rest (docs/engine-rules.md, "Hold preimages"): the journal
 * keeps it sealed with a non-extractable AES-GCM key, so no IndexedDB record of an open
 * hold invoice holds it in plain; it is opened only on its way to the node, and only if it
 * hashes to the payment hash. A new engine on the same database settles; a record an older
 * version wrote in plain still settles and is sealed by the next engine to start; a sealed
 * preimage that was tampered with, moved, or replaced never reaches the node.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IDBFactory } from 'fake-indexeddb';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import {
  AmpkitError,
  clnNode,
  indexedDbStore,
  memoryStore,
  type Engine,
  type Journal,
  type StoredInvoice,
} from '../../packages/core/src/index.ts';
import { newPreimage } from '../simnet/harness.ts';
import { nextEvent, receiveHarness, recordEvents, type ReceiveHarness } from './receive-harness.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hashOf = (preimage: string) => bytesToHex(sha256(hexToBytes(preimage)));

/** The storage format, spelled out: AES-GCM, a 12-byte iv, the payment hash as additional data; hex. */
async function sealPreimage(key: CryptoKey, preimage: string, payment_hash: string): Promise<{ iv: string; data: string }> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: hexToBytes(payment_hash) }, key, hexToBytes(preimage));
  return { iv: bytesToHex(iv), data: bytesToHex(new Uint8Array(data)) };
}

let h: ReceiveHarness;
let shopId: string;
before(async () => {
  h = await receiveHarness();
  shopId = h.simnet.node('shop').node.id;
});
after(() => h.stop());

/** A database of our own (so its raw records can be read) and a store on it. */
function database(): { idb: IDBFactory; store: ReturnType<typeof indexedDbStore> } {
  const idb = new IDBFactory();
  return { idb, store: indexedDbStore({ indexedDB: idb }) };
}

/**
 * Every record of every object store in the journal's database, as one text (bytes as
 * hex), and the raw `meta` and `invoices` values: what a script that only reads, or a copy
 * of the profile, would see.
 */
async function dump(idb: IDBFactory): Promise<{ text: string; meta: Map<IDBValidKey, unknown>; invoices: StoredInvoice[] }> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const open = idb.open(`ampkit:${shopId}`);
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const all = <T>(request: IDBRequest<T>) =>
    new Promise<T>(
      (resolve, reject) => ((request.onsuccess = () => resolve(request.result)), (request.onerror = () => reject(request.error))),
    );
  const names = [...db.objectStoreNames];
  const tx = db.transaction(names, 'readonly');
  const values: unknown[] = [];
  const meta = new Map<IDBValidKey, unknown>();
  let invoices: StoredInvoice[] = [];
  for (const name of names) {
    const store = tx.objectStore(name);
    const [keys, records] = await Promise.all([all(store.getAllKeys()), all(store.getAll())]);
    values.push(keys, records);
    if (name === 'meta') keys.forEach((k, i) => meta.set(k, records[i]));
    if (name === 'invoices') invoices = records as StoredInvoice[];
  }
  db.close();
  const bytes = (v: unknown) =>
    v instanceof ArrayBuffer
      ? bytesToHex(new Uint8Array(v))
      : ArrayBuffer.isView(v)
        ? bytesToHex(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))
        : v;
  return { text: JSON.stringify(values, (_, v) => bytes(v)), meta, invoices };
}

async function held(engine: Engine, hash: string, n: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await engine.listpartialinvoices({ payment_hash: hash })).partialinvoices.length === n) return;
    await sleep(10);
  }
  assert.fail(`expected ${n} held parts`);
}

/** The record as an older version journaled it: a hold invoice made at the node, its preimage in plain. */
async function oldRecord(journal: Journal, preimage: string, payment_hash: string, label: string): Promise<StoredInvoice> {
  const node = clnNode(h.shop);
  const htlc_index = await node.waithtlcs({ index: 'created', next: 0 });
  const { bolt11 } = await node.holdinvoice({ payment_hash, amount_msat: 42, description: '', expiry: 3600 });
  const now = Math.floor(Date.now() / 1000);
  const record: StoredInvoice = {
    label,
    bolt11,
    payment_hash,
    amount_msat: 42,
    description: '',
    status: 'unpaid',
    hold: true,
    created_at: now,
    expires_at: now + 3600,
    amount_received_msat: 0,
    amount_held_msat: 0,
    parts: 0,
    held: [],
    left: [],
    htlc_index,
    preimage,
  };
  await journal.updateInvoice(payment_hash, () => ({ invoice: record, result: undefined }));
  return record;
}

describe('a hold invoice’s preimage at rest', () => {
  test('no record in IndexedDB holds it in plain; the record holds it sealed; the key is a non-extractable CryptoKey', async () => {
    const { idb, store } = database();
    const engine = await h.engine(undefined, { store });
    const inv = await engine.invoice({ amount_msat: 42, description: 'sealed', hold: true });
    await h.pay('alice', inv.bolt11, 20, 1);
    await held(engine, inv.payment_hash, 1);
    const open = await dump(idb);
    const [record] = open.invoices.filter((i) => i.payment_hash === inv.payment_hash);
    assert.equal(record!.preimage, undefined, 'no plain preimage field');
    assert.match(record!.sealed_preimage!.iv, /^[0-9a-f]{24}$/);
    assert.match(record!.sealed_preimage!.data, /^[0-9a-f]{96}$/);

    // The key: a CryptoKey object in `meta`, AES-GCM 256, whose bytes no script can export.
    const key = open.meta.get('holdKey') as CryptoKey;
    assert.ok(key instanceof CryptoKey, 'a CryptoKey, structured-cloned into IndexedDB');
    assert.equal(key.extractable, false);
    assert.deepEqual([key.algorithm.name, (key.algorithm as AesKeyAlgorithm).length], ['AES-GCM', 256]);
    await assert.rejects(crypto.subtle.exportKey('raw', key));
    await assert.rejects(crypto.subtle.exportKey('jwk', key));
    const journal = await store.open(shopId);
    await assert.rejects(crypto.subtle.exportKey('raw', (await journal.getHoldKey())!));
    journal.close();

    await h.pay('bob', inv.bolt11, 22, 2);
    const paid = await engine.waitinvoice({ payment_hash: inv.payment_hash, timeout: 10 });
    const preimage = paid.payment_preimage!;
    assert.equal(hashOf(preimage), inv.payment_hash);
    assert.equal(h.nodePreimage(inv.payment_hash), preimage);
    assert.ok(!open.text.includes(preimage), 'the preimage is nowhere in the database while the invoice is open');
    // Paid, the preimage is the payer's proof and no longer a secret; the sealed copy goes.
    const [done] = (await dump(idb)).invoices.filter((i) => i.payment_hash === inv.payment_hash);
    assert.deepEqual(
      [done!.status, done!.payment_preimage, done!.sealed_preimage, done!.preimage],
      ['paid', preimage, undefined, undefined],
    );
    engine.close();
  });

  test('a new engine on the same database (a new store object, nothing shared in memory) opens it and settles', async () => {
    const { idb, store } = database();
    const settles = h.calls('settleholdinvoice');
    const first = await h.engine(undefined, { store });
    const inv = await first.invoice({ amount_msat: 42, description: 'restart', hold: true });
    await h.pay('alice', inv.bolt11, 20, 1);
    await held(first, inv.payment_hash, 1);
    first.close();
    assert.ok((await dump(idb)).invoices[0]!.sealed_preimage, 'journaled sealed');

    const second = await h.engine(undefined, { store: indexedDbStore({ indexedDB: idb }) });
    await second.ready();
    await h.pay('bob', inv.bolt11, 22, 2);
    const paid = await second.waitinvoice({ payment_hash: inv.payment_hash, timeout: 10 });
    assert.equal(paid.status, 'paid');
    assert.equal(hashOf(paid.payment_preimage!), inv.payment_hash);
    assert.equal((await h.outcome('alice', inv.payment_hash, 1)).status, 'complete');
    assert.equal(h.calls('settleholdinvoice'), settles + 1);
    second.close();
  });

  test('a record an older version wrote with the preimage in plain is sealed by the next engine to start, and settles', async () => {
    const { idb, store } = database();
    const journal = await store.open(shopId);
    const { preimage, hash } = newPreimage();
    const record = await oldRecord(journal, preimage, hash, 'old-version');
    journal.close();
    assert.ok((await dump(idb)).text.includes(preimage), 'the old record is plain');

    const settles = h.calls('settleholdinvoice');
    const engine = await h.engine(undefined, { store });
    await engine.ready();
    const after = await dump(idb);
    assert.ok(!after.text.includes(preimage), 'sealed at start: the plain preimage is gone from the database');
    assert.ok(after.invoices[0]!.sealed_preimage);

    await h.pay('alice', record.bolt11, 20, 1);
    await h.pay('bob', record.bolt11, 22, 2);
    const paid = await engine.waitinvoice({ payment_hash: hash, timeout: 10 });
    assert.deepEqual([paid.status, paid.payment_preimage], ['paid', preimage]);
    assert.equal(h.calls('settleholdinvoice'), settles + 1);
    engine.close();
  });

  test('a plain old record still settles when it was not sealed (an engine that cannot seal)', async () => {
    const { store } = database();
    const journal = await store.open(shopId);
    const { preimage, hash } = newPreimage();
    const record = await oldRecord(journal, preimage, hash, 'old-unsealed');
    journal.close();
    // A journal whose key cannot be kept: sealing fails at start, the plain preimage stays and settles.
    const broken = {
      async open(nodeId: string): Promise<Journal> {
        const inner = await store.open(nodeId);
        return Object.assign(Object.create(inner) as Journal, {
          getHoldKey: async () => undefined,
          addHoldKey: async () => Promise.reject(new Error('quota exceeded')),
        });
      },
    };
    const engine = await h.engine(undefined, { store: broken });
    const errors: AmpkitError[] = [];
    engine.on('error', (e) => errors.push(e));
    await engine.ready();
    await h.pay('alice', record.bolt11, 42, 1);
    const paid = await engine.waitinvoice({ payment_hash: hash, timeout: 10 });
    assert.deepEqual([paid.status, paid.payment_preimage], ['paid', preimage]);
    assert.deepEqual(
      errors.map((e) => e.code),
      ['CONNECTION'],
    );
    assert.match(errors[0]!.message, new RegExp(`could not seal the preimage of hold invoice ${hash}`));
    engine.close();
  });

  for (const [name, spoil] of [
    [
      'tampered with (one bit of the ciphertext flipped)',
      async (_j: Journal, r: StoredInvoice) => ({
        ...r.sealed_preimage!,
        data: (parseInt(r.sealed_preimage!.data[0]!, 16) ^ 1).toString(16) + r.sealed_preimage!.data.slice(1),
      }),
    ],
    [
      'moved from another invoice (it is bound to its payment hash)',
      async (j: Journal) => (await j.listInvoices()).find((i) => i.label === 'donor')!.sealed_preimage!,
    ],
    [
      'replaced by one that opens with the key but does not hash to the payment hash',
      async (j: Journal, r: StoredInvoice) => sealPreimage((await j.getHoldKey())!, newPreimage().preimage, r.payment_hash),
    ],
  ] as [string, (j: Journal, r: StoredInvoice) => Promise<StoredInvoice['sealed_preimage']>][]) {
    test(`a sealed preimage ${name} never reaches the node: a typed error, the parts go back`, async () => {
      const { store } = database();
      const journal = await store.open(shopId);
      const engine = await h.engine(undefined, { store });
      const errors: AmpkitError[] = [];
      engine.on('error', (e) => errors.push(e));
      const events = recordEvents(engine);
      await engine.invoice({ amount_msat: 42, description: '', label: 'donor', hold: true });
      const inv = await engine.invoice({ amount_msat: 42, description: '', hold: true });
      const record = (await journal.getInvoice(inv.payment_hash))!;
      const sealed_preimage = await spoil(journal, record);
      await journal.updateInvoice(inv.payment_hash, (current) => ({ invoice: { ...current!, sealed_preimage }, result: undefined }));

      const settles = h.calls('settleholdinvoice');
      const expired = nextEvent(engine, 'invoice-expired', (i) => i.payment_hash === inv.payment_hash);
      await h.pay('alice', inv.bolt11, 20, 1);
      await h.pay('bob', inv.bolt11, 22, 2);
      assert.equal((await expired).status, 'expired');
      assert.equal(h.calls('settleholdinvoice'), settles, 'no settle call');
      assert.equal(h.nodePreimage(inv.payment_hash), undefined, 'the node never had a preimage');
      const [error] = errors;
      assert.ok(error instanceof AmpkitError, `an error event: ${errors.join(', ')}`);
      assert.equal(error.code, 'STORAGE');
      assert.deepEqual(error.data, { reason: 'record', store: 'invoices', key: inv.payment_hash });
      assert.match(
        error.message,
        new RegExp(`the journal's preimage for ${inv.payment_hash} (does not open with the hold key|does not hash to it); not settling`),
      );
      // The set can never be settled: the parts fail back now, not at the invoice's expiry.
      assert.deepEqual(
        events.filter((e) => e.startsWith('invoice-part-gone')),
        ['invoice-part-gone:cancelled', 'invoice-part-gone:cancelled'],
      );
      assert.equal((await h.outcome('alice', inv.payment_hash, 1)).status, 'failed');
      assert.equal((await h.outcome('bob', inv.payment_hash, 2)).status, 'failed');
      journal.close();
      engine.close();
    });
  }

  test('a hold key replaced by one whose bytes can be exported is refused: no preimage is sealed under it', async () => {
    const { store } = database();
    const journal = await store.open(shopId);
    await journal.addHoldKey(await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']));
    const engine = await h.engine(undefined, { store });
    const holds = h.calls('holdinvoice');
    await assert.rejects(
      engine.invoice({ amount_msat: 42, description: '', hold: true }),
      (e: unknown) => e instanceof AmpkitError && e.code === 'STORAGE' && /not a non-extractable AES-GCM key/.test(e.message),
    );
    assert.deepEqual(await journal.listInvoices(), []);
    assert.equal(h.calls('holdinvoice'), holds, 'the node never heard of it');
    journal.close();
    engine.close();
  });

  test('two journals on one database racing to make the key keep one; memoryStore keeps its key in memory', async () => {
    const { store } = database();
    const [a, b] = await Promise.all([store.open(shopId), store.open(shopId)]);
    const make = () => crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    const [ka, kb] = await Promise.all([make(), make()]);
    const kept = await Promise.all([a.addHoldKey(ka), b.addHoldKey(kb)]);
    // One key for both (a key is compared by what it opens: each read is a structured clone).
    const sealed = await sealPreimage(ka, '11'.repeat(32), '22'.repeat(32));
    const open = (key: CryptoKey) =>
      crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: hexToBytes(sealed.iv), additionalData: hexToBytes('22'.repeat(32)) },
        key,
        hexToBytes(sealed.data),
      );
    for (const key of [...kept, (await a.getHoldKey())!, (await b.getHoldKey())!])
      assert.equal(bytesToHex(new Uint8Array(await open(key))), '11'.repeat(32));
    await assert.rejects(open(kb), 'the key the second journal brought was not kept');
    a.close();
    b.close();

    const memory = await memoryStore().open(shopId);
    assert.equal(await memory.getHoldKey(), undefined);
    assert.equal(await memory.addHoldKey(kb), kb);
    assert.equal(await memory.addHoldKey(ka), kb);
    await assert.rejects(crypto.subtle.exportKey('raw', (await memory.getHoldKey())!));
  });
});
