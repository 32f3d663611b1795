/**
 * The scenario list: every scenario module, in order, under one describe each. Run against
 * simnet by test/simnet/scenarios.test.ts and against real Core Lightning nodes by
 * test/real-cln/real-cln.test.ts.
 */
import { describe } from 'node:test';
import { commandoScenarios } from './commando.ts';
import { sendpartialpayScenarios } from './sendpartialpay.ts';
import type { Target } from './target.ts';

export function allScenarios(target: () => Target): void {
  describe('commando link', () => commandoScenarios(target));
  describe('sendpartialpay', () => sendpartialpayScenarios(target));
}
