/**
 * An engine on the README's shop rune (invoice-only: it may make and follow invoices, never
 * spend) receives without one call its rune refuses: simnet counts both the calls that
 * reached the node and the calls the rune check refused. What it is refused when it is made
 * to send is PERMISSION, naming the method.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { IDBFactory } from 'fake-indexeddb';
import { connect, decodeBolt11, type CommandoClient } from '../../packages/wire/src/index.ts';
import { NodeWebSocket } from '../../packages/wire/src/node.ts';
import {
  clnNode,
  createEngine,
  indexedDbStore,
  type AmpkitError,
  type Engine,
  type RouteHop,
  type Store,
} from '../../packages/core/src/index.ts';
import { harness, twoHopRoute, type Harness } from '../simnet/harness.ts';

/** The methods of the invoice-only rune (README; simnet's `invoice_rune`). */
const INVOICE_RUNE_METHODS = [
  'invoice',
  'listinvoices',
  'holdinvoice',
  'listholdinvoices',
  'settleholdinvoice',
  'cancelholdinvoice',
  'listhtlcs',
  'wait',
];
/** What a real Core Lightning node answers that rune for a method outside it (test/fixtures/cln/rune-errors.json). */
const REFUSAL = (
  JSON.parse(readFileSync(new URL('../fixtures/cln/rune-errors.json', import.meta.url), 'utf8')) as {
    answers: Record<string, { message: string }>;
  }
).answers['invoice-only rune calling listsendpays']!.message;

let h: Harness;
const clients: CommandoClient[] = [];
const engines: Engine[] = [];

before(async () => {
  h = await harness({ seed: 21, mppTimeout: 5 });
});
after(async () => {
  for (const e of engines) e.close();
  for (const c of clients) c.close();
  await h.stop();
});

async function shopClient(rune: 'rune' | 'invoice_rune'): Promise<CommandoClient> {
  const info = h.simnet.nodes.find((n) => n.alias === 'shop')!;
  const client = await connect({
    nodeId: info.id,
    url: info.ws_url,
    rune: info[rune],
    WebSocket: NodeWebSocket,
    reconnect: { minDelay: 20, maxDelay: 100, attempts: 50 },
  });
  clients.push(client);
  return client;
}

async function engineOn(
  client: CommandoClient,
  store: Store = indexedDbStore({ indexedDB: new IDBFactory() }),
): Promise<{ engine: Engine; errors: AmpkitError[] }> {
  const engine = await createEngine({ node: clnNode(client), store, waitChunk: 5, mppTimeout: 5 });
  engines.push(engine);
  const errors: AmpkitError[] = [];
  engine.on('error', (e) => errors.push(e));
  return { engine, errors };
}

/** The shop node's call and refusal counts since `since`, by method. */
function counts(since?: { calls: Map<string, number>; refused: Map<string, number> }) {
  const shop = h.simnet.node('shop');
  const delta = (now: Map<string, number>, then?: Map<string, number>) =>
    Object.fromEntries([...now].map(([m, n]) => [m, n - (then?.get(m) ?? 0)]).filter(([, n]) => (n as number) > 0));
  return { calls: delta(shop.calls, since?.calls), refused: delta(shop.refused, since?.refused) };
}
const snapshot = () => ({ calls: new Map(h.simnet.node('shop').calls), refused: new Map(h.simnet.node('shop').refused) });

async function walletInvoice(amount_msat: number) {
  const wallet = await h.client('wallet');
  const label = `from-shop-${Date.now()}-${Math.random()}`;
  const { bolt11 } = await wallet.request('invoice', { amount_msat, label, description: label });
  const d = decodeBolt11(bolt11);
  return { bolt11, payment_hash: d.payment_hash, payment_secret: d.payment_secret!, amount_msat };
}

/** A route shop → alice → wallet (never used: the part is refused or never leaves). */
const route = (amount_msat: number) => twoHopRoute(h.simnet, 'shop', 'alice', 'wallet', amount_msat) as RouteHop[];

async function eventually<T>(what: string, check: () => T | undefined | Promise<T | undefined>, seconds = 10): Promise<T> {
  for (const end = Date.now() + seconds * 1000; ;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`${what} did not happen within ${seconds} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('an engine on the invoice-only rune', () => {
  test('makes a plain and a hold invoice, follows both to paid, and makes no call its rune refuses', async () => {
    const since = snapshot();
    const { engine, errors } = await engineOn(await shopClient('invoice_rune'));
    const wallet = await h.client('wallet');
    const plain = await engine.invoice({ amount_msat: 30_000_000, description: 'plain' });
    const hold = await engine.invoice({ amount_msat: 20_000_000, description: 'hold', hold: true });
    await wallet.request('pay', { bolt11: plain.bolt11 });
    // A hold invoice's payer waits until the engine settles: the two run side by side.
    const holdPaid = wallet.request('pay', { bolt11: hold.bolt11 });
    assert.equal((await engine.waitinvoice({ payment_hash: plain.payment_hash, timeout: 30 })).status, 'paid');
    assert.equal((await engine.waitinvoice({ payment_hash: hold.payment_hash, timeout: 30 })).status, 'paid');
    assert.equal((await holdPaid).status, 'complete');

    const { calls, refused } = counts(since);
    assert.deepEqual(refused, {}, 'no call was refused by the rune');
    assert.deepEqual(
      Object.keys(calls).filter((m) => !INVOICE_RUNE_METHODS.includes(m)),
      [],
      `only the rune's methods: ${JSON.stringify(calls)}`,
    );
    assert.ok(calls.invoice && calls.holdinvoice && calls.settleholdinvoice, JSON.stringify(calls));
    assert.deepEqual(
      errors.map((e) => e.code),
      [],
    );
  });

  test('on a journal with a part an earlier engine left pending, asks nothing about it until its sending side is used; then PERMISSION once, naming listsendpays', async () => {
    const store = indexedDbStore({ indexedDB: new IDBFactory() });
    // An engine with the full rune whose sendpay never comes back: its part stays pending in the journal.
    const full = await shopClient('rune');
    const sender = await createEngine({ node: { ...clnNode(full), sendpay: () => new Promise(() => {}) }, store });
    const owed = await walletInvoice(10_000_000);
    void sender
      .sendpartialpay({
        route: route(owed.amount_msat),
        payment_hash: owed.payment_hash,
        intended_amount_msat: owed.amount_msat,
        payment_secret: owed.payment_secret,
      })
      .catch(() => undefined);
    await eventually('the part journaled', async () =>
      (await sender.listpartialpayments({})).partialpayments.length === 1 ? true : undefined,
    );
    sender.close();

    const since = snapshot();
    const { engine, errors } = await engineOn(await shopClient('invoice_rune'), store);
    const invoice = await engine.invoice({ amount_msat: 15_000_000, description: 'after a sender' });
    await (await h.client('wallet')).request('pay', { bolt11: invoice.bolt11 });
    assert.equal((await engine.waitinvoice({ payment_hash: invoice.payment_hash, timeout: 30 })).status, 'paid');
    assert.deepEqual(counts(since).refused, {}, 'receiving asked nothing about the pending part');
    assert.equal(counts(since).calls.listsendpays, undefined);
    assert.equal(errors.length, 0, errors.map((e) => e.message).join('; '));

    // The payment history is the sending side: the journal answers, and the part is reconciled behind it.
    const { payments } = await engine.listpayments({});
    assert.deepEqual(
      payments.map((p) => [p.payment_hash, p.status]),
      [[owed.payment_hash, 'pending']],
    );
    await eventually('the refusal reported', () => (errors.length ? true : undefined));
    assert.equal(errors[0]!.code, 'PERMISSION');
    assert.equal(
      errors[0]!.message,
      'the rune does not permit listsendpays (needed to send payments); make a rune that allows it, see README',
    );
    assert.equal(errors[0]!.nodeCode, 19537);
    assert.deepEqual(errors[0]!.data, { method: 'listsendpays', message: REFUSAL });
    // Refused once, not retried in the background.
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(counts(since).refused, { listsendpays: 1 });

    // A wait on that payment asks again, and is told why at once instead of running into its timeout.
    await assert.rejects(
      engine.waitsendpay({ payment_hash: owed.payment_hash, timeout: 30 }),
      (e: AmpkitError) => e.code === 'PERMISSION' && /listsendpays/.test(e.message),
    );
    assert.deepEqual(counts(since).refused, { listsendpays: 2 });
    assert.equal(errors.length, 1, 'the same refusal is reported once');
  });

  test("a payment is PERMISSION naming listsendpays, with the node's code and words, and sends nothing; getinfo is PERMISSION naming getinfo", async () => {
    const since = snapshot();
    const { engine } = await engineOn(await shopClient('invoice_rune'));
    const owed = await walletInvoice(5_000_000);
    await assert.rejects(engine.pay({ bolt11: owed.bolt11 }), (e: AmpkitError) => {
      assert.equal(e.code, 'PERMISSION');
      assert.equal(e.message, 'the rune does not permit listsendpays (needed to send payments); make a rune that allows it, see README');
      assert.equal(e.nodeCode, 19537);
      assert.deepEqual(e.data, { method: 'listsendpays', message: REFUSAL });
      return true;
    });
    await assert.rejects(
      engine.sendpartialpay({
        route: route(owed.amount_msat),
        payment_hash: owed.payment_hash,
        intended_amount_msat: owed.amount_msat,
        payment_secret: owed.payment_secret,
      }),
      (e: AmpkitError) => e.code === 'PERMISSION' && e.message.startsWith('the rune does not permit listsendpays'),
    );
    assert.deepEqual((await engine.listpartialpayments({})).partialpayments, [], 'nothing journaled, nothing sent');
    await assert.rejects(
      engine.getinfo(),
      (e: AmpkitError) =>
        e.code === 'PERMISSION' && e.message.startsWith("the rune does not permit getinfo (needed to read the node's name and network)"),
    );
    assert.deepEqual(counts(since).refused, { listsendpays: 2, getinfo: 1 });
    assert.equal(counts(since).calls.sendpay, undefined);
  });
});
