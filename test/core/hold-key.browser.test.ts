/**
 * The hold key in Chromium's own IndexedDB (docs/engine-rules.md, "Hold preimages"): the
 * non-extractable CryptoKey is stored as the key object, survives closing and reopening the
 * database, still opens what it sealed, and never exports; a record holds only the sealed
 * preimage.
 */
import { assert } from 'chai';
import { indexedDbStore, type StoredInvoice } from '@ampkit/core';
import { holdKey, openPreimage, sealPreimage } from '../../packages/core/src/invoices/sealed-preimage.ts';

const NODE = '02' + 'cc'.repeat(32);
const PREIMAGE = '5a'.repeat(32);

async function sha256Hex(hex: string): Promise<string> {
  const bytes = new Uint8Array(hex.match(/../g)!.map((b) => parseInt(b, 16)));
  return [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function rejects(promise: Promise<unknown>): Promise<void> {
  let threw = false;
  await promise.catch(() => (threw = true));
  assert.isTrue(threw, 'rejected');
}

describe('the hold key in Chromium', () => {
  it('is a non-extractable AES-GCM CryptoKey kept in IndexedDB across a reopen; what it sealed opens, its bytes never export', async () => {
    const name = `ampkit-holdkey-${Date.now()}`;
    const hash = await sha256Hex(PREIMAGE);
    const first = await indexedDbStore({ name }).open(NODE);
    const key = await holdKey(first);
    assert.instanceOf(key, CryptoKey);
    assert.isFalse(key.extractable);
    await rejects(crypto.subtle.exportKey('raw', key));
    const sealed_preimage = await sealPreimage(key, PREIMAGE, hash);
    const record = {
      label: 'k',
      bolt11: 'lnbcrt1',
      payment_hash: hash,
      amount_msat: 42,
      description: '',
      status: 'unpaid',
      hold: true,
      created_at: 1,
      expires_at: 2,
      amount_received_msat: 0,
      amount_held_msat: 0,
      parts: 0,
      held: [],
      left: [],
      htlc_index: 0,
      sealed_preimage,
    } satisfies StoredInvoice;
    await first.updateInvoice(hash, () => ({ invoice: record, result: undefined }), { durable: true });
    first.close();

    const again = await indexedDbStore({ name }).open(NODE);
    const kept = (await again.getHoldKey())!;
    assert.instanceOf(kept, CryptoKey);
    assert.isFalse(kept.extractable);
    await rejects(crypto.subtle.exportKey('raw', kept));
    await rejects(crypto.subtle.exportKey('jwk', kept));
    const stored = (await again.getInvoice(hash))!;
    assert.notInclude(JSON.stringify(stored), PREIMAGE);
    assert.equal(await openPreimage(again, stored), PREIMAGE);
    again.close();
  });
});
