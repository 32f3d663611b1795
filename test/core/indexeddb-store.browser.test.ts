/** The journal in Chromium's own IndexedDB, and the engine running in a page. */
import { assert } from 'chai';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { AmpkitError, SEND_LEASE_S, createEngine, indexedDbStore, type Node, type NodePart, type PartialPayment } from '@ampkit/core';
import { noReceiving } from './fake-node.ts';

const NODE_A = '02' + 'aa'.repeat(32);
const NODE_B = '03' + 'bb'.repeat(32);
const HOP = { id: '03' + '22'.repeat(32), channel: '103x1x0', amount_msat: 1000, delay: 18 };
let run = 0;

function part(id: number, hash: string, status: PartialPayment['status'] = 'pending'): PartialPayment {
  return {
    id,
    partid: id,
    groupid: 1,
    payment_hash: hash,
    destination: HOP.id,
    route: [HOP],
    amount_msat: 1000,
    amount_sent_msat: 1001,
    status,
    created_at: 1,
  };
}

describe('indexedDbStore in Chromium', () => {
  const name = () => `ampkit-test-${Date.now()}-${++run}`;

  it('keeps one database per node id, so two nodes never mix', async () => {
    const store = indexedDbStore({ name: name() });
    const a = await store.open(NODE_A);
    const b = await store.open(NODE_B);
    await a.update('11'.repeat(32), (v) => ({ parts: [part(v.nextId(), '11'.repeat(32))], result: undefined }));
    assert.lengthOf(await a.listParts(), 1);
    assert.lengthOf(await b.listParts(), 0);
    const names = (await indexedDB.databases()).map((d) => d.name);
    assert.ok(names.some((n) => n?.endsWith(`:${NODE_A}`)));
    a.close();
    b.close();
  });

  it('an update is atomic: a throwing change writes nothing, ids count on after a reopen', async () => {
    const dbName = name();
    const hash = '22'.repeat(32);
    const journal = await indexedDbStore({ name: dbName }).open(NODE_A);
    const first = await journal.update(
      hash,
      (v) => {
        const p = part(v.nextId(), hash);
        return { parts: [p], result: p.id };
      },
      { durable: true },
    );
    let threw = false;
    try {
      await journal.update(hash, (v) => {
        v.nextId();
        throw new Error('refused');
      });
    } catch {
      threw = true;
    }
    assert.isTrue(threw);
    journal.close();
    const again = await indexedDbStore({ name: dbName }).open(NODE_A);
    const second = await again.update(hash, (v) => {
      const p = part(v.nextId(), hash);
      return { parts: [p], result: p.id };
    });
    assert.deepEqual([first, second], [1, 2]);
    assert.deepEqual(
      (await again.listParts({ payment_hash: hash })).map((p) => p.id),
      [1, 2],
    );
    assert.lengthOf(await again.listParts({ status: 'pending' }), 2);
    again.close();
  });

  it('concurrent updates of one hash see each other (the transaction serialises them)', async () => {
    const hash = '33'.repeat(32);
    const journal = await indexedDbStore({ name: name() }).open(NODE_A);
    await Promise.all(
      Array.from({ length: 20 }, () =>
        journal.update(hash, (v) => {
          if (v.parts.length >= 10) return { result: undefined };
          return { parts: [part(v.nextId(), hash)], result: undefined };
        }),
      ),
    );
    assert.lengthOf(await journal.listParts({ payment_hash: hash }), 10);
    journal.close();
  });

  it('the engine journals a part before the node sees it, and reads it back after a new engine opens', async () => {
    const store = indexedDbStore({ name: name() });
    const hash = '44'.repeat(32);
    let seenInJournal = -1;
    const node: Node = {
      ...noReceiving,
      id: NODE_A,
      async sendpay(r): Promise<NodePart> {
        const journal = await store.open(NODE_A);
        seenInJournal = (await journal.listParts({ payment_hash: r.payment_hash })).length;
        journal.close();
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
    const engine = await createEngine({ node, store });
    const sent = await engine.sendpartialpay({
      route: [HOP],
      payment_hash: hash,
      intended_amount_msat: 2000,
      payment_secret: '55'.repeat(32),
    });
    assert.equal(sent.status, 'pending');
    assert.equal(seenInJournal, 1, 'the part was in IndexedDB when sendpay ran');
    engine.close();
    // Reopened once the closed engine's lease on the part has run out.
    const later = () => Math.floor(Date.now() / 1000) + SEND_LEASE_S + 1;
    const reopened = await createEngine({ node: { ...node, listsendpays: async () => [] }, store, now: later });
    await reopened.ready();
    const [p] = (await reopened.listpartialpayments({ payment_hash: hash })).partialpayments;
    // The node says it never had the part: after the reopen it is failed, never sent.
    assert.equal(p!.status, 'failed');
    reopened.close();
  });
  it('keeps invoices with unique labels: a taken label is INVALID_ARGUMENT and writes nothing', async () => {
    const journal = await indexedDbStore({ name: name() }).open(NODE_A);
    // A hold invoice's preimage is the proof of its hash: the journal keeps no other.
    const preimage = '77'.repeat(32);
    const hash = bytesToHex(sha256(hexToBytes(preimage)));
    const invoice = (payment_hash: string, label: string) => ({
      label,
      bolt11: 'lnbcrt1',
      payment_hash,
      amount_msat: 42,
      description: 'd',
      status: 'unpaid' as const,
      hold: true,
      ...(payment_hash === hash ? { preimage } : {}),
      created_at: 1,
      expires_at: 2,
      amount_received_msat: 0,
      amount_held_msat: 0,
      parts: 0,
      held: [],
      left: [],
      htlc_index: 0,
    });
    await journal.updateInvoice(hash, () => ({ invoice: invoice(hash, 'shop-1'), result: undefined }), { durable: true });
    let code: unknown;
    try {
      await journal.updateInvoice('66'.repeat(32), () => ({ invoice: invoice('66'.repeat(32), 'shop-1'), result: undefined }));
    } catch (error) {
      code = (error as { code?: unknown }).code;
    }
    assert.equal(code, 'INVALID_ARGUMENT');
    assert.deepEqual(
      (await journal.listInvoices()).map((i) => i.payment_hash),
      [hash],
    );
    assert.equal((await journal.getInvoice(hash))!.preimage, preimage);
    journal.close();
  });
  /** A node that keeps every part in flight. */
  const holding: Node = {
    ...noReceiving,
    id: NODE_A,
    sendpay: async (r) => ({
      payment_hash: r.payment_hash,
      groupid: r.groupid,
      partid: r.partid,
      status: 'pending',
      amount_msat: 1000,
      amount_sent_msat: 1000,
    }),
    waitsendpay: () => new Promise(() => {}),
    listsendpays: async () => [],
    connected: async () => {},
  };
  const reason = (error: unknown) =>
    error instanceof AmpkitError && error.code === 'STORAGE' ? (error.data as { reason: string }).reason : `not STORAGE: ${String(error)}`;
  const openRaw = (dbName: string, version?: number, upgrade?: (db: IDBDatabase) => void) =>
    new Promise<IDBDatabase>((resolve, reject) => {
      const open = version === undefined ? indexedDB.open(dbName) : indexedDB.open(dbName, version);
      open.onupgradeneeded = () => upgrade?.(open.result);
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });

  it('another tab opening the journal at a newer version: not blocked; the engine stops with STORAGE, once, its waits too', async () => {
    const prefix = name();
    const engine = await createEngine({ node: holding, store: indexedDbStore({ name: prefix }) });
    const errors: AmpkitError[] = [];
    engine.on('error', (e) => errors.push(e));
    const hash = '66'.repeat(32);
    const sent = await engine.sendpartialpay({
      route: [HOP],
      payment_hash: hash,
      intended_amount_msat: 2000,
      payment_secret: '55'.repeat(32),
    });
    const waiting = engine.waitpartialpay({ id: (sent as { id: number }).id }).then(() => 'resolved', reason);
    const newer = await openRaw(`${prefix}:${NODE_A}`, 5);
    assert.equal(await waiting, 'versionchange');
    assert.deepEqual(errors.map(reason), ['versionchange']);
    let later: unknown;
    await engine.listpayments().catch((e) => (later = e));
    assert.equal(reason(later), 'versionchange');
    // The part journaled before the send is still there, pending, for the newer version.
    const parts = await new Promise<PartialPayment[]>((resolve, reject) => {
      const r = newer.transaction('parts', 'readonly').objectStore('parts').getAll();
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    assert.deepEqual(
      parts.map((p) => [p.payment_hash, p.status]),
      [[hash, 'pending']],
    );
    newer.close();
    let refused: unknown;
    await createEngine({ node: holding, store: indexedDbStore({ name: prefix }) }).catch((e) => (refused = e));
    assert.equal(reason(refused), 'version');
    engine.close();
  });

  it('a tab that holds the journal open at an older version and ignores the upgrade: STORAGE blocked at once; it opens once that tab goes', async () => {
    const prefix = name();
    const old = await openRaw(`${prefix}:${NODE_A}`, 1, (db) => {
      db.createObjectStore('payments', { keyPath: 'payment_hash' }).createIndex('status', 'status');
      const parts = db.createObjectStore('parts', { keyPath: 'id' });
      parts.createIndex('payment_hash', 'payment_hash');
      parts.createIndex('status', 'status');
      db.createObjectStore('meta');
    });
    let blocked: unknown;
    await createEngine({ node: holding, store: indexedDbStore({ name: prefix }) }).catch((e) => (blocked = e));
    assert.equal(reason(blocked), 'blocked');
    old.close();
    await new Promise((r) => setTimeout(r, 100));
    const engine = await createEngine({ node: holding, store: indexedDbStore({ name: prefix }) });
    assert.deepEqual((await engine.listpayments()).payments, []);
    engine.close();
  });
});
