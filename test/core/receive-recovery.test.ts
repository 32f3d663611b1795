/**
 * Receiving across engine deaths, two engines on one journal, dropped links and bad node
 * replies: a hold invoice is settled exactly once, and only for a complete set.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AmpkitError, type Engine, type Node, type NodeHtlc } from '../../packages/core/src/index.ts';
import { nextEvent, receiveHarness, type ReceiveHarness } from './receive-harness.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let h: ReceiveHarness;

before(async () => {
  h = await receiveHarness();
});
after(() => h.stop());

async function held(engine: Engine, hash: string, n: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await engine.listpartialinvoices({ payment_hash: hash })).partialinvoices.length === n) return;
    await sleep(10);
  }
  assert.fail(`expected ${n} held parts`);
}

describe('a new engine on the same store', () => {
  test('takes over mid-aggregation: it lists the parts the old one saw and settles when the last arrives', async () => {
    const settles = h.calls('settleholdinvoice');
    const first = await h.engine();
    const inv = await first.invoice({ amount_msat: 42, description: 'takeover', hold: true });
    await h.pay('alice', inv.bolt11, 6, 1);
    await held(first, inv.payment_hash, 1);
    first.close();
    // A part arrives while no engine runs.
    await h.pay('bob', inv.bolt11, 9, 2);
    await sleep(50);

    const second = await h.engine();
    await second.ready();
    const { partialinvoices } = await second.listpartialinvoices({ payment_hash: inv.payment_hash });
    assert.deepEqual(partialinvoices.map((p) => p.partial_amount_msat).sort(), [6, 9]);
    await h.pay('carol', inv.bolt11, 27, 3);
    const paid = await second.waitinvoice({ payment_hash: inv.payment_hash, timeout: 10 });
    assert.equal(paid.status, 'paid');
    assert.equal(paid.parts, 3);
    assert.equal(h.nodePreimage(inv.payment_hash), paid.payment_preimage);
    assert.equal(h.calls('settleholdinvoice'), settles + 1);
    second.close();
  });

  test('two engines on one store: both see the parts, the hold invoice is settled once', async () => {
    const settles = h.calls('settleholdinvoice');
    const a = await h.engine();
    const b = await h.engine();
    const inv = await a.invoice({ amount_msat: 42, description: 'two tabs', hold: true });
    // b learns of the invoice from the shared journal when it next looks (a tab reloading, or the BroadcastChannel of @ampkit/worker).
    const bSaw = nextEvent(b, 'invoice-paid', (i) => i.payment_hash === inv.payment_hash).catch(() => undefined);
    await h.pay('alice', inv.bolt11, 20, 1);
    await h.pay('bob', inv.bolt11, 22, 2);
    const paidA = await a.waitinvoice({ payment_hash: inv.payment_hash, timeout: 10 });
    assert.equal(paidA.status, 'paid');
    await sleep(200);
    assert.equal(h.calls('settleholdinvoice'), settles + 1);
    const [fromB] = (await b.listinvoices({ payment_hash: inv.payment_hash })).invoices;
    assert.equal(fromB!.status, 'paid');
    void bSaw;
    a.close();
    b.close();
  });

  test('two engines started on a journal with an open hold invoice race to settle: one settle call', async () => {
    const settles = h.calls('settleholdinvoice');
    const maker = await h.engine();
    const inv = await maker.invoice({ amount_msat: 42, description: 'race', hold: true });
    maker.close();
    const a = await h.engine();
    const b = await h.engine();
    await Promise.all([a.ready(), b.ready()]);
    await h.pay('alice', inv.bolt11, 20, 1);
    await h.pay('bob', inv.bolt11, 22, 2);
    const [pa, pb] = await Promise.all([
      a.waitinvoice({ payment_hash: inv.payment_hash, timeout: 10 }),
      b.waitinvoice({ payment_hash: inv.payment_hash, timeout: 10 }),
    ]);
    assert.equal(pa.status, 'paid');
    assert.equal(pb.status, 'paid');
    assert.equal(pa.payment_preimage, pb.payment_preimage);
    await sleep(200);
    assert.equal(h.calls('settleholdinvoice'), settles + 1);
    a.close();
    b.close();
  });
});

describe('a dropped link', () => {
  test('parts that arrive while the socket is down are picked up after the reconnect', async () => {
    const engine = await h.engine();
    const inv = await engine.invoice({ amount_msat: 42, description: 'drop', hold: true });
    await h.pay('alice', inv.bolt11, 6, 1);
    await held(engine, inv.payment_hash, 1);
    h.simnet.dropConnections('shop');
    await h.pay('bob', inv.bolt11, 9, 2);
    await h.pay('carol', inv.bolt11, 27, 3);
    const paid = await engine.waitinvoice({ payment_hash: inv.payment_hash, timeout: 10 });
    assert.equal(paid.status, 'paid');
    assert.equal(paid.parts, 3);
    engine.close();
  });
});

describe('bad node replies', () => {
  /** A node whose listhtlcs answers garbage while `broken` is set. */
  function flaky(state: { broken: boolean; calls: number }) {
    return (node: Node): Node => ({
      ...node,
      async listhtlcs(request) {
        if (!state.broken) return node.listhtlcs(request);
        state.calls++;
        throw new AmpkitError('BAD_REPLY', 'listhtlcs: the node\'s reply has an unknown HTLC state "RCVD_NONSENSE"');
      },
    });
  }

  test('are reported as errors, change nothing in the journal, and the engine carries on once the node answers well', async () => {
    const state = { broken: false, calls: 0 };
    const engine = await h.engine(flaky(state));
    const errors: AmpkitError[] = [];
    engine.on('error', (e) => errors.push(e));
    const inv = await engine.invoice({ amount_msat: 42, description: 'garbled', hold: true });
    await h.pay('alice', inv.bolt11, 6, 1);
    await held(engine, inv.payment_hash, 1);
    const before = await engine.listinvoices({ payment_hash: inv.payment_hash });
    state.broken = true;
    await h.pay('bob', inv.bolt11, 9, 2);
    for (let i = 0; i < 100 && errors.length === 0; i++) await sleep(10);
    assert.ok(errors.length >= 1);
    assert.equal(errors[0]!.code, 'BAD_REPLY');
    assert.deepEqual(await engine.listinvoices({ payment_hash: inv.payment_hash }), before);
    state.broken = false;
    await h.pay('carol', inv.bolt11, 27, 3);
    const paid = await engine.waitinvoice({ payment_hash: inv.payment_hash, timeout: 20 });
    assert.equal(paid.status, 'paid');
    assert.equal(paid.parts, 3);
    engine.close();
  });

  test('a hold invoice the node claims to hold in full is not settled unless the node says accepted', async () => {
    const settles = h.calls('settleholdinvoice');
    const lying = (node: Node): Node => ({
      ...node,
      // The history invents a big part; the hold plugin's own view is what counts.
      async listhtlcs(request) {
        const rows = await node.listhtlcs(request);
        return rows.map((r: NodeHtlc) => (r.direction === 'in' ? { ...r, amount_msat: 1_000_000 } : r));
      },
    });
    const engine = await h.engine(lying);
    const inv = await engine.invoice({ amount_msat: 42, description: 'lies', hold: true });
    await h.pay('alice', inv.bolt11, 6, 1);
    await held(engine, inv.payment_hash, 1);
    await sleep(100);
    assert.equal(h.calls('settleholdinvoice'), settles);
    assert.equal(h.nodePreimage(inv.payment_hash), undefined);
    engine.close();
  });
});
