/**
 * The partial-payment engine: `sendpartialpay` and its waits and lists
 * (docs/engine-rules.md, "Sending"). Every part is journaled before it reaches the node;
 * every part's fate is learned from the node, once, by one watcher; a new engine on the
 * same journal reconciles what an earlier one left pending, once its sending side is first
 * used (an engine that only receives, on a rune that may only make invoices, never asks the
 * node about payments).
 */
import { decodeBolt11 } from '@ampkit/wire';
import { AmpkitError, engineError, hasCode } from '../errors.ts';
import { Emitter } from '../events.ts';
import type { Node, NodePart, SendpayRequest } from '../node/node.ts';
import { nextStart, type Journal, type StorageProblem, type Store } from '../store/store.ts';
import { isStorage } from '../store/storage-errors.ts';
import type {
  AlreadyComplete,
  DecodedInvoice,
  ListInvoicesRequest,
  ListPageResult,
  ListPartialInvoicesRequest,
  ListPartialPaymentsRequest,
  ListPaymentsRequest,
  NodeInfo,
  PartialPayment,
  Payment,
  PaymentCheck,
  PaymentStatus,
  PayProgress,
  PayRequest,
  PayResult,
  SendPartialPayRequest,
  SentPart,
} from '../types.ts';
import {
  checkBolt11,
  checkHex32,
  checkId,
  checkInvoice,
  checkPage,
  checkPayRequest,
  checkSendPartialPay,
  checkTimeout,
  decodedInvoice,
  isPreimageOf,
} from '../validate.ts';
import { pay, type PayContext, type RouteFinder } from './pay.ts';
import { nodeFinder } from './node-finder.ts';
import { paymentFinder } from './auto-finder.ts';
import type { LocalPlanner } from '../planner/local.ts';
import { applyResolution, completeFromNode, decideSend, renewLease, type Lease, type Resolution, type Resolved } from './rules.ts';
import { Waiters } from './waiters.ts';
import { publicInvoice, Receiver, type ReceiverEvents } from '../invoices/receiver.ts';
import type { Invoice, InvoiceRequest, PartialInvoice, PlannerChoice } from '../types.ts';
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
  /**
   * Something went wrong in the background (an unreadable reply while watching a part); the
   * engine keeps trying. `STORAGE`: a journal record is malformed (told once per record; it
   * is kept aside and the engine goes on without it), or the journal is lost (another tab
   * upgraded or deleted the database, the disk is full): then the engine has stopped, as by
   * `close()` but with this error for every wait and running `pay()`.
   */
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
  /** Subscribes the engine to the journal's problems (those found while it was being made come too). */
  problems?: (listener: (problem: StorageProblem) => void) => void;
}

/** Why a part failed when it never reached the node. */
export const NEVER_SENT = 'the part never reached the node';

/**
 * Seconds for which a part being handed to the node is left to its sender by the other
 * engines on the journal. The sender renews the lease every third of it while its `sendpay`
 * is unanswered and on each send again, so the lease runs out only this long after the
 * sender stopped (a closed tab): longer than a send already on its way may take to arrive.
 */
export const SEND_LEASE_S = 15;

/** The same part at the node: (payment_hash, groupid, partid). */
const samePart = (
  a: { payment_hash: string; groupid: number; partid: number },
  b: { payment_hash: string; groupid: number; partid: number },
) => a.payment_hash === b.payment_hash && a.groupid === b.groupid && a.partid === b.partid;

const GONE_REASONS: ReadonlySet<string> = new Set(['timeout', 'failed', 'cancelled', 'expired']);

/** An incoming part's key in the journal's `left` list. */
const partKey = (p: Pick<PartialInvoice, 'incoming_scid' | 'htlc_id'>) => `${p.incoming_scid}/${p.htlc_id}`;

/** A part another engine describes could be one of this invoice's: toward its hash and amount, with a plain amount of its own. */
function couldBePartOf(part: PartialInvoice, invoice: Invoice): boolean {
  return (
    part.payment_hash === invoice.payment_hash &&
    part.total_amount_msat === invoice.amount_msat &&
    Number.isSafeInteger(part.partial_amount_msat) &&
    part.partial_amount_msat > 0 &&
    part.partial_amount_msat <= invoice.amount_msat
  );
}

/**
 * A `pay()`'s progress as another engine's hint gives it, rebuilt from the journal: the
 * parts and figures are the journal's (of the payment's current attempt); `complete` only
 * when the journal says so, `failed` only when the journal agrees; the fee budget (which
 * the journal does not keep) is the hint's when it is a plain amount.
 */
function progressFromJournal(view: { payment: Payment; parts: PartialPayment[] }, hint: PayProgress): PayProgress {
  const { payment } = view;
  const parts = view.parts.filter((p) => p.groupid === payment.groupid);
  const sum = (of: PartialPayment[], value: (p: PartialPayment) => number) => of.reduce((total, p) => total + value(p), 0);
  const status: PaymentStatus =
    payment.status === 'complete' ? 'complete' : payment.status === 'failed' && hint.status === 'failed' ? 'failed' : 'pending';
  const lastFailed = [...parts].reverse().find((p) => p.status === 'failed');
  return {
    payment_hash: payment.payment_hash,
    amount_msat: payment.amount_msat,
    maxfee_msat: Number.isSafeInteger(hint.maxfee_msat) && hint.maxfee_msat >= 0 ? hint.maxfee_msat : 0,
    status,
    parts,
    attempts: parts.length,
    amount_delivered_msat: sum(
      parts.filter((p) => p.status === 'complete'),
      (p) => p.amount_msat,
    ),
    amount_inflight_msat: sum(
      parts.filter((p) => p.status === 'pending'),
      (p) => p.amount_msat,
    ),
    fee_msat: sum(
      parts.filter((p) => p.status !== 'failed'),
      (p) => p.amount_sent_msat - p.amount_msat,
    ),
    ...(status === 'failed' ? { failreason: lastFailed?.failreason ?? lastFailed?.failcodename ?? 'the payment failed' } : {}),
  };
}

/** The name of a part's hand-over lock: its id in the journal. */
const sendKey = (part: PartialPayment) => `${part.payment_hash}:${part.id}`;

/** A random id for one engine, naming it as the sender of the parts it hands to the node. */
function engineId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

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
  /** Why the engine stopped: `CONNECTION` from close(), or the journal's `STORAGE` loss. */
  private stopped?: AmpkitError;
  /** Aborted (with {@link stopped}) when the engine stops: running pay()s end with its reason. */
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
  /** The same, once its code has loaded. */
  private localLoaded?: LocalPlanner;
  private readonly peers?: PeerChannel;
  private readonly unsubscribe?: () => void;
  /** Runs a task under the lock `kind:key` of this node, shared by the engines on the journal. */
  private readonly lock: <T>(kind: 'pay' | 'paying' | 'hold' | 'send', key: string, task: () => Promise<T>) => Promise<T>;
  /** This engine's id as the sender of its parts. */
  private readonly id = engineId();
  /** Peer messages, handled one at a time in the order they came. */
  private hints: Promise<void> = Promise.resolve();

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
    this.lock = (kind, key, task) => lock(`ampkit:${node.id}:${kind}:${key}`, task);
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
    settings.problems?.((problem) => this.storageProblem(problem));
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

  /**
   * Invoices made by this engine's journal, by label or payment hash, or all; oldest first.
   * Paged as Core Lightning's `listinvoices` (`ListPage`): from created index `start`,
   * at most `limit`; `next_start` says where the next page starts.
   */
  listinvoices(input: ListInvoicesRequest = {}): Promise<{ invoices: Invoice[] } & ListPageResult> {
    this.assertOpen();
    return this.receiver.listinvoices(input);
  }

  /**
   * One entry per incoming part held but not yet claimed, toward any open invoice or the
   * one with `payment_hash`: "is the payer even trying?". Entries leave when the set is
   * claimed, fails back or expires. Paged by invoice ({@link ListPartialInvoicesRequest}):
   * `limit` is the most open invoices whose parts are given, `next_start` where the next
   * page starts.
   */
  listpartialinvoices(input: ListPartialInvoicesRequest = {}): Promise<{ partialinvoices: PartialInvoice[] } & ListPageResult> {
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
   * Sends one part of a payment (docs/engine-rules.md, "Sending", rules 1–2). The part is
   * journaled before the node sees it. Fails with `AMOUNT_MISMATCH` when the hash was
   * started with another amount, `OVERPAY` when the part would take pending plus complete
   * parts past the amount, `INVALID_ARGUMENT` for malformed input, `NODE_ERROR` when the
   * node refused the part (it is then recorded as failed), `PERMISSION` when the rune does
   * not allow `sendpay` or `listsendpays` (naming the method). A payment already complete
   * sends nothing and gives `{ already_complete: true, payment_preimage }`.
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
   * Pays a BOLT 11 invoice as many parts: the planner (`planner`: `'local'`, a min-cost
   * flow on the node's graph, learning from each result; `'node'`: `getroutes`; `'auto'`,
   * the default: local once its graph is in memory, the node's until then, so the first
   * payment does not wait for the graph, which loads after it) plans paths for what is neither delivered nor in flight, each is sent with {@link Engine.sendpartialpay}
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
      if (running.amount_msat !== plan.amount_msat)
        throw engineError('AMOUNT_MISMATCH', `payment ${hash} is being paid with ${running.amount_msat} msat, not ${plan.amount_msat}`);
      return running.result;
    }
    // One pay() per hash across the engines on the journal too: another tab's waits for this one.
    const result = this.lock('paying', hash, async () => {
      await this.reconciled();
      return pay(this.payContext(this.finder(plan.planner)), plan);
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

  /** The planner of one pay(): the node's, or the local one (with the node's until its graph is in memory, for `'auto'`). */
  private finder(choice: PlannerChoice): RouteFinder {
    if (choice === 'node') return nodeFinder(this.node);
    return paymentFinder({
      local: () => this.localPlanner(),
      peek: () => this.localLoaded,
      ...(choice === 'auto' ? { node: nodeFinder(this.node) } : {}),
    });
  }

  /** The engine's local planner, made once; the graph loads on its first plan. */
  private localPlanner(): Promise<LocalPlanner> {
    this.local ??= import('../planner/local.ts').then(({ LocalPlanner }) => {
      return (this.localLoaded = new LocalPlanner({
        node: this.node,
        cache: this.journal,
        now: this.now,
        ...(this.graphRefresh !== undefined ? { refresh_seconds: this.graphRefresh } : {}),
        ...(this.learnedHalfLife !== undefined ? { half_life_hours: this.learnedHalfLife / 3600 } : {}),
      }));
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
        return this.closed
          ? Promise.reject(engineError('CONNECTION', 'the engine was closed'))
          : this.partWaiters.add(id, undefined, `part ${id}`);
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
        if (nodeParts.some((p) => p.status === 'pending'))
          throw engineError('OVERPAY', 'the node already has parts of this payment in flight that this engine did not send');
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
      if (!mismatch && (!view.payment || view.payment.status === 'failed'))
        nodeParts = await this.node.listsendpays({ payment_hash: hash });
      return this.journal.update(hash, (v) => decideSend(v, request, nodeParts, this.now(), this.lease()), { durable: true });
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
    // The hand-over runs under the part's lock: an engine reconciling this hash waits for
    // the node's answer instead of judging the part from its silence.
    const handed = (await this.handOver(part, sendpay, false))!;
    if ('error' in handed) {
      const { error } = handed;
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
    const status = await this.accept(part, sendpay, handed.nodePart);
    return sent(status);
  }

  /**
   * Hands a part to the node under its lock, renewing its lease while the node has not
   * answered (a slow `sendpay` keeps other engines off it however long it takes; a closed
   * tab's lease runs out {@link SEND_LEASE_S} after its last renewal). `again`: renew
   * first, and send nothing (undefined) when the part is no longer pending in the journal.
   * The node's answer or the call's error, as a value.
   */
  private handOver(
    part: PartialPayment,
    sendpay: SendpayRequest,
    again: boolean,
  ): Promise<{ nodePart: NodePart } | { error: unknown } | undefined> {
    return this.lock('send', sendKey(part), async () => {
      if (again && !(await this.renewLease(part))) return undefined;
      // A closed engine stops renewing: its lease then runs out as a closed tab's does.
      const renewing = setInterval(() => void this.renewLease(part).catch(() => undefined), (SEND_LEASE_S * 1000) / 3);
      // Renewing alone keeps no Node process alive (a browser has no such notion).
      (renewing as { unref?: () => void }).unref?.();
      const stop = () => clearInterval(renewing);
      this.closing.signal.addEventListener('abort', stop, { once: true });
      try {
        return { nodePart: await this.node.sendpay(sendpay) };
      } catch (error) {
        return { error };
      } finally {
        stop();
        this.closing.signal.removeEventListener('abort', stop);
      }
    });
  }

  /** Renews this engine's lease on a part it is handing over; false when the part is no longer pending. */
  private async renewLease(part: PartialPayment): Promise<boolean> {
    const lease = this.lease();
    return (await this.journal.update(part.payment_hash, (view) => renewLease(view, part.id, lease), { durable: true })) !== undefined;
  }

  /** The lease of a part this engine is about to hand to the node. */
  private lease(): Lease {
    return { sender: this.id, sending_until: this.now() + SEND_LEASE_S };
  }

  /** Takes the node's answer to a sendpay: watch a pending part, record a resolved one. */
  private async accept(part: PartialPayment, sendpay: SendpayRequest, nodePart: NodePart): Promise<PaymentStatus> {
    if (!samePart(nodePart, part)) {
      this.unsure.add(part.id);
      void this.resend(part, sendpay);
      return 'pending';
    }
    this.unsure.delete(part.id);
    // A sendpay answered `failed` is the node refusing this very part before recording it
    // (cln-fixtures: 204 "First peer not ready"): listsendpays would not know it. A
    // completion with a preimage that is no proof is asked again by the watcher.
    if (nodePart.status === 'failed' || isPreimageOf(nodePart.payment_preimage, part.payment_hash)) {
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
    for (let attempt = 0; !this.closed;) {
      if (!(await this.linkUp([part]))) return;
      try {
        // Under the part's lock: still pending in the journal (no other engine judged it
        // since), the lease renewed, then the send.
        const handed = await this.handOver(part, sendpay, true);
        if (!handed) {
          this.unsure.delete(part.id);
          return;
        }
        if ('error' in handed) throw handed.error;
        await this.accept(part, sendpay, handed.nodePart);
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

  /**
   * Parts, by engine id or payment hash, or all; ordered by id (a part's created index).
   * Paged as Core Lightning's `listsendpays` is (`ListPage`): from id `start`, at most
   * `limit`; `next_start` says where the next page starts. Served from the journal's
   * indexes a page at a time: the first page of a journal of 100,000 parts is as quick as
   * that of a new one.
   *
   * @example
   * ```ts
   * const newest = await engine.listpartialpayments({ payment_hash, limit: 50 });
   * const more = newest.next_start === undefined ? [] : (await engine.listpartialpayments({ payment_hash, start: newest.next_start, limit: 50 })).partialpayments;
   * ```
   */
  async listpartialpayments(input: ListPartialPaymentsRequest = {}): Promise<{ partialpayments: PartialPayment[] } & ListPageResult> {
    const page = checkPage(input, 'listpartialpayments');
    const id = input.id === undefined ? undefined : checkId(input.id);
    const hash = input.payment_hash === undefined ? undefined : checkHex32(input.payment_hash, 'payment_hash');
    this.assertOpen();
    // The journal answers now; parts an earlier engine left pending are brought up to date behind it.
    void this.reconciled();
    if (id !== undefined) {
      const part = id >= (page.start ?? 0) ? await this.journal.getPart(id) : undefined;
      const partialpayments = part && (hash === undefined || part.payment_hash === hash) ? [part] : [];
      return { partialpayments, ...nextStart(partialpayments, page.limit, (p) => p.id) };
    }
    const partialpayments = await this.journal.listParts({ ...(hash === undefined ? {} : { payment_hash: hash }), ...page });
    return { partialpayments, ...nextStart(partialpayments, page.limit, (p) => p.id) };
  }

  /**
   * The payment history: one entry per payment hash, oldest first (by `created_index`).
   * Paged as Core Lightning's `listpays`/`listsendpays` (`ListPage`): from created
   * index `start`, at most `limit`; `next_start` says where the next page starts.
   */
  async listpayments(input: ListPaymentsRequest = {}): Promise<{ payments: Payment[] } & ListPageResult> {
    const page = checkPage(input, 'listpayments');
    const hash = input.payment_hash === undefined ? undefined : checkHex32(input.payment_hash, 'payment_hash');
    if (input.status !== undefined && !['pending', 'complete', 'failed'].includes(input.status)) {
      throw engineError('INVALID_ARGUMENT', 'status must be pending, complete or failed');
    }
    this.assertOpen();
    void this.reconciled();
    const payments = await this.journal.listPayments({
      ...(hash !== undefined ? { payment_hash: hash } : {}),
      ...(input.status !== undefined ? { status: input.status } : {}),
      ...page,
    });
    return { payments, ...nextStart(payments, page.limit, (p) => p.created_index!) };
  }

  /**
   * What the journal holds of a payment, and for one it holds as complete whether the node's
   * own record agrees ({@link PaymentCheck}): a page shows "already paid" only with this
   * answer, never from a journal alone that another node or a reset network made. Sends
   * nothing. A link that is down leaves `confirmed` out rather than waiting.
   *
   * @example
   * ```ts
   * const { payment, confirmed } = await engine.checkpayment({ payment_hash });
   * if (payment?.status === 'complete') show(`Paid on ${new Date(payment.completed_at! * 1000).toLocaleDateString()}`, confirmed);
   * ```
   */
  async checkpayment(input: { payment_hash: string }): Promise<PaymentCheck> {
    const hash = checkHex32(input?.payment_hash, 'payment_hash');
    this.assertOpen();
    const [payment] = await this.journal.listPayments({ payment_hash: hash, limit: 1 });
    if (payment?.status !== 'complete') return payment ? { payment } : {};
    let nodeParts: NodePart[];
    try {
      nodeParts = await this.node.listsendpays({ payment_hash: hash });
    } catch (error) {
      if (hasCode(error, 'CONNECTION', 'TIMEOUT')) return { payment };
      throw error;
    }
    const confirmed = nodeParts.some((p) => p.status === 'complete' && p.payment_preimage === payment.payment_preimage);
    return { payment, confirmed };
  }

  /**
   * Stops watching and rejects every wait with `CONNECTION`. The journal keeps every
   * pending part; a new engine on the same store picks them up.
   */
  close(): void {
    this.stop(engineError('CONNECTION', 'the engine was closed'));
  }

  /**
   * Stops the engine, `error` being what every wait, running `pay()` and later call gets:
   * close()'s `CONNECTION`, or the `STORAGE` error of a journal lost. Nothing committed is
   * undone; the journal keeps every pending part for the next engine.
   */
  private stop(error: AmpkitError): void {
    if (this.closed) return;
    this.closed = true;
    this.stopped = error;
    this.closing.abort(error);
    this.partWaiters.rejectAll(error);
    this.paymentWaiters.rejectAll(error);
    this.receiver.close(error);
    this.unsubscribe?.();
    this.journal.close();
  }

  /** Trouble the journal found: one `error` event each; a lost journal stops the engine first. */
  private storageProblem(problem: StorageProblem): void {
    if (this.closed) return;
    if (problem.fatal) this.stop(problem.error);
    this.emit('error', problem.error);
  }

  private assertOpen(): void {
    if (this.closed) throw this.stopped ?? engineError('CONNECTION', 'the engine was closed');
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
   * Another engine on the journal says it changed a record. The message is a hint, never a
   * fact (any script on the origin can post one): the record is read again from the
   * journal, and this engine's waiters and listeners hear what the journal holds, if it
   * changed as said. Hints are handled one at a time, in the order they came.
   */
  private fromPeer(raw: unknown): void {
    const message = readPeerMessage(raw);
    if (!message || this.closed) return;
    this.hints = this.hints
      .then(() => this.fromHint(message))
      .catch((error: unknown) => {
        if (!this.closed)
          this.emit(
            'error',
            error instanceof AmpkitError
              ? error
              : engineError('BAD_REPLY', `a message from another tab could not be checked against the journal: ${String(error)}`, {
                  cause: error,
                }),
          );
      });
  }

  private async fromHint({ type, detail }: PeerMessage): Promise<void> {
    if (type === 'part-created' || type === 'part-updated') {
      const said = detail as PartialPayment;
      const part = await this.journal.getPart(said.id);
      if (this.closed || !part || part.payment_hash !== said.payment_hash) return;
      if (type === 'part-updated' && part.status === 'pending') return;
      if (part.status !== 'pending') {
        this.unsure.delete(part.id);
        this.partWaiters.resolve(part.id, part);
      }
      this.emitHere(type, part);
    } else if (type === 'payment-updated' || type === 'pay-progress') {
      const view = await this.journal.read((detail as Payment | PayProgress).payment_hash);
      const payment = view.payment;
      if (this.closed || !payment) return;
      if (type === 'pay-progress') {
        this.emitHere(type, progressFromJournal({ payment, parts: view.parts }, detail as PayProgress));
        return;
      }
      if (payment.status !== 'pending') this.paymentWaiters.resolve(payment.payment_hash, payment);
      this.emitHere(type, payment);
    } else {
      const checked = await this.checkInvoiceHint({ type, detail } as PeerMessage);
      if (!checked || this.closed || !this.receiver.fromPeer(checked)) return;
      this.emitHere(checked.type, checked.detail);
    }
  }

  /** An invoice event from another engine, rebuilt from the journal; undefined when the journal does not bear it out. */
  private async checkInvoiceHint(message: PeerMessage): Promise<PeerMessage | undefined> {
    const said = (message.type === 'invoice-part-gone' ? (message.detail as EngineEvents['invoice-part-gone']).part : message.detail) as {
      payment_hash: string;
    };
    const stored = await this.journal.getInvoice(said.payment_hash);
    if (!stored) return undefined;
    const invoice = publicInvoice(stored, this.now());
    switch (message.type) {
      case 'invoice-updated':
        return { type: 'invoice-updated', detail: invoice };
      case 'invoice-paid':
      case 'invoice-expired':
        return invoice.status === (message.type === 'invoice-paid' ? 'paid' : 'expired')
          ? { type: message.type, detail: invoice }
          : undefined;
      case 'invoice-part': {
        // A held part is the journal's record; once the set is claimed the journal keeps no
        // parts, and a part of a paid invoice is passed on if it could be one of its set.
        const key = partKey(said as PartialInvoice);
        const part = stored.held.find((p) => partKey(p) === key);
        if (part) return { type: 'invoice-part', detail: part };
        return invoice.status === 'paid' && couldBePartOf(said as PartialInvoice, stored)
          ? { type: 'invoice-part', detail: { ...(said as PartialInvoice) } }
          : undefined;
      }
      case 'invoice-part-gone': {
        // A part that left is kept in the journal by its key only: the hint's figures are
        // passed on only for a part the journal says left, toward this invoice's amount.
        const { part, reason } = message.detail as EngineEvents['invoice-part-gone'];
        const key = partKey(part);
        const gone = stored.left.includes(key) && !stored.held.some((p) => partKey(p) === key);
        if (!gone || !couldBePartOf(part, stored) || !GONE_REASONS.has(reason)) return undefined;
        return { type: 'invoice-part-gone', detail: { part: { ...part }, reason } };
      }
      default:
        return undefined;
    }
  }

  /**
   * Resolution steps 1–4, applied once per part (a node's `complete` also after a local
   * `failed`). A completion whose preimage does not hash to the payment hash is no proof:
   * `BAD_REPLY`, nothing recorded.
   */
  private async resolve(part: PartialPayment, resolution: Resolution): Promise<Resolved | undefined> {
    if (this.closed) return undefined;
    if (resolution.status === 'complete' && !isPreimageOf(resolution.payment_preimage, part.payment_hash)) {
      throw engineError(
        'BAD_REPLY',
        `the node says part ${part.partid} of ${part.payment_hash} completed, with a preimage that does not hash to it`,
      );
    }
    const resolved = await this.journal.update(part.payment_hash, (view) => applyResolution(view, part.id, resolution, this.now()));
    this.unsure.delete(part.id);
    if (!resolved) {
      // Another engine on the journal resolved it first (and told its own listeners).
      await this.wakeFromJournal(part);
      return undefined;
    }
    this.emit('part-updated', resolved.part);
    this.emit('payment-updated', resolved.payment);
    if (resolved.payment.status !== 'pending') this.paymentWaiters.resolve(part.payment_hash, resolved.payment);
    this.partWaiters.resolve(part.id, resolved.part);
    return resolved;
  }

  /** This engine's waiters of a part and its payment hear the journal's records, if final. */
  private async wakeFromJournal(part: PartialPayment): Promise<PartialPayment | undefined> {
    const view = await this.journal.read(part.payment_hash);
    const stored = view.parts.find((p) => p.id === part.id);
    if (stored && stored.status !== 'pending') {
      this.unsure.delete(part.id);
      this.partWaiters.resolve(part.id, stored);
    }
    if (view.payment && view.payment.status !== 'pending') this.paymentWaiters.resolve(part.payment_hash, view.payment);
    return stored;
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
    // Typed errors keep their code (a sendpay the node did not answer in time is TIMEOUT,
    // a journal that cannot be read STORAGE); only what is untyped is called the node's.
    this.emit('error', error instanceof AmpkitError ? error : engineError('NODE_ERROR', String(error), { cause: error }));
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
   * payment hash), holding each part's hand-over lock so no engine is sending it meanwhile:
   * a part the node has takes its result, or is watched again while in flight; a part it
   * has not is failed as never sent, unless another engine's lease on it is still running
   * (its send may yet arrive): that part is asked about again once the lease ends. True once
   * done; false when it could not be (the engine closed, the link is gone, the rune refused
   * listsendpays), leaving the parts unsure.
   */
  private async reconcile(hash: string, parts: PartialPayment[]): Promise<boolean> {
    for (let attempt = 0; !this.closed;) {
      if (!(await this.linkUp(parts))) return false;
      try {
        const later = await this.lockParts(parts, async () => {
          const known = await this.node.listsendpays({ payment_hash: hash });
          const deferred: PartialPayment[] = [];
          for (const part of parts) {
            const there = known.find((p) => samePart(p, part));
            if (there?.status === 'complete') await this.resolve(part, there);
            else if (there) {
              // Pending, or failed: waitsendpay gives a failed part's failure details at once.
              this.unsure.delete(part.id);
              this.watch(part);
            } else {
              const stored = await this.journal.getPart(part.id);
              if (stored?.status === 'pending' && stored.sender !== this.id && (stored.sending_until ?? 0) > this.now())
                deferred.push(stored);
              else await this.resolve(part, { status: 'failed', failreason: NEVER_SENT });
            }
          }
          return deferred;
        });
        if (later.length > 0) void this.reconcileLater(hash, later);
        return true;
      } catch (error) {
        if (this.closed || this.refused(error, parts)) return false;
        attempt = await this.retryAfter(error, attempt);
      }
    }
    return false;
  }

  /** Runs `task` holding the hand-over locks of `parts`, taken in id order (as every engine takes them). */
  private lockParts<T>(parts: PartialPayment[], task: () => Promise<T>): Promise<T> {
    const [first, ...rest] = [...parts].sort((a, b) => a.id - b.id);
    if (!first) return task();
    return this.lock('send', sendKey(first), () => this.lockParts(rest, task));
  }

  /** Parts another engine holds a lease on: unsure until it ends (or the journal resolves them), then reconciled. */
  private async reconcileLater(hash: string, parts: PartialPayment[]): Promise<void> {
    for (const part of parts) this.unsure.add(part.id);
    const until = Math.max(...parts.map((p) => p.sending_until ?? 0));
    await sleep(Math.min(5000, Math.max(250, (until - this.now()) * 1000)));
    try {
      if (this.closed) return;
      const still: PartialPayment[] = [];
      for (const part of parts) {
        const stored = await this.wakeFromJournal(part);
        if (stored?.status === 'pending') still.push(stored);
        else this.unsure.delete(part.id);
      }
      if (still.length > 0) await this.reconcile(hash, still);
    } catch (error) {
      // Nobody awaits this: the engine closing under it is routine, anything else is told.
      this.reportUnlessClosed(error);
    }
  }

  /** Reports a failure of background work by an `error` event, unless the engine has closed. */
  private reportUnlessClosed(error: unknown): void {
    if (!this.closed) this.emit('error', error instanceof AmpkitError ? error : engineError('NODE_ERROR', String(error), { cause: error }));
  }

  /**
   * Watches one part until it resolves: one `waitsendpay` at a time, again after a
   * reconnect. Only an answer about this very part counts; a failure counts once
   * `listsendpays` confirms it; a part the node does not know is reconciled (another
   * engine may still be handing it over).
   */
  private watch(part: PartialPayment): void {
    if (this.closed || this.watching.has(part.id)) return;
    let run!: Promise<void>;
    run = (async () => {
      for (let attempt = 0; !this.closed;) {
        if (!(await this.linkUp([part]))) return;
        try {
          const result = await this.node.waitsendpay({
            payment_hash: part.payment_hash,
            groupid: part.groupid,
            partid: part.partid,
            timeout: this.waitChunk,
          });
          if (!samePart(result, part)) {
            throw engineError(
              'BAD_REPLY',
              `waitsendpay for part ${part.groupid}/${part.partid} of ${part.payment_hash} answered about part ${result.groupid}/${result.partid} of ${result.payment_hash}`,
            );
          }
          if (result.status === 'pending') continue;
          if (result.status === 'failed') {
            const there = (await this.node.listsendpays({ payment_hash: part.payment_hash })).find((p) => samePart(p, part));
            if (!there) {
              await this.stopWatching(part, run);
              return;
            }
            if (there.status === 'pending')
              throw engineError(
                'BAD_REPLY',
                `waitsendpay says part ${part.groupid}/${part.partid} of ${part.payment_hash} failed, listsendpays that it is in flight`,
              );
            await this.resolve(part, there.status === 'complete' ? there : result);
            return;
          }
          await this.resolve(part, result);
          return;
        } catch (error) {
          if (this.closed) return;
          if (hasCode(error, 'TIMEOUT')) continue;
          if (hasCode(error, 'NOT_FOUND')) {
            await this.stopWatching(part, run).catch((stopped: unknown) => this.reportUnlessClosed(stopped));
            return;
          }
          // The rune forbids waitsendpay: the part stays pending; a later wait asks again.
          if (this.refused(error, [part])) return;
          attempt = await this.retryAfter(error, attempt);
        }
      }
    })();
    this.watching.set(part.id, run);
    void run.finally(() => {
      if (this.watching.get(part.id) === run) this.watching.delete(part.id);
    });
  }

  /** The node does not know a watched part: the watcher steps aside and the part is reconciled (leases and locks decide). */
  private async stopWatching(part: PartialPayment, run: Promise<void>): Promise<void> {
    if (this.watching.get(part.id) === run) this.watching.delete(part.id);
    this.unsure.add(part.id);
    await this.reconcile(part.payment_hash, [part]);
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
  if (!node || typeof node.sendpay !== 'function')
    throw engineError('INVALID_ARGUMENT', 'node must implement the Node interface (e.g. clnNode(client))');
  if (!store || typeof store.open !== 'function') throw engineError('INVALID_ARGUMENT', 'store must be indexedDbStore() or memoryStore()');
  if (typeof node.id !== 'string' || !/^0[23][0-9a-f]{64}$/.test(node.id))
    throw engineError('INVALID_ARGUMENT', "node.id must be the node's public key in hex");
  const waitChunk = options.waitChunk ?? 60;
  if (!(waitChunk > 0)) throw engineError('INVALID_ARGUMENT', 'waitChunk must be positive');
  const mppTimeout = options.mppTimeout ?? 60;
  if (!(mppTimeout > 0)) throw engineError('INVALID_ARGUMENT', 'mppTimeout must be positive');
  if (options.lock !== undefined && typeof options.lock !== 'function')
    throw engineError('INVALID_ARGUMENT', 'lock must be a function (name, task) => Promise');
  if (options.learnedHalfLife !== undefined && !(options.learnedHalfLife > 0 && Number.isFinite(options.learnedHalfLife))) {
    throw engineError('INVALID_ARGUMENT', 'learnedHalfLife must be a positive number of seconds');
  }
  const peers = options.peers;
  if (peers !== undefined && (typeof peers?.post !== 'function' || typeof peers.subscribe !== 'function')) {
    throw engineError('INVALID_ARGUMENT', 'peers must have post(message) and subscribe(listener)');
  }
  // The journal's problems reach the engine's `error` event; those met before it exists
  // are told once its creator could listen.
  const early: StorageProblem[] = [];
  let tell: ((problem: StorageProblem) => void) | undefined;
  const journal = await store.open(node.id, { onProblem: (problem) => (tell ? tell(problem) : void early.push(problem)) });
  let pending: PartialPayment[];
  try {
    pending = await reconcilable(journal, await journal.listParts({ status: 'pending' }));
  } catch (error) {
    journal.close();
    throw error;
  }
  const problems = (listener: (problem: StorageProblem) => void): void => {
    tell = listener;
    if (early.length) setTimeout(() => early.splice(0).forEach(listener), 0);
  };
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  return new Engine(node, journal, pending, {
    now,
    waitChunk,
    mppTimeout,
    lock: options.lock ?? localLock(),
    problems,
    ...(peers ? { peers } : {}),
    ...(options.graphRefresh !== undefined ? { graphRefresh: options.graphRefresh } : {}),
    ...(options.learnedHalfLife !== undefined ? { learnedHalfLife: options.learnedHalfLife } : {}),
  });
}

/**
 * The pending parts whose payments the journal can read. A payment with a malformed record
 * is kept aside (the journal reports it, and refuses to change it), so it is not
 * reconciled: trying for ever would hold up every other payment's start.
 */
async function reconcilable(journal: Journal, pending: PartialPayment[]): Promise<PartialPayment[]> {
  const readable = new Set<string>();
  for (const hash of new Set(pending.map((p) => p.payment_hash))) {
    try {
      await journal.read(hash);
      readable.add(hash);
    } catch (error) {
      if (!isStorage(error, 'record')) throw error;
    }
  }
  return pending.filter((p) => readable.has(p.payment_hash));
}
