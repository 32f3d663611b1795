/**
 * Core Lightning's receiving methods (invoice, listinvoices, waitinvoice, waitanyinvoice,
 * delinvoice), in v25.12's shapes (cln-fixtures/invoice*.json, listinvoices-*.json), and
 * the hold plugin's (rpc-hold.ts), which a node answers when it runs the plugin.
 */
import { RpcError, encodeBolt11 } from '@ampkit/wire';
import type { FullNode } from './full-node.ts';
import { hashOfPreimage, type Invoice } from './invoices.ts';
import { msatOrAny, oneOf, opt, parseParams, req, secret, sha256, string, u32, u64, bool, stringOrArray } from './params.ts';
import { holdMethods } from './rpc-hold.ts';
import type { Method } from './rpc-info.ts';

/** Invoice features of a v25.12 node: var_onion_optin, payment_secret, basic_mpp (optional), bit 25. */
const INVOICE_FEATURES = [8, 14, 17, 25];
const DEFAULT_EXPIRY = 604_800;
const DEFAULT_CLTV = 18;

function invoiceRecord(node: FullNode, inv: Invoice): Record<string, unknown> {
  const status = node.invoices.status(inv);
  return {
    label: inv.label,
    bolt11: inv.bolt11,
    payment_hash: inv.payment_hash,
    ...(inv.amount_msat !== undefined ? { amount_msat: inv.amount_msat } : {}),
    status,
    ...(status === 'paid'
      ? { pay_index: inv.pay_index, amount_received_msat: inv.amount_received_msat, paid_at: inv.paid_at, payment_preimage: inv.preimage }
      : {}),
    description: inv.description,
    expires_at: inv.expires_at,
    created_index: inv.created_index,
    ...(inv.updated_index !== undefined ? { updated_index: inv.updated_index } : {}),
  };
}

/** The largest amount one incoming channel could take, and the sum of all of them. */
function receivable(node: FullNode): { max: number; total: number } {
  let max = 0;
  let total = 0;
  for (const c of node.node.channels) {
    const r = c.spendable((1 - c.side(node.node)) as 0 | 1);
    max = Math.max(max, r);
    total += r;
  }
  return { max, total };
}

function makeInvoice(
  node: FullNode,
  method: string,
  o: { amount?: number; label: string; description: string; expiry?: number; preimage?: string; cltv?: number },
): Invoice {
  if (node.invoices.byLabel.has(o.label)) throw new RpcError(method, 900, `Duplicate label '${o.label}'`);
  const preimage = o.preimage ?? node.nextPreimage();
  const payment_hash = hashOfPreimage(preimage);
  if (node.invoices.byHash.has(payment_hash)) {
    throw new RpcError(method, o.preimage ? 901 : 900, o.preimage ? 'preimage already used' : `payment_hash already used`);
  }
  const created_at = node.network.seconds();
  const expiry = o.expiry ?? DEFAULT_EXPIRY;
  const cltv = o.cltv ?? DEFAULT_CLTV;
  const payment_secret = node.nextSecret();
  const bolt11 = encodeBolt11(
    {
      currency: node.currency,
      ...(o.amount !== undefined ? { amount_msat: o.amount } : {}),
      created_at,
      payment_hash,
      payment_secret,
      description: o.description,
      expiry,
      min_final_cltv_expiry: cltv,
      features: INVOICE_FEATURES,
    },
    node.privateKey,
  );
  const invoice: Invoice = {
    label: o.label,
    bolt11,
    payment_hash,
    ...(o.amount !== undefined ? { amount_msat: o.amount } : {}),
    description: o.description,
    expires_at: created_at + expiry,
    created_index: node.invoices.nextCreatedIndex(),
    payment_secret,
    preimage,
    min_final_cltv_expiry: cltv,
    paid: false,
  };
  node.invoices.add(invoice);
  return invoice;
}

function warnings(node: FullNode, amount: number | undefined): Record<string, string> {
  if (amount === undefined) return {};
  const r = receivable(node);
  if (r.total < amount) return { warning_capacity: 'Insufficient incoming channel capacity to pay invoice' };
  if (r.max < amount) return { warning_mpp: 'The invoice is only payable by MPP-capable payers.' };
  return {};
}

export const invoiceMethods: Record<string, Method> = {
  invoice(node, params) {
    const p = parseParams('invoice', params, [
      req('amount_msat', msatOrAny),
      req('label', string),
      req('description', string),
      opt('expiry', u64),
      opt('fallbacks', stringOrArray),
      opt('preimage', secret),
      opt('exposeprivatechannels', bool),
      opt('cltv', u32),
      opt('deschashonly', bool),
    ]);
    const amount = p.amount_msat === 'any' ? undefined : p.amount_msat;
    if (amount === 0) throw new RpcError('invoice', -32602, "amount_msat: should be positive msat or 'any': invalid token '0'");
    const inv = makeInvoice(node, 'invoice', {
      label: p.label,
      description: p.description,
      ...(amount !== undefined ? { amount } : {}),
      ...(p.expiry !== undefined ? { expiry: p.expiry } : {}),
      ...(p.preimage ? { preimage: p.preimage } : {}),
      ...(p.cltv !== undefined ? { cltv: p.cltv } : {}),
    });
    return {
      payment_hash: inv.payment_hash,
      expires_at: inv.expires_at,
      bolt11: inv.bolt11,
      payment_secret: inv.payment_secret,
      created_index: inv.created_index,
      ...warnings(node, amount),
    };
  },

  listinvoices(node, params) {
    const p = parseParams('listinvoices', params, [
      opt('label', string),
      opt('invstring', string),
      opt('payment_hash', sha256),
      opt('offer_id', string),
      opt('index', oneOf('created', 'updated')),
      opt('start', u64),
      opt('limit', u32),
    ]);
    let list = [...node.invoices.byLabel.values()];
    if (p.label !== undefined) list = list.filter((i) => i.label === p.label);
    if (p.invstring !== undefined) list = list.filter((i) => i.bolt11 === p.invstring);
    if (p.payment_hash !== undefined) list = list.filter((i) => i.payment_hash === p.payment_hash);
    if (p.index === 'updated') list = list.filter((i) => i.updated_index !== undefined).sort((a, b) => a.updated_index! - b.updated_index!);
    if (p.start !== undefined) list = list.filter((i) => (p.index === 'updated' ? i.updated_index! : i.created_index) >= p.start!);
    if (p.limit !== undefined) list = list.slice(0, p.limit);
    return { invoices: list.map((i) => invoiceRecord(node, i)) };
  },

  async waitinvoice(node, params) {
    const p = parseParams('waitinvoice', params, [req('label', string)]);
    for (;;) {
      const inv = node.invoices.byLabel.get(p.label);
      if (!inv) throw new RpcError('waitinvoice', -1, 'Unknown invoice');
      const status = node.invoices.status(inv);
      if (status === 'paid') return invoiceRecord(node, inv);
      if (status === 'expired') throw new RpcError('waitinvoice', 903, 'invoice expired during wait', invoiceRecord(node, inv));
      await node.invoices.changed(Math.max(1, inv.expires_at * 1000 - node.network.now()));
    }
  },

  async waitanyinvoice(node, params) {
    const p = parseParams('waitanyinvoice', params, [opt('lastpay_index', u64), opt('timeout', u64)]);
    const after = p.lastpay_index ?? 0;
    const deadline = p.timeout === undefined ? Infinity : Date.now() + p.timeout * 1000;
    for (;;) {
      const next = [...node.invoices.byLabel.values()]
        .filter((i) => i.paid && i.pay_index! > after)
        .sort((a, b) => a.pay_index! - b.pay_index!)[0];
      if (next) return invoiceRecord(node, next);
      const left = deadline - Date.now();
      if (left <= 0) throw new RpcError('waitanyinvoice', 904, 'Timed out');
      await node.invoices.changed(Number.isFinite(left) ? left : undefined);
    }
  },

  delinvoice(node, params) {
    const p = parseParams('delinvoice', params, [
      req('label', string),
      req('status', oneOf('paid', 'expired', 'unpaid')),
      opt('desconly', bool),
    ]);
    const inv = node.invoices.byLabel.get(p.label);
    if (!inv) throw new RpcError('delinvoice', 905, 'Unknown invoice');
    const status = node.invoices.status(inv);
    if (status !== p.status) throw new RpcError('delinvoice', 906, `Invoice status is ${status} not ${p.status}`, invoiceRecord(node, inv));
    const record = invoiceRecord(node, inv);
    if (p.desconly) {
      inv.description = '';
      return invoiceRecord(node, inv);
    }
    node.invoices.delete(inv);
    return record;
  },

  ...holdMethods,
};
