/**
 * How a message body renders, in Chromium against browser mode: single line breaks kept, *actions* and "speech"
 * styled, a card's HTML status panel drawn with its safe styling (and none that escapes the message), remote
 * images never requested, vault images shown, links opened only after a dialog that shows the real address, code
 * blocks kept literal. Screenshots at phone and desktop sizes, light and dark.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumMissing, launchBrowser, refuseRemote, screenshot, type Browser } from './support/browser.node.ts';
import { startBrowserMode, type BrowserMode } from './support/app.node.ts';
import { answerDialog, navTo, onboard, openApp } from './support/flows.node.ts';

const skip = chromiumMissing();
/** A 1×1 PNG: a vault asset the message may show. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

const panel = [
  '<style>body { background: url(https://tracker.example/style.png); }</style>',
  '<div style="border: 2px solid #7a5cff; border-radius: 10px; padding: 8px; background-color: #f4f0ff; color: #222; position: fixed; top: 0; left: 0; z-index: 9999; background-image: url(https://tracker.example/bg.png)" class="toast" id="root" onclick="window.__pwned=1" onmouseover="window.__pwned=2" data-ms-asset="0123456789abcdef0123456789abcdef">',
  '<b>Status</b>',
  '<table><tr><th>HP</th><td>87/100</td></tr><tr><th>Mood</th><td>Wary</td></tr></table>',
  '<details><summary>Inventory</summary>Rope, lantern, <font color="#b00">a red key</font></details>',
  '</div>',
  '',
  'Tracker: <img src="https://tracker.example/pixel.png" alt="pixel"> and crest: <img src="asset:ASSET" alt="crest">',
].join('\n');

const story = [
  '*She leans in.* "Keep your voice down," she whispers. *Then:* “Now.”',
  '',
  'See [the town wiki](https://wiki.example/town?page=1) for more.',
  '',
  '```js',
  'const s = "<b>not bold</b>";',
  '```',
].join('\n');

describe.skipIf(skip !== null)(`message formatting${skip ? ` (${skip})` : ''}`, () => {
  let app: BrowserMode;
  let browser: Browser;
  let routedAway: string[] = [];
  /** Console reports of the page's CSP refusing something (inline styles must go through the CSSOM instead). */
  const cspViolations: string[] = [];
  const body = (page: Page, n: number) => page.locator('article.msg .md').nth(n);

  beforeAll(async () => {
    app = await startBrowserMode();
    browser = await launchBrowser();
    routedAway = await refuseRemote(browser.context);
    browser.page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
    });
    await openApp(browser.page, app.url);
    await onboard(browser.page);
    const call = async <T,>(r: Promise<{ ok: true; value: T } | { ok: false; error: { message: string } }>): Promise<T> => {
      const x = await r;
      if (!x.ok) throw new Error(x.error.message);
      return x.value;
    };
    const ch = await call(app.core.invoke('character.create', { name: 'Mira' }));
    const { assetId } = await call(app.core.invoke('assets.setAvatar', { recordId: ch.id, kind: 'character', mime: 'image/png', bytesBase64: PNG }));
    const conv = await call(app.core.invoke('conversation.create', { title: 'Formatting', characterIds: [ch.id] }));
    const lines = Array.from({ length: 120 }, (_, i) => `Line ${i + 1} of the long letter.`).join('\n');
    await call(app.core.invoke('conversation.addMessage', { id: conv.id, role: 'character', text: lines, authorId: ch.id }));
    await call(app.core.invoke('conversation.addMessage', { id: conv.id, role: 'character', text: panel.replace('ASSET', assetId), authorId: ch.id }));
    await call(app.core.invoke('conversation.addMessage', { id: conv.id, role: 'character', text: story, authorId: ch.id }));
    await navTo(browser.page, 'Conversations');
    await browser.page.getByRole('button', { name: /^Open Formatting/ }).first().click();
    await body(browser.page, 2).getByText('the town wiki').waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('keeps every single line break: a 120-line message renders 120 lines', async () => {
    const long = body(browser.page, 0);
    await long.scrollIntoViewIfNeeded();
    const shown = await long.evaluate((el) => {
      const tops = new Set<number>();
      const range = document.createRange();
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        range.selectNodeContents(n);
        for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.top));
      }
      return { text: (el as HTMLElement).innerText.split('\n').filter((l) => l.trim()).length, lines: tops.size };
    });
    expect(shown).toEqual({ text: 120, lines: 120 });
  });

  it('renders an HTML status panel with its safe styling, and nothing that escapes the message or runs', async () => {
    const md = body(browser.page, 1);
    await md.scrollIntoViewIfNeeded();
    const box = md.locator('div').first();
    await expect(md.locator('table tr').count()).resolves.toBe(2);
    await expect(md.locator('details summary').innerText()).resolves.toBe('Inventory');
    await md.getByText('Inventory').click();
    await md.getByText('a red key').waitFor();
    const style = await box.evaluate((el) => {
      const s = getComputedStyle(el);
      return { border: s.borderTopStyle, width: s.borderTopWidth, radius: s.borderTopLeftRadius, bg: s.backgroundColor, image: s.backgroundImage, position: s.position, z: s.zIndex };
    });
    expect(style).toEqual({ border: 'solid', width: '2px', radius: '10px', bg: 'rgb(244, 240, 255)', image: 'none', position: 'static', z: 'auto' });
    const attrs = await box.evaluate((el) => el.getAttributeNames().sort());
    expect(attrs).toEqual(['style']);
    await box.click();
    await expect(browser.page.evaluate(() => (window as { __pwned?: number }).__pwned)).resolves.toBeUndefined();
    expect(await browser.page.locator('.messages style, .messages script').count()).toBe(0);
    // The panel sits inside its message, however it asked to be placed.
    const [inner, outer] = await Promise.all([box.boundingBox(), md.boundingBox()]);
    expect(inner!.y).toBeGreaterThanOrEqual(outer!.y);
  });

  it('never requests a remote image; shows the vault image', async () => {
    const md = body(browser.page, 1);
    await md.getByText('[image: pixel]').waitFor();
    const crest = md.locator('img[alt="crest"]');
    await expect.poll(() => crest.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(1);
    expect(await crest.getAttribute('src')).toMatch(/^blob:/);
    expect(await md.locator('img').count()).toBe(1);
    expect(routedAway).toEqual([]);
    expect(browser.remoteRequests).toEqual([]);
  });

  it('styles *actions* and "speech", keeps code literal', async () => {
    const md = body(browser.page, 2);
    await expect(md.locator('em').first().innerText()).resolves.toBe('She leans in.');
    await expect(md.locator('.md-speech').allInnerTexts()).resolves.toEqual(['"Keep your voice down,"', '“Now.”']);
    const [speech, plain] = await Promise.all([md.locator('.md-speech').first().evaluate((e) => getComputedStyle(e).color), md.locator('p').first().evaluate((e) => getComputedStyle(e).color)]);
    expect(speech).not.toBe(plain);
    expect((await md.locator('pre code').innerText()).trim()).toBe('const s = "<b>not bold</b>";');
    expect(await md.locator('pre b, pre .md-speech').count()).toBe(0);
  });

  it('opens a link only after a dialog that shows its real address', async () => {
    const { page } = browser;
    const link = body(page, 2).getByRole('link', { name: 'the town wiki' });
    await link.click();
    const said = await answerDialog(page, 'cancel');
    expect(said).toContain('https://wiki.example/town?page=1');
    await page.waitForTimeout(300);
    expect(routedAway).toEqual([]);
    await link.click();
    await answerDialog(page, 'confirm');
    await expect.poll(() => routedAway).toEqual(['https://wiki.example/town?page=1']);
    for (const p of browser.context.pages()) if (p !== page) await p.close();
  });

  it('looks right at phone and desktop sizes, light and dark', async () => {
    const { page } = browser;
    for (const [w, h] of [[390, 844], [1280, 800]] as const) {
      for (const scheme of ['light', 'dark'] as const) {
        await page.setViewportSize({ width: w, height: h });
        await page.emulateMedia({ colorScheme: scheme });
        const menu = page.getByRole('button', { name: 'Menu', exact: true });
        if (await menu.isVisible() && (await menu.getAttribute('aria-expanded')) === 'true') await menu.click();
        await body(page, 1).scrollIntoViewIfNeeded();
        await screenshot(page, `formatting-panel-${w}-${scheme}`);
        await body(page, 2).scrollIntoViewIfNeeded();
        await screenshot(page, `formatting-story-${w}-${scheme}`);
      }
    }
    expect(browser.pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
