/**
 * The main screens in both themes at three window sizes — a small laptop (1280×720), a large monitor
 * (1920×1080) and a narrow window (900 px) — each saved as a screenshot and measured for what a new user would
 * find broken: sideways scrolling, controls cut off or on top of each other, labels spilling out of buttons, and
 * text with too little contrast. The theme is chosen in Settings, as a person would.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumMissing, launchBrowser, screenshot, type Browser } from './support/browser.node.ts';
import { startBrowserMode, type BrowserMode } from './support/app.node.ts';
import { onboard, openApp } from './support/flows.node.ts';
import { layoutProblems, tabThrough } from './support/layout.node.ts';

const skip = chromiumMissing();
const fixtures = join(import.meta.dirname, '../../../shared/fixtures/cards');

const sizes = [
  { name: 'laptop', width: 1280, height: 720 },
  { name: 'large', width: 1920, height: 1080 },
  { name: 'narrow', width: 900, height: 700 },
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
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
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
    await page.getByRole('button', { name: 'Characters', exact: true }).click();
    await page.getByRole('button', { name: 'Open Seraphina' }).waitFor();
    await expect.poll(() => page.locator('.entry .avatar img[src^="blob:"]').count()).toBe(1);
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

    await page.getByRole('button', { name: 'Conversations', exact: true }).click();
    await page.getByRole('button', { name: 'Open Seraphina' }).click();
    await page.getByText('Then walk with me.', { exact: false }).first().waitFor();
    // The character's picture beside each of its messages; initials for the persona, which has none.
    await expect.poll(() => page.locator('.msg-character .avatar img[src^="blob:"]').count()).toBeGreaterThan(0);
    await expect(page.locator('.msg-user .avatar').first().textContent()).resolves.toBe('W');
    await check('chat');
    await page.getByRole('button', { name: '← Library' }).click();

    await page.getByRole('button', { name: 'Scenarios', exact: true }).click();
    await page.getByRole('button', { name: 'Open The long night at the lighthouse' }).click();
    await page.getByLabel('Title').waitFor();
    await check('scenario-editor');
    await page.getByRole('button', { name: '← Library' }).click();

    await page.getByRole('button', { name: 'Providers', exact: true }).click();
    await page.getByRole('heading', { name: 'AI providers' }).waitFor();
    await page.getByRole('button', { name: 'Custom…' }).click();
    await check('providers');
    await page.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('button', { name: 'Sync & devices' }).click();
    await page.getByRole('heading', { name: 'Sync is off' }).waitFor();
    await check('sync');

    await page.getByRole('button', { name: 'Privacy ledger' }).click();
    await page.getByRole('heading', { name: 'Privacy ledger' }).waitFor();
    await check('ledger');

    await page.getByRole('button', { name: 'Settings', exact: true }).click();
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
    await page.setViewportSize({ width: 1280, height: 720 });
    await setTheme(page, 'light');
    const reach = async (screen: string, expected: string[]) => {
      const stops = await tabThrough(page);
      const names = stops.map((s) => s.name);
      for (const name of expected) expect(names, `${screen}: ${name} reachable by Tab`).toContain(name);
      expect(stops.filter((s) => !s.ringVisible).map((s) => `${screen}: ${s.name}`)).toEqual([]);
    };
    await page.getByRole('button', { name: 'Characters', exact: true }).click();
    await page.getByRole('button', { name: 'Open Seraphina' }).waitFor();
    await reach('library', ['Skip to content', 'Characters', 'Providers', 'Sync & devices', 'Privacy ledger', 'Settings', 'Dark theme', 'Lock vault', 'Search everything', 'Import card…', 'New character', 'Open Seraphina', 'Duplicate Seraphina', 'Export Seraphina as', 'Delete Seraphina']);

    await page.getByRole('button', { name: 'Open Seraphina' }).click();
    await page.getByLabel('Description').waitFor();
    await reach('character editor', ['← Library', 'Name', 'Description', 'First message', 'Change picture…', 'Add greeting', 'Add lorebook entry']);
    await page.getByRole('button', { name: '← Library' }).click();

    await page.getByRole('button', { name: 'Conversations', exact: true }).click();
    await page.getByRole('button', { name: 'Open Seraphina' }).click();
    await page.getByText('Then walk with me.', { exact: false }).first().waitFor();
    await reach('chat', ['← Library', 'You play', 'Provider', 'Messages', 'Regenerate', 'Continue', 'Edit', 'Branch', 'Delete', 'Your message']);
    await page.getByRole('button', { name: '← Library' }).click();
  });

  it('the lock and onboarding screens hold up in both themes and at the narrow width', async () => {
    const { page } = browser;
    await page.setViewportSize({ width: 900, height: 700 });
    const problems: string[] = [];
    for (const theme of themes) {
      await setTheme(page, theme);
      await page.getByRole('button', { name: 'Lock vault' }).click();
      await page.getByRole('heading', { name: 'Unlock your vault' }).waitFor();
      await screenshot(page, `layout-narrow-${theme}-unlock`);
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
