/**
 * The partial-payment engine: `sendpartialpay` and its waits and lists (DESIGN.md,
 * "Sending"). Every part is journaled before it reaches the node; every part's fate is
 * learned from the node, once, by one watcher; a new engine on the same journal
 * reconciles what an earlier one left pending, once its sending side is first used (an
 * engine that only receives, on a rune that may only make invoices, never asks the node
 * about payments).
 */
import { decodeBolt11 } from '@ampkit/wire';
import { engineError, hasCode, type AmpkitError } from '../errors.ts';
import { Emitter } from '../events.ts';
import type { Node, NodePart, SendpayRequest } from '../node/node.ts';
import type { Journal, Store } from '../store/store.ts';
import type { AlreadyComplete, DecodedInvoice, NodeInfo, PartialPayment, Payment, PaymentStatus, PayProgress, PayRequest, PayResult, SendPartialPayRequest, SentPart } from '../types.ts';
import { checkBolt11, checkHex32, checkId, checkInvoice, checkPayRequest, checkSendPartialPay, checkTimeout, decodedInvoice } from '../validate.ts';
import { pay, type PayContext, type RouteFinder } from './pay.ts';
import { nodeFinder } from './node-finder.ts';
import type { LocalPlanner } from '../planner/local.ts';
import { applyResolution, completeFromNode, decideSend, type Resolution, type Resolved } from './rules.ts';
import { Waiters } from './waiters.ts';
import { Receiver, type ReceiverEvents } from '../invoices/receiver.ts';
import type { Invoice, InvoiceRequest, PartialInvoice } from '../types.ts';
import { localLock, readPeerMessage, type Lock, type PeerChannel, type PeerMessage } from '../coordination.ts';

/** What the engine tells a UI, each with the record as it now is. */
export interface EngineEvents extends ReceiverEvents {
  /** A part was journaled (it is about to reach the node). */
  'part-created': PartialPayment;
  /** A part resolved: `complete` or `failed`. */
  'part-updated': PartialPayment;
  /** A payment was created or changed (status, amount sent, number of parts). */
  'payment-updated': Payment;
  /**
   * A `pay()` moved: one of its parts was created or resolved (`status` `pending`), or it
   * ended (`complete` or `failed`, with `failreason`).
   */
  'pay-progress': PayProgress;
  /** Something went wrong in the background (an unreadable reply while watching a part); the engine keeps trying. */
  error: AmpkitError;
}

/** Options of {@link createEngine}. */
export interface EngineOptions {
  /** The node, e.g. `clnNode(client)`. */
  node: Node;
  /** Where the journal lives: `indexedDbStore()` in browsers, `memoryStore()` for tests. */
  store: Store;
  /** Unix seconds now; for tests. */
  now?: () => number;
  /** Longest single `waitsendpay` the engine asks of the node, in seconds (60). */
  waitChunk?: number;
  /**
   * Seconds after which the node fails an incomplete incoming set back (BOLT 4's
   * `mpp_timeout`, 60): a held part that leaves after that long is reported as `timeout`.
   */
  mppTimeout?: number;
  /**
   * An exclusive lock shared by every engine that opens the same journal (Web Locks across
   * a browser's tabs: `@ampkit/worker` passes one). The engine takes it per payment hash
   * around each send decision and per hold invoice around its settlement. Default: a lock
   * of this engine only.
   */
  lock?: Lock;
  /**
   * A channel to the other engines on the same journal (a BroadcastChannel across tabs):
   * each engine passes on the events it emits, so every engine's listeners and waiters see
   * every record change, and an invoice made in one tab is followed in all of them.
   */
  peers?: PeerChannel;
  /**
   * Seconds after which the local planner loads the node's graph again, behind its plans
   * (600). The graph is cached beside the journal, so a new engine plans at once.
   */
  graphRefresh?: number;
  /**
   * Seconds after which what the local planner learned of a channel's liquidity from a
   * failed or settled part has relaxed half-way back to knowing nothing (21,600: six hours).
   * Shorter where balances move fast.
   */
  learnedHalfLife?: number;
}

/** Settings of one engine, as {@link createEngine} resolved them. */
interface EngineSettings {
  now: () => number;
  waitChunk: number;
  mppTimeout: number;
  lock: Lock;
  peers?: PeerChannel;
  graphRefresh?: number;
  learnedHalfLife?: number;
}

/** Why a part failed when it never reached the node. */
export const NEVER_SENT = 'the part never reached the node';

const RETRY_MS = [250, 1000, 5000, 15000];

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The sending engine. Create it with {@link createEngine}. */
export class Engine {
  private readonly events = new Emitter<EngineEvents>();
  private readonly partWaiters = new Waiters<number, PartialPayment>();
  private readonly paymentWaiters = new Waiters<string, Payment>();
  /** One watcher per pending part: a part's wait is never doubled, across reconnects too. */
  private readonly watching = new Map<number, Promise<void>>();
  /** Parts whose arrival at the node is unknown until reconciled (left by an earlier engine, or a dropped send). */
  private readonly unsure = new Set<number>();
  /** Parts an earlier engine left pending, by payment hash, until reconciled with the node. */
  private readonly leftover = new Map<string, PartialPayment[]>();
  /** The reconciliation of {@link leftover} under way, if any. */
  private startup?: Promise<void>;
  /** Rune refusals already reported by an `error` event: a loop that meets one again stays quiet. */
  private readonly refusals = new Set<string>();
  private readonly receiver: Receiver;
  private closed = false;
  /** Aborted by close(): running pay()s end with CONNECTION. */
  private readonly closing = new AbortController();
  /** The pay() running per payment hash: a second call joins it. */
  private readonly paying = new Map<string, { amount_msat: number; result: Promise<PayResult> }>();
  private lastInvoice?: { bolt11: string; decoded: ReturnType<typeof decodeBolt11> };
  private readonly now: () => number;
  private readonly waitChunk: number;
  private readonly graphRefresh: number | undefined;
  private readonly learnedHalfLife: number | undefined;
  /** The local planner, loaded (a chunk of its own in the worker bundle) on the first pay() that plans here. */
  private local?: Promise<LocalPlanner>;
  private readonly peers?: PeerChannel;
  private readonly unsubscribe?: () => void;
  /** Runs a task under the lock `kind:hash` of this node, shared by the engines on the journal. */
  private readonly lock: <T>(kind: 'pay' | 'paying' | 'hold', hash: string, task: () => Promise<T>) => Promise<T>;

  /** @internal use {@link createEngine}. */
  constructor(
    private readonly node: Node,
    private readonly journal: Journal,
    pending: PartialPayment[],
    settings: EngineSettings,
  ) {
    const { now, mppTimeout, lock } = settings;
    this.now = now;
    this.waitChunk = settings.waitChunk;
    this.graphRefresh = settings.graphRefresh;
    this.learnedHalfLife = settings.learnedHalfLife;
    this.peers = settings.peers;
    this.lock = (kind, hash, task) => lock(`ampkit:${node.id}:${kind}:${hash}`, task);
    this.receiver = new Receiver({
      node,
      journal,
      now,
      mppTimeout,
      emit: (type, detail) => this.emit(type, detail as EngineEvents[typeof type]),
      isClosed: () => this.closed,
      report: (error) => this.emit('error', error),
      retryAfter: (error, attempt) => this.retryAfter(error, attempt),
      lock: (hash, task) => this.lock('hold', hash, task),
    });
    this.unsubscribe = this.peers?.subscribe((message) => this.fromPeer(message));
    for (const part of pending) {
      this.unsure.add(part.id);
      this.leftover.set(part.payment_hash, [...(this.leftover.get(part.payment_hash) ?? []), part]);
    }
  }

  /**
   * Reconciles the parts an earlier engine left pending, starting it if it is not under way.
   * Called by the sending side's methods only, so that an engine used only to receive makes
   * no call about payments (its rune may forbid them). Hashes left unreconciled (the link
   * went down, the rune refused) are tried again on the next call.
   */
  private reconciled(): Promise<void> {
    if (!this.startup && this.leftover.size > 0 && !this.closed) {
      const run = Promise.all(
        [...this.leftover].map(async ([hash, parts]) => {
          if (await this.reconcile(hash, parts)) this.leftover.delete(hash);
        }),
      ).then(() => {
        if (this.startup === run) this.startup = undefined;
      });
      this.startup = run;
    }
    return this.startup ?? Promise.resolve();
  }

  /** Listens to an engine event; returns the function that stops listening. */
  on<K extends keyof EngineEvents>(type: K, listener: (detail: EngineEvents[K]) => void): () => void {
    return this.events.on(type, listener);
  }

  /**
   * Resolves once every part an earlier engine left pending has been reconciled with the
   * node (failed if it never reached the node, the node's result if it resolved, watched
   * again if it is still in flight) and the invoices it left open are up to date. The
   * reconciliation starts here, or at the first call of a sending method (`pay`,
   * `sendpartialpay`, their waits and lists), never by itself: an engine that only receives
   * asks the node nothing about payments.
   */
  ready(): Promise<void> {
    return Promise.all([this.reconciled(), this.receiver.ready]).then(() => undefined);
  }

  /**
   * Creates an invoice on the node and journals it. A plain invoice's preimage stays with
   * the node, which claims a complete set itself; a hold invoice's (`hold: true`) is made
   * here, journaled before the node hears of the hash, and handed over only once the node
   * holds parts reaching the amount. Either way the engine then follows every incoming
   * part ({@link Engine.listpartialinvoices}) until the invoice is paid or expires.
   * Hold invoices need the node's BoltzExchange/hold plugin: without it this fails at once
   * with `HOLD_UNSUPPORTED` and journals nothing. That plugin gives every invoice an empty
   * description and a 3600 s expiry; the record returned says what the invoice says.
   *
   * @example
   * ```ts
   * const invoice = await engine.invoice({ amount_msat: 42_000, description: 'coffee', hold: true });
   * engine.on('invoice-part', (part) => console.log('held', part.partial_amount_msat));
   * const paid = await engine.waitinvoice({ payment_hash: invoice.payment_hash });
   * ```
   */
  invoice(input: InvoiceRequest): Promise<Invoice> {
    this.assertOpen();
    return this.receiver.invoice(input);
  }

  /** Invoices made by this engine's journal, by label or payment hash, or all. */
  listinvoices(input: { label?: string; payment_hash?: string } = {}): Promise<{ invoices: Invoice[] }> {
    this.assertOpen();
    return this.receiver.listinvoices(input);
  }

  /**
   * One entry per incoming part held but not yet claimed, toward any open invoice or the
   * one with `payment_hash`: "is the payer even trying?". Entries leave when the set is
   * claimed, fails back or expires.
   */
  listpartialinvoices(input: { payment_hash?: string } = {}): Promise<{ partialinvoices: PartialInvoice[] }> {
    this.assertOpen();
    return this.receiver.listpartialinvoices(input);
  }

  /**
   * Waits until an invoice (by `label` or `payment_hash`) is paid or has expired and gives
   * its record. `timeout` in seconds; `TIMEOUT` when it passes, `NOT_FOUND` for an unknown
   * invoice.
   */
  waitinvoice(input: ({ label: string } | { payment_hash: string }) & { timeout?: number }): Promise<Invoice> {
    this.assertOpen();
    return this.receiver.waitinvoice(input);
  }

  /**
   * Sends one part of a payment (DESIGN rules 1–2). The part is journaled before the node
   * sees it. Fails with `AMOUNT_MISMATCH` when the hash was started with another amount,
   * `OVERPAY` when the part would take pending plus complete parts past the amount,
   * `INVALID_ARGUMENT` for malformed input, `NODE_ERROR` when the node refused the part
   * (it is then recorded as failed), `PERMISSION` when the rune does not allow `sendpay` or
   * `listsendpays` (naming the method). A payment already complete sends nothing and gives
   * `{ already_complete: true, payment_preimage }`.
   *
   * @example
   * ```ts
   * const part = await engine.sendpartialpay({ route, payment_hash, intended_amount_msat: 100_000_000, payment_secret });
   * const done = await engine.waitpartialpay({ id: part.id, timeout: 60 });
   * ```
   */
  sendpartialpay(input: SendPartialPayRequest): Promise<SentPart | AlreadyComplete> {
    return this.sendPart(input);
  }

  /**
   * Pays a BOLT 11 invoice as many parts: the planner (`planner`, default `'local'`: a
   * min-cost flow on the node's graph, learning from each result; `'node'`: `getroutes`)
   * plans paths for what is neither delivered nor in flight, each is sent with {@link Engine.sendpartialpay}
   * (journaled, never past the amount), and failed parts are planned again within the fee
   * budget (`maxfee_msat`, default 0.5% of the amount and at least 5,000 msat), the deadline
   * (`retry_for` seconds, 60) and `maxparts` (16). Resolves once no part is in flight:
   * `complete` with the preimage, or `failed` with a `failreason` in plain words. Progress
   * comes as `pay-progress` events. A payment already complete sends nothing
   * (`already_complete`); a second `pay()` of a hash being paid joins the first; a failed
   * one may be paid again. `INVALID_ARGUMENT` for an invoice that does not decode, has
   * expired or has no payment secret, a missing or different amount, or bad options, with
   * nothing sent; `AMOUNT_MISMATCH` for an amountless invoice paid before with another
   * amount; `OVERPAY` when the node has parts of it in flight that no engine here sent;
   * `CONNECTION` when the engine closes or the link is gone for good (parts in flight stay
   * in the journal); `PERMISSION` when the rune does not allow a call paying needs (the
   * message names it: an invoice-only rune is refused `listsendpays` before anything is sent).
   *
   * @example
   * ```ts
   * engine.on('pay-progress', (p) => console.log(`${p.amount_delivered_msat} of ${p.amount_msat} over ${p.attempts} parts`));
   * const paid = await engine.pay({ bolt11, maxfee_msat: 20_000 });
   * if (paid.status === 'failed') console.log(paid.failreason);
   * ```
   */
  async pay(input: PayRequest): Promise<PayResult> {
    const plan = checkPayRequest(input, (bolt11) => this.decodeCached(bolt11), this.now(), this.node.id);
    this.assertOpen();
    const hash = plan.payment_hash;
    const running = this.paying.get(hash);
    if (running) {
      if (running.amount_msat !== plan.amount_msat) throw engineError('AMOUNT_MISMATCH', `payment ${hash} is being paid with ${running.amount_msat} msat, not ${plan.amount_msat}`);
      return running.result;
    }
    // One pay() per hash across the engines on the journal too: another tab's waits for this one.
    const result = this.lock('paying', hash, async () => {
      await this.reconciled();
      return pay(this.payContext(plan.planner === 'local' ? await this.localPlanner() : nodeFinder(this.node)), plan);
    });
    const entry = { amount_msat: plan.amount_msat, result };
    this.paying.set(hash, entry);
    const forget = () => {
      if (this.paying.get(hash) === entry) this.paying.delete(hash);
    };
    result.then(forget, forget);
    return result;
  }

  /** Decodes a BOLT 11 invoice here, without asking the node; `INVALID_ARGUMENT` (with the codec's `reason` in `data`) when it does not decode. */
  async decode(input: { bolt11: string }): Promise<DecodedInvoice> {
    if (input === null || typeof input !== 'object') throw engineError('INVALID_ARGUMENT', 'decode takes { bolt11 }');
    return decodedInvoice(checkBolt11(input.bolt11, (bolt11) => this.decodeCached(bolt11)));
  }

  /** The node's id, alias, color, network and block height (`getinfo`). */
  async getinfo(): Promise<NodeInfo> {
    this.assertOpen();
    return this.node.getinfo();
  }

  /** The engine's local planner, made once; the graph loads on its first plan. */
  private localPlanner(): Promise<LocalPlanner> {
    this.local ??= import('../planner/local.ts').then(({ LocalPlanner }) => {
      return new LocalPlanner({
        node: this.node,
        cache: this.journal,
        now: this.now,
        ...(this.graphRefresh !== undefined ? { refresh_seconds: this.graphRefresh } : {}),
        ...(this.learnedHalfLife !== undefined ? { half_life_hours: this.learnedHalfLife / 3600 } : {}),
      });
    });
    return this.local;
  }

  private payContext(finder: RouteFinder): PayContext {
    return {
      node: this.node,
      finder,
      now: this.now,
      read: (hash) => this.journal.read(hash),
      send: (request, created) => this.sendPart(request, created),
      settled: (id, watch) => {
        if (watch) return this.waitpartialpay({ id });
        return this.closed ? Promise.reject(engineError('CONNECTION', 'the engine was closed')) : this.partWaiters.add(id, undefined, `part ${id}`);
      },
      progress: (progress) => this.emit('pay-progress', progress),
      signal: this.closing.signal,
      known: (plan) => this.knownToNode(plan),
    };
  }

  /**
   * A payment this journal has never seen may be one the node has (rule 1.1, as
   * sendpartialpay applies it): complete parts there are recorded as a complete payment and
   * given back; parts in flight that no engine here sent are OVERPAY.
   */
  private knownToNode(plan: { payment_hash: string; amount_msat: number; bolt11: string }): Promise<Payment | undefined> {
    const hash = plan.payment_hash;
    return this.lock('pay', hash, async () => {
      this.assertOpen();
      const view = await this.journal.read(hash);
      if (view.payment) return view.payment.status === 'complete' ? view.payment : undefined;
      const nodeParts = await this.node.listsendpays({ payment_hash: hash });
      const done = nodeParts.filter((p) => p.status === 'complete');
      if (done.length === 0) {
        if (nodeParts.some((p) => p.status === 'pending')) throw engineError('OVERPAY', 'the node already has parts of this payment in flight that this engine did not send');
        return undefined;
      }
      const request = { payment_hash: hash, intended_amount_msat: plan.amount_msat, bolt11: plan.bolt11 };
      const recorded = await this.journal.update(hash, (v) => {
        if (v.payment) return { result: { payment: v.payment, created: false } };
        const payment = completeFromNode(request, done, this.now());
        return { payment, result: { payment, created: true } };
      });
      if (recorded.created) this.emit('payment-updated', recorded.payment);
      return recorded.payment.status === 'complete' ? recorded.payment : undefined;
    });
  }

  /** sendpartialpay; `created` hears of the part once journaled, before the node does. */
  private async sendPart(input: SendPartialPayRequest, created?: (part: PartialPayment) => void): Promise<SentPart | AlreadyComplete> {
    const request = checkSendPartialPay(input);
    checkInvoice(request, (bolt11) => this.decodeCached(bolt11));
    this.assertOpen();
    void this.reconciled();
    const hash = request.payment_hash;
    const decision = await this.lock('pay', hash, async () => {
      this.assertOpen();
      const view = await this.journal.read(hash);
      let nodeParts: NodePart[] | undefined;
      // A new attempt (rule 1.1 or 1.2.3) asks the node what it already has for this hash.
      const mismatch = view.payment && view.payment.amount_msat !== request.intended_amount_msat;
      if (!mismatch && (!view.payment || view.payment.status === 'failed')) nodeParts = await this.node.listsendpays({ payment_hash: hash });
      return this.journal.update(hash, (v) => decideSend(v, request, nodeParts, this.now()), { durable: true });
    });

    if (decision.kind === 'complete') {
      if (decision.created) this.emit('payment-updated', decision.payment);
      return {
        already_complete: true,
        payment_hash: hash,
        amount_msat: decision.payment.amount_msat,
        status: 'complete',
        payment_preimage: decision.payment.payment_preimage!,
      };
    }

    const { part } = decision;
    this.emit('part-created', part);
    this.emit('payment-updated', decision.payment);
    created?.(part);
    const sent = (status: PaymentStatus): SentPart => ({
      id: part.id,
      partid: part.partid,
      groupid: part.groupid,
      payment_hash: hash,
      amount_msat: part.amount_msat,
      status,
    });

    const sendpay: SendpayRequest = {
      route: part.route,
      payment_hash: hash,
      partid: part.partid,
      groupid: part.groupid,
      amount_msat: request.intended_amount_msat,
      payment_secret: request.payment_secret,
      ...(request.bolt11 !== undefined ? { bolt11: request.bolt11 } : {}),
      ...(request.description !== undefined ? { description: request.description } : {}),
    };
    let nodePart: NodePart;
    try {
      nodePart = await this.node.sendpay(sendpay);
    } catch (error) {
      if (hasCode(error, 'NODE_ERROR', 'PERMISSION', 'INVALID_ARGUMENT')) {
        // The node refused the part outright: it never left our node.
        await this.resolve(part, { status: 'failed', failreason: (error as Error).message });
        throw error;
      }
      // The link dropped (or the answer was unreadable) while the part was on its way: it
      // may or may not have reached the node, and the node may still be about to run it.
      this.unsure.add(part.id);
      void this.resend(part, sendpay);
      return sent('pending');
    }
    const status = await this.accept(part, sendpay, nodePart);
    return sent(status);
  }

  /** Takes the node's answer to a sendpay: watch a pending part, record a resolved one. */
  private async accept(part: PartialPayment, sendpay: SendpayRequest, nodePart: NodePart): Promise<PaymentStatus> {
    if (nodePart.partid !== part.partid || nodePart.groupid !== part.groupid || nodePart.payment_hash !== part.payment_hash) {
      this.unsure.add(part.id);
      void this.resend(part, sendpay);
      return 'pending';
    }
    this.unsure.delete(part.id);
    if (nodePart.status !== 'pending') {
      const resolved = await this.resolve(part, nodePart);
      return resolved?.part.status ?? nodePart.status;
    }
    this.watch(part);
    return 'pending';
  }

  /**
   * Sends a part whose first send went unanswered again, unchanged, once the link is back.
   * The node keys parts by (payment_hash, groupid, partid) and gives a pending part back
   * instead of starting another (cln-fixtures/sendpay-same-partid-pending.json), so
   * whichever of the two sends it runs second changes nothing: one HTLC either way. A
   * refusal (201: that part already failed) is settled by asking the node.
   */
  private async resend(part: PartialPayment, sendpay: SendpayRequest): Promise<void> {
    for (let attempt = 0; !this.closed; ) {
      if (!(await this.linkUp([part]))) return;
      try {
        await this.accept(part, sendpay, await this.node.sendpay(sendpay));
        return;
      } catch (error) {
        if (this.closed) return;
        if (hasCode(error, 'NODE_ERROR', 'PERMISSION', 'INVALID_ARGUMENT')) {
          await this.reconcile(part.payment_hash, [part]);
          return;
        }
        attempt = await this.retryAfter(error, attempt);
      }
    }
  }

  /**
   * Waits for one part to resolve and gives its record (`complete` or `failed`). `timeout`
   * in seconds; `TIMEOUT` when it passes (the part may still resolve), `NOT_FOUND` for an
   * unknown id.
   */
  async waitpartialpay(input: { id: number; timeout?: number }): Promise<PartialPayment> {
    const id = checkId(input?.id);
    const timeout = checkTimeout(input.timeout);
    this.assertOpen();
    void this.reconciled();
    const waiting = this.partWaiters.add(id, timeout, `part ${id}`);
    const part = await this.journal.getPart(id);
    if (!part) this.partWaiters.reject(id, engineError('NOT_FOUND', `no part with id ${id}`));
    else if (part.status !== 'pending') this.partWaiters.resolve(id, part);
    else if (timeout === 0) this.partWaiters.reject(id, engineError('TIMEOUT', `part ${id} is pending`));
    else if (!this.unsure.has(id)) this.watch(part);
    return waiting;
  }

  /**
   * Waits for a payment to be `complete` or `failed` and gives its record. `timeout` in
   * seconds; `TIMEOUT` when it passes, `NOT_FOUND` for a hash never sent.
   */
  async waitsendpay(input: { payment_hash: string; timeout?: number }): Promise<Payment> {
    const hash = checkHex32(input?.payment_hash, 'payment_hash');
    const timeout = checkTimeout(input.timeout);
    this.assertOpen();
    void this.reconciled();
    const waiting = this.paymentWaiters.add(hash, timeout, `payment ${hash}`);
    const { payment, parts } = await this.journal.read(hash);
    if (!payment) this.paymentWaiters.reject(hash, engineError('NOT_FOUND', `no payment with payment_hash ${hash}`));
    else if (payment.status !== 'pending') this.paymentWaiters.resolve(hash, payment);
    else if (timeout === 0) this.paymentWaiters.reject(hash, engineError('TIMEOUT', `payment ${hash} is pending`));
    else for (const part of parts) if (part.status === 'pending' && !this.unsure.has(part.id)) this.watch(part);
    return waiting;
  }

  /** Parts, by engine id or payment hash, or all; ordered by id. */
  async listpartialpayments(input: { id?: number; payment_hash?: string } = {}): Promise<{ partialpayments: PartialPayment[] }> {
    const id = input.id === undefined ? undefined : checkId(input.id);
    const hash = input.payment_hash === undefined ? undefined : checkHex32(input.payment_hash, 'payment_hash');
    this.assertOpen();
    // The journal answers now; parts an earlier engine left pending are brought up to date behind it.
    void this.reconciled();
    if (id !== undefined) {
      const part = await this.journal.getPart(id);
      return { partialpayments: part && (hash === undefined || part.payment_hash === hash) ? [part] : [] };
    }
    return { partialpayments: await this.journal.listParts(hash === undefined ? {} : { payment_hash: hash }) };
  }

  /** The payment history: one entry per payment hash. */
  async listpayments(input: { payment_hash?: string; status?: PaymentStatus } = {}): Promise<{ payments: Payment[] }> {
    const hash = input.payment_hash === undefined ? undefined : checkHex32(input.payment_hash, 'payment_hash');
    if (input.status !== undefined && !['pending', 'complete', 'failed'].includes(input.status)) {
      throw engineError('INVALID_ARGUMENT', 'status must be pending, complete or failed');
    }
    this.assertOpen();
    void this.reconciled();
    return {
      payments: await this.journal.listPayments({
        ...(hash !== undefined ? { payment_hash: hash } : {}),
        ...(input.status !== undefined ? { status: input.status } : {}),
      }),
    };
  }

  /**
   * Stops watching and rejects every wait with `CONNECTION`. The journal keeps every
   * pending part; a new engine on the same store picks them up.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    const error = engineError('CONNECTION', 'the engine was closed');
    this.partWaiters.rejectAll(error);
    this.paymentWaiters.rejectAll(error);
    this.receiver.close(error);
    this.unsubscribe?.();
    this.journal.close();
  }

  private assertOpen(): void {
    if (this.closed) throw engineError('CONNECTION', 'the engine was closed');
  }

  private decodeCached(bolt11: string): ReturnType<typeof decodeBolt11> {
    if (this.lastInvoice?.bolt11 !== bolt11) this.lastInvoice = { bolt11, decoded: decodeBolt11(bolt11) };
    return this.lastInvoice.decoded;
  }

  /** Tells this engine's listeners, and the other engines on the journal (all but `error`). */
  private emit<K extends keyof EngineEvents>(type: K, detail: EngineEvents[K]): void {
    this.emitHere(type, detail);
    if (type !== 'error' && this.peers && !this.closed) {
      try {
        this.peers.post({ type, detail } as PeerMessage);
      } catch (error) {
        console.error('ampkit: could not tell the other tabs', error);
      }
    }
  }

  private emitHere<K extends keyof EngineEvents>(type: K, detail: EngineEvents[K]): void {
    this.events.emit(type, detail, (error) => {
      // A listener's bug must not break payments; it is reported, once, on the console.
      console.error('ampkit: an engine event listener threw', error);
    });
  }

  /**
   * Another engine on the journal changed a record: this engine's waiters wake if it is
   * final, and its listeners hear of it as if it happened here. Each change is emitted
   * by the one engine whose journal update made it, so no engine hears of it twice.
   */
  private fromPeer(raw: unknown): void {
    const message = readPeerMessage(raw);
    if (!message || this.closed) return;
    const { type, detail } = message;
    if (type === 'part-updated') {
      const part = detail as PartialPayment;
      if (part.status !== 'pending') this.partWaiters.resolve(part.id, part);
    } else if (type === 'payment-updated') {
      const payment = detail as Payment;
      if (payment.status !== 'pending') this.paymentWaiters.resolve(payment.payment_hash, payment);
    } else if (type.startsWith('invoice-') && !this.receiver.fromPeer(message)) {
      return;
    }
    this.emitHere(type, detail);
  }

  /** Resolution steps 1–4, applied once per part. */
  private async resolve(part: PartialPayment, resolution: Resolution): Promise<Resolved | undefined> {
    if (this.closed) return undefined;
    const resolved = await this.journal.update(part.payment_hash, (view) => applyResolution(view, part.id, resolution, this.now()));
    this.unsure.delete(part.id);
    if (!resolved) return undefined;
    this.emit('part-updated', resolved.part);
    this.emit('payment-updated', resolved.payment);
    if (resolved.payment.status !== 'pending') this.paymentWaiters.resolve(part.payment_hash, resolved.payment);
    this.partWaiters.resolve(part.id, resolved.part);
    return resolved;
  }

  /** Waits until the node can be asked; false when it never will be (the waiters of `parts` are told). */
  private async linkUp(parts: PartialPayment[]): Promise<boolean> {
    try {
      await this.node.connected();
      return !this.closed;
    } catch (error) {
      const failure = hasCode(error, 'CONNECTION') ? error : engineError('CONNECTION', String(error), { cause: error });
      for (const part of parts) this.partWaiters.reject(part.id, failure);
      for (const hash of new Set(parts.map((p) => p.payment_hash))) this.paymentWaiters.reject(hash, failure);
      return false;
    }
  }

  /** Backs off after an unexpected failure, and reports it. */
  private async retryAfter(error: unknown, attempt: number): Promise<number> {
    // A dropped link is routine: `linkUp` waits for the reconnect, so no backoff grows here.
    if (hasCode(error, 'CONNECTION')) {
      await sleep(50);
      return attempt;
    }
    // The rune will refuse the same call again: told once, then asked again only rarely.
    if (hasCode(error, 'PERMISSION')) {
      this.reportRefusal(error);
      await sleep(RETRY_MS[RETRY_MS.length - 1]!);
      return attempt + 1;
    }
    this.emit('error', hasCode(error, 'BAD_REPLY', 'NODE_ERROR') ? error : engineError('NODE_ERROR', String(error), { cause: error }));
    await sleep(RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]!);
    return attempt + 1;
  }

  /** Reports a rune refusal by an `error` event, once per refusal (the method and the node's words). */
  private reportRefusal(error: AmpkitError): void {
    const key = `${error.nodeCode}:${JSON.stringify(error.data)}`;
    if (this.refusals.has(key)) return;
    this.refusals.add(key);
    this.emit('error', error);
  }

  /**
   * A rune refusal met while following parts: asking again would be refused again. The
   * waiters of `parts` get the error, the page hears of it once, and true says to stop.
   */
  private refused(error: unknown, parts: PartialPayment[]): boolean {
    if (!hasCode(error, 'PERMISSION')) return false;
    for (const part of parts) this.partWaiters.reject(part.id, error);
    for (const hash of new Set(parts.map((p) => p.payment_hash))) this.paymentWaiters.reject(hash, error);
    this.reportRefusal(error);
    return true;
  }

  /**
   * Learns from the node what became of parts whose arrival is unknown (listsendpays by
   * payment hash): a part the node never saw fails without being sent; one it resolved
   * takes its result; one in flight is watched again. True once done; false when it could
   * not be (the engine closed, the link is gone, the rune refused listsendpays), leaving the
   * parts unsure.
   */
  private async reconcile(hash: string, parts: PartialPayment[]): Promise<boolean> {
    for (let attempt = 0; !this.closed; ) {
      if (!(await this.linkUp(parts))) return false;
      try {
        const known = await this.node.listsendpays({ payment_hash: hash });
        for (const part of parts) {
          const there = known.find((p) => p.groupid === part.groupid && p.partid === part.partid);
          if (!there) await this.resolve(part, { status: 'failed', failreason: NEVER_SENT });
          else if (there.status === 'complete') await this.resolve(part, there);
          else {
            // Pending, or failed: waitsendpay gives a failed part's failure details at once.
            this.unsure.delete(part.id);
            this.watch(part);
          }
        }
        return true;
      } catch (error) {
        if (this.closed || this.refused(error, parts)) return false;
        attempt = await this.retryAfter(error, attempt);
      }
    }
    return false;
  }

  /** Watches one part until it resolves: one `waitsendpay` at a time, again after a reconnect. */
  private watch(part: PartialPayment): void {
    if (this.closed || this.watching.has(part.id)) return;
    const run = (async () => {
      for (let attempt = 0; !this.closed; ) {
        if (!(await this.linkUp([part]))) return;
        try {
          const result = await this.node.waitsendpay({
            payment_hash: part.payment_hash,
            groupid: part.groupid,
            partid: part.partid,
            timeout: this.waitChunk,
          });
          if (result.status === 'pending') continue;
          await this.resolve(part, result);
          return;
        } catch (error) {
          if (this.closed) return;
          if (hasCode(error, 'TIMEOUT')) continue;
          if (hasCode(error, 'NOT_FOUND')) {
            await this.resolve(part, { status: 'failed', failreason: NEVER_SENT });
            return;
          }
          // The rune forbids waitsendpay: the part stays pending; a later wait asks again.
          if (this.refused(error, [part])) return;
          attempt = await this.retryAfter(error, attempt);
        }
      }
    })();
    this.watching.set(part.id, run);
    void run.finally(() => this.watching.delete(part.id));
  }
}

/**
 * Opens the journal of `node` in `store` and starts the engine. Parts an earlier engine left
 * pending are reconciled with the node in the background ({@link Engine.ready}).
 *
 * @example
 * ```ts
 * import { connect } from '@ampkit/wire';
 * import { createEngine, clnNode, indexedDbStore } from '@ampkit/core';
 *
 * const client = await connect({ nodeId, url: 'wss://node.example:5019', rune });
 * const engine = await createEngine({ node: clnNode(client), store: indexedDbStore() });
 * engine.on('part-updated', (part) => console.log(part.partid, part.status));
 * ```
 */
export async function createEngine(options: EngineOptions): Promise<Engine> {
  const { node, store } = options;
  if (!node || typeof node.sendpay !== 'function') throw engineError('INVALID_ARGUMENT', 'node must implement the Node interface (e.g. clnNode(client))');
  if (!store || typeof store.open !== 'function') throw engineError('INVALID_ARGUMENT', 'store must be indexedDbStore() or memoryStore()');
  if (typeof node.id !== 'string' || !/^0[23][0-9a-f]{64}$/.test(node.id)) throw engineError('INVALID_ARGUMENT', 'node.id must be the node\'s public key in hex');
  const waitChunk = options.waitChunk ?? 60;
  if (!(waitChunk > 0)) throw engineError('INVALID_ARGUMENT', 'waitChunk must be positive');
  const mppTimeout = options.mppTimeout ?? 60;
  if (!(mppTimeout > 0)) throw engineError('INVALID_ARGUMENT', 'mppTimeout must be positive');
  if (options.lock !== undefined && typeof options.lock !== 'function') throw engineError('INVALID_ARGUMENT', 'lock must be a function (name, task) => Promise');
  if (options.learnedHalfLife !== undefined && !(options.learnedHalfLife > 0 && Number.isFinite(options.learnedHalfLife))) {
    throw engineError('INVALID_ARGUMENT', 'learnedHalfLife must be a positive number of seconds');
  }
  const peers = options.peers;
  if (peers !== undefined && (typeof peers?.post !== 'function' || typeof peers.subscribe !== 'function')) {
    throw engineError('INVALID_ARGUMENT', 'peers must have post(message) and subscribe(listener)');
  }
  const journal = await store.open(node.id);
  const pending = await journal.listParts({ status: 'pending' });
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  return new Engine(node, journal, pending, { now, waitChunk, mppTimeout, lock: options.lock ?? localLock(), ...(peers ? { peers } : {}), ...(options.graphRefresh !== undefined ? { graphRefresh: options.graphRefresh } : {}), ...(options.learnedHalfLife !== undefined ? { learnedHalfLife: options.learnedHalfLife } : {}) });
}
