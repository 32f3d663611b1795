/**
 * simnet's LND personality times out a held part by itself (docs/lnd.md §5.3: 120 s per HTLC
 * from its own accept time, here shortened with `lndMppTimeout`): the part fails back with
 * MPP_TIMEOUT, its InvoiceHTLC row becomes CANCELED with a resolve time, the invoice stays
 * OPEN, and a later complete set still settles it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { harness, type Harness } from './harness.ts';
import { clnRoute, lndClient, lndMethods as m, type LndTestClient } from './lnd-harness.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('simnet LND node: a held part times out alone', () => {
  let h: Harness;
  let alice: LndTestClient;
  before(async () => {
    h = await harness({ seed: 9, lnd: ['alice'], lndMppTimeout: 0.3 });
    alice = await lndClient(h.simnet, 'alice');
  });
  after(async () => {
    alice?.lnc.close();
    await h.stop();
  });

  test('MPP_TIMEOUT to the payer, a CANCELED row, the invoice still OPEN and payable', async () => {
    const wallet = await h.client('wallet');
    const total = 60_000_000;
    const added = await alice.call(m.addInvoice, { valueMsat: BigInt(total) });
    const send = (path: string[], partid: number, groupid: number) =>
      wallet.request('sendpay', {
        route: clnRoute(h.simnet, path, total / 2, 80),
        payment_hash: hex(added.rHash),
        payment_secret: hex(added.paymentAddr),
        amount_msat: total,
        partid,
        groupid,
      });
    await send(['wallet', 'alice'], 1, 1);
    await assert.rejects(
      wallet.request('waitsendpay', { payment_hash: hex(added.rHash), partid: 1, groupid: 1, timeout: 10 }),
      (e: any) => {
        assert.equal(e.data?.failcodename, 'WIRE_MPP_TIMEOUT');
        return true;
      },
    );
    const open = await alice.call(m.lookupInvoice, { rHash: added.rHash });
    assert.equal(open.state, 0, 'still OPEN');
    assert.equal(open.htlcs.length, 1);
    assert.equal(open.htlcs[0]!.state, 2, 'CANCELED');
    assert.ok(open.htlcs[0]!.resolveTime >= open.htlcs[0]!.acceptTime && open.htlcs[0]!.resolveTime > 0n);

    await Promise.all([send(['wallet', 'alice'], 1, 2), send(['wallet', 'bob', 'alice'], 2, 2)]);
    await Promise.all(
      [1, 2].map((partid) => wallet.request('waitsendpay', { payment_hash: hex(added.rHash), partid, groupid: 2, timeout: 10 })),
    );
    const paid = await alice.call(m.lookupInvoice, { rHash: added.rHash });
    assert.equal(paid.state, 1);
    assert.deepEqual(paid.htlcs.map((x) => x.state).sort(), [1, 1, 2]);
    assert.equal(paid.amtPaidMsat, BigInt(total), 'the cancelled part is not counted');
  });
});
