/**
 * simnet's hold plugin answers in exactly the shapes of BoltzExchange/hold v0.3.3
 * (test/fixtures/hold-plugin/, reconstructed from its source): the same keys in the same
 * order with the same JSON types, the same error codes, words and `data`; and the engine's
 * adapter reads every row simnet gives.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CommandoClient } from '../../packages/wire/src/index.ts';
import { readHoldInvoice } from '../../packages/core/src/node/hold-plugin.ts';
import { harness, holdFixture, newPreimage, twoHopRoute, type Harness } from './harness.ts';

/**
 * A JSON value's shape: its type, an object's keys in order with their shapes, the set of
 * an array's element shapes.
 */
function shape(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return { array: [...new Set(value.map((v) => JSON.stringify(shape(v))))].sort() };
  if (typeof value === 'object') return Object.entries(value).map(([k, v]) => [k, shape(v)]);
  return typeof value;
}

/** The same shape, an empty array matching any. */
function sameShape(actual: unknown, expected: unknown, where: string): void {
  const a = shape(actual);
  const e = shape(expected);
  const strip = (s: unknown): unknown => JSON.parse(JSON.stringify(s).replaceAll('{"array":[]}', '"any-array"'));
  if (JSON.stringify(a).includes('{"array":[]}') || JSON.stringify(e).includes('{"array":[]}')) {
    // An empty list says nothing about its elements: compare the rest.
    assert.deepEqual(strip(a), strip(e), where);
  } else {
    assert.deepEqual(a, e, where);
  }
}

let h: Harness;
let shop: CommandoClient;
let wallet: CommandoClient;
before(async () => {
  h = await harness({ seed: 14, mppTimeout: 0.4 });
  shop = await h.client('shop');
  wallet = await h.client('wallet');
});
after(() => h.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function pay(bolt11: string, via: string, amount: number, partid: number): Promise<void> {
  const d = await wallet.request('decode', [bolt11]);
  await wallet.request('sendpay', {
    route: twoHopRoute(h.simnet, 'wallet', via, 'shop', amount, 80),
    payment_hash: d.payment_hash,
    payment_secret: d.payment_secret,
    amount_msat: d.amount_msat,
    partid,
    groupid: 1,
  });
}

async function list(hash: string): Promise<any> {
  return shop.request('listholdinvoices', { payment_hash: hash });
}

/** Until the invoice has `n` HTLC rows in `state`. */
async function until(hash: string, n: number, state: string): Promise<any> {
  for (let i = 0; i < 300; i++) {
    const reply = await list(hash);
    if (reply.holdinvoices[0].htlcs.filter((x: any) => x.state === state).length >= n) return reply;
    await sleep(10);
  }
  assert.fail(`no ${n} ${state} rows`);
}

/** An invoice of 1,000,000 msat with the fixture's history: a part timed out, then 400,000 + 600,000 accepted. */
async function acceptedInvoice(): Promise<{ preimage: string; hash: string }> {
  const { preimage, hash } = newPreimage();
  const { bolt11 } = await shop.request('holdinvoice', { payment_hash: hash, amount: 1_000_000 });
  await pay(bolt11, 'alice', 400_000, 1);
  await until(hash, 1, 'cancelled');
  await pay(bolt11, 'alice', 400_000, 2);
  await pay(bolt11, 'bob', 600_000, 3);
  await until(hash, 2, 'accepted');
  return { preimage, hash };
}

/** simnet's answer to `request` must be the fixture's shape, and the adapter must read every row. */
function check(name: string, reply: unknown): void {
  const fx = holdFixture(name);
  sameShape(reply, fx.response, name);
  for (const row of (reply as { holdinvoices?: unknown[] }).holdinvoices ?? []) readHoldInvoice(row);
}

/** simnet's error for `request` must be the fixture's: code, words and data. */
async function checkError(name: string, client: CommandoClient, params?: unknown): Promise<void> {
  const fx = holdFixture(name);
  await assert.rejects(client.request(fx.request.method, params ?? fx.request.params), (e: any) => {
    assert.deepEqual({ code: e.code, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}) }, fx.error, name);
    return true;
  });
}

describe('simnet: hold plugin replies in the plugin’s shapes', () => {
  test('holdinvoice, settleholdinvoice and cancelholdinvoice', async () => {
    const { hash } = newPreimage();
    const request = holdFixture('holdinvoice.json').request;
    sameShape(
      await shop.request('holdinvoice', { ...request.params, payment_hash: hash }),
      holdFixture('holdinvoice.json').response,
      'holdinvoice',
    );
    const accepted = await acceptedInvoice();
    sameShape(
      await shop.request('settleholdinvoice', { preimage: accepted.preimage }),
      holdFixture('settleholdinvoice.json').response,
      'settle',
    );
    sameShape(await shop.request('cancelholdinvoice', { payment_hash: hash }), holdFixture('cancelholdinvoice.json').response, 'cancel');
  });

  test('listholdinvoices: unknown, unpaid, accepted, paid, cancelled', async () => {
    check(
      'listholdinvoices-unknown.json',
      await shop.request('listholdinvoices', holdFixture('listholdinvoices-unknown.json').request.params),
    );
    const { hash } = newPreimage();
    await shop.request('holdinvoice', { payment_hash: hash, amount: 1_000_000 });
    check('listholdinvoices-unpaid.json', await list(hash));

    const paid = await acceptedInvoice();
    check('listholdinvoices-accepted.json', await list(paid.hash));
    await shop.request('settleholdinvoice', { preimage: paid.preimage });
    check('listholdinvoices-paid.json', await list(paid.hash));

    const cancelled = await acceptedInvoice();
    await shop.request('cancelholdinvoice', { payment_hash: cancelled.hash });
    const reply = await list(cancelled.hash);
    check('listholdinvoices-cancelled.json', reply);
    assert.deepEqual(
      reply.holdinvoices[0].htlcs.map((x: any) => x.state),
      ['cancelled', 'cancelled', 'cancelled'],
    );
  });

  test('the plugin’s errors, word for word', async () => {
    await checkError('settleholdinvoice-not-found.json', shop);
    await checkError('cancelholdinvoice-not-found.json', shop);
    await checkError('holdinvoice-missing-amount.json', shop);
    await checkError('listholdinvoices-both-filters.json', shop);

    const fresh = newPreimage();
    await shop.request('holdinvoice', { payment_hash: fresh.hash, amount: 1_000_000 });
    await checkError('settleholdinvoice-no-htlcs.json', shop, { preimage: fresh.preimage });
    await checkError('holdinvoice-duplicate.json', shop, { payment_hash: fresh.hash, amount: 1_000_000 });

    const partial = newPreimage();
    const { bolt11 } = await shop.request('holdinvoice', { payment_hash: partial.hash, amount: 1_000_000 });
    await pay(bolt11, 'alice', 400_000, 1);
    await until(partial.hash, 1, 'accepted');
    await checkError('settleholdinvoice-unpaid-with-parts.json', shop, { preimage: partial.preimage });

    const paid = await acceptedInvoice();
    await shop.request('settleholdinvoice', { preimage: paid.preimage });
    await checkError('cancelholdinvoice-paid.json', shop, { payment_hash: paid.hash });
  });

  test('without the plugin: lightningd’s unknown-command answer', async () => {
    const bare = await harness({ seed: 14, holdPlugin: false });
    try {
      await checkError('holdinvoice-no-plugin.json', await bare.client('shop'));
    } finally {
      await bare.stop();
    }
  });
});
