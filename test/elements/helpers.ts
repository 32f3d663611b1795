/** Mounting, waiting and screenshots for the element tests. */
import { executeServerCommand } from '@web/test-runner-commands';
import type { LitElement } from 'lit';

/** A stage on the test page: a light page background, a fixed width, like a shop column. */
export function stage(width = 380): HTMLElement {
  const div = document.createElement('div');
  div.className = 'stage';
  div.id = `stage-${Math.random().toString(36).slice(2)}`;
  div.style.cssText = `width:${width}px;padding:20px;background:#f3f4f6;font-family:system-ui,sans-serif`;
  document.body.append(div);
  return div;
}

/** Makes `tag`, sets its properties, puts it on a stage, waits for its first render. */
export async function mount<T extends LitElement>(
  tag: string,
  props: Record<string, unknown> = {},
  attrs: Record<string, string> = {},
  width?: number,
): Promise<T> {
  const element = document.createElement(tag) as T;
  for (const [k, v] of Object.entries(attrs)) element.setAttribute(k, v);
  Object.assign(element, props);
  stage(width).append(element);
  await element.updateComplete;
  return element;
}

/** Clears every stage the tests made. */
export function cleanup(): void {
  for (const s of document.querySelectorAll('.stage')) s.remove();
}

/** Waits until `test` is true (polling), then one more render. */
export async function until(test: () => unknown, what = 'the condition', timeout = 3000): Promise<void> {
  const deadline = performance.now() + timeout;
  while (!test()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits for `element` to reach `state`. */
export async function reach(element: LitElement & { state: string }, state: string, timeout?: number): Promise<void> {
  await until(() => element.state === state, `state ${state} (now ${element.state})`, timeout);
  await element.updateComplete;
}

/** The first match in the element's shadow root. */
export function $(element: Element, selector: string): HTMLElement | null {
  return element.shadowRoot!.querySelector(selector);
}

export function $$(element: Element, selector: string): HTMLElement[] {
  return [...element.shadowRoot!.querySelectorAll<HTMLElement>(selector)];
}

/** The element's visible text, whitespace collapsed, without the isolates around node text (FSI, PDI). */
export function text(element: Element, selector = '.card'): string {
  return ($(element, selector)?.textContent ?? '')
    .replace(/[\u2068\u2069]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The text of the element's aria-live region. */
export function live(element: Element): string {
  return ($(element, '[aria-live]')?.textContent ?? '').replace(/\s+/g, ' ').trim();
}

/** Resolves with the next `type` event that reaches `target`. */
export function nextEvent<E extends Event = CustomEvent>(target: EventTarget, type: string): Promise<E> {
  return new Promise((resolve) => target.addEventListener(type, (e) => resolve(e as E), { once: true }));
}

/** Collects every `type` event that reaches `target`. */
export function record(target: EventTarget, type: string): CustomEvent[] {
  const events: CustomEvent[] = [];
  target.addEventListener(type, (e) => events.push(e as CustomEvent));
  return events;
}

/** Screenshots the element's stage to artifacts/screenshots/<name>.png. */
export async function shot(element: Element, name: string): Promise<void> {
  await (element as LitElement).updateComplete;
  // Fonts and the last frame, so the picture shows what a user sees.
  await document.fonts.ready;
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const holder = element.closest('.stage') as HTMLElement;
  await executeServerCommand('ampkit-screenshot', { selector: `#${holder.id}`, name });
}

/**
 * Screenshots the element as a shopper sees it on a phone (390 px) and on a desktop column
 * (1280 px), light and then dark (the custom properties alone), with the contrast checked in
 * each: `<name>-390`, `<name>-390-dark`, `<name>-1280`, `<name>-1280-dark`.
 */
export async function shots(element: Element, name: string): Promise<void> {
  const holder = element.closest('.stage') as HTMLElement;
  const before = holder.style.cssText;
  for (const width of [390, 1280]) {
    holder.style.cssText = before;
    holder.style.width = `${width}px`;
    assertContrast(element);
    await shot(element, `${name}-${width}`);
    holder.style.background = '#0b0c10';
    for (const [k, v] of Object.entries(DARK_THEME)) holder.style.setProperty(k, v);
    assertContrast(element);
    await shot(element, `${name}-${width}-dark`);
  }
  holder.style.cssText = before;
}

/** WCAG contrast ratio of two CSS colours (rgb()/rgba() as getComputedStyle gives them; alpha is blended over `under`). */
export function contrast(fg: string, bg: string): number {
  const parse = (c: string) => {
    // color-mix() computes to `color(srgb r g b / a)` with channels 0..1.
    const unit = c.startsWith('color(') ? 255 : 1;
    const m = c
      .replace(/^color\(srgb/, '')
      .match(/[\d.]+/g)!
      .map(Number);
    return { r: m[0]! * unit, g: m[1]! * unit, b: m[2]! * unit, a: m[3] ?? 1 };
  };
  const b = parse(bg);
  const f = parse(fg);
  const blend = (x: number, y: number) => x * f.a + y * (1 - f.a);
  const lum = (r: number, g: number, bl: number) => {
    const l = (v: number) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * l(r) + 0.7152 * l(g) + 0.0722 * l(bl);
  };
  const L1 = lum(blend(f.r, b.r), blend(f.g, b.g), blend(f.b, b.b));
  const L2 = lum(b.r, b.g, b.b);
  return (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05);
}

/** The background a node's text sits on: the first ancestor (through shadow roots) with an opaque one. */
export function backgroundOf(node: Element): string {
  for (let el: Element | null = node; el; el = el.parentElement ?? (el.getRootNode() as ShadowRoot).host ?? null) {
    const bg = getComputedStyle(el).backgroundColor;
    if (bg && !/rgba\(.*,\s*0\)$/.test(bg) && bg !== 'transparent') return bg;
  }
  return 'rgb(255, 255, 255)';
}

/** Asserts every visible text in the element's shadow root has a contrast of at least 4.5:1 (WCAG AA). */
export function assertContrast(element: Element, skip = '.sr-only'): void {
  const walker = document.createTreeWalker(element.shadowRoot!, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement!;
    if (!node.textContent!.trim() || parent.closest(skip)) continue;
    const ratio = contrast(getComputedStyle(parent).color, backgroundOf(parent));
    if (ratio < 4.5) throw new Error(`"${node.textContent!.trim()}" has contrast ${ratio.toFixed(2)}, under 4.5`);
  }
}

/** A dark theme from the custom properties alone, for the contrast checks and the dark screenshots. */
export const DARK_THEME: Record<string, string> = {
  '--ampkit-background': '#17191f',
  '--ampkit-surface': '#232631',
  '--ampkit-text': '#f1f2f5',
  '--ampkit-muted': '#a9afbc',
  '--ampkit-border': '#313543',
  '--ampkit-accent': '#8f74ff',
  '--ampkit-accent-text': '#0d0b1a',
  '--ampkit-settled': '#3ccf7a',
  '--ampkit-failed': '#ff7b7b',
  '--ampkit-inflight': '#f0b93a',
  '--ampkit-warning': '#ffd27a',
  '--ampkit-warning-background': '#2e2410',
};
