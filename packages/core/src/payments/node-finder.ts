/**
 * The node as planner (`pay({ planner: 'node' })`): Core Lightning's `getroutes` (askrene),
 * told what this pay()'s failed parts showed.
 *
 * askrene plans from gossip: a channel's capacity, not what it can carry now. Left alone it
 * plans the same path for the same amount after that path failed, again and again (once, 54
 * identical parts through one drained channel in 10 s). So each pay() keeps an askrene
 * layer of its own (not persistent: a restart of the node forgets it), made at the first
 * failure: a hop that lacked liquidity is *constrained* below what it was asked to carry, a
 * channel or node that failed outright is *disabled*, and `getroutes` plans with that layer
 * on top of our own channels' real balances. The layer is removed when pay() ends.
 *
 * A rune may not allow askrene's layer methods, or the node may refuse them; and askrene
 * may still offer a path it was told about. So every answer is also checked here: a path
 * through a direction that failed in this pay() for its amount or less, through a channel
 * or node that failed outright, is not sent. When nothing is left, the finder answers "no
 * route now", and pay() waits for a part in flight to end before asking again.
 */
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { TOO_DEAR } from './reasons.ts';
import { hasCode } from '../errors.ts';
import type { Node, NodeRoute } from '../node/node.ts';
import type { PartialPayment, RouteHop } from '../types.ts';
import type { FindRequest, RouteFinder } from './pay.ts';

/** getroutes' "no set of paths": no route, too expensive, not enough funds, not enough capacity into the destination. */
const NO_ROUTE = new Set([205, 206, 215, 220]);
/** askrene's built-in layers for paths out of our own node: our channels' real spendable amounts, no fee or delay on them. */
const LAYERS = ['auto.localchans', 'auto.sourcefree'];
/** JSON-RPC's invalid params: what getroutes answers for a layer it does not know. */
const INVALID_PARAMS = -32602;
/** BOLT 4 `temporary_channel_failure`: the next channel could not carry the HTLC now. */
const TEMPORARY_CHANNEL_FAILURE = 0x1007;
/** BOLT 4's NODE flag: the failure is the erring node's own, whatever channel it was asked to use. */
const NODE = 0x2000;

/** What one failed part showed about the graph, as an askrene layer takes it. */
export type Lesson =
  /** `short_channel_id_dir` could not carry `amount_msat` now. */
  | { kind: 'constrained'; short_channel_id_dir: string; amount_msat: number }
  /** `short_channel_id_dir` cannot be used now, for any amount. */
  | { kind: 'channel'; short_channel_id_dir: string }
  /** `node` cannot forward now. */
  | { kind: 'node'; node: string };

const dirOf = (hop: RouteHop): string | undefined => (hop.direction === undefined ? undefined : `${hop.channel}/${hop.direction}`);

/**
 * What a failed part teaches (BOLT 4 §Returning Errors): `erring_index` k names the hop
 * whose channel failed (`route[k]`; 0 is our own node's first channel, and the node that
 * refused to forward is `route[k - 1]`). Nothing for a part that arrived, failed at the
 * destination, or failed without a BOLT 4 code.
 */
export function lessonOf(part: PartialPayment): Lesson | undefined {
  const k = part.erring_index;
  if (part.status !== 'failed' || k === undefined || part.failcode === undefined || k >= part.route.length) return undefined;
  if (k > 0 && part.failcode & NODE) return { kind: 'node', node: part.route[k - 1]!.id };
  const hop = part.route[k]!;
  const dir = dirOf(hop);
  if (dir === undefined) return undefined;
  if (k > 0 && part.failcode === TEMPORARY_CHANNEL_FAILURE)
    return { kind: 'constrained', short_channel_id_dir: dir, amount_msat: hop.amount_msat };
  // Our own node failed it (the peer gone or not ready, no room on the channel now): the
  // same channel would fail again. Elsewhere: disabled, unknown, stale gossip, a bad onion.
  return { kind: 'channel', short_channel_id_dir: dir };
}

/**
 * The node's planner for one pay(): make a new one per pay(), it keeps that payment's
 * layer and what its parts showed.
 */
export function nodeFinder(node: Node): RouteFinder {
  /** Per direction, the least amount it failed to carry in this pay(). */
  const constrained = new Map<string, number>();
  /** Directions and nodes that failed outright in this pay(). */
  const disabled = new Set<string>();
  const down = new Set<string>();
  /** What the layer must be told, in order; `layer.told` of them were. */
  const lessons: Lesson[] = [];
  let layer: { name: string; told: number } | undefined;
  /** Why the node's layers are not used, once it refused them. */
  let refused: string | undefined;
  /** Layers made (or perhaps made: the link dropped on the way) in this pay(), to remove at its end. */
  const made: string[] = [];

  const tell = (name: string, lesson: Lesson): Promise<void> => {
    switch (lesson.kind) {
      case 'constrained':
        return node.askreneconstrainchannel({
          layer: name,
          short_channel_id_dir: lesson.short_channel_id_dir,
          amount_msat: lesson.amount_msat,
        });
      case 'channel':
        return node.askrenedisablechannel({ layer: name, short_channel_id_dir: lesson.short_channel_id_dir });
      case 'node':
        return node.askrenedisablenode({ layer: name, node: lesson.node });
    }
  };

  /**
   * Brings the layer up to date with the lessons, making it first if need be. A dropped
   * link rejects (pay() waits for it and asks again: the lesson is told then); a refusal
   * means the layer goes without it, and the check in `find` still holds.
   */
  const sync = async (): Promise<void> => {
    if (refused !== undefined || lessons.length === 0) return;
    if (!layer) {
      const name = `ampkit-pay-${bytesToHex(randomBytes(8))}`;
      made.push(name);
      try {
        await node.askrenecreatelayer({ layer: name });
      } catch (error) {
        // The link dropped: the layer may exist; it is removed at the end, and a new one made.
        if (hasCode(error, 'CONNECTION', 'TIMEOUT')) throw error;
        made.pop();
        refused = (error as Error).message;
        return;
      }
      layer = { name, told: 0 };
    }
    while (layer.told < lessons.length) {
      try {
        await tell(layer.name, lessons[layer.told]!);
      } catch (error) {
        if (hasCode(error, 'CONNECTION', 'TIMEOUT')) throw error;
      }
      layer.told++;
    }
  };

  /** Why a path must not be sent, if it must not: it repeats what just failed. */
  const ruledOut = (r: NodeRoute, avoid: ReadonlySet<string>): string | undefined => {
    for (const [i, hop] of r.route.entries()) {
      const dir = dirOf(hop);
      if (dir !== undefined && (disabled.has(dir) || avoid.has(dir))) return `${dir} failed`;
      const limit = dir === undefined ? undefined : constrained.get(dir);
      if (limit !== undefined && hop.amount_msat >= limit) return `${dir} could not carry ${limit} msat`;
      if (i < r.route.length - 1 && down.has(hop.id)) return `node ${hop.id} failed`;
    }
    return undefined;
  };

  const getroutes = async (request: FindRequest): Promise<NodeRoute[] | string> => {
    try {
      return await node.getroutes({
        source: node.id,
        destination: request.destination,
        amount_msat: request.amount_msat,
        layers: layer ? [...LAYERS, layer.name] : LAYERS,
        maxfee_msat: request.maxfee_msat,
        final_cltv: request.final_cltv,
        maxparts: request.maxparts,
      });
    } catch (error) {
      // 206: paths exist, but none within the fee budget (Core Lightning's PAY_ROUTE_TOO_EXPENSIVE).
      if (hasCode(error, 'NODE_ERROR') && NO_ROUTE.has(error.nodeCode ?? 0))
        return error.nodeCode === 206 ? `${TOO_DEAR}: ${error.message}` : error.message;
      throw error;
    }
  };

  return {
    async find(request) {
      await sync();
      let routes: NodeRoute[] | string;
      try {
        routes = await getroutes(request);
      } catch (error) {
        if (!layer || !hasCode(error, 'NODE_ERROR') || error.nodeCode !== INVALID_PARAMS) throw error;
        // The node no longer knows the layer (it restarted, and the layer was not
        // persistent): make a new one, tell it everything again, ask once more.
        layer = undefined;
        await sync();
        routes = await getroutes(request);
      }
      if (typeof routes === 'string') return routes;
      const why: string[] = [];
      const usable = routes.filter((r) => {
        const no = ruledOut(r, request.avoid);
        if (no !== undefined) why.push(no);
        return no === undefined;
      });
      if (usable.length > 0) return usable.map((r) => ({ ...r, planner: 'node' as const }));
      return `the node's planner offered only paths that just failed (${[...new Set(why)].join('; ')})`;
    },

    resolved(part) {
      const lesson = lessonOf(part);
      if (!lesson) return undefined;
      if (lesson.kind === 'constrained') {
        const before = constrained.get(lesson.short_channel_id_dir);
        // A larger amount failing there teaches nothing new.
        if (before !== undefined && before <= lesson.amount_msat) return undefined;
        constrained.set(lesson.short_channel_id_dir, lesson.amount_msat);
      } else if (lesson.kind === 'channel') {
        disabled.add(lesson.short_channel_id_dir);
      } else {
        down.add(lesson.node);
      }
      lessons.push(lesson);
      return lesson.kind === 'channel' ? lesson.short_channel_id_dir : undefined;
    },

    forget() {
      // Channels and nodes that failed outright may be back; a direction that could not
      // carry an amount is still not asked to carry as much again in this payment.
      disabled.clear();
      down.clear();
      lessons.length = 0;
      for (const [short_channel_id_dir, amount_msat] of constrained)
        lessons.push({ kind: 'constrained', short_channel_id_dir, amount_msat });
      // The lessons kept go to a new layer; the old one is removed at the end.
      layer = undefined;
    },

    async finished() {
      const names = made.splice(0);
      // A layer that cannot be removed now (the link is gone, the engine closed) holds no
      // money and only steers paths asked for with its name; the node forgets it on restart.
      await Promise.all(names.map((name) => node.askreneremovelayer({ layer: name }).catch(() => undefined)));
    },
  };
}
