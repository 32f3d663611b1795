/**
 * The scenario list (test/scenarios/) against real Core Lightning: bitcoind in regtest and
 * four lightningd (see network.ts), started once for the whole file. The programs come
 * from AMPKIT_REALNODE_DIR (or AMPKIT_BITCOIND / AMPKIT_BITCOIN_CLI / AMPKIT_LIGHTNINGD, or
 * the PATH). Without them the tests are skipped with one line saying how to enable them,
 * unless AMPKIT_REQUIRE_REALNODE=1 (CI sets it): then their absence is a failure.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { allScenarios } from '../scenarios/all.ts';
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
  const began = Date.now();

  describe(`real Core Lightning ${found.version}`, () => {
    before(async () => {
      network = await startRealNetwork(found);
      target = realTarget(network);
      console.log(`real-node network (bitcoind + 4 lightningd, 4 channels, gossip) ready in ${network.startupSeconds.toFixed(1)} s`);
    });
    after(async () => {
      await network?.stop();
      console.log(`real-node tests took ${((Date.now() - began) / 1000).toFixed(1)} s in all`);
    });
    allScenarios(() => target);
  });
}
