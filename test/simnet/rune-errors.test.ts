/**
 * simnet refuses runes exactly as a real Core Lightning v25.12 node does: the same code and
 * message for every rune probe (test/scenarios/rune-probes.ts) as the real node's answers in
 * test/fixtures/cln/rune-errors.json, and passes what the node passes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { RUNE_PROBES, runRuneProbes, type ProbeAnswer } from '../scenarios/rune-probes.ts';
import { simnetTarget, type SimnetTarget } from '../scenarios/simnet-target.ts';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/cln/rune-errors.json', import.meta.url), 'utf8')) as {
  version: string;
  answers: Record<string, ProbeAnswer>;
};

let target: SimnetTarget;
let answers: Record<string, ProbeAnswer>;

describe(`simnet's rune errors are Core Lightning ${fixture.version}'s`, () => {
  before(async () => {
    target = await simnetTarget();
    answers = await runRuneProbes(target);
  });
  after(() => target?.stop());

  test('every probe has a real answer, and every real answer a probe', () => {
    assert.deepEqual(RUNE_PROBES.map((p) => p.name).sort(), Object.keys(fixture.answers).sort());
  });

  for (const probe of RUNE_PROBES) {
    test(probe.name, () => {
      assert.deepEqual(answers[probe.name], fixture.answers[probe.name]);
    });
  }

  test('refused calls are counted apart from the calls that reached the node', () => {
    const alice = target.simnet.node('alice');
    // The probes' refusals of listsendpays and sendpay never reached a handler.
    assert.ok((alice.refused.get('listsendpays') ?? 0) >= 1);
    assert.ok((alice.refused.get('sendpay') ?? 0) >= 1);
    assert.equal(alice.calls.get('listsendpays') ?? 0, 0);
    assert.equal(alice.calls.get('sendpay') ?? 0, 0);
  });
});
