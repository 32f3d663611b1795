/**
 * Learning from a part's result (Pickhardt and Richter §"Learning"): a part that failed at
 * a direction for lack of liquidity lowers that direction's upper bound below what it had
 * to carry; every direction before it carried the part, so its lower bound rises to that;
 * a part that arrived raises the lower bound of every direction on its path. Bounds are of
 * a direction's whole liquidity, so what our other parts held on it counts in: `held`
 * routes (known to be holding when this part went) raise both bounds, `concurrent` ones
 * (that may have been holding) only the upper.
 */
import type { RouteHop } from '../types.ts';
import { engineError } from '../errors.ts';
import type { ChannelGraph } from './graph.ts';
import { nowSeconds, type Liquidity } from './liquidity.ts';
import { heldBy, indexesOf } from './routes.ts';

/** How a part ended, as `waitsendpay` reports it (`erring_index` 0 is our own node; k the k-th hop's node). */
export type PartOutcome = { ok: true } | { ok: false; erring_index: number; failcode: number };

/** Options of {@link learn}. */
export interface LearnOptions {
  /** Routes of our other parts known to be holding their amounts while this part went. */
  held?: readonly (readonly RouteHop[])[];
  /** Routes of our other parts that may have been holding theirs (sent at the same time). */
  concurrent?: readonly (readonly RouteHop[])[];
  /** Unix seconds; default now. */
  now?: number;
}

/** BOLT 4 failure codes that say the erring direction lacked liquidity. */
const TEMPORARY_CHANNEL_FAILURE = 0x1007;
/** BOLT 4 failures that say the erring direction cannot be used at all for now. */
const UNUSABLE = new Set([
  0x400a, // unknown_next_peer
  0x1014, // channel_disabled
  0x2002, // temporary_node_failure
  0x6002, // permanent_node_failure
  0x4008, // permanent_channel_failure
  0x4009, // required_channel_feature_missing
  0x6003, // required_node_feature_missing
]);

/**
 * Updates `liquidity` from the result of one part sent along `route`. Failures that say
 * the gossip was stale (fee, CLTV, minimum) teach nothing about liquidity: refresh the
 * graph from the failure's channel_update instead.
 */
export function learn(
  liquidity: Liquidity,
  graph: ChannelGraph,
  route: readonly RouteHop[],
  outcome: PartOutcome,
  options: LearnOptions = {},
): void {
  const indexes = indexesOf(graph, route);
  if (outcome === null || typeof outcome !== 'object') throw engineError('INVALID_ARGUMENT', 'outcome must be an object');
  const now = options.now ?? nowSeconds();
  const held = heldBy(graph, options.held);
  const maybe = heldBy(graph, options.concurrent);
  let carried = route.length;
  if (!outcome.ok) {
    const k = outcome.erring_index;
    if (!Number.isInteger(k) || k < 0 || k > route.length)
      throw engineError('INVALID_ARGUMENT', `erring_index must be 0 … ${route.length}`);
    if (!Number.isInteger(outcome.failcode)) throw engineError('INVALID_ARGUMENT', 'failcode must be an integer');
    carried = k;
    const e = k < route.length ? indexes[k]! : -1;
    if (e >= 0) {
      if (outcome.failcode === TEMPORARY_CHANNEL_FAILURE) {
        liquidity.capAt(graph, e, route[k]!.amount_msat + (held.get(e) ?? 0) + (maybe.get(e) ?? 0), now);
      } else if (UNUSABLE.has(outcome.failcode)) {
        liquidity.capAt(graph, e, 0, now);
      }
    }
  }
  for (let i = 0; i < carried; i++) {
    const e = indexes[i]!;
    if (e >= 0) liquidity.floorAt(graph, e, route[i]!.amount_msat + (held.get(e) ?? 0), now);
  }
}

/**
 * A payment settled: the funds of each part moved across its channels, so each direction
 * used can now carry that much less and its opposite that much more.
 */
export function settle(liquidity: Liquidity, graph: ChannelGraph, route: readonly RouteHop[], now = nowSeconds()): void {
  indexesOf(graph, route).forEach((e, i) => {
    if (e < 0) return;
    const amount = route[i]!.amount_msat;
    liquidity.shift(graph, e, -amount, now);
    const back = graph.channelIndex(graph.scids[e]!, 1 - graph.direction[e]!);
    if (back >= 0) liquidity.shift(graph, back, amount, now);
  });
}
