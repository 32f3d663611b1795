/**
 * `<ampkit-pay>`'s picture of the parts, loaded on demand (its own chunk): one row per part
 * sent, with its amount and fate, and its path from the payer's node to the payee, hop by
 * hop (an alias where the page gave one, else a short id), the channel of each step, and for
 * a failed part the step where it failed. @internal
 */
import { css, html, type CSSResult, type TemplateResult } from 'lit';
import type { PartialPayment } from '@ampkit/worker';
import type { PayProgress } from './client.ts';
import type { Translator } from './strings.ts';

const short = (id: string): string => `${id.slice(0, 6)}…${id.slice(-4)}`;
const FATE = { complete: 'partSettled', pending: 'partInflight', failed: 'partFailed' } as const;
const KIND = { complete: 'settled', pending: 'inflight', failed: 'failed' } as const;

/**
 * The step of `part`'s route where it failed: Core Lightning's `erring_index` counts our
 * own node as 0, so the failing node is the one before step `erring_index` (the payee when
 * it is the route's length). Undefined when it did not fail or no node said where.
 */
function failedStep(part: PartialPayment): number | undefined {
  if (part.status !== 'failed' || part.erring_index === undefined) return undefined;
  return Math.min(part.erring_index, part.route.length - 1);
}

/** One part's path: you → hop → … → payee, each step with its channel; the failing step marked. */
function path(part: PartialPayment, aliases: Record<string, string>, t: Translator): TemplateResult {
  const broke = failedStep(part);
  const name = (id: string) => t.ext(aliases[id] ?? short(id), 24);
  return html`<ol class="path">
    <li class="node you">${t.t('diagramYou')}</li>
    ${part.route.map(
      (hop, i) =>
        html`<li class="step ${i === broke ? 'broke' : ''}" title=${hop.channel}>
            <span class="arrow" aria-hidden="true">${i === broke ? '✕' : '→'}</span>
            <span class="sr-only">${i === broke ? t.t('diagramFailedHere', { channel: hop.channel }) : hop.channel}</span>
          </li>
          <li class="node" title=${hop.id}>${name(hop.id)}</li>`,
    )}
  </ol>`;
}

/** The diagram: a row per part, in the order sent. @internal */
export function payDiagram(progress: PayProgress, aliases: Record<string, string>, t: Translator): TemplateResult {
  return html`<ul class="diagram" part="diagram">
    ${progress.parts.map(
      (part, i) =>
        html`<li class="drow ${KIND[part.status]}">
          <div class="line">
            <span>${t.t('diagramPart', { number: t.number(i + 1) })}</span>
            <strong>${t.sat(part.amount_msat)}</strong>
            <span class="fate"
              >${t.t(FATE[part.status])}${part.status === 'failed' && part.failcodename ? ` · ${t.ext(part.failcodename, 48)}` : ''}</span
            >
          </div>
          ${path(part, aliases, t)}
        </li>`,
    )}
  </ul>`;
}

/** The diagram's styles, adopted by the element once this chunk loads. @internal */
export const diagramStyles: CSSResult = css`
  .diagram {
    display: grid;
    gap: 0.5em;
    margin: 0;
    padding: 0;
    list-style: none;
    font-size: 0.85em;
  }
  .drow {
    display: grid;
    gap: 0.3em;
    padding: 0.5em 0.65em;
    border-radius: calc(var(--_radius) * 0.5);
    border-inline-start: 4px solid var(--_inflight);
    background: var(--_surface);
  }
  .drow.settled {
    border-inline-start-color: var(--_settled);
  }
  .drow.failed {
    border-inline-start-color: var(--_failed);
  }
  .line {
    display: flex;
    flex-wrap: wrap;
    gap: 0.25em 0.75em;
    align-items: baseline;
  }
  .fate {
    color: var(--_muted);
  }
  .failed .fate {
    color: var(--_failed);
  }
  .path {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.2em;
    margin: 0;
    padding: 0;
    list-style: none;
  }
  .node {
    padding: 0.05em 0.45em;
    border: 1px solid var(--_border);
    border-radius: 999px;
    background: var(--_bg);
    font-family: var(--_mono);
    font-size: 0.92em;
  }
  .node.you {
    font-family: inherit;
    font-weight: 600;
  }
  .step .arrow {
    color: var(--_muted);
  }
  .step.broke .arrow {
    color: var(--_failed);
    font-weight: 700;
  }
`;
