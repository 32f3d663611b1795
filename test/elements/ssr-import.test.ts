/** @ampkit/elements in Node (server-side rendering, no DOM): importing must not throw. */
import { test } from 'node:test';
import assert from 'node:assert/strict';

test('the index imports in Node and exports the elements, the WebLN provider and the strings', async () => {
  assert.equal(typeof (globalThis as { HTMLElement?: unknown }).HTMLElement, 'undefined', 'this test is about a DOM-less Node');
  const elements = await import('@ampkit/elements');
  for (const name of [
    'AmpkitPay',
    'AmpkitInvoice',
    'AmpkitConnect',
    'AmpkitWebLN',
    'createWebLNProvider',
    'installWebLN',
    'setStrings',
    'getStrings',
    'DEFAULT_STRINGS',
    'defaultMaxFee',
  ]) {
    assert.ok(name in elements, `${name} is exported`);
  }
  assert.equal(elements.defaultMaxFee(3_000_000), 15_000);
  assert.equal(elements.getStrings().payButton, 'Pay {amount}');
});

test('the registering module imports in Node too, and twice', async () => {
  await import('@ampkit/elements/define');
  await import('../../packages/elements/src/ampkit-elements.ts');
  const registry = (globalThis as { customElements?: { get(name: string): unknown } }).customElements;
  // Lit's Node build brings a shim registry; where there is one, the elements are in it once.
  if (registry) assert.ok(registry.get('ampkit-pay'));
});
