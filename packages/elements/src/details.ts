/**
 * What is one click away: a closed `<details>` with its summary and a list of lines (raw
 * reasons, channels, exact msat), styled by the base theme's `.more`. @internal
 */
import { html, nothing, type TemplateResult } from 'lit';

/** The lines under `summary`, closed until clicked; nothing without lines. @internal */
export function moreDetails(summary: string, lines: readonly (string | TemplateResult)[]): TemplateResult | typeof nothing {
  if (!lines.length) return nothing;
  return html`<details class="more" part="details">
    <summary>${summary}</summary>
    <ul class="mono">
      ${lines.map((line) => html`<li>${line}</li>`)}
    </ul>
  </details>`;
}
