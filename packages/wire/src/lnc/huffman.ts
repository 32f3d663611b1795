/**
 * The static Huffman code of HPACK (RFC 7541 Appendix B). The code is canonical: codes of
 * one length are consecutive, in symbol order, and each length starts where the shorter
 * ones ended. So the 257 code lengths alone define it, and the table below is one letter
 * per symbol (`A` = 5 bits … `Z` = 30 bits), symbols 0–255 and then EOS (256).
 */
import { WireError } from '../errors.ts';

const LENGTHS =
  'ISXXXXXXXTZXXZXXXXXXXXZXXXXXXXXXBFFHIBDGFFDGDBBBAAABBBBBBBCDKBHFIBCCCCCCCCCCCCCCCCCCCCCCDCDIOIJBKABABABBBACCBBBABCBAABCCCCCKGJIXPRPPRRRSRSSSSSTSTTRSTSSSSQRSRSSTRQPRRSSQSRRTQRSSQQRQSRSSPRRRSRRSVVPORSRUVVVWWVTUOQVWWVWTQQVVXWWWPTPQRQQSRRUUTTVSVWVVWWWWWXWWWWWVZ';
const EOS = 256;
const MAX_BITS = 30;

/** Code of each symbol (right-aligned), its length in bits, and for decoding, per length: first code, count, start in `sorted`. */
interface Table {
  codes: Uint32Array;
  lengths: Uint8Array;
  firstCode: Int32Array;
  count: Int32Array;
  start: Int32Array;
  sorted: Uint16Array;
}

let table: Table | undefined;

function build(): Table {
  const lengths = new Uint8Array(257);
  for (let s = 0; s < 257; s++) lengths[s] = LENGTHS.charCodeAt(s) - 65 + 5;
  const sorted = new Uint16Array(257);
  for (let s = 0; s < 257; s++) sorted[s] = s;
  sorted.sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const codes = new Uint32Array(257);
  const firstCode = new Int32Array(MAX_BITS + 1).fill(-1);
  const count = new Int32Array(MAX_BITS + 1);
  const start = new Int32Array(MAX_BITS + 1);
  let code = 0;
  let previous = lengths[sorted[0]!]!;
  for (let i = 0; i < 257; i++) {
    const s = sorted[i]!;
    const length = lengths[s]!;
    if (i > 0) code = (code + 1) * 2 ** (length - previous);
    previous = length;
    codes[s] = code;
    if (count[length] === 0) {
      firstCode[length] = code;
      start[length] = i;
    }
    count[length]!++;
  }
  return { codes, lengths, firstCode, count, start, sorted };
}

function getTable(): Table {
  return (table ??= build());
}

/** The Huffman code of one symbol (0–255, or 256 for EOS): its bits right-aligned and its length. */
export function huffmanCode(symbol: number): { code: number; bits: number } {
  const t = getTable();
  return { code: t.codes[symbol]!, bits: t.lengths[symbol]! };
}

/** Length in bytes of `bytes` once Huffman-encoded (with its padding). */
export function huffmanEncodedLength(bytes: Uint8Array): number {
  const { lengths } = getTable();
  let bits = 0;
  for (const b of bytes) bits += lengths[b]!;
  return Math.ceil(bits / 8);
}

/** Huffman-encodes `bytes`, padding the last byte with the most significant bits of EOS (all ones), as RFC 7541 §5.2 asks. */
export function huffmanEncode(bytes: Uint8Array): Uint8Array {
  const { codes, lengths } = getTable();
  const out = new Uint8Array(huffmanEncodedLength(bytes));
  let acc = 0; // pending bits, right-aligned; never more than 7 + 30 bits, so kept below 2^37 as a float-safe number
  let pending = 0;
  let o = 0;
  for (const b of bytes) {
    acc = acc * 2 ** lengths[b]! + codes[b]!;
    pending += lengths[b]!;
    while (pending >= 8) {
      pending -= 8;
      const shift = 2 ** pending;
      out[o++] = Math.floor(acc / shift) & 0xff;
      acc %= shift;
    }
  }
  if (pending > 0) out[o++] = ((acc << (8 - pending)) | (0xff >> pending)) & 0xff;
  return out;
}

/**
 * Decodes a Huffman-encoded string. Fails with a `PROTOCOL` WireError, as RFC 7541 §5.2
 * requires, on the EOS symbol, on padding longer than 7 bits, and on padding that is not
 * the prefix of EOS (all ones). Work is linear in the input.
 */
export function huffmanDecode(input: Uint8Array): Uint8Array {
  const { firstCode, count, start, sorted } = getTable();
  // Every symbol takes at least 5 bits, so the output is at most 8/5 of the input.
  const out = new Uint8Array(Math.floor((input.length * 8) / 5));
  let o = 0;
  let code = 0;
  let bits = 0;
  for (const byte of input) {
    for (let i = 7; i >= 0; i--) {
      code = code * 2 + ((byte >> i) & 1);
      bits++;
      const first = firstCode[bits]!;
      if (first >= 0 && code - first < count[bits]! && code >= first) {
        const symbol = sorted[start[bits]! + code - first]!;
        if (symbol === EOS) throw new WireError('PROTOCOL', 'HPACK: Huffman string contains EOS');
        out[o++] = symbol;
        code = 0;
        bits = 0;
      } else if (bits >= MAX_BITS) {
        // Cannot happen with a complete code, but bounds the loop on any input.
        throw new WireError('PROTOCOL', 'HPACK: invalid Huffman code');
      }
    }
  }
  if (bits > 7) throw new WireError('PROTOCOL', 'HPACK: Huffman padding longer than 7 bits');
  if (code !== 2 ** bits - 1) throw new WireError('PROTOCOL', 'HPACK: Huffman padding is not the EOS prefix');
  return out.subarray(0, o);
}
