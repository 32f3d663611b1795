/**
 * Secrets stay secret: the rune never appears in what the engine logs, throws or emits, on
 * the way to success or to failure; a hold invoice's preimage (the engine's secret until
 * the set is complete) appears in no log, no error and no event before the invoice is paid.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect } from '../../packages/wire/src/index.ts';
import { NodeWebSocket } from '../../packages/wire/src/node.ts';
import { clnNode, createEngine, memoryStore, type Engine, type EngineEvents } from '../../packages/core/src/index.ts';
import { receiveHarness, type ReceiveHarness } from './receive-harness.ts';

const EVENTS: (keyof EngineEvents)[] = [
  'part-created',
  'part-updated',
  'payment-updated',
  'pay-progress',
  'error',
  'invoice-updated',
  'invoice-part',
  'invoice-part-gone',
  'invoice-paid',
  'invoice-expired',
];

/** Everything printed to the console while `run` runs, as text. */
async function captureConsole<T>(run: () => Promise<T>): Promise<{ value: T; printed: string }> {
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const saved = methods.map((m) => console[m]);
  const lines: string[] = [];
  for (const m of methods)
    console[m] = (...args: unknown[]) =>
      void lines.push(
        args
          .map((a) =>
            a instanceof Error
              ? `${a.message} ${a.stack} ${JSON.stringify((a as { data?: unknown }).data)}`
              : typeof a === 'string'
                ? a
                : JSON.stringify(a),
          )
          .join(' '),
      );
  try {
    return { value: await run(), printed: lines.join('\n') };
  } finally {
    methods.forEach((m, i) => (console[m] = saved[i]!));
  }
}

/** Every event an engine emits, in order, as [type, JSON]. */
function recordAll(engine: Engine): [string, string][] {
  const seen: [string, string][] = [];
  for (const type of EVENTS)
    engine.on(type, (detail) =>
      seen.push([
        type,
        JSON.stringify(detail, (_, v) => (v instanceof Error ? { message: v.message, data: (v as { data?: unknown }).data } : v)),
      ]),
    );
  return seen;
}

const errorText = (e: unknown) => `${(e as Error).message} ${(e as Error).stack} ${JSON.stringify((e as { data?: unknown }).data)}`;

describe('secrets', () => {
  let h: ReceiveHarness;
  before(async () => {
    h = await receiveHarness({ mppTimeout: 1 });
  });
  after(() => h.stop());

  test('the rune is in no log, error or event: a working engine, refused requests, a bad rune, a dropped link', async () => {
    const info = h.simnet.nodes.find((n) => n.alias === 'shop')!;
    const { printed, value: texts } = await captureConsole(async () => {
      const texts: string[] = [];
      const client = await connect({ nodeId: info.id, url: info.ws_url, rune: info.rune, WebSocket: NodeWebSocket, reconnect: false });
      const engine = await createEngine({ node: clnNode(client), store: memoryStore() });
      const events = recordAll(engine);
      await engine.getinfo();
      await engine.invoice({ amount_msat: 1000, description: 'x' });
      for (const bad of [
        () => engine.invoice({ amount_msat: -1, description: 'x' } as never),
        () => engine.waitinvoice({ payment_hash: 'ab'.repeat(32), timeout: 0 }),
        () => client.request('no-such-method', {}),
      ]) {
        await bad().then(
          () => undefined,
          (e: unknown) => void texts.push(errorText(e)),
        );
      }
      client.close();
      await engine.getinfo().catch((e: unknown) => void texts.push(errorText(e)));
      engine.close();
      texts.push(...events.map(([, json]) => json));
      // A rune the node refuses: the refusal names no rune.
      const forged = `${info.rune.slice(0, -4)}AAAA`;
      const denied = await connect({ nodeId: info.id, url: info.ws_url, rune: forged, WebSocket: NodeWebSocket, reconnect: false });
      await denied.request('getinfo', {}).catch((e: unknown) => void texts.push(errorText(e)));
      denied.close();
      return { texts, forged };
    });
    assert.ok(texts.texts.length >= 4, 'errors were collected');
    for (const secret of [info.rune, texts.forged]) {
      assert.ok(!printed.includes(secret), 'no rune in the console');
      for (const text of texts.texts) assert.ok(!text.includes(secret), `no rune in: ${text.slice(0, 200)}`);
    }
  });

  test("a hold invoice's preimage is in no log, error or event until the invoice is paid", async () => {
    const engine = await h.engine();
    const events = recordAll(engine);
    const { printed, value } = await captureConsole(async () => {
      const inv = await engine.invoice({ amount_msat: 42, description: 'held', hold: true });
      await h.pay('alice', inv.bolt11, 20, 1);
      await h.pay('bob', inv.bolt11, 10, 2);
      // Two parts held, the set short: a wait times out.
      const errors: string[] = [];
      await engine.waitinvoice({ payment_hash: inv.payment_hash, timeout: 0.5 }).catch((e: unknown) => void errors.push(errorText(e)));
      const beforePaid = events.length;
      await h.pay('carol', inv.bolt11, 12, 3);
      const paid = await engine.waitinvoice({ payment_hash: inv.payment_hash, timeout: 10 });
      return { inv, paid, errors, beforePaid };
    });
    const preimage = value.paid.payment_preimage!;
    assert.match(preimage, /^[0-9a-f]{64}$/);
    assert.ok(!printed.includes(preimage), 'no preimage in the console');
    for (const text of value.errors) assert.ok(!text.includes(preimage), 'no preimage in an error');
    const paidAt = events.findIndex(([type]) => type === 'invoice-paid');
    assert.ok(paidAt >= value.beforePaid, 'the invoice was paid after the last part');
    assert.ok(events.slice(0, paidAt).filter(([type]) => type === 'invoice-part').length >= 2, 'the held parts were announced');
    assert.equal(value.errors.length, 1, 'the short wait failed');
    for (const [type, json] of events.slice(0, paidAt)) {
      // The paid record itself carries the preimage (it is the proof the payer gets); nothing before it may.
      if (type === 'invoice-updated' && json.includes('"status":"paid"')) continue;
      assert.ok(!json.includes(preimage), `no preimage in ${type} before the invoice is paid`);
    }
  });
});
