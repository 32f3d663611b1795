/**
 * Determinism: every key, balance and preimage simnet makes comes from the seed through
 * SHA-256, so one seed always gives the same network and the same invoices.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';

/** 32 bytes derived from the seed and a label, e.g. `derive(seed, 'key', 'wallet')`. */
export function derive(seed: number, ...labels: (string | number)[]): Uint8Array {
  return sha256(utf8ToBytes(`ampkit-simnet/${seed}/${labels.join('/')}`));
}

/** A valid secp256k1 private key derived from the seed (re-hashed in the negligible case it is out of range). */
export function deriveKey(seed: number, ...labels: (string | number)[]): Uint8Array {
  let key = derive(seed, 'key', ...labels);
  while (!secp256k1.utils.isValidSecretKey(key)) key = sha256(key);
  return key;
}

/** A small fast PRNG (mulberry32) seeded from the seed and a label, for balances and topology shapes. */
export function prng(seed: number, label: string): () => number {
  const bytes = derive(seed, 'prng', label);
  let state = (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
