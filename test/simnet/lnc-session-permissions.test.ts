/**
 * simnet's LNC sessions with restricted permissions (`lncSession(alias, { permissions })`,
 * lnd/permissions.ts), through the real LNC path: a call passes with the method's
 * `entity:action` or its `uri:` permission, and is refused otherwise as lnd refuses it (code 2,
 * `permission denied`, before the handler runs); a session without `permissions` may call
 * everything; a malformed permission is refused when the session is made.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encodeLnd, GrpcError, lndMethods as m, type LncClient } from '@ampkit/wire/lnc';
import { LND_METHOD_PERMISSIONS } from '../../packages/simnet/src/index.ts';
import { harness, type Harness } from './harness.ts';
import { pairLnc } from './lnd-harness.ts';

const denied = (e: unknown) => e instanceof GrpcError && e.code === 2 && e.message === 'permission denied';

describe('simnet LNC sessions with a macaroon of restricted permissions', () => {
  let h: Harness;
  const clients: LncClient[] = [];
  before(async () => {
    h = await harness({ seed: 5, lnd: ['shop'] });
  });
  after(async () => {
    for (const c of clients) c.close();
    await h.stop();
  });

  async function pair(permissions?: string[]): Promise<LncClient> {
    const client = await pairLnc(h.simnet, 'shop', permissions);
    clients.push(client);
    return client;
  }

  const addInvoice = (c: LncClient) => c.unary(m.addInvoice.path, encodeLnd(m.addInvoice.input, { valueMsat: 21_000_000n, memo: 'beans' }));
  const addHoldInvoice = (c: LncClient) =>
    c.unary(m.addHoldInvoice.path, encodeLnd(m.addHoldInvoice.input, { hash: new Uint8Array(32).fill(7), valueMsat: 21_000_000n }));

  test("a checkout's session: plain invoices by their URI, reads by invoices:read; no hold invoice, no spending", async () => {
    const checkout = await pair(['info:read', 'invoices:read', 'uri:/lnrpc.Lightning/AddInvoice']);
    assert.ok((await addInvoice(checkout)).length > 0, 'AddInvoice, by its uri: permission');
    assert.ok((await checkout.unary(m.getInfo.path, new Uint8Array(0))).length > 0, 'GetInfo, by info:read');
    assert.ok((await checkout.unary(m.listInvoices.path, new Uint8Array(0))).length > 0, 'ListInvoices, by invoices:read');
    await assert.rejects(addHoldInvoice(checkout), denied, 'AddHoldInvoice needs invoices:write');
    await assert.rejects(checkout.unary(m.listPayments.path, new Uint8Array(0)), denied, 'ListPayments needs offchain:read');
    await assert.rejects(checkout.unary(m.listChannels.path, new Uint8Array(0)), denied, 'ListChannels needs offchain:read');
  });

  test('invoices:write allows both kinds of invoice; a session without permissions may call everything', async () => {
    const writer = await pair(['invoices:write']);
    assert.ok((await addInvoice(writer)).length > 0);
    assert.ok((await addHoldInvoice(writer)).length > 0);
    await assert.rejects(writer.unary(m.getInfo.path, new Uint8Array(0)), denied);
    const admin = await pair();
    assert.ok((await admin.unary(m.listPayments.path, new Uint8Array(0))).length >= 0);
    assert.ok((await admin.unary(m.getInfo.path, new Uint8Array(0))).length > 0);
  });

  test('every method the node serves has its permission; a malformed permission is refused up front', async () => {
    for (const method of Object.values(m)) assert.ok(LND_METHOD_PERMISSIONS[method.path], `${method.path} has a permission`);
    await assert.rejects(h.simnet.lncSession('shop', { permissions: ['invoices'] }), TypeError);
    await assert.rejects(h.simnet.lncSession('shop', { permissions: ['uri:AddInvoice'] }), TypeError);
  });
});
