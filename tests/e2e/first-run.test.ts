/**
 * A first-time user, scripted: from the very first launch to a reply streaming in from a character card they
 * imported — every step a click, a typed value or a file chosen in the app, none in a terminal. Each step is
 * counted; the budget (20 steps) is what keeps it "under two minutes of clicking" at a few seconds a step. Durations
 * are not asserted (this machine is shared); the number of steps is, and it cannot drift up unnoticed.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { chromiumMissing, launchBrowser, screenshot, type Browser } from './support/browser.node.ts';
import { startBrowserMode, type BrowserMode } from './support/app.node.ts';
import { forbiddenWords } from './support/audit.node.ts';
import { openApp, PASSPHRASE } from './support/flows.node.ts';

const skip = chromiumMissing();
const fixtures = join(import.meta.dirname, '../../../shared/fixtures/cards');
const STEP_BUDGET = 20;

describe.skipIf(skip !== null)(`first run, scripted${skip ? ` (${skip})` : ''}`, () => {
  let app: BrowserMode;
  let ai: FakeOpenAI;
  let browser: Browser;

  beforeAll(async () => {
    ai = await startFakeOpenAI({ model: 'story-model' });
    app = await startBrowserMode();
    browser = await launchBrowser({ width: 1280, height: 800 });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await ai?.close();
  });

  it(`first launch to a streamed reply from an imported card in at most ${STEP_BUDGET} steps, none in a terminal`, async () => {
    const { page } = browser;
    const steps: string[] = [];
    const wordsSeen: string[] = [];
    /** One thing the person does; what the screen says before it is checked for terminal commands. */
    const step = async (what: string, act: () => Promise<unknown>) => {
      wordsSeen.push(...(await forbiddenWords(page)).map((w) => `before "${what}": ${w}`));
      steps.push(what);
      await act();
    };

    // The one thing a person does outside the app: open it (here, the address browser mode printed).
    await openApp(page, app.printed);
    await page.getByLabel('Your date of birth').waitFor();

    await step('type the date of birth', () => page.getByLabel('Your date of birth').fill('1990-04-12'));
    await step('continue', () => page.getByRole('button', { name: 'Continue' }).click());
    await step('type a passphrase', () => page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE));
    await step('type it again', () => page.getByLabel('Confirm passphrase').fill(PASSPHRASE));
    await page.getByText(/Strong|Very strong/).waitFor();
    await step('create the vault', () => page.getByRole('button', { name: 'Create vault' }).click());
    await page.getByLabel('Recovery key', { exact: true }).waitFor();
    await step('say the recovery key is saved', () => page.getByLabel('I have saved my recovery key somewhere safe').check());
    await step('continue', () => page.getByRole('button', { name: 'Continue' }).click());
    await page.getByRole('tab', { name: /Characters/ }).waitFor();

    const chooser = page.waitForEvent('filechooser');
    await step('import a card', () => page.getByRole('button', { name: 'Import card…' }).click());
    await step('choose the card file', async () => (await chooser).setFiles(join(fixtures, 'v2-hybrid-seraphina.png')));
    await page.getByRole('button', { name: 'Open Seraphina', exact: true }).waitFor();

    await step('open Providers', () => page.getByRole('button', { name: 'Providers', exact: true }).click());
    await step('add a custom provider', () => page.getByRole('button', { name: 'Custom…' }).click());
    await step('name it', () => page.getByLabel('Name').fill('My local model'));
    await step('type its address', () => page.getByLabel('Base URL').fill(ai.baseUrl));
    await step('type its model', () => page.getByLabel('Model', { exact: true }).fill('story-model'));
    await step('add it', () => page.getByRole('button', { name: 'Add provider' }).click());
    await page.getByRole('listitem').filter({ hasText: 'My local model' }).waitFor();

    await step('back to the characters', () => page.getByRole('button', { name: 'Characters', exact: true }).click());
    await step('chat with the character', () => page.getByRole('button', { name: 'Chat with Seraphina', exact: true }).click());
    const composer = page.getByLabel('Your message');
    await composer.waitFor();
    // Held after 'The forest is quiet' until the mid-stream check is done, so it never races the stream's end.
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    ai.script({ tokens: ['The ', 'forest ', 'is ', 'quiet ', 'tonight, ', 'traveller. ', 'Rest ', 'here.'], tokenDelayMs: 200, stallAfterTokens: 4, stallUntil: held });
    await step('type a message', () => composer.fill('Where am I?'));
    await step('send it', () => composer.press('Enter'));

    // The reply streams in: part of it on screen while it is still being written, then all of it.
    const reply = page.locator('article.msg-character').last();
    await reply.getByText('The forest is quiet').waitFor();
    await expect(reply.getByText('writing…').isVisible()).resolves.toBe(true);
    release();
    await reply.getByText('The forest is quiet tonight, traveller. Rest here.').waitFor();
    await expect.poll(() => reply.getByText('writing…').count()).toBe(0);
    await screenshot(page, 'first-run-reply');

    expect(steps.length, steps.join(' → ')).toBeLessThanOrEqual(STEP_BUDGET);
    expect(wordsSeen).toEqual([]);
    expect(ai.requests.filter((r) => r.path.endsWith('/chat/completions'))).toHaveLength(1);
    expect(browser.pageErrors).toEqual([]);
  });
});
