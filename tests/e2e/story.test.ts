/**
 * The app a role-player lives in (issue 12), in Chromium against browser mode with a real relay and the fake
 * provider: the library as a grid of portraits (tags, creator, a line of description; filter, sort, favourites),
 * a character's page with their chats and "Continue last chat", search that leads to the very words, undo for
 * deletes, the chat's story settings (style, size, width, accent, each character's colour, reading aloud), and
 * sync that runs by itself, says how it is doing in a corner, and gives a removed device one clear way on.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { callFor, type Call } from '../../electron/core/cli/context.node.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';
import { tempDir } from '../support/files.node.ts';
import { pairedDevice, type CoreDevice } from '../sync/core-support.node.ts';
import { chromiumMissing, launchBrowser, screenshot, type Browser } from './support/browser.node.ts';
import { startBrowserMode, type BrowserMode } from './support/app.node.ts';
import { answerDialog, navTo, onboard, openApp } from './support/flows.node.ts';
import { axeViolations, forbiddenWords, sameNames } from './support/audit.node.ts';
import { layoutProblems } from './support/layout.node.ts';

const skip = chromiumMissing();
const fixtures = join(import.meta.dirname, '../../../shared/fixtures/cards');

/**
 * Chromium here has no speech voices (no speech service on the machine), so the system's speech API is replaced
 * before the page loads by one that lists a local and a network voice and records what it is asked to say.
 */
const speechStandIn = () => {
  const w = window as unknown as Record<string, unknown>;
  const voices = [
    { name: 'Local Alice', lang: 'en-GB', localService: true, default: true, voiceURI: 'alice' },
    { name: 'Local Bram', lang: 'nl-NL', localService: true, default: false, voiceURI: 'bram' },
    { name: 'Cloud Carol', lang: 'en-US', localService: false, default: false, voiceURI: 'carol' },
  ];
  const spoken: { text: string; voice: string | null }[] = [];
  w['__spoken'] = spoken;
  class Utterance {
    text: string;
    voice: { name: string } | null = null;
    lang = '';
    onend: (() => void) | null = null;
    onerror: (() => void) | null = null;
    constructor(text: string) {
      this.text = text;
    }
  }
  w['SpeechSynthesisUtterance'] = Utterance;
  const synth = {
    getVoices: () => voices,
    speak: (u: Utterance) => {
      spoken.push({ text: u.text, voice: u.voice?.name ?? null });
      setTimeout(() => u.onend?.(), 50);
    },
    cancel: () => undefined,
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
  };
  Object.defineProperty(window, 'speechSynthesis', { value: synth, configurable: true });
};

describe.skipIf(skip !== null)(`a place for stories${skip ? ` (${skip})` : ''}`, () => {
  let relay: TestRelay;
  let relayDir: string;
  let app: BrowserMode;
  let call: Call;
  let browser: Browser;
  let page: Page;
  const ids: Record<string, string> = {};
  const cores: CoreDevice[] = [];

  beforeAll(async () => {
    relayDir = tempDir('e2e-story-relay');
    relay = await startTestRelay({ dataDir: relayDir });
    app = await startBrowserMode();
    call = callFor(app.core);
    browser = await launchBrowser({ width: 1280, height: 800 });
    await browser.context.addInitScript(speechStandIn);
    page = browser.page;
    await openApp(page, app.url);
    await onboard(page);
    const card = await call('cards.import', { fileName: 'seraphina.png', bytesBase64: readFileSync(join(fixtures, 'v2-hybrid-seraphina.png')).toString('base64') });
    ids['seraphina'] = card.id;
    ids['ada'] = (await call('character.create', { name: 'Ada', creator: 'Quill', tags: ['mystery', 'sea'], description: '\n  Keeps the harbour ledger by lamplight.\nSecond line, not shown.' })).id;
    ids['brannock'] = (await call('character.create', { name: 'Brannock', creator: 'Moss', tags: ['sea'], description: 'Rings the bell at the end of the pier.' })).id;
    ids['cole'] = (await call('character.create', { name: 'Cole', tags: ['city'], description: 'A cab driver who hears everything.' })).id;
  });
  afterAll(async () => {
    await browser?.close();
    for (const c of cores) await c.core.close().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await relay?.close();
  });

  const cards = () => page.locator('.char-card');
  const cardNames = () => page.locator('.char-card .char-name').allTextContents();

  it('shows characters as a grid of portraits with name, creator, tags and a line of description; filters, sorts and keeps favourites', async () => {
    await navTo(page, 'Characters');
    await expect.poll(() => cards().count()).toBe(4);
    const ada = cards().filter({ has: page.getByRole('button', { name: 'Open Ada', exact: true }) });
    await ada.getByText('by Quill').waitFor();
    // The description's first line, not the blank line before it nor the one after.
    await expect(ada.locator('.char-line').textContent()).resolves.toBe('Keeps the harbour ledger by lamplight.');
    await expect(ada.getByRole('list', { name: 'Tags of Ada' }).getByRole('listitem').allTextContents()).resolves.toEqual(['mystery', 'sea']);
    // A portrait, not a thumbnail: the imported card's image fills the card's width.
    const portrait = cards().filter({ has: page.getByRole('button', { name: 'Open Seraphina', exact: true }) }).locator('.avatar-portrait img');
    await portrait.waitFor();
    const box = (await portrait.boundingBox())!;
    expect(box.width).toBeGreaterThan(150);
    await screenshot(page, 'story-library-grid');
    expect(await layoutProblems(page)).toEqual([]);
    expect(await sameNames(page)).toEqual([]);

    // Filter by tag: from the menu, or by pressing a tag on a card.
    await page.getByLabel('Tag', { exact: true }).selectOption('sea');
    // Most recently edited first (the default order).
    await expect.poll(cardNames).toEqual(['Brannock', 'Ada']);
    await page.getByLabel('Sort by').selectOption('name');
    await expect.poll(cardNames).toEqual(['Ada', 'Brannock']);
    await page.getByRole('button', { name: 'Show only city (tag of Cole)' }).waitFor({ state: 'detached' });
    await page.getByLabel('Tag', { exact: true }).selectOption('');
    await expect.poll(cardNames).toEqual(['Ada', 'Brannock', 'Cole', 'Seraphina']);
    await page.getByRole('button', { name: 'Show only city (tag of Cole)' }).click();
    await expect.poll(cardNames).toEqual(['Cole']);
    await page.getByRole('button', { name: 'Show only city (tag of Cole)' }).click();
    await expect.poll(cardNames).toEqual(['Ada', 'Brannock', 'Cole', 'Seraphina']);

    // Favourites come first, are kept in the vault (they sync), and can be shown alone.
    const fav = page.getByRole('button', { name: 'Favourite Cole' });
    await fav.click();
    await expect.poll(() => fav.getAttribute('aria-pressed')).toBe('true');
    await expect.poll(cardNames).toEqual(['Cole', 'Ada', 'Brannock', 'Seraphina']);
    await expect.poll(async () => (await call('settings.get', {})).favourites).toEqual([ids['cole']]);
    await page.getByLabel('Favourites only').check();
    await expect.poll(cardNames).toEqual(['Cole']);
    await page.getByLabel('Favourites only').uncheck();
    await page.getByLabel('Sort by').selectOption('edited');
  });

  it('a character’s page lists their chats, newest first, with a preview and a count, and "Continue last chat" opens the newest', async () => {
    const older = await call('conversation.create', { title: 'The first evening', characterIds: [ids['ada']!] });
    await call('conversation.addMessage', { id: older.id, role: 'user', text: 'Good evening.' });
    await new Promise((r) => setTimeout(r, 20));
    const newer = await call('conversation.create', { title: 'Fog on the quay', characterIds: [ids['ada']!] });
    for (let i = 1; i <= 3; i++) await call('conversation.addMessage', { id: newer.id, role: 'character', authorId: ids['ada'], text: `Line ${i} of the fog.` });
    // A scenario's conversation, and one with someone else, are not Ada's own chats.
    const scene = await call('scenario.create', { title: 'Harbour night', characterIds: [ids['ada']!] });
    await call('conversation.create', { title: 'A scene', characterIds: [ids['ada']!], scenarioId: scene.id });
    await call('conversation.create', { title: 'Cole’s cab', characterIds: [ids['cole']!] });
    ids['fog'] = newer.id;

    await navTo(page, 'Characters');
    await page.getByRole('button', { name: 'Open Ada', exact: true }).click();
    const chats = page.getByRole('list', { name: 'Chats with Ada' }).getByRole('listitem');
    await expect.poll(() => chats.count()).toBe(2);
    await expect(chats.nth(0).textContent()).resolves.toMatch(/^Fog on the quay3 messages · .*Line 3 of the fog\.$/);
    await expect(chats.nth(1).textContent()).resolves.toMatch(/^The first evening1 message · .*Good evening\.$/);
    await page.getByRole('heading', { name: 'Ada', level: 2 }).waitFor();
    await screenshot(page, 'story-character-page');
    expect(await layoutProblems(page)).toEqual([]);
    expect(await sameNames(page)).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
    // "Continue last chat" is the first thing offered, and the primary one.
    const cont = page.getByRole('button', { name: 'Continue last chat' });
    await expect(cont.getAttribute('class')).resolves.toContain('primary');
    await cont.click();
    await page.getByText('Line 3 of the fog.').waitFor();
    await expect(page.getByRole('heading', { name: 'Fog on the quay' }).count()).resolves.toBe(1);
  });

  it('search marks the words, opens the chat at the message and highlights them there', async () => {
    const long = await call('conversation.create', { title: 'A long watch', characterIds: [ids['brannock']!] });
    for (let i = 0; i < 260; i++) {
      const text = i === 12 ? 'The bell was cast from a drowned anchor, they say.' : `Wave ${i} rolls in under the pier.`;
      await call('conversation.addMessage', { id: long.id, role: i % 2 ? 'user' : 'character', authorId: i % 2 ? undefined : ids['brannock'], text });
    }
    await navTo(page, 'Characters');
    await page.getByLabel('Search everything').fill('drowned anchor');
    const hit = page.getByRole('button', { name: /A long watch/ });
    await hit.waitFor();
    await expect(hit.locator('mark').allTextContents()).resolves.toEqual(['drowned anchor']);
    await hit.click();
    // The message is far back in history (beyond the first window): paged in, scrolled to, marked, highlighted.
    const found = page.locator('.msg-found');
    await found.waitFor();
    await expect(found.textContent()).resolves.toContain('The bell was cast from a drowned anchor');
    await expect.poll(() => found.evaluate((el) => {
      const list = el.closest('.messages')!.getBoundingClientRect();
      const r = el.getBoundingClientRect();
      return r.top >= list.top && r.bottom <= list.bottom;
    })).toBe(true);
    await expect.poll(() => page.evaluate(() => {
      const h = (CSS as unknown as { highlights: Map<string, Set<Range>> }).highlights.get('search-match');
      return h ? [...h].map((r) => r.toString()) : [];
    })).toEqual(['drowned anchor']);
    await screenshot(page, 'story-search-found');
  });

  it('deleting a message or a character can be undone; without undo it is gone once the toast closes', async () => {
    await navTo(page, 'Conversations');
    await page.getByRole('button', { name: 'Open Fog on the quay' }).click();
    await page.getByText('Line 2 of the fog.').waitFor();
    const msg = page.locator('article.msg').filter({ hasText: 'Line 2 of the fog.' });
    await msg.getByRole('button', { name: /^Delete/ }).click();
    // No question first: it goes at once, with a way back.
    await expect(page.getByRole('dialog').count()).resolves.toBe(0);
    await expect.poll(() => page.getByText('Line 2 of the fog.').count()).toBe(0);
    const toast = page.locator('.toast').filter({ hasText: 'Deleted the message.' });
    await toast.getByRole('button', { name: 'Undo' }).click();
    await page.getByText('Line 2 of the fog.').waitFor();
    const count = async () => (await call('conversation.window', { id: ids['fog']!, limit: 10 })).total;
    expect(await count()).toBe(3);

    await msg.getByRole('button', { name: /^Delete/ }).click();
    await expect.poll(() => page.getByText('Line 2 of the fog.').count()).toBe(0);
    expect(await count()).toBe(3);
    await expect.poll(count).toBe(2);

    await navTo(page, 'Characters');
    await page.getByRole('button', { name: 'Delete Brannock' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Open Brannock', exact: true }).count()).toBe(0);
    await page.locator('.toast').filter({ hasText: 'Deleted “Brannock”.' }).getByRole('button', { name: 'Undo' }).click();
    await page.getByRole('button', { name: 'Open Brannock', exact: true }).waitFor();
    await page.waitForTimeout(7_000);
    expect((await call('character.get', { id: ids['brannock']! })).name).toBe('Brannock');
  });

  it('the chat reads like a story: portraits, each character’s colour, a message style, text size, width and accent of one’s own', async () => {
    await navTo(page, 'Settings');
    await page.getByLabel('Message style').selectOption('document');
    await page.getByLabel(/^Text size in chats/).fill('20');
    await page.getByLabel('Chat width').selectOption('narrow');
    await page.getByLabel('Accent colour').fill('#b8336a');
    await expect.poll(async () => (await call('settings.get', {})) as unknown).toMatchObject({ chatStyle: 'document', fontSize: 20, chatWidth: 'narrow', accent: '#b8336a' });
    await screenshot(page, 'story-settings-appearance');

    await navTo(page, 'Conversations');
    await page.getByRole('button', { name: 'Open Fog on the quay' }).click();
    const msg = page.locator('article.msg-character').first();
    await msg.waitFor();
    await expect(page.locator('.chat').getAttribute('data-style')).resolves.toBe('document');
    await expect(msg.evaluate((el) => getComputedStyle(el).fontSize)).resolves.toBe('20px');
    await expect(page.locator('.messages-inner').evaluate((el) => getComputedStyle(el).maxWidth)).resolves.toBe('608px');
    await expect(page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim())).resolves.toBe('#b8336a');
    // White text on this dark accent (the accent's own contrast decides).
    await expect(page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--accent-text').trim())).resolves.toBe('#ffffff');
    await screenshot(page, 'story-chat-document');

    await navTo(page, 'Settings');
    await page.getByLabel('Message style').selectOption('bubbles');
    await page.getByLabel(/^Text size in chats/).fill('16');
    await page.getByLabel('Chat width').selectOption('medium');
    await page.getByRole('button', { name: 'Theme’s own accent' }).click();
    await expect.poll(() => page.evaluate(() => document.documentElement.style.getPropertyValue('--accent'))).toBe('');
    await navTo(page, 'Conversations');
    await page.getByRole('button', { name: 'Open Fog on the quay' }).click();
    await msg.waitFor();
    // A portrait beside each message and in the header; the character's name in their own colour.
    await expect(msg.locator('.avatar-story').evaluate((el) => el.getBoundingClientRect().width)).resolves.toBeGreaterThanOrEqual(48);
    await page.locator('.chat-who .avatar').first().waitFor();
    const colours = await msg.locator('.msg-author').evaluate((el) => [getComputedStyle(el).color, getComputedStyle(document.body).color]);
    expect(colours[0]).not.toBe(colours[1]);
    // Reading length stays readable on a wide window.
    await expect(msg.locator('.msg-body .md').evaluate((el) => el.getBoundingClientRect().width / parseFloat(getComputedStyle(el).fontSize))).resolves.toBeLessThan(46);
    await screenshot(page, 'story-chat-bubbles');
    expect(await layoutProblems(page)).toEqual([]);
    expect(await sameNames(page)).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
  });

  it('reads a message aloud with the character’s own local voice, never a network one', async () => {
    // Off by default: nothing to read aloud until asked for.
    await expect(page.getByRole('button', { name: /^Read aloud/ }).count()).resolves.toBe(0);
    await navTo(page, 'Settings');
    await page.getByLabel(/^Offer “Read aloud” on messages/).check();
    await navTo(page, 'Characters');
    await page.getByRole('button', { name: 'Open Ada', exact: true }).click();
    const voice = page.getByLabel('Voice for Ada');
    // The system's voices arrive asynchronously (voiceschanged): poll rather than read the list once.
    await expect.poll(() => voice.locator('option').allTextContents()).toEqual(['The system’s default', 'Local Alice (en-GB)', 'Local Bram (nl-NL)']);
    await voice.selectOption('Local Bram');
    await expect.poll(async () => (await call('settings.get', {})).voices).toEqual({ [ids['ada']!]: 'Local Bram' });
    await page.getByRole('button', { name: 'Continue last chat' }).click();
    await page.getByText('Line 3 of the fog.').waitFor();
    const read = page.locator('article.msg').filter({ hasText: 'Line 3 of the fog.' }).getByRole('button', { name: /^Read aloud/ });
    await read.click();
    await expect.poll(() => page.evaluate(() => (window as unknown as { __spoken: unknown[] }).__spoken)).toEqual([{ text: 'Line 3 of the fog.', voice: 'Local Bram' }]);
  });

  it('offers online voices only while they are allowed in Privacy, and reads with one then', async () => {
    const voice = () => page.getByLabel('Voice for Ada');
    const openAda = async () => {
      await navTo(page, 'Characters');
      await page.getByRole('button', { name: 'Open Ada', exact: true }).click();
    };
    const online = page.getByRole('switch', { name: 'Online voices for reading aloud' });
    await navTo(page, 'Privacy');
    await online.check();
    await page.getByRole('status').filter({ hasText: 'Online voices for reading aloud: allowed.' }).waitFor();
    await navTo(page, 'Settings');
    await page.getByText(/online voices you allowed in Privacy/).waitFor();
    await openAda();
    await expect.poll(() => voice().locator('option').allTextContents()).toEqual(['The system’s default', 'Local Alice (en-GB)', 'Local Bram (nl-NL)', 'Cloud Carol (en-US)']);
    await voice().selectOption('Cloud Carol');
    await page.getByRole('button', { name: 'Continue last chat' }).click();
    await page.getByText('Line 3 of the fog.').waitFor();
    await page.locator('article.msg').filter({ hasText: 'Line 3 of the fog.' }).getByRole('button', { name: /^Read aloud/ }).click();
    await expect.poll(() => page.evaluate(() => (window as unknown as { __spoken: { voice: string }[] }).__spoken.at(-1)?.voice)).toBe('Cloud Carol');

    // Revoked: gone from the list, and the chosen online voice is no longer used (the first local one reads).
    await navTo(page, 'Privacy');
    await online.uncheck();
    await page.getByRole('status').filter({ hasText: 'Online voices for reading aloud: off.' }).waitFor();
    await openAda();
    await expect.poll(() => voice().locator('option').allTextContents()).toEqual(['The system’s default', 'Local Alice (en-GB)', 'Local Bram (nl-NL)']);
    await page.getByRole('button', { name: 'Continue last chat' }).click();
    await page.locator('article.msg').filter({ hasText: 'Line 3 of the fog.' }).getByRole('button', { name: /^Read aloud/ }).click();
    await expect.poll(() => page.evaluate(() => (window as unknown as { __spoken: { voice: string }[] }).__spoken.at(-1)?.voice)).toBe('Local Alice');
  });

  it('sync runs by itself once enabled: the corner says synced, offline with what waits, synced again', async () => {
    await navTo(page, 'Sync & devices');
    await expect(page.getByTestId('sync-corner').count()).resolves.toBe(0);
    await page.getByLabel('Relay address').fill(relay.url);
    await page.getByRole('button', { name: 'Enable sync' }).click();
    await page.getByRole('heading', { name: 'Status' }).waitFor();
    // Nothing else pressed: it connects and uploads everything.
    const corner = page.getByTestId('sync-corner');
    await expect.poll(() => corner.textContent()).toBe('Synced');
    await expect.poll(() => page.getByTestId('sync-state').textContent()).toBe('Connected — up to date');
    await expect(page.getByRole('button', { name: 'Sync automatically' }).getAttribute('aria-pressed')).resolves.toBe('true');
    await screenshot(page, 'story-sync-on');

    const port = Number(new URL(relay.url).port);
    await relay.close();
    await expect.poll(() => corner.textContent()).toMatch(/^Offline/);
    await call('character.create', { name: 'Written offline' });
    await expect.poll(() => corner.textContent()).toMatch(/^Offline · [1-9]\d* changes? waiting$/);
    await navTo(page, 'Characters');
    await screenshot(page, 'story-sync-offline');
    relay = await startTestRelay({ dataDir: relayDir, port });
    await expect.poll(() => corner.textContent(), { timeout: 60_000 }).toBe('Synced');
    // The corner opens the details.
    await corner.click();
    await page.getByRole('heading', { name: 'Sync & devices' }).waitFor();
    await expect(page.getByTestId('sync-outbox').textContent()).resolves.toBe('0');
  });

  it('a removed device shows one clear page, and "Start over on this device" leaves a fresh start', async () => {
    const other = await pairedDevice({ dir: app.dataDir, core: app.core, call }, relay.url);
    cores.push(other);
    const me = (await call('devices.list', {})).find((d) => d.thisDevice)!.deviceId;
    await other.call('devices.remove', { deviceId: me });
    const heading = page.getByRole('heading', { name: 'This device was removed from your account' });
    await heading.waitFor();
    // One page, nothing of the app behind it: no navigation, no live sync, no device list, no adding devices.
    await expect(page.getByRole('navigation').count()).resolves.toBe(0);
    await expect(page.getByText(/Add a device|Sync now|retrying/).count()).resolves.toBe(0);
    for (const [width, height] of [[1280, 800], [390, 844]] as const) {
      for (const theme of ['light', 'dark'] as const) {
        await page.setViewportSize({ width, height });
        await page.emulateMedia({ colorScheme: theme });
        await screenshot(page, `story-removed-${width}-${theme}`);
        expect(await forbiddenWords(page), `${width} ${theme}`).toEqual([]);
        expect(await axeViolations(page), `${width} ${theme}`).toEqual([]);
        expect(await layoutProblems(page), `${width} ${theme}`).toEqual([]);
        expect(await sameNames(page), `${width} ${theme}`).toEqual([]);
      }
    }

    await page.getByRole('button', { name: 'Start over on this device' }).click();
    expect(await answerDialog(page, 'confirm')).toMatch(/Your other devices keep everything/);
    await page.getByLabel('Your date of birth').waitFor();
    expect(existsSync(join(app.dataDir, 'mindstage.db'))).toBe(false);
    // The other device still has everything.
    expect((await other.call('records.list', { kind: 'character' })).map((e) => e.title)).toContain('Written offline');
    expect(browser.pageErrors).toEqual([]);
    expect(browser.remoteRequests).toEqual([]);
  });
});
