/**
 * The scenario list (test/scenarios/) on simnet with alice, the payer, and dave, the payee,
 * as LND nodes reached only over Lightning Node Connect (bob and carol stay Core Lightning):
 * the same scenario lines as on Core Lightning simnet (scenarios.test.ts) and on real Core
 * Lightning (test/real-cln/real-cln.test.ts), each engine on `lndNode` over its own LNC
 * session, each look at the node's own records taken with lnd's RPCs (lnd-target.ts).
 *
 * Run here:
 * - sendpartialpay (sendpartialpay.ts): rules 1.1 (a new hash; a hash the node paid for
 *   another journal; parts in flight this journal did not send), 1.2.1, 1.2.2, 1.2.3 and 2,
 *   and the resolution steps (BOLT 4 code and erring index of a refused part). On lnd a
 *   failed payment's attempts are deleted when it is sent to again (docs/lnd.md, hard spot
 *   4): the rule 1.2.3 scenario expects only the new group at the node there.
 * - pay() with the local planner (pay.ts): a small payment, 1,300,000 sat that must split
 *   over bob and carol, 'auto' handing over to the local planner once lnd's graph is loaded.
 * - pay() with the node's planner, lnd's QueryRoutes (pay-node-planner.ts): 1,200,000 sat
 *   with bob → dave drained, once when it cannot arrive and once when it can.
 * - receiving at dave (receive.ts): a plain invoice in two parts, the first held and listed;
 *   a hold invoice followed by two engines on one journal (two tabs), claimed once, when its
 *   held parts are complete; an incomplete set timed out (lnd's 120 s shortened to 8 s).
 * - an engine closed mid-payment and a new engine on its journal reconciling (recovery.ts).
 *
 * Not run here, and why:
 * - 'commando link' (commando.ts): the commando transport itself; lnd has no commando.
 * - 'runes' (runes.ts) and the rune probes (rune-probes.ts): Core Lightning's runes; an LNC
 *   session's permissions are its macaroon's (test/core/lnd-node.test.ts).
 * - 'a rune that may not make askrene layers' (pay-node-planner.ts, askreneRuneScenario): a
 *   rune and askrene layers at the node; on lnd the planner's layers live in the adapter.
 * - 'the browser SDK in Chromium' (browser.ts): it connects with a commando rune; the LNC
 *   path in a browser has end-to-end tests of its own.
 * - the differential check (differential.ts): simnet against real Core Lightning, call by
 *   call, over commando.
 * The scenario list has no hostile-replies scenario (a real node does not answer with
 * hostile replies): lnd's replies are mutated and fuzzed against the adapter in
 * test/core/lnd-node-fuzz.test.ts.
 */
import { after, before, describe } from 'node:test';
import { lndTarget, type LndTarget } from '../scenarios/lnd-target.ts';
import { payScenarios } from '../scenarios/pay.ts';
import { nodePlannerScenarios } from '../scenarios/pay-node-planner.ts';
import { mppTimeoutScenario, receiveScenarios } from '../scenarios/receive.ts';
import { recoveryScenarios } from '../scenarios/recovery.ts';
import { sendpartialpayScenarios } from '../scenarios/sendpartialpay.ts';

let target: LndTarget;

describe('scenarios on simnet with alice and dave on LND over LNC', () => {
  before(async () => {
    target = await lndTarget();
  });
  after(() => target?.stop());

  describe('scenarios', { concurrency: 2 }, () => {
    describe('beside the rest: an incomplete set times out', () => mppTimeoutScenario(() => target));
    describe('in turn', { concurrency: 1 }, () => {
      describe('sendpartialpay', () => sendpartialpayScenarios(() => target));
      describe('pay() with the local planner', () => payScenarios(() => target));
      describe("pay() with the node's planner (QueryRoutes)", () => nodePlannerScenarios(() => target));
      describe('receiving', () => receiveScenarios(() => target));
      describe('an engine closed mid-payment', () => recoveryScenarios(() => target));
    });
  });
});
