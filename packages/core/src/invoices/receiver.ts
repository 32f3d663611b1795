/**
 * The partial-invoice engine (docs/engine-rules.md, "Receiving"): invoices, plain and hold,
 * and every incoming part held toward them until the set is claimed, fails back or expires.
 *
 * The engine follows the node's HTLC history (Core Lightning v25.05+: `wait htlcs` and
 * `listhtlcs` by created and updated index), so it learns of each arrival and each removal
 * as it happens, without polling, and misses nothing across a dropped link or a restart:
 * the history is read again from the last index the engine processed. After each batch it
 * asks the node about the invoices it touched (`listinvoices`, `listholdinvoices`).
 *
 * A node without HTLC history (lnd: `Node.waitinvoices`) lists each invoice's HTLCs with
 * the invoice itself; there the engine looks at every open invoice in turn, woken by the
 * node's state changes and its poll interval, and reads the parts from those lists. They
 * outlive restarts as the history does.
 *
 * A hold invoice's preimage is made here (crypto.getRandomValues), journaled sealed
 * (./sealed-preimage.ts) before the node hears of the hash, and opened and handed over only
 * once the node holds parts that reach the amount, by the one engine that took the claim in
 * the journal: once, across restarts and tabs.
 */
import { decodeBolt11 } from '@ampkit/wire';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { AmpkitError, engineError, hasCode } from '../errors.ts';
import type { NodeHoldInvoice, NodeHtlc, NodeInvoice, Node, HtlcIndex } from '../node/node.ts';
import { KeyedLock, Waiters } from '../payments/waiters.ts';
import { nextStart, type Journal, type StoredInvoice } from '../store/store.ts';
import type {
  Invoice,
  InvoiceStatus,
  ListInvoicesRequest,
  ListPageResult,
  ListPartialInvoicesRequest,
  PartGoneReason,
  PartialInvoice,
} from '../types.ts';
import type { PeerMessage } from '../coordination.ts';
import { checkHex32, checkInvoiceKey, checkInvoiceRequest, checkPage, checkTimeout } from '../validate.ts';
import { isStorage } from '../store/storage-errors.ts';
import { holdKey, openPreimage, sealPreimage } from './sealed-preimage.ts';

/** What the receiving side tells a UI. */
export interface ReceiverEvents {
  /** An invoice was created or changed (a part arrived or left, paid, expired). */
  'invoice-updated': Invoice;
  /** A part arrived and is held. */
  'invoice-part': PartialInvoice;
  /** A held part went away unclaimed, and why. */
  'invoice-part-gone': { part: PartialInvoice; reason: PartGoneReason };
  /** The set was claimed: the invoice is paid. */
  'invoice-paid': Invoice;
  /** The invoice expired unpaid (a hold invoice's parts were cancelled). */
  'invoice-expired': Invoice;
}

/** What the receiver needs from the engine that hosts it. */
export interface ReceiverHost {
  node: Node;
  journal: Journal;
  now(): number;
  /** Seconds after which a receiver fails an incomplete set back (BOLT 4: 60). */
  mppTimeout: number;
  emit<K extends keyof ReceiverEvents>(type: K, detail: ReceiverEvents[K]): void;
  isClosed(): boolean;
  /** Reports trouble found in the background (the engine's `error` event). */
  report(error: AmpkitError): void;
  /** Backs off after a failure and reports it; gives the next attempt number. */
  retryAfter(error: unknown, attempt: number): Promise<number>;
  /** Runs `task` holding the hold invoice's lock, shared by every engine on the journal. */
  lock<T>(payment_hash: string, task: () => Promise<T>): Promise<T>;
}

/**
 * An incoming HTLC's states from its arrival until it is fully committed (Core Lightning's
 * names), or an invoice's HTLC held (`accepted`, on a node that lists them by invoice).
 */
const ARRIVING = new Set([
  'RCVD_ADD_HTLC',
  'RCVD_ADD_COMMIT',
  'SENT_ADD_REVOCATION',
  'SENT_ADD_ACK_COMMIT',
  'RCVD_ADD_ACK_REVOCATION',
  'accepted',
]);
/** How long one engine's claim on a hold invoice stops another engine from settling it. */
const CLAIM_LEASE_S = 30;
/** How long a hold invoice the node never confirmed may stay journaled before it is dropped. */
const CREATE_GRACE_S = 60;
/** The longest a timer may be set for. */
const MAX_TIMER_MS = 2_147_483_647;

const keyOf = (scid: string, id: number): string => `${scid}/${id}`;
const hashOf = (preimage: string): string => bytesToHex(sha256(hexToBytes(preimage)));
const sum = (amounts: number[]): number => amounts.reduce((a, b) => a + b, 0);

/** What the node's invoice says, which is what the engine reports (a hold plugin may ignore the request's). */
interface InvoiceTerms {
  expires_at: number;
  description: string;
}

/** A journaled hold invoice once the node has made it: its bolt11, expiry and description, no longer `creating`. */
function made(current: StoredInvoice, bolt11: string, terms: InvoiceTerms): StoredInvoice {
  const { creating: _, ...rest } = current;
  return { ...rest, bolt11, ...terms };
}

/** The public record of a journaled invoice. */
export function publicInvoice(stored: StoredInvoice, now: number): Invoice {
  const status: InvoiceStatus = stored.status === 'unpaid' && now >= stored.expires_at ? 'expired' : stored.status;
  const invoice: Invoice = {
    label: stored.label,
    bolt11: stored.bolt11,
    payment_hash: stored.payment_hash,
    amount_msat: stored.amount_msat,
    description: stored.description,
    status,
    hold: stored.hold,
    created_at: stored.created_at,
    expires_at: stored.expires_at,
    amount_received_msat: stored.amount_received_msat,
    amount_held_msat: status === 'unpaid' ? stored.amount_held_msat : 0,
    parts: stored.parts,
  };
  if (stored.paid_at !== undefined) invoice.paid_at = stored.paid_at;
  if (stored.status === 'paid' && stored.payment_preimage !== undefined) invoice.payment_preimage = stored.payment_preimage;
  return invoice;
}

/** What the node says of one invoice. */
type NodeView = { hold: false; invoice?: NodeInvoice } | { hold: true; invoice?: NodeHoldInvoice };

/** What one journal update of an invoice changed, for the events. */
interface Applied {
  invoice: StoredInvoice;
  arrived: PartialInvoice[];
  gone: { part: PartialInvoice; reason: PartGoneReason }[];
  ended?: 'paid' | 'expired';
}

/** The receiving half of the engine; the engine delegates its receiving methods here. */
export class Receiver {
  private readonly waiters = new Waiters<string, Invoice>();
  private readonly locks = new KeyedLock<string>();
  /** The last created and updated index of the node's HTLC history this engine processed. */
  private cursor?: Record<HtlcIndex, number>;
  private readonly waits: Partial<Record<HtlcIndex, Promise<number>>> = {};
  private readonly abort = new AbortController();
  private watching = false;
  /** Asked to watch while the watcher was finishing: it starts again. */
  private rewatch = false;
  private nudged?: () => void;
  /** A nudge came while no one waited for it: the next turn syncs at once. */
  private nudgePending = false;
  private syncing?: Promise<void>;
  private again = false;
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Open invoices as of this engine's last look: their ends are reported once. */
  private followed = new Set<string>();
  /** Invoices whose end this engine has reported (its own, a peer's, or found in the journal). */
  private readonly ended = new Set<string>();
  /** Hold invoices with parts enough whose set the node had not accepted yet: the next delay. */
  private readonly rechecks = new Map<string, number>();
  private readonly recheckTimers = new Set<ReturnType<typeof setTimeout>>();
  /** Hold invoices whose claim this engine holds. */
  private readonly claims = new Set<string>();
  /** Hold invoices this engine is creating right now. */
  private readonly creating = new Set<string>();
  /** The node answered a hold method once: it has a hold plugin. */
  private holdPlugin = false;
  private firstSync?: () => void;
  /** The node lists each invoice's HTLCs (lnd) instead of keeping an HTLC history. */
  private readonly byInvoice: boolean;
  /** Resolves once invoices an earlier engine left open have been brought up to date. */
  readonly ready: Promise<void>;

  constructor(private readonly host: ReceiverHost) {
    this.byInvoice = host.node.waitinvoices !== undefined;
    this.ready = this.start();
  }

  private async start(): Promise<void> {
    const open = await this.host.journal.listInvoices({ status: 'unpaid' });
    if (open.length === 0) return;
    await this.sealOld(open);
    for (const invoice of open) this.arm(invoice);
    const synced = new Promise<void>((resolve) => (this.firstSync = resolve));
    this.watch();
    await synced;
  }

  /** Creates an invoice at the node and journals it; a hold invoice's preimage is journaled first. */
  async invoice(input: unknown): Promise<Invoice> {
    const request = checkInvoiceRequest(input);
    const { journal, node } = this.host;
    const label = request.label ?? `ampkit-${bytesToHex(randomBytes(8))}`;
    if ((await journal.listInvoices({ label })).length > 0)
      throw engineError('INVALID_ARGUMENT', `label ${label} is taken by another invoice`);
    const htlc_index = this.byInvoice ? 0 : (this.cursor?.created ?? (await node.waithtlcs({ index: 'created', next: 0 })));
    const now = this.host.now();
    const base = {
      label,
      bolt11: '',
      amount_msat: request.amount_msat,
      description: request.description,
      status: 'unpaid' as const,
      hold: request.hold,
      created_at: now,
      expires_at: now + request.expiry,
      amount_received_msat: 0,
      amount_held_msat: 0,
      parts: 0,
      held: [],
      left: [],
      htlc_index,
    };
    let stored: StoredInvoice;
    if (request.hold) {
      const preimage = bytesToHex(randomBytes(32));
      const payment_hash = hashOf(preimage);
      // A node without a hold plugin fails here (HOLD_UNSUPPORTED), before a preimage is
      // journaled for an invoice that can never exist.
      if (!this.holdPlugin) {
        await node.listholdinvoices({ payment_hash });
        this.holdPlugin = true;
      }
      const sealed_preimage = await sealPreimage(await holdKey(journal), preimage, payment_hash);
      // On disk before the node hears of the hash: whatever happens next, the preimage is ours.
      await journal.updateInvoice(
        payment_hash,
        () => ({ invoice: { ...base, payment_hash, sealed_preimage, creating: true }, result: undefined }),
        { durable: true },
      );
      this.creating.add(payment_hash);
      let bolt11: string;
      try {
        ({ bolt11 } = await node.holdinvoice({
          payment_hash,
          amount_msat: request.amount_msat,
          description: request.description,
          expiry: request.expiry,
        }));
      } catch (error) {
        if (hasCode(error, 'CONNECTION', 'TIMEOUT')) this.watch();
        else await this.dropCreating(payment_hash, error);
        throw error;
      } finally {
        this.creating.delete(payment_hash);
      }
      // The plugin makes every invoice with its own expiry and description: the record says what the invoice says.
      const terms = this.checkBolt11(bolt11, payment_hash, request.amount_msat);
      stored = await journal.updateInvoice(payment_hash, (current) => {
        if (!current) throw engineError('NOT_FOUND', 'the invoice left the journal while it was being made');
        const invoice = made(current, bolt11, terms);
        return { invoice, result: invoice };
      });
    } else {
      const made = await node.invoice({
        amount_msat: request.amount_msat,
        label,
        description: request.description,
        expiry: request.expiry,
      });
      this.checkBolt11(made.bolt11, made.payment_hash, request.amount_msat);
      stored = { ...base, payment_hash: made.payment_hash, bolt11: made.bolt11, expires_at: made.expires_at };
      await journal.updateInvoice(made.payment_hash, () => ({ invoice: stored, result: undefined }));
    }
    this.arm(stored);
    this.followed.add(stored.payment_hash);
    this.watch();
    const invoice = publicInvoice(stored, this.host.now());
    this.host.emit('invoice-updated', invoice);
    return invoice;
  }

  /**
   * Refused: the node has no such invoice, so the journaled record and its preimage go
   * (durably: no orphan preimage outlives a crash here). If even that fails, the watcher
   * drops the record later; the refusal is what the caller hears.
   */
  private async dropCreating(payment_hash: string, refusal: unknown): Promise<void> {
    try {
      await this.host.journal.updateInvoice(
        payment_hash,
        (current) => ({ invoice: current?.creating ? null : undefined, result: undefined }),
        { durable: true },
      );
    } catch (error) {
      this.host.report(
        engineError(
          'CONNECTION',
          `could not drop hold invoice ${payment_hash} from the journal after the node refused it (${String(refusal)})`,
          { cause: error },
        ),
      );
      this.watch();
    }
  }

  /**
   * Seals the plain preimages an older version journaled, for invoices still open. A record
   * that fails to seal keeps its plain preimage, which still settles; the next start tries again.
   */
  private async sealOld(open: StoredInvoice[]): Promise<void> {
    for (const old of open) {
      const preimage = old.preimage;
      if (!old.hold || preimage === undefined || old.sealed_preimage !== undefined) continue;
      try {
        const sealed_preimage = await sealPreimage(await holdKey(this.host.journal), preimage, old.payment_hash);
        await this.host.journal.updateInvoice(
          old.payment_hash,
          (current) => {
            if (current?.preimage !== preimage || current.sealed_preimage !== undefined) return { result: undefined };
            const { preimage: _, ...rest } = current;
            return { invoice: { ...rest, sealed_preimage }, result: undefined };
          },
          { durable: true },
        );
      } catch (error) {
        this.host.report(
          error instanceof AmpkitError
            ? error
            : engineError('CONNECTION', `could not seal the preimage of hold invoice ${old.payment_hash} in the journal`, { cause: error }),
        );
      }
    }
  }

  /** The node's invoice must be for our hash and amount, from our node; gives its expiry time and description. */
  private checkBolt11(bolt11: string, payment_hash: string, amount_msat: number): InvoiceTerms {
    let decoded: ReturnType<typeof decodeBolt11>;
    try {
      decoded = decodeBolt11(bolt11);
    } catch (error) {
      throw engineError('BAD_REPLY', `the node's invoice does not decode: ${(error as Error).message}`, { cause: error });
    }
    if (decoded.payment_hash !== payment_hash || decoded.amount_msat !== amount_msat || decoded.payee !== this.host.node.id) {
      throw engineError('BAD_REPLY', "the node's invoice is not for this payment hash, amount and node");
    }
    return { expires_at: decoded.created_at + decoded.expiry, description: decoded.description ?? '' };
  }

  /**
   * Invoices by label or hash, or all; ordered by creation, paged by created index (types.ts
   * `ListPage`). A page's `next_start` follows the journal's rows, so an invoice still being
   * made (not listed) never cuts a page short of where the next one starts.
   */
  async listinvoices(input: ListInvoicesRequest = {}): Promise<{ invoices: Invoice[] } & ListPageResult> {
    const page = checkPage(input, 'listinvoices');
    const payment_hash = input.payment_hash === undefined ? undefined : checkHex32(input.payment_hash, 'payment_hash');
    if (input.label !== undefined && typeof input.label !== 'string') throw engineError('INVALID_ARGUMENT', 'label must be a string');
    const stored = await this.host.journal.listInvoices({
      ...(payment_hash !== undefined ? { payment_hash } : {}),
      ...(input.label !== undefined ? { label: input.label } : {}),
      ...page,
    });
    const now = this.host.now();
    return {
      invoices: stored.filter((i) => !i.creating).map((i) => publicInvoice(i, now)),
      ...nextStart(stored, page.limit, (i) => i.created_index!),
    };
  }

  /**
   * Every part held now toward an unpaid invoice (or one invoice), oldest first. Paged by
   * invoice: the parts of at most `limit` unpaid invoices from created index `start` on.
   */
  async listpartialinvoices(input: ListPartialInvoicesRequest = {}): Promise<{ partialinvoices: PartialInvoice[] } & ListPageResult> {
    const page = checkPage(input, 'listpartialinvoices');
    const payment_hash = input.payment_hash === undefined ? undefined : checkHex32(input.payment_hash, 'payment_hash');
    const open = await this.host.journal.listInvoices({
      status: 'unpaid',
      ...(payment_hash !== undefined ? { payment_hash } : {}),
      ...page,
    });
    const now = this.host.now();
    const parts = open.filter((i) => now < i.expires_at).flatMap((i) => i.held);
    return {
      partialinvoices: parts.sort((a, b) => a.incoming_time_unix - b.incoming_time_unix),
      ...nextStart(open, page.limit, (i) => i.created_index!),
    };
  }

  /**
   * Waits until the invoice is paid or expired and gives its record. `TIMEOUT` when
   * `timeout` seconds pass first, `NOT_FOUND` for an unknown invoice.
   */
  async waitinvoice(input: unknown): Promise<Invoice> {
    const key = checkInvoiceKey(input);
    const timeout = checkTimeout((input as { timeout?: unknown }).timeout);
    const [stored] = await this.host.journal.listInvoices(key);
    if (!stored || stored.creating)
      throw engineError('NOT_FOUND', `no invoice with ${'label' in key ? `label ${key.label}` : `payment_hash ${key.payment_hash}`}`);
    const hash = stored.payment_hash;
    const waiting = this.waiters.add(hash, timeout, `invoice ${stored.label}`);
    const current = publicInvoice((await this.host.journal.getInvoice(hash)) ?? stored, this.host.now());
    if (current.status !== 'unpaid') this.waiters.resolve(hash, current);
    else if (timeout === 0) this.waiters.reject(hash, engineError('TIMEOUT', `invoice ${stored.label} is unpaid`));
    else if (current.status === 'unpaid' && this.host.now() >= stored.expires_at) this.nudge();
    return waiting;
  }

  close(error: AmpkitError): void {
    this.abort.abort();
    for (const timer of [...this.timers.values(), ...this.recheckTimers]) clearTimeout(timer);
    this.timers.clear();
    this.recheckTimers.clear();
    this.waiters.rejectAll(error);
    this.nudge();
  }

  /** Wakes the watcher at the invoice's expiry. */
  private arm(invoice: StoredInvoice): void {
    // A receiver closed while it was starting (or mid-update) keeps no timer: nothing would clear it.
    if (this.abort.signal.aborted) return;
    clearTimeout(this.timers.get(invoice.payment_hash));
    const ms = Math.max(0, (invoice.expires_at - this.host.now()) * 1000 + 50);
    this.timers.set(
      invoice.payment_hash,
      setTimeout(
        () => {
          this.timers.delete(invoice.payment_hash);
          if (this.host.now() < invoice.expires_at) this.arm(invoice);
          else this.nudge();
        },
        Math.min(ms, MAX_TIMER_MS),
      ),
    );
  }

  private nudge(): void {
    this.nudgePending = true;
    const wake = this.nudged;
    this.nudged = undefined;
    wake?.();
  }

  /** Starts the watcher if it is not running; it runs while any invoice is open. */
  private watch(): void {
    if (this.host.isClosed()) return;
    if (this.watching) {
      this.rewatch = true;
      this.nudge();
      return;
    }
    this.watching = true;
    this.rewatch = false;
    void this.loop().finally(() => {
      this.watching = false;
      this.firstSync?.();
      if (this.rewatch) this.watch();
    });
  }

  private async loop(): Promise<void> {
    const { node } = this.host;
    for (let attempt = 0; !this.host.isClosed();) {
      try {
        await node.connected();
      } catch {
        return;
      }
      try {
        this.cursor ??= this.byInvoice ? { created: 0, updated: 0 } : await this.startCursor();
        this.nudgePending = false;
        await this.sync();
        this.firstSync?.();
        this.firstSync = undefined;
        const open = await this.host.journal.listInvoices({ status: 'unpaid' });
        await this.finishedElsewhere(open);
        if (open.length === 0) return;
        if (!this.nudgePending) {
          const woken = new Promise<void>((resolve) => (this.nudged = resolve));
          const changes = this.byInvoice
            ? [node.waitinvoices!({ payment_hashes: open.map((i) => i.payment_hash), signal: this.abort.signal })]
            : [this.waitFor('created'), this.waitFor('updated')];
          await Promise.race([...changes, woken]);
        }
        attempt = 0;
      } catch (error) {
        if (this.host.isClosed()) return;
        attempt = await this.host.retryAfter(error, attempt);
      }
    }
  }

  /**
   * Invoices this engine followed that another engine on the journal (a tab) finished:
   * their end is reported here too, so listeners and waiters of every engine learn of it.
   */
  private async finishedElsewhere(open: StoredInvoice[]): Promise<void> {
    const still = new Set(open.map((i) => i.payment_hash));
    for (const hash of this.followed) {
      if (still.has(hash)) continue;
      const invoice = await this.host.journal.getInvoice(hash);
      if (invoice && invoice.status !== 'unpaid' && this.followed.has(hash))
        this.report({ invoice, arrived: [], gone: [], ended: invoice.status });
    }
    for (const hash of this.followed) if (!still.has(hash)) this.followed.delete(hash);
    for (const hash of still) this.followed.add(hash);
  }

  /** One outstanding `wait htlcs` per index, kept across turns of the loop. */
  private waitFor(index: HtlcIndex): Promise<number> {
    let wait = this.waits[index];
    if (!wait) {
      wait = this.host.node.waithtlcs({ index, next: this.cursor![index] + 1, signal: this.abort.signal }).finally(() => {
        if (this.waits[index] === wait) delete this.waits[index];
      });
      wait.catch(() => undefined);
      this.waits[index] = wait;
    }
    return wait;
  }

  /**
   * Where to start reading the node's HTLC history: from the oldest open invoice's
   * creation (its parts all come after), and the updated index as it is now (the created
   * rows give each HTLC's current state).
   */
  private async startCursor(): Promise<Record<HtlcIndex, number>> {
    const { node, journal } = this.host;
    const updated = await node.waithtlcs({ index: 'updated', next: 0 });
    const open = await journal.listInvoices({ status: 'unpaid' });
    const created = open.length ? Math.min(...open.map((i) => i.htlc_index)) : await node.waithtlcs({ index: 'created', next: 0 });
    return { created, updated };
  }

  /** Runs a sync now, or once more after the one running. */
  private sync(): Promise<void> {
    if (this.syncing) {
      this.again = true;
      return this.syncing;
    }
    const run = async (): Promise<void> => {
      do {
        this.again = false;
        await this.syncOnce();
      } while (this.again && !this.host.isClosed());
    };
    this.syncing = run().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  /** Reads the HTLC history since the cursor, asks the node about touched invoices, journals. */
  private async syncOnce(): Promise<void> {
    const { node, journal } = this.host;
    if (this.byInvoice) {
      // Each invoice lists its own HTLCs: every open one is looked at (refresh reads its rows).
      const open = await journal.listInvoices({ status: 'unpaid' });
      await Promise.all(open.map((i) => this.locks.run(i.payment_hash, () => this.refresh(i, []))));
      return;
    }
    const cursor = this.cursor!;
    const [created, updated] = await Promise.all([
      node.listhtlcs({ index: 'created', start: cursor.created + 1 }),
      node.listhtlcs({ index: 'updated', start: cursor.updated + 1 }),
    ]);
    const rowsByHash = new Map<string, NodeHtlc[]>();
    for (const row of latestRows([...created, ...updated]))
      rowsByHash.set(row.payment_hash, [...(rowsByHash.get(row.payment_hash) ?? []), row]);

    const now = this.host.now();
    const open = await journal.listInvoices({ status: 'unpaid' });
    const touched = open.filter(
      (i) =>
        rowsByHash.has(i.payment_hash) ||
        now >= i.expires_at ||
        i.creating ||
        i.settling_at !== undefined ||
        i.cancelled ||
        // Parts enough, but the node had not accepted the set when last asked.
        (i.hold && i.amount_held_msat >= i.amount_msat),
    );
    await Promise.all(touched.map((i) => this.locks.run(i.payment_hash, () => this.refresh(i, rowsByHash.get(i.payment_hash) ?? []))));
    // Advance only once every touched invoice is journaled: a failure reads the rows again.
    cursor.created = Math.max(cursor.created, ...created.map((r) => r.created_index));
    cursor.updated = Math.max(cursor.updated, ...updated.map((r) => r.updated_index ?? 0));
  }

  /** Asks the node about one invoice, journals what changed, and claims or cancels a hold invoice. */
  private async refresh(invoice: StoredInvoice, rows: NodeHtlc[]): Promise<void> {
    const { node, journal } = this.host;
    const hash = invoice.payment_hash;
    const ask = async (): Promise<NodeView> =>
      invoice.hold
        ? { hold: true, invoice: (await node.listholdinvoices({ payment_hash: hash }))[0] }
        : { hold: false, invoice: (await node.listinvoices({ payment_hash: hash }))[0] };
    let view: NodeView;
    try {
      view = await ask();
    } catch (error) {
      // A node without a hold plugin cannot have made the invoice: its record goes.
      if (!invoice.creating || this.creating.has(hash) || !hasCode(error, 'HOLD_UNSUPPORTED')) throw error;
      await journal.updateInvoice(hash, (current) => ({ invoice: current?.creating ? null : undefined, result: undefined }), {
        durable: true,
      });
      return;
    }

    if (invoice.creating) {
      if (view.hold && view.invoice) {
        const bolt11 = view.invoice.bolt11;
        const terms = this.checkBolt11(bolt11, hash, invoice.amount_msat);
        await journal.updateInvoice(hash, (current) => ({
          invoice: current?.creating ? made(current, bolt11, terms) : undefined,
          result: undefined,
        }));
      } else if (!this.creating.has(hash) && this.host.now() - invoice.created_at > CREATE_GRACE_S) {
        await journal.updateInvoice(hash, (current) => ({ invoice: current?.creating ? null : undefined, result: undefined }));
      }
      return;
    }

    if (view.hold && view.invoice) {
      const hold = view.invoice;
      // The plugin says `accepted` once the parts it holds reach the amount; its rows must
      // agree (rows of refused and timed-out parts are `cancelled` and count for nothing).
      // Never settle anything less: the plugin would release an incomplete set's parts.
      const complete =
        hold.state === 'accepted' && sum(hold.htlcs.filter((h) => h.state === 'accepted').map((h) => h.amount_msat)) >= invoice.amount_msat;
      if (complete) {
        if (await this.claim(invoice)) view = await ask();
      } else if (this.host.now() >= invoice.expires_at && hold.state !== 'paid' && hold.state !== 'cancelled') {
        if (await this.cancel(invoice)) view = await ask();
      }
    }

    if (this.byInvoice) rows = invoiceRows(hash, view);
    else if (!view.hold && view.invoice?.status === 'paid') {
      // The claim may have come after the rows of this sync were read: parts that arrived and
      // were claimed since are in the history past the cursor. Read it again, so that the
      // paid invoice counts (and reports) every part it was paid with.
      const seen = new Set(invoice.held.map((p) => keyOf(p.incoming_scid, p.htlc_id)));
      const known =
        sum(invoice.held.map((p) => p.partial_amount_msat)) +
        sum(rows.filter((r) => !seen.has(keyOf(r.short_channel_id, r.id))).map((r) => r.amount_msat));
      if (known < (view.invoice.amount_received_msat ?? 0) && this.cursor) {
        const since = await Promise.all([
          node.listhtlcs({ index: 'created', start: this.cursor.created + 1 }),
          node.listhtlcs({ index: 'updated', start: this.cursor.updated + 1 }),
        ]);
        rows = latestRows([...rows, ...since.flat()]).filter((r) => r.payment_hash === hash);
      }
    }

    const applied = await journal.updateInvoice(hash, (current): { invoice?: StoredInvoice; result: Applied | undefined } => {
      if (!current || current.creating) return { result: undefined };
      // Another engine on this journal finished it first: tell our listeners and waiters too.
      if (current.status !== 'unpaid')
        return { result: this.followed.has(hash) ? { invoice: current, arrived: [], gone: [], ended: current.status } : undefined };
      const out = this.apply(current, rows, view);
      return { invoice: out.invoice, result: out };
    });
    if (applied) this.report(applied);
    // The node counts a part toward a hold invoice a moment after its HTLC is committed:
    // with parts enough held but the set not yet accepted, ask again shortly.
    const after = applied?.invoice;
    if (after?.hold && after.status === 'unpaid' && after.amount_held_msat >= after.amount_msat) this.recheck(hash);
    else this.rechecks.delete(hash);
  }

  private recheck(hash: string): void {
    if (this.abort.signal.aborted) return;
    const delay = Math.min(1000, (this.rechecks.get(hash) ?? 10) * 2);
    this.rechecks.set(hash, delay);
    const timer = setTimeout(() => {
      this.recheckTimers.delete(timer);
      this.nudge();
    }, delay);
    this.recheckTimers.add(timer);
  }

  /**
   * The journal update of one invoice: parts that arrived and left (each counted once, by
   * channel and HTLC id), and the invoice's status as the node reports it.
   */
  private apply(current: StoredInvoice, rows: NodeHtlc[], view: NodeView): Applied {
    const now = this.host.now();
    const invoice: StoredInvoice = { ...current };
    const held = new Map(current.held.map((p) => [keyOf(p.incoming_scid, p.htlc_id), p]));
    const left = new Set(current.left);
    const nodeRows = new Map((view.invoice?.htlcs ?? []).map((h) => [keyOf(h.short_channel_id, h.id), h]));
    const setStart = Math.min(now, ...current.held.map((p) => p.incoming_time_unix));
    const arrived: PartialInvoice[] = [];
    const leaving: PartialInvoice[] = [];
    for (const row of rows) {
      const key = keyOf(row.short_channel_id, row.id);
      if (left.has(key)) continue;
      const before = held.get(key);
      const part: PartialInvoice = {
        payment_hash: current.payment_hash,
        total_amount_msat: current.amount_msat,
        incoming_scid: row.short_channel_id,
        htlc_id: row.id,
        partial_amount_msat: row.amount_msat,
        incoming_time_unix: before?.incoming_time_unix ?? nodeRows.get(key)?.created_at ?? now,
        expiry: row.expiry,
        state: row.state,
      };
      if (!before) arrived.push(part);
      if (ARRIVING.has(row.state)) held.set(key, part);
      else {
        held.delete(key);
        left.add(key);
        leaving.push(part);
      }
    }

    const paid = view.invoice && (view.hold ? view.invoice.state === 'paid' : view.invoice.status === 'paid');
    const expired =
      !paid && (now >= current.expires_at || (view.hold ? view.invoice?.state === 'cancelled' : view.invoice?.status === 'expired'));
    let ended: Applied['ended'];
    let gone: Applied['gone'] = [];
    if (paid) {
      ended = 'paid';
      invoice.status = 'paid';
      if (view.hold) {
        const hold = view.invoice as NodeHoldInvoice;
        // The parts the plugin settled (its rows turn `paid`), or (a plugin that forgets them) ours.
        const settled = hold.htlcs.filter((h) => h.state === 'paid');
        const claimed = settled.length
          ? settled.map((h) => h.amount_msat)
          : [...held.values(), ...leaving].map((p) => p.partial_amount_msat);
        invoice.amount_received_msat = sum(claimed);
        invoice.parts = claimed.length;
        invoice.paid_at = hold.paid_at ?? now;
        // The node's row of a settled invoice carries the preimage (checked by the adapter):
        // the sealed one is not opened for the record, and goes with it below.
        invoice.payment_preimage = hold.preimage ?? current.preimage!;
      } else {
        const plain = view.invoice as NodeInvoice;
        invoice.amount_received_msat = plain.amount_received_msat!;
        // The claimed set: the HTLCs the node lists as settled; else the parts held until
        // now, plus those the claim removed in this batch.
        const settled = plain.htlcs?.filter((h) => h.state === 'paid').length;
        invoice.parts = settled || Math.max(1, held.size + leaving.length);
        invoice.paid_at = plain.paid_at!;
        invoice.payment_preimage = plain.payment_preimage!;
      }
      delete invoice.preimage;
      delete invoice.sealed_preimage;
      held.clear();
      left.clear();
    } else if (expired) {
      ended = 'expired';
      invoice.status = 'expired';
      const reason: PartGoneReason = now >= current.expires_at ? 'expired' : 'cancelled';
      gone = [...leaving, ...held.values()].map((part) => ({ part, reason }));
      held.clear();
      left.clear();
    } else {
      // Unclaimed parts that left: the set's timeout (BOLT 4 mpp_timeout) or another failure.
      // A node that times each part out on its own (lnd) says how long that part was held.
      const heldFor = (part: PartialInvoice): number => {
        const row = nodeRows.get(keyOf(part.incoming_scid, part.htlc_id));
        return row?.resolved_at !== undefined ? row.resolved_at - row.created_at : now - setStart;
      };
      gone = leaving.map((part) => ({ part, reason: heldFor(part) >= this.host.mppTimeout - 1 ? 'timeout' : 'failed' }));
    }
    invoice.held = [...held.values()];
    invoice.left = [...left];
    invoice.amount_held_msat = sum(invoice.held.map((p) => p.partial_amount_msat));
    if (!paid) invoice.parts = invoice.held.length;
    return { invoice, arrived, gone, ...(ended ? { ended } : {}) };
  }

  private report(applied: Applied): void {
    const { emit } = this.host;
    const invoice = publicInvoice(applied.invoice, this.host.now());
    if (applied.ended && !applied.arrived.length && !applied.gone.length && this.ended.has(invoice.payment_hash)) return;
    for (const part of applied.arrived) emit('invoice-part', part);
    for (const gone of applied.gone) emit('invoice-part-gone', gone);
    if (applied.arrived.length || applied.gone.length || applied.ended) emit('invoice-updated', invoice);
    if (applied.ended) {
      this.forget(invoice.payment_hash);
      emit(applied.ended === 'paid' ? 'invoice-paid' : 'invoice-expired', invoice);
      this.waiters.resolve(invoice.payment_hash, invoice);
    }
  }

  /** An invoice has ended: stop following it, once. */
  private forget(hash: string): void {
    this.ended.add(hash);
    this.followed.delete(hash);
    clearTimeout(this.timers.get(hash));
    this.timers.delete(hash);
    this.claims.delete(hash);
  }

  /**
   * Another engine on the journal changed an invoice. Its end wakes this engine's waiters
   * (and is reported once: false when this engine already did); an invoice made there is
   * followed here too, so whichever tab stays open sees it through. True when the event
   * is news to this engine's listeners.
   */
  fromPeer(message: PeerMessage): boolean {
    if (message.type === 'invoice-paid' || message.type === 'invoice-expired') {
      const invoice = message.detail as Invoice;
      if (this.ended.has(invoice.payment_hash)) return false;
      this.forget(invoice.payment_hash);
      this.waiters.resolve(invoice.payment_hash, invoice);
    } else if (message.type === 'invoice-updated') {
      const invoice = message.detail as Invoice;
      if (invoice.status === 'unpaid' && !this.followed.has(invoice.payment_hash)) void this.adopt(invoice.payment_hash);
    }
    return true;
  }

  /** Follows an open invoice another engine made. */
  private async adopt(hash: string): Promise<void> {
    try {
      const stored = await this.host.journal.getInvoice(hash);
      if (!stored || stored.status !== 'unpaid' || stored.creating || this.host.isClosed() || this.ended.has(hash)) return;
      this.arm(stored);
      this.followed.add(hash);
      this.watch();
    } catch (error) {
      if (!this.host.isClosed())
        this.host.report(engineError('CONNECTION', `could not read invoice ${hash} from the journal`, { cause: error }));
    }
  }

  /**
   * Hands the preimage of a complete hold invoice to the node. The claim is taken in the
   * journal first, in one transaction, so of two engines (tabs) only one ever settles; an
   * engine that died holding the claim loses it after {@link CLAIM_LEASE_S}. True when
   * this engine settled.
   */
  private claim(invoice: StoredInvoice): Promise<boolean> {
    return this.host.lock(invoice.payment_hash, () => this.claimLocked(invoice));
  }

  private async claimLocked(invoice: StoredInvoice): Promise<boolean> {
    const hash = invoice.payment_hash;
    const mine = this.claims.has(hash);
    const claimed = await this.host.journal.updateInvoice(
      hash,
      (current) => {
        if (
          !current ||
          (current.sealed_preimage === undefined && current.preimage === undefined) ||
          current.status !== 'unpaid' ||
          current.cancelled
        )
          return { result: undefined };
        const now = this.host.now();
        if (current.settling_at !== undefined && !mine && now - current.settling_at < CLAIM_LEASE_S) return { result: undefined };
        const invoice = { ...current, settling_at: now };
        return { invoice, result: invoice };
      },
      { durable: true },
    );
    if (!claimed) return false;
    this.claims.add(hash);
    let preimage: string;
    try {
      // The one place the preimage is opened: on its way to the node, checked against the hash.
      preimage = await openPreimage(this.host.journal, claimed);
    } catch (error) {
      if (!isStorage(error, 'record')) throw error;
      // The journal has no preimage that settles this invoice (tampered or corrupt): it can
      // never be paid, so the payer's parts go back now rather than at its expiry.
      this.host.report(error);
      return this.cancel(claimed, claimed.settling_at);
    }
    try {
      await this.host.node.settleholdinvoice({ preimage });
    } catch (error) {
      // Refused (the plugin settles a paid invoice again without complaint, so this is
      // "no HTLCs to settle": cancelled meanwhile, near the HTLCs' expiry; or the invoice
      // gone): the node's state, read next, decides. A dropped link is retried by the watcher.
      if (!hasCode(error, 'NODE_ERROR', 'NOT_FOUND')) throw error;
    }
    return true;
  }

  /**
   * Cancels an expired hold invoice, unless an engine is settling it (`claimed`: this
   * engine's claim, taken at that time, which it gives up). True when cancelled.
   */
  private async cancel(invoice: StoredInvoice, claimed?: number): Promise<boolean> {
    const ok = await this.host.journal.updateInvoice(invoice.payment_hash, (current) => {
      if (!current || current.status !== 'unpaid' || (current.settling_at !== undefined && current.settling_at !== claimed))
        return { result: false };
      const { settling_at: _, ...rest } = current;
      return { invoice: { ...rest, cancelled: true }, result: true };
    });
    if (!ok) return false;
    try {
      await this.host.node.cancelholdinvoice({ payment_hash: invoice.payment_hash });
    } catch (error) {
      // Paid already ("state paid is final") or gone: the node's state, read next, decides.
      if (!hasCode(error, 'NODE_ERROR', 'NOT_FOUND')) throw error;
    }
    return true;
  }
}

/** An invoice's own HTLC list as history rows (a node without HTLC history). */
function invoiceRows(payment_hash: string, view: NodeView): NodeHtlc[] {
  return (view.invoice?.htlcs ?? []).map((h) => ({
    short_channel_id: h.short_channel_id,
    id: h.id,
    expiry: h.expiry ?? 0,
    amount_msat: h.amount_msat,
    direction: 'in',
    payment_hash,
    state: h.state,
    created_index: 0,
  }));
}

/** The incoming HTLCs of history rows, each in its furthest state (an HTLC in both lists, or twice). */
function latestRows(rows: readonly NodeHtlc[]): NodeHtlc[] {
  const latest = new Map<string, NodeHtlc>();
  for (const row of rows) {
    if (row.direction !== 'in') continue;
    const key = keyOf(row.short_channel_id, row.id);
    const had = latest.get(key);
    if (!had || (ARRIVING.has(had.state) && !ARRIVING.has(row.state))) latest.set(key, row);
  }
  return [...latest.values()];
}
