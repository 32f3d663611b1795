/** Starts a simnet and connects @ampkit/wire clients to its nodes, for black-box tests. */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type CommandoClient } from '../../packages/wire/src/index.ts';
import { NodeWebSocket } from '../../packages/wire/src/node.ts';
import { startSimnet, type Simnet, type SimNode, type SimnetOptions } from '../../packages/simnet/src/index.ts';

export interface Harness {
  simnet: Simnet;
  /** A client for a node, with its full rune (or the read-only one); `reconnect`: it comes back after a drop. */
  client(alias: string, options?: { readonly?: boolean; reconnect?: boolean }): Promise<CommandoClient>;
  stop(): Promise<void>;
}

export async function harness(options: SimnetOptions = {}): Promise<Harness> {
  const simnet = await startSimnet({ hopDelay: 2, ...options });
  const clients: CommandoClient[] = [];
  return {
    simnet,
    async client(alias, o = {}) {
      const info = simnet.nodes.find((n) => n.alias === alias)!;
      const client = await connect({
        nodeId: info.id,
        url: info.ws_url,
        rune: o.readonly ? info.readonly_rune : info.rune,
        WebSocket: NodeWebSocket,
        reconnect: o.reconnect ? { minDelay: 20, maxDelay: 100, attempts: 50 } : false,
        timeout: 20_000,
      });
      clients.push(client);
      return client;
    },
    async stop() {
      for (const c of clients) c.close();
      await simnet.stop();
    },
  };
}

export interface Hop {
  id: string;
  channel: string;
  direction: number;
  amount_msat: number;
  delay: number;
}

/** A fresh random preimage and its payment hash, for hold invoices made in tests. */
export function newPreimage(): { preimage: string; hash: string } {
  const preimage = randomBytes(32).toString('hex');
  return { preimage, hash: createHash('sha256').update(Buffer.from(preimage, 'hex')).digest('hex') };
}

/** Builds a two-hop route payer -> via -> destination with exact fees and delays. */
/** The simulated node with that alias, Core Lightning or LND alike. */
export function simNode(simnet: Simnet, alias: string): SimNode {
  const node = [...simnet.network.nodes.values()].find((n) => n.alias === alias);
  if (!node) throw new Error(`no node ${alias}`);
  return node;
}

export function twoHopRoute(simnet: Simnet, payer: string, via: string, destination: string, amount: number, finalCltv = 18): Hop[] {
  const p = simNode(simnet, payer);
  const v = simNode(simnet, via);
  const d = simNode(simnet, destination);
  const first = p.channels.find((c) => c.other(p) === v)!;
  const second = v.channels.find((c) => c.other(v) === d)!;
  const policy = second.policy[second.side(v)];
  const fee = policy.fee_base_msat + Math.floor((amount * policy.fee_proportional_millionths) / 1_000_000);
  return [
    { id: v.id, channel: first.scid, direction: first.side(p), amount_msat: amount + fee, delay: finalCltv + policy.cltv_expiry_delta },
    { id: d.id, channel: second.scid, direction: second.side(v), amount_msat: amount, delay: finalCltv },
  ];
}

/** A captured Core Lightning v25.12 answer from test/fixtures/reference/cln-fixtures (its trailing `rc=N` and `#` comment lines dropped). */
export function fixture(name: string): any {
  const text = readFileSync(new URL(`../fixtures/reference/cln-fixtures/${name}`, import.meta.url), 'utf8');
  return JSON.parse(text.replace(/^#.*$/gm, '').replace(/rc=\d\s*$/, ''));
}

/** A real node's reply kept in the repository (test/fixtures/cln/, see its README): `{ request, response }` or `{ request, error }`. */
export function realFixture(name: string): any {
  return JSON.parse(readFileSync(new URL(`../fixtures/cln/${name}`, import.meta.url), 'utf8'));
}

/** The hold plugin's reply shapes (test/fixtures/hold-plugin/, reconstructed from its v0.3.3 source, see the README): `{ source, request, response }` or `{ source, request, error }`. */
export function holdFixture(name: string): any {
  return JSON.parse(readFileSync(new URL(`../fixtures/hold-plugin/${name}`, import.meta.url), 'utf8'));
}
