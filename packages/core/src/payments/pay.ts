/**
 * `pay()` (docs/engine-rules.md, "Sending": the high-level call built on `sendpartialpay`).
 * A planner (the local one in planner/local.ts, or the node's `getroutes`: node-finder.ts)
 * plans paths for what is neither delivered nor in flight, within what is left of the fee
 * budget and of `maxparts`; every path goes out through the engine's own `sendpartialpay`,
 * so every part is journaled and the OVERPAY guard holds; the planner hears how each part
 * ended, and when parts fail it is asked again for the remainder. When it finds no route
 * while parts are in flight, pay() waits for one of them to end and asks again; when
 * nothing is in flight and parts have failed, it waits a little (up to three times) and
 * asks again with the avoided directions forgotten. At `retry_for`, or when it finds no
 * route after that, nothing more is sent: every part in flight is waited for (the payee's
 * `mpp_timeout` fails the held parts of an incomplete set) and the result says why in plain
 * words.
 */
import { longTimeout } from '@ampkit/wire';
import { AmpkitError, engineError, hasCode } from '../errors.ts';
import type { Node, NodeRoute } from '../node/node.ts';
import type { PaymentView } from '../store/store.ts';
import type {
  AlreadyComplete,
  PartialPayment,
  Payment,
  PaymentStatus,
  PayFailKind,
  PayPart,
  PayProgress,
  PlannerName,
  PayResult,
  SendPartialPayRequest,
  SentPart,
} from '../types.ts';
import type { PayPlan } from '../validate.ts';
import { TOO_DEAR } from './reasons.ts';

/** What a planner is asked for: paths for the remainder of one payment. */
export interface FindRequest {
  destination: string;
  amount_msat: number;
  /** What is left of the fee budget. */
  maxfee_msat: number;
  /** Parts this plan may use. */
  maxparts: number;
  final_cltv: number;
  route_hints?: PayPlan['route_hints'];
  /** This payment's parts not failed (this pay()'s and an earlier engine's). */
  live: PartialPayment[];
  /** Directions (`scid/direction`) this payment must not use again. */
  avoid: ReadonlySet<string>;
}

/** A path a planner found, and which planner found it. */
export interface FoundRoute extends NodeRoute {
  planner?: PlannerName;
}

/** Who plans a `pay()`'s routes. */
export interface RouteFinder {
  /**
   * The paths, or why there are none in words. Rejects with `CONNECTION` or `TIMEOUT` when
   * the node cannot be asked, with anything else when planning itself failed.
   */
  find(request: FindRequest): Promise<FoundRoute[] | string>;
  /** One of this pay()'s parts ended; returns a direction to avoid from now on, if any. */
  resolved?(part: PartialPayment, concurrent: PartialPayment[]): string | undefined;
  /** The payment completed with these parts. */
  completed?(parts: PartialPayment[]): void;
  /**
   * pay() waited after finding no route and asks again: what this payment's failures ruled
   * out may be back, so forget it (the avoided directions are forgotten too).
   */
  forget?(): void;
  /** pay() ended, however: release what was held for it (the node planner's askrene layer). */
  finished?(): Promise<void>;
}

/** What `pay()` needs of the engine. */
export interface PayContext {
  node: Node;
  /** Plans the routes. */
  finder: RouteFinder;
  /** Unix seconds. */
  now(): number;
  /** The payment and all its parts, as journaled. */
  read(payment_hash: string): Promise<PaymentView>;
  /** `sendpartialpay`; `created` gets the part once journaled, before the node sees it. */
  send(request: SendPartialPayRequest, created: (part: PartialPayment) => void): Promise<SentPart | AlreadyComplete>;
  /**
   * Resolves with the part once complete or failed; rejects with `CONNECTION` when the
   * engine closes or the link is gone for good. `watch`: ask the node about it too (a part
   * this `pay()` did not send, which nothing may be watching).
   */
  settled(id: number, watch: boolean): Promise<PartialPayment>;
  progress(progress: PayProgress): void;
  /** Aborts when the engine closes. */
  signal: AbortSignal;
  /**
   * The payment, complete, when the node has it so though this journal did not (it is then
   * recorded); `OVERPAY` when the node has parts of it in flight that this journal lacks.
   */
  known(plan: PayPlan): Promise<Payment | undefined>;
}

/** A planner's no-route reason that says paths exist but cost more than the budget (ours, or the node's). */
const DEAR = new RegExp(`${TOO_DEAR}|fee budget|too expensive|excessive`, 'i');
/** BOLT 4: a failure with the PERM bit from the payee itself means it will never accept this payment. */
const PERM = 0x4000;
/** Pauses after rounds whose parts all failed at once, so a broken first hop is not hammered. */
const BACKOFF_MS = [100, 250, 500, 1000, 2000];
/** Pauses before asking again when no route is left after parts failed, and nothing is in flight. */
const REPLAN_MS = [250, 1000, 2000];

const pending = (p: PartialPayment) => p.status === 'pending';
const complete = (p: PartialPayment) => p.status === 'complete';
const live = (p: PartialPayment) => p.status !== 'failed';
const total = (parts: PartialPayment[], of: (p: PartialPayment) => number) => parts.reduce((sum, p) => sum + of(p), 0);
const fee = (p: { amount_sent_msat: number; amount_msat: number }) => p.amount_sent_msat - p.amount_msat;
const amount = (p: PartialPayment) => p.amount_msat;

/** Runs one `pay()`. The engine makes sure only one runs per payment hash. */
export async function pay(ctx: PayContext, plan: PayPlan): Promise<PayResult> {
  const { node, finder, signal } = ctx;
  /** Why the engine stopped: its reason (a lost journal's `STORAGE`), else `CONNECTION`. */
  const closed = (): AmpkitError =>
    signal.reason instanceof AmpkitError ? signal.reason : engineError('CONNECTION', 'the engine was closed');
  const hash = plan.payment_hash;
  const started = ctx.now();
  /** The parts this pay() sent, in order, as last heard of. */
  const mine: PartialPayment[] = [];
  /** Who planned each of them, by part id. */
  const plannedBy = new Map<number, PlannerName>();
  const told = (p: PartialPayment): PayPart => {
    const by = plannedBy.get(p.id);
    return by === undefined ? p : { ...p, planner: by };
  };
  /** Each followed part's resolution, as a value: this never rejects. */
  const waits = new Map<number, Promise<PartialPayment | AmpkitError>>();
  /** Why nothing more is sent, once that is so. */
  let stop: string | undefined;
  /** The kind of `stop`. */
  let kind: PayFailKind = 'node-refused';
  const halt = (why: string, as: PayFailKind): void => {
    if (stop !== undefined) return;
    stop = why;
    kind = as;
  };
  /** The journal's refusal of a part (`STORAGE`), which ends this pay() if it does not complete. */
  let refusal: AmpkitError | undefined;
  /** Why the planner found no route while parts were in flight: asked again once one ends. */
  let blocked: string | undefined;
  /** Directions the planner was told to leave alone. */
  const avoid = new Set<string>();
  let preimage: string | undefined;
  let quickFails = 0;
  /** Times the planner was asked again after it found no route with nothing in flight. */
  let replans = 0;
  /** Whether the node was asked about a payment this journal had not seen. */
  let asked = false;

  const progress = (status: PaymentStatus, failreason?: string, failkind?: PayFailKind): PayProgress => ({
    payment_hash: hash,
    amount_msat: plan.amount_msat,
    maxfee_msat: plan.maxfee_msat,
    status,
    parts: mine.map(told),
    attempts: mine.length,
    amount_delivered_msat: total(mine.filter(complete), amount),
    amount_inflight_msat: total(mine.filter(pending), amount),
    fee_msat: total(mine.filter(live), fee),
    ...(failreason !== undefined ? { failreason } : {}),
    ...(failkind !== undefined ? { failkind } : {}),
  });

  /** Follows a part until it resolves; this pay()'s own parts are reported as they do. */
  const follow = (part: PartialPayment, ours: boolean): void => {
    if (waits.has(part.id)) return;
    const settled = ctx.settled(part.id, !ours).then(
      (done) => {
        if (ours) {
          mine[mine.findIndex((p) => p.id === done.id)] = done;
          try {
            const leave = finder.resolved?.(done, mine.filter(pending));
            if (leave !== undefined) avoid.add(leave);
          } catch {
            // Learning is for the next plan; it never fails a payment.
          }
          ctx.progress(progress('pending'));
        }
        return done;
      },
      (error: AmpkitError) => error,
    );
    waits.set(part.id, settled);
  };

  const forget = (): void => {
    try {
      finder.forget?.();
    } catch {
      // as for resolved()
    }
  };

  const timers = new Set<() => void>();
  const after = (ms: number) =>
    new Promise<void>((resolve) => {
      const cancel = longTimeout(
        () => {
          timers.delete(cancel);
          resolve();
        },
        Math.max(0, ms),
      );
      timers.add(cancel);
    });
  let onAbort!: () => void;
  const aborted = new Promise<void>((resolve) => (onAbort = resolve));
  signal.addEventListener('abort', onAbort, { once: true });
  const deadline = Date.now() + plan.retry_for * 1000;
  const expired = after(deadline - Date.now());
  /** Waits `ms` (never past the deadline) or until the engine closes. */
  const pause = async (ms: number) => {
    await Promise.race([after(Math.min(ms, deadline - Date.now())), aborted]);
    if (signal.aborted) throw closed();
  };
  /** Waits until the link is back (rejects with CONNECTION when it never will be). */
  const linkBack = async () => {
    await Promise.race([node.connected(), aborted]);
    await pause(BACKOFF_MS[0]!);
  };

  const finish = (status: 'complete' | 'failed', failreason: string | undefined, before?: Payment): PayResult => {
    const last = progress(status, failreason, status === 'failed' ? kind : undefined);
    const already = status === 'complete' && mine.length === 0;
    if (already) last.amount_delivered_msat = plan.amount_msat;
    ctx.progress(last);
    const proof = preimage ?? mine.find(complete)?.payment_preimage ?? before?.payment_preimage;
    return {
      ...last,
      status,
      ...(status === 'complete' && proof !== undefined ? { payment_preimage: proof } : {}),
      ...(already ? { already_complete: true as const } : {}),
      destination: plan.destination,
      created_at: already && before ? before.created_at : started,
      completed_at: (already ? before?.completed_at : undefined) ?? ctx.now(),
    };
  };

  /**
   * Asks the planner for paths for `remaining` and sends them. No route: `blocked` while
   * parts are in flight (asked again once one ends), else `stop`.
   */
  const round = async (remaining: number, slots: number, others: PartialPayment[]): Promise<void> => {
    const budget = plan.maxfee_msat - total(mine.filter(live), fee);
    let routes: FoundRoute[] | string;
    try {
      routes = await finder.find({
        destination: plan.destination,
        amount_msat: remaining,
        maxfee_msat: budget,
        maxparts: slots,
        final_cltv: plan.final_cltv,
        ...(plan.route_hints ? { route_hints: plan.route_hints } : {}),
        live: [...mine.filter(live), ...others.filter(live)],
        avoid,
      });
    } catch (error) {
      if (signal.aborted) throw closed();
      if (hasCode(error, 'CONNECTION', 'TIMEOUT')) await linkBack();
      else halt(`could not plan routes: ${(error as Error).message}`, 'node-refused');
      return;
    }
    if (typeof routes === 'string') {
      const why = `no route for the remaining ${remaining} msat within the fee budget (${budget} msat left): ${routes}`;
      if ([...mine, ...others].some(pending)) blocked = why;
      else if (mine.some((p) => p.status === 'failed') && replans < REPLAN_MS.length && Date.now() + REPLAN_MS[replans]! < deadline) {
        // Parts failed on the way (a router offline, a hop out of funds for a moment): what
        // the failures ruled out may be back soon. Wait, forget the directions avoided, ask again.
        await pause(REPLAN_MS[replans++]!);
        avoid.clear();
        forget();
      } else halt(why, DEAR.test(routes) ? 'fee-budget' : 'no-route');
      return;
    }
    // The plan is not trusted with money: each path must end at the payee, and together the
    // paths sent may deliver no more than what is left and cost no more than the budget.
    const chosen: FoundRoute[] = [];
    let delivers = 0;
    let costs = 0;
    for (const r of routes) {
      if (r.route[r.route.length - 1]!.id !== plan.destination) {
        halt(`the node planned a path to ${r.route[r.route.length - 1]!.id}, not to the payee`, 'node-refused');
        return;
      }
      const cost = fee({ amount_sent_msat: r.route[0]!.amount_msat, amount_msat: r.amount_msat });
      if (chosen.length === slots || delivers + r.amount_msat > remaining || costs + cost > budget) continue;
      chosen.push(r);
      delivers += r.amount_msat;
      costs += cost;
    }
    if (chosen.length === 0) {
      halt(`no route for the remaining ${remaining} msat within the fee budget (${budget} msat left): ${TOO_DEAR}`, 'fee-budget');
      return;
    }
    const sent: PartialPayment[] = [];
    const outcomes = await Promise.allSettled(
      chosen.map((r) =>
        ctx.send(
          {
            route: r.route,
            payment_hash: hash,
            intended_amount_msat: plan.amount_msat,
            payment_secret: plan.payment_secret,
            bolt11: plan.bolt11,
          },
          (part) => {
            if (r.planner !== undefined) plannedBy.set(part.id, r.planner);
            mine.push(part);
            sent.push(part);
            follow(part, true);
            ctx.progress(progress('pending'));
          },
        ),
      ),
    );
    let linkDown = false;
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') {
        if (outcome.value.already_complete) preimage = outcome.value.payment_preimage;
        continue;
      }
      const error = outcome.reason as unknown;
      if (signal.aborted) throw closed();
      // Parts another sender put in flight fill the payment: the next look at the journal counts them.
      if (hasCode(error, 'OVERPAY')) continue;
      // The journal refused the part (a malformed record, a full disk): nothing was sent, no
      // other part would fare better, and it is no word of the node's. Parts in flight are
      // still waited for; if the payment does not complete, pay() fails with this error.
      if (hasCode(error, 'STORAGE')) {
        refusal ??= error;
        halt(`the journal refused a part: ${error.message}`, 'storage');
        continue;
      }
      if (hasCode(error, 'CONNECTION', 'TIMEOUT')) linkDown = true;
      else halt(`the node refused a part: ${(error as Error).message}`, 'node-refused');
    }
    if (linkDown) await linkBack();
    // A round that left nothing in flight (every part failed at once, or another sender's
    // parts were in the way) waits a little before the next, longer each time.
    const ids = new Set(sent.map((p) => p.id));
    if (stop === undefined && !mine.some((p) => ids.has(p.id) && live(p)))
      await pause(BACKOFF_MS[Math.min(quickFails++, BACKOFF_MS.length - 1)]!);
    else quickFails = 0;
  };

  try {
    const before = await ctx.read(hash);
    if (before.payment?.status === 'complete') {
      preimage = before.payment.payment_preimage;
      return finish('complete', undefined, before.payment);
    }
    if (before.payment && before.payment.amount_msat !== plan.amount_msat) {
      throw engineError('AMOUNT_MISMATCH', `payment ${hash} is for ${before.payment.amount_msat} msat, not ${plan.amount_msat}`);
    }
    for (;;) {
      if (signal.aborted) throw closed();
      const view = await ctx.read(hash);
      const ours = new Set(mine.map((p) => p.id));
      // Parts of this hash this pay() did not send (an earlier engine's, still in flight) count too.
      const others = view.parts.filter((p) => !ours.has(p.id));
      others.filter(pending).forEach((p) => follow(p, false));
      const inFlight = [...mine.filter(pending), ...others.filter(pending)];
      const done = preimage !== undefined || mine.some(complete) || view.payment?.status === 'complete';
      if (!done && stop === undefined) {
        const remaining = plan.amount_msat - total(mine.filter(live), amount) - total(others.filter(live), amount);
        const refused = mine.find((p) => p.failcode !== undefined && p.failcode & PERM && p.erring_index === p.route.length);
        if (refused) halt(`the payee refused the payment (${refused.failcodename ?? `failcode ${refused.failcode}`})`, 'payee-refused');
        else if (Date.now() >= deadline)
          halt(
            `gave up after retry_for (${plan.retry_for} s) with ${plan.amount_msat - total(mine.filter(complete), amount)} msat not delivered`,
            'timeout',
          );
        else if (!asked) {
          try {
            preimage = (await ctx.known(plan))?.payment_preimage;
            asked = true;
          } catch (error) {
            if (signal.aborted || !hasCode(error, 'CONNECTION')) throw error;
            await linkBack();
          }
          continue;
        } else if (remaining > 0 && inFlight.length < plan.maxparts && blocked === undefined) {
          await round(remaining, plan.maxparts - inFlight.length, others);
          continue;
        }
      }
      if (inFlight.length === 0) {
        if (done) {
          try {
            finder.completed?.(mine.filter(complete));
          } catch {
            // as for resolved()
          }
          return finish('complete', undefined, view.payment);
        }
        if (blocked !== undefined) {
          blocked = undefined;
          continue;
        }
        if (refusal) throw refusal;
        // Nothing in flight and nothing left to send can only mean the payment is complete.
        return finish('failed', stop ?? 'nothing is in flight and nothing is left to send');
      }
      const next = await Promise.race([
        ...inFlight.map((p) => waits.get(p.id)!),
        ...(done || stop !== undefined ? [] : [expired]),
        aborted,
      ]);
      if (signal.aborted) throw closed();
      if (next instanceof Error) throw next;
      blocked = undefined;
    }
  } catch (error) {
    // The engine closed under a journal read or a send: whatever that threw, the caller hears CONNECTION.
    if (signal.aborted) throw closed();
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
    for (const cancel of timers) cancel();
    // Housekeeping after the result: the payment's outcome never waits for it.
    void finder.finished?.().catch(() => undefined);
  }
}
