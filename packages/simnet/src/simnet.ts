/**
 * `startSimnet()`: builds a network, gives each named node a commando listener on
 * 127.0.0.1 (BOLT 8 + commando over WebSocket, runes enforced by the wire's server), or, for
 * the nodes of option `lnd`, lnd's personality behind an LNC endpoint and the simnet's
 * mailbox, and exposes the fault switches.
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
import { derive, prng } from './seed.ts';
import type { LncStreamIds } from '@ampkit/wire/lnc-server';
import { startTestEndpoint, type TestEndpoint } from './lnc/endpoint.ts';
import { startTestMailbox, type TestMailbox } from './lnc/mailbox.ts';
import { LND_MPP_TIMEOUT_MS, LndNode } from './lnd/lnd-node.ts';
import { restrictHandlers } from './lnd/permissions.ts';

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
  /**
   * Aliases of nodes that run with lnd's personality (lnd/lnd-node.ts): reachable only over
   * LNC, through one mailbox for the simnet and one litd-like endpoint per session. They are
   * listed in {@link Simnet.lnd}, not in {@link Simnet.nodes} (which have commando).
   */
  lnd?: string[];
  /** Seconds an LND node holds a part of an incomplete set (lnd: 120, per HTLC). Fractions allowed for tests. */
  lndMppTimeout?: number;
}

/** What a client needs to reach an LND node: the mailbox and a pairing phrase (which pairs once). */
export interface SimnetLndNodeInfo {
  alias: string;
  id: string;
  lnc: { mailbox: string; pairingPhrase: string };
}

/** Options of {@link Simnet.lncSession}. */
export interface LncSessionOptions {
  /** The macaroon's permissions, e.g. `['info:read', 'invoices:read', 'uri:/lnrpc.Lightning/AddInvoice']`; all when omitted. */
  permissions?: readonly string[];
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
  /** The nodes with lnd's personality (option `lnd`), each with its first session's phrase. */
  lnd: SimnetLndNodeInfo[];
  network: Network;
  /** The RPC-answering node with that alias. */
  node(alias: string): FullNode;
  /** The LND node with that alias. */
  lndNode(alias: string): LndNode;
  /**
   * A new LNC session to an LND node (a pairing phrase pairs once): its own endpoint, the same
   * node. With `permissions`, the session's macaroon holds only those (`entity:action` or
   * `uri:/pkg.Service/Method`, lnd/permissions.ts), like a Lightning Terminal custom session;
   * without, it may call everything (an admin session).
   */
  lncSession(alias: string, options?: LncSessionOptions): Promise<{ mailbox: string; pairingPhrase: string }>;
  /** Sets (merges) faults on a node (by alias or id) or a channel (by short channel id). */
  setFaults(target: string, faults: Faults): void;
  /** Drops every socket of a node (of an LND node: its LNC sessions' mailbox sockets); the listener stays, so clients may reconnect. */
  dropConnections(alias: string): void;
  /** How many clients are connected to a node now (to an LND node: its LNC sessions with a link up). */
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
  const lndAliases = new Set(options.lnd ?? []);
  for (const alias of lndAliases) if (!named.some((n) => n.alias === alias)) throw new TypeError(`no simnet node '${alias}' for lnd`);
  /** Each LND node's sessions: the endpoint, and the pairing streams it listened on first (a link paired by phrase stays on them until it ends). */
  const lnds = new Map<string, { lnd: LndNode; endpoints: { endpoint: TestEndpoint; pairing: LncStreamIds }[] }>();
  named.forEach((node, i) => {
    if (lndAliases.has(node.alias)) {
      const mpp = options.lndMppTimeout !== undefined ? options.lndMppTimeout * 1000 : LND_MPP_TIMEOUT_MS;
      lnds.set(node.alias, { lnd: new LndNode(network, node, seed, mpp), endpoints: [] });
      return;
    }
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
  /** An LND node's entry by alias or node id. */
  const lndEntry = (alias: string) => {
    const entry = lnds.get(alias) ?? [...lnds.values()].find((x) => x.lnd.node.id === alias);
    if (!entry) throw new TypeError(`no simnet LND node '${alias}'`);
    return entry;
  };
  let mailbox: TestMailbox | undefined;
  /** One litd-like endpoint per session, each with a phrase derived from the seed and a counter. */
  const lncSession = async (alias: string, options: LncSessionOptions = {}): Promise<{ mailbox: string; pairingPhrase: string }> => {
    const entry = lndEntry(alias);
    const handlers = restrictHandlers(entry.lnd.handlers(), options.permissions);
    mailbox ??= await startTestMailbox();
    const endpoint = await startTestEndpoint({
      mailbox,
      handlers,
      entropy: derive(seed, 'lnc session', entry.lnd.node.alias, entry.endpoints.length),
      staticKey: entry.lnd.lncKey,
    });
    entry.endpoints.push({ endpoint, pairing: endpoint.streams });
    return { mailbox: mailbox.url, pairingPhrase: endpoint.phrase };
  };
  const lndInfo: SimnetLndNodeInfo[] = [];
  try {
    for (const l of listeners.values()) await listen(l);
    for (const { lnd } of lnds.values()) lndInfo.push({ alias: lnd.node.alias, id: lnd.node.id, lnc: await lncSession(lnd.node.alias) });
  } catch (error) {
    network.stop();
    await Promise.all([...listeners.values()].map((l) => l.server?.close()));
    await Promise.all([...lnds.values()].flatMap((x) => x.endpoints.map((e) => e.endpoint.close())));
    await mailbox?.close();
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
    lnd: lndInfo,
    network,
    node: (alias) => get(alias).full,
    lndNode: (alias) => lndEntry(alias).lnd,
    lncSession,
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
      const lnd = lnds.get(alias);
      if (lnd) return lnd.endpoints.filter((e) => e.endpoint.connected).length;
      return get(alias).server?.connections ?? 0;
    },
    dropConnections(alias) {
      const lnd = lnds.get(alias);
      if (lnd) {
        // The mailbox drops the sessions' sockets; the endpoints listen again, as litd does.
        for (const { endpoint, pairing } of lnd.endpoints) {
          for (const streams of [pairing, endpoint.streams]) for (const id of [streams.receive, streams.send]) mailbox?.kill(id);
        }
        return;
      }
      get(alias).server?.dropConnections();
    },
    async setOnline(alias, online) {
      const lnd = lnds.get(alias);
      if (lnd) {
        // Peers see it go and come back; its LNC endpoints stay (litd would stay up too).
        lnd.lnd.node.online = online;
        return;
      }
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
      for (const x of lnds.values()) x.lnd.stop();
      await Promise.all([...listeners.values()].map((l) => l.server?.close()));
      await Promise.all([...lnds.values()].flatMap((x) => x.endpoints.map((e) => e.endpoint.close())));
      await mailbox?.close();
    },
  };
}
