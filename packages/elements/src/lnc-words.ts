/**
 * `<ampkit-connect>`'s LNC mode in plain words: what a typed pairing phrase lacks, and what
 * a failed connection means for the user. @internal
 */
import { addDefaults, type AmpkitStrings, type StringKey } from './strings.ts';

/**
 * The English words of `<ampkit-connect>`'s LNC mode: they load with its code and join the
 * page's strings table then (a word the page set already stays).
 */
export const LNC_STRINGS = {
  lncPhrase: 'Pairing phrase',
  lncPhraseHint: 'The ten words of a new Lightning Terminal session. Paired here before? Leave it empty and press Connect.',
  lncPhraseCount: '{count} of 10 words',
  lncPhraseTooMany: 'A pairing phrase has 10 words; this has {count}.',
  lncPhraseUnknownWord: "Word {position} is not in Lightning Terminal's word list. Check its spelling.",
  lncPhraseGood: 'Ten words, all from the list.',
  lncAdvanced: 'Advanced',
  lncMailbox: 'Mailbox server',
  lncSessionNotFound: 'Session expired or revoked: create a new one in Lightning Terminal (a phrase works once).',
  lncSessionInUse: 'This session is in use in another tab. Close it there, then try again.',
  lncNotPaired: 'Not paired on this site yet: enter a pairing phrase.',
  lncOffline: 'Offline: could not reach the node or its mailbox. Try again.',
  lncKeptKeys: 'Connecting with the keys kept from an earlier pairing on this site…',
} satisfies Partial<AmpkitStrings>;

addDefaults(LNC_STRINGS);

/** How many words a pairing phrase has (lightning-node-connect's `NumPassphraseWords`). */
export const PHRASE_WORDS = 10;

/** The words typed so far, and those finished (followed by a space, or all once ten are there). */
export function phraseWords(phrase: string): { words: string[]; finished: string[] } {
  const words = phrase.trim().split(/\s+/u).filter(Boolean);
  const finished = /\s$/u.test(phrase) || words.length >= PHRASE_WORDS ? words : words.slice(0, -1);
  return { words, finished };
}

/**
 * The finished words padded to ten with a word of the list ("abandon", BIP-39's first), so
 * checkPairingPhrase can check each word before all ten are typed; undefined when there is
 * nothing to check or too many words (the count says so on its own).
 */
export function paddedForCheck(finished: string[]): string | undefined {
  if (finished.length === 0 || finished.length > PHRASE_WORDS) return undefined;
  return [...finished, ...Array<string>(PHRASE_WORDS - finished.length).fill('abandon')].join(' ');
}

/** The 1-based position of the word checkPairingPhrase refused, read from its message (`word 4 of the pairing phrase, …`). */
export function unknownWordPosition(error: unknown): number | undefined {
  const match = /\bword (\d+) of the pairing phrase/u.exec((error as Error)?.message ?? '');
  return match ? Number(match[1]) : undefined;
}

/** Why an LNC connection failed, as the element says it. */
export type LncFailure = 'session-not-found' | 'session-in-use' | 'not-paired' | 'offline';

/** The words for each failure. */
export const LNC_FAILURE_WORDS: Record<LncFailure, StringKey> = {
  'session-not-found': 'lncSessionNotFound',
  'session-in-use': 'lncSessionInUse',
  'not-paired': 'lncNotPaired',
  offline: 'lncOffline',
};

/**
 * What a rejected `createAmpkit({ lnc })` means, from its `data.reason`: the wire's
 * `LncConnectionError` and `MailboxError` reasons, or the worker's `not-paired`.
 */
export function lncFailure(error: unknown): LncFailure | undefined {
  const reason = (error as { data?: { reason?: unknown } } | null)?.data?.reason;
  switch (reason) {
    case 'not-paired':
      return 'not-paired';
    case 'SESSION_NOT_FOUND':
      return 'session-not-found';
    case 'SESSION_IN_USE':
      return 'session-in-use';
    case 'NOT_CONNECTED':
      return 'offline';
  }
  return globalThis.navigator?.onLine === false ? 'offline' : undefined;
}

/** A node id shortened for a line of text: `02ab12cd…9f3c1e`. */
export function shortNodeId(id: string): string {
  return id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id;
}
