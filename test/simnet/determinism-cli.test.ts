/** One seed, one network; the CLI prints its node list and stops cleanly on SIGTERM. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { connect } from '../../packages/wire/src/index.ts';
import { NodeWebSocket } from '../../packages/wire/src/node.ts';
import { DEMO_TOPOLOGY, startSimnet } from '../../packages/simnet/src/index.ts';

describe('simnet: determinism', () => {
  test('the same seed gives the same keys, runes and invoices; another seed does not', async () => {
    const now = () => 1_800_000_000_000;
    const make = async (seed: number) => {
      const s = await startSimnet({ seed, now });
      const shop = s.node('shop');
      const inv = await (async () => {
        const { invoiceMethods } = await import('../../packages/simnet/src/rpc-invoice.ts');
        return invoiceMethods.invoice!(shop, { amount_msat: 1000, label: 'a', description: 'b' }) as { bolt11: string };
      })();
      await s.stop();
      return { nodes: s.nodes.map(({ alias, id, rune, readonly_rune }) => ({ alias, id, rune, readonly_rune })), bolt11: inv.bolt11 };
    };
    const [a, b, c] = [await make(42), await make(42), await make(43)];
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.nodes[0], c.nodes[0]);
    assert.notEqual(a.bolt11, c.bolt11);
    assert.deepEqual(
      a.nodes.map((n) => n.alias),
      DEMO_TOPOLOGY.nodes.map((n) => n.alias),
    );
  });

  test('generated:N goes through the graph loader: a wallet and a shop attached to hubs can pay each other', async () => {
    const s = await startSimnet({ topology: 'generated:400', seed: 2, hopDelay: 1 });
    try {
      assert.deepEqual(
        s.nodes.map((n) => n.alias),
        ['wallet', 'shop'],
      );
      assert.ok(s.network.channels.size > 400);
      const info = s.nodes[0]!;
      const client = await connect({ nodeId: info.id, url: info.ws_url, rune: info.rune, WebSocket: NodeWebSocket, reconnect: false });
      const shop = s.nodes[1]!;
      const shopClient = await connect({ nodeId: shop.id, url: shop.ws_url, rune: shop.rune, WebSocket: NodeWebSocket, reconnect: false });
      const inv = await shopClient.request('invoice', { amount_msat: 5_000_000, label: 'g', description: 'graph' });
      const route = await client.request('getroute', { id: shop.id, amount_msat: 5_000_000, riskfactor: 1 });
      assert.ok(route.route.length >= 2);
      const paid = await client.request('pay', [inv.bolt11]);
      assert.equal(paid.status, 'complete');
      client.close();
      shopClient.close();
    } finally {
      await s.stop();
    }
  });

  test('graph:N is a slice of the real graph: its N best-connected nodes and only the channels between them, the same each time', async () => {
    const slice = async () => {
      const s = await startSimnet({ topology: 'graph:200', seed: 3, hopDelay: 1 });
      await s.stop();
      return s.network;
    };
    const [a, b] = [await slice(), await slice()];
    assert.equal(a.nodes.size, 202, '200 routing nodes, a wallet and a shop');
    assert.deepEqual([...a.channels.keys()].sort(), [...b.channels.keys()].sort());
    for (const c of a.channels.values()) for (const end of c.node) assert.ok(a.nodes.get(end.id) === end);
    const routing = [...a.nodes.values()].filter((n) => n.alias !== 'wallet' && n.alias !== 'shop');
    // Every routing node has a channel in the slice; most have many (they are mainnet's hubs).
    assert.ok(routing.every((n) => n.channels.length > 0));
    assert.ok(a.channels.size > 2_000, `${a.channels.size} channels`);
    await assert.rejects(startSimnet({ topology: 'graph:1' }), /graph:N needs N >= 2/);
  });
});

describe('simnet: CLI', () => {
  test('--json prints one line with every node once they listen; control commands work; SIGTERM exits 0', async () => {
    const bin = fileURLToPath(new URL('../../packages/simnet/bin/ampkit-simnet.mjs', import.meta.url));
    const child = spawn(process.execPath, [bin, '--json', '--seed', '4', '--mpp-timeout', '5', '--hop-delay', '1'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    const { nodes } = JSON.parse(first) as { nodes: { alias: string; id: string; ws_url: string; rune: string; readonly_rune: string }[] };
    assert.equal(nodes.length, 6);
    assert.deepEqual(Object.keys(nodes[0]!), ['alias', 'id', 'ws_url', 'rune', 'readonly_rune', 'invoice_rune']);
    const wallet = nodes.find((n) => n.alias === 'wallet')!;
    const client = await connect({ nodeId: wallet.id, url: wallet.ws_url, rune: wallet.rune, WebSocket: NodeWebSocket, reconnect: false });
    assert.equal((await client.request('getinfo')).id, wallet.id);
    const reply = new Promise<string>((resolve) => createInterface({ input: child.stderr! }).once('line', resolve));
    child.stdin!.write('slow wallet 200\n');
    assert.equal(await reply, 'ok slow wallet 200');
    const started = Date.now();
    await client.request('getinfo');
    assert.ok(Date.now() - started >= 200);
    client.close();
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0);
  });

  test('bad arguments exit 2 with the usage', async () => {
    const bin = fileURLToPath(new URL('../../packages/simnet/bin/ampkit-simnet.mjs', import.meta.url));
    const child = spawn(process.execPath, [bin, '--seed', 'x'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 2);
    assert.match(err, /usage: ampkit-simnet/);
  });
});
