/**
 * @ampkit/core: the ampkit engine. Partial payments (one payment as many HTLCs with one
 * hash) journaled in IndexedDB, resolved by the node, reconciled after a closed tab; the
 * Node interface and its Core Lightning (commando) adapter.
 */
export { AmpkitError, type EngineErrorCode } from './errors.ts';
export { Engine, NEVER_SENT, createEngine, type EngineEvents, type EngineOptions } from './payments/engine.ts';
export { clnNode } from './node/cln.ts';
export type { Node, NodePart, PartKey, SendpayRequest } from './node/node.ts';
export { memoryStore } from './store/memory.ts';
export { indexedDbStore, type IndexedDbStoreOptions } from './store/indexeddb.ts';
export type { Change, Journal, PaymentView, Store, UpdateOptions, UpdateView } from './store/store.ts';
export type { AlreadyComplete, PartFailure, PartialPayment, Payment, PaymentStatus, RouteHop, SendPartialPayRequest, SentPart } from './types.ts';
