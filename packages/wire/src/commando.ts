/**
 * Commando framing, as Core Lightning's plugins/commando.c writes and reads it: an 8-byte
 * request id, then a chunk of JSON. Requests go as zero or more CMD_CONTINUES and one
 * CMD_TERM; replies as zero or more REPLY_CONTINUES and one REPLY_TERM.
 */
import { textDecoder } from './bytes.ts';
import { RpcError, WireError } from './errors.ts';
import { MessageType } from './message.ts';

/** Core Lightning puts at most 65000 JSON bytes in one commando message, leaving headroom. */
export const COMMANDO_CHUNK = 65000;
/** Core Lightning ignores a request whose JSON passes 1 MiB ("should be enough for anybody"). */
export const MAX_COMMANDO_REQUEST = 1024 * 1024;
/** Error codes commando itself answers with (plugins/commando.c). */
export const COMMANDO_ERROR_REMOTE = 0x4c50;
export const COMMANDO_ERROR_REMOTE_AUTH = 0x4c51;

const ID_SIZE = 8;

/** Splits JSON bytes into commando messages (type, id, chunk), each a whole Lightning message. */
export function commandoFrames(kind: 'request' | 'reply', id: Uint8Array, json: Uint8Array): Uint8Array[] {
  const [more, last] =
    kind === 'request'
      ? [MessageType.COMMANDO_CMD_CONTINUES, MessageType.COMMANDO_CMD_TERM]
      : [MessageType.COMMANDO_REPLY_CONTINUES, MessageType.COMMANDO_REPLY_TERM];
  const frames: Uint8Array[] = [];
  let offset = 0;
  do {
    const end = Math.min(offset + COMMANDO_CHUNK, json.length);
    const type = end === json.length ? last : more;
    const frame = new Uint8Array(2 + ID_SIZE + (end - offset));
    frame[0] = type >>> 8;
    frame[1] = type & 0xff;
    frame.set(id, 2);
    frame.set(json.subarray(offset, end), 2 + ID_SIZE);
    frames.push(frame);
    offset = end;
  } while (offset < json.length);
  return frames;
}

/** Splits a commando message payload (after the type) into its id key and JSON chunk. */
export function readCommandoPayload(payload: Uint8Array): { key: string; id: Uint8Array; chunk: Uint8Array } | undefined {
  if (payload.length < ID_SIZE) return undefined;
  const id = payload.subarray(0, ID_SIZE);
  return { key: idKey(id), id, chunk: payload.subarray(ID_SIZE) };
}

/** A map key for an 8-byte id without hex-encoding on every frame. */
export function idKey(id: Uint8Array): string {
  const view = new DataView(id.buffer, id.byteOffset, ID_SIZE);
  return `${view.getUint32(0)}:${view.getUint32(4)}`;
}

/** Collects chunks and joins them once: linear in the reply's size however many chunks come. */
export class ChunkCollector {
  private chunks: Uint8Array[] = [];
  size = 0;

  /** Bytes seen in all: all of them are held. */
  get total(): number {
    return this.size;
  }

  add(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  join(): Uint8Array {
    if (this.chunks.length === 1) return this.chunks[0]!;
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    this.chunks = [];
    return out;
  }
}

/**
 * Reads a whole commando reply: returns the JSON-RPC `result`, throws {@link RpcError} for
 * the node's `error`, or a `BAD_REPLY` {@link WireError} for anything that is not a
 * well-formed JSON-RPC response (bad UTF-8, bad JSON, not an object, malformed error).
 */
export function decodeReply(method: string, bytes: Uint8Array): unknown {
  let reply: unknown;
  try {
    reply = JSON.parse(textDecoder.decode(bytes));
  } catch (cause) {
    throw new WireError('BAD_REPLY', `reply to ${method} is not valid JSON`, { cause });
  }
  if (reply === null || typeof reply !== 'object' || Array.isArray(reply)) {
    throw new WireError('BAD_REPLY', `reply to ${method} is not a JSON object`);
  }
  const { error, result } = reply as { error?: unknown; result?: unknown };
  if (error !== undefined) {
    const e = error as { code?: unknown; message?: unknown; data?: unknown };
    if (error === null || typeof error !== 'object' || !Number.isSafeInteger(e.code) || typeof e.message !== 'string') {
      throw new WireError('BAD_REPLY', `reply to ${method} has a malformed error`);
    }
    throw new RpcError(method, e.code as number, e.message, e.data);
  }
  if (!('result' in reply)) throw new WireError('BAD_REPLY', `reply to ${method} has neither result nor error`);
  return result;
}
