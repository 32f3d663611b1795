/**
 * The local planner as `pay()` uses it (`planner: 'local'`): one per engine,
 * shared by its payments. It keeps the node's public graph (`listchannels`, `listnodes`)
 * and what it learned of liquidity in the journal's cache, so a new tab plans at once from
 * the cached graph while a fresh one loads behind it; it refreshes the whole graph when the
 * cache is older than `refresh_seconds` and one channel at a time when a failure says its
 * gossip was stale. Each plan starts from our own channels as `listpeerchannels` tells
 * them and the invoice's route hints; each part's result is learned from.
 */
import { hasCode } from '../errors.ts';
import type { Node, NodeChannel } from '../node/node.ts';
import type { CacheKey } from '../store/store.ts';
import type { LocalSide } from '../payments/auto-finder.ts';
import type { FindRequest, FoundRoute } from '../payments/pay.ts';
import type { PartialPayment } from '../types.ts';
import { TOO_DEAR } from '../payments/reasons.ts';
import { ChannelFlag, ChannelGraph, channelKey, type GraphColumns } from './graph.ts';
import { learn, settle } from './learn.ts';
import { Liquidity } from './liquidity.ts';
import { planPayment, type NoPlanReason } from './plan.ts';

/** Where the planner keeps what it learned: the journal's cache. */
export interface PlannerCache {
  getCache(key: CacheKey): Promise<unknown>;
  putCache(key: CacheKey, value: unknown): Promise<void>;
}

/** Options of {@link LocalPlanner}. */
export interface LocalPlannerOptions {
  node: Node;
  cache: PlannerCache;
  /** Age in seconds at which the cached graph is loaded again, behind the plans (600). */
  refresh_seconds?: number;
  /** Hours after which a learned liquidity bound has relaxed half-way back (6; see {@link Liquidity}). */
  half_life_hours?: number;
  /** Unix seconds. */
  now?: () => number;
}

/**
 * A graph in the cache: columns, so IndexedDB clones typed arrays rather than 100,000
 * objects, and they load back as they are ({@link ChannelGraph.fromColumns}).
 */
interface GraphSnapshot extends GraphColumns {
  version: 1;
  /** Unix seconds of the `listchannels` it holds. */
  fetched_at: number;
  /** Nodes `listnodes` says cannot take a TLV onion. */
  excluded: string[];
}

/** BOLT 4 failures that say our gossip of the erring direction was stale: its update comes along. */
const STALE = new Set([
  0x100b, // amount_below_minimum
  0x100c, // fee_insufficient
  0x100d, // incorrect_cltv_expiry
  0x100e, // expiry_too_soon
  0x1014, // channel_disabled
]);
/**
 * BOLT 4 failures that say a node or channel is down for now (offline peer, a node that
 * failed one HTLC): avoided for the rest of the payment, not remembered as no liquidity,
 * since the next payment finds it back more often than not.
 */
/** temporary_channel_failure at our own node: the channel had no room for the HTLC (and its fee) now. */
const OWN_NO_ROOM = 0x1007;
/** How long a refusal of our own channel shapes the plans, in seconds. */
const REFUSED_OWN_SECONDS = 60;
/** Parts over a channel that refused an amount stay below this share of it (a funder's HTLC fee is well under 1%). */
const REFUSED_OWN_SHARE = 0.98;
const TRANSIENT = new Set([
  0x2002, // temporary_node_failure
  0x400a, // unknown_next_peer
]);
/** Gossip entries put in a new graph between two turns of the event loop (about 10 ms of work). */
const BUILD_SLICE = 5000;
/** BOLT 9 var_onion_optin: a node without it cannot read the onion `sendpay` builds. */
const VAR_ONION = 8;

const NO_PLAN: Record<NoPlanReason, string> = {
  UNKNOWN_NODE: 'the payee is not in the graph and no route hint leads to it',
  NO_PATH: 'no path leads to the payee',
  CAPACITY: 'the channels known can carry no more toward the payee',
  FEE_BUDGET: TOO_DEAR,
  MAXPARTS: 'it does not fit in the parts left',
  MAXDELAY: 'every path locks funds for more than 2016 blocks',
};

/** Whether a BOLT 9 feature hex string sets bit `bit` or its optional twin. */
function hasFeature(hex: string, bit: number): boolean {
  const even = bit & ~1;
  return [even, even + 1].some((b) => {
    const at = hex.length / 2 - 1 - (b >> 3);
    return at >= 0 && (parseInt(hex.slice(at * 2, at * 2 + 2), 16) & (1 << (b & 7))) !== 0;
  });
}

/** The graph and what was learned on it, for one engine; see the module's comment. */
export class LocalPlanner implements LocalSide {
  private graph: ChannelGraph | undefined;
  private liquidity: Liquidity;
  private excluded: string[] = [];
  private fetchedAt = 0;
  private loading: Promise<void> | undefined;
  private refreshing: Promise<void> | undefined;
  private saving: Promise<void> | undefined;
  private dirty = false;
  /**
   * Our own channels that refused an HTLC for want of room (temporary_channel_failure at
   * our node): by scid, the amount refused and when. `spendable_msat` does not always
   * leave room for the fee a funder pays for one more HTLC output (seen on Core Lightning
   * v25.12: "Capacity exceeded - HTLC fee"), so for a minute parts over that channel stay
   * below what it refused instead of the channel being avoided altogether.
   */
  private readonly refusedOwn = new Map<string, { amount_msat: number; at: number }>();
  private readonly refreshSeconds: number;
  private readonly now: () => number;

  constructor(private readonly options: LocalPlannerOptions) {
    this.refreshSeconds = options.refresh_seconds ?? 600;
    this.liquidity = new Liquidity(options.half_life_hours !== undefined ? { half_life_hours: options.half_life_hours } : {});
    this.now = options.now ?? (() => Date.now() / 1000);
  }

  /** Directions in the graph (for tests and the console). */
  get size(): number {
    return this.graph?.size ?? 0;
  }

  /** Whether the graph is in memory: a plan would not wait for it. */
  get loaded(): boolean {
    return this.graph !== undefined;
  }

  /**
   * Loads the graph behind, from the cache or the node, or loads it again from the node
   * when it is older than `refresh_seconds`; never rejects (a failed load is tried again
   * next time). Payments call it when they end, so the download never slows one.
   */
  warm(): void {
    if (!this.graph) void this.ready().catch(() => undefined);
    else if (this.now() - this.fetchedAt >= this.refreshSeconds) void this.refresh().catch(() => undefined);
  }

  /**
   * Plans routes for what is left: resolves with the routes, or with why there are none
   * (in words, for the payment's failreason). Rejects with the node's error (`CONNECTION`,
   * `TIMEOUT`) when it cannot be asked. `caps`: per direction (`scid/direction`), an
   * amount it could not carry in this payment; no part is planned to carry as much there.
   */
  async find(request: FindRequest, caps: ReadonlyMap<string, number> = new Map()): Promise<FoundRoute[] | string> {
    const graph = await this.ready();
    const me = this.options.node.id;
    await this.ownChannels(graph, request.live);
    const now = this.now();
    for (const [key, amount] of caps) {
      const slash = key.lastIndexOf('/');
      const index = graph.channelIndex(key.slice(0, slash), Number(key.slice(slash + 1)));
      // What was learned may have relaxed since: this payment's own failure still holds.
      if (index >= 0) this.liquidity.capAt(graph, index, amount, now);
    }
    if (request.route_hints?.length) {
      try {
        graph.addRouteHints(request.destination, request.route_hints);
      } catch {
        // A malformed hint is one the payee cannot be reached by: plan without it.
      }
    }
    const plan = planPayment(graph, this.liquidity, {
      source: me,
      destination: request.destination,
      amount_msat: request.amount_msat,
      maxfee_msat: request.maxfee_msat,
      maxparts: request.maxparts,
      final_cltv: request.final_cltv,
      inflight: request.live.map((p) => p.route),
      exclude: [...this.excluded.filter((id) => id !== request.destination), ...request.avoid],
      now,
    });
    if (!plan.ok) return `${NO_PLAN[plan.reason]} (${plan.message})`;
    return plan.routes.map((r) => ({ amount_msat: r.amount_msat, route: r.hops, planner: 'local' as const }));
  }

  /**
   * One of a payment's parts resolved: learn from it. `concurrent` are the payment's other
   * parts in flight, whose amounts may have been held on the same channels. Returns the
   * direction to avoid for the rest of the payment, when the failure was not for liquidity
   * (stale gossip, a disabled channel): its gossip is refreshed behind.
   */
  resolved(part: PartialPayment, concurrent: readonly PartialPayment[]): string | undefined {
    const graph = this.graph;
    if (!graph || part.status === 'pending') return undefined;
    const routes = concurrent.map((p) => p.route);
    if (part.status === 'complete') {
      learn(this.liquidity, graph, part.route, { ok: true }, { concurrent: routes, now: this.now() });
      this.save();
      return undefined;
    }
    const k = part.erring_index;
    if (k === undefined || part.failcode === undefined || k > part.route.length) return undefined;
    const transient = TRANSIENT.has(part.failcode);
    try {
      // A transient failure teaches only that the hops before it carried the part.
      learn(
        this.liquidity,
        graph,
        part.route,
        { ok: false, erring_index: k, failcode: transient ? 0 : part.failcode },
        { concurrent: routes, now: this.now() },
      );
    } catch {
      return undefined; // a route the graph no longer has: nothing to learn
    }
    this.save();
    if (k === part.route.length) return undefined;
    const hop = part.route[k]!;
    if (hop.direction === undefined) return undefined;
    const key = channelKey(hop.channel, hop.direction);
    if (STALE.has(part.failcode)) {
      void this.refreshChannel(hop.channel);
      return key;
    }
    if (transient) return key;
    // The node took the part, then its channel would not add the HTLC: no room for it (and its
    // fee). A part refused before the node made it at all (failreason: "First peer not ready")
    // says the peer is away: that direction is avoided below.
    if (k === 0 && part.failcode === OWN_NO_ROOM && part.failreason === undefined) {
      const before = this.refusedOwn.get(hop.channel);
      const amount_msat = Math.min(hop.amount_msat, before && this.now() - before.at < REFUSED_OWN_SECONDS ? before.amount_msat : Infinity);
      this.refusedOwn.set(hop.channel, { amount_msat, at: this.now() });
      return undefined;
    }
    // Our own node failed it otherwise (a channel not ready, an HTLC limit): listpeerchannels tells next time.
    return k === 0 ? key : undefined;
  }

  /** pay() asks again after a pause with nothing in flight: what our channels refused may fit now. */
  forget(): void {
    this.refusedOwn.clear();
  }

  /** A payment completed: its amounts moved across the channels of its parts. */
  completed(parts: readonly PartialPayment[]): void {
    const graph = this.graph;
    if (!graph) return;
    for (const part of parts) settle(this.liquidity, graph, part.route, this.now());
    this.save();
  }

  /**
   * Loads the graph once: from the cache, or from the node. A stale cached graph is used as
   * it is; {@link LocalPlanner.warm}, after a payment, loads it again.
   */
  ready(): Promise<ChannelGraph> {
    this.loading ??= this.load().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading.then(() => this.graph!);
  }

  /** Loads the whole graph from the node again and applies what changed; at most one at a time. */
  refresh(): Promise<void> {
    this.refreshing ??= this.fetch().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async load(): Promise<void> {
    const { cache } = this.options;
    const [snapshot, learned] = await Promise.all([
      cache.getCache('graph').catch(() => undefined),
      cache.getCache('liquidity').catch(() => undefined),
    ]);
    try {
      if (learned !== undefined) this.liquidity = Liquidity.fromJSON(learned, this.liquidity.halfLifeHours);
    } catch {
      // A cache from another version: start learning again.
    }
    const graph = restore(snapshot);
    if (graph) {
      this.graph = graph.graph;
      this.excluded = graph.excluded;
      this.fetchedAt = graph.fetched_at;
      return;
    }
    await this.refresh();
  }

  private async fetch(): Promise<void> {
    const { node } = this.options;
    const fetched_at = this.now();
    // A new graph, built as the entries arrive (or a slice at a time from a node that gives
    // them all at once) so that the worker goes on answering meanwhile, then put in place of
    // the old one: what gossip no longer carries (closed, pruned as stale) is gone with it.
    // Our own channels and route hints are told on every plan, and what was learned is kept
    // by short channel id.
    const graph = new ChannelGraph();
    const [channels, nodes] = await Promise.all([node.listchannels({}, (entry) => upsert(graph, entry)), node.listnodes().catch(() => [])]);
    for (let i = 0; i < channels.length; i++) {
      upsert(graph, channels[i]!);
      if (i % BUILD_SLICE === BUILD_SLICE - 1) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    this.graph = graph;
    this.excluded = nodes.filter((n) => n.features !== undefined && !hasFeature(n.features, VAR_ONION)).map((n) => n.nodeid);
    this.fetchedAt = fetched_at;
    await this.options.cache.putCache('graph', snapshot(graph, this.excluded, fetched_at)).catch(() => undefined);
  }

  private async refreshChannel(scid: string): Promise<void> {
    const graph = this.graph;
    if (!graph) return;
    try {
      for (const entry of await this.options.node.listchannels({ short_channel_id: scid })) upsert(graph, entry);
    } catch {
      // The next full refresh brings it.
    }
  }

  /**
   * Our channels as the node has them now. `spendable_msat` already lacks what this
   * payment's parts hold on them, and the plan takes those off again: add them back.
   */
  private async ownChannels(graph: ChannelGraph, live: readonly PartialPayment[]): Promise<void> {
    const me = this.options.node.id;
    let channels;
    try {
      channels = await this.options.node.listpeerchannels();
    } catch (error) {
      if (hasCode(error, 'CONNECTION', 'TIMEOUT')) throw error;
      return; // a node that will not tell: plan on gossip alone
    }
    const held = new Map<string, number>();
    for (const part of live) {
      const first = part.route[0];
      if (first) held.set(first.channel, (held.get(first.channel) ?? 0) + first.amount_msat);
    }
    const usable = new Set<number>();
    for (const c of channels) {
      if (c.short_channel_id === undefined) continue;
      const ready = c.state === 'CHANNELD_NORMAL' && c.peer_connected;
      try {
        const index = graph.setOwnChannel(me, {
          peer_id: c.peer_id,
          short_channel_id: c.short_channel_id,
          spendable_msat: ready ? this.ownRoom(c.short_channel_id, c.spendable_msat, held.get(c.short_channel_id) ?? 0) : 0,
          ...(c.total_msat > 0 ? { capacity_msat: c.total_msat } : {}),
          ...(c.minimum_htlc_out_msat !== undefined ? { htlc_minimum_msat: c.minimum_htlc_out_msat } : {}),
          ...(c.maximum_htlc_out_msat !== undefined ? { htlc_maximum_msat: c.maximum_htlc_out_msat } : {}),
        });
        usable.add(index);
      } catch {
        // A row the graph refuses (a channel to ourselves): not one to pay over.
      }
    }
    // Every channel of ours is in listpeerchannels: one that is not (closed) carries nothing.
    const source = graph.nodeIndex(me);
    for (let e = 0; e < graph.size; e++) {
      if (graph.from[e] === source && !usable.has(e) && !(graph.flags[e]! & ChannelFlag.REMOVED))
        graph.remove(graph.scids[e]!, graph.direction[e]!);
    }
  }

  /** What a plan may put on our channel `scid`: its spendable amount, and below what it lately refused. */
  private ownRoom(scid: string, spendable_msat: number, held_msat: number): number {
    const room = spendable_msat + held_msat;
    const refused = this.refusedOwn.get(scid);
    if (!refused || this.now() - refused.at >= REFUSED_OWN_SECONDS) return room;
    return Math.min(room, held_msat + Math.floor(refused.amount_msat * REFUSED_OWN_SHARE));
  }

  /** Writes the learned bounds to the cache: one write at a time, the latest bounds last. */
  private save(): void {
    if (this.saving) {
      this.dirty = true;
      return;
    }
    this.dirty = false;
    this.saving = this.options.cache
      .putCache('liquidity', this.liquidity.toJSON())
      .catch(() => undefined)
      .then(() => {
        this.saving = undefined;
        if (this.dirty) this.save();
      });
  }
}

/** Upserts a gossip entry; -1 for one the graph refuses (it is left out, not allowed to fail the graph). */
function upsert(graph: ChannelGraph, entry: NodeChannel): number {
  try {
    return graph.upsert(entry);
  } catch {
    return -1;
  }
}

function snapshot(graph: ChannelGraph, excluded: string[], fetched_at: number): GraphSnapshot {
  return { version: 1, fetched_at, excluded, ...graph.columns() };
}

/** A graph back from the cache, or undefined for anything that is not one (every value is checked again). */
function restore(value: unknown): { graph: ChannelGraph; excluded: string[]; fetched_at: number } | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const s = value as Partial<GraphSnapshot>;
  if (s.version !== 1 || typeof s.fetched_at !== 'number' || !Array.isArray(s.excluded)) return undefined;
  try {
    const graph = ChannelGraph.fromColumns(s as GraphSnapshot);
    return { graph, excluded: s.excluded.filter((x): x is string => typeof x === 'string'), fetched_at: s.fetched_at };
  } catch {
    return undefined; // a cache from another version, or damaged: load the graph from the node again
  }
}
