/**
 * Chatting in Chromium against browser mode, with the OpenAI-wire-format test server as the provider (the one
 * stand-in the tests allow): a provider added and tested on the Providers screen, a reply streaming in visibly,
 * stop, regenerate and swipe, continue, edit, delete, branch, persona and provider switch per conversation,
 * provider errors shown with a way to fix them — and the injection test for replies: HTML, script and
 * Markdown-image payloads in a reply render as text, no script runs, and the page sends no request to any other
 * host. Canaries typed into the chat (and the API key) never reach a file, in the data folder or Chromium's.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { closedBaseUrl, startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { findSecrets } from '../support/files.node.ts';
import { chromiumMissing, launchBrowser, refuseRemote, screenshot, type Browser } from './support/browser.node.ts';
import { startBrowserMode, type BrowserMode } from './support/app.node.ts';
import { answerDialog, onboard, openApp } from './support/flows.node.ts';
import { layoutProblems } from './support/layout.node.ts';

const skip = chromiumMissing();
const canary = (label: string) => `canary${label}${randomBytes(6).toString('hex')}`;

describe.skipIf(skip !== null)(`chat in browser mode${skip ? ` (${skip})` : ''}`, () => {
  let app: BrowserMode;
  let browser: Browser;
  let ai: FakeOpenAI;
  let offline = '';
  const canaries = { apiKey: `sk-${canary('Key')}`, message: canary('Msg'), edit: canary('Edit'), reply: canary('Reply') };
  /** Requests the page tried to make to any host but the app's own (caught and refused by the route below). */
  let routedAway: string[] = [];

  const messages = (page: Page) => page.locator('article.msg');
  const lastMessage = (page: Page) => messages(page).last();
  const conversation = async () => {
    const list = await app.core.invoke('records.list', { kind: 'conversation' });
    if (!list.ok) throw new Error(list.error.message);
    const newest = [...list.value].sort((a, b) => b.updatedAt - a.updatedAt)[0]!;
    const c = await app.core.invoke('conversation.get', { id: newest.id });
    if (!c.ok) throw new Error(c.error.message);
    return c.value;
  };
  const send = async (page: Page, text: string) => {
    await page.getByLabel('Your message').fill(text);
    await page.getByLabel('Your message').press('Enter');
  };
  const idle = (page: Page) => page.getByRole('button', { name: 'Send' }).waitFor();

  beforeAll(async () => {
    ai = await startFakeOpenAI({ model: 'fake-model', requireApiKey: canaries.apiKey });
    offline = await closedBaseUrl();
    app = await startBrowserMode();
    browser = await launchBrowser();
    // Anything the page asks of a host other than the app itself is refused and remembered.
    routedAway = await refuseRemote(browser.context);
    await openApp(browser.page, app.url);
    await onboard(browser.page);
    const ch = await app.core.invoke('character.create', { name: 'Ada', first_mes: 'Good evening. *She closes the ledger.*' });
    expect(ch.ok).toBe(true);
    const persona = await app.core.invoke('persona.create', { name: 'Wren', description: 'A visiting cartographer.' });
    expect(persona.ok).toBe(true);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await ai?.close();
  });

  it('adds providers on the Providers screen (custom and preset), tests the connection, orders and removes them', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Providers', exact: true }).click();
    await page.getByRole('button', { name: 'Custom…' }).click();
    await page.getByLabel('Name').fill('Fake local');
    await page.getByLabel('Base URL').fill(ai.baseUrl);
    await page.getByLabel('Model').fill('fake-model');
    await page.getByLabel('API key').fill(canaries.apiKey);
    await page.getByRole('button', { name: 'Add provider' }).click();
    const row = page.getByRole('listitem').filter({ hasText: 'Fake local' });
    await row.getByText('API key saved').waitFor();
    // The key went to the core and is never shown again, not even in the form.
    await expect(page.getByText(canaries.apiKey).count()).resolves.toBe(0);

    await row.getByRole('button', { name: 'Test connection' }).click();
    await row.getByText(/^Works \(\d+ ms\)\.$/).waitFor();
    // The test reached the server, carrying the key.
    expect(ai.requests.some((r) => r.headers['authorization'] === `Bearer ${canaries.apiKey}`)).toBe(true);

    // A second provider where nothing listens: its test fails, saying so.
    await page.getByRole('button', { name: 'Custom…' }).click();
    await page.getByLabel('Name').fill('Offline box');
    await page.getByLabel('Base URL').fill(offline);
    await page.getByLabel('Model').fill('fake-model');
    await page.getByRole('button', { name: 'Add provider' }).click();
    const offlineRow = page.getByRole('listitem').filter({ hasText: 'Offline box' });
    await offlineRow.getByRole('button', { name: 'Test connection' }).click();
    const failure = offlineRow.locator('.error');
    await failure.waitFor();
    expect((await failure.textContent())!.length).toBeGreaterThan(10);
    await screenshot(page, 'providers-tested');

    // Order: move the offline one first, then back.
    const order = async () => {
      const r = await app.core.invoke('provider.list', {});
      return r.ok ? r.value.map((p) => p.name) : [];
    };
    await page.getByRole('button', { name: 'Move Offline box up' }).click();
    await expect.poll(order).toEqual(['Offline box', 'Fake local']);
    await page.getByRole('button', { name: 'Move Offline box down' }).click();
    await expect.poll(order).toEqual(['Fake local', 'Offline box']);

    // A preset fills the form (a local server needs no key); removing asks first.
    await page.getByRole('button', { name: /LM Studio/ }).click();
    await expect(page.getByLabel('Base URL').inputValue()).resolves.toBe('http://127.0.0.1:1234/v1');
    await page.getByRole('button', { name: 'Add provider' }).click();
    await expect.poll(order).toEqual(['Fake local', 'Offline box', 'LM Studio (local)']);
    await page.getByRole('listitem').filter({ hasText: 'LM Studio (local)' }).getByRole('button', { name: 'Remove' }).click();
    expect(await answerDialog(page, 'confirm')).toMatch(/Remove the provider “LM Studio \(local\)”/);
    await expect.poll(order).toEqual(['Fake local', 'Offline box']);
  });

  it('streams a reply visibly, word by word, then shows it complete', async () => {
    const { page } = browser;
    const words = ['The ', 'ledger ', 'balances ', 'to ', 'the ', 'penny, ', 'as ', 'it ', 'always ', 'does. ', canaries.reply];
    // Held after 'The ledger balances' until the mid-stream checks are done, so they never race the stream's end.
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    ai.script({ tokens: words, tokenDelayMs: 150, stallAfterTokens: 3, stallUntil: held });
    await page.getByRole('button', { name: 'Characters', exact: true }).click();
    await page.getByRole('listitem').filter({ has: page.getByRole('button', { name: 'Open Ada' }) }).getByRole('button', { name: /^Chat with/ }).click();
    await page.getByText('She closes the ledger.').waitFor();
    await page.getByLabel('You play').selectOption({ label: 'Wren' });
    await expect.poll(async () => (await conversation()).personaId).toBeTruthy();

    await send(page, `Does it balance? ${canaries.message}`);
    await page.locator('article.msg').getByText(`Does it balance? ${canaries.message}`).waitFor();
    // Partial text is on screen while the reply is still being written, and Stop is offered.
    await lastMessage(page).getByText('The ledger balances').waitFor();
    await expect(lastMessage(page).getByText('writing…').isVisible()).resolves.toBe(true);
    await expect(lastMessage(page).textContent()).resolves.not.toContain(canaries.reply);
    await expect(page.getByRole('button', { name: 'Stop' }).isVisible()).resolves.toBe(true);
    await screenshot(page, 'chat-streaming');
    expect(await layoutProblems(page)).toEqual([]);
    release();
    await lastMessage(page).getByText(canaries.reply).waitFor();
    await idle(page);
    await expect(lastMessage(page).getByText('writing…').count()).resolves.toBe(0);
    await screenshot(page, 'chat-reply');

    // What the model was sent: the character's greeting, the persona and the user's words.
    const sent = JSON.stringify(ai.chatRequests().at(-1)!.body);
    expect(sent).toContain(canaries.message);
    expect(sent).toContain('Wren');
    const c = await conversation();
    expect(c.messages.at(-1)!.alternatives[0]).toMatchObject({ status: 'complete', text: words.join('') });
  });

  it('stops a reply mid-stream, keeping what arrived', async () => {
    const { page } = browser;
    ai.script({ tokens: Array.from({ length: 200 }, (_, i) => `word${i} `), tokenDelayMs: 100 });
    await send(page, 'Tell me everything.');
    await lastMessage(page).getByText('word2').waitFor();
    await page.getByRole('button', { name: 'Stop' }).click();
    await idle(page);
    await lastMessage(page).getByText('stopped').waitFor();
    const c = await conversation();
    const alt = c.messages.at(-1)!.alternatives[0]!;
    expect(alt.status).toBe('stopped');
    expect(alt.text).toMatch(/^word0 word1 word2 /);
    expect(alt.text).not.toContain('word199');
    await expect(lastMessage(page).textContent()).resolves.toContain(alt.text.trim());
    await screenshot(page, 'chat-stopped');
  });

  it('regenerates a reply and swipes between the alternatives', async () => {
    const { page } = browser;
    ai.script({ text: 'A second thought entirely.', tokenDelayMs: 30 });
    await lastMessage(page).getByRole('button', { name: 'Regenerate' }).click();
    await lastMessage(page).getByText('A second thought entirely.').waitFor();
    await idle(page);
    const swipes = lastMessage(page).getByRole('group', { name: 'Alternatives' });
    await expect(swipes.textContent()).resolves.toContain('2/2');
    await swipes.getByRole('button', { name: 'Previous alternative' }).click();
    await lastMessage(page).getByText('word0 word1').waitFor();
    await expect(swipes.textContent()).resolves.toContain('1/2');
    expect((await conversation()).messages.at(-1)!.chosen).toBe(0);
    await swipes.getByRole('button', { name: 'Next alternative' }).click();
    await lastMessage(page).getByText('A second thought entirely.').waitFor();
    await screenshot(page, 'chat-swipes');
    expect(await layoutProblems(page)).toEqual([]);
  });

  it('continues a reply', async () => {
    const { page } = browser;
    ai.script({ tokens: [' And', ' then', ' some', ' more.'], tokenDelayMs: 30 });
    await lastMessage(page).getByRole('button', { name: 'Continue' }).click();
    await lastMessage(page).getByText('A second thought entirely. And then some more.').waitFor();
    await idle(page);
    const last = (await conversation()).messages.at(-1)!;
    expect(last.alternatives[last.chosen]!.text).toMatch(/^A second thought entirely\.\s*And then some more\.$/);
  });

  it('edits and deletes messages', async () => {
    const { page } = browser;
    const mine = messages(page).filter({ hasText: 'Tell me everything.' });
    await mine.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Edit message').fill(`Tell me about the ledger. ${canaries.edit}`);
    await page.getByRole('button', { name: 'Save edit' }).click();
    await messages(page).filter({ hasText: `Tell me about the ledger. ${canaries.edit}` }).getByText('edited').waitFor();
    expect((await conversation()).messages.some((m) => m.alternatives[m.chosen]!.text === `Tell me about the ledger. ${canaries.edit}`)).toBe(true);

    const before = (await conversation()).messages.length;
    await messages(page).filter({ hasText: `Does it balance? ${canaries.message}` }).getByRole('button', { name: 'Delete' }).click();
    // Gone from view at once, with Undo; deleted for good once the undo window closes.
    await expect.poll(() => messages(page).filter({ hasText: 'Does it balance?' }).count()).toBe(0);
    await page.locator('.toast').filter({ hasText: 'Deleted the message.' }).getByRole('button', { name: 'Undo' }).waitFor();
    await expect.poll(async () => (await conversation()).messages.length).toBe(before - 1);
  });

  it('branches a new conversation from a message', async () => {
    const { page } = browser;
    const original = await conversation();
    await messages(page).first().getByRole('button', { name: 'Branch' }).click();
    await expect.poll(async () => (await conversation()).id).not.toBe(original.id);
    const branch = await conversation();
    expect(branch.messages.map((m) => m.alternatives[m.chosen]!.text)).toEqual([original.messages[0]!.alternatives[original.messages[0]!.chosen]!.text]);
    await expect.poll(() => messages(page).count()).toBe(1);
    await page.getByRole('button', { name: '← Library' }).click();
    await page.getByRole('tab', { name: /Conversations/ }).click();
    await expect.poll(() => page.getByRole('button', { name: /^Open Ada/ }).count()).toBe(2);
    await page.getByRole('button', { name: /^Open Ada/ }).first().click();
    await page.getByText('She closes the ledger.').waitFor();
  });

  it('shows provider errors clearly, says what to do, and offers to try again', async () => {
    const { page } = browser;
    const banner = page.locator('.banner[role=alert]');
    // The provider refuses the key: not retried elsewhere (another provider would not fix a bad key).
    ai.script({ error: { status: 401 } });
    await send(page, 'Are you there?');
    await banner.filter({ hasText: 'Check the API key of that provider in Providers.' }).waitFor();
    await expect(banner.textContent()).resolves.toContain('Fake local (HTTP 401: the API key was refused');
    await expect(banner.getByRole('button', { name: 'Open Providers' }).isVisible()).resolves.toBe(true);
    // Said once: the banner holds the words, the message a "failed" mark.
    await lastMessage(page).getByText('failed', { exact: true }).waitFor();
    await expect(page.getByText(/No reply\./).count()).resolves.toBe(1);
    await screenshot(page, 'chat-provider-error');
    expect(await layoutProblems(page)).toEqual([]);
    ai.script({ text: 'Yes, here I am.' });
    await banner.getByRole('button', { name: 'Try again' }).click();
    await lastMessage(page).getByText('Yes, here I am.').waitFor();
    await idle(page);
    await expect(banner.count()).resolves.toBe(0);

    // This conversation's provider is down: the next one in the order answers, and the reply says which did.
    await page.getByLabel('Provider').selectOption({ label: 'Offline box · fake-model' });
    await expect.poll(async () => (await conversation()).provider).toBe('Offline box');
    ai.script({ text: 'Answered by the fallback.' });
    await send(page, 'Hello?');
    await lastMessage(page).getByText('Answered by the fallback.').waitFor();
    await idle(page);
    await lastMessage(page).getByText('via Fake local').waitFor();

    // Every provider fails: the message names each one and why.
    ai.script({ error: { status: 503 } });
    await send(page, 'Anyone?');
    const all = banner.filter({ hasText: 'Tried 2 providers' });
    await all.waitFor();
    const text = (await all.textContent())!;
    expect(text).toContain('Offline box (connection refused)');
    expect(text).toContain('Fake local (HTTP 503: server error');
    expect(text).toContain('try again in a moment, or add another provider');
    await idle(page);

    // A failure after text arrived keeps the text and says so.
    ai.script({ tokens: ['Half ', 'a ', 'thought '], errorAfterTokens: 3 });
    await send(page, 'Go on.');
    await banner.filter({ hasText: 'failed mid-reply' }).waitFor();
    await idle(page);
    await lastMessage(page).getByText('Half a thought').waitFor();
    await screenshot(page, 'chat-error-mid-reply');
    expect(await layoutProblems(page)).toEqual([]);
    await banner.getByRole('button', { name: 'Open Providers' }).click();
    await page.getByRole('heading', { name: 'AI providers' }).waitFor();
  });

  it('renders a hostile reply as text while it streams and after: no script runs, no request leaves', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Conversations', exact: true }).click();
    await page.getByRole('button', { name: /^Open Ada/ }).first().click();
    await page.getByLabel('Provider').selectOption({ label: 'Fake local · fake-model' });
    const hostile = [
      'Here: <img src="https://tracker.example/a.png" onerror="window.__pwned=1"> ',
      '![beacon](https://tracker.example/b.png) ',
      '<scr',
      'ipt>window.__pwned=2</scr',
      'ipt> ',
      '[click me](javascript:window.__pwned=3) ',
      '<iframe src="https://tracker.example/frame"></iframe> ',
      '<a href="https://tracker.example/c" onclick="window.__pwned=4">c</a> ',
      '<svg onload="window.__pwned=5"></svg> ',
      '<style>body{background:url(https://tracker.example/d.png)}</style> ',
      'the end.',
    ];
    ai.script({ tokens: hostile, tokenDelayMs: 120 });
    await send(page, 'Show me something.');
    await lastMessage(page).getByText('writing…').waitFor();
    // Mid-stream, half a tag is text like any other.
    await lastMessage(page).getByText('[image: beacon]').waitFor();
    expect(await page.locator('.messages img, .messages script, .messages iframe, .messages svg, .messages style').count()).toBe(0);
    await lastMessage(page).getByText('the end.').waitFor();
    await idle(page);
    await screenshot(page, 'chat-hostile-reply');
    expect(await page.locator('.messages img, .messages script, .messages iframe, .messages svg, .messages style').count()).toBe(0);
    const hrefs = await lastMessage(page).locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
    expect(hrefs.filter((h) => /^\s*(javascript|data|vbscript):/i.test(h))).toEqual([]);
    // Clicking the neutralised link asks nothing and goes nowhere.
    const dialogs: string[] = [];
    const onDialog = (d: { message(): string; dismiss(): Promise<void> }) => void (dialogs.push(d.message()), d.dismiss());
    page.on('dialog', onDialog);
    // A javascript: link keeps its text but loses its address: it is no link at all.
    await expect(lastMessage(page).getByRole('link', { name: 'click me' }).count()).resolves.toBe(0);
    await lastMessage(page).getByText('click me').click();
    await page.waitForTimeout(300);
    page.off('dialog', onDialog);
    expect(dialogs).toEqual([]);
    await expect(page.evaluate(() => (window as { __pwned?: number }).__pwned)).resolves.toBeUndefined();
    expect(routedAway).toEqual([]);
    expect(browser.remoteRequests).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
  });

  it('locking while a reply streams stops it, keeps the text so far, and clears the screen', async () => {
    const { page } = browser;
    ai.script({ tokens: Array.from({ length: 200 }, (_, i) => `late${i} `), tokenDelayMs: 100 });
    await send(page, 'One more thing.');
    await lastMessage(page).getByText('late2').waitFor();
    await page.getByRole('button', { name: 'Lock vault' }).click();
    await page.getByRole('heading', { name: 'Unlock your vault' }).waitFor();
    await expect(page.getByText('late2').count()).resolves.toBe(0);
    await page.getByLabel('Passphrase', { exact: true }).fill('quiet lantern harbour meadow 47');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('tab', { name: /Characters/ }).waitFor();
    const last = (await conversation()).messages.at(-1)!;
    expect(last.alternatives[0]!.status).toBe('stopped');
    expect(last.alternatives[0]!.text).toMatch(/^late0 late1 late2 /);
    await page.getByRole('button', { name: 'Conversations', exact: true }).click();
    await page.getByRole('button', { name: /^Open Ada/ }).first().click();
    await lastMessage(page).getByText('stopped').waitFor();
    await idle(page);
  });

  it('never writes a canary typed into the chat, the API key or a reply to any file, in the data folder or the browser profile', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Lock vault' }).click();
    await page.getByRole('heading', { name: 'Unlock your vault' }).waitFor();
    await browser.close();
    const secrets = Object.values(canaries);
    const hits = [...findSecrets(app.dataDir, secrets), ...findSecrets(browser.profileDir, secrets)];
    expect(hits).toEqual([]);
  });
});
