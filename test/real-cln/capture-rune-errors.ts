/**
 * Captures a real Core Lightning node's answers to the rune probes (test/scenarios/rune-probes.ts)
 * into test/fixtures/cln/rune-errors.json:
 *
 *   AMPKIT_REALNODE_DIR=/path/to/binaries node --conditions=source --import tsx test/real-cln/capture-rune-errors.ts
 *
 * It starts the real regtest network (network.ts), asks alice, and stops the network.
 */
import { writeFileSync } from 'node:fs';
import { findRealBinaries } from './binaries.ts';
import { startRealNetwork } from './network.ts';
import { realTarget } from './real-target.ts';
import { runRuneProbes } from '../scenarios/rune-probes.ts';

const bin = findRealBinaries();
if ('missing' in bin) {
  console.error(bin.missing);
  process.exit(1);
}
const network = await startRealNetwork(bin);
try {
  const answers = await runRuneProbes(realTarget(network));
  const fixture = {
    captured: new Date().toISOString().slice(0, 10),
    version: bin.version,
    how: 'test/real-cln/capture-rune-errors.ts: each probe of test/scenarios/rune-probes.ts sent over commando to alice of the real-node harness',
    answers,
  };
  const file = new URL('../fixtures/cln/rune-errors.json', import.meta.url);
  writeFileSync(file, `${JSON.stringify(fixture, null, 2)}\n`);
  console.log(JSON.stringify(answers, null, 2));
} finally {
  await network.stop();
}
