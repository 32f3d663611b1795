/**
 * `<ampkit-connect>`'s LNC mode, loaded on demand: the element imports this module
 * dynamically once LND (Lightning Terminal) is chosen, so a page that connects over commando
 * never loads it, and the BIP-39 word list (which checkPairingPhrase loads on its first call)
 * is a further chunk of its own. It holds the phrase check, the LNC fields and the words for
 * each LNC failure. @internal
 */
import { html, type TemplateResult } from 'lit';
import { checkPairingPhrase, DEFAULT_MAILBOX_SERVER } from '@ampkit/wire/lnc';
import type { StringKey, Translator } from './strings.ts';
import { paddedForCheck, phraseWords, PHRASE_WORDS, unknownWordPosition } from './lnc-words.ts';

export { LNC_FAILURE_WORDS, lncFailure, shortNodeId, type LncFailure } from './lnc-words.ts';

/** What the typed pairing phrase lacks, as a key of the strings table; undefined when nothing is typed. */
export type PhraseCheck = { key: StringKey; values?: Record<string, string | number>; error?: boolean } | undefined;

/**
 * Checks a typed pairing phrase as far as it goes: too many words at once; each word finished
 * so far against the list (checkPairingPhrase, the missing words filled in with one of the
 * list); the count while fewer than ten. A word not in the list is named by its place only:
 * the phrase is never repeated elsewhere or logged.
 */
export async function checkPhrase(phrase: string): Promise<PhraseCheck> {
  const { words, finished } = phraseWords(phrase);
  if (words.length === 0) return undefined;
  if (words.length > PHRASE_WORDS) return { key: 'lncPhraseTooMany', values: { count: words.length }, error: true };
  const padded = paddedForCheck(finished);
  if (padded) {
    try {
      await checkPairingPhrase(padded);
    } catch (error) {
      const position = unknownWordPosition(error);
      if (position === undefined) throw error;
      return { key: 'lncPhraseUnknownWord', values: { position }, error: true };
    }
  }
  return words.length < PHRASE_WORDS ? { key: 'lncPhraseCount', values: { count: words.length } } : { key: 'lncPhraseGood' };
}

/** What the LNC fields show and where the user's typing goes. */
export interface LncFieldsView {
  t: Translator;
  phrase: string;
  mailbox: string;
  /** A mailbox was given by the page: the advanced section starts open. */
  mailboxGiven: boolean;
  check: PhraseCheck;
  locked: boolean;
  onPhrase(event: Event): void;
  onMailbox(event: Event): void;
}

/**
 * The pairing-phrase field with its check, and the mailbox under "Advanced". The phrase is a
 * text field, not a masked one: ten words typed or pasted must be readable to be checked by
 * eye, and the phrase is worth nothing once it has paired (the element clears it then).
 */
export function renderLncFields(view: LncFieldsView): TemplateResult {
  const { t, check, locked } = view;
  const tone = check?.error ? 'error' : check?.key === 'lncPhraseGood' ? 'ok' : 'muted';
  return html`<div class="field" part="field field-phrase">
      <label for="phrase">${t.t('lncPhrase')}</label>
      <input
        id="phrase"
        part="input"
        type="text"
        .value=${view.phrase}
        autocomplete="off"
        autocapitalize="none"
        spellcheck="false"
        aria-describedby="phrase-hint"
        aria-invalid=${check?.error ? 'true' : 'false'}
        ?disabled=${locked}
        @input=${view.onPhrase}
      />
      <p id="phrase-hint" class="hint ${tone}" part="hint" aria-live="polite">
        ${locked && !view.phrase.trim() ? t.t('lncKeptKeys') : check ? t.t(check.key, check.values) : t.t('lncPhraseHint')}
      </p>
    </div>
    <details class="advanced" ?open=${view.mailboxGiven}>
      <summary>${t.t('lncAdvanced')}</summary>
      <div class="field" part="field field-mailbox">
        <label for="mailbox">${t.t('lncMailbox')}</label>
        <input
          id="mailbox"
          part="input"
          type="text"
          .value=${view.mailbox}
          placeholder=${DEFAULT_MAILBOX_SERVER}
          autocomplete="off"
          spellcheck="false"
          ?disabled=${locked}
          @input=${view.onMailbox}
        />
      </div>
    </details>`;
}
