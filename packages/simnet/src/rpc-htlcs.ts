/**
 * Core Lightning's HTLC history methods: `listhtlcs` (with v25.05's index/start/limit) and
 * `wait` for the `htlcs` subsystem, which returns once the created or updated index
 * reaches the asked value, with the HTLC that moved it in `details`.
 */
import { RpcError } from '@ampkit/wire';
import type { HtlcRow } from './htlcs.ts';
import { oneOf, opt, parseParams, req, string, u32, u64 } from './params.ts';
import type { Method } from './rpc-info.ts';

function details(row: HtlcRow): Record<string, unknown> {
  return {
    state: row.state,
    htlc_id: row.id,
    short_channel_id: row.short_channel_id,
    cltv_expiry: row.expiry,
    amount_msat: row.amount_msat,
    direction: row.direction,
    payment_hash: row.payment_hash,
  };
}

export const htlcMethods: Record<string, Method> = {
  listhtlcs(node, params) {
    const p = parseParams('listhtlcs', params, [
      opt('id', string),
      opt('index', oneOf('created', 'updated')),
      opt('start', u64),
      opt('limit', u32),
    ]);
    const log = node.node.htlcLog;
    let rows = log.rows;
    if (p.id !== undefined) {
      const channel = node.node.channels.find((c) => c.scid === p.id);
      if (!channel) throw new RpcError('listhtlcs', -32602, `id: should be a channel ID or short channel ID: invalid token '"${p.id}"'`);
      rows = rows.filter((r) => r.short_channel_id === p.id);
    }
    if (p.index === 'updated') {
      // Each row once, at its latest update, in updated_index order.
      const start = p.start ?? 0;
      rows = log.updates.filter(
        (r, i) => r.updated_index === i + 1 && r.updated_index >= start && (p.id === undefined || r.short_channel_id === p.id),
      );
    } else if (p.start !== undefined) rows = rows.filter((r) => r.created_index >= p.start!);
    if (p.limit !== undefined) rows = rows.slice(0, p.limit);
    return { htlcs: rows.map((r) => ({ ...r })) };
  },

  async wait(node, params) {
    const p = parseParams('wait', params, [
      req('subsystem', oneOf('invoices', 'forwards', 'sendpays', 'htlcs', 'chainmoves', 'channelmoves', 'networkevents')),
      req('indexname', oneOf('created', 'updated', 'deleted')),
      req('nextvalue', u64),
    ]);
    if (p.subsystem !== 'htlcs') throw new RpcError('wait', -32602, `simnet answers wait for the htlcs subsystem only, not ${p.subsystem}`);
    const log = node.node.htlcLog;
    // Core Lightning adds the event's details only when the wait ended on that event; an
    // index already at nextvalue is answered at once with the value alone (seen on v25.12).
    let waited = false;
    for (;;) {
      if (p.indexname === 'deleted') {
        if (p.nextvalue === 0) return { subsystem: 'htlcs', deleted: 0 };
      } else {
        const value = p.indexname === 'created' ? log.created : log.updated;
        if (value >= p.nextvalue) {
          const row = value === 0 || !waited ? undefined : (p.indexname === 'created' ? log.rows : log.updates)[value - 1];
          return { subsystem: 'htlcs', [p.indexname]: value, ...(row ? { details: details(row) } : {}) };
        }
      }
      await log.changed();
      waited = true;
      if (node.stopped) throw new RpcError('wait', -1, 'node shutting down');
    }
  },
};
