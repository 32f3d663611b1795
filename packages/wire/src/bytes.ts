/** Small byte helpers shared by the codecs. Hex comes from @noble/hashes, already in every bundle. */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { invalidArgument } from './errors.ts';

export const textEncoder = /* @__PURE__ */ new TextEncoder();
/** Strict decoder: invalid UTF-8 throws instead of producing U+FFFD. */
export const textDecoder = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true });

/** Hex to bytes, with a typed error for bad input. */
export function fromHex(value: string, what = 'hex string'): Uint8Array {
  if (typeof value !== 'string' || value.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(value)) {
    throw invalidArgument(`${what} must be an even-length hex string`);
  }
  return hexToBytes(value.toLowerCase());
}

export function toHex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

/** Concatenates byte arrays into one new array (one allocation, one copy each). */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Constant-time comparison of two byte arrays of equal length. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Reads a WebSocket message payload (ArrayBuffer, view, or Node Buffer) as bytes without copying. */
export function asBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}
