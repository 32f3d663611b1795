/**
 * `<ampkit-pay>`'s progress bar: one track, one segment per part sent, as wide as what the
 * part carries. Settled parts come first, then those in flight, then failed ones, so the
 * bar fills from the start like any progress bar while still showing every attempt; the
 * track is the amount plus what failed parts carried. Each segment is focusable and shows
 * its amount and hop count on hover and on keyboard focus. Status is never told by colour
 * alone: in-flight parts are striped, failed ones hatched, and a legend counts them.
 */
import { css, html, nothing, type TemplateResult } from 'lit';
import { cssomStyle } from './cssom-style.ts';
import type { PartialPayment, PaymentStatus } from '@ampkit/worker';
import type { PayProgress } from './client.ts';
import type { Translator } from './strings.ts';

const ORDER: Record<PaymentStatus, number> = { complete: 0, pending: 1, failed: 2 };
const CLASS: Record<PaymentStatus, 'settled' | 'inflight' | 'failed'> = { complete: 'settled', pending: 'inflight', failed: 'failed' };
const WORD = { settled: 'partSettled', inflight: 'partInflight', failed: 'partFailed' } as const;

/** The bar for a payment's progress. @internal */
export function payBar(progress: PayProgress, t: Translator): TemplateResult {
  const numbered = progress.parts.map((part, i) => ({ part, number: i + 1 }));
  const sorted = numbered.sort((a, b) => ORDER[a.part.status] - ORDER[b.part.status] || a.number - b.number);
  const live = sorted.filter(({ part }) => part.status !== 'failed').reduce((sum, { part }) => sum + part.amount_msat, 0);
  const failed = sorted.filter(({ part }) => part.status === 'failed').reduce((sum, { part }) => sum + part.amount_msat, 0);
  const scale = Math.max(progress.amount_msat, live) + failed || 1;
  let before = 0;
  const counts = { settled: 0, inflight: 0, failed: 0 };
  const segments = sorted.map(({ part, number }) => {
    const kind = CLASS[part.status];
    counts[kind]++;
    const centre = (before + part.amount_msat / 2) / scale;
    before += part.amount_msat;
    return segment(part, number, kind, centre < 0.25 ? 'start' : centre > 0.75 ? 'end' : 'middle', t);
  });
  const delivered = progress.amount_delivered_msat;
  return html`
    <div
      class="track bar"
      part="bar"
      role="progressbar"
      aria-label=${t.t('payProgressLabel')}
      aria-valuemin="0"
      aria-valuemax=${progress.amount_msat / 1000}
      aria-valuenow=${Math.min(delivered, progress.amount_msat) / 1000}
      aria-valuetext=${t.t('payProgressText', { delivered: t.sat(delivered), amount: t.sat(progress.amount_msat) })}
    >
      ${segments}
      ${Math.max(progress.amount_msat, live) > live ? html`<span class="rest" style=${cssomStyle({ 'flex-grow': String(Math.max(progress.amount_msat, live) - live) })}></span>` : nothing}
    </div>
    <div class="legend" part="legend">
      ${(['settled', 'inflight', 'failed'] as const).map((kind) =>
        counts[kind]
          ? html`<span class="key"><span class="swatch ${kind}"></span>${t.t(WORD[kind])} ${t.number(counts[kind])}</span>`
          : nothing,
      )}
    </div>
  `;
}

function segment(part: PartialPayment, number: number, kind: keyof typeof WORD, align: string, t: Translator): TemplateResult {
  const label = t.t('partLabel', {
    number: t.number(number),
    amount: t.sat(part.amount_msat),
    hops: t.count('hops', part.route.length),
    status: t.t(WORD[kind]),
  });
  return html`<span
    class="segment ${kind}"
    part="segment segment-${kind}"
    tabindex="0"
    style=${cssomStyle({ 'flex-grow': String(part.amount_msat) })}
    aria-label=${label}
    data-partid=${part.partid}
    ><span class="tip ${align}" part="tooltip" role="tooltip" aria-hidden="true"
      ><strong>${t.sat(part.amount_msat)}</strong> · ${t.count('hops', part.route.length)}<br /><span class="tip-status"
        >${t.t(WORD[kind])}</span
      ></span
    ></span
  >`;
}

/** The bar's styles. @internal */
export const payBarStyles = css`
  .bar {
    gap: 2px;
    height: 0.9em;
    padding: 0;
  }
  .segment,
  .rest {
    position: relative;
    flex: 1 1 0;
    min-width: 6px;
    border-radius: 999px;
  }
  .rest {
    min-width: 0;
  }
  .segment {
    cursor: default;
    transition:
      background-color 200ms ease,
      flex-grow 250ms ease;
  }
  .segment.settled,
  .swatch.settled {
    background: var(--_settled);
  }
  .segment.inflight,
  .swatch.inflight {
    background: repeating-linear-gradient(-45deg, var(--_inflight) 0 6px, color-mix(in srgb, var(--_inflight) 70%, white) 6px 12px);
    background-size: 16.97px 16.97px; /* one period of the 12px stripes at 45°: the tiles meet seamlessly */
    animation: ampkit-stripes 0.9s linear infinite;
  }
  .segment.failed,
  .swatch.failed {
    background: repeating-linear-gradient(45deg, var(--_failed) 0 3px, color-mix(in srgb, var(--_failed) 35%, white) 3px 6px);
  }
  .segment:focus-visible {
    outline-offset: 3px;
  }
  .tip {
    display: none;
    position: absolute;
    bottom: calc(100% + 10px);
    left: 50%;
    transform: translateX(-50%);
    z-index: 2;
    width: max-content;
    max-width: 16em;
    padding: 0.45em 0.7em;
    border-radius: 8px;
    background: var(--_text);
    color: var(--_bg);
    font-size: 0.82em;
    line-height: 1.35;
    box-shadow: 0 4px 14px rgb(0 0 0 / 18%);
    pointer-events: none;
  }
  .tip.start {
    left: 0;
    transform: none;
  }
  .tip.end {
    left: auto;
    right: 0;
    transform: none;
  }
  .tip-status {
    opacity: 0.85;
  }
  .segment:hover .tip,
  .segment:focus .tip {
    display: block;
  }
  .legend {
    display: flex;
    flex-wrap: wrap;
    gap: 0.35em 1em;
    min-height: 1.2em;
    color: var(--_muted);
    font-size: 0.85em;
  }
  .key {
    display: inline-flex;
    align-items: center;
    gap: 0.4em;
  }
  .swatch {
    display: inline-block;
    width: 0.8em;
    height: 0.8em;
    border-radius: 3px;
    animation: none;
  }
  @keyframes ampkit-stripes {
    to {
      background-position: 16.97px 0;
    }
  }
`;
