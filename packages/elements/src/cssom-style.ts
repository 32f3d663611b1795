/**
 * A `style` binding that writes through the CSSOM only. Lit's `styleMap` writes its first
 * render as a `style` attribute, which a Content-Security-Policy without
 * `'unsafe-inline'` refuses (`style-src-attr`); setting `element.style` properties is
 * always allowed. Bind it to the `style` attribute: `style=${cssomStyle({ 'flex-grow': '3' })}`.
 */
import { noChange } from 'lit';
import { Directive, directive, PartType, type AttributePart, type PartInfo } from 'lit/directive.js';

class CssomStyle extends Directive {
  private previous = new Set<string>();

  constructor(info: PartInfo) {
    super(info);
    if (info.type !== PartType.ATTRIBUTE || info.name !== 'style') throw new Error('cssomStyle belongs in the style attribute');
  }

  render(_styles: Record<string, string>): typeof noChange {
    return noChange;
  }

  override update(part: AttributePart, [styles]: [Record<string, string>]): typeof noChange {
    const style = (part.element as HTMLElement).style;
    for (const name of this.previous) if (!(name in styles)) style.removeProperty(name);
    for (const [name, value] of Object.entries(styles)) style.setProperty(name, value);
    this.previous = new Set(Object.keys(styles));
    return noChange;
  }
}

/** Sets CSS properties (CSS names, e.g. `flex-grow`) on the element, through the CSSOM. @internal */
export const cssomStyle = directive(CssomStyle);
