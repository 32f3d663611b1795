/**
 * Engines receiving on simnet's `shop` node over a real commando WebSocket, journals in
 * fake-indexeddb, and payers (alice, bob, carol: each with a channel to shop) that send
 * parts of an invoice with sendpay.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { decodeBolt11, type CommandoClient } from '../../packages/wire/src/index.ts';
import {
  clnNode,
  createEngine,
  indexedDbStore,
  type Engine,
  type EngineEvents,
  type EngineOptions,
  type Node,
  type Store,
} from '../../packages/core/src/index.ts';
import { harness, type Harness } from '../simnet/harness.ts';
import type { SimnetOptions } from '../../packages/simnet/src/index.ts';

export type Payer = 'alice' | 'bob' | 'carol' | 'dave';

export interface ReceiveHarness extends Harness {
  /** A client to the shop that reconnects after a drop. */
  shop: CommandoClient;
  store: Store;
  /** A new engine on the shop (optionally through a wrapped node, with more options), on the harness's store. */
  engine(wrap?: (node: Node) => Node, options?: Partial<EngineOptions>): Promise<Engine>;
  /**
   * Sends one part from `payer` straight to the shop (one hop). `total` is the set's
   * total_msat (the invoice's amount unless given). Resolves once the node took it.
   */
  pay(payer: Payer, bolt11: string, amount: number, partid: number, total?: number): Promise<void>;
  /** The payer's waitsendpay for that part: `complete`, or `failed` with the failure's name. */
  outcome(payer: Payer, payment_hash: string, partid: number): Promise<{ status: string; failcodename?: string }>;
  /** How many times the shop's node was called with `method`. */
  calls(method: string): number;
  /** The preimage the shop's node knows for a hash (undefined: it was never handed over). */
  nodePreimage(payment_hash: string): string | undefined;
}

/** Collects an engine's events in order, as `type` or `type:reason`. */
export function recordEvents(engine: Engine): string[] {
  const seen: string[] = [];
  const types: (keyof EngineEvents)[] = ['invoice-part', 'invoice-part-gone', 'invoice-paid', 'invoice-expired'];
  for (const type of types) {
    engine.on(type, (detail) =>
      seen.push(type === 'invoice-part-gone' ? `${type}:${(detail as EngineEvents['invoice-part-gone']).reason}` : type),
    );
  }
  return seen;
}

/** Resolves when `engine` emits `type` (matching `where`), or rejects after `ms`. */
export function nextEvent<K extends keyof EngineEvents>(
  engine: Engine,
  type: K,
  where: (d: EngineEvents[K]) => boolean = () => true,
  ms = 10_000,
): Promise<EngineEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no ${type} within ${ms} ms`));
    }, ms);
    const stop = engine.on(type, (detail) => {
      if (!where(detail)) return;
      clearTimeout(timer);
      stop();
      resolve(detail);
    });
  });
}

export async function receiveHarness(options: SimnetOptions = {}): Promise<ReceiveHarness> {
  const h = await harness({ seed: 12, ...options });
  const shop = await h.client('shop', { reconnect: true });
  const payers = new Map<Payer, CommandoClient>();
  const payer = async (alias: Payer) => {
    let client = payers.get(alias);
    if (!client) payers.set(alias, (client = await h.client(alias)));
    return client;
  };
  const store = indexedDbStore({ indexedDB: new IDBFactory() });
  const engines: Engine[] = [];
  const mppTimeout = options.mppTimeout ?? 60;
  const full = h.simnet.node('shop');
  return {
    ...h,
    shop,
    store,
    async engine(wrap, options = {}) {
      const node = clnNode(shop);
      const engine = await createEngine({ node: wrap ? wrap(node) : node, store, mppTimeout, ...options });
      engines.push(engine);
      return engine;
    },
    async pay(alias, bolt11, amount, partid, total) {
      const decoded = decodeBolt11(bolt11);
      const p = h.simnet.node(alias).node;
      const channel = p.channels.find((c) => c.other(p) === full.node)!;
      // The final CLTV the invoice asks for: 18 for the node's own, 80 for the hold plugin's.
      const route = [
        { id: full.node.id, channel: channel.scid, direction: channel.side(p), amount_msat: amount, delay: decoded.min_final_cltv_expiry },
      ];
      await (
        await payer(alias)
      ).request('sendpay', {
        route,
        payment_hash: decoded.payment_hash,
        payment_secret: decoded.payment_secret,
        amount_msat: total ?? decoded.amount_msat,
        partid,
        groupid: 1,
      });
    },
    async outcome(alias, payment_hash, partid) {
      try {
        const part = await (
          await payer(alias)
        ).request('waitsendpay', { payment_hash, partid, groupid: 1, timeout: 30 }, { timeout: 40_000 });
        return { status: part.status };
      } catch (error) {
        // CLN's failed waitsendpay: the part in `data` (whose status still says pending, as
        // cln-fixtures/waitsendpay-mpp-timeout.json shows) with the failure's name.
        const data = (error as { data?: { failcodename?: string } }).data;
        if (!data?.failcodename) throw error;
        return { status: 'failed', failcodename: data.failcodename };
      }
    },
    calls(method) {
      return full.calls.get(method) ?? 0;
    },
    nodePreimage(payment_hash) {
      const hold = full.hold?.list(payment_hash)[0];
      return hold ? (hold.preimage as string | undefined) : full.invoices.byHash.get(payment_hash)?.preimage;
    },
    async stop() {
      for (const e of engines) e.close();
      shop.close();
      await h.stop();
    },
  };
}
