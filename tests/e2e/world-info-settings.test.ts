/**
 * The settings for lorebooks everywhere and the default author's note, in Chromium against browser mode: each value
 * typed is stored (and a bad one is refused with a note, nothing stored), min activations are off while the rounds
 * limit is set, the default note is what a new chat starts with; a lorebook entry's character filter set in the
 * editor is stored where the prompt reads it. Screenshots at phone and desktop sizes, light and dark.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumMissing, launchBrowser, screenshot, type Browser } from './support/browser.node.ts';
import { startBrowserMode, type BrowserMode } from './support/app.node.ts';
import { navTo, onboard, openApp } from './support/flows.node.ts';

const skip = chromiumMissing();

describe.skipIf(skip !== null)(`lorebook settings${skip ? ` (${skip})` : ''}`, () => {
  let app: BrowserMode;
  let browser: Browser;
  const ok = <T,>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };
  const prefs = async () => ok(await app.core.invoke('settings.get', {}));
  const section = (page: Page) => page.getByRole('region', { name: "Lorebooks and author's note" });

  beforeAll(async () => {
    app = await startBrowserMode();
    browser = await launchBrowser({ width: 1280, height: 800 });
    await openApp(browser.page, app.url);
    await onboard(browser.page);
    await navTo(browser.page, 'Settings');
    await section(browser.page).waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('stores each setting as it is changed, and refuses a bad number', async () => {
    const s = section(browser.page);
    await s.getByLabel('Entries can bring in other entries').check();
    await s.getByLabel('Messages scanned for keys').fill('6');
    await s.getByLabel('Lorebook share of the prompt (%)').fill('40');
    await s.getByLabel('At least this many entries').fill('3');
    await s.getByLabel('…looking back at most (messages)').fill('20');
    await s.getByLabel('Keys match whole words only').check();
    await expect.poll(async () => [(await prefs()).loreRecursive, (await prefs()).worldInfo]).toEqual([true, { scanDepth: 6, budgetPercent: 40, minActivations: 3, minActivationsDepthMax: 20, matchWholeWords: true }]);
    await s.getByLabel('Lorebook share of the prompt (%)').fill('400');
    await s.getByText('A whole number from 1 to 100.').waitFor();
    await browser.page.waitForTimeout(300);
    expect((await prefs()).worldInfo?.budgetPercent).toBe(40);
    await s.getByLabel('Lorebook share of the prompt (%)').fill('40');
    // SillyTavern allows only one of the two: with a rounds limit, the minimum is off.
    await s.getByLabel('Rounds of entries triggering entries').fill('2');
    await expect.poll(() => s.getByLabel('At least this many entries').isDisabled()).toBe(true);
    await s.getByLabel('Rounds of entries triggering entries').fill('0');
    await expect.poll(() => s.getByLabel('At least this many entries').isDisabled()).toBe(false);
  });

  it('a new chat starts with the default author\'s note', async () => {
    const s = section(browser.page);
    await s.getByLabel("Author's note for new chats").fill('Keep the weather grim.');
    await s.getByLabel('Depth', { exact: true }).fill('2');
    await s.getByLabel('As', { exact: true }).selectOption('user');
    await s.getByRole('button', { name: 'Save default note' }).click();
    await expect.poll(async () => (await prefs()).authorsNoteDefault).toEqual({ text: 'Keep the weather grim.', depth: 2, role: 'user', every: 1 });
    await expect.poll(() => s.getByRole('button', { name: 'Save default note' }).isDisabled()).toBe(true);
    const character = ok(await app.core.invoke('character.create', { name: 'Wren' })).id;
    const chat = ok(await app.core.invoke('conversation.create', { title: 'New', characterIds: [character] })).id;
    expect(ok(await app.core.invoke('conversation.get', { id: chat })).authorsNote).toEqual({ text: 'Keep the weather grim.', depth: 2, role: 'user', every: 1 });
  });

  it('looks right at phone and desktop sizes, light and dark', async () => {
    const { page } = browser;
    for (const [w, h] of [[390, 844], [1280, 800]] as const) {
      for (const scheme of ['light', 'dark'] as const) {
        await page.setViewportSize({ width: w, height: h });
        await page.emulateMedia({ colorScheme: scheme });
        await section(page).scrollIntoViewIfNeeded();
        await screenshot(page, `world-info-settings-${w}-${scheme}`);
      }
    }
    expect(browser.pageErrors).toEqual([]);
  });

  it('the lorebook editor sets which characters an entry is for', async () => {
    const { page } = browser;
    await page.setViewportSize({ width: 1280, height: 800 });
    const id = ok(await app.core.invoke('lorebook.create', { name: 'Tea', entries: [{ keys: ['tea'], content: 'Tea lore' }] })).id;
    await navTo(page, 'Lorebooks');
    await page.getByRole('button', { name: 'Open Tea' }).click();
    await page.getByText('Matching, chance, timing, groups and recursion for entry 1').click();
    await page.getByLabel('Characters for entry 1', { exact: true }).fill('Mira, Bram');
    await page.getByLabel('Entry 1 for everyone except these characters', { exact: true }).check();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(async () => ok(await app.core.invoke('lorebook.get', { id })).entries[0]?.extensions['character_filter']).toEqual({ isExclude: true, names: ['Mira', 'Bram'], tags: [] });
    await page.getByLabel('Characters for entry 1').scrollIntoViewIfNeeded();
    await screenshot(page, 'lorebook-entry-character-filter-1280');
  });
});
