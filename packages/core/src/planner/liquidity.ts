/**
 * What the planner has learned about each direction's unknown liquidity: a lower and an
 * upper bound, between which the liquidity is taken as uniform (Pickhardt and Richter,
 * "Optimally reliable & cheap payment flows on the Lightning Network", 2021). Without
 * knowledge the bounds are 0 and the capacity; our own channels are exact (the graph's
 * `known`). Learned bounds relax toward that prior with a half-life, since balances move.
 */
import { engineError } from '../errors.ts';
import { channelKey, type ChannelGraph } from './graph.ts';

/**
 * The probability that a direction whose liquidity is uniform on `lower … upper` can carry
 * `amount_msat`: 1 at or below `lower`, 0 above `upper`, else
 * `(upper + 1 - amount) / (upper + 1 - lower)`.
 */
export function successProbability(amount_msat: number, lower: number, upper: number): number {
  if (!(amount_msat >= 0) || !(lower >= 0) || !(upper >= -1) || Number.isNaN(amount_msat + lower + upper)) {
    throw engineError('INVALID_ARGUMENT', 'successProbability needs non-negative numbers');
  }
  if (amount_msat <= lower) return 1;
  if (amount_msat > upper) return 0;
  return (upper + 1 - amount_msat) / (upper + 1 - lower);
}

/** Options of a {@link Liquidity}. */
export interface LiquidityOptions {
  /** Hours after which a learned bound has relaxed half-way back to the prior. Default 6; `Infinity` never. */
  half_life_hours?: number;
}

/** A {@link Liquidity} as plain JSON, for the engine's store. */
export interface SerializedLiquidity {
  version: 1;
  half_life_hours: number | null;
  /** `[scid/direction, lower, upper, learned at (unix seconds)]`; `upper` null: capacity. */
  bounds: [string, number, number | null, number][];
}

interface Bound {
  lower: number;
  /** Infinity: not learned (the capacity). */
  upper: number;
  /** Unix seconds of the last update. */
  at: number;
}

const KEY = /^\d{1,8}x\d{1,8}x\d{1,5}\/[01]$/;

/** Seconds since the epoch, for callers that pass no clock. */
export function nowSeconds(): number {
  return Date.now() / 1000;
}

/**
 * Learned liquidity bounds per direction (by `scid/direction` key, so they survive a
 * rebuilt graph).
 *
 * @example
 * const liquidity = new Liquidity({ half_life_hours: 6 });
 * learn(liquidity, graph, route, { ok: false, erring_index: 2, failcode: 0x1007 });
 * store.put(liquidity.toJSON());
 */
export class Liquidity {
  readonly halfLifeHours: number;
  private readonly map = new Map<string, Bound>();

  constructor(options: LiquidityOptions = {}) {
    const h = options.half_life_hours ?? 6;
    if (typeof h !== 'number' || !(h > 0)) throw engineError('INVALID_ARGUMENT', 'half_life_hours must be a positive number (or Infinity)');
    this.halfLifeHours = h;
  }

  /** Number of directions with learned bounds. */
  get size(): number {
    return this.map.size;
  }

  /** The bounds of direction `index` of `graph` at `now` (decayed): exact for known liquidity. */
  bounds(graph: ChannelGraph, index: number, now = nowSeconds()): { lower: number; upper: number } {
    const capacity = graph.capacity[index]!;
    const known = graph.known[index]!;
    if (!Number.isNaN(known)) return { lower: known, upper: known };
    const b = this.map.get(channelKey(graph.scids[index]!, graph.direction[index]!));
    return b ? this.decayed(b, capacity, now) : { lower: 0, upper: capacity };
  }

  /**
   * Fills `lower` and `upper` (one slot per direction of `graph`) with every direction's
   * bounds at `now`, in one pass: the planner's view.
   */
  fill(graph: ChannelGraph, lower: Float64Array, upper: Float64Array, now = nowSeconds()): void {
    const n = graph.size;
    lower.fill(0, 0, n);
    upper.set(graph.capacity.subarray(0, n));
    for (const [key, b] of this.map) {
      const slash = key.length - 2;
      const index = graph.channelIndex(key.slice(0, slash), key.charCodeAt(slash + 1) - 48);
      if (index < 0) continue;
      const d = this.decayed(b, graph.capacity[index]!, now);
      lower[index] = d.lower;
      upper[index] = d.upper;
    }
    const known = graph.known;
    for (let i = 0; i < n; i++) {
      const k = known[i]!;
      if (k === k) {
        lower[i] = k;
        upper[i] = k;
      }
    }
  }

  /** Learns that direction `index` could not carry `amount_msat` (its liquidity is below it). */
  capAt(graph: ChannelGraph, index: number, amount_msat: number, now = nowSeconds()): void {
    this.update(graph, index, now, (b) => {
      b.upper = Math.min(b.upper, Math.max(-1, amount_msat - 1));
      if (b.lower > b.upper) b.lower = Math.max(0, b.upper);
    });
  }

  /** Learns that direction `index` carried `amount_msat` (its liquidity is at least that). */
  floorAt(graph: ChannelGraph, index: number, amount_msat: number, now = nowSeconds()): void {
    this.update(graph, index, now, (b) => {
      b.lower = Math.max(b.lower, amount_msat);
      if (b.upper < b.lower) b.upper = b.lower;
    });
  }

  /**
   * Moves direction `index`'s bounds by `delta_msat` (negative: funds left it), e.g. when
   * a payment over it settled; its opposite direction moves the other way.
   */
  shift(graph: ChannelGraph, index: number, delta_msat: number, now = nowSeconds()): void {
    const capacity = graph.capacity[index]!;
    this.update(graph, index, now, (b) => {
      b.lower = Math.min(capacity, Math.max(0, b.lower + delta_msat));
      b.upper = Math.min(capacity, Math.max(b.lower, Math.min(b.upper, capacity) + delta_msat));
    });
  }

  /** Forgets everything learned about direction `index` (or, with no argument, about all). */
  forget(graph?: ChannelGraph, index?: number): void {
    if (!graph || index === undefined) this.map.clear();
    else this.map.delete(channelKey(graph.scids[index]!, graph.direction[index]!));
  }

  /** The learned bounds as JSON (see {@link Liquidity.fromJSON}). */
  toJSON(): SerializedLiquidity {
    return {
      version: 1,
      half_life_hours: Number.isFinite(this.halfLifeHours) ? this.halfLifeHours : null,
      bounds: [...this.map].map(([key, b]) => [key, b.lower, Number.isFinite(b.upper) ? b.upper : null, b.at]),
    };
  }

  /**
   * Reads what {@link Liquidity.toJSON} wrote; anything else is `INVALID_ARGUMENT`.
   * `half_life_hours`, when given, replaces the one it was written with.
   */
  static fromJSON(json: unknown, half_life_hours?: number): Liquidity {
    const bad = (why: string): never => {
      throw engineError('INVALID_ARGUMENT', `not a serialized liquidity: ${why}`);
    };
    if (json === null || typeof json !== 'object') bad('not an object');
    const o = json as Partial<SerializedLiquidity>;
    if (o.version !== 1) bad('unknown version');
    if (o.half_life_hours !== null && !(typeof o.half_life_hours === 'number' && o.half_life_hours > 0)) bad('half_life_hours');
    if (!Array.isArray(o.bounds)) bad('bounds must be an array');
    const liquidity = new Liquidity({ half_life_hours: half_life_hours ?? o.half_life_hours ?? Infinity });
    for (const item of o.bounds!) {
      if (!Array.isArray(item) || item.length !== 4) bad('a bound must be [key, lower, upper, at]');
      const [key, lower, upper, at] = item;
      if (typeof key !== 'string' || !KEY.test(key)) bad(`bad key ${JSON.stringify(key)}`);
      if (!Number.isSafeInteger(lower) || lower < 0) bad(`${key}: lower`);
      if (upper !== null && (!Number.isSafeInteger(upper) || upper < -1)) bad(`${key}: upper`);
      if (typeof at !== 'number' || !Number.isFinite(at)) bad(`${key}: time`);
      liquidity.map.set(key, { lower, upper: upper ?? Infinity, at });
    }
    return liquidity;
  }

  private decayed(b: Bound, capacity: number, now: number): { lower: number; upper: number } {
    const upper = Math.min(b.upper, capacity);
    const lower = Math.min(b.lower, capacity);
    const age = now - b.at;
    if (!(age > 0) || !Number.isFinite(this.halfLifeHours)) return { lower, upper: Math.max(upper, -1) };
    const f = Math.pow(0.5, age / (this.halfLifeHours * 3600));
    const l = Math.floor(lower * f);
    return { lower: l, upper: Math.max(l, Math.ceil(capacity - (capacity - upper) * f)) };
  }

  private update(graph: ChannelGraph, index: number, now: number, change: (b: Bound) => void): void {
    if (!(index >= 0 && index < graph.size)) throw engineError('INVALID_ARGUMENT', `no channel direction ${index}`);
    if (!Number.isNaN(graph.known[index]!)) return; // exact already; the caller refreshes it from the node
    const key = channelKey(graph.scids[index]!, graph.direction[index]!);
    const old = this.map.get(key);
    const current = old ? this.decayed(old, graph.capacity[index]!, now) : { lower: 0, upper: graph.capacity[index]! };
    const b: Bound = { lower: current.lower, upper: current.upper, at: now };
    change(b);
    this.map.set(key, b);
  }
}
