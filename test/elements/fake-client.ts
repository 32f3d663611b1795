/**
 * A scripted ampkit client for the element tests: every call is recorded and waits for the
 * test to answer it (or for a handler set beforehand), and the test emits the client's
 * events itself.
 */
import { AmpkitError, type ConnectionState, type Invoice, type PartialInvoice, type PartialPayment } from '@ampkit/worker';
import type { DecodedInvoice, ElementsClient, ElementsEvents, NodeInfo, PaymentCheck, PayProgress, PayResult } from '@ampkit/elements';

type Method = 'pay' | 'decode' | 'checkpayment' | 'getinfo' | 'invoice' | 'listinvoices' | 'listpartialinvoices';

/** One call the element made, to answer. */
export interface Call {
  method: Method;
  input: any;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export class FakeClient implements ElementsClient {
  state: ConnectionState = 'open';
  readonly calls: Call[] = [];
  /** Answers given at once, by method; a call without one waits for the test. */
  readonly handlers: Partial<Record<Method, (input: any) => unknown>> = {
    // A journal that never paid the invoice, unless a test says otherwise.
    checkpayment: () => ({}),
  };
  closed = false;
  private readonly listeners = new Map<string, Set<(detail: any) => void>>();
  private readonly taken = new Set<Call>();
  private readonly waiters: (() => void)[] = [];

  on<K extends keyof ElementsEvents>(type: K, listener: (detail: ElementsEvents[K]) => void): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Emits a client event, as the worker would. */
  emit<K extends keyof ElementsEvents>(type: K, detail: ElementsEvents[K]): void {
    if (type === 'state') this.state = detail as ConnectionState;
    for (const listener of [...(this.listeners.get(type) ?? [])]) listener(detail);
  }

  listenerCount(type: keyof ElementsEvents): number {
    return this.listeners.get(type)?.size ?? 0;
  }

  pay(input: unknown): Promise<PayResult> {
    return this.call('pay', input) as Promise<PayResult>;
  }
  checkpayment(input: { payment_hash: string }): Promise<PaymentCheck> {
    return this.call('checkpayment', input) as Promise<PaymentCheck>;
  }
  decode(input: { bolt11: string }): Promise<DecodedInvoice> {
    return this.call('decode', input) as Promise<DecodedInvoice>;
  }
  getinfo(): Promise<NodeInfo> {
    return this.call('getinfo', undefined) as Promise<NodeInfo>;
  }
  invoice(input: unknown): Promise<Invoice> {
    return this.call('invoice', input) as Promise<Invoice>;
  }
  listinvoices(input: unknown): Promise<{ invoices: Invoice[] }> {
    return this.call('listinvoices', input) as Promise<{ invoices: Invoice[] }>;
  }
  listpartialinvoices(input: unknown): Promise<{ partialinvoices: PartialInvoice[] }> {
    return this.call('listpartialinvoices', input) as Promise<{ partialinvoices: PartialInvoice[] }>;
  }
  async close(): Promise<void> {
    this.closed = true;
    this.emit('state', 'closed');
  }

  private call(method: Method, input: unknown): Promise<unknown> {
    if (this.closed) return Promise.reject(new AmpkitError('CONNECTION', 'the client was closed'));
    return new Promise((resolve, reject) => {
      const call: Call = { method, input, resolve, reject };
      const handler = this.handlers[method];
      if (handler) {
        this.taken.add(call);
        Promise.resolve()
          .then(() => handler(input))
          .then(resolve, reject);
      }
      this.calls.push(call);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** The next call of `method` not yet answered through here (waits for it). */
  async next(method: Method, timeout = 2000): Promise<Call> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const call = this.calls.find((c) => c.method === method && !this.taken.has(c));
      if (call) {
        this.taken.add(call);
        return call;
      }
      if (Date.now() > deadline) throw new Error(`no ${method} call within ${timeout} ms`);
      await new Promise<void>((wake) => {
        this.waiters.push(wake);
        setTimeout(wake, 20);
      });
    }
  }

  count(method: Method): number {
    return this.calls.filter((c) => c.method === method).length;
  }
}

const hex = (byte: string) => byte.repeat(32);
/** The payee of the test invoices. */
export const PAYEE = '02' + hex('3c');
/** The hash of the test invoices. */
export const HASH = hex('ab');
/** A BOLT 11 string (the fake decodes it however the test says). */
export const BOLT11 =
  'lnbc30u1pn9x7zapp54w4rcs6avjvu9hpd6hqtdnfwdm24dz4aqacahzr8d4x0v9kqgjxsdqqcqzzsxqyz5vqsp5k5gy3ck0tu8l4zyjzhkzq3sx3xq2d7f6lpm3hg3y8e5xyv3xw5qs9qyyssqh2jz3z';

const now = () => Math.floor(Date.now() / 1000);

export function decoded(overrides: Partial<DecodedInvoice> = {}): DecodedInvoice {
  return {
    currency: 'bc',
    payment_hash: HASH,
    payee: PAYEE,
    amount_msat: 3_000_000,
    description: 'Two espressos and a croissant',
    created_at: now() - 60,
    expiry: 3600,
    min_final_cltv_expiry: 18,
    payment_secret: hex('51'),
    ...overrides,
  };
}

const hop = (i: number) => ({ id: '03' + hex((i + 16).toString(16).padStart(2, '0')), channel: `8${i}0x1x0`, amount_msat: 0, delay: 18 });

export function sentPart(partid: number, amount_msat: number, status: PartialPayment['status'], hops = 2): PartialPayment {
  return {
    id: partid,
    partid,
    groupid: 1,
    payment_hash: HASH,
    destination: PAYEE,
    route: Array.from({ length: hops }, (_, i) => ({ ...hop(i), amount_msat })),
    amount_msat,
    amount_sent_msat: amount_msat + 1000 * hops,
    status,
    created_at: now(),
    ...(status === 'failed' ? { failcodename: 'WIRE_TEMPORARY_CHANNEL_FAILURE', failcode: 4103 } : {}),
    ...(status === 'complete' ? { payment_preimage: hex('9e'), completed_at: now() } : {}),
  };
}

export function progress(parts: PartialPayment[], overrides: Partial<PayProgress> = {}): PayProgress {
  const sum = (s: PartialPayment['status']) => parts.filter((p) => p.status === s).reduce((a, p) => a + p.amount_msat, 0);
  return {
    payment_hash: HASH,
    amount_msat: 3_000_000,
    maxfee_msat: 15_000,
    status: 'pending',
    parts,
    attempts: parts.length,
    amount_delivered_msat: sum('complete'),
    amount_inflight_msat: sum('pending'),
    fee_msat: parts.filter((p) => p.status !== 'failed').reduce((a, p) => a + p.amount_sent_msat - p.amount_msat, 0),
    ...overrides,
  };
}

export function payResult(parts: PartialPayment[], status: 'complete' | 'failed', overrides: Partial<PayResult> = {}): PayResult {
  return {
    ...progress(parts, { status }),
    status,
    destination: PAYEE,
    created_at: now() - 2,
    completed_at: now(),
    ...(status === 'complete' ? { payment_preimage: hex('9e') } : { failreason: 'no route left within the fee budget' }),
    ...overrides,
  };
}

export function invoiceRecord(overrides: Partial<Invoice> = {}): Invoice {
  return {
    label: 'ampkit-test',
    bolt11: BOLT11,
    payment_hash: HASH,
    amount_msat: 3_000_000,
    description: 'Order #1042',
    status: 'unpaid',
    hold: false,
    created_at: now(),
    expires_at: now() + 3600,
    amount_received_msat: 0,
    amount_held_msat: 0,
    parts: 0,
    ...overrides,
  };
}

export function heldPart(htlc_id: number, partial_amount_msat: number, overrides: Partial<PartialInvoice> = {}): PartialInvoice {
  return {
    payment_hash: HASH,
    total_amount_msat: 3_000_000,
    incoming_scid: `81${htlc_id}x2x${htlc_id % 3}`,
    htlc_id,
    partial_amount_msat,
    incoming_time_unix: 1_764_600_000 + htlc_id,
    expiry: 900_100,
    state: 'RCVD_ADD_ACK_REVOCATION',
    ...overrides,
  };
}

export const nodeInfo = (): NodeInfo => ({ id: PAYEE, alias: 'wallet', color: '3399ff', network: 'regtest', blockheight: 900_000 });

/**
 * A client factory for `<ampkit-connect>` that records what it is asked and waits for the
 * test: `release()` hands `client` out, `fail(error)` refuses. Both wait until the element has
 * asked (it audits a rune, or loads its LNC mode, first).
 */
export function waitingFactory(client: ElementsClient) {
  const asked: any[] = [];
  let release: (c: ElementsClient) => void = () => undefined;
  let fail: (e: unknown) => void = () => undefined;
  const factory = (options: unknown) => {
    asked.push(options);
    return new Promise<ElementsClient>((resolve, reject) => {
      release = resolve;
      fail = reject;
    });
  };
  const asking = async () => {
    for (let i = 0; i < 150 && asked.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  };
  return {
    factory,
    asked,
    release: () => void asking().then(() => release(client)),
    fail: (e: unknown) => void asking().then(() => fail(e)),
  };
}
