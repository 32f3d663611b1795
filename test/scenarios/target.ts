/**
 * One scenario list, three networks: every scenario in test/scenarios/ takes a {@link Target}
 * and runs through the public API only, so the same lines prove the SDK against simnet
 * (test/simnet/scenarios.test.ts), against a real Core Lightning regtest network
 * (test/real-cln/real-cln.test.ts) and against simnet with alice and dave running lnd's
 * personality over LNC (test/simnet/lnd-scenarios.test.ts). The networks have one shape:
 *
 *   alice ──1,000,000 sat──▶ bob ───1,000,000 sat──▶ dave
 *     └────1,000,000 sat──▶ carol ─1,000,000 sat──▶ ─┘
 *
 * each channel funded (held) by its tail, so a payment from alice to dave of more than
 * about 985,000 sat must split over the two paths.
 *
 * A scenario gets its engine's `Node` from the target ({@link Target.nodeFor}) and does what
 * a shop's backend or an operator would do at a node, outside the SDK, through the
 * target's {@link NodeSide}: the node's own invoices, gossip, record of sent parts and
 * channels, read with the node's own RPCs (commando on Core Lightning, lnd's gRPC over LNC).
 */
import { connect, decodeBolt11, type CommandoClient } from '../../packages/wire/src/index.ts';
import { NodeWebSocket } from '../../packages/wire/src/node.ts';
import type { Node, RouteHop } from '../../packages/core/src/index.ts';

export const ALIASES = ['alice', 'bob', 'carol', 'dave'] as const;
export type Alias = (typeof ALIASES)[number];

/** Which implementation a node runs. */
export type NodeImpl = 'cln' | 'lnd';

/** A node of a target: who it is and what it runs. */
export interface TargetNodeRef {
  alias: Alias;
  id: string;
  impl: NodeImpl;
}

/** A Core Lightning node: what a commando client needs to reach it, with its three runes. */
export interface TargetNode extends TargetNodeRef {
  impl: 'cln';
  ws_url: string;
  /** Full rune. */
  rune: string;
  /** May make and follow invoices, never spend (the README's shop rune). */
  invoice_rune: string;
  /** list*, get*, summary, decode. */
  readonly_rune: string;
}

/** A Core Lightning node's record from what its network says of it (simnet's or the real-node harness's). */
export function clnTargetNode(n: {
  alias: string;
  id: string;
  ws_url: string;
  rune: string;
  invoice_rune: string;
  readonly_rune: string;
}): TargetNode {
  const { id, ws_url, rune, invoice_rune, readonly_rune } = n;
  return { alias: n.alias as Alias, id, impl: 'cln', ws_url, rune, invoice_rune, readonly_rune };
}

/** Which rune a client uses (Core Lightning only; an LNC session has one set of permissions). */
export type RuneKind = 'rune' | 'invoice_rune' | 'readonly_rune';

/** One direction of a public channel in a node's gossip, in `listchannels` terms. */
export interface GossipDirection {
  source: string;
  destination: string;
  short_channel_id: string;
  direction: 0 | 1;
  base_fee_millisatoshi: number;
  fee_per_millionth: number;
  delay: number;
}

/** A part as the paying node itself records it (`listsendpays`; lnd's attempts, by their tag). */
export interface SentRow {
  groupid: number;
  partid: number;
  status: 'pending' | 'complete' | 'failed';
  /** Delivered to the destination. */
  amount_msat: number;
}

/** One of the node's own channels. */
export interface SideChannel {
  peer_id: string;
  short_channel_id: string;
  /** Open and its peer connected: it carries payments. */
  usable: boolean;
  to_us_msat: number;
  total_msat: number;
  spendable_msat: number;
  /** The payment hashes of the HTLCs on it now. */
  htlcs: string[];
}

/** What a scenario does at a node outside the SDK, with the node's own RPCs. */
export interface NodeSide {
  /** A plain invoice made by the node itself (a shop's backend would). */
  invoice(amount_msat: number, label: string): Promise<{ bolt11: string }>;
  /** The public channel directions in the node's gossip. */
  gossip(): Promise<GossipDirection[]>;
  /** The parts the node has for a payment hash. */
  sentParts(payment_hash: string): Promise<SentRow[]>;
  /** The node's own channels. */
  channels(): Promise<SideChannel[]>;
  /** Sends one part over `route` for a whole payment and resolves once it completes (fails otherwise). */
  payRoute(route: RouteHop[], payment: { payment_hash: string; payment_secret: string; amount_msat: number }): Promise<void>;
  /** The askrene layers ampkit's pay() made, where the node keeps them (Core Lightning); absent on lnd, whose layers live in the adapter. */
  payLayers?(): Promise<string[]>;
  close(): void;
}

export interface Target {
  kind: 'simnet' | 'real' | 'simnet-lnd';
  nodes: Record<Alias, TargetNodeRef>;
  /** Seconds the payee holds an incomplete MPP set before failing it back (BOLT 4: 60 on Core Lightning, 120 on lnd). */
  mppTimeout: number;
  /** Whether the payee can make hold invoices (Core Lightning with the hold plugin, or lnd). */
  holdInvoices: boolean;
  /** The `Node` an engine on `alias` runs on; `close()` ends its link. */
  nodeFor(alias: Alias, options?: { rune?: RuneKind }): Promise<{ node: Node; close(): void }>;
  /** The node's own RPCs, for what a scenario does outside the SDK. */
  sideOf(alias: Alias): Promise<NodeSide>;
  /**
   * Gives alice back, path by path, what her payments to dave moved (dave pays alice over
   * dave → bob → alice and dave → carol → alice, as much as the channels' reserves allow),
   * so a scenario that moved a lot of liquidity leaves the network about as it found it.
   */
  rebalance(): Promise<void>;
}

/** A network of Core Lightning nodes only, each reachable over commando. */
export interface ClnTarget extends Target {
  kind: 'simnet' | 'real';
  nodes: Record<Alias, TargetNode>;
  /** Drops every commando connection to the node from the node's side (the client may reconnect). */
  dropClients(alias: Alias): Promise<void>;
}

/** A commando client to one Core Lightning node with one of its runes; `reconnect`: it comes back after a drop. */
export function commandoTo(node: TargetNode, options: { rune?: RuneKind; reconnect?: boolean } = {}): Promise<CommandoClient> {
  return connect({
    nodeId: node.id,
    url: node.ws_url,
    rune: node[options.rune ?? 'rune'],
    WebSocket: NodeWebSocket,
    reconnect: options.reconnect ? { minDelay: 20, maxDelay: 200, attempts: 100 } : false,
    timeout: 30_000,
  });
}

/** A commando client to `alias` with one of its runes; `reconnect`: it comes back after a drop. */
export function clientOf(target: ClnTarget, alias: Alias, options: { rune?: RuneKind; reconnect?: boolean } = {}): Promise<CommandoClient> {
  return commandoTo(target.nodes[alias], options);
}

/** Per path, dave pays alice what alice is missing on her channel to that path (see {@link Target.rebalance}). */
export async function payBack(target: Target): Promise<void> {
  const [alice, dave, ...vias] = await Promise.all([
    target.sideOf('alice'),
    target.sideOf('dave'),
    target.sideOf('bob'),
    target.sideOf('carol'),
  ]);
  const channel = async (side: NodeSide, peer: Alias) =>
    (await side.channels()).find((x) => x.peer_id === target.nodes[peer].id && x.usable)!;
  try {
    for (const [i, via] of (['bob', 'carol'] as const).entries()) {
      const ours = await channel(alice, via);
      const back = await channel(dave, via);
      const forward = await channel(vias[i]!, 'alice');
      // Leave room for fees: 1 msat + 10 ppm at most per hop here, and some slack.
      const amount = Math.min(ours.total_msat - ours.to_us_msat, back.spendable_msat - 1_000_000, forward.spendable_msat - 1_000_000);
      if (amount < 10_000_000) continue;
      const label = `rebalance-${Date.now()}-${Math.random().toString(36).slice(2)}`;
      const { bolt11 } = await alice.invoice(amount, label);
      const inv = decodeBolt11(bolt11);
      const cltv = inv.min_final_cltv_expiry;
      // Core Lightning's default policy, which bob and carol use on every network: 1 msat + 10 ppm, 6 blocks.
      const fee = 1 + Math.floor((amount * 10) / 1_000_000);
      const route: RouteHop[] = [
        { id: target.nodes[via].id, channel: back.short_channel_id, amount_msat: amount + fee, delay: cltv + 6, style: 'tlv' },
        { id: target.nodes.alice.id, channel: forward.short_channel_id, amount_msat: amount, delay: cltv, style: 'tlv' },
      ];
      await dave.payRoute(route, { payment_hash: inv.payment_hash, payment_secret: inv.payment_secret!, amount_msat: amount });
      // The payer learns of the preimage before every channel's commitment dance settles: wait
      // until the HTLC is off every channel it crossed, so the next scenario meets quiet channels.
      await offChannels(target, [inv.payment_hash]);
    }
  } finally {
    for (const side of [alice, dave, ...vias]) side.close();
  }
}

/**
 * Waits until no channel of any node carries an HTLC of these payment hashes. A payer
 * learns of the preimage before every channel's commitment dance settles, and a payment's
 * HTLCs leave the channels a moment after it completes: until then the balances the next
 * scenario reads are not final.
 */
export async function offChannels(target: Target, hashes: string[], seconds = 30): Promise<void> {
  const sides = await Promise.all(ALIASES.map((a) => target.sideOf(a)));
  try {
    const end = Date.now() + seconds * 1000;
    for (;;) {
      let busy = false;
      for (const side of sides) {
        if ((await side.channels()).some((x) => x.htlcs.some((h) => hashes.includes(h)))) busy = true;
      }
      if (!busy) return;
      if (Date.now() > end) throw new Error(`HTLCs of ${hashes.join(', ')} stayed on the channels for ${seconds} s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    sides.forEach((s) => s.close());
  }
}
