/**
 * Details that make the app trustworthy to live in: the recovery key can be copied, downloaded and printed and
 * never breaks inside a group; "?" shows the keyboard map (but not while typing); the privacy ledger names the
 * provider a request went to; the export says what it leaves out.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callFor } from '../../electron/core/cli/context.node.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { chromiumMissing, launchBrowser, screenshot, type Browser } from './support/browser.node.ts';
import { startBrowserMode, type BrowserMode } from './support/app.node.ts';
import { navTo, onboard, openApp, PASSPHRASE } from './support/flows.node.ts';

const skip = chromiumMissing();

describe.skipIf(skip !== null)(`details${skip ? ` (${skip})` : ''}`, () => {
  let app: BrowserMode;
  let browser: Browser;
  let ai: FakeOpenAI;

  beforeAll(async () => {
    ai = await startFakeOpenAI({ model: 'fake-model' });
    app = await startBrowserMode();
    browser = await launchBrowser({ width: 390, height: 844 });
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(app.printed).origin });
    await openApp(browser.page, app.url);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await ai?.close();
  });

  it('offers the recovery key to copy, download and print, and never breaks it inside a group', async () => {
    const { page } = browser;
    const key = page.getByLabel('Recovery key', { exact: true });
    await onboard(page, PASSPHRASE, async (shown) => {
      expect(shown).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{1,4})+$/);
      // At phone width the key takes several lines, each group whole on one of them.
      expect(await key.evaluate((el) => el.getBoundingClientRect().height)).toBeGreaterThan(40);
      expect(await key.locator('.key-group').evaluateAll((gs) => gs.filter((g) => g.getClientRects().length !== 1 || g.getBoundingClientRect().height > 40).length)).toBe(0);
      await screenshot(page, 'recovery-key-phone');

      await page.getByRole('button', { name: 'Copy' }).click();
      await page.getByText('Copied.').waitFor();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(shown);

      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Download' }).click();
      const file = await download;
      expect(file.suggestedFilename()).toBe('mindstage-recovery-key.txt');
      expect(readFileSync((await file.path())!, 'utf8')).toContain(shown);

      // Print asks the browser to print; the printed page shows the key and nothing else of the screen.
      await page.evaluate(() => {
        (window as { printed?: number }).printed = 0;
        window.print = () => void ((window as { printed?: number }).printed! += 1);
      });
      await page.getByRole('button', { name: 'Print' }).click();
      expect(await page.evaluate(() => (window as { printed?: number }).printed)).toBe(1);
      await page.emulateMedia({ media: 'print' });
      // (Hidden things leave the accessibility tree, so they are found by CSS here, not by role.)
      expect(await page.locator('h1', { hasText: 'Save your recovery key' }).evaluate((h) => getComputedStyle(h).visibility)).toBe('hidden');
      expect(await page.locator('output.recovery-key').evaluate((k) => getComputedStyle(k).visibility)).toBe('visible');
      await page.emulateMedia({ media: 'screen' });
    });
  });

  it('shows the keyboard map with "?", but not while typing, and closes it with Escape', async () => {
    const { page } = browser;
    await page.getByLabel('Search everything').fill('lamp?');
    await expect(page.getByRole('dialog').count()).resolves.toBe(0);
    await page.getByLabel('Search everything').fill('');
    await page.getByRole('heading', { name: 'Library' }).click();
    await page.keyboard.press('?');
    const map = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await map.waitFor();
    await map.getByText('Stop a reply that is being written', { exact: false }).waitFor();
    await screenshot(page, 'keyboard-map-phone');
    await page.keyboard.press('Escape');
    await map.waitFor({ state: 'detached' });
  });

  it('names the provider in the privacy ledger, and the export says providers and keys are left out', async () => {
    const { page } = browser;
    const call = callFor(app.core);
    await call('provider.add', { name: 'Fake cloud', baseUrl: ai.baseUrl, model: 'fake-model' });
    expect((await call('provider.test', { name: 'Fake cloud' })).ok).toBe(true);
    await navTo(page, 'Privacy ledger');
    const row = page.getByRole('row').filter({ hasText: 'Connection test' });
    await row.getByText('Fake cloud', { exact: false }).waitFor();
    await row.getByText(new URL(ai.baseUrl).host).waitFor();
    await screenshot(page, 'ledger-provider-names-phone');
    await navTo(page, 'Settings');
    await page.getByText(/AI providers and their API keys are left out/).waitFor();
  });
});
