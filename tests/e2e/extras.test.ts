/**
 * The rest of the core reached from the window, in Chromium against browser mode with the OpenAI-wire-format test
 * server as the provider: "Generate portrait" in the character editor (explained while impossible, errors shown,
 * the picture stored as the avatar), editing a provider (model, API key set and deleted), and "Let <name> speak"
 * in a group chat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callFor, type Call } from '../../electron/core/cli/context.node.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { chromiumMissing, launchBrowser, screenshot, type Browser } from './support/browser.node.ts';
import { startBrowserMode, type BrowserMode } from './support/app.node.ts';
import { onboard, openApp } from './support/flows.node.ts';
import { layoutProblems } from './support/layout.node.ts';

const skip = chromiumMissing();

describe.skipIf(skip !== null)(`portrait, provider edit and group chat turns${skip ? ` (${skip})` : ''}`, () => {
  let app: BrowserMode;
  let api: Call;
  let browser: Browser;
  let ai: FakeOpenAI;
  let ada = '';
  let brannock = '';

  beforeAll(async () => {
    ai = await startFakeOpenAI({ model: 'fake-model' });
    app = await startBrowserMode();
    api = callFor(app.core);
    browser = await launchBrowser();
    await openApp(browser.page, app.url);
    await onboard(browser.page);
    ada = (await api('character.create', { name: 'Ada', description: 'A bookkeeper with ink-stained fingers.', first_mes: 'Good evening.' })).id;
    brannock = (await api('character.create', { name: 'Brannock', description: 'The bell-ringer.' })).id;
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await ai?.close();
  });

  it('"Generate portrait" says why it cannot run without a provider, shows a provider error, then stores the portrait', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Personas', exact: true }).click();
    await page.getByRole('button', { name: 'Characters', exact: true }).click();
    await page.getByRole('button', { name: 'Open Ada' }).click();
    const generate = page.getByRole('button', { name: 'Generate portrait' });
    await generate.waitFor();
    await expect.poll(() => generate.isDisabled()).toBe(true);
    await page.getByText('Add an AI provider first').waitFor();
    await page.getByRole('button', { name: '← Library' }).click();

    await api('provider.add', { name: 'Fake', baseUrl: ai.baseUrl, model: 'fake-model' });
    await page.getByRole('button', { name: 'Open Ada' }).click();
    await expect.poll(() => generate.isDisabled()).toBe(false);
    expect(await layoutProblems(page)).toEqual([]);

    ai.scriptImages({ error: { status: 500 } });
    await generate.click();
    const failure = page.getByRole('alert').filter({ hasText: /500|server/i });
    await failure.waitFor();
    expect((await api('character.get', { id: ada })).avatar_asset).toBeUndefined();

    ai.scriptImages({});
    await page.getByLabel('What the portrait should show (optional)').fill('ink-stained fingers, lamplight');
    await generate.click();
    await page.getByRole('status').filter({ hasText: 'New portrait saved as the picture.' }).waitFor();
    await expect.poll(async () => (await api('character.get', { id: ada })).avatar_asset).toMatch(/^[0-9a-f]{32}$/);
    await expect.poll(() => page.locator('.avatar-picker .avatar img[src^="blob:"]').count()).toBe(1);
    const imageRequest = ai.requests.filter((r) => r.path.includes('images')).at(-1)!;
    expect(JSON.stringify(imageRequest.body)).toContain('ink-stained fingers, lamplight');
    await page.mouse.move(0, 0);
    await screenshot(page, 'character-portrait');
    expect(await layoutProblems(page)).toEqual([]);
    await page.getByRole('button', { name: '← Library' }).click();
  });

  it('edits a provider: model and API key changed, then the key deleted', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Providers', exact: true }).click();
    await page.getByRole('button', { name: 'Edit Fake' }).click();
    const form = page.getByRole('form', { name: 'Edit Fake' });
    await expect(form.getByLabel('Model').inputValue()).resolves.toBe('fake-model');
    await form.getByLabel('Model').fill('fake-model-2');
    await form.getByLabel('API key').fill('sk-edited-key-123');
    await screenshot(page, 'provider-edit');
    expect(await layoutProblems(page)).toEqual([]);
    await form.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('fake-model-2 ·', { exact: false }).waitFor();
    expect((await api('provider.list', {}))[0]).toMatchObject({ name: 'Fake', model: 'fake-model-2', hasApiKey: true, baseUrl: ai.baseUrl });
    await expect(page.getByText('sk-edited-key-123').count()).resolves.toBe(0);

    await page.getByRole('button', { name: 'Edit Fake' }).click();
    await form.getByLabel('Delete the saved API key').check();
    await form.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(async () => (await api('provider.list', {}))[0]!.hasApiKey).toBe(false);
    // Back to the model the test server answers for.
    await page.getByRole('button', { name: 'Edit Fake' }).click();
    await form.getByLabel('Model').fill('fake-model');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(async () => (await api('provider.list', {}))[0]!.model).toBe('fake-model');
  });

  it('in a group chat, "Let <name> speak" asks that character for the next message', async () => {
    const { page } = browser;
    const conv = await api('conversation.create', { title: 'The belfry', characterIds: [ada, brannock] });
    const solo = await api('conversation.create', { title: 'Just Ada', characterIds: [ada] });
    await page.getByRole('button', { name: 'Conversations', exact: true }).click();
    await page.getByRole('button', { name: 'Open Just Ada' }).click();
    await page.getByLabel('Your message').waitFor();
    await expect(page.getByRole('group', { name: 'Who speaks next' }).count()).resolves.toBe(0);
    await page.getByRole('button', { name: '← Library' }).click();
    expect(solo.id).toBeTruthy();

    await page.getByRole('button', { name: 'Open The belfry' }).click();
    const group = page.getByRole('group', { name: 'Who speaks next' });
    await group.waitFor();
    await group.getByRole('button', { name: 'Let Ada speak' }).waitFor();
    ai.script({ text: 'The bell tolls twice. Brannock wipes his hands.' });
    await group.getByRole('button', { name: 'Let Brannock speak' }).click();
    await page.locator('article.msg').last().getByText('The bell tolls twice.').waitFor();
    await page.getByRole('button', { name: 'Send' }).waitFor();
    const c = await api('conversation.get', { id: conv.id });
    const last = c.messages.at(-1)!;
    expect(last.role).toBe('character');
    expect(last.authorId).toBe(brannock);
    expect(c.messages.filter((m) => m.role === 'user')).toHaveLength(0);
    await page.mouse.move(0, 0);
    await screenshot(page, 'group-chat-speak');
    expect(await layoutProblems(page)).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
    expect(browser.remoteRequests).toEqual([]);
  });
});
