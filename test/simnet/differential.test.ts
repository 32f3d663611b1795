/**
 * simnet against the real node's recorded answers: the differential script
 * (test/scenarios/differential.ts) run on simnet, compared with what Core Lightning answered
 * to the same script (test/fixtures/cln/differential.json, recorded by
 * `AMPKIT_RECORD_FIXTURES=1 npm run test:node -- real-cln` against real nodes). Without a
 * real node at hand this keeps simnet honest; with one, real-cln.test.ts compares live.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compareOutcomes, runDifferential, type Outcome } from '../scenarios/differential.ts';
import { simnetTarget } from '../scenarios/simnet-target.ts';

const recorded = JSON.parse(readFileSync(new URL('../fixtures/cln/differential.json', import.meta.url), 'utf8')) as {
  version: string;
  outcomes: Record<string, Outcome>;
};

test(`simnet answers the differential script as Core Lightning ${recorded.version} did`, async () => {
  const sim = await simnetTarget({ holdPlugin: false });
  try {
    const differences = compareOutcomes(recorded.outcomes, await runDifferential(sim));
    assert.deepEqual(differences, [], differences.join('\n'));
  } finally {
    await sim.stop();
  }
});

test('the comparison finds a departure: a field simnet invents, a missing field the SDK reads, another code or message', () => {
  const real: Record<string, Outcome> = {
    getinfo: { result: { id: '02ab', alias: 'a', color: '00', network: 'regtest', blockheight: 1 } },
    'unknown method': { error: { code: -32601, message: "Unknown command 'frobnicate'" } },
  };
  const sim: Record<string, Outcome> = {
    getinfo: { result: { id: '02ab', alias: 'a', network: 'regtest', blockheight: '1', invented: true } },
    'unknown method': { error: { code: -32600, message: "Unknown method 'frobnicate'" } },
  };
  assert.deepEqual(compareOutcomes(real, sim), [
    'getinfo: blockheight: string at simnet, number at the real node',
    'getinfo: invented: at simnet only',
    'getinfo: color missing at simnet (the SDK reads it)',
    'unknown method: code -32600 at simnet, -32601 at the real node',
    `unknown method: message "Unknown method 'frobnicate'" at simnet, "Unknown command 'frobnicate'" at the real node`,
  ]);
});
