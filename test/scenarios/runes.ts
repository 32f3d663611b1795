/**
 * Runes, as a user of the SDK meets them, on either network: the node answers every rune
 * probe as a real Core Lightning v25.12 node did (test/fixtures/cln/rune-errors.json), an
 * engine on the README's invoice-only rune receives without a call its rune refuses, and
 * what it is refused when made to pay is PERMISSION naming the method.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { CommandoClient } from '../../packages/wire/src/index.ts';
import { clnNode, createEngine, type AmpkitError } from '../../packages/core/src/index.ts';
import { journal } from './helpers.ts';
import { RUNE_PROBES, runRuneProbes, type ProbeAnswer } from './rune-probes.ts';
import { clientOf, type ClnTarget } from './target.ts';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/cln/rune-errors.json', import.meta.url), 'utf8')) as {
  version: string;
  answers: Record<string, ProbeAnswer>;
};

/** The methods of the invoice-only rune (README). */
const INVOICE_RUNE_METHODS = [
  'invoice',
  'listinvoices',
  'holdinvoice',
  'listholdinvoices',
  'settleholdinvoice',
  'cancelholdinvoice',
  'listhtlcs',
  'wait',
];

/** Records every request the client makes, and the code of every refusal. */
function recorded(client: CommandoClient): { methods: Set<string>; refusals: string[] } {
  const seen = { methods: new Set<string>(), refusals: [] as string[] };
  const request = client.request.bind(client);
  client.request = (async (
    method: string,
    params?: Record<string, unknown> | unknown[],
    options?: Parameters<CommandoClient['request']>[2],
  ) => {
    seen.methods.add(method);
    try {
      return await request(method, params, options);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 19536 || code === 19537) seen.refusals.push(`${method}: ${(error as Error).message}`);
      throw error;
    }
  }) as CommandoClient['request'];
  return seen;
}

export function runeScenarios(target: () => ClnTarget): void {
  test(`every rune probe is answered as Core Lightning ${fixture.version} answered it`, async () => {
    const answers = await runRuneProbes(target());
    const wrong = RUNE_PROBES.filter((p) => JSON.stringify(answers[p.name]) !== JSON.stringify(fixture.answers[p.name]));
    assert.deepEqual(
      wrong.map((p) => ({ probe: p.name, answer: answers[p.name], real: fixture.answers[p.name] })),
      [],
    );
  });

  test('an engine on the invoice-only rune makes an invoice, follows it to paid, and makes no call its rune refuses', async () => {
    const t = target();
    const client = await clientOf(t, 'dave', { rune: 'invoice_rune', reconnect: true });
    const seen = recorded(client);
    const engine = await createEngine({ node: clnNode(client), store: journal(), waitChunk: 5, mppTimeout: t.mppTimeout });
    const errors: AmpkitError[] = [];
    engine.on('error', (e) => errors.push(e));
    const payer = await clientOf(t, 'alice');
    try {
      const invoice = await engine.invoice({ amount_msat: 20_000_000, description: `rune scenario ${t.kind}` });
      await payer.request('pay', { bolt11: invoice.bolt11, retry_for: 60 }, { timeout: 90_000 });
      const paid = await engine.waitinvoice({ payment_hash: invoice.payment_hash, timeout: 60 });
      assert.equal(paid.status, 'paid');
      assert.equal(paid.amount_received_msat, 20_000_000);
      assert.deepEqual(seen.refusals, []);
      assert.deepEqual(
        [...seen.methods].filter((m) => !INVOICE_RUNE_METHODS.includes(m)),
        [],
      );
      assert.deepEqual(
        errors.map((e) => e.message),
        [],
      );
    } finally {
      engine.close();
      client.close();
      payer.close();
    }
  });

  test("a payment on the invoice-only rune fails with PERMISSION naming listsendpays, with the node's words, and nothing is sent", async () => {
    const t = target();
    const client = await clientOf(t, 'alice', { rune: 'invoice_rune', reconnect: true });
    const seen = recorded(client);
    const engine = await createEngine({ node: clnNode(client), store: journal(), waitChunk: 5, mppTimeout: t.mppTimeout });
    const shop = await clientOf(t, 'dave');
    try {
      const label = `rune-scenario-${t.kind}-${Date.now()}`;
      const { bolt11 } = await shop.request('invoice', { amount_msat: 1_000_000, label, description: label });
      await assert.rejects(engine.pay({ bolt11 }), (e: AmpkitError) => {
        assert.equal(e.code, 'PERMISSION');
        assert.equal(e.message, 'the rune does not permit listsendpays (needed to send payments); make a rune that allows it, see README');
        assert.equal(e.nodeCode, 19537);
        assert.deepEqual(e.data, {
          method: 'listsendpays',
          message: (fixture.answers['invoice-only rune calling listsendpays'] as { message: string }).message,
        });
        return true;
      });
      assert.ok(!seen.methods.has('sendpay'), 'nothing was sent');
      assert.deepEqual((await engine.listpartialpayments({})).partialpayments, []);
    } finally {
      engine.close();
      client.close();
      shop.close();
    }
  });
}
