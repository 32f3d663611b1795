/**
 * Small channel graphs for the planner tests, in Core Lightning's `listchannels` shape:
 * nodes named by a letter get fixed, valid node ids, and each channel gives both directions.
 */
import type { ListChannelsEntry } from '../../packages/core/src/planner/index.ts';

/** A fixed node id for a name: `02` and the name's char codes, padded. */
export function id(name: string): string {
  const hex = [...name].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
  return `02${hex.padEnd(64, '0')}`;
}

/** Options of one direction (defaults: active, no fee, cltv 6, htlc 0 … capacity). */
export interface Side {
  base?: number;
  ppm?: number;
  cltv?: number;
  min?: number;
  max?: number;
  active?: boolean;
}

let nextBlock = 100;

/**
 * Both directions of a channel between `a` and `b` (names) of `capacity` msat: `ab` is the
 * policy `a` charges to forward towards `b`, `ba` the other way (omit `ba` for a
 * one-way channel: its other direction is disabled).
 */
export function channel(
  a: string,
  b: string,
  capacity: number,
  ab: Side = {},
  ba?: Side,
  scid = `${nextBlock++}x1x0`,
): ListChannelsEntry[] {
  const entry = (from: string, to: string, side: Side | undefined): ListChannelsEntry => ({
    source: id(from),
    destination: id(to),
    short_channel_id: scid,
    direction: id(from) < id(to) ? 0 : 1,
    amount_msat: capacity,
    active: side !== undefined && side.active !== false,
    base_fee_millisatoshi: side?.base ?? 0,
    fee_per_millionth: side?.ppm ?? 0,
    delay: side?.cltv ?? 6,
    htlc_minimum_msat: side?.min ?? 0,
    htlc_maximum_msat: side?.max ?? capacity,
  });
  return [entry(a, b, ab), entry(b, a, ba)];
}

/** The sum of what the parts of a plan deliver, fee included at the first hop. */
export function sent(routes: { hops: { amount_msat: number }[] }[]): number {
  return routes.reduce((s, r) => s + r.hops[0]!.amount_msat, 0);
}
