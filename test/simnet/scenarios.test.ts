/**
 * The scenario list (test/scenarios/) on simnet, in the real network's shape. The same list
 * runs against real Core Lightning nodes in test/real-cln/real-cln.test.ts.
 */
import { after, before, describe } from 'node:test';
import { allScenarios } from '../scenarios/all.ts';
import { simnetTarget, type SimnetTarget } from '../scenarios/simnet-target.ts';

let target: SimnetTarget;

describe('scenarios on simnet', () => {
  before(async () => {
    target = await simnetTarget();
  });
  after(() => target?.stop());
  allScenarios(() => target);
});
