/**
 * Every error ampkit throws is an {@link AmpkitError}: an `Error` with a `code` to branch on.
 * Codes are strings for ampkit's own failures and the node's numeric JSON-RPC code for
 * errors the node returned ({@link RpcError}).
 */

/** String codes of the wire layer's own failures. */
export type WireErrorCode =
  /** A handshake act was short, had a bad version byte, a bad key or a bad MAC (BOLT 8). */
  | 'HANDSHAKE'
  /** An encrypted frame failed to authenticate or decrypt (BOLT 8 §Receiving messages). */
  | 'BAD_MAC'
  /** A Lightning message was malformed, too large, or of an unknown even type (BOLT 1). */
  | 'PROTOCOL'
  /** The socket dropped or was closed while the request was in flight, or never opened. */
  | 'CONNECTION'
  /** No reply arrived within the request's timeout. */
  | 'TIMEOUT'
  /**
   * The node's reply was not a JSON-RPC response object, or was too large: over
   * `maxReplyBytes`, or taking the connection's unfinished replies together past
   * `maxBufferedReplyBytes` (options of `connect()`).
   */
  | 'BAD_REPLY'
  /** A rune could not be parsed, or a restriction is malformed. */
  | 'BAD_RUNE'
  /** An argument to a public function is out of range or of the wrong type. */
  | 'INVALID_ARGUMENT';

/** Details an {@link AmpkitError} may carry besides its code and message. */
export interface AmpkitErrorOptions {
  /** The error that led to this one. */
  cause?: unknown;
  /** Structured detail: the node's error `data`, or the record the error is about. */
  data?: unknown;
  /** For errors the node answered with (code `NODE_ERROR` in the engine): the node's numeric code. */
  nodeCode?: number;
}

/** Base class of every error ampkit throws. */
export class AmpkitError extends Error {
  /** Machine-readable reason; see {@link WireErrorCode} and {@link RpcError}. */
  readonly code: string | number;
  /** Structured detail, when there is any (see {@link AmpkitErrorOptions.data}). */
  readonly data?: unknown;
  /** The node's numeric error code, when the node refused (see {@link AmpkitErrorOptions.nodeCode}). */
  readonly nodeCode?: number;

  constructor(code: string | number, message: string, options?: AmpkitErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AmpkitError';
    this.code = code;
    if (options?.data !== undefined) this.data = options.data;
    if (options?.nodeCode !== undefined) this.nodeCode = options.nodeCode;
  }
}

/** A failure of the transport or of ampkit's own checks, with a {@link WireErrorCode}. */
export class WireError extends AmpkitError {
  declare readonly code: WireErrorCode;

  constructor(code: WireErrorCode, message: string, options?: { cause?: unknown; data?: unknown }) {
    super(code, message, options);
    this.name = 'WireError';
  }
}

/**
 * An error the node answered with: `code` is the node's numeric JSON-RPC code
 * (e.g. 19537 for a refused rune, -32602 for bad params, 204 for a failed part),
 * `data` is the error's `data` member when the node sent one.
 */
export class RpcError extends AmpkitError {
  declare readonly code: number;
  /** The method that failed. */
  readonly method: string;

  constructor(method: string, code: number, message: string, data?: unknown) {
    super(code, message, { data, nodeCode: code });
    this.name = 'RpcError';
    this.method = method;
  }
}

/** Shorthand used at input boundaries. */
export function invalidArgument(message: string): WireError {
  return new WireError('INVALID_ARGUMENT', message);
}
