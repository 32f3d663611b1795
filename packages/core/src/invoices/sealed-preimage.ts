/**
 * A hold invoice's preimage at rest (docs/engine-rules.md, "Hold preimages"). Until the set
 * is complete the preimage is the payee's only claim on the money, so the journal keeps it
 * sealed: AES-GCM under a 256-bit key made with `extractable: false` and stored as the
 * `CryptoKey` object itself, with the payment hash as additional data (a sealed preimage
 * moved to another record does not open).
 *
 * What this protects against: reading the preimage out of a copied disk or browser profile,
 * an IndexedDB dump or export, or by a script that only reads records. What it does not: a
 * script running in the same origin can open the database and ask WebCrypto to decrypt with
 * the key (non-extractable only stops the key's bytes being exported), and the browser's
 * own process memory holds the key. Hence the rule (docs/design.md, "Trust"): hold invoices
 * belong to the payee's own engine, never to a checkout page in the payer's browser.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { engineError } from '../errors.ts';
import { storageError } from '../store/storage-errors.ts';
import type { Journal, SealedPreimage, StoredInvoice } from '../store/store.ts';

const HEX = (bytes: number) => new RegExp(`^[0-9a-f]{${bytes * 2}}$`);
const IV = HEX(12);
const PREIMAGE = HEX(32);
/** 32 bytes of preimage and AES-GCM's 16-byte tag. */
const DATA = HEX(48);

function subtle(): SubtleCrypto {
  const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  // WebCrypto's subtle is only in secure contexts (https, localhost) and Node 20+.
  if (!subtle) throw engineError('INVALID_ARGUMENT', 'hold invoices need WebCrypto (crypto.subtle): serve the page over https');
  return subtle;
}

/** The journal's key must be one this module made: AES-GCM, never exportable. */
function checkKey(key: unknown): CryptoKey {
  const k = key as CryptoKey | undefined;
  if (!k || typeof k !== 'object' || k.algorithm?.name !== 'AES-GCM' || k.extractable !== false || !k.usages?.includes('decrypt')) {
    throw storageError('record', "the journal's hold key is not a non-extractable AES-GCM key", { store: 'meta', key: 'holdKey' });
  }
  return k;
}

/** The journal's hold key, made (non-extractable) and kept on first use; one per journal even when tabs race. */
export async function holdKey(journal: Journal): Promise<CryptoKey> {
  const kept = await journal.getHoldKey();
  if (kept) return checkKey(kept);
  const fresh = await subtle().generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  return checkKey(await journal.addHoldKey(fresh));
}

/** Seals `preimage` (hex) for the invoice with `payment_hash`. */
export async function sealPreimage(key: CryptoKey, preimage: string, payment_hash: string): Promise<SealedPreimage> {
  const iv = randomBytes(12);
  const data = await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: hexToBytes(payment_hash) }, key, hexToBytes(preimage));
  return { iv: bytesToHex(iv), data: bytesToHex(new Uint8Array(data)) };
}

/**
 * The preimage of a journaled hold invoice, for the node's `settleholdinvoice` and nothing
 * else: opened from `sealed_preimage` (or read from an older version's plain `preimage`),
 * and checked to hash to the invoice's payment hash. A record whose preimage does not open
 * or does not match fails with `STORAGE` (reason `record`): the record cannot be trusted,
 * and a wrong preimage must never reach the node.
 */
export async function openPreimage(
  journal: Journal,
  invoice: Pick<StoredInvoice, 'payment_hash' | 'sealed_preimage' | 'preimage'>,
): Promise<string> {
  const hash = invoice.payment_hash;
  const bad = (why: string, cause?: unknown) =>
    storageError('record', `the journal's preimage for ${hash} ${why}; not settling`, { store: 'invoices', key: hash }, cause);
  let preimage: string;
  const sealed = invoice.sealed_preimage;
  if (sealed !== undefined) {
    if (
      typeof sealed !== 'object' ||
      sealed === null ||
      typeof sealed.iv !== 'string' ||
      !IV.test(sealed.iv) ||
      typeof sealed.data !== 'string' ||
      !DATA.test(sealed.data)
    ) {
      throw bad('is not a sealed preimage');
    }
    const kept = await journal.getHoldKey();
    if (!kept) throw bad('is sealed, but the journal has no hold key');
    const key = checkKey(kept);
    let plain: ArrayBuffer;
    try {
      plain = await subtle().decrypt(
        { name: 'AES-GCM', iv: hexToBytes(sealed.iv), additionalData: hexToBytes(hash) },
        key,
        hexToBytes(sealed.data),
      );
    } catch (error) {
      // AES-GCM's tag: a changed iv, ciphertext, hash or key fails here (OperationError).
      throw bad('does not open with the hold key', error);
    }
    preimage = bytesToHex(new Uint8Array(plain));
  } else if (typeof invoice.preimage === 'string' && PREIMAGE.test(invoice.preimage)) {
    preimage = invoice.preimage;
  } else {
    throw bad('is missing');
  }
  if (bytesToHex(sha256(hexToBytes(preimage))) !== hash) throw bad('does not hash to it');
  return preimage;
}
