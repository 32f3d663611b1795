/**
 * The planner's view of the network: a compact directed channel graph in typed arrays,
 * built from Core Lightning `listchannels` entries (one per channel direction), updated in
 * place (add, replace, remove by short channel id and direction), with extra directions
 * from an invoice's route hints (BOLT 11 `r`) and our own channels, whose spendable
 * balances are known exactly.
 *
 * Directions are numbered once and keep their index for the graph's life (a removed one is
 * only flagged), so a {@link Liquidity} or a plan can refer to them by index.
 */
import type { RouteHintHop } from '@ampkit/wire';
import { engineError } from '../errors.ts';

/** One direction of a channel as Core Lightning's `listchannels` gives it (fields the planner reads). */
export interface ListChannelsEntry {
  source: string;
  destination: string;
  short_channel_id: string;
  /** 0 when `source` is BOLT 7 `node_1` (the lower node id). */
  direction: number;
  /** The channel's capacity. */
  amount_msat: number;
  /** False for a disabled direction (or one never updated): never routed over. */
  active: boolean;
  base_fee_millisatoshi: number;
  fee_per_millionth: number;
  /** The CLTV delta the source asks for forwarding over this direction. */
  delay: number;
  htlc_minimum_msat: number;
  /** Absent in old replies: the capacity then. */
  htlc_maximum_msat?: number;
}

/** One of our own channels, as `listpeerchannels` tells it. */
export interface OwnChannel {
  peer_id: string;
  short_channel_id: string;
  /** What we can send over it now: the planner treats this as exact. */
  spendable_msat: number;
  /** Default: the gossiped capacity, or `spendable_msat` for a private channel. */
  capacity_msat?: number;
  /** Default: the gossiped value, or 0. */
  htlc_minimum_msat?: number;
  /** Default: the gossiped value, or the capacity. */
  htlc_maximum_msat?: number;
}

/** Options of {@link ChannelGraph.addRouteHints}. */
export interface RouteHintOptions {
  /**
   * The capacity assumed for a hinted channel the graph does not know (hints say nothing
   * of it; the payee chose the channel, so it is assumed large). Default 1 BTC.
   */
  capacity_msat?: number;
}

/**
 * A graph's gossiped directions as columns, one slot per direction: what
 * {@link ChannelGraph.columns} gives and {@link ChannelGraph.fromColumns} takes.
 */
export interface GraphColumns {
  /** Node ids; `from` and `to` index into it. */
  nodes: string[];
  scids: string[];
  from: Int32Array<ArrayBuffer>;
  to: Int32Array<ArrayBuffer>;
  direction: Uint8Array<ArrayBuffer>;
  /** 1 for a routable direction, 0 for a disabled one. */
  active: Uint8Array<ArrayBuffer>;
  capacity: Float64Array<ArrayBuffer>;
  baseFee: Float64Array<ArrayBuffer>;
  ppm: Float64Array<ArrayBuffer>;
  cltv: Int32Array<ArrayBuffer>;
  htlcMin: Float64Array<ArrayBuffer>;
  htlcMax: Float64Array<ArrayBuffer>;
}

/** Direction flags. */
export const ChannelFlag = {
  /** Routable: enabled and not removed. */
  ACTIVE: 1,
  /** One of our own channels: its spendable balance is known. */
  OWN: 2,
  /** From a route hint. */
  HINT: 4,
  /** Removed; its index is not reused. */
  REMOVED: 8,
} as const;

const PUBKEY = /^0[23][0-9a-f]{64}$/;
const SCID = /^\d{1,8}x\d{1,8}x\d{1,5}$/;
const DEFAULT_HINT_CAPACITY = 100_000_000_000;

function invalid(message: string): never {
  throw engineError('INVALID_ARGUMENT', message);
}

function msat(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) invalid(`${name} must be a non-negative safe integer`);
  return value;
}

function u32(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff)
    invalid(`${name} must be a 32-bit unsigned integer`);
  return value;
}

/** The key of a direction: `scid/direction`, as Core Lightning writes a `short_channel_id_dir`. */
export function channelKey(scid: string, direction: number): string {
  return `${scid}/${direction}`;
}

/** BOLT 7: direction 0 goes from `node_1`, the lexicographically lower id. */
function directionOf(from: string, to: string): 0 | 1 {
  return from < to ? 0 : 1;
}

function grow<T extends Float64Array | Int32Array | Uint8Array>(array: T, size: number): T {
  if (array.length >= size) return array;
  const bigger = new (array.constructor as new (n: number) => T)(Math.max(size, array.length * 2, 64));
  bigger.set(array);
  return bigger;
}

/**
 * A directed channel graph. Build it with {@link ChannelGraph.fromListChannels}; every
 * per-direction field is a typed array indexed by the direction's index (`0 … size-1`),
 * read-only for callers: change the graph through its methods.
 *
 * @example
 * const graph = ChannelGraph.fromListChannels((await node.request('listchannels')).channels);
 * graph.setOwnChannel(myId, { peer_id, short_channel_id, spendable_msat });
 * graph.addRouteHints(invoice.payee, invoice.routes ?? []);
 */
export class ChannelGraph {
  /** Node ids by node index. */
  readonly nodeIds: string[] = [];
  /** Short channel id of each direction. */
  readonly scids: string[] = [];
  from = new Int32Array(0);
  to = new Int32Array(0);
  direction = new Uint8Array(0);
  flags = new Uint8Array(0);
  capacity = new Float64Array(0);
  baseFee = new Float64Array(0);
  ppm = new Float64Array(0);
  cltv = new Int32Array(0);
  htlcMin = new Float64Array(0);
  htlcMax = new Float64Array(0);
  /** Exactly known liquidity (our own channels), NaN when unknown. */
  known = new Float64Array(0);
  private readonly nodeIndexes = new Map<string, number>();
  /** The index of one direction of each short channel id; {@link ChannelGraph.twin} leads to the other. */
  private readonly channelIndexes = new Map<string, number>();
  /** The index of the other direction of the same channel, or -1. */
  private twin = new Int32Array(0);
  private count = 0;
  private csr: { outStart: Int32Array; outList: Int32Array; inStart: Int32Array; inList: Int32Array } | undefined;
  /** Bumped on every change, so caches built from the graph can tell they are stale. */
  version = 0;

  /** Builds a graph from `listchannels` entries; an entry repeated (same scid and direction) replaces the earlier one. */
  static fromListChannels(entries: readonly ListChannelsEntry[]): ChannelGraph {
    if (!Array.isArray(entries)) invalid('listchannels entries must be an array');
    const graph = new ChannelGraph();
    graph.reserve(entries.length);
    for (let i = 0; i < entries.length; i++) graph.upsert(entries[i]!);
    return graph;
  }

  /**
   * Builds a graph from columns (what {@link ChannelGraph.columns} gave, e.g. back from the
   * journal's cache): the typed arrays are taken over as they are (they become the graph's:
   * do not use them after), not rebuilt one entry at a time. Every value is checked as {@link ChannelGraph.upsert} would; anything malformed
   * (a column of the wrong length or kind, a node index out of range, a bad id or amount, a
   * direction twice) is `INVALID_ARGUMENT`, and nothing is built.
   */
  static fromColumns(columns: GraphColumns): ChannelGraph {
    if (columns === null || typeof columns !== 'object') invalid('graph columns must be an object');
    const { nodes, scids } = columns;
    if (!Array.isArray(nodes) || !Array.isArray(scids)) invalid('graph columns need nodes and scids arrays');
    const n = scids.length;
    const kinds: [keyof GraphColumns, new (n: number) => ArrayBufferView][] = [
      ['from', Int32Array],
      ['to', Int32Array],
      ['direction', Uint8Array],
      ['active', Uint8Array],
      ['capacity', Float64Array],
      ['baseFee', Float64Array],
      ['ppm', Float64Array],
      ['cltv', Int32Array],
      ['htlcMin', Float64Array],
      ['htlcMax', Float64Array],
    ];
    for (const [name, kind] of kinds) {
      const column = columns[name];
      if (!(column instanceof kind) || (column as unknown as Uint8Array).length !== n)
        invalid(`graph column ${name} must be a ${kind.name} of ${n}`);
    }
    const graph = new ChannelGraph();
    graph.twin = new Int32Array(n).fill(-1);
    for (const id of nodes) graph.node(id);
    if (graph.nodeIds.length !== nodes.length) invalid('graph columns list a node twice');
    const { from, to, direction, active, capacity, baseFee, ppm, cltv, htlcMin, htlcMax } = columns;
    const count = nodes.length;
    for (let i = 0; i < n; i++) {
      const scid = scids[i];
      if (typeof scid !== 'string' || !SCID.test(scid)) invalid(`short_channel_id ${JSON.stringify(scid)} is not BLOCKxTXxOUT`);
      const a = from[i]!;
      const b = to[i]!;
      if (!(a >= 0 && a < count && b >= 0 && b < count) || a === b) invalid(`${scid}: node indexes ${a} and ${b} do not name two nodes`);
      const d = direction[i]!;
      if (d > 1) invalid(`${scid}: direction must be 0 or 1`);
      if (active[i]! > 1) invalid(`${scid}: active must be 0 or 1`);
      msat(capacity[i], `${scid}: amount_msat`);
      msat(htlcMin[i], `${scid}: htlc_minimum_msat`);
      msat(htlcMax[i], `${scid}: htlc_maximum_msat`);
      u32(baseFee[i], `${scid}: base_fee_millisatoshi`);
      u32(ppm[i], `${scid}: fee_per_millionth`);
      u32(cltv[i], `${scid}: delay`);
      const other = graph.channelIndexes.get(scid);
      if (other === undefined) graph.channelIndexes.set(scid, i);
      else if (direction[other] === d || graph.twin[other]! >= 0) invalid(`${channelKey(scid, d)} is listed twice`);
      else {
        graph.twin[other] = i;
        graph.twin[i] = other;
      }
    }
    for (let i = 0; i < n; i++) graph.scids.push(scids[i]!);
    graph.from = from;
    graph.to = to;
    graph.direction = direction;
    graph.flags = active;
    graph.capacity = capacity;
    graph.baseFee = baseFee;
    graph.ppm = ppm;
    graph.cltv = cltv;
    graph.htlcMin = htlcMin;
    graph.htlcMax = htlcMax;
    for (let i = 0; i < n; i++) if (graph.htlcMax[i]! > graph.capacity[i]!) graph.htlcMax[i] = graph.capacity[i]!;
    graph.known = new Float64Array(n).fill(NaN);
    graph.count = n;
    graph.changed();
    return graph;
  }

  /**
   * The graph's gossiped directions as columns, for the journal's cache (IndexedDB clones
   * typed arrays whole): removed directions, our own channels and route hints are left out,
   * since they are told again on every plan.
   */
  columns(): GraphColumns {
    const keep: number[] = [];
    for (let e = 0; e < this.count; e++) if (!(this.flags[e]! & (ChannelFlag.REMOVED | ChannelFlag.OWN | ChannelFlag.HINT))) keep.push(e);
    const column = <T extends Float64Array | Int32Array | Uint8Array>(make: new (n: number) => T, of: ArrayLike<number>): T => {
      const out = new make(keep.length);
      for (let i = 0; i < keep.length; i++) out[i] = of[keep[i]!]!;
      return out;
    };
    const active = new Uint8Array(keep.length);
    for (let i = 0; i < keep.length; i++) active[i] = this.flags[keep[i]!]! & ChannelFlag.ACTIVE;
    return {
      nodes: this.nodeIds.slice(),
      scids: keep.map((e) => this.scids[e]!),
      from: column(Int32Array, this.from),
      to: column(Int32Array, this.to),
      direction: column(Uint8Array, this.direction),
      active,
      capacity: column(Float64Array, this.capacity),
      baseFee: column(Float64Array, this.baseFee),
      ppm: column(Float64Array, this.ppm),
      cltv: column(Int32Array, this.cltv),
      htlcMin: column(Float64Array, this.htlcMin),
      htlcMax: column(Float64Array, this.htlcMax),
    };
  }

  /** Number of direction indexes in use (removed ones included). */
  get size(): number {
    return this.count;
  }

  /** Number of nodes. */
  get nodeCount(): number {
    return this.nodeIds.length;
  }

  /** The node's index, or -1. */
  nodeIndex(id: string): number {
    return this.nodeIndexes.get(id) ?? -1;
  }

  /** The direction's index, or -1 (removed directions included). */
  channelIndex(scid: string, direction: number): number {
    const index = this.channelIndexes.get(scid);
    if (index === undefined) return -1;
    return this.direction[index] === direction ? index : this.twin[index]!;
  }

  /** True when the direction can be routed over. */
  isActive(index: number): boolean {
    return (this.flags[index]! & ChannelFlag.ACTIVE) !== 0;
  }

  /** Adds or replaces one direction from a `listchannels` entry; returns its index. */
  upsert(entry: ListChannelsEntry): number {
    if (entry === null || typeof entry !== 'object') invalid('a listchannels entry must be an object');
    const { source, destination, short_channel_id: scid, direction } = entry;
    if (typeof scid !== 'string' || !SCID.test(scid)) invalid(`short_channel_id ${JSON.stringify(scid)} is not BLOCKxTXxOUT`);
    if (direction !== 0 && direction !== 1) invalid(`${scid}: direction must be 0 or 1`);
    const capacity = msat(entry.amount_msat, `${scid}: amount_msat`);
    const max = entry.htlc_maximum_msat === undefined ? capacity : msat(entry.htlc_maximum_msat, `${scid}: htlc_maximum_msat`);
    if (typeof entry.active !== 'boolean') invalid(`${scid}: active must be a boolean`);
    return this.put(scid, direction, this.node(source), this.node(destination), {
      capacity,
      baseFee: u32(entry.base_fee_millisatoshi, `${scid}: base_fee_millisatoshi`),
      ppm: u32(entry.fee_per_millionth, `${scid}: fee_per_millionth`),
      cltv: u32(entry.delay, `${scid}: delay`),
      htlcMin: msat(entry.htlc_minimum_msat, `${scid}: htlc_minimum_msat`),
      htlcMax: max,
      flags: entry.active ? ChannelFlag.ACTIVE : 0,
    });
  }

  /** Removes one direction; false when there was none. */
  remove(scid: string, direction: number): boolean {
    const index = this.channelIndex(scid, direction);
    if (index < 0 || this.flags[index]! & ChannelFlag.REMOVED) return false;
    this.flags[index] = ChannelFlag.REMOVED;
    this.known[index] = NaN;
    this.changed();
    return true;
  }

  /**
   * Our own channel from `source` (our node id) to `peer_id`: routable at no fee and no
   * CLTV delta (we do not charge ourselves), its liquidity exactly `spendable_msat`. A
   * gossiped direction with that scid keeps its capacity and htlc limits unless given.
   */
  setOwnChannel(source: string, channel: OwnChannel): number {
    if (channel === null || typeof channel !== 'object') invalid('an own channel must be an object');
    const { peer_id, short_channel_id: scid } = channel;
    if (typeof scid !== 'string' || !SCID.test(scid)) invalid(`short_channel_id ${JSON.stringify(scid)} is not BLOCKxTXxOUT`);
    const from = this.node(source);
    const to = this.node(peer_id);
    if (from === to) invalid(`${scid}: a channel to ourselves`);
    const direction = directionOf(source, peer_id);
    const spendable = msat(channel.spendable_msat, `${scid}: spendable_msat`);
    const old = this.channelIndex(scid, direction);
    const had = old >= 0 && !(this.flags[old]! & ChannelFlag.REMOVED);
    const capacity =
      channel.capacity_msat !== undefined
        ? msat(channel.capacity_msat, `${scid}: capacity_msat`)
        : had
          ? Math.max(this.capacity[old]!, spendable)
          : spendable;
    const index = this.put(scid, direction, from, to, {
      capacity,
      baseFee: 0,
      ppm: 0,
      cltv: 0,
      htlcMin:
        channel.htlc_minimum_msat !== undefined
          ? msat(channel.htlc_minimum_msat, `${scid}: htlc_minimum_msat`)
          : had
            ? this.htlcMin[old]!
            : 0,
      htlcMax:
        channel.htlc_maximum_msat !== undefined
          ? msat(channel.htlc_maximum_msat, `${scid}: htlc_maximum_msat`)
          : had
            ? this.htlcMax[old]!
            : capacity,
      flags: ChannelFlag.ACTIVE | ChannelFlag.OWN,
    });
    this.known[index] = Math.min(spendable, capacity);
    return index;
  }

  /**
   * Sets (or, with `undefined`, forgets) the exactly known liquidity of a direction, e.g.
   * a fresh `spendable_msat` of one of our channels.
   */
  setKnown(scid: string, direction: number, amount_msat: number | undefined): void {
    const index = this.channelIndex(scid, direction);
    if (index < 0) invalid(`no channel ${channelKey(scid, direction)}`);
    this.known[index] = amount_msat === undefined ? NaN : msat(amount_msat, `${scid}: known amount`);
    this.version++;
  }

  /**
   * Adds the channels of an invoice's route hints (wire's `Bolt11Invoice.routes`): each
   * hint hop's channel leads from its `pubkey` to the next hop's, the last to `destination`.
   * A direction the graph already has takes the hint's fees and delay and is enabled; a new
   * one gets `options.capacity_msat`. Returns the indexes of the hinted directions.
   */
  addRouteHints(destination: string, routes: readonly (readonly RouteHintHop[])[], options: RouteHintOptions = {}): number[] {
    if (!Array.isArray(routes)) invalid('route hints must be an array of routes');
    const capacity = options.capacity_msat === undefined ? DEFAULT_HINT_CAPACITY : msat(options.capacity_msat, 'capacity_msat');
    const target = this.node(destination);
    const added: number[] = [];
    for (const route of routes) {
      if (!Array.isArray(route) || route.length === 0) invalid('a route hint must be a non-empty array of hops');
      route.forEach((hop: RouteHintHop, i) => {
        if (hop === null || typeof hop !== 'object') invalid('a route hint hop must be an object');
        const scid = hop.short_channel_id;
        if (typeof scid !== 'string' || !SCID.test(scid))
          invalid(`route hint short_channel_id ${JSON.stringify(scid)} is not BLOCKxTXxOUT`);
        const from = this.node(hop.pubkey);
        const to = i + 1 < route.length ? this.node(route[i + 1]!.pubkey) : target;
        if (from === to) invalid(`route hint ${scid} leads from a node to itself`);
        const direction = directionOf(this.nodeIds[from]!, this.nodeIds[to]!);
        const policy = {
          baseFee: u32(hop.fee_base_msat, `${scid}: fee_base_msat`),
          ppm: u32(hop.fee_proportional_millionths, `${scid}: fee_proportional_millionths`),
          cltv: u32(hop.cltv_expiry_delta, `${scid}: cltv_expiry_delta`),
        };
        const old = this.channelIndex(scid, direction);
        if (old >= 0 && !(this.flags[old]! & ChannelFlag.REMOVED) && this.from[old] === from && this.to[old] === to) {
          if (this.flags[old]! & ChannelFlag.OWN) return void added.push(old);
          const cap = this.capacity[old]!;
          const hmax = this.isActive(old) ? this.htlcMax[old]! : cap;
          const hmin = this.isActive(old) ? this.htlcMin[old]! : 0;
          added.push(
            this.put(scid, direction, from, to, {
              ...policy,
              capacity: cap,
              htlcMin: hmin,
              htlcMax: hmax,
              flags: ChannelFlag.ACTIVE | ChannelFlag.HINT,
            }),
          );
        } else {
          added.push(
            this.put(scid, direction, from, to, {
              ...policy,
              capacity,
              htlcMin: 0,
              htlcMax: capacity,
              flags: ChannelFlag.ACTIVE | ChannelFlag.HINT,
            }),
          );
        }
      });
    }
    return added;
  }

  /** One direction back in `listchannels` shape (for logs and tests). */
  entry(index: number): ListChannelsEntry & { own: boolean; hint: boolean; known_msat?: number } {
    if (!(index >= 0 && index < this.count)) invalid(`no channel direction ${index}`);
    const known = this.known[index]!;
    return {
      source: this.nodeIds[this.from[index]!]!,
      destination: this.nodeIds[this.to[index]!]!,
      short_channel_id: this.scids[index]!,
      direction: this.direction[index]!,
      amount_msat: this.capacity[index]!,
      active: this.isActive(index),
      base_fee_millisatoshi: this.baseFee[index]!,
      fee_per_millionth: this.ppm[index]!,
      delay: this.cltv[index]!,
      htlc_minimum_msat: this.htlcMin[index]!,
      htlc_maximum_msat: this.htlcMax[index]!,
      own: (this.flags[index]! & ChannelFlag.OWN) !== 0,
      hint: (this.flags[index]! & ChannelFlag.HINT) !== 0,
      ...(Number.isNaN(known) ? {} : { known_msat: known }),
    };
  }

  /**
   * Active directions by node, as compressed rows: the directions out of node `v` are
   * `outList[outStart[v] … outStart[v+1]-1]`, those into it likewise in `inList`. Rebuilt
   * after a change, on first use.
   */
  adjacency(): { outStart: Int32Array; outList: Int32Array; inStart: Int32Array; inList: Int32Array } {
    if (this.csr) return this.csr;
    const n = this.nodeIds.length;
    const outStart = new Int32Array(n + 1);
    const inStart = new Int32Array(n + 1);
    let active = 0;
    for (let e = 0; e < this.count; e++) {
      if (!(this.flags[e]! & ChannelFlag.ACTIVE)) continue;
      outStart[this.from[e]! + 1]!++;
      inStart[this.to[e]! + 1]!++;
      active++;
    }
    for (let v = 0; v < n; v++) {
      outStart[v + 1]! += outStart[v]!;
      inStart[v + 1]! += inStart[v]!;
    }
    const outList = new Int32Array(active);
    const inList = new Int32Array(active);
    const outAt = outStart.slice(0, n);
    const inAt = inStart.slice(0, n);
    for (let e = 0; e < this.count; e++) {
      if (!(this.flags[e]! & ChannelFlag.ACTIVE)) continue;
      outList[outAt[this.from[e]!]!++] = e;
      inList[inAt[this.to[e]!]!++] = e;
    }
    this.csr = { outStart, outList, inStart, inList };
    return this.csr;
  }

  private node(id: unknown): number {
    const known = typeof id === 'string' ? this.nodeIndexes.get(id) : undefined;
    if (known !== undefined) return known;
    if (typeof id !== 'string' || !PUBKEY.test(id))
      invalid(`node id ${JSON.stringify(id)} is not a 33-byte compressed key in lowercase hex`);
    const index = this.nodeIds.length;
    this.nodeIds.push(id);
    this.nodeIndexes.set(id, index);
    this.csr = undefined;
    return index;
  }

  private reserve(size: number): void {
    this.from = grow(this.from, size);
    this.to = grow(this.to, size);
    this.direction = grow(this.direction, size);
    this.flags = grow(this.flags, size);
    this.capacity = grow(this.capacity, size);
    this.baseFee = grow(this.baseFee, size);
    this.ppm = grow(this.ppm, size);
    this.cltv = grow(this.cltv, size);
    this.htlcMin = grow(this.htlcMin, size);
    this.htlcMax = grow(this.htlcMax, size);
    this.known = grow(this.known, size);
    this.twin = grow(this.twin, size);
  }

  private put(
    scid: string,
    direction: 0 | 1,
    from: number,
    to: number,
    p: { capacity: number; baseFee: number; ppm: number; cltv: number; htlcMin: number; htlcMax: number; flags: number },
  ): number {
    if (from === to) invalid(`${scid}: a channel from a node to itself`);
    let index: number = this.channelIndex(scid, direction);
    const fresh = index < 0;
    if (fresh) {
      index = this.count++;
      this.reserve(this.count);
      const other = this.channelIndexes.get(scid);
      if (other === undefined) {
        this.channelIndexes.set(scid, index);
        this.twin[index] = -1;
      } else {
        this.twin[other] = index;
        this.twin[index] = other;
      }
      this.scids[index] = scid;
      this.known[index] = NaN;
    } else if (this.flags[index]! & ChannelFlag.OWN && !(p.flags & ChannelFlag.OWN)) {
      // Gossip about our own channel: keep it ours (no fee to ourselves, balance known).
      p = { ...p, baseFee: 0, ppm: 0, cltv: 0, flags: p.flags | ChannelFlag.OWN | ChannelFlag.ACTIVE };
    } else if (!(p.flags & ChannelFlag.OWN)) {
      this.known[index] = NaN;
    }
    const htlcMax = Math.min(p.htlcMax, p.capacity);
    // The same values again (our own channels are told on every plan): no change, caches stay good.
    const same =
      !fresh &&
      this.from[index] === from &&
      this.to[index] === to &&
      this.flags[index] === p.flags &&
      this.capacity[index] === p.capacity &&
      this.baseFee[index] === p.baseFee &&
      this.ppm[index] === p.ppm &&
      this.cltv[index] === p.cltv &&
      this.htlcMin[index] === p.htlcMin &&
      this.htlcMax[index] === htlcMax;
    if (same) return index;
    this.from[index] = from;
    this.to[index] = to;
    this.direction[index] = direction;
    this.flags[index] = p.flags;
    this.capacity[index] = p.capacity;
    this.baseFee[index] = p.baseFee;
    this.ppm[index] = p.ppm;
    this.cltv[index] = p.cltv;
    this.htlcMin[index] = p.htlcMin;
    this.htlcMax[index] = htlcMax;
    this.changed();
    return index;
  }

  private changed(): void {
    this.csr = undefined;
    this.version++;
  }
}

/**
 * The fee a node charges to forward `amount_msat` over a direction (BOLT 7: base plus the
 * proportional part, rounded down, as Core Lightning computes and checks it).
 */
export function forwardFee(base: number, ppm: number, amount_msat: number): number {
  // Split so the product stays exact beyond 2^53 / ppm.
  const high = Math.floor(amount_msat / 1_000_000);
  const low = amount_msat - high * 1_000_000;
  return base + high * ppm + Math.floor((low * ppm) / 1_000_000);
}
