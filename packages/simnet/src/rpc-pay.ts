/**
 * Core Lightning's paying methods: sendpay, waitsendpay, listsendpays, listpays and pay,
 * in v25.12's shapes and error codes (cln-fixtures/sendpay-*.json, waitsendpay-*.json,
 * listsendpays-*.json, listpays-mpp.json, pay-mpp.json).
 */
import { RpcError, decodeBolt11 } from '@ampkit/wire';
import type { FullNode } from './full-node.ts';
import type { RouteHop } from './network.ts';
import {
  badParam,
  msat,
  nodeId,
  number,
  oneOf,
  opt,
  parseParams,
  req,
  scid,
  secret,
  sha256,
  string,
  u32,
  u64,
  type ParamType,
} from './params.ts';
import { failureError, partRecord, type SendpayPart } from './payments.ts';
import { planParts, toRoute } from './routing.ts';
import type { Method } from './rpc-info.ts';

/** One route hop: each field is checked with its own name, as Core Lightning reports it. */
function parseRoute(method: string, value: unknown): RouteHop[] {
  if (!Array.isArray(value)) throw badParam(method, 'route', 'should be an array', value);
  if (value.length === 0) throw new RpcError(method, -32602, 'Empty route');
  return value.map((hop) => {
    if (!hop || typeof hop !== 'object' || Array.isArray(hop)) throw badParam(method, 'route', 'should be an array of objects', value);
    const h = hop as Record<string, unknown>;
    const field = <T>(name: string, type: ParamType<T>): T => {
      if (h[name] === undefined) throw new RpcError(method, -32602, `missing required parameter: ${name}`);
      const r = type(h[name]);
      if (!r.ok) throw badParam(method, name, r.should, h[name]);
      return r.value;
    };
    return {
      id: field('id', nodeId),
      channel: field('channel', scid),
      amount_msat: field('amount_msat', msat),
      delay: field('delay', u32),
    };
  });
}

/** listsendpays and listpays take the same filters. */
const LIST_PARAMS = [
  opt('bolt11', string),
  opt('payment_hash', sha256),
  opt('status', oneOf('pending', 'complete', 'failed')),
  opt('index', oneOf('created', 'updated')),
  opt('start', u64),
  opt('limit', u32),
] as const;

const anything: ParamType<unknown> = (v) => ({ ok: true, value: v });

function waitFor<T>(node: FullNode, timeoutMs: number, check: () => T | undefined): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  return (async () => {
    for (;;) {
      const found = check();
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await node.sendpays.changed(left);
    }
  })();
}

function payRecord(parts: SendpayPart[]): Record<string, unknown> {
  const first = parts[0]!;
  const complete = parts.filter((p) => p.status === 'complete');
  const status = complete.length ? 'complete' : parts.some((p) => p.status === 'pending') ? 'pending' : 'failed';
  const counted = status === 'complete' ? complete : status === 'pending' ? parts.filter((p) => p.status === 'pending') : [];
  const last = parts.reduce((a, p) => Math.max(a, p.updated_index ?? 0), 0);
  return {
    ...(first.bolt11 ? { bolt11: first.bolt11 } : {}),
    destination: first.destination,
    payment_hash: first.payment_hash,
    status,
    created_at: first.created_at,
    ...(status === 'complete' ? { completed_at: Math.max(...complete.map((p) => p.completed_at ?? 0)) } : {}),
    ...(first.label !== undefined ? { label: first.label } : {}),
    ...(status === 'complete' ? { preimage: complete[0]!.payment_preimage } : {}),
    amount_msat: first.total_msat,
    ...(counted.length ? { amount_sent_msat: counted.reduce((s, p) => s + p.amount_sent_msat, 0) } : {}),
    ...(status === 'complete' ? { number_of_parts: complete.length } : {}),
    created_index: first.created_index,
    ...(last ? { updated_index: last } : {}),
  };
}

export const payMethods: Record<string, Method> = {
  sendpay(node, params) {
    const p = parseParams('sendpay', params, [
      req('route', anything),
      req('payment_hash', sha256),
      opt('label', string),
      opt('amount_msat', msat),
      opt('bolt11', string),
      opt('payment_secret', secret),
      opt('partid', u64),
      opt('localinvreqid', sha256),
      opt('groupid', u64),
      opt('payment_metadata', string),
      opt('description', string),
    ]);
    const route = parseRoute('sendpay', p.route);
    const final = route[route.length - 1]!.amount_msat;
    const partid = p.partid ?? 0;
    if (partid && p.amount_msat === undefined) throw new RpcError('sendpay', -32602, 'Must specify msatoshi with partid');
    if (partid && !p.payment_secret) throw new RpcError('sendpay', -32602, 'partid requires payment_secret');
    const total = p.amount_msat ?? final;
    if (final > total) throw new RpcError('sendpay', -32602, `Final amount ${final}msat is greater than ${total}msat, despite MPP`);
    if (!partid && total !== final)
      throw new RpcError('sendpay', -32602, `msatoshi ${total}msat must equal the final amount ${final}msat without partid`);
    const groupid = p.groupid ?? node.sendpays.latestGroup(p.payment_hash) ?? 1;
    const part = node.sendpays.send({
      route,
      payment_hash: p.payment_hash,
      total_msat: total,
      partid,
      groupid,
      ...(p.payment_secret ? { payment_secret: p.payment_secret } : {}),
      ...(p.label !== undefined ? { label: p.label } : {}),
      ...(p.bolt11 !== undefined ? { bolt11: p.bolt11 } : {}),
      ...(p.description !== undefined ? { description: p.description } : {}),
    });
    return { message: 'Monitor status with listpays or waitsendpay', ...partRecord(part) };
  },

  async waitsendpay(node, params) {
    const p = parseParams('waitsendpay', params, [
      req('payment_hash', sha256),
      opt('timeout', u32),
      opt('partid', u64),
      opt('groupid', u64),
    ]);
    const partid = p.partid ?? 0;
    const groupid = p.groupid ?? node.sendpays.latestGroup(p.payment_hash);
    const part = groupid === undefined ? undefined : node.sendpays.find(p.payment_hash, groupid, partid);
    if (!part) throw new RpcError('waitsendpay', 208, `Never attempted payment part ${partid} for '${p.payment_hash}'`);
    const done = await waitFor(node, p.timeout === undefined ? 2 ** 31 - 1 : p.timeout * 1000, () =>
      part.status === 'pending' ? undefined : part,
    );
    if (!done) throw new RpcError('waitsendpay', 200, 'Timed out while waiting');
    if (done.status === 'failed') throw failureError('waitsendpay', done, done.failure!);
    return partRecord(done);
  },

  listsendpays(node, params) {
    const p = parseParams('listsendpays', params, LIST_PARAMS);
    const hash = p.bolt11 ? bolt11Hash('listsendpays', p.bolt11) : p.payment_hash;
    let parts = node.sendpays.parts.filter((x) => (!hash || x.payment_hash === hash) && (!p.status || x.status === p.status));
    if (p.index === 'updated')
      parts = parts.filter((x) => x.updated_index !== undefined).sort((a, b) => a.updated_index! - b.updated_index!);
    if (p.start !== undefined) parts = parts.filter((x) => (p.index === 'updated' ? x.updated_index! : x.created_index) >= p.start!);
    if (p.limit !== undefined) parts = parts.slice(0, p.limit);
    return { payments: parts.map((x) => partRecord(x)) };
  },

  listpays(node, params) {
    const p = parseParams('listpays', params, LIST_PARAMS);
    const hash = p.bolt11 ? bolt11Hash('listpays', p.bolt11) : p.payment_hash;
    const groups = new Map<string, SendpayPart[]>();
    for (const part of node.sendpays.parts) {
      if (hash && part.payment_hash !== hash) continue;
      const key = `${part.payment_hash}/${part.groupid}`;
      groups.set(key, [...(groups.get(key) ?? []), part]);
    }
    let pays = [...groups.values()].map(payRecord);
    if (p.status) pays = pays.filter((x) => x.status === p.status);
    if (p.limit !== undefined) pays = pays.slice(0, p.limit);
    return { pays };
  },

  async pay(node, params) {
    const p = parseParams('pay', params, [
      req('bolt11', string),
      opt('amount_msat', msat),
      opt('label', string),
      opt('riskfactor', number),
      opt('maxfeepercent', number),
      opt('retry_for', u32),
      opt('maxdelay', u32),
      opt('exemptfee', msat),
      opt('localinvreqid', sha256),
      opt('exclude', anything),
      opt('maxfee', msat),
      opt('description', string),
      opt('partial_msat', msat),
    ]);
    let invoice;
    try {
      invoice = decodeBolt11(p.bolt11);
    } catch (error) {
      throw new RpcError('pay', -32602, `Invalid bolt11: ${(error as Error).message}`);
    }
    if (invoice.amount_msat !== undefined && p.amount_msat !== undefined)
      throw new RpcError('pay', -32602, 'amount_msat parameter unnecessary');
    const amount = invoice.amount_msat ?? p.amount_msat;
    if (amount === undefined) throw new RpcError('pay', -32602, 'amount_msat parameter required');
    if (node.network.seconds() >= invoice.created_at + invoice.expiry) throw new RpcError('pay', 207, 'Invoice expired');
    const target = node.network.nodes.get(invoice.payee);
    if (!target) throw new RpcError('pay', 205, `Unknown destination ${invoice.payee}`);
    const started = node.network.now() / 1000;
    const already = node.sendpays.parts.find((x) => x.payment_hash === invoice.payment_hash && x.status === 'complete');
    if (already) {
      return {
        destination: invoice.payee,
        payment_hash: invoice.payment_hash,
        created_at: started,
        parts: 0,
        amount_msat: amount,
        amount_sent_msat: 0,
        payment_preimage: already.payment_preimage,
        status: 'complete',
      };
    }
    const maxfee = p.maxfee ?? Math.max(p.exemptfee ?? 5000, Math.floor((amount * (p.maxfeepercent ?? 0.5)) / 100));
    const deadline = Date.now() + (p.retry_for ?? 60) * 1000;
    const groupid = (node.sendpays.latestGroup(invoice.payment_hash) ?? 0) + 1;
    let partid = 0;
    let attempts = 0;
    const mine: SendpayPart[] = [];
    const delivered = () => mine.filter((x) => x.status !== 'failed').reduce((s, x) => s + x.amount_msat, 0);
    for (;;) {
      let localFailure = false;
      const missing = amount - delivered();
      if (missing > 0) {
        const plan = planParts(node.network, node.node, target, missing, invoice.min_final_cltv_expiry + 1);
        const fees = plan?.reduce((s, path) => s + path[0]!.amount_msat - path[path.length - 1]!.amount_msat, 0) ?? 0;
        const spent = mine.filter((x) => x.status !== 'failed').reduce((s, x) => s + x.amount_sent_msat - x.amount_msat, 0);
        if (plan && spent + fees <= maxfee) {
          for (const path of plan) {
            attempts++;
            try {
              mine.push(
                node.sendpays.send({
                  route: toRoute(path),
                  payment_hash: invoice.payment_hash,
                  total_msat: amount,
                  payment_secret: invoice.payment_secret!,
                  partid: ++partid,
                  groupid,
                  bolt11: p.bolt11,
                  ...(p.label !== undefined ? { label: p.label } : {}),
                  ...(p.description !== undefined ? { description: p.description } : {}),
                }),
              );
            } catch {
              // The node refused the part before recording it (its first peer not ready): plan again soon.
              localFailure = true;
            }
          }
        } else if (!mine.some((x) => x.status === 'pending')) {
          throw new RpcError(
            'pay',
            210,
            `Ran out of routes to try after ${attempts} attempt${attempts === 1 ? '' : 's'}: see \`paystatus\``,
          );
        }
      }
      // The destination refusing for good (a final-hop PERM failure other than mpp_timeout) ends the payment.
      const refused = mine.find(
        (x) => x.failure && !x.failure.local && x.failure.erring_index === x.route.length && (x.failure.failcode & 0x4000) !== 0,
      );
      if (refused && !mine.some((x) => x.status === 'complete')) {
        throw new RpcError('pay', 203, `Destination said it doesn't know invoice: ${refused.failure!.failname}`);
      }
      const complete = mine.find((x) => x.status === 'complete');
      if (complete && !mine.some((x) => x.status === 'pending')) {
        const done = mine.filter((x) => x.status === 'complete');
        return {
          destination: invoice.payee,
          payment_hash: invoice.payment_hash,
          created_at: started,
          parts: attempts,
          amount_msat: amount,
          amount_sent_msat: done.reduce((s, x) => s + x.amount_sent_msat, 0),
          payment_preimage: complete.payment_preimage,
          status: 'complete',
        };
      }
      const left = deadline - Date.now();
      if (left <= 0 && !mine.some((x) => x.status === 'pending')) {
        throw new RpcError('pay', 210, `Ran out of routes to try after ${attempts} attempt${attempts === 1 ? '' : 's'}: see \`paystatus\``);
      }
      // Wait for any part to resolve before planning again.
      await node.sendpays.changed(localFailure ? 50 : Math.max(left, 50));
      if (delivered() >= amount && mine.some((x) => x.status === 'pending')) {
        while (mine.some((x) => x.status === 'pending')) await node.sendpays.changed(1000);
      }
    }
  },
};

function bolt11Hash(method: string, bolt11: string): string {
  try {
    return decodeBolt11(bolt11).payment_hash;
  } catch {
    throw badParam(method, 'bolt11', 'should be a bolt11 string', bolt11);
  }
}
