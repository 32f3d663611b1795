/**
 * simnet's hold plugin behaves as BoltzExchange/hold v0.3.3 does (src/handler.rs,
 * src/settler.rs, src/database/model.rs, src/commands/*.rs): the invoice it makes, the
 * HTLCs it holds or refuses, its states and their transitions, its MPP timeout, its
 * parameters and its error words; and a node without it answers its methods as unknown.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CommandoClient } from '../../packages/wire/src/index.ts';
import { harness, newPreimage, twoHopRoute, type Harness } from './harness.ts';

let h: Harness;
let shop: CommandoClient;
let wallet: CommandoClient;
before(async () => {
  h = await harness({ seed: 9, mppTimeout: 0.5 });
  shop = await h.client('shop');
  wallet = await h.client('wallet');
});
after(() => h.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The plugin's error: always -32700, its words, `data: null`. */
const pluginError = (message: string) => ({ code: -32700, message, data: null });

async function holdRow(hash: string): Promise<any> {
  return (await shop.request('listholdinvoices', { payment_hash: hash })).holdinvoices[0];
}

/** One part from the wallet through `via`, with the final CLTV the hold invoice asks for (80) unless told. */
async function pay(
  bolt11: string,
  via: string,
  amount: number,
  partid: number,
  options: { finalCltv?: number; secret?: string; total?: number } = {},
): Promise<void> {
  const d = await wallet.request('decode', [bolt11]);
  await wallet.request('sendpay', {
    route: twoHopRoute(h.simnet, 'wallet', via, 'shop', amount, options.finalCltv ?? d.min_final_cltv_expiry),
    payment_hash: d.payment_hash,
    payment_secret: options.secret ?? d.payment_secret,
    amount_msat: options.total ?? d.amount_msat,
    partid,
    groupid: 1,
  });
}

/** The payer's end of one part: `complete` with the preimage, or the failure's code. */
async function outcome(hash: string, partid: number): Promise<{ preimage?: string; failcode?: number }> {
  try {
    return { preimage: (await wallet.request('waitsendpay', { payment_hash: hash, partid, groupid: 1, timeout: 10 })).payment_preimage };
  } catch (error) {
    return { failcode: (error as { data: { failcode: number } }).data.failcode };
  }
}

/** Waits until the plugin has recorded `n` HTLC rows for the hash. */
async function rows(hash: string, n: number): Promise<any> {
  for (let i = 0; i < 200; i++) {
    const row = await holdRow(hash);
    if (row.htlcs.length >= n) return row;
    await sleep(10);
  }
  assert.fail(`no ${n} HTLC rows for ${hash}`);
}

describe('simnet: the hold plugin', () => {
  test('the invoice is the plugin’s: no description, 3600 s, final CLTV 80, signed by the node, not in listinvoices; description and expiry are ignored', async () => {
    const { hash } = newPreimage();
    const { bolt11 } = await shop.request('holdinvoice', { payment_hash: hash, amount: 20_000_000, description: 'ignored', expiry: 60 });
    const d = await wallet.request('decode', [bolt11]);
    assert.equal(d.payment_hash, hash);
    assert.equal(d.amount_msat, 20_000_000);
    assert.equal(d.description, '');
    assert.equal(d.expiry, 3600);
    assert.equal(d.min_final_cltv_expiry, 80);
    assert.equal(d.payee, h.simnet.node('shop').node.id);
    assert.deepEqual((await shop.request('listinvoices', { payment_hash: hash })).invoices, []);
    const row = await holdRow(hash);
    assert.deepEqual(
      { state: row.state, invoice: row.invoice, htlcs: row.htlcs, preimage: row.preimage },
      { state: 'unpaid', invoice: bolt11, htlcs: [], preimage: undefined },
    );
  });

  test('unpaid while the parts fall short, accepted once they reach the amount, held past the MPP timeout, paid on settle', async () => {
    const { preimage, hash } = newPreimage();
    const { bolt11 } = await shop.request('holdinvoice', { payment_hash: hash, amount: 20_000_000 });
    await pay(bolt11, 'alice', 10_000_000, 1);
    let row = await rows(hash, 1);
    assert.equal(row.state, 'unpaid');
    await pay(bolt11, 'bob', 10_000_000, 2);
    row = await rows(hash, 2);
    assert.equal(row.state, 'accepted');
    assert.deepEqual(
      row.htlcs.map((x: any) => [x.state, x.msat, x.invoice_id === row.id]),
      [
        ['accepted', 10_000_000, true],
        ['accepted', 10_000_000, true],
      ],
    );
    // `channel_id` is the HTLC's id in its channel: the same HTLC listhtlcs shows.
    const incoming = (await shop.request('listhtlcs', {})).htlcs.filter((x: any) => x.payment_hash === hash);
    assert.deepEqual(
      row.htlcs.map((x: any) => `${x.scid}/${x.channel_id}`).sort(),
      incoming.map((x: any) => `${x.short_channel_id}/${x.id}`).sort(),
    );
    // An accepted set waits for the preimage past the MPP timeout (0.5 s here).
    await sleep(800);
    await assert.rejects(wallet.request('waitsendpay', { payment_hash: hash, partid: 1, groupid: 1, timeout: 0 }), { code: 200 });
    await assert.rejects(shop.request('settleholdinvoice', { preimage: '00'.repeat(32) }), pluginError('invoice not found'));
    assert.deepEqual(await shop.request('settleholdinvoice', { preimage }), {});
    assert.equal((await outcome(hash, 1)).preimage, preimage);
    assert.equal((await outcome(hash, 2)).preimage, preimage);
    row = await holdRow(hash);
    assert.equal(row.state, 'paid');
    assert.equal(row.preimage, preimage);
    assert.match(row.settled_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$/);
    assert.deepEqual(
      row.htlcs.map((x: any) => x.state),
      ['paid', 'paid'],
    );
    // Idempotent settle; a paid invoice cannot be cancelled.
    assert.deepEqual(await shop.request('settleholdinvoice', [preimage]), {});
    await assert.rejects(
      shop.request('cancelholdinvoice', { payment_hash: hash }),
      pluginError('could not update invoice in database: state paid is final'),
    );
  });

  test('an incomplete set: each part leaves with mpp_timeout and its row is cancelled; the invoice stays unpaid and takes a new set', async () => {
    const { preimage, hash } = newPreimage();
    const { bolt11 } = await shop.request('holdinvoice', [hash, 30_000_000]);
    await assert.rejects(shop.request('settleholdinvoice', [preimage]), pluginError('no HTLCs to settle'));
    await pay(bolt11, 'carol', 10_000_000, 1);
    assert.equal((await outcome(hash, 1)).failcode, 23);
    let row = await holdRow(hash);
    assert.deepEqual([row.state, row.htlcs.map((x: any) => x.state)], ['unpaid', ['cancelled']]);
    await pay(bolt11, 'dave', 30_000_000, 2);
    row = await rows(hash, 2);
    assert.deepEqual([row.state, row.htlcs.map((x: any) => x.state)], ['accepted', ['cancelled', 'accepted']]);
    assert.deepEqual(await shop.request('settleholdinvoice', [preimage]), {});
    row = await holdRow(hash);
    // Only the held part is paid; the timed-out one stays cancelled.
    assert.deepEqual([row.state, row.htlcs.map((x: any) => x.state)], ['paid', ['cancelled', 'paid']]);
  });

  test('cancel fails the held parts back, cancels every row, is idempotent; the cancelled invoice refuses parts and settles', async () => {
    const { preimage, hash } = newPreimage();
    const { bolt11 } = await shop.request('holdinvoice', { payment_hash: hash, amount: 30_000_000 });
    await pay(bolt11, 'dave', 30_000_000, 1);
    assert.equal((await rows(hash, 1)).state, 'accepted');
    assert.deepEqual(await shop.request('cancelholdinvoice', [hash]), {});
    // incorrect_or_unknown_payment_details (0x400F), the plugin's bare code.
    assert.equal((await outcome(hash, 1)).failcode, 0x400f);
    assert.deepEqual(await shop.request('cancelholdinvoice', { payment_hash: hash }), {});
    await assert.rejects(shop.request('settleholdinvoice', [preimage]), pluginError('no HTLCs to settle'));
    await pay(bolt11, 'alice', 30_000_000, 2);
    assert.equal((await outcome(hash, 2)).failcode, 0x400f);
    const row = await holdRow(hash);
    assert.deepEqual([row.state, row.htlcs.map((x: any) => x.state)], ['cancelled', ['cancelled', 'cancelled']]);
    await assert.rejects(shop.request('holdinvoice', [hash, 1000]), pluginError('UNIQUE constraint failed: invoices.payment_hash'));
    await assert.rejects(shop.request('cancelholdinvoice', ['00'.repeat(32)]), pluginError('invoice not found'));
  });

  test('settling an unpaid invoice releases the parts it holds and then fails: why the engine settles only accepted ones', async () => {
    const { preimage, hash } = newPreimage();
    const { bolt11 } = await shop.request('holdinvoice', [hash, 30_000_000]);
    await pay(bolt11, 'alice', 10_000_000, 1);
    await rows(hash, 1);
    await assert.rejects(shop.request('settleholdinvoice', [preimage]), pluginError('invoice state transition (unpaid -> paid)'));
    assert.equal((await outcome(hash, 1)).preimage, preimage);
    assert.equal((await holdRow(hash)).state, 'unpaid');
  });

  test('parts the plugin refuses, each recorded as a cancelled row: a final CLTV under 80, a wrong payment secret, more than twice the amount', async () => {
    const { hash } = newPreimage();
    const { bolt11 } = await shop.request('holdinvoice', [hash, 1_000_000]);
    await pay(bolt11, 'alice', 1_000_000, 1, { finalCltv: 79 });
    assert.equal((await outcome(hash, 1)).failcode, 18); // final_incorrect_cltv_expiry
    await pay(bolt11, 'alice', 1_000_000, 2, { secret: 'ff'.repeat(32) });
    assert.equal((await outcome(hash, 2)).failcode, 0x400f);
    await pay(bolt11, 'bob', 2_000_001, 3, { total: 2_000_001 });
    assert.equal((await outcome(hash, 3)).failcode, 0x400f);
    let row = await holdRow(hash);
    assert.deepEqual(
      [row.state, row.htlcs.map((x: any) => [x.state, x.msat])],
      [
        'unpaid',
        [
          ['cancelled', 1_000_000],
          ['cancelled', 1_000_000],
          ['cancelled', 2_000_001],
        ],
      ],
    );
    // Up to twice the amount is taken (the invoice's amount decides, not the onion's total).
    await pay(bolt11, 'bob', 1_500_000, 4, { total: 1_500_000 });
    row = await rows(hash, 4);
    assert.deepEqual([row.state, row.htlcs[3].state], ['accepted', 'accepted']);
    await shop.request('cancelholdinvoice', [hash]);
  });

  test('parameters by name (unknown keys ignored) or by position, and the plugin’s words for bad ones', async () => {
    const { hash } = newPreimage();
    const bad: [string, unknown[] | Record<string, unknown>, string][] = [
      ['holdinvoice', { payment_hash: hash, amount_msat: 1000 }, 'missing field `amount`'],
      ['holdinvoice', { payment_hash: 5, amount: 1000 }, 'invalid type: integer `5`, expected a string'],
      ['holdinvoice', { payment_hash: hash, amount: '1000' }, 'invalid type: string "1000", expected u64'],
      ['holdinvoice', { payment_hash: hash, amount: -1 }, 'invalid value: integer `-1`, expected u64'],
      ['holdinvoice', [hash], 'too few parameters'],
      ['holdinvoice', [hash, '1000'], 'could not parse request'],
      ['holdinvoice', ['abc', 1000], 'Odd number of digits'],
      ['holdinvoice', ['zz' + hash.slice(2), 1000], "Invalid character 'z' at position 0"],
      ['holdinvoice', [hash.slice(2), 1000], 'invalid slice length 31 (expected 32)'],
      ['settleholdinvoice', { payment_preimage: hash }, 'missing field `preimage`'],
      ['cancelholdinvoice', [], 'too few parameters'],
      ['listholdinvoices', { payment_hash: hash, invoice: 'lnbcrt1' }, 'too many parameters'],
    ];
    for (const [method, params, message] of bad) {
      await assert.rejects(shop.request(method, params), pluginError(message), `${method} ${JSON.stringify(params)}`);
    }
    const { bolt11 } = await shop.request('holdinvoice', { payment_hash: hash.toUpperCase(), amount: 1000, cltv: 9 });
    assert.equal((await holdRow(hash)).invoice, bolt11);
    assert.deepEqual(
      (await shop.request('listholdinvoices', { invoice: bolt11 })).holdinvoices.map((r: any) => r.payment_hash),
      [hash],
    );
    assert.deepEqual(
      (await shop.request('listholdinvoices', [null, bolt11])).holdinvoices.map((r: any) => r.payment_hash),
      [hash],
    );
    assert.deepEqual((await shop.request('listholdinvoices', { payment_hash: '00'.repeat(32) })).holdinvoices, []);
    // `bolt11`, the key of plugins before v0.3.0, is ignored like any unknown key: every invoice comes back.
    const all = (await shop.request('listholdinvoices', { bolt11 })).holdinvoices;
    assert.ok(all.length > 1);
    assert.deepEqual(
      all.map((r: any) => r.id),
      [...all.map((r: any) => r.id)].sort((a: number, b: number) => a - b),
    );
  });

  test('cleanholdinvoices deletes cancelled invoices; injectholdinvoice holds an invoice payable to the node', async () => {
    const { hash } = newPreimage();
    await shop.request('holdinvoice', [hash, 1000]);
    await shop.request('cancelholdinvoice', [hash]);
    assert.ok((await shop.request('cleanholdinvoices', {})).cleaned >= 1);
    assert.deepEqual((await shop.request('listholdinvoices', [hash])).holdinvoices, []);
    // A plain invoice of the shop's own, made elsewhere: payable to it, so it may be injected.
    const plain = (await shop.request('invoice', { amount_msat: 5000, label: `inject-${hash}`, description: 'x' })).bolt11;
    const foreign = (await wallet.request('invoice', { amount_msat: 5000, label: `inject-${hash}`, description: 'x' })).bolt11;
    await shop.request('delinvoice', { label: `inject-${hash}`, status: 'unpaid' });
    assert.deepEqual(await shop.request('injectholdinvoice', { invoice: plain, min_cltv: 20 }), {});
    const [row] = (await shop.request('listholdinvoices', { invoice: plain })).holdinvoices;
    assert.deepEqual([row.state, row.min_cltv], ['unpaid', 20]);
    await assert.rejects(shop.request('injectholdinvoice', [foreign]), pluginError('invoice is not related to us'));
  });
});

describe('simnet: a node without the hold plugin', () => {
  test('answers every hold method as lightningd answers an unknown one', async () => {
    const bare = await harness({ seed: 9, holdPlugin: false });
    try {
      const client = await bare.client('shop');
      for (const method of [
        'holdinvoice',
        'listholdinvoices',
        'settleholdinvoice',
        'cancelholdinvoice',
        'injectholdinvoice',
        'cleanholdinvoices',
      ]) {
        await assert.rejects(
          client.request(method, {}),
          (e: any) => e.code === -32601 && e.message === `Unknown command '${method}'` && e.data === undefined,
          method,
        );
      }
      assert.equal(
        (await client.request('invoice', { amount_msat: 1000, label: 'plain', description: 'x' })).bolt11.startsWith('lnbcrt'),
        true,
      );
    } finally {
      await bare.stop();
    }
  });
});
