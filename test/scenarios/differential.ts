/**
 * The differential check: one script of node calls (the methods the SDK uses, and the
 * errors it must tell apart) run against a network, each answer kept as it came. Run
 * against real Core Lightning it is recorded (test/fixtures/cln/differential.json); run
 * against simnet it is compared with the recording: every field simnet answers must exist
 * at the real node with the same JSON type, every field the SDK reads must be there, and
 * errors must have the same code and, numbers, hashes and ids aside, the same message.
 */
import { createHash } from 'node:crypto';
import { RpcError, decodeBolt11, type CommandoClient } from '../../packages/wire/src/index.ts';
import { clnSide } from './cln-side.ts';
import { twoHops } from './helpers.ts';
import { clientOf, type ClnTarget } from './target.ts';

/** One call's answer: the result, or the node's error. */
export type Outcome = { result: unknown } | { error: { code: number; message: string; data?: unknown } };

async function outcome(call: Promise<unknown>): Promise<Outcome> {
  try {
    return { result: await call };
  } catch (error) {
    if (error instanceof RpcError)
      return { error: { code: error.code, message: error.message, ...(error.data === undefined ? {} : { data: error.data }) } };
    throw error;
  }
}

/**
 * Fields the SDK reads (packages/core/src/node/cln.ts), per call: they must be present in
 * both answers, whatever else differs.
 */
export const READ_FIELDS: Record<string, string[]> = {
  getinfo: ['id', 'alias', 'color', 'network', 'blockheight'],
  listpeerchannels: [
    'channels[].peer_id',
    'channels[].short_channel_id',
    'channels[].state',
    'channels[].peer_connected',
    'channels[].spendable_msat',
    'channels[].total_msat',
    'channels[].minimum_htlc_out_msat',
    'channels[].maximum_htlc_out_msat',
  ],
  listchannels: [
    'channels[].source',
    'channels[].destination',
    'channels[].short_channel_id',
    'channels[].direction',
    'channels[].amount_msat',
    'channels[].active',
    'channels[].base_fee_millisatoshi',
    'channels[].fee_per_millionth',
    'channels[].delay',
    'channels[].htlc_minimum_msat',
    'channels[].htlc_maximum_msat',
    'channels[].last_update',
  ],
  listnodes: ['nodes[].nodeid'],
  invoice: ['payment_hash', 'bolt11', 'expires_at'],
  'listinvoices unpaid': [
    'invoices[].label',
    'invoices[].bolt11',
    'invoices[].payment_hash',
    'invoices[].status',
    'invoices[].expires_at',
    'invoices[].amount_msat',
  ],
  'sendpay first part': ['payment_hash', 'groupid', 'partid', 'status', 'amount_msat', 'amount_sent_msat'],
  'sendpay the same part again': ['payment_hash', 'groupid', 'partid', 'status', 'amount_msat', 'amount_sent_msat'],
  'listsendpays pending': [
    'payments[].payment_hash',
    'payments[].groupid',
    'payments[].partid',
    'payments[].status',
    'payments[].amount_msat',
    'payments[].amount_sent_msat',
  ],
  'listhtlcs at the payee': [
    'htlcs[].short_channel_id',
    'htlcs[].id',
    'htlcs[].expiry',
    'htlcs[].amount_msat',
    'htlcs[].direction',
    'htlcs[].payment_hash',
    'htlcs[].state',
    'htlcs[].created_index',
  ],
  'wait htlcs created': ['created'],
  'waitsendpay complete': ['payment_hash', 'groupid', 'partid', 'status', 'amount_msat', 'amount_sent_msat', 'payment_preimage'],
  'listinvoices paid': ['invoices[].status', 'invoices[].amount_received_msat', 'invoices[].paid_at', 'invoices[].payment_preimage'],
  getroutes: [
    'routes[].amount_msat',
    'routes[].final_cltv',
    'routes[].path[].short_channel_id_dir',
    'routes[].path[].next_node_id',
    'routes[].path[].amount_msat',
    'routes[].path[].delay',
  ],
};

/** Runs the script on `target` (alice pays dave); the answers by call name, in order. */
export async function runDifferential(target: ClnTarget): Promise<Record<string, Outcome>> {
  const out: Record<string, Outcome> = {};
  const alice = await clientOf(target, 'alice');
  const dave = await clientOf(target, 'dave');
  const stamp = `diff-${Date.now()}`;
  try {
    out.getinfo = await outcome(alice.request('getinfo'));
    out.listpeerchannels = await outcome(alice.request('listpeerchannels', {}));
    out.listchannels = await outcome(alice.request('listchannels', {}));
    out.listnodes = await outcome(alice.request('listnodes', {}));
    out['unknown method'] = await outcome(alice.request('frobnicate', {}));
    out['hold invoice without a plugin'] = await outcome(dave.request('holdinvoice', { payment_hash: '00'.repeat(32), amount: 1000 }));
    out['sendpay without a route'] = await outcome(alice.request('sendpay', { payment_hash: '00'.repeat(32) }));

    // An invoice of 30,000 sat paid in two parts of 15,000 over bob and carol.
    out.invoice = await outcome(dave.request('invoice', { amount_msat: 30_000_000, label: `${stamp}-a`, description: 'differential' }));
    const bolt11 = (out.invoice as { result: { bolt11: string } }).result.bolt11;
    const inv = decodeBolt11(bolt11);
    out['listinvoices unpaid'] = await outcome(dave.request('listinvoices', { label: `${stamp}-a` }));
    out.decode = await outcome(alice.request('decode', { string: bolt11 }));
    const part = async (via: 'bob' | 'carol', partid: number, extra: Record<string, unknown> = {}) =>
      alice.request('sendpay', {
        route: await twoHops(target, clnSide(alice), via, 15_000_000, inv.min_final_cltv_expiry),
        payment_hash: inv.payment_hash,
        payment_secret: inv.payment_secret,
        amount_msat: 30_000_000,
        partid,
        groupid: 1,
        ...extra,
      });
    out['sendpay first part'] = await outcome(part('bob', 1));
    out['sendpay the same part again'] = await outcome(part('bob', 1));
    out['listsendpays pending'] = await outcome(alice.request('listsendpays', { payment_hash: inv.payment_hash }));
    out['waitsendpay times out'] = await outcome(
      alice.request('waitsendpay', { payment_hash: inv.payment_hash, partid: 1, groupid: 1, timeout: 1 }),
    );
    await waitHeld(dave, inv.payment_hash);
    out['listhtlcs at the payee'] = await outcome(dave.request('listhtlcs', { index: 'created', start: 0 }));
    out['wait htlcs created'] = await outcome(dave.request('wait', { subsystem: 'htlcs', indexname: 'created', nextvalue: 1 }));
    out['listinvoices with a held part'] = await outcome(dave.request('listinvoices', { label: `${stamp}-a` }));
    out['sendpay second part'] = await outcome(part('carol', 2));
    out['waitsendpay complete'] = await outcome(
      alice.request('waitsendpay', { payment_hash: inv.payment_hash, partid: 2, groupid: 1, timeout: 60 }, { timeout: 90_000 }),
    );
    await outcome(
      alice.request('waitsendpay', { payment_hash: inv.payment_hash, partid: 1, groupid: 1, timeout: 60 }, { timeout: 90_000 }),
    );
    out['listsendpays complete'] = await outcome(alice.request('listsendpays', { payment_hash: inv.payment_hash }));
    out['listinvoices paid'] = await outcome(dave.request('listinvoices', { label: `${stamp}-a` }));
    out['waitinvoice paid'] = await outcome(dave.request('waitinvoice', { label: `${stamp}-a` }));
    out['invoice with a label in use'] = await outcome(
      dave.request('invoice', { amount_msat: 1000, label: `${stamp}-a`, description: 'again' }),
    );

    // A hash dave never issued: the part fails at dave; the same (groupid, partid) again is refused.
    const unknown = createHash('sha256').update(stamp).digest('hex');
    const stray = async () =>
      alice.request('sendpay', {
        route: await twoHops(target, clnSide(alice), 'bob', 5_000_000, 18),
        payment_hash: unknown,
        payment_secret: inv.payment_secret,
        amount_msat: 5_000_000,
        partid: 1,
        groupid: 1,
      });
    out['sendpay for an unknown hash'] = await outcome(stray());
    out['waitsendpay failed at the payee'] = await outcome(
      alice.request('waitsendpay', { payment_hash: unknown, partid: 1, groupid: 1, timeout: 60 }, { timeout: 90_000 }),
    );
    out['sendpay the failed part again'] = await outcome(stray());
    out['waitsendpay for a part never sent'] = await outcome(
      alice.request('waitsendpay', { payment_hash: unknown, partid: 9, groupid: 9, timeout: 1 }),
    );

    out.getroutes = await outcome(
      alice.request('getroutes', {
        source: target.nodes.alice.id,
        destination: target.nodes.dave.id,
        amount_msat: 1_200_000_000,
        layers: ['auto.localchans', 'auto.sourcefree'],
        maxfee_msat: 1_000_000,
        final_cltv: 18,
      }),
    );
    out['getroutes beyond capacity'] = await outcome(
      alice.request('getroutes', {
        source: target.nodes.alice.id,
        destination: target.nodes.dave.id,
        amount_msat: 5_000_000_000,
        layers: ['auto.localchans', 'auto.sourcefree'],
        maxfee_msat: 1_000_000,
        final_cltv: 18,
      }),
    );
    return out;
  } finally {
    alice.close();
    dave.close();
  }
}

async function waitHeld(client: CommandoClient, payment_hash: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { htlcs } = await client.request('listhtlcs', { index: 'created', start: 0 });
    if ((htlcs as { payment_hash: string }[]).some((h) => h.payment_hash === payment_hash)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the part never reached the payee');
}

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Where `sim`'s shape departs from `real`'s: fields real lacks, or of another type. */
function shapeDiff(real: unknown, sim: unknown, path: string, out: string[]): void {
  if (kind(real) !== kind(sim)) {
    out.push(`${path || '(top)'}: ${kind(sim)} at simnet, ${kind(real)} at the real node`);
    return;
  }
  if (Array.isArray(real) && Array.isArray(sim)) {
    // Every element of simnet's array must fit the shape of some real element (real's first when lengths differ).
    if (real.length && sim.length) for (const s of sim.slice(0, 5)) shapeDiff(real[0], s, `${path}[]`, out);
    return;
  }
  if (kind(real) === 'object') {
    const r = real as Record<string, unknown>;
    for (const [key, value] of Object.entries(sim as Record<string, unknown>)) {
      if (!(key in r)) out.push(`${path}${path ? '.' : ''}${key}: at simnet only`);
      else shapeDiff(r[key], value, `${path}${path ? '.' : ''}${key}`, out);
    }
  }
}

/** The values at a path like `channels[].peer_id` (an array step takes every element). */
function at(value: unknown, path: string): unknown[] {
  let values = [value];
  for (const step of path.split('.')) {
    const many = step.endsWith('[]');
    const key = many ? step.slice(0, -2) : step;
    values = values.flatMap((v) => {
      const next = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
      return many ? (Array.isArray(next) ? next : []) : next === undefined ? [] : [next];
    });
  }
  return values;
}

/** A message with what changes from run to run (hashes, ids, numbers, channels) made generic. */
export function genericMessage(message: string): string {
  return message
    .replace(/\b[0-9a-f]{66}\b/g, '<node>')
    .replace(/\b[0-9a-f]{64}\b/g, '<hash>')
    .replace(/\b\d+x\d+x\d+(\/[01])?\b/g, '<scid>')
    .replace(/\d+/g, '<n>');
}

/** Every way simnet's answers depart from the real node's, in words; empty when they agree. */
export function compareOutcomes(real: Record<string, Outcome>, sim: Record<string, Outcome>): string[] {
  const out: string[] = [];
  for (const [name, r] of Object.entries(real)) {
    const s = sim[name];
    if (!s) {
      out.push(`${name}: not run on simnet`);
      continue;
    }
    if ('error' in r || 'error' in s) {
      if (!('error' in r))
        out.push(
          `${name}: simnet fails (${(s as { error: { code: number; message: string } }).error.code} ${(s as { error: { message: string } }).error.message}), the real node answers`,
        );
      else if (!('error' in s)) out.push(`${name}: the real node fails (${r.error.code} ${r.error.message}), simnet answers`);
      else {
        if (r.error.code !== s.error.code) out.push(`${name}: code ${s.error.code} at simnet, ${r.error.code} at the real node`);
        if (genericMessage(r.error.message) !== genericMessage(s.error.message))
          out.push(`${name}: message ${JSON.stringify(s.error.message)} at simnet, ${JSON.stringify(r.error.message)} at the real node`);
        if (r.error.data !== undefined || s.error.data !== undefined) {
          const diffs: string[] = [];
          shapeDiff(r.error.data ?? null, s.error.data ?? null, 'data', diffs);
          out.push(...diffs.map((d) => `${name}: ${d}`));
        }
      }
      continue;
    }
    const diffs: string[] = [];
    shapeDiff(r.result, s.result, '', diffs);
    out.push(...diffs.map((d) => `${name}: ${d}`));
    for (const field of READ_FIELDS[name] ?? []) {
      const inReal = at(r.result, field).length > 0;
      const inSim = at(s.result, field).length > 0;
      if (inReal && !inSim) out.push(`${name}: ${field} missing at simnet (the SDK reads it)`);
    }
  }
  return out;
}
