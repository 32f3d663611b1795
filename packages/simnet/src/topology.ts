/**
 * Topologies: the built-in `demo` network, a JSON file in simnet's own format, the real
 * mainnet snapshot (a Core Lightning `listchannels` reply, gzipped or not), and a seeded
 * graph of mainnet's shape (`generated:N`) that goes through the same loader.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { bytesToHex } from '@noble/hashes/utils.js';
import { Network, type Policy, type SimNode } from './network.ts';
import { derive, prng } from './seed.ts';

/** A channel of a JSON topology. Amounts in satoshi; policies default to 1 msat + 10 ppm, cltv 6. */
export interface TopologyChannel {
  a: string;
  b: string;
  capacity_sat: number;
  /** What `a` holds; default: half. */
  balance_a_sat?: number;
  policy_a?: Partial<Policy>;
  policy_b?: Partial<Policy>;
}

/** simnet's own topology format: named nodes (each gets a key and a listener) and channels. */
export interface Topology {
  nodes: { alias: string }[];
  channels: TopologyChannel[];
}

/**
 * The demo: a `wallet`, a `shop` and four routing nodes. The wallet holds 750,000 sat on
 * each of four channels (3,000,000 sat outbound), but each routing node can pass at most
 * about 700,000 sat on to the shop, so a payment of 60% of the wallet's outbound
 * (1,800,000 sat) needs at least three parts over disjoint paths.
 */
export const DEMO_TOPOLOGY: Topology = {
  nodes: [{ alias: 'wallet' }, { alias: 'shop' }, { alias: 'alice' }, { alias: 'bob' }, { alias: 'carol' }, { alias: 'dave' }],
  channels: [
    ...['alice', 'bob', 'carol', 'dave'].map((r) => ({ a: 'wallet', b: r, capacity_sat: 1_000_000, balance_a_sat: 750_000 })),
    ...['alice', 'bob', 'carol', 'dave'].map((r, i) => ({
      a: r,
      b: 'shop',
      capacity_sat: 1_000_000,
      balance_a_sat: 700_000,
      policy_a: { fee_base_msat: 1000, fee_proportional_millionths: 100 + 50 * i, cltv_expiry_delta: 40 },
    })),
    {
      a: 'alice',
      b: 'bob',
      capacity_sat: 500_000,
      balance_a_sat: 250_000,
      policy_a: { fee_base_msat: 1000, fee_proportional_millionths: 500, cltv_expiry_delta: 40 },
      policy_b: { fee_base_msat: 1000, fee_proportional_millionths: 500, cltv_expiry_delta: 40 },
    },
  ],
};

export function defaultPolicy(capacity_msat: number, overrides: Partial<Policy> = {}): Policy {
  return {
    fee_base_msat: 1,
    fee_proportional_millionths: 10,
    cltv_expiry_delta: 6,
    htlc_minimum_msat: 0,
    htlc_maximum_msat: Math.floor(capacity_msat * 0.99),
    active: true,
    ...overrides,
  };
}

/** Builds a JSON topology into `network`; `keyOf(alias)` gives each node's id. Returns the nodes by alias. */
export function buildTopology(network: Network, topology: Topology, idOf: (alias: string) => string): Map<string, SimNode> {
  if (!topology || !Array.isArray(topology.nodes) || !Array.isArray(topology.channels)) {
    throw new TypeError('a topology needs "nodes" and "channels" arrays');
  }
  const byAlias = new Map<string, SimNode>();
  for (const { alias } of topology.nodes) {
    if (typeof alias !== 'string' || !/^[\w.-]{1,32}$/.test(alias)) throw new TypeError(`bad node alias ${JSON.stringify(alias)}`);
    if (byAlias.has(alias)) throw new TypeError(`duplicate node alias ${alias}`);
    byAlias.set(alias, network.addNode(idOf(alias), alias));
  }
  topology.channels.forEach((c, i) => {
    const a = byAlias.get(c.a);
    const b = byAlias.get(c.b);
    if (!a || !b || a === b) throw new TypeError(`channel ${i}: unknown or identical ends ${c.a}, ${c.b}`);
    if (!Number.isSafeInteger(c.capacity_sat) || c.capacity_sat <= 0) throw new TypeError(`channel ${i}: bad capacity_sat`);
    const capacity = c.capacity_sat * 1000;
    const balance = (c.balance_a_sat ?? c.capacity_sat / 2) * 1000;
    if (!(balance >= 0 && balance <= capacity)) throw new TypeError(`channel ${i}: balance_a_sat outside 0..capacity`);
    network.addChannel(
      `${network.blockheight - 100}x${i + 1}x0`,
      a,
      b,
      capacity,
      Math.floor(balance),
      defaultPolicy(capacity, c.policy_a),
      defaultPolicy(capacity, c.policy_b),
    );
  });
  return byAlias;
}

/** One direction of a Core Lightning `listchannels` reply. */
interface ListChannelsEntry {
  source: string;
  destination: string;
  short_channel_id: string;
  direction: number;
  amount_msat: number;
  active: boolean;
  base_fee_millisatoshi: number;
  fee_per_millionth: number;
  delay: number;
  htlc_minimum_msat: number;
  htlc_maximum_msat: number;
}

/** Reads a `listchannels` JSON (optionally gzipped) file. */
export function readListChannels(path: string): ListChannelsEntry[] {
  let bytes: Uint8Array = readFileSync(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { channels?: ListChannelsEntry[] };
  if (!Array.isArray(parsed.channels)) throw new TypeError(`${path}: not a listchannels reply`);
  return parsed.channels;
}

/**
 * Loads a channel graph (listchannels entries) into `network`: every node and channel,
 * each channel's balance drawn from the seed (node_1's side uniform over the capacity).
 * Disabled directions keep `active: false` and are never routed over.
 */
export function loadGraph(network: Network, entries: ListChannelsEntry[], seed: number, aliases: Map<string, string> = new Map()): void {
  const random = prng(seed, 'balances');
  const halves = new Map<string, (ListChannelsEntry | undefined)[]>();
  for (const e of entries) {
    let pair = halves.get(e.short_channel_id);
    if (!pair) halves.set(e.short_channel_id, (pair = [undefined, undefined]));
    pair[e.direction === 1 ? 1 : 0] = e;
  }
  const nodeOf = (id: string): SimNode => network.nodes.get(id) ?? network.addNode(id, aliases.get(id) ?? id.slice(0, 20));
  const policyOf = (e: ListChannelsEntry | undefined, capacity: number): Policy =>
    e
      ? {
          fee_base_msat: e.base_fee_millisatoshi,
          fee_proportional_millionths: e.fee_per_millionth,
          cltv_expiry_delta: e.delay,
          htlc_minimum_msat: e.htlc_minimum_msat,
          htlc_maximum_msat: e.htlc_maximum_msat,
          active: e.active,
        }
      : { ...defaultPolicy(capacity), active: false };
  for (const [scid, [d0, d1]] of halves) {
    const any = (d0 ?? d1)!;
    const node1 = nodeOf(any.direction === 0 ? any.source : any.destination);
    const node2 = nodeOf(any.direction === 0 ? any.destination : any.source);
    const capacity = any.amount_msat;
    const balance1 = Math.floor(random() * (capacity / 1000)) * 1000;
    network.addChannel(scid, node1, node2, capacity, balance1, policyOf(d0, capacity), policyOf(d1, capacity));
  }
}

/**
 * A slice of a real graph: its `nodes` best-connected nodes (most active directions; ties
 * by id, so one file always gives one slice) and every channel between two of them.
 */
export function sliceGraph(entries: ListChannelsEntry[], nodes: number): ListChannelsEntry[] {
  const degree = new Map<string, number>();
  for (const e of entries) if (e.active) degree.set(e.source, (degree.get(e.source) ?? 0) + 1);
  const kept = new Set(
    [...degree]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, nodes)
      .map(([id]) => id),
  );
  return entries.filter((e) => kept.has(e.source) && kept.has(e.destination));
}

/**
 * A seeded graph of mainnet's shape: preferential attachment (heavy-tailed degrees, about
 * 3.3 channels per node), capacities log-uniform from 20,000 to 100,000,000 sat, mainnet-like
 * fees. Returned as listchannels entries so it goes through {@link loadGraph}.
 */
export function generateGraph(nodes: number, seed: number): ListChannelsEntry[] {
  const random = prng(seed, 'generated');
  const ids = Array.from({ length: nodes }, (_, i) => `02${bytesToHex(derive(seed, 'generated-node', i))}`);
  const ends: number[] = [];
  const entries: ListChannelsEntry[] = [];
  let scid = 0;
  const addChannel = (a: number, b: number): void => {
    const capacity = Math.round(Math.exp(Math.log(20_000) + random() * (Math.log(100_000_000) - Math.log(20_000)))) * 1000;
    const [n1, n2] = ids[a]! < ids[b]! ? [a, b] : [b, a];
    scid++;
    for (const direction of [0, 1]) {
      entries.push({
        source: ids[direction === 0 ? n1 : n2]!,
        destination: ids[direction === 0 ? n2 : n1]!,
        short_channel_id: `${800_000 + Math.floor(scid / 1000)}x${scid % 1000}x0`,
        direction,
        amount_msat: capacity,
        active: random() > 0.1,
        base_fee_millisatoshi: random() < 0.45 ? 0 : Math.floor(random() * 1000),
        fee_per_millionth: Math.floor(Math.exp(random() * Math.log(2000))),
        delay: [40, 80, 144][Math.floor(random() * 3)]!,
        htlc_minimum_msat: 1000,
        htlc_maximum_msat: Math.floor(capacity * 0.99),
      });
    }
    ends.push(a, b);
  };
  for (let i = 1; i < nodes; i++) {
    const links = 1 + Math.floor(random() * random() * 11);
    for (let k = 0; k < links && k < i; k++) {
      // Preferential attachment: pick an end of a random existing channel.
      const j = ends.length > 0 && random() < 0.8 ? ends[Math.floor(random() * ends.length)]! : Math.floor(random() * i);
      if (j !== i) addChannel(i, j);
    }
  }
  return entries;
}
