/**
 * `<ampkit-invoice>`'s pieces: the QR code, the "received X of Y" bar and the live list of
 * held parts, and their styles.
 */
import { css, html, nothing, svg, type TemplateResult } from 'lit';
import { cssomStyle } from './cssom-style.ts';
import type { PartGoneReason, PartialInvoice } from '@ampkit/worker';
import { qrPath, type QrEncoder, type QrPath } from './qr.ts';
import type { Translator } from './strings.ts';
import { moreDetails } from './details.ts';

/** A held part, and why it is leaving when it is. @internal */
export interface ShownPart {
  part: PartialInvoice;
  leaving?: PartGoneReason;
}

const GONE = { timeout: 'goneTimeout', failed: 'goneFailed', cancelled: 'goneCancelled', expired: 'goneExpired' } as const;

let lastQr: { text: string; qr: QrPath } | undefined;

/**
 * The QR code of `text` as an SVG (a white quiet zone, dark modules), labelled; a blank
 * square of the same size while the encoder loads. @internal
 */
export function qrCode(encode: QrEncoder | undefined, text: string, label: string): TemplateResult {
  if (!encode) return html`<div class="qr loading" part="qr" role="img" aria-label=${label} aria-busy="true"></div>`;
  // One invoice shows at a time; encoding it again on every render would be waste.
  if (lastQr?.text !== text) lastQr = { text, qr: qrPath(encode, text) };
  const { size, path } = lastQr.qr;
  return html`<svg class="qr" part="qr" viewBox="0 0 ${size} ${size}" role="img" aria-label=${label} shape-rendering="crispEdges">
    ${svg`<rect width=${size} height=${size} fill="#ffffff"></rect><path d=${path} fill="#000000"></path>`}
  </svg>`;
}

/** "Received X of Y" and its bar. @internal */
export function receivedBar(received: number, amount: number, t: Translator): TemplateResult {
  const fraction = amount > 0 ? Math.min(1, received / amount) : 0;
  const text = t.t('invoiceReceived', { received: t.sat(received), amount: t.sat(amount) });
  return html`<div class="received">
    <div class="row"><span part="received">${text}</span><span class="muted">${t.number(Math.floor(fraction * 100))}%</span></div>
    <div
      class="track"
      part="bar"
      role="progressbar"
      aria-label=${t.t('invoiceProgressLabel')}
      aria-valuemin="0"
      aria-valuemax=${amount / 1000}
      aria-valuenow=${Math.min(received, amount) / 1000}
      aria-valuetext=${text}
    >
      <span class="fill" style=${cssomStyle({ width: `${fraction * 100}%` })}></span>
    </div>
  </div>`;
}

/**
 * The held parts, oldest first, as "part 2 of 3 · 600,000 sat · 12:03:41"; leaving ones
 * marked with why; "the payer is sending the rest" while the total is not reached
 * (`short`). Channels, HTLC ids and exact msat are one click away, in the details. @internal
 */
export function partsList(parts: ShownPart[], short: boolean, t: Translator): TemplateResult {
  const count = t.number(parts.length);
  return html`<div class="parts-box">
    <div class="label">${t.t('invoiceParts')}</div>
    ${
      parts.length === 0
        ? html`<p class="message muted empty-parts">${t.t('invoiceNoParts')}</p>`
        : html`<ul class="parts" part="parts">
              ${parts.map(
                ({ part, leaving }, i) =>
                  html`<li class="part ${leaving ? 'leaving' : ''}" part=${leaving ? 'part part-leaving' : 'part'}>
                    <span class="which">${t.t('invoicePart', { number: t.number(i + 1), count })}</span>
                    <span class="part-amount">${t.sat(part.partial_amount_msat)}</span>
                    <span class="muted time"
                      >${leaving ? t.t('invoicePartLeaving', { reason: t.t(GONE[leaving]) }) : t.time(part.incoming_time_unix)}</span
                    >
                  </li>`,
              )}
            </ul>
            ${short ? html`<p class="message muted trying" part="message">${t.t('invoiceTrying')}</p>` : nothing}
            ${moreDetails(
              t.t('payDetails'),
              parts.map(({ part }, i) =>
                t.t('invoicePartDetail', {
                  number: t.number(i + 1),
                  amount: t.msat(part.partial_amount_msat),
                  channel: part.incoming_scid,
                  htlc: String(part.htlc_id),
                  expiry: String(part.expiry),
                }),
              ),
            )}`
    }
  </div>`;
}

/** The invoice element's styles. @internal */
export const invoiceStyles = css`
  .description {
    margin: -0.35em 0 0;
    color: var(--_muted);
    overflow-wrap: anywhere;
  }
  .badge {
    flex: none;
    padding: 0.15em 0.65em;
    border-radius: 999px;
    font-size: 0.8em;
    font-weight: 600;
    background: var(--_surface);
    color: var(--_muted);
  }
  .qr-box {
    display: grid;
    justify-items: center;
    gap: 0.5em;
  }
  .qr {
    display: block;
    width: 100%;
    max-width: 17rem;
    height: auto;
    aspect-ratio: 1;
    border-radius: calc(var(--_radius) * 0.67);
    border: 1px solid var(--_border);
  }
  .qr.loading {
    background: var(--_surface);
  }
  .actions {
    display: flex;
    gap: 0.5em;
  }
  .actions > * {
    flex: 1 1 0;
  }
  .received {
    display: grid;
    gap: 0.4em;
    font-variant-numeric: tabular-nums;
  }
  .fill {
    display: block;
    height: 100%;
    border-radius: 999px;
    background: var(--_settled);
    transition: width 300ms ease;
  }
  .parts-box {
    display: grid;
    gap: 0.35em;
  }
  .parts {
    display: grid;
    gap: 2px;
    margin: 0;
    padding: 0;
    list-style: none;
    border-radius: calc(var(--_radius) * 0.67);
    overflow: hidden;
  }
  .part {
    display: grid;
    grid-template-columns: minmax(0, 1fr) auto auto;
    align-items: baseline;
    gap: 0.9em;
    padding: 0.45em 0.75em;
    background: var(--_surface);
    font-size: 0.9em;
    font-variant-numeric: tabular-nums;
    transition: opacity 300ms ease;
  }
  .which {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .trying {
    font-size: 0.9em;
  }
  .part-amount {
    font-weight: 600;
    text-align: end;
  }
  .part.leaving {
    background: color-mix(in srgb, var(--_failed) 7%, var(--_bg));
  }
  .part.leaving .which,
  .part.leaving .part-amount {
    text-decoration: line-through;
    text-decoration-color: var(--_failed);
  }
  .part.leaving .time {
    color: var(--_failed);
  }
  .empty-parts {
    font-size: 0.9em;
  }
  .done {
    display: grid;
    justify-items: center;
    gap: 0.5em;
    padding: calc(var(--_space) * 0.5) 0;
    text-align: center;
  }
  .mark {
    display: grid;
    place-items: center;
    width: 3.2rem;
    height: 3.2rem;
    border-radius: 50%;
    font-size: 1.6rem;
    font-weight: 700;
    color: var(--_bg);
    background: var(--_settled);
  }
  .mark.expired {
    background: var(--_muted);
  }
  .done .big {
    font-size: 1.2em;
    font-weight: 650;
  }
  .footer {
    display: flex;
    justify-content: space-between;
    gap: 1em;
    font-size: 0.85em;
  }
`;
