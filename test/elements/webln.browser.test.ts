/** The WebLN provider over a scripted client. */
import { assert } from 'chai';
import { AmpkitError } from '@ampkit/worker';
import { AmpkitWebLN, createWebLNProvider, installWebLN } from '@ampkit/elements';
import { BOLT11, FakeClient, PAYEE, invoiceRecord, nodeInfo, payResult, sentPart } from './fake-client.ts';

const rejection = async (promise: Promise<unknown>): Promise<Error> => {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
};

describe('WebLN provider', () => {
  it('enable() resolves while the client is open and rejects once it is closed', async () => {
    const client = new FakeClient();
    const webln = createWebLNProvider(client);
    assert.instanceOf(webln, AmpkitWebLN);
    await webln.enable();
    await client.close();
    assert.match((await rejection(webln.enable())).message, /closed/);
  });

  it('getInfo() maps getinfo to { node: { alias, pubkey, color } }', async () => {
    const client = new FakeClient();
    client.handlers.getinfo = () => nodeInfo();
    assert.deepEqual(await createWebLNProvider(client).getInfo(), { node: { alias: 'wallet', pubkey: PAYEE, color: '3399ff' } });
  });

  it('sendPayment() pays through client.pay and resolves with the preimage', async () => {
    const client = new FakeClient();
    client.handlers.pay = () => payResult([sentPart(1, 3_000_000, 'complete')], 'complete');
    assert.deepEqual(await createWebLNProvider(client).sendPayment(` ${BOLT11} `), { preimage: '9e'.repeat(32) });
    assert.deepEqual(client.calls[0]!.input, { bolt11: BOLT11 });
  });

  it('sendPayment() rejects with a clear Error when the payment fails or cannot be made', async () => {
    const client = new FakeClient();
    client.handlers.pay = () => payResult([sentPart(1, 3_000_000, 'failed')], 'failed');
    const webln = createWebLNProvider(client);
    const failed = await rejection(webln.sendPayment(BOLT11));
    assert.instanceOf(failed, Error);
    assert.equal(failed.message, 'webln: the payment failed: no route left within the fee budget');
    client.handlers.pay = () => {
      throw new AmpkitError('INVALID_ARGUMENT', 'the invoice expired at 1');
    };
    assert.equal((await rejection(webln.sendPayment(BOLT11))).message, 'webln: the payment could not be made: the invoice expired at 1');
    assert.match((await rejection(webln.sendPayment(''))).message, /needs a BOLT 11/);
  });

  it('makeInvoice() takes sat (amount, defaultAmount, a bare number or string) and gives { paymentRequest }', async () => {
    const client = new FakeClient();
    client.handlers.invoice = () => invoiceRecord();
    const webln = createWebLNProvider(client);
    assert.deepEqual(await webln.makeInvoice({ amount: 21, defaultMemo: 'tip' }), { paymentRequest: BOLT11 });
    await webln.makeInvoice({ defaultAmount: '1000' });
    await webln.makeInvoice(5);
    await webln.makeInvoice('0.5');
    assert.deepEqual(
      client.calls.map((c) => c.input),
      [
        { amount_msat: 21_000, description: 'tip' },
        { amount_msat: 1_000_000, description: '' },
        { amount_msat: 5_000, description: '' },
        { amount_msat: 500, description: '' },
      ],
    );
    assert.match((await rejection(webln.makeInvoice({}))).message, /needs an amount/);
    assert.match((await rejection(webln.makeInvoice({ amount: -1 }))).message, /positive number of sat/);
    assert.match((await rejection(webln.makeInvoice({ amount: 5, minimumAmount: 10 }))).message, /below minimumAmount/);
  });

  it('installWebLN() sets window.webln only when there is none, and says webln:ready', () => {
    const target = new EventTarget() as EventTarget & { webln?: unknown };
    let ready = 0;
    target.addEventListener('webln:ready', () => ready++);
    const ours = createWebLNProvider(new FakeClient());
    assert.isTrue(installWebLN(ours, target));
    assert.equal(target.webln, ours);
    assert.isFalse(installWebLN(createWebLNProvider(new FakeClient()), target), 'an existing provider wins');
    assert.equal(target.webln, ours);
    assert.equal(ready, 1);
    const saved = (window as { webln?: unknown }).webln;
    delete (window as { webln?: unknown }).webln;
    try {
      assert.isTrue(installWebLN(ours));
      assert.equal((window as { webln?: unknown }).webln, ours);
    } finally {
      (window as { webln?: unknown }).webln = saved;
    }
  });
});
