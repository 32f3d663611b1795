/**
 * The journal's failures as typed errors (code `STORAGE`), and its watch over its own
 * health: each malformed record reported once, and once the database is lost (another tab
 * upgraded or deleted it, the disk is full, the browser closed it) every later call failing
 * with that same error instead of IndexedDB's raw `DOMException`s.
 */
import { AmpkitError, engineError } from '../errors.ts';
import { recordProblem, type RecordKind } from './records.ts';
import type { StorageProblem } from './store.ts';

/** What happened, as a `STORAGE` error's `data.reason` (see `EngineErrorCode`). */
export type StorageReason = 'record' | 'quota' | 'version' | 'versionchange' | 'blocked' | 'closed' | 'failed';

/** A `STORAGE` error; `data` carries `reason` and what else names the trouble. */
export function storageError(reason: StorageReason, message: string, data: Record<string, unknown> = {}, cause?: unknown): AmpkitError {
  return engineError('STORAGE', message, { data: { reason, ...data }, ...(cause !== undefined ? { cause } : {}) });
}

/** True for a `STORAGE` error of one of those reasons. */
export function isStorage(error: unknown, ...reasons: StorageReason[]): error is AmpkitError {
  if (!(error instanceof AmpkitError) || error.code !== 'STORAGE') return false;
  return reasons.length === 0 || reasons.includes((error.data as { reason?: StorageReason } | undefined)?.reason as StorageReason);
}

const QUOTA =
  'the journal could not write: the disk, or the storage this site may use, is full (QuotaExceededError); the engine stopped, and nothing more is sent until there is room';

/** A record key for messages: `parts/7`, `payments/ab12…`. */
function where(store: string, key: unknown): string {
  const text = typeof key === 'string' ? key : typeof key === 'number' ? String(key) : (JSON.stringify(key) ?? String(key));
  return `${store}/${text.length > 80 ? `${text.slice(0, 80)}…` : text}`;
}

/** One journal's health. */
export class JournalHealth {
  /** The error every call fails with once the database is lost. */
  private lost?: AmpkitError;
  /** Closed by its owner: later failures are nobody's problem. */
  private closed = false;
  /** Records already reported, by store and key. */
  private readonly reported = new Set<string>();

  constructor(private readonly onProblem?: (problem: StorageProblem) => void) {}

  /** Throws once the database is lost or closed: no call reaches a dead connection. */
  check(): void {
    if (this.lost) throw this.lost;
    if (this.closed) throw storageError('closed', 'the journal was closed');
  }

  /** The owner closed the journal. */
  close(): void {
    this.closed = true;
  }

  /** The database is gone for good: remembered, and reported once (before anyone hears of it). */
  lose(error: AmpkitError): AmpkitError {
    if (this.lost) return this.lost;
    if (this.closed) return error;
    this.lost = error;
    this.tell({ error, fatal: true });
    return error;
  }

  /**
   * A failure of an IndexedDB call (`tx`: its transaction, whose `error`, once it aborted,
   * says why), as `STORAGE`. A full disk loses the journal (`quotaLoses`: not
   * for the cache, which is no record of money). An `AmpkitError` passes unchanged.
   */
  fail(error: unknown, tx?: { error?: DOMException | null }, quotaLoses = true): AmpkitError {
    if (error instanceof AmpkitError) return error;
    if (this.lost) return this.lost;
    // A transaction that aborted with an error (a full disk at commit): that error is the
    // cause of whatever its requests then met (AbortError, TransactionInactiveError).
    const cause = tx?.error ?? error;
    const name = (cause as { name?: string })?.name ?? 'Error';
    const message = (cause as { message?: string })?.message ?? String(cause);
    if (name === 'QuotaExceededError') {
      const quota = storageError(
        'quota',
        quotaLoses ? QUOTA : `the journal's cache could not be written: storage is full (${message})`,
        { name },
        cause,
      );
      return quotaLoses ? this.lose(quota) : quota;
    }
    if (this.closed) return storageError('closed', 'the journal was closed', { name }, cause);
    // The connection closed under us without a versionchange (the browser's doing).
    if (name === 'InvalidStateError')
      return this.lose(storageError('closed', `the browser closed the journal (${message}); the engine stopped`, { name }, cause));
    return storageError('failed', `the journal (IndexedDB) failed: ${name}: ${message}`, { name }, cause);
  }

  /**
   * Checks a record read from `store` under `key`: the record when good; undefined, after
   * reporting it once, when bad.
   */
  keep<T>(kind: RecordKind, store: string, key: unknown, value: unknown): T | undefined {
    const problem = recordProblem(kind, value);
    if (problem === undefined) return value as T;
    this.quarantine(store, key, problem);
    return undefined;
  }

  /** Reports a malformed record once; the error to refuse a call with. */
  quarantine(store: string, key: unknown, problem: string): AmpkitError {
    const error = storageError(
      'record',
      `the journal's record ${where(store, key)} is malformed (${problem}); it is kept aside, never used nor overwritten`,
      { store, key, problem },
    );
    const id = where(store, key);
    if (!this.reported.has(id)) {
      this.reported.add(id);
      this.tell({ error, fatal: false });
    }
    return error;
  }

  /** Refuses to write a record the checks would refuse to read (an engine bug, never a record on disk). */
  checkWrite(kind: RecordKind, value: unknown): void {
    const problem = recordProblem(kind, value);
    if (problem !== undefined) throw storageError('record', `refusing to journal a malformed ${kind}: ${problem}`, { problem });
  }

  private tell(problem: StorageProblem): void {
    try {
      this.onProblem?.(problem);
    } catch (error) {
      console.error('ampkit: a journal problem listener threw', error);
    }
  }
}
