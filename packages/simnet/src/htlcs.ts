/**
 * A node's HTLC history, as Core Lightning keeps it for `listhtlcs` and `wait htlcs`
 * (v25.05+): every HTLC on the node's channels, in both directions, with a `created_index`
 * bumped once per new HTLC and an `updated_index` bumped on every state change.
 *
 * States are CLN's: an incoming HTLC is `RCVD_ADD_HTLC` while it is on its way over the
 * hop, `RCVD_ADD_ACK_REVOCATION` once committed (it has arrived; the node acts on it right
 * after this update) and `SENT_REMOVE_ACK_REVOCATION` once removed; an outgoing one goes
 * `SENT_ADD_HTLC`, `SENT_ADD_ACK_REVOCATION`, `RCVD_REMOVE_ACK_REVOCATION`. Simnet skips
 * the commitment dance's other intermediate states.
 */
import { Changes } from './changes.ts';
import type { Htlc } from './network.ts';

export interface HtlcRow {
  short_channel_id: string;
  created_index: number;
  updated_index?: number;
  id: number;
  expiry: number;
  direction: 'in' | 'out';
  amount_msat: number;
  payment_hash: string;
  state: string;
}

const OFFERED = { in: 'RCVD_ADD_HTLC', out: 'SENT_ADD_HTLC' } as const;
const COMMITTED = { in: 'RCVD_ADD_ACK_REVOCATION', out: 'SENT_ADD_ACK_REVOCATION' } as const;
const REMOVED = { in: 'SENT_REMOVE_ACK_REVOCATION', out: 'RCVD_REMOVE_ACK_REVOCATION' } as const;

export class HtlcLog {
  /** In creation order. */
  readonly rows: HtlcRow[] = [];
  /** One entry per update, in update order (a row appears at each of its updates). */
  readonly updates: HtlcRow[] = [];
  private readonly byKey = new Map<string, HtlcRow>();
  private readonly changes = new Changes();
  created = 0;
  updated = 0;

  add(scid: string, htlc: Htlc, direction: 'in' | 'out'): void {
    const row: HtlcRow = {
      short_channel_id: scid,
      created_index: ++this.created,
      id: htlc.id,
      expiry: htlc.expiry,
      direction,
      amount_msat: htlc.amount_msat,
      payment_hash: htlc.payment_hash,
      state: OFFERED[direction],
    };
    this.rows.push(row);
    this.byKey.set(`${scid}/${direction}/${htlc.id}`, row);
    this.changes.wake();
  }

  /** The HTLC reached the far side of the hop. */
  commit(scid: string, htlc: Htlc, direction: 'in' | 'out'): void {
    this.update(`${scid}/${direction}/${htlc.id}`, COMMITTED[direction]);
  }

  remove(scid: string, htlc: Htlc, direction: 'in' | 'out'): void {
    this.update(`${scid}/${direction}/${htlc.id}`, REMOVED[direction]);
  }

  private update(key: string, state: string): void {
    const row = this.byKey.get(key);
    if (!row || row.state === state) return;
    row.state = state;
    row.updated_index = ++this.updated;
    this.updates.push(row);
    this.changes.wake();
  }

  /** Resolves at the next change, or after `ms`. */
  changed(ms?: number): Promise<void> {
    return this.changes.next(ms);
  }

  stop(): void {
    this.changes.stop();
  }
}
