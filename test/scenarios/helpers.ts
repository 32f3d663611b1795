/**
 * What the scenarios share: engines on a target's node (journal in fake-indexeddb), invoices
 * made at the payee, and exact two-hop routes read from the payer's own gossip.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { after, before } from 'node:test';
import { decodeBolt11 } from '../../packages/wire/src/index.ts';
import { createEngine, indexedDbStore, type Engine, type EngineOptions, type RouteHop, type Store } from '../../packages/core/src/index.ts';
import type { Alias, NodeSide, RuneKind, SentRow, Target } from './target.ts';

/** One journal (an IndexedDB of its own), shared by the engines opened on it. */
export function journal(): Store {
  return indexedDbStore({ indexedDB: new IDBFactory() });
}

/**
 * An engine on `alias` (with one of its runes, on Core Lightning) and the node's side;
 * `close()` closes both.
 */
export async function engineOn(
  target: Target,
  alias: Alias,
  options: { rune?: RuneKind; store?: Store } & Partial<Omit<EngineOptions, 'node' | 'store'>> = {},
): Promise<{ engine: Engine; side: NodeSide; store: Store; close(): void }> {
  const { rune, store = journal(), ...engineOptions } = options;
  const link = await target.nodeFor(alias, rune ? { rune } : {});
  const side = await target.sideOf(alias);
  const engine = await createEngine({ node: link.node, store, waitChunk: 5, mppTimeout: target.mppTimeout, ...engineOptions });
  return {
    engine,
    side,
    store,
    close() {
      engine.close();
      link.close();
      side.close();
    },
  };
}

/**
 * An engine on `alias` for a suite: opened in its `before`, closed in its `after`. Read
 * `engine` and `side` inside the tests.
 */
export function suiteEngine(target: () => Target, alias: Alias): { engine: Engine; side: NodeSide } {
  const held = {} as { engine: Engine; side: NodeSide; close?: () => void };
  before(async () => {
    Object.assign(held, await engineOn(target(), alias));
  });
  after(() => held.close?.());
  return held;
}

export interface ScenarioInvoice {
  bolt11: string;
  payment_hash: string;
  payment_secret: string;
  amount_msat: number;
  min_final_cltv_expiry: number;
}

let labels = 0;

/** A plain invoice made by `payee`'s node itself (a shop's backend would). */
export async function nodeInvoice(target: Target, amount_msat: number, payee: Alias = 'dave'): Promise<ScenarioInvoice> {
  const side = await target.sideOf(payee);
  try {
    const label = `scenario-${target.kind}-${Date.now()}-${++labels}`;
    const { bolt11 } = await side.invoice(amount_msat, label);
    const d = decodeBolt11(bolt11);
    return {
      bolt11,
      payment_hash: d.payment_hash,
      payment_secret: d.payment_secret!,
      amount_msat,
      min_final_cltv_expiry: d.min_final_cltv_expiry,
    };
  } finally {
    side.close();
  }
}

/**
 * The route `from` → `via` → `to` delivering `amount_msat` to `to`, with the fee and delay
 * `via` asks (from `from`'s own gossip, `side`), as `sendpay` takes it.
 */
export async function twoHops(
  target: Target,
  side: NodeSide,
  via: Alias,
  amount_msat: number,
  finalCltv: number,
  from: Alias = 'alice',
  to: Alias = 'dave',
): Promise<RouteHop[]> {
  const channels = await side.gossip();
  const n = target.nodes;
  const find = (a: Alias, b: Alias) => {
    const c = channels.find((x) => x.source === n[a].id && x.destination === n[b].id);
    if (!c) throw new Error(`no channel ${a} → ${b} in ${from}'s gossip`);
    return c;
  };
  const first = find(from, via);
  const second = find(via, to);
  const fee = second.base_fee_millisatoshi + Math.floor((amount_msat * second.fee_per_millionth) / 1_000_000);
  return [
    {
      id: n[via].id,
      channel: first.short_channel_id,
      direction: first.direction,
      amount_msat: amount_msat + fee,
      delay: finalCltv + second.delay,
      style: 'tlv',
    },
    { id: n[to].id, channel: second.short_channel_id, direction: second.direction, amount_msat, delay: finalCltv, style: 'tlv' },
  ];
}

/** A node's parts as `groupid/partid:status:amount`, sorted. */
export function partRows(rows: (Omit<SentRow, 'status'> & { status: string })[]): string[] {
  return rows.map((p) => `${p.groupid}/${p.partid}:${p.status}:${p.amount_msat}`).sort();
}

export { eventually } from './poll.ts';
