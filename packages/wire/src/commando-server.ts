/**
 * The serving side of commando: accepts a BOLT 8 connection as responder, checks each
 * request's rune, runs the handler and answers in Core Lightning's framing and JSON.
 * Environment-neutral: `serveCommando` in `@ampkit/wire/node` feeds it `ws` sockets.
 */
import { textDecoder, textEncoder } from './bytes.ts';
import {
  COMMANDO_ERROR_REMOTE,
  COMMANDO_ERROR_REMOTE_AUTH,
  ChunkCollector,
  MAX_COMMANDO_REQUEST,
  commandoFrames,
  readCommandoPayload,
} from './commando.ts';
import { WireError } from './errors.ts';
import { applyFilter } from './json-filter.ts';
import { MessageType } from './message.ts';
import { Peer } from './peer.ts';
import { checkruneError, createRuneChecker } from './rune-check.ts';
import type { ParsedRune } from './runes.ts';
import type { ByteSocket } from './socket.ts';

/** What a handler learns about the call besides method and params. */
export interface CommandoContext {
  /** The caller's node id (hex), proved by the handshake. */
  peerId: string;
  /** The rune the call was allowed by, parsed; absent when rune checks are off. */
  rune?: ParsedRune;
  /** The JSON-RPC id the caller chose. */
  id: unknown;
}

/**
 * Answers one call. Return the `result` object; throw an error with a numeric `code` and a
 * `message` (e.g. {@link RpcError}) to answer with a JSON-RPC error, with its `data` if any.
 */
export type CommandoHandler = (method: string, params: Record<string, unknown> | unknown[], context: CommandoContext) => unknown;

/** Options shared by {@link acceptCommando} and `serveCommando`. */
export interface CommandoServerOptions {
  /** The node's static private key (32 bytes); its public key is the node id. */
  privateKey: Uint8Array;
  /** The secret runes are derived from. Omit only to accept every call unchecked (tests). */
  masterSecret?: Uint8Array;
  handler: CommandoHandler;
  /** Our init features (e.g. Core Lightning's). */
  features?: Uint8Array;
  /** Called when a connection ends, with the reason if it was not a clean close. */
  onDisconnect?: (peerId: string, error?: WireError) => void;
  /** Called for each call the rune check refused (the handler never saw it), with the error answered. */
  onRefused?: (method: string, error: { code: number; message: string }, peerId: string) => void;
  /** A connection that has not finished the handshake and init by then is closed (30 000 ms). */
  handshakeTimeout?: number;
  /**
   * Messages to send each peer once init is exchanged, given the peer's init features: a
   * node's gossip (BOLT 7), as a real node sends it unprompted.
   */
  gossip?: (remoteFeatures: Uint8Array) => Iterable<Uint8Array>;
}

type RuneChecker = ReturnType<typeof createRuneChecker>;

/** A rune checker shared by every connection of one server, so rate limits add up. */
export function serverRuneChecker(options: CommandoServerOptions): RuneChecker | undefined {
  return options.masterSecret ? createRuneChecker({ masterSecret: options.masterSecret }) : undefined;
}

/** Runs commando over one accepted byte stream until it closes. */
export function acceptCommando(socket: ByteSocket, options: CommandoServerOptions, checker = serverRuneChecker(options)): void {
  // Core Lightning keeps one partial request per peer; a new id discards the old one.
  let partial: { key: string; id: Uint8Array; body: ChunkCollector; oversize: boolean } | undefined;
  let peer: Peer;

  const reply = (id: Uint8Array, body: Record<string, unknown>): void => {
    if (!peer.ready) return;
    const json = textEncoder.encode(JSON.stringify({ jsonrpc: '2.0', ...body }));
    try {
      for (const frame of commandoFrames('reply', id, json)) peer.send(frame);
    } catch {
      // The connection went away while the handler ran; nothing left to tell.
    }
  };

  const fail = (id: Uint8Array, jsonId: unknown, code: number, message: string): void =>
    reply(id, { ...(jsonId === undefined ? {} : { id: jsonId }), error: { code, message } });

  const run = async (id: Uint8Array, bytes: Uint8Array): Promise<void> => {
    let request: unknown;
    try {
      request = JSON.parse(textDecoder.decode(bytes));
    } catch {
      return fail(id, undefined, COMMANDO_ERROR_REMOTE, 'Invalid JSON');
    }
    if (request === null || typeof request !== 'object' || Array.isArray(request)) {
      return fail(id, undefined, COMMANDO_ERROR_REMOTE, 'Not a JSON object');
    }
    const { method, params, rune, id: jsonId, filter } = request as Record<string, unknown>;
    if (typeof method !== 'string') return fail(id, jsonId, COMMANDO_ERROR_REMOTE, 'No method');
    // No params at all is an empty object to Core Lightning; anything but an object or array is refused.
    if (params !== undefined && (params === null || typeof params !== 'object')) {
      return fail(id, jsonId, COMMANDO_ERROR_REMOTE, 'Params must be object or array');
    }
    if (jsonId === undefined) return fail(id, jsonId, COMMANDO_ERROR_REMOTE, 'missing id field');
    let parsedRune: ParsedRune | undefined;
    if (checker) {
      // Commando's own checks, then lightningd's checkrune, with their codes and words
      // (plugins/commando.c, lightningd/runes.c; test/fixtures/cln/rune-errors.json).
      const refuse = (code: number, message: string): void => {
        options.onRefused?.(method, { code, message }, peer.remoteNodeId);
        fail(id, jsonId, code, message);
      };
      if (rune === undefined) return refuse(COMMANDO_ERROR_REMOTE, 'Missing rune');
      // The node reads the rune's JSON token: a string's text as written, any other value as its JSON.
      const token = JSON.stringify(rune);
      const verdict = checker.check(typeof rune === 'string' ? token.slice(1, -1) : token, { method, params, peerId: peer.remoteNodeId });
      if (!verdict.ok) {
        if (verdict.stage === 'malformed') return refuse(COMMANDO_ERROR_REMOTE, 'Invalid rune');
        return refuse(
          COMMANDO_ERROR_REMOTE_AUTH,
          `Invalid rune: ${checkruneError({ stage: verdict.stage, reason: verdict.reason }, token).message}`,
        );
      }
      parsedRune = verdict.rune;
    }
    try {
      const result = await options.handler(method, (params ?? {}) as Record<string, unknown> | unknown[], {
        peerId: peer.remoteNodeId,
        id: jsonId,
        ...(parsedRune ? { rune: parsedRune } : {}),
      });
      reply(id, { id: jsonId, result: applyFilter(result ?? {}, filter) });
    } catch (error) {
      const e = error as { code?: unknown; message?: unknown; data?: unknown };
      if (e && Number.isSafeInteger(e.code) && typeof e.message === 'string') {
        reply(id, { id: jsonId, error: { code: e.code, message: e.message, ...(e.data === undefined ? {} : { data: e.data }) } });
      } else {
        // Internal failures say nothing about internals to a remote caller.
        reply(id, { id: jsonId, error: { code: -32603, message: `Internal error in ${method}` } });
      }
    }
  };

  peer = new Peer(
    socket,
    { role: 'responder', localPrivateKey: options.privateKey, ...(options.features ? { features: options.features } : {}) },
    {
      onReady: () => {
        clearTimeout(handshakeTimer);
        if (!options.gossip) return;
        try {
          for (const message of options.gossip(peer.remoteFeatures)) peer.send(message);
        } catch {
          // The peer left while its gossip was being sent.
        }
      },
      onMessage: (type, payload) => {
        if (type !== MessageType.COMMANDO_CMD_CONTINUES && type !== MessageType.COMMANDO_CMD_TERM) return;
        const frame = readCommandoPayload(payload);
        if (!frame) return; // Core Lightning ignores a commando message too short for its id.
        if (!partial || partial.key !== frame.key) {
          partial = { key: frame.key, id: frame.id.slice(), body: new ChunkCollector(), oversize: false };
        }
        if (!partial.oversize) {
          if (partial.body.size + frame.chunk.length > MAX_COMMANDO_REQUEST) partial.oversize = true;
          else partial.body.add(frame.chunk.slice());
        }
        if (type === MessageType.COMMANDO_CMD_TERM) {
          const done = partial;
          partial = undefined;
          // An oversize request is dropped without a reply, as Core Lightning does.
          if (!done.oversize) void run(done.id, done.body.join());
        }
      },
      onClose: (error) => {
        clearTimeout(handshakeTimer);
        options.onDisconnect?.(peer?.remoteNodeId ?? '', error);
      },
    },
  );
  // A socket that never completes the handshake would otherwise hold its slot forever.
  const handshakeTimer = setTimeout(
    () => peer.close(new WireError('HANDSHAKE', 'no handshake and init within the time allowed')),
    options.handshakeTimeout ?? 30_000,
  );
}
