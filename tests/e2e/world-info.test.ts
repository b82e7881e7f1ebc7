/**
 * Issue 11 in the window (Chromium against browser mode): a greeting's {{user}}, {{char}} and {{roll}} show the
 * persona's and character's names and a roll in range that stays after a reload; the lorebook editor sets every
 * World Info field (secondary keys and logic, position at a depth with a role, timed effects, groups, recursion
 * flags) and the core stores them where SillyTavern reads them. Screenshots at 390×844 and 1280×800, light and dark.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { callFor, type Call } from '../../electron/core/cli/context.node.ts';
import { chromiumMissing, launchBrowser, screenshot, type Browser } from './support/browser.node.ts';
import { startBrowserMode, type BrowserMode } from './support/app.node.ts';
import { navTo, onboard, openApp, unlock } from './support/flows.node.ts';
import { layoutProblems } from './support/layout.node.ts';

const skip = chromiumMissing();

describe.skipIf(skip !== null)(`world info and macros in the window${skip ? ` (${skip})` : ''}`, () => {
  let app: BrowserMode;
  let api: Call;
  let browser: Browser;

  beforeAll(async () => {
    app = await startBrowserMode();
    api = callFor(app.core);
    browser = await launchBrowser();
    await openApp(browser.page, app.url);
    await onboard(browser.page);
    await api('character.create', { name: 'Mira', description: 'The keeper.', first_mes: 'Ah, {{user}}. I am {{char}}. You rolled {{roll:1d20}}.' });
    const { id: alex } = await api('persona.create', { name: 'Alex' });
    await api('settings.update', { defaultPersonaId: alex });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  async function setTheme(page: Page, theme: 'light' | 'dark') {
    await navTo(page, 'Settings');
    await page.getByLabel('Theme', { exact: true }).selectOption(theme);
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset['theme'])).toBe(theme);
  }

  it("shows a greeting with the persona's and the character's names and a roll that stays after a reload", async () => {
    const { page } = browser;
    // Switching tabs reloads the list, which the records made through the API since the page opened are not in yet.
    await navTo(page, 'Personas');
    await navTo(page, 'Characters');
    await page.getByRole('button', { name: 'Chat with Mira', exact: true }).click();
    const greeting = page.locator('.msg-character').first();
    await greeting.getByText(/^Ah, Alex\. I am Mira\. You rolled \d+\.$/).waitFor();
    const shown = await greeting.locator('p').first().innerText();
    const roll = Number(/rolled (\d+)/.exec(shown)![1]);
    expect(roll).toBeGreaterThanOrEqual(1);
    expect(roll).toBeLessThanOrEqual(20);
    expect(await greeting.innerText()).not.toContain('{{');

    await page.reload();
    await page.getByRole('navigation', { name: 'Main' }).or(page.getByLabel('Passphrase', { exact: true })).first().waitFor();
    if (await page.getByLabel('Passphrase', { exact: true }).isVisible()) await unlock(page);
    await navTo(page, 'Conversations');
    await page.getByRole('button', { name: 'Open Mira' }).click();
    const again = page.locator('.msg-character').first();
    await again.getByText(/^Ah, Alex\. I am Mira\./).waitFor();
    expect(await again.locator('p').first().innerText()).toBe(shown);
    await screenshot(page, 'wi-greeting-macros');
  });

  it('edits every World Info field of an entry, stored where SillyTavern reads them', async () => {
    const { page } = browser;
    await page.setViewportSize({ width: 1280, height: 800 });
    await navTo(page, 'Lorebooks');
    await page.getByRole('button', { name: 'New lorebook' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Coast');
    await page.getByLabel('Recursive scanning (entries can trigger entries)', { exact: true }).check();
    await page.getByRole('button', { name: 'Add lorebook entry' }).click();
    await page.getByLabel('Title of entry 1', { exact: true }).fill('Night storm');
    await page.getByLabel('Keys for entry 1', { exact: true }).fill('storm, gale');
    await page.getByLabel('Content of entry 1', { exact: true }).fill('Storms at night sink ships.');
    await page.getByLabel('Entry 1 position', { exact: true }).selectOption('depth');
    await page.getByLabel('Entry 1 depth', { exact: true }).fill('2');
    await page.getByLabel('Entry 1 role', { exact: true }).selectOption('user');
    await page.getByLabel('Entry 1 order', { exact: true }).fill('250');
    await page.getByText('Matching, chance, timing, groups and recursion for entry 1').click();
    await page.getByLabel('Secondary keywords of entry 1', { exact: true }).fill('night, dark');
    await page.getByLabel('Entry 1 secondary logic', { exact: true }).selectOption('3');
    await page.getByLabel('Entry 1 whole words', { exact: true }).check();
    await page.getByLabel('Entry 1 chance', { exact: true }).fill('60');
    await page.getByLabel('Entry 1 scan depth', { exact: true }).fill('5');
    await page.getByLabel('Entry 1 sticky', { exact: true }).fill('3');
    await page.getByLabel('Entry 1 cooldown', { exact: true }).fill('2');
    await page.getByLabel('Entry 1 delay', { exact: true }).fill('4');
    await page.getByLabel('Group of entry 1', { exact: true }).fill('weather');
    await page.getByLabel('Entry 1 group weight', { exact: true }).fill('40');
    await page.getByLabel('Entry 1 wins its group', { exact: true }).check();
    await page.getByLabel('Entry 1 not triggered by other entries', { exact: true }).check();
    await page.getByLabel('Entry 1 does not trigger other entries', { exact: true }).check();
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => (await api('records.list', { kind: 'lorebook' })).length).toBe(1);
    const [entry] = await api('records.list', { kind: 'lorebook' });
    await expect.poll(async () => (await api('lorebook.get', { id: entry!.id })).entries.length).toBe(1);
    const book = await api('lorebook.get', { id: entry!.id });
    expect(book).toMatchObject({ name: 'Coast', recursive_scanning: true });
    expect(book.entries[0]).toMatchObject({
      name: 'Night storm',
      keys: ['storm', 'gale'],
      secondary_keys: ['night', 'dark'],
      selective: true,
      content: 'Storms at night sink ships.',
      insertion_order: 250,
      extensions: {
        position: 4,
        depth: 2,
        role: 1,
        selectiveLogic: 3,
        match_whole_words: true,
        probability: 60,
        scan_depth: 5,
        sticky: 3,
        cooldown: 2,
        delay: 4,
        group: 'weather',
        group_weight: 40,
        group_override: true,
        exclude_recursion: true,
        prevent_recursion: true,
      },
    });
    // The editor shows what was stored after reopening it.
    await navTo(page, 'Lorebooks');
    await page.getByRole('button', { name: 'Open Coast' }).click();
    await expect.poll(() => page.getByLabel('Entry 1 depth', { exact: true }).inputValue()).toBe('2');
    await page.getByText('Matching, chance, timing, groups and recursion for entry 1').click();
    expect(await page.getByLabel('Entry 1 sticky', { exact: true }).inputValue()).toBe('3');

    for (const size of [{ width: 390, height: 844, name: 'phone' }, { width: 1280, height: 800, name: 'laptop' }]) {
      for (const theme of ['light', 'dark'] as const) {
        await page.setViewportSize({ width: size.width, height: size.height });
        await setTheme(page, theme);
        await navTo(page, 'Lorebooks');
        await page.getByRole('button', { name: 'Open Coast' }).click();
        await page.getByText('Matching, chance, timing, groups and recursion for entry 1').click();
        // Checked from the top: scrolled, the editor's sticky header covers what passes under it, as it should.
        await page.evaluate(() => {
          for (const el of document.querySelectorAll('*')) if (el.scrollTop > 0) el.scrollTop = 0;
          window.scrollTo(0, 0);
        });
        expect(await layoutProblems(page), `${size.name} ${theme}`).toEqual([]);
        await screenshot(page, `wi-lorebook-editor-${size.name}-${theme}`);
        await page.getByLabel('Entry 1 sticky', { exact: true }).evaluate((el) => el.scrollIntoView({ block: 'center' }));
        await screenshot(page, `wi-lorebook-editor-${size.name}-${theme}-more`);
      }
    }
  });

  it("sets a chat's author's note and lorebooks from under the chat header", async () => {
    const { page } = browser;
    await page.setViewportSize({ width: 1280, height: 800 });
    await setTheme(page, 'light');
    await navTo(page, 'Conversations');
    await page.getByRole('button', { name: 'Open Mira' }).click();
    await page.getByText("Author's note and lorebooks").click();
    await page.getByLabel("Author's note", { exact: true }).fill('Keep {{char}} terse.');
    await page.getByLabel('Depth', { exact: true }).fill('2');
    await page.getByLabel('As', { exact: true }).selectOption('user');
    await page.getByRole('button', { name: 'Save note' }).click();
    await page.getByLabel('Coast', { exact: true }).check();
    const [conv] = await api('records.list', { kind: 'conversation' });
    await expect.poll(async () => (await api('conversation.get', { id: conv!.id })).authorsNote).toEqual({ text: 'Keep {{char}} terse.', depth: 2, role: 'user', every: 1 });
    await expect.poll(async () => (await api('conversation.get', { id: conv!.id })).lorebookIds?.length).toBe(1);
    for (const size of [{ width: 390, height: 844, name: 'phone' }, { width: 1280, height: 800, name: 'laptop' }]) {
      await page.setViewportSize({ width: size.width, height: size.height });
      expect(await layoutProblems(page), size.name).toEqual([]);
      await screenshot(page, `wi-chat-authors-note-${size.name}`);
    }
  });
});
