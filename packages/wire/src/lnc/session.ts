/**
 * The ids of an LNC session's two mailbox streams: from the pairing phrase's entropy for the
 * first connection, from the two static keys for every later one (after a version-2 pairing).
 * Every connection needs this module; only a first pairing needs phrase.ts.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { textEncoder } from '../bytes.ts';
import { WireError } from '../errors.ts';
import { checkPrivateKey, checkPublicKey, ecdh } from '../noise.ts';

/** How many words a pairing phrase has (`NumPassphraseWords` in lightning-node-connect). */
export const PAIRING_PHRASE_WORDS = 10;
/** How many bytes the ten words pack into: 110 bits, the last two bits of the last byte zero. */
export const PAIRING_ENTROPY_BYTES = 14;

/**
 * The words of a pairing phrase, lower case, without the spaces around and between them.
 * `INVALID_ARGUMENT` for anything but a string of ten words; whether each word is in the list
 * is phrase.ts's check (`pairingPhraseEntropy`), which needs the word list.
 */
export function pairingPhraseWords(phrase: string): string[] {
  if (typeof phrase !== 'string') throw new WireError('INVALID_ARGUMENT', 'the pairing phrase must be a string');
  const words = phrase.trim().toLowerCase().split(/\s+/u).filter(Boolean);
  if (words.length !== PAIRING_PHRASE_WORDS) {
    throw new WireError('INVALID_ARGUMENT', `the pairing phrase must have ${PAIRING_PHRASE_WORDS} words, this one has ${words.length}`);
  }
  return words;
}

/**
 * Checks a pairing phrase as litd shows it: ten words of the BIP-39 English list (spaces and
 * case forgiven). Rejects with an `INVALID_ARGUMENT` {@link WireError} that says what is wrong
 * (how many words there are, or which word is not in the list); resolves with nothing for a
 * good phrase. The word list is loaded on the first call, as for a pairing.
 *
 * @example
 * ```ts
 * await checkPairingPhrase(input.value).then(() => ok(), (error) => show(error.message));
 * ```
 */
export async function checkPairingPhrase(phrase: string): Promise<void> {
  (await import('./phrase.ts')).pairingPhraseEntropy(phrase);
}

/** Throws `INVALID_ARGUMENT` unless `entropy` is the 14 bytes of a pairing phrase. */
export function checkEntropy(entropy: Uint8Array): void {
  if (!(entropy instanceof Uint8Array) || entropy.length !== PAIRING_ENTROPY_BYTES) {
    throw new WireError('INVALID_ARGUMENT', `pairing entropy must be ${PAIRING_ENTROPY_BYTES} bytes`);
  }
}

/** The two mailbox streams of one LNC session, as the client sees them (64 bytes each). */
export interface LncStreamIds {
  /** The session id; the client receives on it (server → client). */
  receive: Uint8Array;
  /** The session id with its last bit flipped; the client sends on it (client → server). */
  send: Uint8Array;
}

/**
 * The client's two stream ids for a 64-byte session id (`GetSID` in lightning-node-connect):
 * the server writes to the session id itself, the client to the id with its last bit flipped.
 */
export function streamIdsOf(sid: Uint8Array): LncStreamIds {
  if (!(sid instanceof Uint8Array) || sid.length !== 64) throw new WireError('INVALID_ARGUMENT', 'an LNC session id is 64 bytes');
  const send = sid.slice();
  send[63]! ^= 0x01;
  return { receive: sid.slice(), send };
}

/** The session id of a first pairing: SHA-512 of the raw 14-byte entropy (not the stretched password). */
export function pairingSessionId(entropy: Uint8Array): Uint8Array {
  checkEntropy(entropy);
  return sha512(entropy);
}

const MAILBOX = /* @__PURE__ */ textEncoder.encode('mailbox');

/**
 * The session id once both static keys are known (every connection after a version-2
 * pairing): SHA-512 of HMAC-SHA256 keyed with the ECDH secret of the two static keys, over
 * "mailbox". Both sides get the same id, each from its own private key and the other's
 * public key.
 */
export function staticKeysSessionId(localPrivateKey: Uint8Array, remotePublicKey: Uint8Array): Uint8Array {
  checkPrivateKey(localPrivateKey, 'localPrivateKey');
  checkPublicKey(remotePublicKey, 'remotePublicKey');
  return sha512(hmac(sha256, ecdh(localPrivateKey, remotePublicKey), MAILBOX));
}
