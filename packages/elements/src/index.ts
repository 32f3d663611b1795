/**
 * @ampkit/elements: Lit web components for ampkit — `<ampkit-pay>` (pay an invoice, every
 * part shown), `<ampkit-invoice>` (make or watch one, every held part shown),
 * `<ampkit-connect>` (the user's node) — and a WebLN provider backed by the client.
 * Registration is in `./define.ts` (the `define` entry; the page bundle does it).
 */
export { AmpkitPay, defaultMaxFee, type PayState } from './pay-element.ts';
export { AmpkitInvoice, type InvoiceState } from './invoice-element.ts';
export { AmpkitConnect, type ConnectMode, type ConnectState } from './connect-element.ts';
export {
  AmpkitWebLN,
  createWebLNProvider,
  installWebLN,
  type WebLNClient,
  type WebLNInvoiceArgs,
  type WebLNNodeInfo,
  type WebLNProvider,
} from './webln.ts';
export { DEFAULT_STRINGS, getStrings, setStrings, type AmpkitStrings, type StringKey } from './strings.ts';
export { LNC_STRINGS } from './lnc-words.ts';
export type { AmpkitElementEventName, AmpkitElementEvents, AmpkitEvent } from './events.ts';
export type {
  ClientFactory,
  DecodedInvoice,
  ElementsClient,
  ElementsEvents,
  NodeInfo,
  PaymentCheck,
  PayProgress,
  PayRequest,
  PayResult,
} from './client.ts';
