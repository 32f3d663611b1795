/** `<ampkit-connect>`'s own styles. @internal */
import { css } from 'lit';

export const connectStyles = css`
  form {
    display: grid;
    grid-template-columns: minmax(0, 1fr);
    gap: calc(var(--_space) * 0.75);
  }
  .field {
    display: grid;
    gap: 0.3em;
  }
  label,
  legend {
    font-size: 0.87em;
    font-weight: 600;
  }
  input {
    width: 100%;
    min-height: 2.6em;
    padding: 0 0.75em;
    border: 1px solid var(--_border);
    border-radius: calc(var(--_radius) * 0.67);
    background: var(--_bg);
    color: var(--_text);
    font: inherit;
    font-family: var(--_mono);
    font-size: 0.9em;
  }
  input:focus-visible {
    outline: 2px solid var(--ampkit-focus, var(--_accent));
    outline-offset: 0;
    border-color: transparent;
  }
  input:disabled {
    background: var(--_surface);
    color: var(--_muted);
  }
  .bottom {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    justify-content: space-between;
    gap: calc(var(--_space) * 0.75) var(--_space);
  }
  .state {
    display: inline-flex;
    align-items: center;
    gap: 0.5em;
    font-size: 0.9em;
    min-width: 0;
  }
  .dot {
    flex: none;
    width: 0.6em;
    height: 0.6em;
    border-radius: 50%;
    background: var(--_muted);
  }
  .dot.open {
    background: var(--_settled);
  }
  .dot.connecting,
  .dot.reconnecting {
    background: var(--_inflight);
  }
  .dot.failed {
    background: var(--_failed);
  }
  .alias {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .warning strong {
    font-weight: 650;
  }
  .summary {
    font-size: 0.92em;
  }
  .hint {
    margin: 0;
    font-size: 0.87em;
  }
  .mode {
    display: flex;
    flex-wrap: wrap;
    gap: 0.3em 1.2em;
    margin: 0;
    padding: 0;
    border: 0;
  }
  legend {
    padding: 0 0 0.3em;
  }
  .choice {
    display: flex;
    align-items: center;
    gap: 0.4em;
  }
  .choice input {
    all: revert;
    margin: 0;
    accent-color: var(--_accent);
  }
  summary {
    width: fit-content;
    margin-bottom: 0.5em;
    font-size: 0.87em;
    color: var(--_muted);
    cursor: pointer;
  }
  .buttons {
    display: inline-flex;
    flex-wrap: wrap;
    justify-content: flex-end;
    gap: 0.5em;
    margin-left: auto;
  }
`;
