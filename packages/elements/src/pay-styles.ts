/** `<ampkit-pay>`'s own styles (the bar's are in pay-bar.ts). @internal */
import { css } from 'lit';

export const payStyles = css`
  .badge {
    flex: none;
    padding: 0.15em 0.65em;
    border-radius: 999px;
    font-size: 0.8em;
    font-weight: 600;
    background: var(--_surface);
    color: var(--_muted);
  }
  .badge.paid {
    background: color-mix(in srgb, var(--_settled) 12%, var(--_bg));
    color: var(--_settled);
  }
  .badge.failed,
  .badge.expired {
    background: color-mix(in srgb, var(--_failed) 10%, var(--_bg));
    color: var(--_failed);
  }
  .details {
    display: grid;
    gap: 0.3em;
    margin: 0;
  }
  .details dd {
    margin: 0;
  }
  .description {
    display: -webkit-box;
    -webkit-line-clamp: 3;
    -webkit-box-orient: vertical;
    overflow: hidden;
  }
  .progress {
    display: grid;
    gap: 0.5em;
    padding-top: 1.6em;
  }
  .stats {
    display: flex;
    gap: 1.25em;
    margin: 0;
    font-size: 0.9em;
    font-variant-numeric: tabular-nums;
  }
  .stats dt {
    color: var(--_muted);
    display: inline;
  }
  .stats dd {
    display: inline;
    margin: 0 0 0 0.35em;
    font-weight: 600;
  }
  .proof {
    display: grid;
    gap: 0.4em;
    padding: calc(var(--_space) * 0.75);
    border-radius: calc(var(--_radius) * 0.67);
    background: var(--_surface);
  }
  .proof .row {
    align-items: center;
  }
  .preimage {
    word-break: break-all;
    line-height: 1.4;
  }
  button.wide {
    width: 100%;
  }
  .check {
    display: inline-grid;
    place-items: center;
    width: 1.6em;
    height: 1.6em;
    border-radius: 50%;
    background: var(--_settled);
    color: var(--_bg);
    font-weight: 700;
  }
`;
