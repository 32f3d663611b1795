/**
 * `<ampkit-pay>`'s failures in a shopper's words: what happened, whether trying again can
 * help, and the details (the engine's reason, the error code, each failed part) kept one
 * click away instead of in place of the message.
 */
import type { PayFailKind } from '@ampkit/worker';
import type { PayProgress } from './client.ts';
import type { StringKey, Translator } from './strings.ts';

/** A failure, said for the element. @internal */
export interface ShownFailure {
  /** The message's key in the strings table. */
  message: StringKey;
  /** A retry can help (the message says when). */
  retry: boolean;
  /** The raw lines: the engine's reason or the error, then one per failed part. */
  details: string[];
}

/** Each kind of pay() failure: its message, and whether paying again can change anything. */
const KINDS: Record<PayFailKind, [StringKey, boolean]> = {
  'no-route': ['payNoRoute', false],
  'fee-budget': ['payFeeBudgetLow', false],
  'payee-refused': ['payPayeeRefused', false],
  timeout: ['payTimedOut', true],
  'node-refused': ['payNodeRefused', true],
  storage: ['payStorage', true],
};

/** Errors pay() may throw, by code: their message, and whether a retry can help. */
const CODES: Record<string, [StringKey, boolean]> = {
  CONNECTION: ['payOffline', true],
  TIMEOUT: ['payOffline', true],
  PERMISSION: ['payCannotPay', false],
  OVERPAY: ['payOthersInFlight', true],
  STORAGE: ['payStorage', true],
};

/** One line per failed part: where and why it failed. */
function partLines(progress: PayProgress | undefined, t: Translator): string[] {
  return (progress?.parts ?? []).flatMap((part, i) => {
    if (part.status !== 'failed') return [];
    const why = [part.failcodename ?? (part.failcode !== undefined ? `failcode ${part.failcode}` : ''), part.failreason ?? '']
      .filter(Boolean)
      .join(' — ');
    const where = part.erring_channel ? ` (${part.erring_node?.slice(0, 8) ?? '?'}…, ${part.erring_channel})` : '';
    return [t.t('payPartFailed', { number: t.number(i + 1), amount: t.msat(part.amount_msat), why: t.ext(why, 120) }) + where];
  });
}

/** A failed pay() result, or an error pay() threw, as the element says it. @internal */
export function describeFailure(
  progress: PayProgress | undefined,
  error: { code?: string | number; message?: string } | undefined,
  t: Translator,
): ShownFailure {
  const [message, retry] = error
    ? (CODES[String(error.code)] ?? ['payFailed', true])
    : (KINDS[progress?.failkind ?? 'node-refused'] ?? ['payFailed', true]);
  const raw = error ? `${error.code}: ${error.message ?? ''}` : (progress?.failreason ?? '');
  return { message, retry, details: [t.ext(raw, 400), ...partLines(progress, t)].filter((line) => line.length > 2) };
}
