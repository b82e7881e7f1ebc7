/**
 * Every screen a person can reach, walked through the UI at 1280×800 and at 390×844, each in the light and the
 * dark theme: first launch, vault creation and the recovery key, joining and restoring, each library tab, each
 * editor, a chat, providers, sync off and on, the ledger, settings and the wipe confirmation, unlock and recover,
 * an import error, and the page a reused address gets. On each: no CLI command, chunk name, hex key or protocol
 * state in the text; axe-core finds no serious or critical violation; no two controls share a name (nor lacks one);
 * a screenshot is saved to be looked at.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { callFor, type Call } from '../../electron/core/cli/context.node.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';
import { chromiumMissing, launchBrowser, screenshot, type Browser } from './support/browser.node.ts';
import { startBrowserMode, type BrowserMode } from './support/app.node.ts';
import { navTo, openApp, PASSPHRASE } from './support/flows.node.ts';
import { axeViolations, forbiddenWords, sameNames } from './support/audit.node.ts';

const skip = chromiumMissing();
const fixtures = join(import.meta.dirname, '../../../shared/fixtures/cards');

const walks = [
  { name: 'laptop-light', width: 1280, height: 800, theme: 'light' as const },
  { name: 'laptop-dark', width: 1280, height: 800, theme: 'dark' as const },
  { name: 'phone-light', width: 390, height: 844, theme: 'light' as const },
  { name: 'phone-dark', width: 390, height: 844, theme: 'dark' as const },
];

describe.skipIf(skip !== null)(`every screen: plain words and accessibility${skip ? ` (${skip})` : ''}`, () => {
  let relay: TestRelay;
  const apps: BrowserMode[] = [];

  beforeAll(async () => {
    relay = await startTestRelay();
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    await relay?.close();
  });

  for (const walk of walks) {
    it(`${walk.name} (${walk.width}×${walk.height}): no forbidden words and no serious accessibility violation on any screen`, async () => {
      const app = await startBrowserMode();
      apps.push(app);
      const call: Call = callFor(app.core);
      const browser: Browser = await launchBrowser({ width: walk.width, height: walk.height, colorScheme: walk.theme });
      const problems: string[] = [];
      const seen: string[] = [];
      const check = async (page: Page, screen: string) => {
        await page.mouse.move(0, 0);
        seen.push(screen);
        await screenshot(page, `screens-${walk.name}-${screen}`);
        problems.push(...(await forbiddenWords(page)).map((p) => `${screen}: ${p}`));
        problems.push(...(await axeViolations(page)).map((p) => `${screen}: ${p}`));
        problems.push(...(await sameNames(page)).map((p) => `${screen}: controls not told apart: ${p}`));
      };
      try {
        const { page } = browser;
        await openApp(page, app.printed);
        await page.getByLabel('Your date of birth').waitFor();
        await check(page, 'age');
        await page.getByLabel('Your date of birth').fill('1990-04-12');
        await page.getByRole('button', { name: 'Continue' }).click();
        await page.getByRole('heading', { name: 'Create your vault' }).waitFor();
        await check(page, 'create');
        await page.getByRole('button', { name: 'I already use Mindstage on another device' }).click();
        await page.getByRole('heading', { name: 'Add this device' }).waitFor();
        await check(page, 'join');
        await page.getByRole('button', { name: 'Back' }).click();
        await page.getByRole('button', { name: 'Restore from the relay with my recovery key' }).click();
        await page.getByRole('heading', { name: 'Restore from the relay' }).waitFor();
        await check(page, 'restore');
        await page.getByRole('button', { name: 'Back' }).click();
        await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
        await page.getByLabel('Confirm passphrase').fill(PASSPHRASE);
        await page.getByText(/Strong|Very strong/).waitFor();
        await check(page, 'create-filled');
        await page.getByRole('button', { name: 'Create vault' }).click();
        const key = page.getByLabel('Recovery key', { exact: true });
        await key.waitFor({ timeout: 60_000 });
        await check(page, 'recovery-key');
        const recoveryKey = (await key.textContent())!.trim();
        await page.getByLabel('I have saved my recovery key somewhere safe').check();
        await page.getByRole('button', { name: 'Continue' }).click();
        await page.getByRole('tab', { name: /Characters/ }).waitFor();

        // Content, so lists, editors and the chat show what they are for.
        const { readFileSync } = await import('node:fs');
        const card = await call('cards.import', { fileName: 'seraphina.png', bytesBase64: readFileSync(join(fixtures, 'v2-hybrid-seraphina.png')).toString('base64') });
        const persona = await call('persona.create', { name: 'Wren', description: 'A visiting cartographer.' });
        await call('scenario.create', { title: 'The long night', characterIds: [card.id], openingMessages: ['Snow hammers the glass.'] });
        const conv = await call('conversation.create', { title: 'Seraphina', characterIds: [card.id], personaId: persona.id });
        await call('conversation.addMessage', { id: conv.id, role: 'character', authorId: card.id, text: '*Seraphina smiles.* You are awake.' });
        await call('conversation.addMessage', { id: conv.id, role: 'user', text: 'Where am I?' });

        for (const tab of ['Characters', 'Scenarios', 'Personas', 'Conversations']) {
          await navTo(page, tab);
          await page.getByRole('tab', { name: new RegExp(tab), selected: true }).waitFor();
          await page.locator(tab === 'Characters' ? '.char-card' : '.entry').first().waitFor();
          await check(page, `library-${tab.toLowerCase()}`);
        }
        await page.getByLabel('Search everything').fill('awake');
        await page.getByRole('region', { name: 'Search results' }).getByRole('button', { name: /Where am I\?|awake/ }).first().waitFor();
        await check(page, 'search-results');
        await page.getByRole('button', { name: 'Clear search' }).click();
        await navTo(page, 'Characters');
        // Tabs are announced with their count apart from their name.
        await page.getByRole('tab', { name: 'Characters 1', exact: true }).waitFor();
        const chooser = page.waitForEvent('filechooser');
        await page.getByRole('button', { name: 'Import card…' }).click();
        await (await chooser).setFiles(join(fixtures, 'invalid-no-card-chunk.png'));
        await page.locator('.toast-error').waitFor();
        await check(page, 'import-error');
        await page.locator('.toast').getByRole('button', { name: 'Dismiss' }).click();

        await page.getByRole('button', { name: 'Open Seraphina' }).click();
        await page.getByLabel('Description').waitFor();
        await check(page, 'character-editor');
        await page.getByRole('button', { name: '← Library' }).click();
        await navTo(page, 'Scenarios');
        await page.getByRole('button', { name: 'Open The long night' }).click();
        await page.getByLabel('Title').waitFor();
        await check(page, 'scenario-editor');
        await page.getByRole('button', { name: '← Library' }).click();
        await navTo(page, 'Personas');
        await page.getByRole('button', { name: 'Open Wren' }).click();
        await page.getByLabel('Name').waitFor();
        await check(page, 'persona-editor');
        await page.getByRole('button', { name: '← Library' }).click();
        await navTo(page, 'Conversations');
        await page.getByRole('button', { name: 'Open Seraphina' }).click();
        await page.getByText('Where am I?').waitFor();
        await check(page, 'chat');
        await page.getByRole('button', { name: 'Prompt', exact: true }).click();
        await page.getByRole('region', { name: 'Prompt inspector' }).locator('.inspector-parts summary').first().waitFor();
        await check(page, 'chat-inspector');
        await page.getByRole('button', { name: 'Close', exact: true }).click();
        await page.getByRole('button', { name: '← Library' }).click();

        await navTo(page, 'Presets');
        await page.getByRole('button', { name: 'New preset' }).click();
        await page.getByRole('form', { name: 'New preset' }).waitFor();
        await check(page, 'presets-form');
        await page.getByRole('button', { name: 'Cancel' }).click();

        await navTo(page, 'Providers');
        await page.getByRole('heading', { name: 'AI providers' }).waitFor();
        await check(page, 'providers');
        await page.getByRole('button', { name: 'Custom…' }).click();
        await check(page, 'providers-form');
        await page.getByRole('button', { name: 'Cancel' }).click();

        await navTo(page, 'Sync & devices');
        await page.getByRole('heading', { name: 'Sync is off' }).waitFor();
        await check(page, 'sync-off');
        await call('sync.enable', { relayUrl: relay.url, recoveryKey });
        await page.reload();
        await page.getByRole('tab', { name: /Characters/ }).waitFor();
        await navTo(page, 'Sync & devices');
        await page.getByRole('heading', { name: 'Status' }).waitFor();
        await page.getByText('Set up', { exact: true }).waitFor();
        await check(page, 'sync-on');
        // Turning automatic sync off or on does not make "Restore with recovery key" forget its answer.
        await page.getByRole('button', { name: 'Sync automatically' }).click();
        await page.waitForTimeout(500);
        await page.getByRole('button', { name: 'Sync automatically' }).click();
        await page.waitForTimeout(500);
        await expect(page.getByText('Not set up', { exact: true }).count()).resolves.toBe(0);
        await page.getByText('Set up', { exact: true }).waitFor();

        await navTo(page, 'Privacy ledger');
        await page.getByRole('heading', { name: 'Privacy ledger' }).waitFor();
        await check(page, 'ledger');
        await navTo(page, 'Settings');
        await page.getByRole('heading', { name: 'Settings' }).waitFor();
        await check(page, 'settings');
        await page.getByRole('button', { name: 'Wipe everything…' }).click();
        await page.getByLabel('Type WIPE to confirm').scrollIntoViewIfNeeded();
        await check(page, 'settings-wipe');
        await page.getByRole('button', { name: 'Cancel' }).click();

        await navTo(page, 'Lock vault');
        await page.getByRole('heading', { name: 'Unlock your vault' }).waitFor();
        await check(page, 'unlock');
        await page.getByRole('button', { name: 'Forgot your passphrase?' }).click();
        await page.getByRole('heading', { name: 'Recover your vault' }).waitFor();
        await check(page, 'recover');

        // The printed address, used a second time.
        const again = await browser.context.newPage();
        await again.goto(app.printed);
        await again.getByRole('heading', { name: 'This address no longer opens Mindstage' }).waitFor();
        await check(again, 'address-used');
        await again.close();
      } finally {
        await browser.close();
      }
      expect(problems).toEqual([]);
      expect(seen).toHaveLength(28);
    }, 300_000);
  }
});
