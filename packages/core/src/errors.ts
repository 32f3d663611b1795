/**
 * The engine's failures: one {@link AmpkitError} class (shared with `@ampkit/wire`) with a
 * string `code` to branch on. Errors the node answered with keep its numeric code in
 * `nodeCode` and its `data`.
 */
import { AmpkitError, type AmpkitErrorOptions } from '@ampkit/wire';

export { AmpkitError };

/** Codes of the engine's errors. */
export type EngineErrorCode =
  /** A hash, secret, amount or route is malformed; nothing was stored or sent. */
  | 'INVALID_ARGUMENT'
  /**
   * `intended_amount_msat` differs from the amount the payment was started with
   * (docs/engine-rules.md, "Sending", rule 1.2.1).
   */
  | 'AMOUNT_MISMATCH'
  /** The part would put more than the payment's amount in flight or paid. */
  | 'OVERPAY'
  /** No payment or part with that hash or id. */
  | 'NOT_FOUND'
  /** A wait ran out of time; the payment or part may still resolve later. */
  | 'TIMEOUT'
  /** The link to the node is down or the engine was closed. */
  | 'CONNECTION'
  /** The node refused: `nodeCode` and `data` are its own. */
  | 'NODE_ERROR'
  /**
   * The node refused the call because the rune does not allow it (or is missing, unreadable,
   * or not this node's). The message names the method refused; `nodeCode` is the node's code
   * (19537 or 19536) and `data` is `{ method, message }` with the node's own words.
   */
  | 'PERMISSION'
  /**
   * The node has no hold-invoice plugin (BoltzExchange/hold): it answered a hold method
   * with "Unknown command" (JSON-RPC -32601, kept in `nodeCode`). `invoice({ hold: true })`
   * fails with it at once and journals nothing.
   */
  | 'HOLD_UNSUPPORTED'
  /** The node's reply did not have the shape or content it must have. */
  | 'BAD_REPLY'
  /**
   * The journal (IndexedDB) failed or holds a record that cannot be trusted. `data.reason`
   * says which: `record` (a record or the part id counter is malformed: it is kept aside,
   * never used, never overwritten, and reported once by an `error` event; `data.store` and
   * `data.key` name it, and a payment with such a record is refused rather than changed),
   * `quota` (the disk or the origin's storage quota is full), `version` (the database was
   * written by a newer ampkit), `versionchange` (another tab upgraded or deleted it),
   * `blocked` (another tab holds it open at an older version), `closed` (the browser closed
   * it), or `failed` (any other IndexedDB failure). All but `record` stop the engine: its
   * waits and running `pay()`s end with this error, and what was committed stays committed.
   */
  | 'STORAGE';

/** Creates an engine error. */
export function engineError(code: EngineErrorCode, message: string, options?: AmpkitErrorOptions): AmpkitError {
  return new AmpkitError(code, message, options);
}

/** True when `error` is an {@link AmpkitError} with one of `codes`. */
export function hasCode(error: unknown, ...codes: EngineErrorCode[]): error is AmpkitError {
  return error instanceof AmpkitError && (codes as (string | number)[]).includes(error.code);
}
