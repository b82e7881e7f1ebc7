/**
 * Public sharing in the UI, two people on two vaults and one real relay: the author publishes a character from its
 * page (the dialog says what becomes public before anything is sent) and later unpublishes it; the reader browses
 * and searches the gallery with portraits, each entry saying whether it is a character or a scenario, sees 18+ only
 * after turning the age gate on, and imports a card.
 * Screenshots at 1280×800 and 390×844, light and dark.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';
import { chromiumMissing, launchBrowser, screenshot, type Browser } from './support/browser.node.ts';
import { startBrowserMode, type BrowserMode } from './support/app.node.ts';
import { answerDialog, navTo, onboard, openApp } from './support/flows.node.ts';

const skip = chromiumMissing();
const portrait = readFileSync(join(import.meta.dirname, '../../../shared/fixtures/cards/v2-pure-melina.png')).toString('base64');

async function invoke<T>(app: BrowserMode, command: string, input: unknown): Promise<T> {
  const r = await (app.core.invoke as (c: string, i: unknown) => Promise<{ ok: true; value: T } | { ok: false; error: { message: string } }>)(command, input);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

async function setTheme(page: Page, theme: 'light' | 'dark') {
  await navTo(page, 'Settings');
  await page.getByLabel('Theme').selectOption(theme);
  await expect.poll(() => page.evaluate(() => document.documentElement.dataset['theme'])).toBe(theme);
}

async function searchGallery(page: Page, relay: string, text = '') {
  await navTo(page, 'Public gallery');
  await page.getByLabel('Relay address').fill(relay);
  await page.getByLabel('Search the gallery').fill(text);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
}

describe.skipIf(skip !== null)(`public gallery in browser mode${skip ? ` (${skip})` : ''}`, () => {
  let relay: TestRelay;
  let author: BrowserMode;
  let reader: BrowserMode;
  let a: Browser;
  let r: Browser;
  let keeper = '';

  beforeAll(async () => {
    relay = await startTestRelay();
    author = await startBrowserMode();
    reader = await startBrowserMode();
    a = await launchBrowser({ width: 1280, height: 800, colorScheme: 'light' });
    r = await launchBrowser({ width: 390, height: 844, colorScheme: 'dark' });
    await openApp(a.page, author.url);
    await onboard(a.page);
    await openApp(r.page, reader.url);
    await onboard(r.page);
    keeper = (await invoke<{ id: string }>(author, 'character.create', { name: 'Lantern Keeper', creator: 'Ada', description: 'Keeps the harbour light burning through every storm.', tags: ['harbour', 'gentle'] })).id;
    await invoke(author, 'assets.setAvatar', { recordId: keeper, kind: 'character', mime: 'image/png', bytesBase64: portrait });
    const umbra = (await invoke<{ id: string }>(author, 'character.create', { name: 'Umbra', description: 'Stories for late at night.' })).id;
    await invoke(author, 'gallery.publish', { recordId: umbra, mature: true, relayUrl: relay.url });
    const ferry = (await invoke<{ id: string }>(author, 'scenario.create', { title: 'Night Ferry', setting: 'A crossing in thick fog, lamps swinging.' })).id;
    await invoke(author, 'gallery.publish', { recordId: ferry, relayUrl: relay.url });
  });
  afterAll(async () => {
    await a?.close();
    await r?.close();
    await author?.close();
    await reader?.close();
    await relay?.close();
  });

  it('publishes from the character page only after saying what becomes public', async () => {
    const { page } = a;
    await page.reload();
    await page.getByRole('button', { name: 'Open Lantern Keeper' }).click();
    const panel = page.getByRole('region', { name: 'Public gallery' });
    await panel.getByLabel('Relay address').fill(relay.url);
    await panel.getByRole('button', { name: 'Publish…' }).click();
    await page.getByRole('dialog').waitFor();
    await screenshot(page, 'gallery-publish-confirm-1280-light');
    // Cancelling sends nothing.
    expect(await answerDialog(page, 'cancel')).toMatch(/Anyone can read, download and copy it/);
    const listed = async () => (await invoke<{ items: { name: string }[] }>(reader, 'gallery.list', { relayUrl: relay.url })).items.map((e) => e.name);
    expect(await listed()).toEqual(['Night Ferry']);
    await panel.getByRole('button', { name: 'Publish…' }).click();
    const said = await answerDialog(page, 'confirm');
    expect(said).toMatch(/Publishing makes “Lantern Keeper” \(every field of the character card, its portrait and its lorebook\) public on 127\.0\.0\.1:\d+, unencrypted/);
    expect(said).toMatch(/Unpublishing removes it from that relay at once, but not copies others have already made/);
    await panel.getByText(/Published on 127\.0\.0\.1:\d+ since/).waitFor();
    await screenshot(page, 'gallery-published-1280-light');
  });

  it('browses and searches with portraits, hides 18+ until the age gate is on, and imports', async () => {
    const { page } = r;
    await searchGallery(page, relay.url);
    const grid = page.getByRole('list', { name: 'Gallery entries' });
    await grid.getByRole('heading', { name: 'Lantern Keeper' }).waitFor();
    // Every card has an image (a scenario's is the card's generated placeholder).
    await expect.poll(() => grid.locator('img[src^="blob:"]').count()).toBe(2);
    expect(await grid.getByRole('img', { name: 'Portrait of Lantern Keeper' }).evaluate((i) => (i as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    // Each entry says in words what importing it makes.
    const entry = (name: string) => grid.getByRole('listitem').filter({ has: page.getByRole('heading', { name, level: 2 }) });
    await entry('Lantern Keeper').getByText('Character · by Ada', { exact: true }).waitFor();
    await entry('Night Ferry').getByText('Scenario', { exact: true }).waitFor();
    expect(await grid.getByRole('heading', { name: /Umbra/ }).count()).toBe(0);
    await page.getByText(/18\+ entries are hidden/).waitFor();
    await screenshot(page, 'gallery-browse-390-dark');

    await navTo(page, 'Settings');
    await page.getByLabel('I am 18 or older: show gallery entries marked 18+').check();
    await searchGallery(page, relay.url);
    await grid.getByRole('heading', { name: /Umbra/ }).waitFor();
    await grid.getByText('18+', { exact: true }).waitFor();
    await entry('Umbra').getByText('Character', { exact: true }).waitFor();
    await screenshot(page, 'gallery-browse-mature-390-dark');
    await searchGallery(page, relay.url, 'harbour');
    await expect.poll(() => grid.getByRole('heading').allInnerTexts()).toEqual(['Lantern Keeper']);

    await page.setViewportSize({ width: 1280, height: 800 });
    await screenshot(page, 'gallery-search-1280-dark');
    await setTheme(page, 'light');
    await searchGallery(page, relay.url);
    await expect.poll(() => grid.locator('img[src^="blob:"]').count()).toBeGreaterThan(0);
    await screenshot(page, 'gallery-browse-1280-light');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'gallery-browse-390-light');

    await grid.getByRole('button', { name: 'Import Lantern Keeper' }).click();
    await page.getByRole('heading', { name: 'Lantern Keeper', level: 2 }).waitFor();
    const imported = await invoke<{ id: string; title: string }[]>(reader, 'records.list', { kind: 'character' });
    expect(imported.map((e) => e.title)).toEqual(['Lantern Keeper']);
    const copy = await invoke<{ description: string; avatar_asset?: string }>(reader, 'character.get', { id: imported[0]!.id });
    expect(copy.description).toBe('Keeps the harbour light burning through every storm.');
    expect(copy.avatar_asset).toBeDefined();
    await screenshot(page, 'gallery-imported-390-light');
  });

  it('unpublishes from the character page: gone from the gallery at once', async () => {
    const { page } = a;
    const panel = page.getByRole('region', { name: 'Public gallery' });
    await panel.getByRole('button', { name: 'Unpublish' }).click();
    expect(await answerDialog(page, 'confirm')).toMatch(/Copies others have already made stay theirs/);
    await panel.getByRole('button', { name: 'Publish…' }).waitFor();
    await setTheme(page, 'dark');
    await navTo(page, 'Characters');
    await page.getByRole('button', { name: 'Open Lantern Keeper' }).click();
    await page.getByRole('region', { name: 'Public gallery' }).getByRole('button', { name: 'Publish…' }).waitFor();
    await screenshot(page, 'gallery-unpublished-1280-dark');
    const names = (await invoke<{ items: { name: string }[] }>(reader, 'gallery.list', { relayUrl: relay.url })).items.map((e) => e.name);
    expect(names).not.toContain('Lantern Keeper');
    await searchGallery(r.page, relay.url);
    await r.page.getByRole('list', { name: 'Gallery entries' }).getByRole('heading', { name: /Umbra/ }).waitFor();
    expect(await r.page.getByRole('heading', { name: 'Lantern Keeper', level: 2 }).count()).toBe(0);
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'gallery-unpublished-390-dark');
    expect([...a.remoteRequests, ...r.remoteRequests]).toEqual([]);
    expect([...a.pageErrors, ...r.pageErrors]).toEqual([]);
  });
});
