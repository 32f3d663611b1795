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
import { connect, decodeBolt11, type CommandoClient } from '../../packages/wire/src/index.ts';
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
   * Gives alice back, path by path, what her payments to dave moved (dave pays alice over
   * dave → bob → alice and dave → carol → alice, as much as the channels' reserves allow),
   * so a scenario that moved a lot of liquidity leaves the network about as it found it.
   */
  rebalance(): Promise<void>;
}

/** Which rune a client uses. */
export type RuneKind = 'rune' | 'invoice_rune' | 'readonly_rune';

/** A commando client to `alias` with one of its runes; `reconnect`: it comes back after a drop. */
export async function clientOf(
  target: Target,
  alias: Alias,
  options: { rune?: RuneKind; reconnect?: boolean } = {},
): Promise<CommandoClient> {
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

interface PeerChannel {
  peer_id: string;
  short_channel_id?: string;
  state: string;
  to_us_msat: number;
  total_msat: number;
  spendable_msat: number;
  htlcs?: { payment_hash: string }[];
}

/** Per path, dave pays alice what alice is missing on her channel to that path (see {@link Target.rebalance}). */
export async function payBack(target: Target): Promise<void> {
  const [alice, dave, ...vias] = await Promise.all([
    clientOf(target, 'alice'),
    clientOf(target, 'dave'),
    clientOf(target, 'bob'),
    clientOf(target, 'carol'),
  ]);
  const channels = async (c: CommandoClient, peer: Alias) =>
    ((await c.request('listpeerchannels', {})).channels as PeerChannel[]).find(
      (x) => x.peer_id === target.nodes[peer].id && x.state === 'CHANNELD_NORMAL',
    )!;
  try {
    for (const [i, via] of (['bob', 'carol'] as const).entries()) {
      const ours = await channels(alice, via);
      const back = await channels(dave, via);
      const forward = await channels(vias[i]!, 'alice');
      // Leave room for fees: 1 msat + 10 ppm at most per hop here, and some slack.
      const amount = Math.min(ours.total_msat - ours.to_us_msat, back.spendable_msat - 1_000_000, forward.spendable_msat - 1_000_000);
      if (amount < 10_000_000) continue;
      const label = `rebalance-${Date.now()}-${Math.random().toString(36).slice(2)}`;
      const { bolt11, payment_hash, payment_secret } = await alice.request('invoice', {
        amount_msat: amount,
        label,
        description: 'rebalance',
      });
      const cltv = decodeBolt11(bolt11).min_final_cltv_expiry;
      // Core Lightning's default policy, which both networks use: 1 msat + 10 ppm, 6 blocks.
      const fee = 1 + Math.floor((amount * 10) / 1_000_000);
      const route = [
        { id: target.nodes[via].id, channel: back.short_channel_id, amount_msat: amount + fee, delay: cltv + 6, style: 'tlv' },
        { id: target.nodes.alice.id, channel: forward.short_channel_id, amount_msat: amount, delay: cltv, style: 'tlv' },
      ];
      await dave.request('sendpay', { route, payment_hash, payment_secret, amount_msat: amount });
      const done = await dave.request('waitsendpay', { payment_hash, timeout: 60 }, { timeout: 90_000 });
      if (done.status !== 'complete') throw new Error(`rebalance over ${via}: ${JSON.stringify(done)}`);
      // The payer learns of the preimage before every channel's commitment dance settles: wait
      // until the HTLC is off every channel it crossed, so the next scenario meets quiet channels.
      await offChannels(target, [payment_hash]);
    }
  } finally {
    for (const c of [alice, dave, ...vias]) c.close();
  }
}

/**
 * Waits until no channel of any node carries an HTLC of these payment hashes. A payer
 * learns of the preimage before every channel's commitment dance settles, and a payment's
 * HTLCs leave the channels a moment after it completes: until then the balances the next
 * scenario reads are not final.
 */
export async function offChannels(target: Target, hashes: string[], seconds = 30): Promise<void> {
  const clients = await Promise.all(ALIASES.map((a) => clientOf(target, a)));
  try {
    const end = Date.now() + seconds * 1000;
    for (;;) {
      let busy = false;
      for (const c of clients) {
        const { channels } = await c.request('listpeerchannels', {});
        if ((channels as PeerChannel[]).some((x) => x.htlcs?.some((h) => hashes.includes(h.payment_hash)))) busy = true;
      }
      if (!busy) return;
      if (Date.now() > end) throw new Error(`HTLCs of ${hashes.join(', ')} stayed on the channels for ${seconds} s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    clients.forEach((c) => c.close());
  }
}
