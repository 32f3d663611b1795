/**
 * @ampkit/core: the ampkit engine. Partial payments (one payment as many HTLCs with one
 * hash) journaled in IndexedDB, resolved by the node, reconciled after a closed tab;
 * invoices, plain and hold, with every incoming part held toward them (partial invoices),
 * claimed all at once; `pay()`, which plans an invoice's parts (here, on the node's graph
 * with what it learned, or by the node) and sends them within a fee budget and a deadline;
 * the Node interface and its Core Lightning (commando) adapter. The planner itself is
 * `@ampkit/core/planner`, apart, so a bundle loads it only when it plans.
 */
export { AmpkitError, type EngineErrorCode } from './errors.ts';
export { Engine, NEVER_SENT, SEND_LEASE_S, createEngine, type EngineEvents, type EngineOptions } from './payments/engine.ts';
export { localLock, type Lock, type PeerChannel, type PeerEvent, type PeerMessage } from './coordination.ts';
export { clnNode, type ClnNodeOptions } from './node/cln.ts';
export type {
  GetroutesRequest,
  HoldHtlcState,
  HoldState,
  HtlcIndex,
  Node,
  NodeAnnouncement,
  NodeChannel,
  NodePeerChannel,
  NodeHoldHtlc,
  NodeHoldInvoice,
  NodeHtlc,
  NodeInvoice,
  NodePart,
  NodeRoute,
  PartKey,
  SendpayRequest,
} from './node/node.ts';
export type { ReceiverEvents } from './invoices/receiver.ts';
export { memoryStore } from './store/memory.ts';
export { indexedDbStore, type IndexedDbStoreOptions } from './store/indexeddb.ts';
export type {
  CacheKey,
  Change,
  InvoiceChange,
  Journal,
  OpenOptions,
  PaymentView,
  SealedPreimage,
  StorageProblem,
  Store,
  StoredInvoice,
  UpdateOptions,
  UpdateView,
} from './store/store.ts';
export type {
  AlreadyComplete,
  PaymentCheck,
  PayFailKind,
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
  PaymentStatus,
  PayProgress,
  PayRequest,
  PayPart,
  PlannerChoice,
  PlannerName,
  PayResult,
  NodeInfo,
  RouteHop,
  SendPartialPayRequest,
  SentPart,
} from './types.ts';
export type { FindRequest, RouteFinder } from './payments/pay.ts';
