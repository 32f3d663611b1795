/**
 * `npm run bench -- pay-engine`: the whole `pay()` on simnet's mainnet graph over commando,
 * the local planner beside the node's (simnet's getroutes), invoice by invoice from the
 * same wallet to the same shop: success, parts sent, fees, time per payment; and what the
 * local planner's graph costs: its first load (listchannels and listnodes over commando,
 * the graph built, the snapshot written to IndexedDB) and a new engine's load from the
 * cache. Timings are printed, never asserted.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { existsSync } from 'node:fs';
import { connect, type CommandoClient } from '@ampkit/wire';
import { NodeWebSocket } from '@ampkit/wire/node';
import { DEFAULT_GRAPH, startSimnet } from '@ampkit/simnet';
import { clnNode, createEngine, indexedDbStore, type Engine, type PayResult } from '../../packages/core/src/index.ts';

/** Amounts in sat, each paid once by each planner. */
const AMOUNTS = [5_000, 50_000, 250_000, 1_000_000, 2_500_000, 5_000_000];

interface PlannerFigures {
  attempted: number;
  succeeded: number;
  parts_sent: number;
  fees_msat: number;
  median_pay_ms: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export async function benchPayEngine(line: (text: string) => void): Promise<Record<string, unknown>> {
  if (!existsSync(DEFAULT_GRAPH)) {
    line(`pay-engine: ${DEFAULT_GRAPH} not found, skipped`);
    return {};
  }
  const net = await startSimnet({ topology: 'graph', seed: 3, hopDelay: 0 });
  const client = (alias: string): Promise<CommandoClient> => {
    const info = net.nodes.find((n) => n.alias === alias)!;
    return connect({ nodeId: info.id, url: info.ws_url, rune: info.rune, WebSocket: NodeWebSocket, keepaliveInterval: 0 });
  };
  const wallet = await client('wallet');
  const shop = await client('shop');
  const store = indexedDbStore({ indexedDB: new IDBFactory() });
  let label = 0;
  const invoice = async (sat: number) =>
    (await shop.request('invoice', { amount_msat: sat * 1000, label: `pe${label++}`, description: 'bench' })).bolt11 as string;
  const timed = async (engine: Engine, bolt11: string, planner: 'local' | 'node'): Promise<{ result: PayResult; ms: number }> => {
    const t = performance.now();
    const result = await engine.pay({ bolt11, planner, retry_for: 30, maxparts: 16 });
    return { result, ms: performance.now() - t };
  };
  try {
    // The first local pay() loads the graph from the node; time it apart.
    const first = await createEngine({ node: clnNode(wallet), store });
    const load = await timed(first, await invoice(1_000), 'local');
    first.close();
    const second = await createEngine({ node: clnNode(wallet), store });
    const cached = await timed(second, await invoice(1_000), 'local');
    const listchannels = net.node('wallet').calls.get('listchannels') ?? 0;
    line(
      `pay-engine: first local pay() of 1,000 sat with the graph loaded from the node (listchannels + listnodes of ${net.network.nodes.size} nodes, ${net.network.channels.size} channels over commando, snapshot to IndexedDB): ${load.ms.toFixed(0)} ms; ` +
        `a new engine's first pay() with the graph from the cache: ${cached.ms.toFixed(0)} ms (${load.result.status}, ${cached.result.status}; listchannels asked ${listchannels}x)`,
    );
    const figures: Record<string, PlannerFigures> = {};
    const times: Record<string, number[]> = { local: [], node: [] };
    for (const sat of AMOUNTS) {
      for (const planner of ['local', 'node'] as const) {
        const { result, ms } = await timed(second, await invoice(sat), planner);
        const f = (figures[planner] ??= { attempted: 0, succeeded: 0, parts_sent: 0, fees_msat: 0, median_pay_ms: 0 });
        f.attempted++;
        f.parts_sent += result.attempts;
        if (result.status === 'complete') {
          f.succeeded++;
          f.fees_msat += result.fee_msat;
        }
        times[planner]!.push(ms);
        line(
          `  ${planner.padEnd(5)} ${String(sat).padStart(9)} sat: ${result.status.padEnd(8)} ${String(result.attempts).padStart(2)} parts sent, ${String(result.parts.filter((p) => p.status === 'complete').length).padStart(2)} kept, fee ${result.fee_msat} msat, ${ms.toFixed(0)} ms${result.failreason ? ` (${result.failreason.slice(0, 120)})` : ''}`,
        );
      }
    }
    for (const planner of ['local', 'node'] as const) figures[planner]!.median_pay_ms = median(times[planner]!);
    const l = figures.local!;
    const n = figures.node!;
    line(
      `pay-engine, local vs node planner over ${AMOUNTS.length} payments: succeeded ${l.succeeded} vs ${n.succeeded}; parts sent ${l.parts_sent} vs ${n.parts_sent}; ` +
        `fees ${l.fees_msat} vs ${n.fees_msat} msat; median pay() ${l.median_pay_ms.toFixed(0)} vs ${n.median_pay_ms.toFixed(0)} ms`,
    );
    second.close();
    return { first_load_ms: load.ms, cached_load_ms: cached.ms, planners: figures };
  } finally {
    wallet.close();
    shop.close();
    await net.stop();
  }
}
