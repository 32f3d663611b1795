/**
 * The planner of one `pay()` with `planner: 'auto'` (the default) or `'local'`: the local
 * planner once its graph is in memory; before that, with `'auto'`, the node's own planner
 * (`getroutes`), so the first payment starts at once instead of waiting for tens of
 * megabytes of gossip. The graph loads after the payment, never under it (its download
 * shares the link with the payment's parts). When the node cannot plan (a rune without
 * `getroutes`, a node without askrene) or finds no route, the payment waits for the graph
 * and plans here.
 *
 * Whoever plans, a direction that could not carry a part's amount (BOLT 4
 * `temporary_channel_failure` past our own node) is not asked to carry as much again in
 * this payment: learned bounds relax with time (on a real node by about 2M msat in the
 * 70 s an incomplete set takes to time out), and without this cap the same part went
 * through the same hop again.
 */
import { hasCode } from '../errors.ts';
import type { PartialPayment } from '../types.ts';
import type { FindRequest, FoundRoute, RouteFinder } from './pay.ts';

/** How long after a payment the graph starts to load, in ms. */
const WARM_AFTER_MS = 500;
/** BOLT 4 `temporary_channel_failure`: the next channel could not carry the HTLC now. */
const TEMPORARY_CHANNEL_FAILURE = 0x1007;

/** What the per-payment finder needs of the engine's local planner (planner/local.ts). */
export interface LocalSide {
  /** Whether the graph is in memory: a plan would not wait for it. */
  readonly loaded: boolean;
  /** Plans with the graph (loading it first when it is not in memory); `caps` as {@link capsOf} keeps them. */
  find(request: FindRequest, caps: ReadonlyMap<string, number>): Promise<FoundRoute[] | string>;
  resolved(part: PartialPayment, concurrent: readonly PartialPayment[]): string | undefined;
  completed(parts: readonly PartialPayment[]): void;
  forget(): void;
  /** Loads the graph behind (or refreshes a stale one); never rejects. */
  warm(): void;
}

/** Options of {@link paymentFinder}. */
export interface PaymentFinderOptions {
  /** The engine's local planner, loading it (its code is a chunk of its own) if need be. */
  local(): Promise<LocalSide>;
  /** The local planner if its code is loaded already. */
  peek(): LocalSide | undefined;
  /** The node's planner, used while the graph is not in memory (`'auto'`); none: wait for the graph (`'local'`). */
  node?: RouteFinder;
}

/**
 * Records in `caps` what a failed part showed: the direction past our node that could not
 * carry its amount together with what this payment's other parts in flight (`concurrent`)
 * held on it then, keeping the least such sum per direction (`scid/direction`). A plan
 * counts what its parts in flight hold there against the cap.
 */
export function capsOf(caps: Map<string, number>, part: PartialPayment, concurrent: readonly PartialPayment[]): void {
  const k = part.erring_index;
  if (part.status !== 'failed' || part.failcode !== TEMPORARY_CHANNEL_FAILURE || k === undefined || k <= 0 || k >= part.route.length)
    return;
  const hop = part.route[k]!;
  if (hop.direction === undefined) return;
  let load = hop.amount_msat;
  for (const other of concurrent) {
    if (other.id === part.id) continue;
    for (const h of other.route) if (h.channel === hop.channel && h.direction === hop.direction) load += h.amount_msat;
  }
  const key = `${hop.channel}/${hop.direction}`;
  caps.set(key, Math.min(caps.get(key) ?? Infinity, load));
}

/** The finder of one pay(); see the module's comment. */
export function paymentFinder(options: PaymentFinderOptions): RouteFinder {
  const caps = new Map<string, number>();
  /** The node's planner while it may still plan: dropped once it cannot. */
  let node = options.node;
  return {
    async find(request) {
      const local = options.peek();
      if (node && !local?.loaded) {
        // The planner's code and graph load after the payment (finished), not under it.
        try {
          const found = await node.find(request);
          // The node's planner keeps the same caps (node-finder.ts): its paths respect them.
          if (typeof found !== 'string') return found;
          // No route from the node: the whole graph may still have one. Wait for it.
        } catch (error) {
          if (hasCode(error, 'CONNECTION', 'TIMEOUT')) throw error;
          node = undefined; // it cannot plan (refused, or no askrene): plan here from now on
        }
      }
      return (local ?? (await options.local())).find(request, caps);
    },

    resolved(part, concurrent) {
      capsOf(caps, part, concurrent);
      const here = options.peek()?.resolved(part, concurrent);
      const there = options.node?.resolved?.(part, concurrent);
      return here ?? there;
    },

    completed(parts) {
      options.peek()?.completed(parts);
      options.node?.completed?.(parts);
    },

    forget() {
      options.peek()?.forget();
      options.node?.forget?.();
    },

    async finished() {
      // The payment is over: the graph loads a moment later, once its result has reached the
      // page (its download and parse would hold the worker up: measured, +0.25 s on the
      // first payment when started at once).
      const later = setTimeout(() => {
        void options.local().then(
          (local) => local.warm(),
          () => undefined,
        );
      }, WARM_AFTER_MS);
      (later as { unref?: () => void }).unref?.();
      await options.node?.finished?.();
    },
  };
}
