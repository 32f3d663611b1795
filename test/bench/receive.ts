/**
 * Receiving latency on simnet: from the moment the last part of a hold invoice's set
 * arrives at the node (the set becomes complete) to the engine's settleholdinvoice reaching
 * the node; and, for plain invoices, from the node's claim to the engine's invoice-paid.
 * The engine runs in Node over a real commando socket, its journal in fake-indexeddb.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { connect, decodeBolt11 } from '@ampkit/wire';
import { NodeWebSocket } from '@ampkit/wire/node';
import { startSimnet } from '@ampkit/simnet';
import { clnNode, createEngine, indexedDbStore } from '@ampkit/core';

function stats(values: number[]): { median_ms: number; p90_ms: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { median_ms: sorted[Math.floor(sorted.length / 2)]!, p90_ms: sorted[Math.floor(sorted.length * 0.9)]! };
}

export async function benchReceive(rounds = 40) {
  const sim = await startSimnet({ seed: 5, hopDelay: 1 });
  const info = sim.nodes.find((n) => n.alias === 'shop')!;
  const client = await connect({ nodeId: info.id, url: info.ws_url, rune: info.rune, WebSocket: NodeWebSocket, keepaliveInterval: 0 });
  const engine = await createEngine({ node: clnNode(client), store: indexedDbStore({ indexedDB: new IDBFactory() }) });
  const payers = await Promise.all(
    ['alice', 'bob'].map((alias) => {
      const p = sim.nodes.find((n) => n.alias === alias)!;
      return connect({ nodeId: p.id, url: p.ws_url, rune: p.rune, WebSocket: NodeWebSocket, keepaliveInterval: 0 });
    }),
  );
  const shop = sim.node('shop');
  // The node's side of the clock: when a set completes, when the settle call arrives, when it claims.
  let complete = 0;
  let settled = 0;
  const receive = shop.node.receive!;
  const plugin = shop.hold!;
  shop.node.receive = (attempt) => {
    receive(attempt);
    const hash = attempt.final.payment_hash;
    if (plugin.list(hash)[0]?.state === 'accepted' || shop.invoices.byHash.get(hash)?.paid) complete = performance.now();
  };
  const settle = plugin.settle.bind(plugin);
  plugin.settle = (preimage) => {
    settled = performance.now();
    settle(preimage);
  };

  const pay = async (bolt11: string) => {
    const d = decodeBolt11(bolt11);
    await Promise.all(
      [20, 22].map((amount, i) => {
        const p = sim.node(i === 0 ? 'alice' : 'bob').node;
        const channel = p.channels.find((c) => c.other(p) === shop.node)!;
        return payers[i]!.request('sendpay', {
          route: [
            { id: shop.node.id, channel: channel.scid, direction: channel.side(p), amount_msat: amount, delay: d.min_final_cltv_expiry },
          ],
          payment_hash: d.payment_hash,
          payment_secret: d.payment_secret,
          amount_msat: 42,
          partid: i + 1,
          groupid: 1,
        });
      }),
    );
  };

  const rtt: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    await client.request('getinfo');
    rtt.push(performance.now() - t);
  }

  const toSettle: number[] = [];
  const toPaidPlain: number[] = [];
  for (let i = 0; i < rounds + 3; i++) {
    const hold = await engine.invoice({ amount_msat: 42, description: `bench ${i}`, hold: true });
    await pay(hold.bolt11);
    await engine.waitinvoice({ payment_hash: hold.payment_hash, timeout: 10 });
    if (i >= 3) toSettle.push(settled - complete);

    const plain = await engine.invoice({ amount_msat: 42, description: `bench plain ${i}` });
    await pay(plain.bolt11);
    await engine.waitinvoice({ payment_hash: plain.payment_hash, timeout: 10 });
    if (i >= 3) toPaidPlain.push(performance.now() - complete);
  }
  engine.close();
  client.close();
  for (const p of payers) p.close();
  await sim.stop();
  return { rounds, rtt: stats(rtt), holdToSettle: stats(toSettle), plainToPaid: stats(toPaidPlain) };
}
