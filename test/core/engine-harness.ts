/**
 * An engine on simnet's `wallet` node over a real commando WebSocket, with its journal in
 * fake-indexeddb, plus helpers to make invoices at `shop` and routes to it.
 */
// idb recognises requests by the global IDB classes, as in a browser; fake-indexeddb/auto installs them.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import type { CommandoClient } from '../../packages/wire/src/index.ts';
import {
  clnNode,
  createEngine,
  indexedDbStore,
  type Engine,
  type EngineOptions,
  type Node,
  type RouteHop,
  type Store,
} from '../../packages/core/src/index.ts';
import { harness, twoHopRoute, type Harness } from '../simnet/harness.ts';
import type { SimnetOptions } from '../../packages/simnet/src/index.ts';

export { twoHopRoute };

export interface Invoice {
  bolt11: string;
  payment_hash: string;
  payment_secret: string;
  amount_msat: number;
}

export interface EngineHarness extends Harness {
  /** A commando client to the wallet that reconnects after a drop. */
  wallet: CommandoClient;
  shop: CommandoClient;
  /** The IndexedDB factory the journals live in (one per harness). */
  indexedDB: IDBFactory;
  store: Store;
  /** A new engine on the wallet (optionally through a wrapped node, with more options), on the harness's store. */
  engine(wrap?: (node: Node) => Node, options?: Partial<EngineOptions>): Promise<Engine>;
  invoice(amount_msat: number, label?: string): Promise<Invoice>;
  /** A two-hop route wallet → via → shop delivering `amount`. */
  route(via: 'alice' | 'bob' | 'carol' | 'dave', amount: number): RouteHop[];
}

let labels = 0;

export async function engineHarness(options: SimnetOptions = {}): Promise<EngineHarness> {
  const h = await harness({ seed: 11, ...options });
  const wallet = await h.client('wallet', { reconnect: true });
  const shop = await h.client('shop');
  const indexedDB = new IDBFactory();
  const store = indexedDbStore({ indexedDB });
  const engines: Engine[] = [];
  return {
    ...h,
    wallet,
    shop,
    indexedDB,
    store,
    async engine(wrap, options = {}) {
      const node = clnNode(wallet);
      const engine = await createEngine({ node: wrap ? wrap(node) : node, store, waitChunk: 5, ...options });
      engines.push(engine);
      return engine;
    },
    async invoice(amount_msat, label = `core-${++labels}`) {
      const inv = await shop.request('invoice', { amount_msat, label, description: label });
      return { bolt11: inv.bolt11, payment_hash: inv.payment_hash, payment_secret: inv.payment_secret, amount_msat };
    },
    route(via, amount) {
      return twoHopRoute(h.simnet, 'wallet', via, 'shop', amount).map((hop) => ({ ...hop, direction: hop.direction === 1 ? 1 : 0 }));
    },
    async stop() {
      for (const e of engines) e.close();
      wallet.close();
      await h.stop();
    },
  };
}
