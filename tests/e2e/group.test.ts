/**
 * Group chats in Chromium against browser mode and the fake provider: participants and who speaks next in the
 * header; natural order answers by mention and talkativeness; list order with auto mode lets the characters answer
 * each other round after round until Stop; mute, add and remove members mid-chat. Screenshots of auto mode at
 * desktop and phone widths.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { chromiumMissing, launchBrowser, screenshot, type Browser } from './support/browser.node.ts';
import { startBrowserMode, type BrowserMode } from './support/app.node.ts';
import { navTo, onboard, openApp } from './support/flows.node.ts';

const skip = chromiumMissing();

describe.skipIf(skip !== null)(`group chats${skip ? ` (${skip})` : ''}`, () => {
  let app: BrowserMode;
  let browser: Browser;
  let ai: FakeOpenAI;
  const ids: Record<string, string> = {};
  let conversation = '';
  const ok = <T,>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };
  const stored = async () => ok(await app.core.invoke('conversation.get', { id: conversation }));
  const authors = async () => (await stored()).messages.filter((m) => m.role === 'character').map((m) => Object.entries(ids).find(([, id]) => id === m.authorId)?.[0]);
  const send = async (page: Page, text: string) => {
    await page.getByLabel('Your message').fill(text);
    await page.getByLabel('Your message').press('Enter');
  };
  const bar = (page: Page) => page.getByRole('region', { name: 'Participants' });

  beforeAll(async () => {
    ai = await startFakeOpenAI({ model: 'fake-model' });
    app = await startBrowserMode();
    browser = await launchBrowser();
    await openApp(browser.page, app.url);
    await onboard(browser.page);
    ok(await app.core.invoke('provider.add', { name: 'Fake', baseUrl: ai.baseUrl, model: 'fake-model' }));
    // Nobody volunteers (talkativeness 0): in natural order only those named answer.
    for (const name of ['Ada', 'Bram', 'Cora', 'Dara']) ids[name] = ok(await app.core.invoke('character.create', { name, extensions: { talkativeness: '0' } })).id;
    conversation = ok(await app.core.invoke('conversation.create', { title: 'Council', characterIds: [ids['Ada']!, ids['Bram']!, ids['Cora']!] })).id;
    await navTo(browser.page, 'Conversations');
    await browser.page.getByRole('button', { name: /^Open Council/ }).first().click();
    await bar(browser.page).waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await ai?.close();
  });

  it('shows the participants and, in natural order, lets only the named answer', async () => {
    const { page } = browser;
    await expect(bar(page).getByRole('list', { name: 'In this chat' }).getByRole('listitem').allInnerTexts()).resolves.toEqual([expect.stringContaining('Ada'), expect.stringContaining('Bram'), expect.stringContaining('Cora')]);
    await bar(page).getByText('whoever you name, else by talkativeness').waitFor();
    ai.setDefault({ text: 'Noted.' });
    await send(page, 'Cora, then Ada: your view?');
    await expect.poll(authors).toEqual(['Cora', 'Ada']);
    await page.waitForTimeout(500);
    expect(await authors()).toEqual(['Cora', 'Ada']);
  });

  it('auto mode: the characters answer each other, round after round, until Stop', async () => {
    const { page } = browser;
    await bar(page).getByLabel('Turns').selectOption('list');
    await bar(page).getByLabel('Auto mode', { exact: true }).check();
    await bar(page).getByLabel('Rounds in auto mode').fill('5');
    await expect.poll(async () => (await stored()).group).toEqual({ order: 'list', muted: [], auto: true, autoTurns: 5 });
    // The first round and one reply more stream freely; the reply after them is held mid-stream until Stop, so Stop
    // always lands while auto mode has rounds to go, however long the screenshots take on a busy machine.
    const tokens = Array.from({ length: 12 }, (_, i) => `word${i} `);
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    ai.script(...Array.from({ length: 4 }, () => ({ tokens, tokenDelayMs: 60 })));
    ai.setDefault({ tokens, tokenDelayMs: 60, stallAfterTokens: 2, stallUntil: held });
    const before = (await authors()).length;
    await send(page, 'Discuss the harbour among yourselves.');
    await bar(page).getByText(/Auto mode · now:/).waitFor();
    // The composer is free again once the message is stored, while the characters go on.
    await expect.poll(() => page.getByLabel('Your message').inputValue()).toBe('');
    // The first round (everyone, in list order) and then auto rounds.
    await expect.poll(async () => (await authors()).length, { timeout: 60_000 }).toBeGreaterThanOrEqual(before + 4);
    await screenshot(page, 'group-auto-mode-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'group-auto-mode-390');
    await page.setViewportSize({ width: 1280, height: 800 });
    await bar(page).getByRole('button', { name: 'Stop auto mode' }).click();
    release(); // Stop has ended the held reply; from here on nothing is held
    await bar(page).getByRole('button', { name: 'Stop auto mode' }).waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Send' }).waitFor();
    const stoppedAt = (await authors()).length;
    await page.waitForTimeout(1500);
    expect((await authors()).length).toBe(stoppedAt);
    expect(stoppedAt).toBeLessThan(before + 3 + 5 * 3);
    const spoken = (await authors()).slice(before);
    expect(spoken.slice(0, 3)).toEqual(['Ada', 'Bram', 'Cora']);
  });

  it('mutes, adds and removes members mid-chat', async () => {
    const { page } = browser;
    await bar(page).getByLabel('Auto mode', { exact: true }).uncheck();
    await bar(page).getByRole('button', { name: 'Mute Bram' }).click();
    await expect.poll(async () => (await stored()).group?.muted).toEqual([ids['Bram']]);
    await expect(bar(page).getByRole('button', { name: 'Mute Bram' }).getAttribute('aria-pressed')).resolves.toBe('true');
    await bar(page).getByLabel('Add a character').selectOption({ label: 'Dara' });
    await bar(page).getByRole('button', { name: 'Add', exact: true }).click();
    await expect.poll(async () => (await stored()).characterIds).toEqual([ids['Ada'], ids['Bram'], ids['Cora'], ids['Dara']]);
    await bar(page).getByRole('button', { name: 'Remove Ada from this chat' }).click();
    await expect.poll(async () => (await stored()).characterIds).toEqual([ids['Bram'], ids['Cora'], ids['Dara']]);
    await bar(page).getByText('Cora, then Dara').waitFor();
    ai.setDefault({ text: 'Here.' });
    const before = (await authors()).length;
    await send(page, 'Roll call.');
    await expect.poll(async () => (await authors()).slice(before)).toEqual(['Cora', 'Dara']);
    await page.waitForTimeout(500);
    expect((await authors()).slice(before)).toEqual(['Cora', 'Dara']);
    expect(browser.pageErrors).toEqual([]);
  });
});
