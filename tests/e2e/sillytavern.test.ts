/**
 * Coming from SillyTavern, in Chromium against browser mode: a SillyTavern user folder imported through the
 * Settings screen (progress, then the report), an imported chat opened with its swipes and its reasoning shown
 * collapsed as "Thinking", a swipe, the conversation's preset changed to an imported one, the prompt inspector, and
 * the Presets screen. Screenshots (also at 390×844 and 1280×800, light and dark) go to the usual folder for a
 * person to look at.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchBrowser, screenshot, type Browser } from './support/browser.node.ts';
import { startBrowserMode, type BrowserMode } from './support/app.node.ts';
import { answerDialog, navTo, onboard, openApp } from './support/flows.node.ts';
import { layoutProblems } from './support/layout.node.ts';
import { tempDir } from '../support/files.node.ts';
import { formatStMessageDate } from '../../electron/core/sillytavern/chat.std.ts';
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
    // Whether a progress bar showed while the import ran (it may come and go between two polls, so the page
    // itself records it).
    await page.evaluate(() => {
      const w = window as unknown as { sawProgress: boolean };
      w.sawProgress = false;
      new MutationObserver(() => {
        if (document.querySelector('progress')) w.sawProgress = true;
      }).observe(document.body, { childList: true, subtree: true });
    });
    await page.getByTestId('st-import-folder').setInputFiles(stUserFolder());
    const report = page.getByRole('status', { name: 'Import report' });
    await report.waitFor();
    await expect(report.textContent()).resolves.toMatch(/Imported 2 conversations, 3 characters, 1 lorebook, 4 presets and 2 personas\./);
    await expect(page.evaluate(() => (window as unknown as { sawProgress: boolean }).sawProgress)).resolves.toBe(true);
    await report.scrollIntoViewIfNeeded();
    await screenshot(page, 'sillytavern-import-report');
    expect((await api<unknown[]>('records.list', { kind: 'conversation' })).length).toBe(2);
  });

  it('a single large chat imported from files shows a moving progress bar until its report', async () => {
    const { page } = browser;
    const lines = [JSON.stringify({ user_name: 'You', character_name: 'Long Talker', create_date: '2024-9-28 @01h 02m 36s 123ms', chat_metadata: {} })];
    for (let i = 0; i < 3000; i++) {
      const send_date = formatStMessageDate(Date.UTC(2024, 8, 28) + i * 60_000);
      lines.push(JSON.stringify({ name: i % 2 ? 'Long Talker' : 'You', is_user: i % 2 === 0, is_system: false, send_date, mes: `Message ${i}: ${'words '.repeat(40)}`, extra: {} }));
    }
    const file = join(tempDir('st-big'), 'long.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    await page.evaluate(() => {
      const w = window as unknown as { sawMoving: boolean };
      w.sawMoving = false;
      new MutationObserver(() => {
        if (document.querySelector('progress:not([value])')) w.sawMoving = true;
      }).observe(document.body, { childList: true, subtree: true });
    });
    await page.getByTestId('st-import-files').setInputFiles(file);
    const report = page.getByRole('status', { name: 'Import report' });
    await expect.poll(async () => report.textContent(), { timeout: 60_000 }).toMatch(/Imported 1 conversation, 1 character/);
    await expect(page.evaluate(() => (window as unknown as { sawMoving: boolean }).sawMoving)).resolves.toBe(true);
    const [entry] = (await api<{ id: string; title: string }[]>('records.list', { kind: 'conversation' })).filter((e) => e.title.startsWith('Long Talker'));
    expect((await api<{ total: number }>('conversation.window', { id: entry!.id, limit: 1 })).total).toBe(3000);
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
    await expect.poll(async () => page.getByLabel('Your message').inputValue()).toBe('Show me the way out, please.');
    expect((await api<{ messages: unknown[] }>('conversation.get', { id: entry!.id })).messages.length).toBe(before);
    expect(ai.chatRequests().at(-1)!.body).toMatchObject({ temperature: 1.1, max_tokens: 400, seed: 42 });
    await screenshot(page, 'sillytavern-write-my-turn');
  });

  it('the prompt inspector shows what the next reply sends, part by part, with the request\'s token total', async () => {
    const { page } = browser;
    // A model whose tokenizer is known, so the panel says which one counted.
    await api('provider.update', { name: 'Fake', patch: { model: 'gpt-4o-mini' } });
    await page.getByRole('button', { name: 'Prompt', exact: true }).click();
    const panel = page.getByRole('region', { name: 'Prompt inspector' });
    await panel.getByText('counted with the o200k_base tokenizer', { exact: false }).waitFor();
    const [entry] = (await api<{ id: string; title: string }[]>('records.list', { kind: 'conversation' })).filter((e) => e.title === soloTitle);
    const p = await api<{ budget: { used: number }; messages: { tokens: number; part: string }[] }>('chat.prompt', { conversationId: entry!.id });
    await expect(panel.getByRole('status').first().textContent()).resolves.toContain(`${p.budget.used.toLocaleString('en-US')} of`);
    const summaries = panel.locator('.inspector-parts summary');
    await expect(summaries.count()).resolves.toBe(p.messages.length);
    await expect(summaries.first().textContent()).resolves.toContain(`${p.messages[0]!.tokens} tokens`);
    await summaries.first().click();
    await expect(panel.locator('pre').first().textContent()).resolves.toContain('Seraphina');
    await screenshot(page, 'sillytavern-inspector');

    // A past reply: the prompt it was made from (the history before it). The list renders only the messages in view,
    // and with the inspector open they are a few: go to the start of the conversation first. The messages keep a
    // share of the window however tall the panels above them are (they once got none, and nothing could be reached).
    const log = page.getByRole('log', { name: 'Messages' });
    expect((await log.boundingBox())!.height).toBeGreaterThan(150);
    await log.focus();
    await page.keyboard.press('Home');
    await page.getByRole('button', { name: 'Prompt (message 3)' }).click();
    await panel.getByRole('heading', { name: 'What this reply was made from' }).waitFor();
    const third = (await api<{ messages: { id: string }[] }>('conversation.get', { id: entry!.id })).messages[2]!.id;
    const pastPrompt = await api<{ messages: unknown[] }>('chat.prompt', { conversationId: entry!.id, messageId: third });
    await expect.poll(() => panel.locator('.inspector-parts summary').count()).toBe(pastPrompt.messages.length);
    expect(pastPrompt.messages.length).toBeLessThan(p.messages.length);
    await page.getByRole('button', { name: 'Prompt', exact: true }).click();
    await panel.getByRole('heading', { name: 'What the next reply sends' }).waitFor();

    // Sent: the request held what the panel showed (its messages, counted to the same total).
    ai.script({ text: 'Rest now.' });
    await api('chat.impersonate', { conversationId: entry!.id, characterId: (await api<{ characterIds: string[] }>('conversation.get', { id: entry!.id })).characterIds[0] });
    await expect.poll(() => ai.chatRequests().length).toBeGreaterThan(1);
    const sent = (ai.chatRequests().at(-1)!.body as { messages: unknown[] }).messages;
    expect(sent).toHaveLength(p.messages.length);
  });

  it('the Presets screen: create, edit, duplicate, delete, import a SillyTavern preset', async () => {
    const { page } = browser;
    await navTo(page, 'Presets');
    await page.getByRole('heading', { name: 'Presets' }).waitFor();
    await page.getByText('Creative', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Duplicate Creative' }).click();
    const form = page.getByRole('form', { name: 'New preset' });
    await expect(form.getByLabel('Name').inputValue()).resolves.toBe('Creative 2');
    await expect(form.getByLabel('Temperature').inputValue()).resolves.toBe('1.1');
    await form.getByLabel('Temperature').fill('0.6');
    await form.getByLabel('Stop strings').fill('###\n\\nYou:');
    await form.getByRole('button', { name: 'Save preset' }).click();
    await expect.poll(async () => (await api<{ name: string; sampling: Record<string, unknown> }[]>('preset.list', {})).find((x) => x.name === 'Creative 2')?.sampling).toEqual({
      temperature: 0.6, top_p: 0.95, frequency_penalty: 0.2, presence_penalty: 0.1, seed: 42, max_tokens: 400, stop: ['###', '\nYou:'],
    });
    // Edit: a field emptied is no longer sent.
    await page.getByRole('button', { name: 'Edit Creative 2' }).click();
    const edit = page.getByRole('form', { name: 'Edit Creative 2' });
    await edit.getByLabel('Seed').fill('');
    await edit.getByLabel('Top K').fill('1.5');
    await edit.getByRole('button', { name: 'Save preset' }).click();
    await page.getByText('Top K must be a whole number.').waitFor();
    await edit.getByLabel('Top K').fill('30');
    await edit.getByRole('button', { name: 'Save preset' }).click();
    await expect.poll(async () => (await api<{ name: string; sampling: Record<string, unknown> }[]>('preset.list', {})).find((x) => x.name === 'Creative 2')?.sampling).toMatchObject({ top_k: 30 });
    expect((await api<{ name: string; sampling: Record<string, unknown> }[]>('preset.list', {})).find((x) => x.name === 'Creative 2')!.sampling['seed']).toBeUndefined();
    await screenshot(page, 'presets-screen');
    // Import a SillyTavern Text Completion preset with keys Mindstage does not use: those are left out.
    const file = join(tempDir('st-preset'), 'Warm.json');
    writeFileSync(file, JSON.stringify({ temp: 0.9, rep_pen: 1.15, top_k: 0, mirostat_mode: 2, sampler_order: [6, 0, 1], dry_multiplier: 0.8 }));
    await page.getByTestId('preset-import').setInputFiles(file);
    await page.getByRole('button', { name: 'Edit Warm' }).waitFor();
    expect((await api<{ name: string; sampling: Record<string, unknown> }[]>('preset.list', {})).find((x) => x.name === 'Warm')!.sampling).toEqual({ temperature: 0.9, repetition_penalty: 1.15 });
    // Delete, after confirming.
    await page.getByRole('button', { name: 'Delete Creative 2' }).click();
    await answerDialog(page, 'confirm');
    await expect.poll(async () => (await api<{ name: string }[]>('preset.list', {})).map((x) => x.name)).toEqual(['Creative', 'Precise', 'Warm']);
    // The provider's default preset, chosen in its editor.
    await navTo(page, 'Providers');
    await page.getByRole('button', { name: 'Edit Fake' }).click();
    await page.getByLabel('Default preset').selectOption('Warm');
    // Text completion with the instruct template imported from the SillyTavern folder.
    await page.getByLabel('Prompt format').selectOption('text');
    await page.getByLabel('Instruct template').selectOption('Llama 3 Roleplay');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(async () => (await api<{ name: string; preset?: string; completion: string; instruct?: string }[]>('provider.list', {}))[0]).toMatchObject({ preset: 'Warm', completion: 'text', instruct: 'Llama 3 Roleplay' });
    await navTo(page, 'Conversations');
    await page.getByRole('button', { name: `Open ${soloTitle}` }).click();
    const prompt = page.getByRole('button', { name: 'Prompt', exact: true });
    if ((await prompt.getAttribute('aria-expanded')) !== 'true') await prompt.click();
    const panel = page.getByRole('region', { name: 'Prompt inspector' });
    await panel.getByText('Sent as one prompt in the Llama 3 Roleplay format', { exact: false }).waitFor();
    await expect(panel.locator('.inspector-parts summary').first().textContent()).resolves.toContain('System prompt');
    await expect(panel.locator('.inspector-parts summary').last().textContent()).resolves.toContain('Start of the reply');
    await screenshot(page, 'sillytavern-inspector-text-completion');
    await page.getByRole('button', { name: '← Library' }).click();
  });

  it('screenshots at 390×844 and 1280×800 in light and dark: the chat with the inspector open, and the Presets screen', async () => {
    const { page } = browser;
    const problems: string[] = [];
    for (const size of [{ width: 390, height: 844 }, { width: 1280, height: 800 }]) {
      await page.setViewportSize(size);
      for (const theme of ['light', 'dark'] as const) {
        await navTo(page, 'Settings');
        await page.getByLabel('Theme').selectOption(theme);
        await expect.poll(() => page.evaluate(() => document.documentElement.dataset['theme'])).toBe(theme);
        const tag = `${size.width}x${size.height}-${theme}`;
        await navTo(page, 'Conversations');
        await page.getByRole('button', { name: `Open ${soloTitle}` }).click();
        await page.locator('article.msg').first().waitFor();
        const prompt = page.getByRole('button', { name: 'Prompt', exact: true });
        if ((await prompt.getAttribute('aria-expanded')) !== 'true') await prompt.click();
        await page.getByRole('region', { name: 'Prompt inspector' }).locator('.inspector-parts summary').first().waitFor();
        await page.mouse.move(0, 0);
        await screenshot(page, `sillytavern-inspector-${tag}`);
        problems.push(...(await layoutProblems(page)).map((x) => `${tag} chat: ${x}`));
        await page.getByRole('button', { name: '← Library' }).click();
        await navTo(page, 'Presets');
        await page.getByRole('button', { name: 'Edit Warm' }).click();
        await screenshot(page, `presets-${tag}`);
        problems.push(...(await layoutProblems(page)).map((x) => `${tag} presets: ${x}`));
        await page.getByRole('button', { name: 'Cancel' }).click();
      }
    }
    expect(problems).toEqual([]);
  });
});
