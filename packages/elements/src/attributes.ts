/**
 * Checks of the attributes a page sets, so a bad one is said on the element and in an
 * `ampkit-error` event instead of leaving it blank ("No invoice yet." for `amount-msat="abc"`).
 */
import { fire } from './events.ts';
import type { StringKey, Translator } from './strings.ts';

/** A number attribute: its name, its property, the least it may be, and the rule's words. */
export type NumberRule = [attribute: string, property: string, min: number, rule: StringKey];

/** The connection attributes an element may make its own client from, and what each must look like. */
const TEXT_RULES: [attribute: string, property: string, pattern: RegExp, rule: StringKey][] = [
  ['node-id', 'nodeId', /^0[23][0-9a-fA-F]{64}$/, 'ruleNodeId'],
  ['url', 'url', /^wss?:\/\/./, 'ruleUrl'],
];

/**
 * The first attribute (or property) that is set but not valid, said in the element's words: a
 * number that is not a whole number of at least its minimum, a `node-id` that is not a node
 * key, a `url` that is not ws:// or wss://. Fires `ampkit-error` once per new problem.
 * @internal
 */
export function checkAttributes(
  element: HTMLElement & Record<string, unknown>,
  rules: NumberRule[],
  t: Translator,
  told: { last?: string },
): string | undefined {
  const bad: [string, unknown, StringKey][] = [];
  for (const [attribute, property, min, rule] of rules) {
    const value = element[property];
    if (value !== undefined && value !== null && !(Number.isSafeInteger(value) && (value as number) >= min))
      bad.push([attribute, value, rule]);
  }
  for (const [attribute, property, pattern, rule] of TEXT_RULES) {
    const value = element[property];
    if (typeof value === 'string' && value.trim() && !pattern.test(value.trim())) bad.push([attribute, value, rule]);
  }
  for (const [attribute, value, rule] of bad) {
    const given = element.getAttribute(attribute) ?? String(value);
    const words = t.t('badAttribute', { attribute, value: t.ext(given, 40), rule: t.t(rule) });
    if (told.last !== `${attribute}=${given}`) {
      told.last = `${attribute}=${given}`;
      fire(element, 'ampkit-error', { code: 'INVALID_ARGUMENT', attribute, value: given, message: words });
    }
    return words;
  }
  told.last = undefined;
  return undefined;
}
