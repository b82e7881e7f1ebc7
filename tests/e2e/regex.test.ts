/**
 * Regex scripts in the UI, in Chromium against browser mode: a real card's scripts (lide4144, tests/fixtures/regex)
 * wait behind a consent banner; once allowed, the displayed reply changes exactly as their display placement says
 * (the variable block hidden, the placeholder replaced) while the stored text stays; a global script made in the
 * editor and one imported from a SillyTavern file both apply; a catastrophic pattern leaves the page responsive.
 */
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { tempDir } from '../support/files.node.ts';
import { chromiumMissing, launchBrowser, screenshot, type Browser } from './support/browser.node.ts';
import { startBrowserMode, type BrowserMode } from './support/app.node.ts';
import { navTo, onboard, openApp } from './support/flows.node.ts';

const skip = chromiumMissing();
const card = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/regex/lide4144-lilian-regex-scripts.json'), 'utf8')) as { regex_scripts: unknown[] };
const reply = '*钟声响起。*\n<UpdateVariable>\n<JSONPatch>民声16</JSONPatch>\n</UpdateVariable>\n<StatusPlaceHolderImpl/>';

describe.skipIf(skip !== null)(`regex scripts in the UI${skip ? ` (${skip})` : ''}`, () => {
  let app: BrowserMode;
  let browser: Browser;
  let conversation = '';
  const body = (page: Page) => page.locator('article.msg .md').first();
  const openChat = async (page: Page) => {
    await navTo(page, 'Conversations');
    await page.getByRole('button', { name: /^Open Regex/ }).first().click();
    await body(page).waitFor().catch(async (e: unknown) => {
      await screenshot(page, 'regex-debug');
      throw new Error(`${String(e)} ${JSON.stringify(browser.pageErrors)}`);
    });
  };

  beforeAll(async () => {
    app = await startBrowserMode();
    browser = await launchBrowser();
    await openApp(browser.page, app.url);
    await onboard(browser.page);
    const ok = <T,>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
      if (!r.ok) throw new Error(r.error.message);
      return r.value;
    };
    const ch = ok(await app.core.invoke('character.create', { name: 'Lilian', extensions: { regex_scripts: card.regex_scripts } }));
    conversation = ok(await app.core.invoke('conversation.create', { title: 'Regex', characterIds: [ch.id] })).id;
    ok(await app.core.invoke('conversation.addMessage', { id: conversation, role: 'character', text: reply, authorId: ch.id }));
    ok(await app.core.invoke('conversation.addMessage', { id: conversation, role: 'user', text: 'a'.repeat(50) + '! teh end' }));
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it("asks before a card's scripts run; allowed, they change the display as placed, not the stored text", async () => {
    const { page } = browser;
    await openChat(page);
    const banner = page.getByRole('region', { name: "Regex scripts from Lilian's card" });
    await banner.getByText('2 regex scripts').waitFor();
    await expect(body(page).innerText()).resolves.toContain('民声16');
    await banner.getByRole('button', { name: 'Allow' }).click();
    await banner.waitFor({ state: 'detached' });
    await expect.poll(() => body(page).innerText()).not.toContain('民声16');
    // The placeholder became the card's status panel, which Markdown shows as an HTML code block.
    await expect(body(page).locator('pre code').innerText()).resolves.toContain('<!doctype html>');
    await screenshot(page, 'regex-card-allowed');
    const stored = await app.core.invoke('conversation.get', { id: conversation });
    expect(stored.ok && stored.value.messages[0]!.alternatives[0]!.text).toBe(reply);
  });

  it('global scripts: one written in the editor, one imported from a SillyTavern file; a catastrophic one leaves the page responsive', async () => {
    const { page } = browser;
    await navTo(page, 'Settings');
    await page.getByRole('button', { name: 'New script' }).click();
    const form = page.getByRole('form', { name: 'Regex script' });
    await form.getByLabel('Script name').fill('Fix typo');
    await form.getByLabel('Find (pattern, /…/flags)').fill('/\\bteh\\b/g');
    await form.getByLabel('Replace with').fill('the');
    await form.getByLabel('User input').check();
    await form.getByLabel('Find (pattern, /…/flags)').fill('/a(?=b)/');
    await form.getByText(/look-around or back-references/).waitFor();
    await form.getByLabel('Find (pattern, /…/flags)').fill('/\\bteh\\b/g');
    await form.getByRole('button', { name: 'Save script' }).click();
    await page.getByRole('list', { name: 'Regex scripts' }).getByText('Fix typo').waitFor();
    // The card decision made in the chat can be changed here.
    const own = page.getByRole('list', { name: "Characters' own scripts" });
    await own.getByText('Lilian: allowed').waitFor();
    await own.getByRole('button', { name: "Stop running Lilian's scripts" }).click();
    await own.getByText('Lilian: not run').waitFor();
    await own.getByRole('button', { name: "Run Lilian's scripts" }).click();
    await own.getByText('Lilian: allowed').waitFor();

    const file = join(tempDir('regex-import'), 'evil.json');
    writeFileSync(file, JSON.stringify({ scriptName: 'Evil', findRegex: '/(a+)+$/', replaceString: 'X', placement: [1, 2], disabled: false, markdownOnly: true, promptOnly: false, runOnEdit: true, substituteRegex: 0, minDepth: null, maxDepth: null, trimStrings: [] }));
    await page.getByTestId('regex-import').setInputFiles(file);
    await page.getByRole('list', { name: 'Regex scripts' }).getByText('Evil').waitFor();
    const list = await app.core.invoke('regex.list', {});
    expect(list.ok && list.value.scripts.map((s) => s.scriptName)).toEqual(['Fix typo', 'Evil']);

    await openChat(page);
    const mine = page.locator('article.msg-user .md');
    await expect.poll(() => mine.innerText()).toContain('the end');
    expect(await mine.innerText()).toContain('a'.repeat(50) + '!');
    // Still responsive: a round trip through the page's event loop right after rendering.
    await expect(page.evaluate(() => new Promise((r) => setTimeout(() => r('ok'), 0)))).resolves.toBe('ok');
    expect(browser.pageErrors).toEqual([]);
  });
});
