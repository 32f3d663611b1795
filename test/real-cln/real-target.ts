/** The scenarios' network on real Core Lightning nodes (see network.ts and ../scenarios/target.ts). */
import { clnNodeFor, clnSideOf } from '../scenarios/cln-side.ts';
import { clnTargetNode, payBack, type Alias, type ClnTarget, type TargetNode } from '../scenarios/target.ts';
import { ALIASES, type RealNetwork } from './network.ts';

export interface RealTarget extends ClnTarget {
  network: RealNetwork;
}

export function realTarget(network: RealNetwork): RealTarget {
  const nodes = {} as Record<Alias, TargetNode>;
  const ids = new Set<string>();
  for (const alias of ALIASES) {
    const n = network.nodes[alias];
    nodes[alias] = clnTargetNode({ ...n, alias });
    ids.add(n.id);
  }
  const target: RealTarget = {
    kind: 'real',
    network,
    nodes,
    // Core Lightning's incoming MPP sets time out after 60 s (lightningd/htlc_set.c).
    mppTimeout: 60,
    // These nodes run no hold plugin.
    holdInvoices: false,
    nodeFor: (alias, access) => clnNodeFor(nodes[alias], access),
    sideOf: (alias) => clnSideOf(nodes[alias]),
    async dropClients(alias) {
      // A commando client is a peer with an ephemeral key: every peer that is not one of our nodes.
      const { peers } = await network.nodes[alias].rpc.call('listpeers', {});
      for (const peer of peers as { id: string; connected: boolean }[]) {
        if (!ids.has(peer.id) && peer.connected)
          await network.nodes[alias].rpc.call('disconnect', { id: peer.id, force: true }).catch(() => {});
      }
    },
    rebalance: () => payBack(target),
  };
  return target;
}
