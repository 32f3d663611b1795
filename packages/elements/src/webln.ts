/**
 * A WebLN provider (https://webln.guide) backed by an ampkit client, so pages written for
 * `window.webln` pay through the user's own node. Amounts are in sat, as WebLN has them.
 */
import type { ElementsClient } from './client.ts';

/** What `getInfo()` answers (WebLN `GetInfoResponse`). */
export interface WebLNNodeInfo {
  node: { alias: string; pubkey: string; color?: string };
}

/** What `makeInvoice()` takes (WebLN `RequestInvoiceArgs`); amounts in sat. */
export interface WebLNInvoiceArgs {
  amount?: string | number;
  defaultAmount?: string | number;
  minimumAmount?: string | number;
  maximumAmount?: string | number;
  defaultMemo?: string;
}

/** The WebLN methods ampkit provides. */
export interface WebLNProvider {
  enable(): Promise<void>;
  getInfo(): Promise<WebLNNodeInfo>;
  sendPayment(paymentRequest: string): Promise<{ preimage: string }>;
  makeInvoice(args?: string | number | WebLNInvoiceArgs): Promise<{ paymentRequest: string }>;
}

/** A client a provider needs: paying, invoicing, and the node's info. */
export type WebLNClient = Pick<ElementsClient, 'pay' | 'invoice' | 'getinfo' | 'state'>;

const satToMsat = (value: string | number, what: string): number => {
  const sat = typeof value === 'string' ? Number(value.trim()) : value;
  if (typeof sat !== 'number' || !Number.isFinite(sat) || sat <= 0 || !Number.isInteger(sat * 1000)) {
    throw new Error(`webln: ${what} must be a positive number of sat, got ${JSON.stringify(value)}`);
  }
  return Math.round(sat * 1000);
};

/**
 * WebLN over an ampkit client. Every method works once the client is open; `enable()` only
 * checks it is not closed, as there is nothing more for the user to grant (the rune is the
 * grant).
 *
 * @example
 * ```ts
 * const webln = new AmpkitWebLN(client);
 * await webln.enable();
 * const { preimage } = await webln.sendPayment('lnbc…');
 * ```
 */
export class AmpkitWebLN implements WebLNProvider {
  constructor(private readonly client: WebLNClient) {
    if (!client || typeof client.pay !== 'function') throw new TypeError('AmpkitWebLN needs an ampkit client');
  }

  /** Resolves while the client is usable; rejects once it is closed. */
  async enable(): Promise<void> {
    if (this.client.state === 'closed') throw new Error('webln: the ampkit client is closed');
  }

  /** The node's alias, public key and colour, from `getinfo`. */
  async getInfo(): Promise<WebLNNodeInfo> {
    const info = await this.client.getinfo();
    return { node: { alias: info.alias, pubkey: info.id, color: info.color } };
  }

  /** Pays `paymentRequest` (BOLT 11); resolves with the preimage, rejects with why it failed. */
  async sendPayment(paymentRequest: string): Promise<{ preimage: string }> {
    if (typeof paymentRequest !== 'string' || !paymentRequest.trim()) throw new Error('webln: sendPayment needs a BOLT 11 payment request');
    let result;
    try {
      result = await this.client.pay({ bolt11: paymentRequest.trim() });
    } catch (error) {
      throw new Error(`webln: the payment could not be made: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    }
    if (result.status !== 'complete' || !result.payment_preimage) {
      throw new Error(`webln: the payment failed${result.failreason ? `: ${result.failreason}` : ''}`, { cause: result });
    }
    return { preimage: result.payment_preimage };
  }

  /**
   * Makes an invoice for `amount` (or `defaultAmount`) sat with `defaultMemo`; a bare number
   * or string is the amount. WebLN allows an invoice without an amount; the node's engine
   * does not, so one is required.
   */
  async makeInvoice(args: string | number | WebLNInvoiceArgs = {}): Promise<{ paymentRequest: string }> {
    const request = typeof args === 'object' && args !== null ? args : { amount: args };
    const amount = request.amount ?? request.defaultAmount;
    if (amount === undefined || amount === '') throw new Error('webln: makeInvoice needs an amount (or defaultAmount) in sat');
    const amount_msat = satToMsat(amount, 'amount');
    if (request.minimumAmount !== undefined && amount_msat < satToMsat(request.minimumAmount, 'minimumAmount'))
      throw new Error('webln: amount is below minimumAmount');
    if (request.maximumAmount !== undefined && amount_msat > satToMsat(request.maximumAmount, 'maximumAmount'))
      throw new Error('webln: amount is above maximumAmount');
    const invoice = await this.client.invoice({ amount_msat, description: request.defaultMemo ?? '' });
    return { paymentRequest: invoice.bolt11 };
  }
}

/**
 * A WebLN provider backed by `client`.
 *
 * @example
 * ```ts
 * const webln = createWebLNProvider(await createAmpkit({ nodeId, url, rune }));
 * const { paymentRequest } = await webln.makeInvoice({ amount: 21, defaultMemo: 'tip' });
 * ```
 */
export function createWebLNProvider(client: WebLNClient): AmpkitWebLN {
  return new AmpkitWebLN(client);
}

/**
 * Installs `provider` as `window.webln` unless the page already has one (a browser
 * extension's wins); says `webln:ready` on `window` when it did. Returns whether it did.
 *
 * @example
 * ```ts
 * installWebLN(createWebLNProvider(client));
 * ```
 */
export function installWebLN(provider: WebLNProvider, target: { webln?: unknown } & Partial<EventTarget> = globalThis as never): boolean {
  if (target.webln) return false;
  target.webln = provider;
  target.dispatchEvent?.(new Event('webln:ready'));
  return true;
}
