/**
 * HPACK, the header compression of HTTP/2 (RFC 7541). The decoder is complete, because
 * grpc-go's replies use the dynamic table and Huffman strings; the encoder keeps to the
 * static table and literals that are never added to the dynamic table, which every
 * decoder accepts and which keeps the peer's table (and ours) out of the picture.
 *
 * Header fields are `[name, value]` pairs of strings holding one character per octet
 * (Latin-1), so any octet survives a round trip; gRPC's headers are ASCII anyway.
 */
import { WireError, invalidArgument } from '../errors.ts';
import { huffmanDecode, huffmanEncode, huffmanEncodedLength } from './huffman.ts';

/** One header field: name and value, one character per octet. */
export type HeaderField = [name: string, value: string];

/** RFC 7541 Appendix A: the static table, index 1 first. */
const STATIC_TABLE: readonly HeaderField[] = (
  [
    [':authority'],
    [':method', 'GET'],
    [':method', 'POST'],
    [':path', '/'],
    [':path', '/index.html'],
    [':scheme', 'http'],
    [':scheme', 'https'],
    [':status', '200'],
    [':status', '204'],
    [':status', '206'],
    [':status', '304'],
    [':status', '400'],
    [':status', '404'],
    [':status', '500'],
    ['accept-charset'],
    ['accept-encoding', 'gzip, deflate'],
    ['accept-language'],
    ['accept-ranges'],
    ['accept'],
    ['access-control-allow-origin'],
    ['age'],
    ['allow'],
    ['authorization'],
    ['cache-control'],
    ['content-disposition'],
    ['content-encoding'],
    ['content-language'],
    ['content-length'],
    ['content-location'],
    ['content-range'],
    ['content-type'],
    ['cookie'],
    ['date'],
    ['etag'],
    ['expect'],
    ['expires'],
    ['from'],
    ['host'],
    ['if-match'],
    ['if-modified-since'],
    ['if-none-match'],
    ['if-range'],
    ['if-unmodified-since'],
    ['last-modified'],
    ['link'],
    ['location'],
    ['max-forwards'],
    ['proxy-authenticate'],
    ['proxy-authorization'],
    ['range'],
    ['referer'],
    ['refresh'],
    ['retry-after'],
    ['server'],
    ['set-cookie'],
    ['strict-transport-security'],
    ['transfer-encoding'],
    ['user-agent'],
    ['vary'],
    ['via'],
    ['www-authenticate'],
  ] as const
).map(([name, value]) => [name, value ?? ''] as HeaderField);

/** Octets an entry takes in the dynamic table (RFC 7541 §4.1). */
function entrySize(name: string, value: string): number {
  return name.length + value.length + 32;
}

function protocol(message: string): WireError {
  return new WireError('PROTOCOL', `HPACK: ${message}`);
}

/** Bytes to a string of one character per octet (no code page: 0x80–0xff map to U+0080–U+00FF). */
function octetsToString(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 4096) {
    out += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return out;
}

/** The reverse of {@link octetsToString}; a character above U+00FF is an `INVALID_ARGUMENT`. */
function stringToOctets(value: string): Uint8Array {
  const out = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff) throw invalidArgument(`header text must be octets (Latin-1), got U+${c.toString(16).padStart(4, '0')}`);
    out[i] = c;
  }
  return out;
}

/** Options of {@link HpackDecoder}. */
export interface HpackDecoderOptions {
  /**
   * The dynamic table size we allow the peer's encoder (our SETTINGS_HEADER_TABLE_SIZE),
   * in octets: 4096 unless we advertised another value.
   */
  maxTableSize?: number;
  /**
   * The most a decoded header list may take, counted as RFC 9113 §6.5.2 does (name +
   * value + 32 per field); a bigger list is a `PROTOCOL` error. 65 536 by default.
   */
  maxHeaderListSize?: number;
}

/**
 * Decodes header blocks (RFC 7541 §6), keeping the dynamic table between blocks, so it must
 * see every block of a connection in order. Any malformed input is a `PROTOCOL` WireError;
 * after one, the connection's compression state is lost and the connection must be closed
 * (RFC 9113 §4.3).
 *
 * @example
 * ```ts
 * const decoder = new HpackDecoder();
 * decoder.decode(fromHex('8286')); // [[':method', 'GET'], [':scheme', 'http']]
 * ```
 */
export class HpackDecoder {
  /** Newest entry first, as the indices run (RFC 7541 §2.3.3). */
  private readonly dynamic: HeaderField[] = [];
  private size = 0;
  /** The table size the peer's encoder currently uses (changed by size updates). */
  private capacity: number;
  private readonly maxTableSize: number;
  private readonly maxHeaderListSize: number;

  constructor(options: HpackDecoderOptions = {}) {
    this.maxTableSize = options.maxTableSize ?? 4096;
    this.maxHeaderListSize = options.maxHeaderListSize ?? 65_536;
    this.capacity = this.maxTableSize;
  }

  /** The dynamic table, newest entry first (index 62 first): for tests and diagnostics. */
  get table(): readonly HeaderField[] {
    return this.dynamic.map(([name, value]) => [name, value]);
  }

  /** The dynamic table's size in octets, as RFC 7541 §4.1 counts it. */
  get tableSize(): number {
    return this.size;
  }

  /** Decodes one complete header block (HEADERS plus its CONTINUATION fragments, joined). */
  decode(block: Uint8Array): HeaderField[] {
    const fields: HeaderField[] = [];
    let listSize = 0;
    let pos = 0;

    const integer = (prefixBits: number): number => {
      const mask = (1 << prefixBits) - 1;
      let value = block[pos++]! & mask;
      if (value < mask) return value;
      let shift = 0;
      for (;;) {
        if (pos >= block.length) throw protocol('integer runs past the end of the block');
        const b = block[pos++]!;
        value += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if (value > 0x7fffffff) throw protocol('integer too large');
        if ((b & 0x80) === 0) return value;
        // Five continuation bytes hold 35 bits; anything longer is padding with zeros or an attack.
        if (shift >= 35) throw protocol('integer encoding too long');
      }
    };

    const string = (): string => {
      if (pos >= block.length) throw protocol('string runs past the end of the block');
      const huffman = (block[pos]! & 0x80) !== 0;
      const length = integer(7);
      if (length > block.length - pos) throw protocol('string runs past the end of the block');
      const raw = block.subarray(pos, pos + length);
      pos += length;
      // The list-size limit also bounds any single string (Huffman can grow it by 8/5 at most).
      if (length > this.maxHeaderListSize) throw protocol('header list too large');
      return octetsToString(huffman ? huffmanDecode(raw) : raw);
    };

    const lookup = (index: number): HeaderField => {
      if (index === 0) throw protocol('index 0');
      if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1]!;
      const entry = this.dynamic[index - STATIC_TABLE.length - 1];
      if (!entry) throw protocol(`index ${index} past the end of the table`);
      return entry;
    };

    const emit = (name: string, value: string): void => {
      listSize += entrySize(name, value);
      if (listSize > this.maxHeaderListSize) throw protocol('header list too large');
      fields.push([name, value]);
    };

    while (pos < block.length) {
      const first = block[pos]!;
      if (first & 0x80) {
        // §6.1 indexed field.
        const [name, value] = lookup(integer(7));
        emit(name, value);
      } else if (first & 0x40) {
        // §6.2.1 literal with incremental indexing.
        const index = integer(6);
        const name = index === 0 ? string() : lookup(index)[0];
        const value = string();
        emit(name, value);
        this.insert(name, value);
      } else if (first & 0x20) {
        // §6.3 dynamic table size update: only before the first field of a block (§4.2).
        if (fields.length > 0) throw protocol('table size update after a header field');
        const size = integer(5);
        if (size > this.maxTableSize) throw protocol(`table size update to ${size} past our limit of ${this.maxTableSize}`);
        this.capacity = size;
        this.evict(0);
      } else {
        // §6.2.2 without indexing (0000) and §6.2.3 never indexed (0001).
        const index = integer(4);
        const name = index === 0 ? string() : lookup(index)[0];
        const value = string();
        emit(name, value);
      }
    }
    return fields;
  }

  private insert(name: string, value: string): void {
    const size = entrySize(name, value);
    // §4.4: an entry larger than the table empties it and is not added; not an error.
    this.evict(size);
    if (size > this.capacity) return;
    this.dynamic.unshift([name, value]);
    this.size += size;
  }

  /** Evicts the oldest entries until `room` more octets fit. */
  private evict(room: number): void {
    while (this.size + room > this.capacity && this.dynamic.length > 0) {
      const [name, value] = this.dynamic.pop()!;
      this.size -= entrySize(name, value);
    }
  }
}

/** Options of {@link HpackEncoder.encode}. */
export interface HpackEncodeOptions {
  /** Huffman-encode strings where that is shorter (true by default). */
  huffman?: boolean;
}

const staticExact = /* @__PURE__ */ new Map<string, number>();
const staticName = /* @__PURE__ */ new Map<string, number>();
function staticIndexes(): void {
  if (staticName.size > 0) return;
  STATIC_TABLE.forEach(([name, value], i) => {
    if (value !== '') staticExact.set(`${name}\0${value}`, i + 1);
    if (!staticName.has(name)) staticName.set(name, i + 1);
  });
}

/**
 * Encodes header lists. Fields equal to a static-table entry become one indexed byte;
 * others are literals that name a static entry where one matches, never added to the
 * dynamic table, so the encoder keeps no state and ignores the peer's table size. Names
 * listed in `sensitive` are sent as "never indexed" (RFC 7541 §6.2.3), which asks every
 * hop not to compress them (for credentials such as lnd's `macaroon`).
 *
 * @example
 * ```ts
 * const block = new HpackEncoder().encode([[':method', 'POST'], [':path', '/lnrpc.Lightning/GetInfo']]);
 * ```
 */
export class HpackEncoder {
  private readonly sensitive: ReadonlySet<string>;

  constructor(options: { sensitive?: Iterable<string> } = {}) {
    this.sensitive = new Set(options.sensitive ?? []);
    staticIndexes();
  }

  /** Encodes one header list into one header block. Text outside Latin-1 is an `INVALID_ARGUMENT`. */
  encode(fields: readonly HeaderField[], options: HpackEncodeOptions = {}): Uint8Array {
    const huffman = options.huffman ?? true;
    const out: number[] = [];
    const integer = (value: number, prefixBits: number, flags: number): void => {
      const mask = (1 << prefixBits) - 1;
      if (value < mask) {
        out.push(flags | value);
        return;
      }
      out.push(flags | mask);
      value -= mask;
      while (value >= 0x80) {
        out.push((value % 0x80) | 0x80);
        value = Math.floor(value / 0x80);
      }
      out.push(value);
    };
    const string = (text: string): void => {
      const raw = stringToOctets(text);
      if (huffman && huffmanEncodedLength(raw) < raw.length) {
        const coded = huffmanEncode(raw);
        integer(coded.length, 7, 0x80);
        for (const b of coded) out.push(b);
      } else {
        integer(raw.length, 7, 0);
        for (const b of raw) out.push(b);
      }
    };
    for (const [name, value] of fields) {
      const sensitive = this.sensitive.has(name);
      const exact = sensitive ? undefined : staticExact.get(`${name}\0${value}`);
      if (exact !== undefined) {
        integer(exact, 7, 0x80);
        continue;
      }
      const nameIndex = staticName.get(name);
      integer(nameIndex ?? 0, 4, sensitive ? 0x10 : 0x00);
      if (nameIndex === undefined) string(name);
      string(value);
    }
    return Uint8Array.from(out);
  }
}
