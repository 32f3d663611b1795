/**
 * Routes on a {@link ChannelGraph}: hop amounts and delays computed backwards as `sendpay`
 * takes them, and routes mapped back to the graph's direction indexes.
 */
import type { RouteHop } from '../types.ts';
import { engineError } from '../errors.ts';
import { forwardFee, type ChannelGraph } from './graph.ts';

/**
 * The `sendpay` hops of a path (direction indexes from the payer on) delivering
 * `amount_msat` with `final_cltv`: each hop's `amount_msat` is what arrives at its `id`
 * (the amount plus the fees of every later hop; a node charges by the policy of the
 * direction it forwards over) and its `delay` the final CLTV plus the deltas of every later
 * hop. The first direction is the payer's own: it charges neither.
 */
export function hopsOf(graph: ChannelGraph, path: readonly number[], amount_msat: number, final_cltv: number): RouteHop[] {
  const hops: RouteHop[] = new Array(path.length);
  let amount = amount_msat;
  let delay = final_cltv;
  for (let i = path.length - 1; i >= 0; i--) {
    const e = path[i]!;
    hops[i] = {
      id: graph.nodeIds[graph.to[e]!]!,
      channel: graph.scids[e]!,
      direction: graph.direction[e] as 0 | 1,
      amount_msat: amount,
      delay,
      style: 'tlv',
    };
    if (i > 0) {
      amount += forwardFee(graph.baseFee[e]!, graph.ppm[e]!, amount);
      delay += graph.cltv[e]!;
    }
  }
  return hops;
}

/**
 * The direction index of each hop of `route` (-1 for a channel the graph does not know):
 * by `channel` and `direction`, or, without a direction, the one leading to the hop's `id`.
 */
export function indexesOf(graph: ChannelGraph, route: readonly RouteHop[]): number[] {
  if (!Array.isArray(route)) throw engineError('INVALID_ARGUMENT', 'a route must be an array of hops');
  return route.map((hop, i) => {
    if (hop === null || typeof hop !== 'object' || typeof hop.channel !== 'string' || typeof hop.id !== 'string') {
      throw engineError('INVALID_ARGUMENT', `route[${i}] must have a channel and an id`);
    }
    if (!Number.isSafeInteger(hop.amount_msat) || hop.amount_msat < 0)
      throw engineError('INVALID_ARGUMENT', `route[${i}].amount_msat must be a non-negative safe integer`);
    if (hop.direction === 0 || hop.direction === 1) return graph.channelIndex(hop.channel, hop.direction);
    if (hop.direction !== undefined) throw engineError('INVALID_ARGUMENT', `route[${i}].direction must be 0 or 1`);
    for (const d of [0, 1]) {
      const e = graph.channelIndex(hop.channel, d);
      if (e >= 0 && graph.nodeIds[graph.to[e]!] === hop.id) return e;
    }
    return -1;
  });
}

/** What `routes` hold on each direction (a hop holds its `amount_msat` on its channel). */
export function heldBy(graph: ChannelGraph, routes: readonly (readonly RouteHop[])[] | undefined): Map<number, number> {
  const held = new Map<number, number>();
  if (routes === undefined) return held;
  if (!Array.isArray(routes)) throw engineError('INVALID_ARGUMENT', 'in-flight routes must be an array of routes');
  for (const route of routes) {
    const indexes = indexesOf(graph, route);
    indexes.forEach((e, i) => {
      if (e >= 0) held.set(e, (held.get(e) ?? 0) + route[i]!.amount_msat);
    });
  }
  return held;
}
