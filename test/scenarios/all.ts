/**
 * The scenario list on Core Lightning: every scenario module under one describe each. Run
 * against simnet by test/simnet/scenarios.test.ts and against real Core Lightning nodes by
 * test/real-cln/real-cln.test.ts; the modules that do not need commando also run with LND
 * nodes by test/simnet/lnd-scenarios.test.ts. The mpp_timeout scenario waits a minute on a
 * real node, so it runs beside the others rather than before or after them.
 */
import { describe } from 'node:test';
import { browserScenarios } from './browser.ts';
import { commandoScenarios } from './commando.ts';
import { payScenarios } from './pay.ts';
import { askreneRuneScenario, nodePlannerScenarios } from './pay-node-planner.ts';
import { mppTimeoutScenario, receiveScenarios } from './receive.ts';
import { recoveryScenarios } from './recovery.ts';
import { runeScenarios } from './runes.ts';
import { sendpartialpayScenarios } from './sendpartialpay.ts';
import type { ClnTarget } from './target.ts';

export function allScenarios(target: () => ClnTarget): void {
  describe('scenarios', { concurrency: 2 }, () => {
    describe('beside the rest: an incomplete set times out', () => mppTimeoutScenario(target));
    // Subtests inherit their parent's concurrency: these must not run two at a time.
    describe('in turn', { concurrency: 1 }, () => {
      describe('commando link', () => commandoScenarios(target));
      describe('sendpartialpay', () => sendpartialpayScenarios(target));
      describe('pay() with the local planner', () => payScenarios(target));
      describe("pay() with the node's planner (askrene)", () => {
        nodePlannerScenarios(target);
        askreneRuneScenario(target);
      });
      describe('the browser SDK in Chromium', () => browserScenarios(target));
      describe('receiving', () => receiveScenarios(target));
      describe('an engine closed mid-payment', () => recoveryScenarios(target));
      describe('runes', () => runeScenarios(target));
    });
  });
}
