/**
 * secp256k1 for the wire: @noble/secp256k1 (one small file, ~3 kB gzip against ~16 kB for
 * @noble/curves' secp256k1), with the hashes its synchronous signing needs.
 *
 * The library ships no hash code and leaves `hashes.sha256` / `hashes.hmacSha256` unset; its
 * README's way is to set them once from @noble/hashes, which the wire already bundles (SHA-256
 * for BOLT 8, BOLT 11 and runes, HMAC inside HKDF). Only `sign` (RFC 6979 nonces) reads them,
 * so the one signing entry point lives beside the assignment: a bundler that keeps the call
 * keeps this module, and with it the configuration (the package is `"sideEffects": false`).
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hashes, Point, sign } from '@noble/secp256k1';

hashes.sha256 = sha256;
hashes.hmacSha256 = (key, message) => hmac(sha256, key, message);

export { getPublicKey, getSharedSecret, recoverPublicKey, Signature, utils, verify } from '@noble/secp256k1';

/** The group order n (SEC 2 §2.4.1). */
export const CURVE_ORDER: bigint = Point.CURVE().n;

/**
 * Signs a 32-byte digest as it is (no prehash), deterministic (RFC 6979) and low-S.
 * Returns 65 bytes in noble's recovered layout: the recovery id first, then r and s.
 */
export function signRecoverable(digest: Uint8Array, privateKey: Uint8Array): Uint8Array {
  return sign(digest, privateKey, { prehash: false, format: 'recovered' });
}
