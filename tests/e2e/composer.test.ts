/**
 * The composer and the keyboard in a chat, as a role-player meets them: what was typed is never lost (no provider
 * yet; a 1 MB paste, refused at once in plain words), the box takes focus and grows, Escape stops a reply or
 * cancels an edit, ←/→ swipe between alternatives, a branch that ends on the user's own message can still get a
 * reply, and a failed reply is reported once. The provider is the local OpenAI-wire-format test server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { chromiumMissing, launchBrowser, screenshot, type Browser } from './support/browser.node.ts';
import { startBrowserMode, type BrowserMode } from './support/app.node.ts';
import { navTo, onboard, openApp } from './support/flows.node.ts';

const skip = chromiumMissing();

describe.skipIf(skip !== null)(`the composer keeps what was typed${skip ? ` (${skip})` : ''}`, () => {
  let app: BrowserMode;
  let browser: Browser;
  let ai: FakeOpenAI;

  const ok = async <T,>(p: Promise<{ ok: true; value: T } | { ok: false; error: { message: string } }>): Promise<T> => {
    const r = await p;
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };
  const box = (page: Page) => page.getByLabel('Your message');
  const openChat = async (page: Page, title: string) => {
    await page.getByRole('button', { name: 'Conversations', exact: true }).click();
    await page.getByRole('button', { name: `Open ${title}`, exact: true }).click();
    await box(page).waitFor();
  };
  let characterId = '';

  beforeAll(async () => {
    ai = await startFakeOpenAI({ model: 'fake-model' });
    app = await startBrowserMode();
    browser = await launchBrowser();
    await openApp(browser.page, app.url);
    await onboard(browser.page);
    characterId = (await ok(app.core.invoke('character.create', { name: 'Ada' }))).id;
    await ok(app.core.invoke('conversation.create', { title: 'Evening', characterIds: [characterId] }));
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await ai?.close();
  });

  it('keeps the text when the send fails for want of a provider, and offers Providers', async () => {
    const { page } = browser;
    await openChat(page, 'Evening');
    // Focus is in the composer as soon as the conversation opens.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('composer-input');
    await page.keyboard.type('The lamp is lit.');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'No AI provider is set up yet' }).waitFor();
    await expect(box(page).inputValue()).resolves.toBe('The lamp is lit.');
    await page.getByRole('button', { name: 'Open Providers' }).waitFor();
    await screenshot(page, 'composer-no-provider');
  });

  it('refuses a 1 MB paste at once in plain words, keeps it, and offers nothing unrelated', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Dismiss error' }).click();
    const huge = 'x'.repeat(1024 * 1024);
    await box(page).fill(huge);
    await page.getByText(/one message can hold at most 1,000,000/).waitFor();
    await expect(page.getByRole('button', { name: 'Send' }).isDisabled()).resolves.toBe(true);
    await box(page).press('Enter');
    expect(await box(page).evaluate((el: HTMLTextAreaElement) => el.value.length)).toBe(huge.length);
    expect(await page.locator('body').innerText()).not.toMatch(/must be at most|too_big|String must/);
    await expect(page.getByRole('button', { name: 'Open Providers' }).count()).resolves.toBe(0);
    // Nothing reached the conversation.
    const list = await ok(app.core.invoke('records.list', { kind: 'conversation' }));
    const c = await ok(app.core.invoke('conversation.get', { id: list[0]!.id }));
    expect(c.messages).toEqual([]);
    await screenshot(page, 'composer-too-long');
    await box(page).fill('');
  });

  it('grows with its text', async () => {
    const { page } = browser;
    const one = await box(page).evaluate((el) => el.getBoundingClientRect().height);
    await box(page).fill('one\ntwo\nthree\nfour\nfive');
    await expect.poll(() => box(page).evaluate((el) => el.getBoundingClientRect().height)).toBeGreaterThan(one * 2);
    await box(page).fill('');
  });

  it('sends, then Escape stops a streaming reply; ←/→ swipe; Escape cancels an edit', async () => {
    const { page } = browser;
    await ok(app.core.invoke('provider.add', { name: 'Fake', baseUrl: ai.baseUrl, model: 'fake-model' }));
    ai.script({ tokens: ['Once', ' upon', ' a', ' time'], stallAfterTokens: 2, stallMs: Infinity });
    await box(page).fill('Tell me a story.');
    await box(page).press('Enter');
    await page.getByText('Once upon').waitFor();
    await expect(box(page).inputValue()).resolves.toBe('');
    await page.keyboard.press('Escape');
    await page.locator('article.msg').last().getByText('stopped').waitFor();
    await page.getByRole('button', { name: 'Send' }).waitFor();

    // A second alternative, then ← and → from the (empty) composer move between them.
    ai.script({ text: 'A different beginning.' });
    await page.locator('article.msg').last().getByRole('button', { name: 'Regenerate' }).click();
    await page.getByText('A different beginning.').waitFor();
    await page.getByRole('button', { name: 'Send' }).waitFor();
    await box(page).focus();
    await page.keyboard.press('ArrowLeft');
    await page.getByText('Once upon').waitFor();
    await page.keyboard.press('ArrowRight');
    await page.getByText('A different beginning.').waitFor();

    await page.locator('article.msg').last().getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Edit message').fill('changed my mind');
    await page.keyboard.press('Escape');
    await expect(page.getByLabel('Edit message').count()).resolves.toBe(0);
    await page.getByText('A different beginning.').waitFor();
  });

  it('answers a branch that ends on the user’s own message, without typing anything new', async () => {
    const { page } = browser;
    // Branch at the user's message: the new conversation ends on it.
    await page.locator('article.msg').first().getByRole('button', { name: 'Branch' }).click();
    const reply = page.getByRole('button', { name: 'Get a reply from Ada' });
    await reply.waitFor();
    ai.script({ text: 'Of course. Long ago…' });
    await reply.click();
    await page.getByText('Of course. Long ago…').waitFor();
    await expect(reply.count()).resolves.toBe(0);
  });

  it('tells a failed reply once, with a way to try again', async () => {
    const { page } = browser;
    ai.script({ error: { status: 500 } }, { error: { status: 500 } }, { error: { status: 500 } });
    await box(page).fill('And then?');
    await box(page).press('Enter');
    const banner = page.locator('.banner');
    await banner.waitFor();
    await banner.getByRole('button', { name: 'Try again' }).waitFor();
    const said = (await banner.locator('span').innerText()).slice(0, 30);
    await expect(page.getByText(said, { exact: false }).count()).resolves.toBe(1);
    await screenshot(page, 'composer-failed-reply');
  });

  it('"Chat" continues the latest chat with the character, "New chat" starts one, and a conversation can be renamed', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: '← Library' }).click();
    await navTo(page, 'Characters');
    await page.getByRole('button', { name: 'Chat with Ada', exact: true }).click();
    // The newest conversation with Ada is the branch, where the last exchange happened.
    await page.getByRole('heading', { name: 'Evening (branch)' }).waitFor();
    await page.getByText('And then?').waitFor();
    await page.getByRole('button', { name: 'Rename Evening (branch)' }).click();
    await page.getByLabel('Conversation title').fill('The lighthouse story');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'The lighthouse story' }).waitFor();
    await expect.poll(async () => (await ok(app.core.invoke('records.list', { kind: 'conversation' }))).map((e) => e.title).sort()).toEqual(['Evening', 'The lighthouse story']);
    // Escape leaves the title as it was.
    await page.getByRole('button', { name: 'Rename The lighthouse story' }).click();
    await page.getByLabel('Conversation title').fill('Nope');
    await page.keyboard.press('Escape');
    await page.getByRole('heading', { name: 'The lighthouse story' }).waitFor();
    // "← Library" returns to the tab the chat was opened from.
    await page.getByRole('button', { name: '← Library' }).click();
    await page.getByRole('tab', { name: /Characters/, selected: true }).waitFor();
    await page.getByRole('button', { name: 'New chat with Ada', exact: true }).click();
    await page.getByRole('heading', { name: 'Ada', exact: true }).waitFor();
    await expect.poll(async () => (await ok(app.core.invoke('records.list', { kind: 'conversation' }))).length).toBe(3);
  });
});
