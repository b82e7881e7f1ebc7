/**
 * Layout checks a person would notice, measured in the page: a page wider than the window, a control cut off at
 * the window's edge or under another control, a button whose label spills out of it, and text whose contrast
 * with what is behind it is below WCAG AA (4.5:1, or 3:1 for large text), and a control with no name a screen
 * reader could say. Each finding names the element.
 */
import type { Page } from 'playwright-core';

export async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const vw = document.documentElement.clientWidth;
    const vh = document.documentElement.clientHeight;

    const describe = (el: Element) => {
      const label = el.getAttribute('aria-label') ?? (el as HTMLElement).innerText?.trim().slice(0, 40) ?? '';
      return `<${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? ` .${el.className.split(/\s+/).join('.')}` : ''}> "${label}"`;
    };
    const shown = (el: Element) => {
      if (el.closest('.visually-hidden, .skip, [hidden], [aria-hidden="true"]')) return false;
      const cs = getComputedStyle(el);
      if (cs.visibility === 'hidden' || cs.display === 'none') return false;
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0;
    };
    /** The part of an element not clipped away by a scrolling or overflow-hidden ancestor (or the window). */
    const visibleRect = (el: Element) => {
      const r = el.getBoundingClientRect();
      let [l, t, rt, b] = [r.left, r.top, r.right, r.bottom];
      for (let p = el.parentElement; p; p = p.parentElement) {
        const cs = getComputedStyle(p);
        if (cs.overflowX !== 'visible' || cs.overflowY !== 'visible') {
          const pr = p.getBoundingClientRect();
          [l, t, rt, b] = [Math.max(l, pr.left), Math.max(t, pr.top), Math.min(rt, pr.right), Math.min(b, pr.bottom)];
        }
      }
      [t, b] = [Math.max(t, 0), Math.min(b, vh)];
      return { l, t, r: rt, b, empty: rt - l < 1 || b - t < 1 };
    };

    // 1. Nothing wider than the window.
    if (document.documentElement.scrollWidth > vw + 1) problems.push(`page scrolls sideways (${document.documentElement.scrollWidth}px in a ${vw}px window)`);
    for (const el of document.querySelectorAll('.content, .messages, .page, .library, .editor')) {
      if (el.scrollWidth > el.clientWidth + 1) problems.push(`${describe(el)} scrolls sideways (${el.scrollWidth} > ${el.clientWidth})`);
    }

    // 2. Controls: inside the window, not under each other, labels inside their buttons.
    const controls = [...document.querySelectorAll('button, a[href], input:not([type=file]), select, textarea, [role=tab]')].filter(shown);
    const boxes: { el: Element; l: number; t: number; r: number; b: number }[] = [];
    for (const el of controls) {
      const v = visibleRect(el);
      if (v.empty) continue;
      const full = el.getBoundingClientRect();
      if (full.left < -1 || full.right > vw + 1) problems.push(`${describe(el)} is cut off at the window's edge`);
      if (el.tagName === 'BUTTON' && el.scrollWidth > el.clientWidth + 1) problems.push(`${describe(el)}: its label spills out (${el.scrollWidth} > ${el.clientWidth})`);
      if (!el.closest('.toasts')) boxes.push({ el, ...v });
    }
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!;
        const b = boxes[j]!;
        if (a.el.contains(b.el) || b.el.contains(a.el)) continue;
        const w = Math.min(a.r, b.r) - Math.max(a.l, b.l);
        const h = Math.min(a.b, b.b) - Math.max(a.t, b.t);
        if (w > 2 && h > 2) problems.push(`${describe(a.el)} overlaps ${describe(b.el)}`);
      }
    }

    // 3. Contrast of every piece of text against what is actually behind it.
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 1;
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    const rgba = (css: string): [number, number, number, number] => {
      ctx.clearRect(0, 0, 1, 1);
      ctx.fillStyle = '#000';
      ctx.fillStyle = css;
      ctx.fillRect(0, 0, 1, 1);
      const d = ctx.getImageData(0, 0, 1, 1).data;
      return [d[0]!, d[1]!, d[2]!, d[3]! / 255];
    };
    const over = (top: [number, number, number, number], under: [number, number, number]): [number, number, number] => {
      const a = top[3];
      return [0, 1, 2].map((i) => top[i]! * a + under[i]! * (1 - a)) as [number, number, number];
    };
    const background = (el: Element): [number, number, number] => {
      const layers: [number, number, number, number][] = [];
      for (let p: Element | null = el; p; p = p.parentElement) {
        const c = rgba(getComputedStyle(p).backgroundColor);
        if (c[3] > 0) layers.push(c);
        if (c[3] >= 1) break;
      }
      let bg: [number, number, number] = [255, 255, 255];
      for (const layer of layers.reverse()) bg = over(layer, bg);
      return bg;
    };
    const luminance = ([r, g, b]: [number, number, number]) => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const seen = new Set<Element>();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!el || seen.has(el) || !node.textContent?.trim()) continue;
      seen.add(el);
      if (!shown(el) || visibleRect(el).empty) continue;
      // Disabled controls are exempt (WCAG 1.4.3); so is the drop hint drawn over content.
      if (el.closest('button:disabled, option, .drop-hint')) continue;
      const cs = getComputedStyle(el);
      let opacity = 1;
      for (let p: Element | null = el; p; p = p.parentElement) opacity *= Number(getComputedStyle(p).opacity);
      const bg = background(el);
      const fg = rgba(cs.color);
      const text = over([fg[0], fg[1], fg[2], fg[3] * opacity], bg);
      const [l1, l2] = [luminance(text), luminance(bg)].sort((x, y) => y - x) as [number, number];
      const ratio = (l1 + 0.05) / (l2 + 0.05);
      const size = parseFloat(cs.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) problems.push(`${describe(el)}: contrast ${ratio.toFixed(2)}:1 is too low`);
    }
    // 4. Every control has a name a screen reader can say, and no two controls on screen share one (a list of
    // "Chat", "Chat", "Chat" buttons says nothing about which is which).
    const named = new Map<string, number>();
    for (const el of document.querySelectorAll('button, a[href], input:not([type=hidden]), select, textarea, [role=tab], [role=log]')) {
      if (el.closest('[aria-hidden="true"]') || (el as HTMLInputElement).type === 'file') continue;
      if ((el as HTMLInputElement).type === 'radio') continue; // a radio group shares a name by design
      const labelled = el.getAttribute('aria-labelledby')?.split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join('');
      const name = el.getAttribute('aria-label') || labelled || [...((el as HTMLInputElement).labels ?? [])].map((l) => [...l.childNodes].filter((n) => !n.contains(el)).map((n) => n.textContent).join('')).join('') || (el.tagName === 'BUTTON' || el.tagName === 'A' || el.getAttribute('role') === 'tab' ? (el as HTMLElement).innerText : '') || el.getAttribute('title');
      if (!name?.trim()) problems.push(`${describe(el)} has no accessible name`);
      else if (shown(el)) named.set(name.trim().replace(/\s+/g, ' '), (named.get(name.trim().replace(/\s+/g, ' ')) ?? 0) + 1);
    }
    for (const [name, n] of named) if (n > 1) problems.push(`${n} controls share the name "${name}"`);
    return problems;
  });
}

export interface FocusStop {
  name: string;
  /** Whether the focused element shows a ring (outline or box-shadow) a sighted keyboard user can see. */
  ringVisible: boolean;
}

/** Presses Tab until focus comes back round (or `max` stops), recording each stop and whether its focus shows. */
export async function tabThrough(page: Page, max = 80): Promise<FocusStop[]> {
  const stops: FocusStop[] = [];
  let first: string | null = null;
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const cs = getComputedStyle(el);
      const ring = (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2) || (cs.boxShadow !== 'none' && cs.boxShadow !== '');
      const name = el.getAttribute('aria-label') || [...((el as HTMLInputElement).labels ?? [])].map((l) => [...l.childNodes].filter((n) => !n.contains(el)).map((n) => n.textContent).join('')).join('') || el.innerText?.trim() || el.tagName;
      return { key: `${el.tagName}#${el.id}:${name}:${Math.round(el.getBoundingClientRect().top)}`, name: name.trim().replace(/\s+/g, ' '), ringVisible: ring };
    });
    if (!stop) continue;
    if (stop.key === first) break;
    first ??= stop.key;
    stops.push({ name: stop.name, ringVisible: stop.ringVisible });
  }
  return stops;
}
