/**
 * The scenario list (test/scenarios/) against real Core Lightning: bitcoind in regtest and
 * four lightningd (see network.ts), started once for the whole file; then the differential
 * check, the same script of calls on the real node and on simnet, compared. The programs
 * come from AMPKIT_REALNODE_DIR (or AMPKIT_BITCOIND / AMPKIT_BITCOIN_CLI /
 * AMPKIT_LIGHTNINGD, or the PATH). Without them the tests are skipped with one line saying
 * how to enable them, unless AMPKIT_REQUIRE_REALNODE=1 (.ci/run sets it): then their
 * absence is a failure. AMPKIT_RECORD_FIXTURES=1 writes the real answers of the
 * differential script to test/fixtures/cln/differential.json.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, beforeEach, describe, test } from 'node:test';
import { allScenarios } from '../scenarios/all.ts';
import { compareOutcomes, runDifferential } from '../scenarios/differential.ts';
import { simnetTarget } from '../scenarios/simnet-target.ts';
import { HOW_TO_ENABLE, findRealBinaries } from './binaries.ts';
import { startRealNetwork, type RealNetwork } from './network.ts';
import { realTarget, type RealTarget } from './real-target.ts';

const found = findRealBinaries();
const required = process.env.AMPKIT_REQUIRE_REALNODE === '1';

if ('missing' in found) {
  console.log(`real-node tests skipped: ${found.missing}; ${HOW_TO_ENABLE}`);
  test('the real Core Lightning binaries are present where they are required', { skip: !required }, () => {
    assert.fail(`AMPKIT_REQUIRE_REALNODE=1 but ${found.missing}; ${HOW_TO_ENABLE}`);
  });
} else {
  let network: RealNetwork;
  let target: RealTarget;
  let ran = 0;
  const began = Date.now();

  describe(`real Core Lightning ${found.version}`, () => {
    before(async () => {
      network = await startRealNetwork(found);
      target = realTarget(network);
      console.log(`real-node network (bitcoind + 4 lightningd, 4 channels, gossip) ready in ${network.startupSeconds.toFixed(1)} s`);
    });
    beforeEach(() => {
      ran += 1;
    });
    after(async () => {
      await network?.stop();
      console.log(
        `real-node tests: ${ran} ran against Core Lightning ${found.version} in ${((Date.now() - began) / 1000).toFixed(1)} s (network up in ${network?.startupSeconds.toFixed(1)} s)`,
      );
    });

    allScenarios(() => target);

    test('differential: the same calls on simnet answer as the real node does (shapes, codes, messages)', async () => {
      const real = await runDifferential(target);
      if (process.env.AMPKIT_RECORD_FIXTURES === '1') {
        const file = new URL('../fixtures/cln/differential.json', import.meta.url);
        // The temp folder's name is this machine's business, not the fixture's.
        const text = JSON.stringify(
          { version: found.version, captured: new Date().toISOString().slice(0, 10), outcomes: real },
          null,
          1,
        ).replace(/"[^"]*ampkit-realcln-[^/"]+\//g, '"<tmp>/');
        writeFileSync(file, `${text}\n`);
      }
      const sim = await simnetTarget({ holdPlugin: false });
      try {
        const differences = compareOutcomes(real, await runDifferential(sim));
        assert.deepEqual(differences, [], `simnet departs from Core Lightning ${found.version}:\n${differences.join('\n')}`);
      } finally {
        await sim.stop();
      }
    });
  });
}
