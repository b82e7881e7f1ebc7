/**
 * The main screens in both themes at four window sizes — a phone (390×844), a tablet (768×1024), a laptop
 * (1280×800) and a large monitor (1920×1080) — each saved as a screenshot and measured for what a new user would
 * find broken: sideways scrolling, controls cut off or on top of each other, labels spilling out of buttons, and
 * text with too little contrast. The theme is chosen in Settings, as a person would.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumMissing, launchBrowser, screenshot, type Browser } from './support/browser.node.ts';
import { startBrowserMode, type BrowserMode } from './support/app.node.ts';
import { navTo, onboard, openApp } from './support/flows.node.ts';
import { layoutProblems, tabThrough } from './support/layout.node.ts';

const skip = chromiumMissing();
const fixtures = join(import.meta.dirname, '../../../shared/fixtures/cards');

const sizes = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'tablet', width: 768, height: 1024 },
  { name: 'laptop', width: 1280, height: 800 },
  { name: 'large', width: 1920, height: 1080 },
];
const themes = ['light', 'dark'] as const;

async function ok<T>(p: Promise<{ ok: true; value: T } | { ok: false; error: { message: string } }>): Promise<T> {
  const r = await p;
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe.skipIf(skip !== null)(`layout, themes and window sizes${skip ? ` (${skip})` : ''}`, () => {
  let app: BrowserMode;
  let browser: Browser;
  let characterId = '';
  let conversationId = '';

  beforeAll(async () => {
    app = await startBrowserMode();
    browser = await launchBrowser();
    await openApp(browser.page, app.url);
    await onboard(browser.page);

    // Content worth laying out: a card with an avatar, a long name, a persona, a scenario, a provider, and a
    // conversation with every kind of message, long words included.
    const core = app.core;
    const card = await ok(core.invoke('cards.import', { fileName: 'seraphina.png', bytesBase64: readFileSync(join(fixtures, 'v2-hybrid-seraphina.png')).toString('base64') }));
    characterId = card.id;
    await ok(core.invoke('character.create', { name: 'Professor Bartholomew Quillfeather-Ashcombe of the Northern Observatory' }));
    const persona = await ok(core.invoke('persona.create', { name: 'Wren', description: 'A visiting cartographer.' }));
    await ok(core.invoke('scenario.create', { title: 'The long night at the lighthouse', characterIds: [characterId], openingMessages: ['Snow hammers the glass.'] }));
    await ok(core.invoke('provider.add', { name: 'Local llama', baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3.1' }));
    const conv = await ok(core.invoke('conversation.create', { title: 'Seraphina', characterIds: [characterId], personaId: persona.id }));
    conversationId = conv.id;
    await ok(core.invoke('conversation.addMessage', { id: conversationId, role: 'narrator', text: 'The forest glade is *quiet*.' }));
    await ok(core.invoke('conversation.addMessage', { id: conversationId, role: 'character', authorId: characterId, text: '*Seraphina smiles.* You are awake. How do you feel?\n\n> Rest now.\n\n`healing: 3 doses`' }));
    await ok(core.invoke('conversation.addMessage', { id: conversationId, role: 'user', text: `Better, thank you. ${'Supercalifragilisticexpialidocious'.repeat(4)}` }));
    await ok(core.invoke('conversation.addMessage', { id: conversationId, role: 'character', authorId: characterId, text: 'Then walk with me. '.repeat(30) }));
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  async function setTheme(page: Page, theme: 'light' | 'dark') {
    await navTo(page, 'Settings');
    await page.getByLabel('Theme').selectOption(theme);
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset['theme'])).toBe(theme);
  }

  /** Each main screen, reached through the UI; returns the problems found on each. */
  async function visitScreens(page: Page, tag: string): Promise<string[]> {
    const problems: string[] = [];
    const check = async (screen: string) => {
      // Buttons in the message list fade until hovered: measure the resting state, not a hover.
      await page.mouse.move(0, 0);
      await screenshot(page, `layout-${tag}-${screen}`);
      problems.push(...(await layoutProblems(page)).map((p) => `${screen}: ${p}`));
    };
    await navTo(page, 'Characters');
    await page.getByRole('button', { name: 'Open Seraphina' }).waitFor();
    await expect.poll(() => page.locator('.char-card .avatar img[src^="blob:"]').count()).toBe(1);
    await check('library');
    // An error toast over the library (a file that is not a card).
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Import card…' }).click();
    await (await chooser).setFiles(join(fixtures, 'invalid-no-card-chunk.png'));
    await page.locator('.toast-error').waitFor();
    await check('library-error');
    await page.locator('.toast').getByRole('button', { name: 'Dismiss' }).click();

    await page.getByRole('button', { name: 'Open Seraphina' }).click();
    await page.getByLabel('Description').waitFor();
    await check('character-editor');
    await page.getByRole('button', { name: '← Library' }).click();

    await navTo(page, 'Conversations');
    await page.getByRole('button', { name: 'Open Seraphina' }).click();
    await page.getByText('Then walk with me.', { exact: false }).first().waitFor();
    // The character's picture beside each of its messages; initials for the persona, which has none.
    await expect.poll(() => page.locator('.msg-character .avatar img[src^="blob:"]').count()).toBeGreaterThan(0);
    await expect(page.locator('.msg-user .avatar').first().getAttribute('data-initials')).resolves.toBe('W');
    await check('chat');
    // The composer is on screen at every size, without scrolling, and the chat uses the window's width.
    const composer = await page.getByLabel('Your message').boundingBox();
    const viewport = page.viewportSize()!;
    expect(composer!.y + composer!.height, 'composer fully visible').toBeLessThanOrEqual(viewport.height);
    if (viewport.width < 720) {
      const log = await page.getByRole('log', { name: 'Messages' }).boundingBox();
      expect(log!.width, 'chat full-width').toBeGreaterThanOrEqual(viewport.width - 2);
    }
    await page.getByRole('button', { name: '← Library' }).click();

    await navTo(page, 'Scenarios');
    await page.getByRole('button', { name: 'Open The long night at the lighthouse' }).click();
    await page.getByLabel('Title').waitFor();
    await check('scenario-editor');
    await page.getByRole('button', { name: '← Library' }).click();

    await navTo(page, 'Providers');
    await page.getByRole('heading', { name: 'AI providers' }).waitFor();
    await page.getByRole('button', { name: 'Custom…' }).click();
    await check('providers');
    await page.getByRole('button', { name: 'Cancel' }).click();

    await navTo(page, 'Sync & devices');
    await page.getByRole('heading', { name: 'Sync is off' }).waitFor();
    await check('sync');

    await navTo(page, 'Privacy ledger');
    await page.getByRole('heading', { name: 'Privacy ledger' }).waitFor();
    await check('ledger');

    await navTo(page, 'Settings');
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    await check('settings');
    await page.getByRole('button', { name: 'Wipe everything…' }).click();
    await page.getByLabel('Type WIPE to confirm').scrollIntoViewIfNeeded();
    await check('settings-wipe');
    await page.getByRole('button', { name: 'Cancel' }).click();
    return problems;
  }

  for (const size of sizes) {
    for (const theme of themes) {
      it(`${size.name} (${size.width}×${size.height}), ${theme} theme: nothing cut off, overlapping or hard to read`, async () => {
        const { page } = browser;
        await page.setViewportSize({ width: size.width, height: size.height });
        await setTheme(page, theme);
        const problems = await visitScreens(page, `${size.name}-${theme}`);
        expect(problems).toEqual([]);
      });
    }
  }

  it('reaches every control of the library, an editor and a chat with Tab, each with a visible focus ring', async () => {
    const { page } = browser;
    await page.setViewportSize({ width: 1280, height: 800 });
    await setTheme(page, 'light');
    const reach = async (screen: string, expected: string[]) => {
      const stops = await tabThrough(page);
      const names = stops.map((s) => s.name);
      for (const name of expected) expect(names, `${screen}: ${name} reachable by Tab`).toContain(name);
      expect(stops.filter((s) => !s.ringVisible).map((s) => `${screen}: ${s.name}`)).toEqual([]);
    };
    await navTo(page, 'Characters');
    await page.getByRole('button', { name: 'Open Seraphina' }).waitFor();
    await reach('library', ['Skip to content', 'Characters', 'Providers', 'Sync & devices', 'Privacy ledger', 'Settings', 'Dark theme', 'Lock vault', 'Search everything', 'Import card…', 'New character', 'Open Seraphina', 'Duplicate Seraphina', 'Export Seraphina as', 'Delete Seraphina']);

    await page.getByRole('button', { name: 'Open Seraphina' }).click();
    await page.getByLabel('Description').waitFor();
    await reach('character editor', ['← Library', 'Name', 'Description', 'First message', 'Change picture…', 'Add greeting', 'Add lorebook entry']);
    await page.getByRole('button', { name: '← Library' }).click();

    await navTo(page, 'Conversations');
    await page.getByRole('button', { name: 'Open Seraphina' }).click();
    await page.getByText('Then walk with me.', { exact: false }).first().waitFor();
    await reach('chat', ['← Library', 'You play', 'Provider', 'Messages', 'Regenerate (message 4)', 'Continue (message 4)', 'Edit (message 4)', 'Branch (message 4)', 'Delete (message 4)', 'Your message']);
    await page.getByRole('button', { name: '← Library' }).click();
  });

  it('below 720 px the navigation is a menu that opens, navigates and closes (also with Escape)', async () => {
    const { page } = browser;
    await page.setViewportSize({ width: 390, height: 844 });
    const menu = page.getByRole('button', { name: 'Menu', exact: true });
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect(menu.getAttribute('aria-expanded')).resolves.toBe('false');
    await expect(nav.getByRole('button', { name: 'Settings', exact: true }).isVisible()).resolves.toBe(false);
    // Closed, the navigation takes one slim bar: the screen below gets almost all of the window.
    expect((await nav.boundingBox())!.height).toBeLessThan(70);
    await menu.click();
    await nav.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    await expect(menu.getAttribute('aria-expanded')).resolves.toBe('false');
    await menu.click();
    await nav.getByRole('button', { name: 'Providers', exact: true }).waitFor();
    await page.keyboard.press('Escape');
    await expect(menu.getAttribute('aria-expanded')).resolves.toBe('false');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('menu-button');
    await screenshot(page, 'layout-phone-menu-closed');
    await menu.click();
    await screenshot(page, 'layout-phone-menu-open');
    await menu.click();
    // At 720 px and wider the sidebar is back and there is no Menu button.
    await page.setViewportSize({ width: 768, height: 1024 });
    await expect(menu.isVisible()).resolves.toBe(false);
    await expect(nav.getByRole('button', { name: 'Settings', exact: true }).isVisible()).resolves.toBe(true);
  });

  it('below 720 px a chat folds its settings behind one button, so the messages keep most of the screen', async () => {
    const { page } = browser;
    await page.setViewportSize({ width: 390, height: 844 });
    await navTo(page, 'Conversations');
    await page.getByRole('button', { name: 'Open Seraphina' }).click();
    await page.getByText('Then walk with me.', { exact: false }).first().waitFor();
    const toggle = page.getByRole('button', { name: 'Chat settings' });
    await expect(toggle.getAttribute('aria-expanded')).resolves.toBe('false');
    await expect(page.getByLabel('You play').isVisible()).resolves.toBe(false);
    await expect(page.getByText("Author's note and lorebooks").isVisible()).resolves.toBe(false);
    // Folded, the messages get more than half of the window (before, the settings took about 40 % of it).
    expect((await page.getByRole('log', { name: 'Messages' }).boundingBox())!.height).toBeGreaterThan(844 / 2);
    await screenshot(page, 'layout-phone-chat-folded');
    await toggle.click();
    await expect(toggle.getAttribute('aria-expanded')).resolves.toBe('true');
    await page.getByLabel('You play').waitFor();
    await page.getByText("Author's note and lorebooks").waitFor();
    expect(await layoutProblems(page)).toEqual([]);
    await screenshot(page, 'layout-phone-chat-settings');
    await toggle.click();
    await expect(page.getByLabel('You play').isVisible()).resolves.toBe(false);
    // A wide window shows the settings and no button.
    await page.setViewportSize({ width: 1280, height: 800 });
    await expect(page.getByLabel('You play').isVisible()).resolves.toBe(true);
    await expect(toggle.isVisible()).resolves.toBe(false);
    await page.getByRole('button', { name: '← Library' }).click();
  });

  it('the lock and onboarding screens hold up in both themes and at phone width', async () => {
    const { page } = browser;
    await page.setViewportSize({ width: 390, height: 844 });
    const problems: string[] = [];
    for (const theme of themes) {
      await setTheme(page, theme);
      await navTo(page, 'Lock vault');
      await page.getByRole('heading', { name: 'Unlock your vault' }).waitFor();
      await screenshot(page, `layout-phone-${theme}-unlock`);
      problems.push(...(await layoutProblems(page)).map((p) => `unlock (${theme}): ${p}`));
      await page.getByLabel('Passphrase', { exact: true }).fill('quiet lantern harbour meadow 47');
      await page.getByRole('button', { name: 'Unlock' }).click();
      await page.getByRole('tab', { name: /Characters/ }).waitFor();
    }
    expect(problems).toEqual([]);
    expect(browser.remoteRequests).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
  });
});
