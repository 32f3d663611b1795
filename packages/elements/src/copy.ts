/**
 * Copy to the clipboard with a visible confirmation: the button's label says "Copied" (or
 * that it could not) for a moment, and the element's live region says it too.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** How long the confirmation stays, in ms. */
const CONFIRM_MS = 2000;

/** The copy button's state and action. @internal */
export class CopyController implements ReactiveController {
  /** `copied` or `failed` for a moment after a copy, else `idle`. */
  status: 'idle' | 'copied' | 'failed' = 'idle';
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostDisconnected(): void {
    clearTimeout(this.timer);
    this.status = 'idle';
  }

  /** Copies `text`; resolves once the confirmation shows. */
  async copy(text: string): Promise<void> {
    try {
      if (!globalThis.navigator?.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(text);
      this.status = 'copied';
    } catch {
      this.status = 'failed';
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.status = 'idle';
      this.host.requestUpdate();
    }, CONFIRM_MS);
    this.host.requestUpdate();
  }
}
