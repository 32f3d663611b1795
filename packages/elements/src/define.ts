/**
 * Registers `<ampkit-pay>`, `<ampkit-invoice>` and `<ampkit-connect>` (a side effect: this
 * module is in package.json's `sideEffects`). Safe to import twice, alongside another copy
 * of ampkit that registered them first, and in Node (no `customElements`: nothing happens).
 *
 * @example
 * ```ts
 * import '@ampkit/elements/define';
 * ```
 */
import { AmpkitConnect } from './connect-element.ts';
import { AmpkitInvoice } from './invoice-element.ts';
import { AmpkitPay } from './pay-element.ts';

const registry = globalThis.customElements;
if (registry) {
  for (const [name, element] of [
    ['ampkit-pay', AmpkitPay],
    ['ampkit-invoice', AmpkitInvoice],
    ['ampkit-connect', AmpkitConnect],
  ] as const) {
    if (!registry.get(name)) registry.define(name, element);
  }
}
