/**
 * The invoice records of the journal: schema version 2 over a version-1 database (the
 * payments stay), unique labels, and Core Lightning's receiving replies read by clnNode.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IDBFactory } from 'fake-indexeddb';
import { AmpkitError, clnNode, indexedDbStore, memoryStore, type Store, type StoredInvoice } from '../../packages/core/src/index.ts';
import { readHoldInvoice, readHtlc, readInvoice } from '../../packages/core/src/node/cln.ts';
import type { CommandoClient } from '../../packages/wire/src/index.ts';
import { fixture, holdFixture } from '../simnet/harness.ts';
import { invoice as record } from './raw-journal.ts';

const NODE = '02' + 'ab'.repeat(32);
const HASH = '9b122bbd07488ba0c006282240e5fde0ec36554b9f0da87c348d0e10d8195224';

const isCode = (code: string) => (e: unknown) => e instanceof AmpkitError && e.code === code;

describe('the journal of invoices', () => {
  test('a version-1 database (payments only) upgrades to version 2 and keeps its payments', async () => {
    const indexedDB = new IDBFactory();
    await new Promise<void>((resolve, reject) => {
      const open = indexedDB.open(`ampkit:${NODE}`, 1);
      open.onupgradeneeded = () => {
        const db = open.result;
        const payments = db.createObjectStore('payments', { keyPath: 'payment_hash' });
        payments.createIndex('status', 'status');
        const parts = db.createObjectStore('parts', { keyPath: 'id' });
        parts.createIndex('payment_hash', 'payment_hash');
        parts.createIndex('status', 'status');
        db.createObjectStore('meta');
        payments.put({ payment_hash: HASH, amount_msat: 1, status: 'failed', created_at: 1, amount_sent_msat: 1, parts: 1, groupid: 1 });
      };
      open.onsuccess = () => {
        open.result.close();
        resolve();
      };
      open.onerror = () => reject(open.error);
    });
    const journal = await indexedDbStore({ indexedDB }).open(NODE);
    assert.equal((await journal.listPayments())[0]!.payment_hash, HASH);
    await journal.updateInvoice(HASH, () => ({ invoice: record(HASH, 'a'), result: undefined }));
    assert.equal((await journal.listInvoices({ label: 'a' }))[0]!.payment_hash, HASH);
    journal.close();
  });

  for (const [name, store] of [
    ['indexedDbStore', () => indexedDbStore({ indexedDB: new IDBFactory() })],
    ['memoryStore', () => memoryStore()],
  ] as [string, () => Store][]) {
    test(`${name}: labels are unique, a throwing change writes nothing, null deletes, filters`, async () => {
      const journal = await store().open(NODE);
      await journal.updateInvoice('11'.repeat(32), () => ({ invoice: record('11'.repeat(32), 'one'), result: undefined }));
      await assert.rejects(
        journal.updateInvoice('22'.repeat(32), () => ({ invoice: record('22'.repeat(32), 'one'), result: undefined })),
        isCode('INVALID_ARGUMENT'),
      );
      await assert.rejects(
        journal.updateInvoice('11'.repeat(32), () => {
          throw new Error('refused');
        }),
        /refused/,
      );
      assert.equal((await journal.getInvoice('11'.repeat(32)))!.label, 'one');
      await journal.updateInvoice('22'.repeat(32), () => ({
        invoice: { ...record('22'.repeat(32), 'two'), status: 'paid' },
        result: undefined,
      }));
      assert.deepEqual(
        (await journal.listInvoices({ status: 'unpaid' })).map((i) => i.label),
        ['one'],
      );
      assert.deepEqual(
        (await journal.listInvoices()).map((i) => i.label),
        ['one', 'two'],
      );
      await journal.updateInvoice('11'.repeat(32), () => ({ invoice: null, result: undefined }));
      assert.equal(await journal.getInvoice('11'.repeat(32)), undefined);
      journal.close();
    });
  }
});

describe('clnNode reads the receiving replies', () => {
  test('listinvoices rows as a v25.12 node gives them (unpaid, and paid with a preimage that hashes to the payment hash)', () => {
    const unpaid = readInvoice(fixture('listinvoices-unpaid-with-held-part.json').invoices[0]);
    assert.equal(unpaid.status, 'unpaid');
    assert.equal(unpaid.amount_msat, 100_000_000);
    const paid = readInvoice(fixture('listinvoices-paid-mpp.json').invoices[0]);
    assert.equal(paid.status, 'paid');
    assert.equal(paid.amount_received_msat, 1_500_000_000);
    const lying = { ...fixture('listinvoices-paid-mpp.json').invoices[0], payment_preimage: '00'.repeat(32) };
    assert.throws(() => readInvoice(lying), isCode('BAD_REPLY'));
  });

  test('the fixture node’s held incoming HTLC, as a listhtlcs row', () => {
    const held = fixture('listpeerchannels-held-in.json').channels[1].htlcs[0];
    const row = readHtlc({ ...held, short_channel_id: '103x1x0', created_index: 1 });
    assert.equal(row.direction, 'in');
    assert.equal(row.state, 'RCVD_ADD_ACK_REVOCATION');
    assert.equal(row.amount_msat, 40_000_000);
  });

  test('missing fields, wrong types and unknown states are BAD_REPLY', () => {
    const row = {
      short_channel_id: '1x2x3',
      id: 0,
      expiry: 119,
      amount_msat: 5,
      direction: 'in',
      payment_hash: HASH,
      state: 'RCVD_ADD_ACK_REVOCATION',
      created_index: 1,
    };
    readHtlc(row);
    for (const bad of [
      { ...row, state: 'RCVD_NONSENSE' },
      { ...row, state: undefined },
      { ...row, direction: 'sideways' },
      { ...row, amount_msat: '5' },
      { ...row, amount_msat: -5 },
      { ...row, short_channel_id: 'abc' },
      { ...row, payment_hash: 'zz' },
      { ...row, created_index: undefined },
      null,
      [],
    ]) {
      assert.throws(() => readHtlc(bad), isCode('BAD_REPLY'), JSON.stringify(bad));
    }
    // The hold plugin's rows (BoltzExchange/hold v0.3.3; more in hold-plugin-adapter.test.ts).
    const hold = holdFixture('listholdinvoices-accepted.json').response.holdinvoices[0];
    assert.equal(readHoldInvoice(hold).htlcs[1]!.amount_msat, 400_000);
    for (const bad of [
      { ...hold, state: 'limbo' },
      { ...hold, htlcs: 'none' },
      { ...hold, htlcs: [{ scid: '1x2x3', id: 0 }] },
      { ...hold, invoice: null },
    ]) {
      assert.throws(() => readHoldInvoice(bad), isCode('BAD_REPLY'), JSON.stringify(bad));
    }
    for (const bad of [{ ...fixture('listinvoices-paid-mpp.json').invoices[0], status: 'settled' }, { label: 1 }]) {
      assert.throws(() => readInvoice(bad), isCode('BAD_REPLY'));
    }
  });

  test('lists that are not lists, and a wait that answers no index, are BAD_REPLY', async () => {
    const client = {
      nodeId: NODE,
      state: 'open',
      on: () => () => undefined,
      request: async () => ({ htlcs: 'many', invoices: {}, holdinvoices: null }),
    } as unknown as CommandoClient;
    const node = clnNode(client);
    await assert.rejects(node.listhtlcs({ index: 'created', start: 1 }), isCode('BAD_REPLY'));
    await assert.rejects(node.listinvoices({ payment_hash: HASH }), isCode('BAD_REPLY'));
    await assert.rejects(node.listholdinvoices({ payment_hash: HASH }), isCode('BAD_REPLY'));
    const waits = clnNode({ ...client, request: async () => ({ subsystem: 'htlcs', created: 'soon' }) } as unknown as CommandoClient);
    await assert.rejects(waits.waithtlcs({ index: 'created', next: 1 }), isCode('BAD_REPLY'));
  });
});
