/**
 * The SDK's host on an LND node (createAmpkit({ lnc })), against simnet's LND personality over
 * a real LNC link: a first pairing with the phrase opens the engine on lndNode and keeps the
 * keys in IndexedDB; the node id comes from the node; a Core Lightning shop's invoice is paid;
 * the next host connects with the kept keys alone (the phrase pairs once); after forgetting
 * them, or with a kept record of the wrong shape, it asks for a phrase, typed; a bad phrase is
 * refused before anything opens.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NodeWebSocket } from '../../packages/wire/src/node.ts';
import type { CommandoClient } from '../../packages/wire/src/index.ts';
import { AmpkitHost } from '../../packages/worker/src/host.ts';
import { createAmpkit } from '../../packages/worker/src/client.ts';
import { forgetLncKeys, lncKeysDatabase, type HostOptions, type Outcome } from '../../packages/worker/src/protocol.ts';
import { loadLncKeys } from '../../packages/worker/src/lnc-keys.ts';
import { harness, type Harness } from '../simnet/harness.ts';
import { simNode } from '../simnet/lnd-harness.ts';

const database = `ampkit-host-lnd-${process.pid}`;
let h: Harness;
let shop: CommandoClient;
const hadWebSocket = 'WebSocket' in globalThis;
const original = (globalThis as { WebSocket?: unknown }).WebSocket;
const hosts: AmpkitHost[] = [];

before(async () => {
  // connectLnc uses the platform's WebSocket, as in a worker.
  (globalThis as { WebSocket?: unknown }).WebSocket = NodeWebSocket;
  h = await harness({ seed: 13, lnd: ['wallet'] });
  shop = await h.client('shop');
});
after(async () => {
  for (const host of hosts) await host.close();
  if (hadWebSocket) (globalThis as { WebSocket?: unknown }).WebSocket = original;
  else delete (globalThis as { WebSocket?: unknown }).WebSocket;
  await h.stop();
});

async function open(lnc: HostOptions['lnc']): Promise<{ host: AmpkitHost; outcome: Outcome; states: unknown[] }> {
  const host = new AmpkitHost();
  hosts.push(host);
  const states: unknown[] = [];
  const outcome = await host.open({ lnc, storage: 'memory', database }, (type, detail) => {
    if (type === 'state') states.push(detail);
  });
  return { host, outcome, states };
}

const value = (outcome: Outcome) => {
  if ('error' in outcome) assert.fail(`${outcome.error.code}: ${outcome.error.message}`);
  return outcome.value;
};

describe('the host on an LND node over LNC', () => {
  test('pairs with the phrase, keeps the keys, knows the node by its own word, pays a Core Lightning invoice', async () => {
    const session = await h.simnet.lncSession('wallet');
    const { host, outcome } = await open({ pairingPhrase: session.pairingPhrase, mailbox: session.mailbox });
    const wallet = simNode(h.simnet, 'wallet').id;
    assert.deepEqual(value(outcome), { state: 'open', nodeId: wallet });
    assert.equal((value(await host.call('getinfo', {})) as { id: string }).id, wallet);
    const kept = await loadLncKeys(database);
    assert.ok(kept, 'the keys are kept');
    assert.equal(kept.mailbox, session.mailbox);
    const inv = await shop.request('invoice', { amount_msat: 5_000_000, label: 'host-lnd-1', description: 'espresso' });
    const paid = value(await host.call('pay', { bolt11: inv.bolt11 })) as { status: string; payment_preimage?: string };
    assert.equal(paid.status, 'complete');
    assert.equal((await shop.request('listinvoices', { payment_hash: inv.payment_hash })).invoices[0].status, 'paid');
    await host.close();
  });

  test('the next visit connects with the kept keys alone', async () => {
    const { host, outcome } = await open({});
    assert.equal((value(outcome) as { nodeId: string }).nodeId, simNode(h.simnet, 'wallet').id);
    const inv = await shop.request('invoice', { amount_msat: 1_000_000, label: 'host-lnd-2', description: 'croissant' });
    assert.equal((value(await host.call('pay', { bolt11: inv.bolt11 })) as { status: string }).status, 'complete');
    await host.close();
  });

  test('forgotten keys, or a kept record of the wrong shape: a phrase is asked for, typed', async () => {
    await forgetLncKeys(database);
    assert.equal(await loadLncKeys(database), undefined);
    const asked = await open({});
    assert.ok('error' in asked.outcome);
    assert.equal(asked.outcome.error.code, 'INVALID_ARGUMENT');
    assert.deepEqual(asked.outcome.error.data, { reason: 'not-paired' });
    // Another script wrote something else where the keys live: never handed to the connection.
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.open(lncKeysDatabase(database), 1);
      request.onupgradeneeded = () => request.result.createObjectStore('keys');
      request.onsuccess = () => {
        const tx = request.result.transaction('keys', 'readwrite');
        tx.objectStore('keys').put({ localPrivateKey: 'zz', remotePublicKey: 42, mailbox: '' }, 'current');
        tx.oncomplete = () => (request.result.close(), resolve());
        tx.onerror = () => reject(tx.error);
      };
      request.onerror = () => reject(request.error);
    });
    assert.equal(await loadLncKeys(database), undefined);
    const again = await open({});
    assert.ok('error' in again.outcome && again.outcome.error.code === 'INVALID_ARGUMENT');
  });

  test('createAmpkit refuses a phrase that is not ten words, and lnc beside a rune, before anything starts', async () => {
    await assert.rejects(createAmpkit({ lnc: { pairingPhrase: 'three short words' }, worker: false }), {
      code: 'INVALID_ARGUMENT',
      message: 'lnc.pairingPhrase must be the ten words Lightning Terminal shows',
    });
    await assert.rejects(createAmpkit({ lnc: {}, rune: 'x', worker: false }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(createAmpkit({ lnc: { keys: { localPrivateKey: 'ab', remotePublicKey: '02', mailbox: 'm' } }, worker: false }), {
      code: 'INVALID_ARGUMENT',
    });
  });
});
