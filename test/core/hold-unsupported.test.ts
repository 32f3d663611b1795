/**
 * A node without the hold plugin (simnet's `holdPlugin: false`, which answers as lightningd
 * does: -32601 "Unknown command"): `invoice({ hold: true })` fails at once with
 * HOLD_UNSUPPORTED, saying what is missing, and leaves nothing behind: no journal record,
 * no preimage, nothing the watcher waits on. Plain invoices go on working.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { AmpkitError, type Engine, type Journal, type Node } from '../../packages/core/src/index.ts';
import { receiveHarness, type ReceiveHarness } from './receive-harness.ts';

let h: ReceiveHarness;
let journal: Journal;
before(async () => {
  h = await receiveHarness({ holdPlugin: false });
  journal = await h.store.open(h.simnet.node('shop').node.id);
});
after(async () => {
  journal.close();
  await h.stop();
});

const isUnsupported = (e: unknown): boolean => {
  assert.ok(e instanceof AmpkitError, String(e));
  assert.equal(e.code, 'HOLD_UNSUPPORTED');
  assert.equal(e.nodeCode, -32601);
  assert.match(e.message, /the node has no hold-invoice plugin \(BoltzExchange\/hold\): \w+ is an unknown command/);
  return true;
};

/** A plain invoice is still made, paid and reported: the receiver is not stuck. */
async function plainStillWorks(engine: Engine): Promise<void> {
  const plain = await engine.invoice({ amount_msat: 42, description: 'plain' });
  await h.pay('alice', plain.bolt11, 42, 1);
  assert.equal((await engine.waitinvoice({ payment_hash: plain.payment_hash, timeout: 10 })).status, 'paid');
}

describe('a node without the hold plugin', () => {
  test('invoice({ hold: true }) fails at once with HOLD_UNSUPPORTED; nothing is journaled, holdinvoice is never called', async () => {
    const engine = await h.engine();
    const errors: AmpkitError[] = [];
    engine.on('error', (e) => errors.push(e));
    const started = Date.now();
    await assert.rejects(engine.invoice({ amount_msat: 42, description: 'held', hold: true }), isUnsupported);
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    // Not even a record still being made: no preimage outlives the refusal.
    assert.deepEqual(await journal.listInvoices(), []);
    assert.deepEqual((await engine.listinvoices()).invoices, []);
    assert.equal(h.calls('holdinvoice'), 0);
    // Asked again, it asks the node again (the plugin may have been started meanwhile).
    const probes = h.calls('listholdinvoices');
    await assert.rejects(engine.invoice({ amount_msat: 42, description: 'held', hold: true }), isUnsupported);
    assert.equal(h.calls('listholdinvoices'), probes + 1);
    await plainStillWorks(engine);
    assert.deepEqual(errors, []);
    engine.close();
  });

  test('a plugin gone between the check and holdinvoice: the same error, and the journaled record goes', async () => {
    // The check passes (as if the plugin answered), the real holdinvoice finds no plugin.
    const racing = (node: Node): Node => ({ ...node, listholdinvoices: async () => [] });
    const engine = await h.engine(racing);
    await assert.rejects(engine.invoice({ amount_msat: 42, description: 'held', hold: true }), isUnsupported);
    assert.equal(h.calls('holdinvoice'), 1);
    assert.deepEqual(
      (await journal.listInvoices()).filter((i) => i.hold),
      [],
    );
    engine.close();
  });

  test('a hold invoice an engine left half-made on such a node is dropped by the next one, which goes on receiving', async () => {
    // What a tab that closed between journaling the preimage and holdinvoice leaves behind.
    const preimage = '11'.repeat(32);
    const hash = bytesToHex(sha256(hexToBytes(preimage)));
    await journal.updateInvoice(hash, () => ({
      invoice: {
        label: 'left-behind',
        bolt11: '',
        payment_hash: hash,
        amount_msat: 42,
        description: 'x',
        status: 'unpaid',
        hold: true,
        created_at: Math.floor(Date.now() / 1000),
        expires_at: Math.floor(Date.now() / 1000) + 3600,
        amount_received_msat: 0,
        amount_held_msat: 0,
        parts: 0,
        held: [],
        left: [],
        htlc_index: 0,
        preimage,
        creating: true,
      },
      result: undefined,
    }));
    const engine = await h.engine();
    const errors: AmpkitError[] = [];
    engine.on('error', (e) => errors.push(e));
    await engine.ready();
    for (let i = 0; i < 200 && (await journal.getInvoice(hash)); i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await journal.getInvoice(hash), undefined);
    await plainStillWorks(engine);
    assert.deepEqual(
      errors.map((e) => e.code),
      [],
    );
    engine.close();
  });
});
