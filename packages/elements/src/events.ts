/**
 * The DOM events the elements fire: every one bubbles and is composed (it crosses shadow
 * roots), and carries a typed `detail`. A page learns of a payment from them, with no
 * polling of its own.
 */
import type { AmpkitError, Invoice, PartialInvoice } from '@ampkit/worker';
import type { ElementsClient, PayProgress, PayResult } from './client.ts';

/** Every ampkit element event, by name, and its `detail`. */
export interface AmpkitElementEvents {
  /** `<ampkit-pay>`: a part of the payment was sent or resolved. */
  'ampkit-pay-progress': PayProgress;
  /** `<ampkit-pay>`: the payment is complete; `detail.payment_preimage` is the proof. */
  'ampkit-paid': PayResult;
  /** `<ampkit-pay>`: the payment failed (`detail.failreason`), or the call failed (`detail.error`). */
  'ampkit-pay-failed': PayResult | { error: AmpkitError };
  /** `<ampkit-invoice>`: it made an invoice; hand `detail.bolt11` on as you like. */
  'ampkit-invoice-created': Invoice;
  /** `<ampkit-invoice>`: a part of the payment arrived and is held. */
  'ampkit-invoice-part': PartialInvoice;
  /** `<ampkit-invoice>`: the invoice is paid. */
  'ampkit-invoice-paid': Invoice;
  /** `<ampkit-invoice>`: the invoice expired unpaid. */
  'ampkit-invoice-expired': Invoice;
  /** `<ampkit-connect>`: a client is connected; other elements may use `detail.client`; `detail.nodeId` is the node's key. */
  'ampkit-connected': { client: ElementsClient; nodeId: string };
  /** `<ampkit-connect>`: the client was closed. */
  'ampkit-disconnected': Record<string, never>;
  /** Any element: an attribute is not valid (`detail.attribute`, its `value`, and the `message` the element shows). */
  'ampkit-error': { code: 'INVALID_ARGUMENT'; attribute: string; value: string; message: string };
}

/** The name of an ampkit element event. */
export type AmpkitElementEventName = keyof AmpkitElementEvents;

/**
 * The event object of an ampkit element event.
 *
 * @example
 * ```ts
 * pay.addEventListener('ampkit-paid', (event: AmpkitEvent<'ampkit-paid'>) => ship(event.detail.payment_preimage));
 * ```
 */
export type AmpkitEvent<K extends AmpkitElementEventName> = CustomEvent<AmpkitElementEvents[K]>;

/** Fires an ampkit event from `target`: bubbling, composed, with `detail`. @internal */
export function fire<K extends AmpkitElementEventName>(target: EventTarget, type: K, detail: AmpkitElementEvents[K]): boolean {
  return target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
}

declare global {
  interface HTMLElementEventMap {
    'ampkit-pay-progress': AmpkitEvent<'ampkit-pay-progress'>;
    'ampkit-paid': AmpkitEvent<'ampkit-paid'>;
    'ampkit-pay-failed': AmpkitEvent<'ampkit-pay-failed'>;
    'ampkit-invoice-created': AmpkitEvent<'ampkit-invoice-created'>;
    'ampkit-invoice-part': AmpkitEvent<'ampkit-invoice-part'>;
    'ampkit-invoice-paid': AmpkitEvent<'ampkit-invoice-paid'>;
    'ampkit-invoice-expired': AmpkitEvent<'ampkit-invoice-expired'>;
    'ampkit-connected': AmpkitEvent<'ampkit-connected'>;
    'ampkit-disconnected': AmpkitEvent<'ampkit-disconnected'>;
    'ampkit-error': AmpkitEvent<'ampkit-error'>;
  }
}
