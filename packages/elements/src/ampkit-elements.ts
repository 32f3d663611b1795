/**
 * The page bundle's entry (dist/ampkit-elements.js): registers the elements and exports the
 * public API but the WebLN provider, which is dist/ampkit-webln.js, for the pages that want
 * `window.webln`. The client comes from ./ampkit.js beside it, loaded once.
 *
 * @example
 * ```html
 * <script type="module" src="https://cdn.example/ampkit/ampkit-elements.js"></script>
 * <ampkit-pay connection="wallet" invoice="lnbc…"></ampkit-pay>
 * ```
 */
import './define.ts';

export { AmpkitPay, defaultMaxFee, type PayState } from './pay-element.ts';
export { AmpkitInvoice, type InvoiceState } from './invoice-element.ts';
export { AmpkitConnect, type ConnectMode, type ConnectState } from './connect-element.ts';
export { DEFAULT_STRINGS, getStrings, setStrings, type AmpkitStrings, type StringKey } from './strings.ts';
export type * from './events.ts';
export type * from './client.ts';
