/**
 * @ampkit/worker: the browser SDK. `createAmpkit()` runs the ampkit engine in a Web
 * Worker (or, where none may start, in the page) and gives one typed client: every
 * engine method, its events, the connection's state. Tabs of one origin on one node share
 * the journal and coordinate through Web Locks and a BroadcastChannel.
 */
export { createAmpkit, type AmpkitClient, type AmpkitLncOptions, type AmpkitOptions } from './client.ts';
export { ENGINE_METHODS, type AmpkitEvents, type EngineMethod, type EngineMethods, type Storage } from './protocol.ts';
export { AmpkitError, type ConnectionState } from '@ampkit/wire';
export type {
  AlreadyComplete,
  DecodedInvoice,
  Invoice,
  InvoiceRequest,
  InvoiceStatus,
  ListInvoicesRequest,
  ListPage,
  ListPageResult,
  ListPartialInvoicesRequest,
  ListPartialPaymentsRequest,
  ListPaymentsRequest,
  PartFailure,
  PartGoneReason,
  PartialInvoice,
  PartialPayment,
  Payment,
  PaymentCheck,
  PayFailKind,
  PaymentStatus,
  PayProgress,
  PayRequest,
  PayResult,
  NodeInfo,
  RouteHop,
  SendPartialPayRequest,
  SentPart,
} from '@ampkit/core';
