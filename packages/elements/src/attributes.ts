/**
 * Checks of the attributes a page sets, so a bad one is said on the element and in an
 * `ampkit-error` event instead of leaving it blank ("No invoice yet." for `amount-msat="abc"`).
 */
import { fire } from './events.ts';
import type { StringKey, Translator } from './strings.ts';

/** A number attribute: its name, its property, the least it may be, and the rule's words. */
export type NumberRule = [attribute: string, property: string, min: number, rule: StringKey];

/**
 * The first number attribute (or property) that is set but not a whole number of at least
 * its minimum, said in the element's words; fires `ampkit-error` once per new problem.
 * @internal
 */
export function checkNumbers(
  element: HTMLElement & Record<string, unknown>,
  rules: NumberRule[],
  t: Translator,
  told: { last?: string },
): string | undefined {
  for (const [attribute, property, min, rule] of rules) {
    const value = element[property];
    if (value === undefined || value === null || (Number.isSafeInteger(value) && (value as number) >= min)) continue;
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
