/**
 * Takes the members of one array of a JSON-RPC reply out of its bytes as they arrive, so
 * that a reply of tens of megabytes (mainnet's `listchannels`) is never held whole, as
 * bytes, as one string or as one tree of objects.
 */
import { WireError } from './errors.ts';
import { textDecoder } from './bytes.ts';
import { ChunkCollector } from './commando.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
/** Keys longer than this are never `result` or a field name we look for: not kept. */
const KEY_LIMIT = 64;

/** One open object or array: for objects, the last key read and whether a key comes next. */
interface Level {
  object: boolean;
  key: string | undefined;
  expectKey: boolean;
}

/**
 * Reads a JSON-RPC reply a chunk at a time and hands each member of `result[array]` to
 * `onItem`, parsed, as soon as its last byte has arrived; the rest of the reply (the
 * envelope, other fields, an `error`) is kept, with that array left empty, for
 * {@link decodeReply} at the end. It has the shape of the whole-reply collector: `add`,
 * `size` (bytes held now) and `join`.
 *
 * It scans only for structure (strings, brackets, keys of the first two levels); each
 * member is parsed on its own with `JSON.parse`, so a malformed member fails with
 * `BAD_REPLY`, and a reply that is not well-formed around the members fails when the rest is
 * parsed. A key written with escapes is not recognised: the array then stays in the rest,
 * and the caller hands its members over from there.
 */
export class ArrayStreamer {
  /** Bytes seen in all. */
  total = 0;
  private readonly rest = new ChunkCollector();
  private member = new ChunkCollector();
  private readonly levels: Level[] = [];
  private inString = false;
  private escaped = false;
  /** Bytes of the key being read, while one of the first two levels' keys is read. */
  private key: number[] | undefined;
  /** The streamed array is open and its members are being read. */
  private streaming = false;
  /** A comma was read since the array opened: an empty member is then an error. */
  private afterComma = false;
  private done = false;

  constructor(
    private readonly method: string,
    private readonly array: string,
    private readonly onItem: (item: unknown) => void,
  ) {}

  /** Reads one chunk; throws `BAD_REPLY` for a malformed member, or what `onItem` threw. */
  add(chunk: Uint8Array): void {
    this.total += chunk.length;
    let from = 0;
    const length = chunk.length;
    for (let i = 0; i < length; i++) {
      const b = chunk[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) this.endString();
        else if (this.key !== undefined) {
          if (this.key.length < KEY_LIMIT) this.key.push(b);
          else this.key = undefined;
        }
        continue;
      }
      switch (b) {
        case QUOTE: {
          this.inString = true;
          const top = this.levels[this.levels.length - 1];
          if (top?.object && top.expectKey && this.levels.length <= 2) this.key = [];
          break;
        }
        case OPEN_OBJECT:
        case OPEN_ARRAY: {
          this.levels.push({ object: b === OPEN_OBJECT, key: undefined, expectKey: b === OPEN_OBJECT });
          if (b === OPEN_ARRAY && this.isStreamedArray()) {
            // Which of two would JSON.parse keep? The node does not repeat a field.
            if (this.done) throw new WireError('BAD_REPLY', `reply to ${this.method} has result.${this.array} twice`);
            this.keep(chunk, from, i + 1);
            from = i + 1;
            this.streaming = true;
            this.afterComma = false;
          }
          break;
        }
        case CLOSE_OBJECT:
        case CLOSE_ARRAY:
          if (this.streaming && this.levels.length === 3) {
            this.take(chunk, from, i);
            this.endMember(false);
            from = i;
            this.streaming = false;
            this.done = true;
          }
          this.levels.pop();
          break;
        case COLON: {
          const top = this.levels[this.levels.length - 1];
          if (top?.object) top.expectKey = false;
          break;
        }
        case COMMA: {
          const top = this.levels[this.levels.length - 1];
          if (this.streaming && this.levels.length === 3) {
            this.take(chunk, from, i);
            this.endMember(true);
            from = i + 1;
          } else if (top?.object) {
            top.expectKey = true;
            top.key = undefined;
          }
          break;
        }
      }
    }
    if (this.streaming) this.take(chunk, from, length);
    else this.keep(chunk, from, length);
  }

  /** Bytes held now: the rest of the reply so far and the member being read. */
  get size(): number {
    return this.rest.size + this.member.size;
  }

  /** The reply without the streamed members, for {@link decodeReply}. */
  join(): Uint8Array {
    return this.rest.join();
  }

  /** Whether the array just opened is `result[array]` of the reply's top-level object. */
  private isStreamedArray(): boolean {
    const [root, result] = this.levels;
    return this.levels.length === 3 && root!.object && root!.key === 'result' && result!.object && result!.key === this.array;
  }

  private endString(): void {
    this.inString = false;
    if (this.key === undefined) return;
    const top = this.levels[this.levels.length - 1]!;
    top.key = String.fromCharCode(...this.key);
    this.key = undefined;
  }

  private keep(chunk: Uint8Array, from: number, to: number): void {
    if (to <= from) return;
    // A copy of these bytes alone: a view would keep the whole chunk alive.
    this.rest.add(chunk.slice(from, to));
  }

  private take(chunk: Uint8Array, from: number, to: number): void {
    if (to <= from) return;
    this.member.add(chunk.subarray(from, to));
  }

  /** Parses and hands over the member read so far; `comma`: one more follows. */
  private endMember(comma: boolean): void {
    const bytes = this.member.join();
    this.member = new ChunkCollector();
    const blank = isBlank(bytes);
    if (blank && !comma && !this.afterComma) return; // `[]`
    this.afterComma = comma;
    let item: unknown;
    try {
      if (blank) throw new SyntaxError('an empty member');
      item = JSON.parse(textDecoder.decode(bytes));
    } catch (cause) {
      throw new WireError('BAD_REPLY', `reply to ${this.method} has a member of ${this.array} that is not valid JSON`, { cause });
    }
    this.onItem(item);
  }
}

function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return false;
  return true;
}
