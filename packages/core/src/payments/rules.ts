/**
 * The rules of `sendpartialpay` and of a part's resolution (docs/engine-rules.md,
 * "Sending"), as pure functions over one payment and its parts. The engine runs them inside
 * a journal update, so a decision and its write are one atomic step.
 */
import { engineError } from '../errors.ts';
import type { NodePart } from '../node/node.ts';
import type { Change, PaymentView, UpdateView } from '../store/store.ts';
import type { PartialPayment, Payment, PaymentStatus, SendPartialPayRequest } from '../types.ts';

/** What `sendpartialpay` decided: send this new part, or the payment is already complete. */
export type SendDecision =
  { kind: 'send'; part: PartialPayment; payment: Payment } | { kind: 'complete'; payment: Payment; created: boolean };

/** How a part resolved: the node's record of it, or a local reason it failed. */
export type Resolution = NodePart | { status: 'failed'; failreason: string };

/** Sum of what the parts that are not failed deliver (pending ones count: they may yet arrive). */
export function amountInFlightOrPaid(parts: PartialPayment[]): number {
  return parts.reduce((sum, p) => (p.status === 'failed' ? sum : sum + p.amount_msat), 0);
}

/**
 * Recomputes a payment's status and figures from its parts. `complete` is final (rule 2: one
 * complete part means the destination released the preimage); otherwise a payment is
 * `failed` once every part has failed (rule 3), and `pending` while any part is not failed.
 */
export function summarize(payment: Payment, parts: PartialPayment[], now: number): Payment {
  const live = parts.filter((p) => p.status !== 'failed');
  const complete = parts.filter((p) => p.status === 'complete');
  const status: PaymentStatus = payment.status === 'complete' || complete.length > 0 ? 'complete' : live.length > 0 ? 'pending' : 'failed';
  const next: Payment = { ...payment, status };
  if (parts.length > 0) {
    next.amount_sent_msat = live.reduce((sum, p) => sum + p.amount_sent_msat, 0);
    next.parts = status === 'failed' ? parts.filter((p) => p.groupid === payment.groupid).length : live.length;
  }
  if (!next.payment_preimage && complete[0]?.payment_preimage) next.payment_preimage = complete[0].payment_preimage;
  if (status === 'pending') delete next.completed_at;
  else if (payment.status !== status || next.completed_at === undefined) next.completed_at = now;
  return next;
}

function highest(values: number[]): number {
  return values.reduce((a, b) => Math.max(a, b), 0);
}

/** A payment the node completed without this journal (another tool, another store), as a record. */
export function completeFromNode(
  request: Pick<SendPartialPayRequest, 'payment_hash' | 'intended_amount_msat' | 'bolt11' | 'description'>,
  done: NodePart[],
  now: number,
): Payment {
  return {
    payment_hash: request.payment_hash,
    amount_msat: request.intended_amount_msat,
    amount_sent_msat: done.reduce((sum, p) => sum + p.amount_sent_msat, 0),
    parts: done.length,
    groupid: done[0]!.groupid,
    status: 'complete',
    ...(done[0]!.destination ? { destination: done[0]!.destination } : {}),
    created_at: highest(done.map((p) => p.created_at ?? now)) || now,
    completed_at: highest(done.map((p) => p.completed_at ?? now)) || now,
    payment_preimage: done[0]!.payment_preimage!,
    ...(request.bolt11 !== undefined ? { bolt11: request.bolt11 } : {}),
    ...(request.description !== undefined ? { description: request.description } : {}),
  };
}

/**
 * Rules 1 and 2 of `sendpartialpay`, plus the overpay guard. `nodeParts` is what the node
 * has for this hash, fetched when a new attempt (group) starts, so its group and part ids
 * never collide with attempts the node already knows (a failed (hash, groupid, partid)
 * is refused with 201, cln-fixtures/sendpay-same-partid-after-fail.json).
 */
/** Who is handing a new part to the node, and until when others leave it to them. */
export interface Lease {
  sender: string;
  sending_until: number;
}

export function decideSend(
  view: UpdateView,
  request: SendPartialPayRequest,
  nodeParts: NodePart[] | undefined,
  now: number,
  lease: Lease,
): Change<SendDecision> {
  const route = request.route;
  const last = route[route.length - 1]!;
  let payment = view.payment;
  const nodeGroups = highest((nodeParts ?? []).map((p) => p.groupid));

  if (payment === undefined) {
    // Rule 1.1. A node that already holds this hash's preimage was paid before (by another
    // tool or an engine on another store): record that, never pay twice.
    const done = (nodeParts ?? []).filter((p) => p.status === 'complete');
    if (done.length > 0) {
      const complete = completeFromNode(request, done, now);
      return { payment: complete, result: { kind: 'complete', payment: complete, created: true } };
    }
    if ((nodeParts ?? []).some((p) => p.status === 'pending')) {
      throw engineError('OVERPAY', 'the node already has parts of this payment in flight that this engine did not send');
    }
    payment = {
      payment_hash: request.payment_hash,
      amount_msat: request.intended_amount_msat,
      amount_sent_msat: 0,
      parts: 0,
      groupid: nodeGroups + 1,
      status: 'pending',
      created_at: now,
      ...(request.bolt11 !== undefined ? { bolt11: request.bolt11 } : {}),
      ...(request.description !== undefined ? { description: request.description } : {}),
    };
  } else {
    // Rule 1.2.1: the same hash with another amount is a caller bug; change nothing.
    if (request.intended_amount_msat !== payment.amount_msat) {
      throw engineError(
        'AMOUNT_MISMATCH',
        `payment ${request.payment_hash} is for ${payment.amount_msat} msat, not ${request.intended_amount_msat}`,
      );
    }
    // Rule 1.2.2: already paid; send nothing.
    if (payment.status === 'complete') return { result: { kind: 'complete', payment, created: false } };
    // The node's `complete` beats the journal's `failed`: a part judged failed that the
    // node completed after all is recorded so, and nothing more is sent.
    const done = (nodeParts ?? []).filter((p) => p.status === 'complete');
    if (payment.status === 'failed' && done.length > 0) {
      const upgraded = nodeCompleted({ ...view, payment }, done, now);
      return { ...upgraded, result: { kind: 'complete', payment: upgraded.payment, created: true } };
    }
    // Rule 1.2.3: a failed payment starts again as a new attempt.
    if (payment.status === 'failed') {
      payment = { ...payment, status: 'pending', groupid: Math.max(payment.groupid, nodeGroups) + 1 };
      delete payment.completed_at;
    }
  }

  if (payment.destination !== undefined && payment.destination !== last.id) {
    throw engineError('INVALID_ARGUMENT', `the route ends at ${last.id}, but this payment goes to ${payment.destination}`);
  }
  // The guard beyond the proposal: pending and complete parts never exceed the amount.
  const committed = amountInFlightOrPaid(view.parts);
  if (committed + last.amount_msat > payment.amount_msat) {
    throw engineError(
      'OVERPAY',
      `${committed} msat of ${payment.amount_msat} is already in flight or paid; a part of ${last.amount_msat} msat would pass it`,
      { data: { amount_msat: payment.amount_msat, committed_msat: committed } },
    );
  }

  // Rule 2: the part is journaled now; the engine hands it to the node only after this commits.
  const part: PartialPayment = {
    id: view.nextId(),
    partid: highest([...view.parts.map((p) => p.partid), ...(nodeParts ?? []).map((p) => p.partid)]) + 1,
    groupid: payment.groupid,
    payment_hash: request.payment_hash,
    destination: last.id,
    route,
    amount_msat: last.amount_msat,
    amount_sent_msat: route[0]!.amount_msat,
    status: 'pending',
    created_at: now,
    sender: lease.sender,
    sending_until: lease.sending_until,
  };
  const parts = [...view.parts, part];
  const next = summarize(
    {
      ...payment,
      destination: last.id,
      ...(payment.bolt11 === undefined && request.bolt11 !== undefined ? { bolt11: request.bolt11 } : {}),
      ...(payment.description === undefined && request.description !== undefined ? { description: request.description } : {}),
    },
    parts,
    now,
  );
  return { payment: next, parts: [part], result: { kind: 'send', part, payment: next } };
}

/** What a resolution changed, for events and waiters. */
export interface Resolved {
  part: PartialPayment;
  payment: Payment;
  /** The payment's status before. */
  previous: PaymentStatus;
}

/**
 * The journal's parts the node has `complete` become complete (with the node's preimage and
 * time), however they were judged here, and the payment with them: the node's word on a
 * preimage released is final.
 */
function nodeCompleted(
  view: PaymentView & { payment: Payment },
  done: NodePart[],
  now: number,
): { payment: Payment; parts: PartialPayment[] } {
  const parts = view.parts.map((p) => {
    const there = done.find((d) => d.groupid === p.groupid && d.partid === p.partid);
    if (!there || p.status === 'complete') return p;
    const part: PartialPayment = {
      ...p,
      status: 'complete',
      completed_at: there.completed_at ?? now,
      payment_preimage: there.payment_preimage!,
    };
    for (const key of [...FAILURE_FIELDS, 'sender', 'sending_until'] as const) delete part[key];
    return part;
  });
  const completed_at = highest(done.map((p) => p.completed_at ?? now)) || now;
  const payment = summarize(
    { ...view.payment, status: 'complete', completed_at, payment_preimage: view.payment.payment_preimage ?? done[0]!.payment_preimage! },
    parts,
    now,
  );
  return { payment, parts: parts.filter((p, i) => p !== view.parts[i]) };
}

const FAILURE_FIELDS = [
  'failcode',
  'failcodename',
  'erring_index',
  'erring_node',
  'erring_channel',
  'erring_direction',
  'failreason',
] as const;

/**
 * Resolution steps 1–3: the part takes its result, the payment follows. A part that is no
 * longer pending keeps its first result (a resolution is never applied twice), with one
 * exception: the node's `complete` beats a `failed` judged here (a part failed for want of
 * an answer that reached the node after all): the preimage is recorded and the payment
 * completes.
 */
export function applyResolution(view: PaymentView, id: number, resolution: Resolution, now: number): Change<Resolved | undefined> {
  const current = view.parts.find((p) => p.id === id);
  if (!current || !view.payment) return { result: undefined };
  const upgrade = current.status === 'failed' && 'payment_hash' in resolution && resolution.status === 'complete';
  if (current.status !== 'pending' && !upgrade) return { result: undefined };
  const part: PartialPayment = { ...current, status: resolution.status, completed_at: now };
  // A resolved part's hand-over is over: no lease is left to honour.
  delete part.sender;
  delete part.sending_until;
  if (upgrade) for (const key of FAILURE_FIELDS) delete part[key];
  if ('payment_hash' in resolution) {
    if (resolution.status === 'pending') return { result: undefined };
    if (resolution.completed_at !== undefined) part.completed_at = resolution.completed_at;
    if (resolution.payment_preimage !== undefined) part.payment_preimage = resolution.payment_preimage;
    for (const key of FAILURE_FIELDS) {
      if (resolution[key] !== undefined) (part as unknown as Record<string, unknown>)[key] = resolution[key];
    }
  } else {
    part.failreason = resolution.failreason;
  }
  const parts = view.parts.map((p) => (p.id === id ? part : p));
  const payment = summarize(view.payment, parts, now);
  return { payment, parts: [part], result: { part, payment, previous: view.payment.status } };
}

/**
 * The sender's lease on a part it hands to the node again, renewed; undefined (nothing
 * written) when the part is no longer pending: another engine judged it since, and it must
 * not be sent again.
 */
export function renewLease(view: PaymentView, id: number, lease: Lease): Change<PartialPayment | undefined> {
  const current = view.parts.find((p) => p.id === id);
  if (!current || current.status !== 'pending') return { result: undefined };
  const part = { ...current, ...lease };
  return { parts: [part], result: part };
}
