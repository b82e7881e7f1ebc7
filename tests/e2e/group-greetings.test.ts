/**
 * A group chat opened in the app (playing a scenario without opening messages) starts with each member's greeting,
 * as SillyTavern's getGroupChat does: each shown as that member's message, with {{char}} the member and {{user}}
 * the persona; a card's group-only greeting first, its other greetings as alternatives. Screenshots at phone and
 * desktop sizes, light and dark.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchBrowser, screenshot, type Browser } from './support/browser.node.ts';
import { startBrowserMode, type BrowserMode } from './support/app.node.ts';
import { navTo, onboard, openApp } from './support/flows.node.ts';

const skip = chromiumMissing();

describe.skipIf(skip !== null)(`group greetings${skip ? ` (${skip})` : ''}`, () => {
  let app: BrowserMode;
  let browser: Browser;
  const ok = <T,>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };

  beforeAll(async () => {
    app = await startBrowserMode();
    browser = await launchBrowser({ width: 1280, height: 800 });
    await openApp(browser.page, app.url);
    await onboard(browser.page);
    const wren = ok(await app.core.invoke('persona.create', { name: 'Wren' })).id;
    const ada = ok(await app.core.invoke('character.create', { name: 'Ada', first_mes: '*{{char}} looks up from the map.* "Evening, {{user}}."' })).id;
    const bram = ok(
      await app.core.invoke('character.create', { name: 'Bram', first_mes: 'Just {{char}}, alone.', alternate_greetings: ['{{char}} yawns.'], group_only_greetings: ['"All of you, at last," says {{char}}. "And {{user}} too."'] }),
    ).id;
    ok(await app.core.invoke('scenario.create', { title: 'Map room', setting: 'A harbour office.', characterIds: [ada, bram], personaId: wren, openingMessages: [] }));
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('shows each member\'s greeting, in their own name, macros for that member', async () => {
    const { page } = browser;
    await navTo(page, 'Scenarios');
    await page.getByRole('button', { name: 'Play Map room' }).click();
    const ada = page.getByRole('article', { name: 'Ada said' });
    const bram = page.getByRole('article', { name: 'Bram said' });
    await ada.waitFor();
    // Macros are applied once the chat's display context has loaded.
    await expect.poll(() => ada.innerText()).toContain('Ada looks up from the map. "Evening, Wren."');
    await expect.poll(() => bram.innerText()).toContain('"All of you, at last," says Bram. "And Wren too."');
    await page.getByRole('button', { name: 'Next alternative (message 2)' }).click();
    await expect.poll(() => bram.innerText()).toContain('Just Bram, alone.');
    await page.getByRole('button', { name: 'Previous alternative (message 2)' }).click();
    await expect.poll(() => bram.innerText()).toContain('All of you, at last');
  });

  it('looks right at phone and desktop sizes, light and dark', async () => {
    const { page } = browser;
    for (const [w, h] of [[390, 844], [1280, 800]] as const) {
      for (const scheme of ['light', 'dark'] as const) {
        await page.setViewportSize({ width: w, height: h });
        await page.emulateMedia({ colorScheme: scheme });
        await page.getByRole('article', { name: 'Bram said' }).scrollIntoViewIfNeeded();
        await screenshot(page, `group-greetings-${w}-${scheme}`);
      }
    }
    expect(browser.pageErrors).toEqual([]);
  });
});
