/**
 * `startSimnet()`: builds a network, gives each named node a commando listener on
 * 127.0.0.1 (BOLT 8 + commando over WebSocket, runes enforced by the wire's server), and
 * exposes the fault switches.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { RpcError } from '@ampkit/wire';
import { serveCommando, type CommandoServer } from '@ampkit/wire/node';
import { FullNode } from './full-node.ts';
import { gossipFor } from './gossip.ts';
import { Network, type Channel, type Faults, type SimNode } from './network.ts';
import { infoMethods, type Method } from './rpc-info.ts';
import { htlcMethods } from './rpc-htlcs.ts';
import { invoiceMethods } from './rpc-invoice.ts';
import { payMethods } from './rpc-pay.ts';
import { askreneMethods } from './rpc-askrene.ts';
import {
  DEMO_TOPOLOGY,
  buildTopology,
  defaultPolicy,
  generateGraph,
  loadGraph,
  readListChannels,
  sliceGraph,
  type Topology,
} from './topology.ts';
import { prng } from './seed.ts';

/** Every method a simulated node answers. */
export const METHODS: Record<string, Method> = { ...infoMethods, ...askreneMethods, ...payMethods, ...invoiceMethods, ...htlcMethods };

/** The real mainnet snapshot simnet ships (data/README.md: what it is and where it comes from). */
export const DEFAULT_GRAPH = fileURLToPath(new URL('../data/mainnet-2026-02-03.listchannels.json.gz', import.meta.url));
const DEFAULT_NODES = fileURLToPath(new URL('../data/mainnet-2026-02-03.listnodes.json.gz', import.meta.url));

export interface SimnetOptions {
  /**
   * `demo` (default), `graph` (the mainnet snapshot), `graph:N` (its N best-connected nodes
   * and the channels between them), `generated:N`, a path to a topology JSON file, or a
   * topology object.
   */
  topology?: 'demo' | 'graph' | `graph:${number}` | `generated:${number}` | string | Topology;
  /** One seed, one network: keys, balances, preimages. Default 1. */
  seed?: number;
  host?: string;
  /** First listening port; node i listens on `port + i`. 0 (default): any free ports. */
  port?: number;
  /**
   * Seconds before an incomplete MPP set fails back (BOLT 4: 60), for the nodes' own
   * invoices and the hold plugin's parts (`hold-mpp-timeout`, 60; a real plugin on regtest
   * forces 10). Fractions allowed for tests.
   */
  mppTimeout?: number;
  /**
   * Whether the nodes run the hold-invoice plugin (BoltzExchange/hold v0.3.3: holdinvoice,
   * listholdinvoices, settleholdinvoice, cancelholdinvoice, injectholdinvoice,
   * cleanholdinvoices). Default true; false answers those methods with -32601 "Unknown
   * command", as a node without it does.
   */
  holdPlugin?: boolean;
  /** Milliseconds each HTLC takes per hop, each way. Default 10. */
  hopDelay?: number;
  /** For `graph`: the listchannels file (gzipped or not). */
  graphPath?: string;
  /** Clock for timestamps, in ms (default Date.now). */
  now?: () => number;
}

/** What a client needs to reach one node. */
export interface SimnetNodeInfo {
  alias: string;
  id: string;
  ws_url: string;
  rune: string;
  readonly_rune: string;
  /** May make and follow invoices (plain and hold), never spend: what a shop's page holds. */
  invoice_rune: string;
}

export interface Simnet {
  nodes: SimnetNodeInfo[];
  network: Network;
  /** The RPC-answering node with that alias. */
  node(alias: string): FullNode;
  /** Sets (merges) faults on a node (by alias or id) or a channel (by short channel id). */
  setFaults(target: string, faults: Faults): void;
  /** Drops every socket of a node; the listener stays, so clients may reconnect. */
  dropConnections(alias: string): void;
  /** How many clients are connected to a node now. */
  connections(alias: string): number;
  /**
   * Takes a node offline (listener closed, sockets dropped, peers see it disconnected) or
   * back. A routing node of a loaded graph, which has no listener, is named by its id.
   */
  setOnline(alias: string, online: boolean): Promise<void>;
  stop(): Promise<void>;
}

interface Listener {
  full: FullNode;
  server?: CommandoServer;
  port: number;
}

/** A topology loaded as a channel graph, with a wallet and a shop attached to its hubs. */
const isGraph = (topology: string) => topology === 'graph' || topology.startsWith('graph:') || topology.startsWith('generated:');

/** The N of `graph:N` or `generated:N`. */
function countOf(topology: string, prefix: 'graph:' | 'generated:'): number {
  const n = Number(topology.slice(prefix.length));
  if (!Number.isSafeInteger(n) || n < 2) throw new TypeError(`bad topology ${topology}: ${prefix}N needs N >= 2`);
  return n;
}

function loadTopology(network: Network, options: SimnetOptions, seed: number): SimNode[] {
  const topology = options.topology ?? 'demo';
  const idOf = (alias: string) => FullNode.publicKeyOf(seed, alias);
  if (typeof topology === 'object') return [...buildTopology(network, topology, idOf).values()];
  if (topology === 'demo') return [...buildTopology(network, DEMO_TOPOLOGY, idOf).values()];
  if (isGraph(topology)) {
    if (topology === 'graph' || topology.startsWith('graph:')) {
      const aliases = new Map<string, string>();
      if (!options.graphPath) {
        try {
          const list = JSON.parse(gunzipSync(readFileSync(DEFAULT_NODES)).toString('utf8')) as {
            nodes: { nodeid: string; alias?: string }[];
          };
          for (const n of list.nodes) if (n.alias) aliases.set(n.nodeid, n.alias);
        } catch {
          // Aliases are cosmetic; ids stand in for them.
        }
      }
      let entries = readListChannels(options.graphPath ?? DEFAULT_GRAPH);
      if (topology !== 'graph') {
        entries = sliceGraph(entries, countOf(topology, 'graph:'));
      }
      loadGraph(network, entries, seed, aliases);
    } else {
      loadGraph(network, generateGraph(countOf(topology, 'generated:'), seed), seed);
    }
    return attachEnds(network, seed);
  }
  return [...buildTopology(network, JSON.parse(readFileSync(topology, 'utf8')) as Topology, idOf).values()];
}

/**
 * In a loaded graph only two nodes answer RPC: a `wallet` and a `shop`, each opened to
 * five of the best-connected routing nodes with seeded balances.
 */
function attachEnds(network: Network, seed: number): SimNode[] {
  const hubs = [...network.nodes.values()]
    .map((n) => ({ n, active: n.channels.filter((c) => c.policy[c.side(n)].active).length }))
    .sort((a, b) => b.active - a.active)
    .slice(0, 10)
    .map((x) => x.n);
  const random = prng(seed, 'ends');
  const ends: SimNode[] = [];
  ['wallet', 'shop'].forEach((alias, e) => {
    const node = network.addNode(FullNode.publicKeyOf(seed, alias), alias);
    ends.push(node);
    hubs.slice(e * 5, e * 5 + 5).forEach((hub, i) => {
      const capacity = 10_000_000_000; // 10,000,000 sat
      const ours = e === 0 ? 0.8 : 0.2;
      const scid = `${network.blockheight - 1}x${e * 10 + i + 1}x0`;
      const policy = defaultPolicy(capacity, {
        fee_base_msat: 1000,
        fee_proportional_millionths: 100 + Math.floor(random() * 400),
        cltv_expiry_delta: 40,
      });
      network.addChannel(scid, node, hub, capacity, Math.floor(capacity * ours), defaultPolicy(capacity), policy);
    });
  });
  return ends;
}

/** Starts a simulated network; resolves once every node listens. */
export async function startSimnet(options: SimnetOptions = {}): Promise<Simnet> {
  const seed = options.seed ?? 1;
  const host = options.host ?? '127.0.0.1';
  const graph = typeof options.topology === 'string' && isGraph(options.topology);
  const network = new Network({
    hopDelay: options.hopDelay ?? 10,
    blockheight: graph ? 950_000 : 1000,
    ...(options.now ? { now: options.now } : {}),
  });
  const named = loadTopology(network, options, seed);
  const mppTimeout = (options.mppTimeout ?? 60) * 1000;
  const listeners = new Map<string, Listener>();
  named.forEach((node, i) => {
    listeners.set(node.alias, {
      full: new FullNode(network, node, seed, mppTimeout, 'bcrt', options.holdPlugin ?? true),
      port: options.port ? options.port + i : 0,
    });
  });

  const listen = async (l: Listener): Promise<void> => {
    const { full } = l;
    l.server = await serveCommando({
      privateKey: full.privateKey,
      masterSecret: full.masterSecret,
      host,
      port: l.port,
      gossip: (features) => gossipFor(network, full.node, seed, features),
      onRefused: (method) => full.refused.set(method, (full.refused.get(method) ?? 0) + 1),
      async handler(method, params) {
        const fn = METHODS[method];
        if (!fn) throw new RpcError(method, -32601, `Unknown command '${method}'`);
        full.calls.set(method, (full.calls.get(method) ?? 0) + 1);
        const slow = (full.node.faults.slowReplies ?? 0) + (full.node.faults.slowMethods?.[method] ?? 0);
        if (slow) await new Promise((r) => setTimeout(r, slow));
        return fn(full, params);
      },
    });
    l.port = l.server.port;
  };
  try {
    for (const l of listeners.values()) await listen(l);
  } catch (error) {
    network.stop();
    await Promise.all([...listeners.values()].map((l) => l.server?.close()));
    throw error;
  }

  const get = (alias: string): Listener => {
    const l = listeners.get(alias) ?? [...listeners.values()].find((x) => x.full.node.id === alias);
    if (!l) throw new TypeError(`no simnet node '${alias}'`);
    return l;
  };
  const info = (): SimnetNodeInfo[] =>
    [...listeners.values()].map((l) => ({
      alias: l.full.node.alias,
      id: l.full.node.id,
      ws_url: `ws://${host}:${l.port}`,
      rune: l.full.rune,
      readonly_rune: l.full.readonlyRune,
      invoice_rune: l.full.invoiceRune,
    }));

  return {
    nodes: info(),
    network,
    node: (alias) => get(alias).full,
    setFaults(target, faults) {
      const channel: Channel | undefined = network.channels.get(target);
      const node =
        network.nodes.get(target) ?? listeners.get(target)?.full.node ?? [...network.nodes.values()].find((n) => n.alias === target);
      const holder = channel ?? node;
      if (!holder) throw new TypeError(`no node or channel '${target}'`);
      holder.faults = { ...holder.faults, ...faults };
      if (faults.hold === false) network.releaseHeld();
    },
    connections(alias) {
      return get(alias).server?.connections ?? 0;
    },
    dropConnections(alias) {
      get(alias).server?.dropConnections();
    },
    async setOnline(alias, online) {
      const routing = network.nodes.get(alias);
      if (routing && ![...listeners.values()].some((l) => l.full.node === routing)) {
        // A node of a loaded graph answers no RPC: only its peers see it go and come back.
        routing.online = online;
        return;
      }
      const l = get(alias);
      l.full.node.online = online;
      if (!online && l.server) {
        const server = l.server;
        l.server = undefined;
        server.dropConnections();
        await server.close();
      } else if (online && !l.server) {
        await listen(l);
      }
    },
    async stop() {
      network.stop();
      for (const l of listeners.values()) l.full.stop();
      await Promise.all([...listeners.values()].map((l) => l.server?.close()));
    },
  };
}
