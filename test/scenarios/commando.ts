/**
 * The commando link, as a user of `@ampkit/wire` meets it: connect, calls with `filter`, many
 * calls at once, a long reply, and the node dropping the connection under a call.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RpcError, WireError } from '../../packages/wire/src/index.ts';
import { eventually } from './helpers.ts';
import { clientOf, type ClnTarget } from './target.ts';

export function commandoScenarios(target: () => ClnTarget): void {
  test("connects after the handshake and the node's gossip, and getinfo names the node dialled", async () => {
    const t = target();
    const client = await clientOf(t, 'alice');
    try {
      const info = await client.request<{ id: string; alias: string; network: string }>('getinfo');
      assert.equal(info.id, t.nodes.alice.id);
      assert.equal(info.alias, 'alice');
      assert.equal(info.network, 'regtest');
      // The link outlives the gossip a node sends after init.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(client.state, 'open');
      assert.equal((await client.request<{ id: string }>('getinfo')).id, t.nodes.alice.id);
    } finally {
      client.close();
    }
  });

  test('a filter trims the reply to the fields asked for', async () => {
    const client = await clientOf(target(), 'alice');
    try {
      const info = await client.request('getinfo', {}, { filter: { id: true, alias: true } });
      assert.deepEqual(Object.keys(info).sort(), ['alias', 'id']);
      const { channels } = await client.request(
        'listpeerchannels',
        {},
        { filter: { channels: [{ short_channel_id: true, spendable_msat: true }] } },
      );
      assert.equal(channels.length, 2);
      for (const c of channels) assert.deepEqual(Object.keys(c).sort(), ['short_channel_id', 'spendable_msat']);
    } finally {
      client.close();
    }
  });

  test('50 concurrent calls are each answered with their own reply', async () => {
    const t = target();
    const client = await clientOf(t, 'dave');
    try {
      const stamp = `${t.kind}-${Date.now()}`;
      const labels = Array.from({ length: 10 }, (_, i) => `conc-${stamp}-${i}`);
      await Promise.all(labels.map((label, i) => client.request('invoice', { amount_msat: 1000 + i, label, description: label })));
      const calls = Array.from({ length: 50 }, (_, i) => {
        const label = labels[i % labels.length]!;
        return i % 5 === 4
          ? client.request('getinfo').then((r) => r.id as string)
          : client.request('listinvoices', { label }).then((r) => `${r.invoices[0].label}:${r.invoices[0].amount_msat}`);
      });
      const replies = await Promise.all(calls);
      replies.forEach((reply, i) => {
        const want = i % 5 === 4 ? t.nodes.dave.id : `${labels[i % labels.length]}:${1000 + (i % labels.length)}`;
        assert.equal(reply, want, `call ${i}`);
      });
    } finally {
      client.close();
    }
  });

  test('a reply longer than one Lightning message (65,535 bytes) arrives whole', async () => {
    const t = target();
    const client = await clientOf(t, 'dave');
    try {
      const stamp = `${t.kind}-${Date.now()}`;
      const description = 'a long description to make a long reply '.repeat(12);
      await Promise.all(
        Array.from({ length: 80 }, (_, i) => client.request('invoice', { amount_msat: 1000, label: `long-${stamp}-${i}`, description })),
      );
      const { invoices } = await client.request<{ invoices: { label: string }[] }>('listinvoices', {});
      assert.ok(JSON.stringify(invoices).length > 2 * 65_535, 'several commando messages');
      assert.equal(invoices.filter((i) => i.label.startsWith(`long-${stamp}-`)).length, 80);
    } finally {
      client.close();
    }
  });

  test('the node drops the connection under a call: that call fails with CONNECTION, the client reconnects, the next call is answered', async () => {
    const t = target();
    const client = await clientOf(t, 'dave', { reconnect: true });
    try {
      const label = `drop-${t.kind}-${Date.now()}`;
      await client.request('invoice', { amount_msat: 5000, label, description: label });
      const states: string[] = [];
      client.on('state', (s) => states.push(s));
      // A call that stays in flight: waiting for an invoice nobody pays.
      // Its outcome is taken at once: the drop may reject it before dropClients returns.
      const waiting = client.request('waitinvoice', { label }, { timeout: 60_000 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      await new Promise((r) => setTimeout(r, 200));
      await t.dropClients('dave');
      const error = await waiting;
      assert.ok(error instanceof WireError, `rejected with a WireError, got ${String(error)}`);
      assert.equal(error.code, 'CONNECTION');
      await eventually('the client to be open again', () => (client.state === 'open' ? true : undefined));
      assert.equal((await client.request<{ id: string }>('getinfo')).id, t.nodes.dave.id);
      assert.ok(states.includes('reconnecting'), states.join(' '));
    } finally {
      client.close();
    }
  });
}
