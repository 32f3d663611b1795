/** The scenarios' network on simnet: four nodes in the real network's shape (see target.ts). */
import { startSimnet, type Simnet, type Topology } from '../../packages/simnet/src/index.ts';
import { clnNodeFor, clnSideOf } from './cln-side.ts';
import { ALIASES, clnTargetNode, payBack, type Alias, type ClnTarget, type TargetNode } from './target.ts';

/** alice → bob → dave and alice → carol → dave, 1,000,000 sat each, held by the funder; Core Lightning's default policies. */
export const SCENARIO_TOPOLOGY: Topology = {
  nodes: ALIASES.map((alias) => ({ alias })),
  channels: [
    { a: 'alice', b: 'bob', capacity_sat: 1_000_000, balance_a_sat: 1_000_000 },
    { a: 'alice', b: 'carol', capacity_sat: 1_000_000, balance_a_sat: 1_000_000 },
    { a: 'bob', b: 'dave', capacity_sat: 1_000_000, balance_a_sat: 1_000_000 },
    { a: 'carol', b: 'dave', capacity_sat: 1_000_000, balance_a_sat: 1_000_000 },
  ],
};

export interface SimnetTarget extends ClnTarget {
  simnet: Simnet;
  stop(): Promise<void>;
}

/** Starts the scenario network on simnet; `mppTimeout` in seconds (short, so tests stay fast). */
export async function simnetTarget(options: { mppTimeout?: number; seed?: number; holdPlugin?: boolean } = {}): Promise<SimnetTarget> {
  const mppTimeout = options.mppTimeout ?? 2;
  const simnet = await startSimnet({
    topology: SCENARIO_TOPOLOGY,
    mppTimeout,
    hopDelay: 2,
    seed: options.seed ?? 5,
    ...(options.holdPlugin === false ? { holdPlugin: false } : {}),
  });
  const nodes = {} as Record<Alias, TargetNode>;
  for (const n of simnet.nodes) nodes[n.alias as Alias] = clnTargetNode(n);
  const target: SimnetTarget = {
    kind: 'simnet',
    simnet,
    nodes,
    mppTimeout,
    holdInvoices: options.holdPlugin !== false,
    nodeFor: (alias, access) => clnNodeFor(nodes[alias], access),
    sideOf: (alias) => clnSideOf(nodes[alias]),
    async dropClients(alias) {
      simnet.dropConnections(alias);
    },
    rebalance: () => payBack(target),
    stop: () => simnet.stop(),
  };
  return target;
}
