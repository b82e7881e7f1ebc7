/**
 * The Memory panel under the chat header (Chromium against browser mode, the fake provider): "Summarize now" shows the
 * provider's summary and what it covers; the summary is edited and saved, switched off and placed in the chat, all
 * with the keyboard; a provider error is shown and the summary kept. Screenshots at 390×844 and 1280×800, light and
 * dark, with no layout problems.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { callFor, type Call } from '../../electron/core/cli/context.node.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { chromiumMissing, launchBrowser, screenshot, type Browser } from './support/browser.node.ts';
import { startBrowserMode, type BrowserMode } from './support/app.node.ts';
import { navTo, onboard, openApp } from './support/flows.node.ts';
import { layoutProblems } from './support/layout.node.ts';

const skip = chromiumMissing();

describe.skipIf(skip !== null)(`the memory panel${skip ? ` (${skip})` : ''}`, () => {
  let app: BrowserMode;
  let api: Call;
  let browser: Browser;
  let ai: FakeOpenAI;
  let conversationId = '';

  beforeAll(async () => {
    ai = await startFakeOpenAI({ model: 'fake-model' });
    app = await startBrowserMode();
    api = callFor(app.core);
    browser = await launchBrowser();
    await openApp(browser.page, app.url);
    await onboard(browser.page);
    await api('provider.add', { name: 'fake', baseUrl: ai.baseUrl, model: 'fake-model' });
    const { id: mira } = await api('character.create', { name: 'Mira', description: 'The keeper.' });
    conversationId = (await api('conversation.create', { title: 'Harbour', characterIds: [mira] })).id;
    for (let i = 1; i <= 6; i++) {
      await api('conversation.addMessage', { id: conversationId, role: i % 2 ? 'user' : 'character', text: `Line ${i} of the night at the harbour.`, ...(i % 2 ? {} : { authorId: mira }) });
    }
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await ai?.close();
  });

  async function setTheme(page: Page, theme: 'light' | 'dark') {
    await navTo(page, 'Settings');
    await page.getByLabel('Theme', { exact: true }).selectOption(theme);
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset['theme'])).toBe(theme);
  }

  async function openPanel(page: Page) {
    await navTo(page, 'Conversations');
    await page.getByRole('button', { name: 'Open Harbour', exact: true }).click();
    const summary = page.locator('details.chat-memory > summary');
    await summary.focus();
    await page.keyboard.press('Enter');
    await page.getByLabel('Summary', { exact: true }).waitFor();
  }

  it('summarises on request and shows what the summary covers, with the keyboard only', async () => {
    const { page } = browser;
    await page.setViewportSize({ width: 1280, height: 800 });
    await openPanel(page);
    await page.getByText('No summary yet.').waitFor();
    ai.script({ text: 'Mira kept watch while the visitor told of the night at the harbour.' });
    await page.getByRole('button', { name: 'Summarize now' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByLabel('Summary', { exact: true }).inputValue()).toBe('Mira kept watch while the visitor told of the night at the harbour.');
    await page.getByText(/^Covers the first 6 of 6 messages, summarised on request/).waitFor();
    const asked = (ai.chatRequests().at(-1)!.body as { messages: { content: string }[] }).messages[1]!.content;
    expect(asked).toContain('Mira:\nLine 2 of the night at the harbour.');

    // Edit it by keyboard and save: the memory is marked as the user's.
    await page.getByLabel('Summary', { exact: true }).focus();
    await page.keyboard.press('End');
    await page.keyboard.type(' A storm is coming.');
    await page.getByRole('button', { name: 'Save memory' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await api('memory.get', { conversationId })).madeBy).toBe('edited');
    expect((await api('memory.get', { conversationId })).text).toBe('Mira kept watch while the visitor told of the night at the harbour. A storm is coming.');

    // Place it in the chat at depth 3 as user; the prompt inspector shows it there.
    await page.getByLabel('Placed', { exact: true }).focus();
    await page.getByLabel('Placed', { exact: true }).selectOption('depth');
    await page.getByLabel('Memory depth', { exact: true }).fill('3');
    await page.getByRole('button', { name: 'Save memory' }).press('Enter');
    await expect.poll(async () => (await api('memory.get', { conversationId })).position).toBe('depth');
    const p = await api('chat.prompt', { conversationId });
    expect(p.memory).toMatchObject({ position: 'depth', depth: 3 });
    // The prompt inspector says where it went and why.
    await page.getByRole('button', { name: 'Prompt', exact: true }).press('Enter');
    const line = page.getByText(/^Memory, in the chat 3 messages from the end as system, \d+ tokens — summary of the first 6 messages, written or edited by the user/);
    await line.waitFor();
    await line.scrollIntoViewIfNeeded();
    await page.getByText('Memory (summary of earlier messages)').first().waitFor();
    await screenshot(page, 'memory-in-prompt-inspector');
    await page.getByRole('button', { name: 'Close', exact: true }).press('Enter');

    // Switch it off with the space bar.
    await page.getByLabel('Use in replies', { exact: true }).focus();
    await page.keyboard.press('Space');
    await expect.poll(async () => (await api('memory.get', { conversationId })).enabled).toBe(false);
    expect((await api('chat.prompt', { conversationId })).memory).toBeUndefined();
    await page.getByLabel('Use in replies', { exact: true }).press('Space');
    await expect.poll(async () => (await api('memory.get', { conversationId })).enabled).toBe(true);
  });

  it('shows a provider error and keeps the summary', async () => {
    const { page } = browser;
    await api('conversation.addMessage', { id: conversationId, role: 'user', text: 'Line 7: the bell rings.' });
    ai.script({ error: { status: 401 } });
    await page.getByRole('button', { name: 'Summarize now' }).press('Enter');
    await page.getByRole('alert').filter({ hasText: /No summary: tried fake \(HTTP 401.*The memory is unchanged\./ }).waitFor();
    expect(await page.getByLabel('Summary', { exact: true }).inputValue()).toMatch(/A storm is coming\.$/);
    expect((await api('memory.get', { conversationId })).text).toMatch(/A storm is coming\.$/);
  });

  it('fits at phone and laptop sizes, light and dark', async () => {
    const { page } = browser;
    for (const theme of ['light', 'dark'] as const) {
      await page.setViewportSize({ width: 1280, height: 800 });
      await setTheme(page, theme);
      await openPanel(page);
      for (const size of [{ width: 390, height: 844, name: 'phone' }, { width: 1280, height: 800, name: 'laptop' }]) {
        await page.setViewportSize({ width: size.width, height: size.height });
        // On a phone the chat's panels fold behind "Chat settings".
        const tools = page.getByRole('button', { name: 'Chat settings' });
        if ((await tools.isVisible()) && (await tools.getAttribute('aria-expanded')) === 'false') await tools.press('Enter');
        await page.getByLabel('Summary', { exact: true }).waitFor();
        await screenshot(page, `memory-panel-${size.name}-${theme}`);
        expect(await layoutProblems(page), `${size.name} ${theme}`).toEqual([]);
      }
    }
  });
});
