/**
 * The look every element shares, themed by the host page through CSS custom properties
 * (set them on the element or any ancestor):
 *
 * | property | default | what |
 * |---|---|---|
 * | `--ampkit-accent` | `#5b34da` | buttons, focus rings, links |
 * | `--ampkit-accent-text` | `#ffffff` | text on the accent |
 * | `--ampkit-background` | `#ffffff` | the card |
 * | `--ampkit-surface` | `#f4f5f8` | insets: the bar's track, the proof, the parts list |
 * | `--ampkit-text` | `#16181d` | text |
 * | `--ampkit-muted` | `#555b66` | secondary text (≥ 4.5:1 on background and surface) |
 * | `--ampkit-border` | `#dfe3ea` | card and field borders |
 * | `--ampkit-inflight` | `#e0a21b` | parts in flight |
 * | `--ampkit-settled` | `#15803d` | settled parts, paid states |
 * | `--ampkit-failed` | `#b91c1c` | failed parts, errors |
 * | `--ampkit-warning` | `#7a4b00` | the rune warning's text |
 * | `--ampkit-warning-background` | `#fff7e6` | the rune warning's background |
 * | `--ampkit-focus` | the accent | focus rings |
 * | `--ampkit-font` | `system-ui, …` | every text |
 * | `--ampkit-font-mono` | `ui-monospace, …` | ids, preimages |
 * | `--ampkit-radius` | `12px` | the card's corners (inner corners follow) |
 * | `--ampkit-spacing` | `16px` | the unit of padding and gaps |
 * | `--ampkit-max-width` | `26rem` | the element's widest |
 * | `--ampkit-shadow` | a soft shadow | the card's shadow (`none` for a flat card) |
 */
import { css } from 'lit';

/** Shared element styles. @internal */
export const base = css`
  :host {
    --_accent: var(--ampkit-accent, #5b34da);
    --_accent-text: var(--ampkit-accent-text, #ffffff);
    --_bg: var(--ampkit-background, #ffffff);
    --_surface: var(--ampkit-surface, #f4f5f8);
    --_text: var(--ampkit-text, #16181d);
    --_muted: var(--ampkit-muted, #555b66);
    --_border: var(--ampkit-border, #dfe3ea);
    --_inflight: var(--ampkit-inflight, #e0a21b);
    --_settled: var(--ampkit-settled, #15803d);
    --_failed: var(--ampkit-failed, #b91c1c);
    --_warning: var(--ampkit-warning, #7a4b00);
    --_warning-bg: var(--ampkit-warning-background, #fff7e6);
    --_radius: var(--ampkit-radius, 12px);
    --_space: var(--ampkit-spacing, 16px);
    --_mono: var(--ampkit-font-mono, ui-monospace, 'SFMono-Regular', Menlo, Consolas, 'Liberation Mono', monospace);
    display: block;
    box-sizing: border-box;
    max-width: var(--ampkit-max-width, 26rem);
    font-family: var(--ampkit-font, system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif);
    font-size: 15px;
    line-height: 1.45;
    color: var(--_text);
  }
  :host([hidden]) {
    display: none;
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  .card {
    display: grid;
    gap: calc(var(--_space) * 0.75);
    padding: calc(var(--_space) * 1.25);
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    box-shadow: var(--ampkit-shadow, 0 1px 2px rgb(16 24 40 / 6%), 0 6px 16px rgb(16 24 40 / 7%));
  }
  .row {
    display: flex;
    align-items: baseline;
    justify-content: space-between;
    gap: var(--_space);
    min-width: 0;
  }
  .label {
    color: var(--_muted);
    font-size: 0.87em;
    white-space: nowrap;
  }
  .value {
    text-align: end;
    min-width: 0;
    overflow-wrap: anywhere;
  }
  .mono {
    font-family: var(--_mono);
    font-size: 0.9em;
  }
  .amount {
    font-size: 1.75em;
    font-weight: 650;
    letter-spacing: -0.01em;
    line-height: 1.15;
    font-variant-numeric: tabular-nums;
  }
  .muted {
    color: var(--_muted);
  }
  .message {
    margin: 0;
  }
  .error {
    color: var(--_failed);
  }
  .ok {
    color: var(--_settled);
  }
  .more {
    color: var(--_muted);
    font-size: 0.82em;
  }
  .more summary {
    cursor: pointer;
  }
  .more ul {
    display: grid;
    gap: 0.2em;
    margin: 0.35em 0 0;
    padding: 0;
    list-style: none;
    overflow-wrap: anywhere;
  }
  .warning {
    display: grid;
    gap: 0.35em;
    margin: 0;
    padding: 0.7em 0.85em;
    border: 1px solid color-mix(in srgb, var(--_warning) 35%, var(--_warning-bg));
    border-radius: calc(var(--_radius) * 0.67);
    background: var(--_warning-bg);
    color: var(--_warning);
    font-size: 0.9em;
  }
  button,
  .button {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 0.4em;
    min-height: 2.75em;
    padding: 0 calc(var(--_space) * 1.1);
    border: 1px solid transparent;
    border-radius: calc(var(--_radius) * 0.67);
    background: var(--_accent);
    color: var(--_accent-text);
    font: inherit;
    font-weight: 600;
    text-decoration: none;
    cursor: pointer;
    transition: filter 120ms ease;
  }
  button:hover:not(:disabled),
  .button:hover {
    filter: brightness(1.08);
  }
  button:disabled {
    cursor: default;
    opacity: 0.6;
  }
  button.secondary,
  .button.secondary {
    background: var(--_bg);
    color: var(--_accent);
    border-color: var(--_border);
  }
  button.small {
    min-height: 2.1em;
    padding: 0 calc(var(--_space) * 0.7);
    font-size: 0.87em;
  }
  :focus-visible {
    outline: 2px solid var(--ampkit-focus, var(--_accent));
    outline-offset: 2px;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
  .spinner {
    width: 1.1em;
    height: 1.1em;
    flex: none;
    border: 2px solid var(--_border);
    border-top-color: var(--_accent);
    border-radius: 50%;
    animation: ampkit-spin 0.8s linear infinite;
  }
  .status {
    display: flex;
    align-items: center;
    gap: 0.6em;
    margin: 0;
  }
  .track {
    position: relative;
    display: flex;
    height: 0.75em;
    border-radius: 999px;
    background: var(--_surface);
    box-shadow: inset 0 0 0 1px var(--_border);
  }
  @keyframes ampkit-spin {
    to {
      transform: rotate(360deg);
    }
  }
  @media (prefers-reduced-motion: reduce) {
    *,
    *::before,
    *::after {
      transition: none !important;
      animation: none !important;
    }
  }
  /* The title row of a card: the amount, and a badge or check mark at the far end. */
  .head {
    display: flex;
    align-items: flex-start;
    justify-content: space-between;
    gap: var(--_space);
  }
`;
