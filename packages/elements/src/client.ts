/**
 * The client the elements need, declared by shape: every `AmpkitClient` from
 * `createAmpkit()` fits it, and so does a test double. Elements reach the engine only
 * through it (docs/design.md, "Boundaries").
 */
import type {
  AmpkitClient,
  AmpkitEvents,
  AmpkitOptions,
  DecodedInvoice,
  NodeInfo,
  PaymentCheck,
  PayProgress,
  PayRequest,
  PayResult,
} from '@ampkit/worker';

export type { DecodedInvoice, NodeInfo, PaymentCheck, PayProgress, PayRequest, PayResult };

/** The client's events the elements listen to: the engine's, `state`, and `pay-progress`. */
export type ElementsEvents = AmpkitEvents & {
  /** A part of a running `pay()` was created or resolved. */
  'pay-progress': PayProgress;
};

/**
 * What an element needs of an ampkit client: an `AmpkitClient` from `createAmpkit()`, or
 * anything of the same shape.
 *
 * @example
 * ```ts
 * import { createAmpkit } from '@ampkit/worker';
 * const pay = document.querySelector('ampkit-pay')!;
 * pay.client = await createAmpkit({ nodeId, url, rune });
 * ```
 */
export interface ElementsClient extends Pick<AmpkitClient, 'state' | 'invoice' | 'listinvoices' | 'listpartialinvoices' | 'close'> {
  /** Listens to a client event; returns the function that stops listening. */
  on<K extends keyof ElementsEvents>(type: K, listener: (detail: ElementsEvents[K]) => void): () => void;
  /** Pays a BOLT 11 invoice over as many parts as it takes. */
  pay(request: PayRequest): Promise<PayResult>;
  /** What the journal holds of a payment, checked against the node (`Engine.checkpayment`). */
  checkpayment(input: { payment_hash: string }): Promise<PaymentCheck>;
  /** Decodes a BOLT 11 invoice (in the worker: the page carries no decoder). */
  decode(input: { bolt11: string }): Promise<DecodedInvoice>;
  /** The node's id, alias and colour. */
  getinfo(): Promise<NodeInfo>;
  /** The node's public key (over LNC, as the node told it once connected). */
  readonly nodeId?: string;
  /** Closes the client and deletes the LNC keys kept for the site (`AmpkitClient.forget`). */
  forget?(): Promise<void>;
}

/**
 * Makes a client from connection settings; `createAmpkit` unless an element is given
 * another (tests, a custom transport).
 *
 * @example
 * ```ts
 * connect.clientFactory = (options) => createAmpkit({ ...options, storage: 'memory' });
 * ```
 */
export type ClientFactory = (options: AmpkitOptions) => Promise<ElementsClient>;
