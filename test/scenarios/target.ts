/**
 * One scenario list, two networks: every scenario in test/scenarios/ takes a {@link Target}
 * and runs through the public API only, so the same lines prove the SDK against simnet
 * (test/simnet/scenarios.test.ts) and against a real Core Lightning regtest network
 * (test/real-cln/real-cln.test.ts). Both networks have the same shape:
 *
 *   alice ──1,000,000 sat──▶ bob ───1,000,000 sat──▶ dave
 *     └────1,000,000 sat──▶ carol ─1,000,000 sat──▶ ─┘
 *
 * each channel funded (held) by its tail, so a payment from alice to dave of more than
 * about 985,000 sat must split over the two paths.
 */
import { connect, type CommandoClient } from '../../packages/wire/src/index.ts';
import { NodeWebSocket } from '../../packages/wire/src/node.ts';

export const ALIASES = ['alice', 'bob', 'carol', 'dave'] as const;
export type Alias = (typeof ALIASES)[number];

/** What a client needs to reach one node, with its three runes. */
export interface TargetNode {
  alias: Alias;
  id: string;
  ws_url: string;
  /** Full rune. */
  rune: string;
  /** May make and follow invoices, never spend (the README's shop rune). */
  invoice_rune: string;
  /** list*, get*, summary, decode. */
  readonly_rune: string;
}

export interface Target {
  kind: 'simnet' | 'real';
  nodes: Record<Alias, TargetNode>;
  /** Seconds the payee holds an incomplete MPP set before failing it back (BOLT 4: 60 on a real node). */
  mppTimeout: number;
  /** Drops every commando connection to the node from the node's side (the client may reconnect). */
  dropClients(alias: Alias): Promise<void>;
  /**
   * Makes `sat` more spendable from alice towards dave again (dave pays alice back), so a
   * scenario that moved a lot of liquidity leaves the network as it found it.
   */
  rebalance(sat: number): Promise<void>;
}

/** Which rune a client uses. */
export type RuneKind = 'rune' | 'invoice_rune' | 'readonly_rune';

/** A commando client to `alias` with one of its runes; `reconnect`: it comes back after a drop. */
export async function clientOf(target: Target, alias: Alias, options: { rune?: RuneKind; reconnect?: boolean } = {}): Promise<CommandoClient> {
  const node = target.nodes[alias];
  return connect({
    nodeId: node.id,
    url: node.ws_url,
    rune: node[options.rune ?? 'rune'],
    WebSocket: NodeWebSocket,
    reconnect: options.reconnect ? { minDelay: 20, maxDelay: 200, attempts: 100 } : false,
    timeout: 30_000,
  });
}

/** Pays back `sat` from dave to alice with the node's own `pay`: liquidity for the next scenario. */
export async function payBack(target: Target, sat: number): Promise<void> {
  const alice = await clientOf(target, 'alice');
  const dave = await clientOf(target, 'dave');
  try {
    const label = `rebalance-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const { bolt11 } = await alice.request('invoice', { amount_msat: sat * 1000, label, description: 'rebalance' });
    await dave.request('pay', { bolt11, retry_for: 60 }, { timeout: 90_000 });
  } finally {
    alice.close();
    dave.close();
  }
}
