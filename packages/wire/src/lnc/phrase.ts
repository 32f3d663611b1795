/**
 * LNC pairing phrase: ten words of the BIP-39 English list (lnd's aezeed word list) that
 * litd shows when it creates a session. From them come the mailbox stream ids of the first
 * connection and, stretched by scrypt, the password that masks the SPAKE2 ephemeral key.
 *
 * Only a first pairing needs this module (the word list and scrypt, about a fifth of LNC's
 * code): the client imports it on demand, so a reconnect with stored keys never loads it.
 * The session and stream ids are in session.ts.
 */
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { WireError } from '../errors.ts';
import {
  checkEntropy,
  PAIRING_ENTROPY_BYTES,
  PAIRING_PHRASE_WORDS,
  pairingPhraseWords,
  pairingSessionId,
  streamIdsOf,
  type LncStreamIds,
} from './session.ts';

// The session module's names, for callers that came here for them.
export {
  PAIRING_ENTROPY_BYTES,
  PAIRING_PHRASE_WORDS,
  pairingSessionId,
  staticKeysSessionId,
  streamIdsOf,
  type LncStreamIds,
} from './session.ts';

const BITS_PER_WORD = 11;

// Built on first use: most pages that load the wire never pair over LNC.
let wordIndex: Map<string, number> | undefined;
function indexOfWord(word: string): number | undefined {
  wordIndex ??= new Map(wordlist.map((w, i) => [w, i]));
  return wordIndex.get(word);
}

/**
 * Reads a pairing phrase into its 14 bytes of entropy. Spaces around and between the words
 * and upper case are forgiven; anything else is refused with a `INVALID_ARGUMENT` error that
 * says what is wrong: not ten words, or which word (and where) is not in the list.
 * The Go client maps an unknown word to index 0 without a word; this fails loudly instead,
 * since such a phrase can only lead to "session not found" later.
 *
 * @example
 * ```ts
 * const entropy = pairingPhraseEntropy('fringe try aim absurd minute lunch refuse spend keen math');
 * ```
 */
export function pairingPhraseEntropy(phrase: string): Uint8Array {
  const words = pairingPhraseWords(phrase);
  const entropy = new Uint8Array(PAIRING_ENTROPY_BYTES);
  let bit = 0;
  for (const [position, word] of words.entries()) {
    const index = indexOfWord(word);
    if (index === undefined) {
      throw new WireError(
        'INVALID_ARGUMENT',
        `word ${position + 1} of the pairing phrase, "${word}", is not in the BIP-39 English word list`,
      );
    }
    // 11 bits per word, most significant first, packed from the first bit of byte 0.
    for (let b = BITS_PER_WORD - 1; b >= 0; b--, bit++) {
      if ((index >> b) & 1) entropy[bit >> 3]! |= 0x80 >> (bit & 7);
    }
  }
  return entropy;
}

/**
 * The ten words for 14 bytes of entropy: the last two bits are dropped, as litd does when it
 * creates a session. For test endpoints that play litd's part.
 */
export function pairingPhraseFromEntropy(entropy: Uint8Array): string {
  checkEntropy(entropy);
  const words: string[] = [];
  for (let w = 0, bit = 0; w < PAIRING_PHRASE_WORDS; w++) {
    let index = 0;
    for (let b = 0; b < BITS_PER_WORD; b++, bit++) index = (index << 1) | ((entropy[bit >> 3]! >> (7 - (bit & 7))) & 1);
    words.push(wordlist[index]!);
  }
  return words.join(' ');
}

/** scrypt cost of the pairing password (lightning-node-connect `mailbox/crypto.go`): 64 MiB of memory. */
export const PAIRING_SCRYPT = { N: 2 ** 16, r: 8, p: 1, dkLen: 32 } as const;

/**
 * Stretches the pairing entropy into the 32-byte SPAKE2 password: scrypt with the entropy as
 * both password and salt. It takes about a second and 64 MiB, and yields to the event loop
 * while it works (a bad size rejects with `INVALID_ARGUMENT`); start it before the mailbox sockets open, since litd waits only 5 s for
 * each handshake act.
 */
export async function stretchPairingEntropy(entropy: Uint8Array): Promise<Uint8Array> {
  checkEntropy(entropy);
  return scryptAsync(entropy, entropy, PAIRING_SCRYPT);
}

/** Everything a first pairing needs from the phrase, computed before the sockets open. */
export interface LncPairingSecrets {
  /** The 14 bytes the ten words encode. */
  entropy: Uint8Array;
  /** The 32-byte SPAKE2 password (scrypt of the entropy), for `LncInitiator`'s `password`. */
  password: Uint8Array;
  /** The mailbox streams of the pairing session. */
  streams: LncStreamIds;
}

/**
 * Reads and stretches a pairing phrase: entropy, scrypt password and stream ids in one call.
 * A malformed phrase rejects at once with the `INVALID_ARGUMENT` error of
 * {@link pairingPhraseEntropy}, before any scrypt work.
 *
 * @example
 * ```ts
 * const { password, streams } = await preparePairing(phrase);
 * ```
 */
export async function preparePairing(phrase: string): Promise<LncPairingSecrets> {
  const entropy = pairingPhraseEntropy(phrase);
  const password = await stretchPairingEntropy(entropy);
  return { entropy, password, streams: streamIdsOf(pairingSessionId(entropy)) };
}
