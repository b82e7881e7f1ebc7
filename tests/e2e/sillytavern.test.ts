/**
 * Coming from SillyTavern, in Chromium against browser mode: a SillyTavern user folder imported through the
 * Settings screen (progress, then the report), an imported chat opened with its swipes and its reasoning shown
 * collapsed as "Thinking", a swipe, and the conversation's preset changed to an imported one. Screenshots go to
 * the usual folder for a person to look at.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchBrowser, screenshot, type Browser } from './support/browser.node.ts';
import { startBrowserMode, type BrowserMode } from './support/app.node.ts';
import { onboard, openApp } from './support/flows.node.ts';
import { stUserFolder } from '../support/sillytavern.node.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';

const skip = chromiumMissing();
const soloTitle = 'Seraphina — 2024-9-28 @01h 02m 36s 123ms';

describe.skipIf(skip !== null)(`SillyTavern import in browser mode${skip ? ` (${skip})` : ''}`, () => {
  let app: BrowserMode;
  let browser: Browser;
  let ai: FakeOpenAI;
  const api = async <T,>(command: string, input: unknown): Promise<T> => {
    const r = await app.core.invoke(command as never, input as never);
    if (!r.ok) throw new Error(r.error.message);
    return r.value as T;
  };

  beforeAll(async () => {
    app = await startBrowserMode();
    ai = await startFakeOpenAI();
    browser = await launchBrowser({ width: 1100, height: 760 });
    await openApp(browser.page, app.url);
    await onboard(browser.page);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await ai?.close();
  });

  it('imports a SillyTavern folder from Settings and reports what came in', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('heading', { name: 'Import from SillyTavern' }).scrollIntoViewIfNeeded();
    await page.getByTestId('st-import-folder').setInputFiles(stUserFolder());
    const report = page.getByRole('status', { name: 'Import report' });
    await report.waitFor();
    await expect(report.textContent()).resolves.toMatch(/Imported 2 conversations, 3 characters, 1 lorebook, 4 presets and 2 personas\./);
    await report.scrollIntoViewIfNeeded();
    await screenshot(page, 'sillytavern-import-report');
    expect((await api<unknown[]>('records.list', { kind: 'conversation' })).length).toBe(2);
  });

  it('opens the imported chat: swipes, reasoning collapsed as "Thinking", a swipe, a preset change', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Conversations', exact: true }).click();
    await page.getByRole('button', { name: `Open ${soloTitle}` }).click();
    const messages = page.locator('article.msg');
    await messages.first().waitFor();
    await expect(messages.count()).resolves.toBe(5);
    const greeting = messages.nth(0);
    await expect(greeting.textContent()).resolves.toContain('Seraphina tends to your wounds');
    await page.getByText('Где я? 我在哪里？ — Wo bin ich? 🌲').waitFor();
    const answer = messages.nth(2);
    const thinking = answer.locator('details.msg-thinking');
    await expect(thinking.locator('summary').textContent()).resolves.toBe('Thinking');
    await expect(thinking.evaluate((d) => (d as HTMLDetailsElement).open)).resolves.toBe(false);
    await thinking.locator('summary').click();
    await expect(thinking.textContent()).resolves.toContain('three languages');
    await screenshot(page, 'sillytavern-chat-thinking');

    // Swipe the greeting back to its first alternative; the choice is stored.
    await greeting.getByRole('button', { name: 'Previous alternative' }).click();
    await expect.poll(async () => greeting.textContent()).toContain("Oh, you're awake.");
    const [entry] = (await api<{ id: string; title: string }[]>('records.list', { kind: 'conversation' })).filter((e) => e.title === soloTitle);
    await expect.poll(async () => (await api<{ messages: { chosen: number }[] }>('conversation.get', { id: entry!.id })).messages[0]!.chosen).toBe(0);

    // The imported presets are offered; choosing one is stored on the conversation.
    await page.getByLabel('Preset').selectOption('Creative');
    await expect.poll(async () => (await api<{ preset?: string }>('conversation.get', { id: entry!.id })).preset).toBe('Creative');
    await screenshot(page, 'sillytavern-chat-swiped-preset');

    // Impersonate: the AI writes the user's turn into the composer; nothing is sent or stored until Send.
    await api('provider.add', { name: 'Fake', baseUrl: ai.baseUrl, model: 'fake-model' });
    ai.script({ text: 'Aldric: Show me the way out, please.' });
    const before = (await api<{ messages: unknown[] }>('conversation.get', { id: entry!.id })).messages.length;
    await page.getByRole('button', { name: 'Write my turn' }).click();
    await expect.poll(async () => page.getByLabel('Your message').inputValue(), { timeout: 20_000 }).toBe('Show me the way out, please.');
    expect((await api<{ messages: unknown[] }>('conversation.get', { id: entry!.id })).messages.length).toBe(before);
    expect(ai.chatRequests().at(-1)!.body).toMatchObject({ temperature: 1.1, max_tokens: 400, seed: 42 });
    await screenshot(page, 'sillytavern-write-my-turn');
  });
});
