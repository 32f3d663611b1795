/**
 * A scripted lnd behind the adapter's `LndRpc`, for lndNode tests: requests arrive as the
 * adapter encoded them and are decoded with lnd's generated decoders; replies are encoded
 * with lnd's generated encoders, as bytes, as LNC would carry them. Payments follow
 * docs/lnd.md §3: SendToRouteV2 registers an attempt (its route, custom records included)
 * and answers only once the test settles or fails it; TrackPaymentV2 gives the payment's
 * state, then one message per change, and ends after a final state. Every other method
 * answers from `handlers`. Every call is logged.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { publicKeyOf } from '../../packages/wire/src/index.ts';
import { WireError, type AmpkitError } from '../../packages/wire/src/errors.ts';
import { GrpcError } from '../../packages/wire/src/lnc/grpc.ts';
import type { LncConnectionState } from '../../packages/wire/src/lnc/client.ts';
import * as dl from '../../packages/wire/src/lnc/lnd/decode/lightning.ts';
import * as dr from '../../packages/wire/src/lnc/lnd/decode/router.ts';
import * as di from '../../packages/wire/src/lnc/lnd/decode/invoices.ts';
import * as el from '../../packages/wire/src/lnc/lnd/encode/lightning.ts';
import * as ei from '../../packages/wire/src/lnc/lnd/encode/invoices.ts';
import type { LndRpc } from '../../packages/core/src/node/lnd.ts';

type Dec = { decode(bytes: Uint8Array): any };
type Enc = { encode(message: any): { finish(): Uint8Array } };

/** Each method's request decoder and reply encoder, by gRPC path. */
const CODECS: Record<string, [Dec, Enc]> = {
  '/lnrpc.Lightning/GetInfo': [dl.GetInfoRequest, el.GetInfoResponse],
  '/lnrpc.Lightning/ListChannels': [dl.ListChannelsRequest, el.ListChannelsResponse],
  '/lnrpc.Lightning/DescribeGraph': [dl.ChannelGraphRequest, el.ChannelGraph],
  '/lnrpc.Lightning/QueryRoutes': [dl.QueryRoutesRequest, el.QueryRoutesResponse],
  '/lnrpc.Lightning/AddInvoice': [dl.Invoice, el.AddInvoiceResponse],
  '/lnrpc.Lightning/LookupInvoice': [dl.PaymentHash, el.Invoice],
  '/routerrpc.Router/SendToRouteV2': [dr.SendToRouteRequest, el.HTLCAttempt],
  '/routerrpc.Router/TrackPaymentV2': [dr.TrackPaymentRequest, el.Payment],
  '/invoicesrpc.Invoices/AddHoldInvoice': [di.AddHoldInvoiceRequest, ei.AddHoldInvoiceResp],
  '/invoicesrpc.Invoices/SettleInvoice': [di.SettleInvoiceMsg, ei.SettleInvoiceResp],
  '/invoicesrpc.Invoices/CancelInvoice': [di.CancelInvoiceMsg, ei.CancelInvoiceResp],
  '/invoicesrpc.Invoices/SubscribeSingleInvoice': [di.SubscribeSingleInvoiceRequest, el.Invoice],
};

export const key = (n: number): Uint8Array => new Uint8Array(32).fill(n);
export const NODE_KEY = key(7);
export const OURS = bytesToHex(publicKeyOf(NODE_KEY));
export const BOB = bytesToHex(publicKeyOf(key(11)));
export const DAVE = bytesToHex(publicKeyOf(key(13)));
export const PREIMAGE = 'ab'.repeat(32);
export const HASH = bytesToHex(sha256(hexToBytes(PREIMAGE)));
export const SECRET = 'cd'.repeat(32);

/** Encodes a reply of `method` (short name) as lnd would; throws when the message does not fit the type. */
export function encodeReply(method: string, message: unknown): Uint8Array {
  const path = Object.keys(CODECS).find((p) => p.endsWith(`/${method}`))!;
  return CODECS[path]![1].encode(message).finish();
}

/** The short name of a path: `/lnrpc.Lightning/GetInfo` → `GetInfo`. */
const short = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** A handler answers with a reply object (encoded for it), raw bytes, or throws (a GrpcError, a WireError). */
export type Handler = (request: any) => unknown;

/** lnd's `GrpcError` for `method` (short name). */
export const grpc = (method: string, code: number, message: string): GrpcError => new GrpcError(`/x/${method}`, code, message);

export class FakeLnd implements LndRpc {
  state: LncConnectionState = 'open';
  readonly calls: { method: string; request: any }[] = [];
  readonly handlers: Record<string, Handler> = {};
  /** Replaces a reply's bytes (fuzzing), by short method name. */
  mutate?: (method: string, bytes: Uint8Array) => Uint8Array;
  /** lnd's payment database: hash → Payment (encoder shape). */
  readonly payments = new Map<string, any>();
  height = 800_000;
  /** Server streams open now (each must end or be cancelled). */
  openStreams = 0;
  network = 'regtest';
  private nextAttempt = 1000n;
  private readonly answers = new Map<bigint, { resolve: (attempt: any) => void }>();
  private readonly watchers = new Map<string, Set<() => void>>();
  private readonly listeners = new Set<(state: LncConnectionState, error?: AmpkitError) => void>();

  constructor() {
    this.handlers.GetInfo = () => ({
      identityPubkey: OURS,
      alias: 'fake-lnd',
      color: '#3399ff',
      blockHeight: this.height,
      chains: [{ chain: 'bitcoin', network: this.network }],
    });
    this.handlers.SendToRouteV2 = (request) => this.sendToRoute(request);
  }

  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  setState(state: LncConnectionState): void {
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }

  on(_event: 'state', listener: (state: LncConnectionState, error?: AmpkitError) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private encode(method: string, path: string, reply: unknown): Uint8Array {
    const bytes = reply instanceof Uint8Array ? reply : CODECS[path]![1].encode(reply).finish();
    return this.mutate ? this.mutate(method, bytes) : bytes;
  }

  async unary(path: string, request: Uint8Array): Promise<Uint8Array> {
    const method = short(path);
    const decoded = CODECS[path]![0].decode(request);
    this.calls.push({ method, request: decoded });
    const handler = this.handlers[method];
    if (!handler) throw new GrpcError(path, 12, `unknown method ${method}`);
    return this.encode(method, path, await handler(decoded));
  }

  serverStream(path: string, request: Uint8Array): AsyncIterable<Uint8Array> & { cancel(): void } {
    const method = short(path);
    const decoded = CODECS[path]![0].decode(request);
    this.calls.push({ method, request: decoded });
    let cancelled = false;
    let wake: (() => void) | undefined;
    const fake = this;
    const custom = this.handlers[method];
    async function* run(): AsyncGenerator<Uint8Array> {
      fake.openStreams++;
      try {
        yield* body();
      } finally {
        fake.openStreams--;
      }
    }
    async function* body(): AsyncGenerator<Uint8Array> {
      if (custom) {
        // A scripted stream: the handler gives the messages, a list or an async iterable (or
        // throws); a cancel ends it even while the handler waits.
        const messages = (await custom(decoded)) as AsyncIterable<unknown> | unknown[];
        const source = Array.isArray(messages)
          ? (async function* () {
              yield* messages;
            })()
          : messages[Symbol.asyncIterator]();
        const stopped = new Promise<IteratorResult<unknown>>((resolve) => (wake = () => resolve({ done: true, value: undefined })));
        for (;;) {
          const step = await Promise.race([source.next(), stopped]);
          if (step.done || cancelled) {
            void source.return?.(undefined);
            return;
          }
          yield fake.encode(method, path, step.value);
        }
      }
      const hash = bytesToHex(decoded.paymentHash);
      for (;;) {
        const payment = fake.payments.get(hash);
        if (!payment) throw new GrpcError(path, 5, "payment isn't initiated");
        const changed = new Promise<void>((resolve) => {
          wake = resolve;
          const set = fake.watchers.get(hash) ?? new Set();
          set.add(resolve);
          fake.watchers.set(hash, set);
        });
        yield fake.encode(method, path, structuredClone(payment));
        if (payment.status === 2 || payment.status === 3) return;
        await changed;
        if (cancelled) return;
      }
    }
    const iterator = run();
    return {
      [Symbol.asyncIterator]: () => iterator,
      // As the LNC client's: the call ends, whether or not a message is being waited for.
      cancel: () => {
        cancelled = true;
        wake?.();
        void iterator.return(undefined);
      },
    };
  }

  private notify(hash: string): void {
    const set = this.watchers.get(hash);
    this.watchers.delete(hash);
    set?.forEach((wake) => wake());
  }

  /** lnd's `decidePaymentStatus()` (docs/lnd.md §3.4). */
  private restatus(payment: any): void {
    const htlcs: any[] = payment.htlcs;
    if (htlcs.some((h) => h.status === 0)) payment.status = 1;
    else if (htlcs.some((h) => h.status === 1)) payment.status = 2;
    else if (payment.failureReason) payment.status = 3;
    else payment.status = 1;
  }

  /** SendToRouteV2 as docs/lnd.md §3.2 tells it, answering once the attempt resolves. */
  private sendToRoute(request: any): Promise<any> {
    const hash = bytesToHex(request.paymentHash);
    const hops: any[] = request.route.hops;
    const last = hops[hops.length - 1];
    const path = '/routerrpc.Router/SendToRouteV2';
    if (!last.mppRecord) throw new GrpcError(path, 2, 'cannot skip temp error for non-MPP');
    let payment = this.payments.get(hash);
    if (payment?.status === 2) throw new GrpcError(path, 6, 'invoice is already paid');
    if (!payment || payment.status === 3) {
      payment = { paymentHash: hash, valueMsat: last.mppRecord.totalAmtMsat, status: 1, htlcs: [], paymentPreimage: '0'.repeat(64) };
      this.payments.set(hash, payment);
    }
    const live = payment.htlcs
      .filter((h: any) => h.status !== 2)
      .reduce((sum: bigint, h: any) => sum + h.route.hops.at(-1).amtToForwardMsat, 0n);
    if (live + last.amtToForwardMsat > payment.valueMsat)
      throw new GrpcError(
        path,
        2,
        `attempted value exceeds payment amount: attempted=${live + last.amtToForwardMsat} mSAT, payment amount=${payment.valueMsat} mSAT`,
      );
    const attempt = { attemptId: this.nextAttempt++, status: 0, route: request.route, attemptTimeNs: 1_700_000_000_000_000_000n };
    payment.htlcs.push(attempt);
    this.restatus(payment);
    this.notify(hash);
    return new Promise((resolve) => this.answers.set(attempt.attemptId, { resolve }));
  }

  /** The attempt of `hash` carrying that tag (the last registered). */
  attempt(hash: string, index = -1): any {
    return this.payments.get(hash).htlcs.at(index);
  }

  /** Settles an attempt: the payee released `preimage`. */
  settle(hash: string, attemptId: bigint, preimage = PREIMAGE): void {
    this.resolveAttempt(hash, attemptId, (a) => Object.assign(a, { status: 1, preimage: hexToBytes(preimage) }));
    const payment = this.payments.get(hash);
    payment.paymentPreimage = preimage;
  }

  /** Fails an attempt with lnd's failure. */
  fail(hash: string, attemptId: bigint, failure: { code: number; failureSourceIndex: number }, paymentFailed = false): void {
    this.resolveAttempt(hash, attemptId, (a) => Object.assign(a, { status: 2, failure }));
    if (paymentFailed) {
      this.payments.get(hash).failureReason = 4;
      this.restatus(this.payments.get(hash));
      this.notify(hash);
    }
  }

  private resolveAttempt(hash: string, attemptId: bigint, change: (attempt: any) => void): void {
    const payment = this.payments.get(hash);
    const attempt = payment.htlcs.find((h: any) => h.attemptId === attemptId);
    change(attempt);
    attempt.resolveTimeNs = 1_700_000_100_000_000_000n;
    this.restatus(payment);
    this.notify(hash);
    this.answers.get(attemptId)?.resolve(structuredClone(attempt));
    this.answers.delete(attemptId);
  }
}

/** A WireError as the LNC client throws it when the link drops. */
export const dropped = (): WireError => new WireError('CONNECTION', 'the LNC link dropped');
