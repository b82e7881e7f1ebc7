/**
 * The chat view holds a window of a long conversation and keeps it current from events: after a send and its
 * streamed reply, a regenerate, edits made by another client of the same core, and changes another device made
 * that arrive by sync, the page never fetches the conversation again — counted over the browser-mode WebSocket.
 * Scrolling up pages older history in, a page at a time. Real core, real relay, Chromium; the fake provider.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { callFor, type Call } from '../../electron/core/cli/context.node.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';
import { pairedDevice, type CoreDevice } from '../sync/core-support.node.ts';
import { chromiumMissing, launchBrowser, type Browser } from './support/browser.node.ts';
import { startBrowserMode, type BrowserMode } from './support/app.node.ts';
import { onboard, openApp } from './support/flows.node.ts';

const skip = chromiumMissing();
const HISTORY = 600;

interface Sent {
  command: string;
  input: { id?: string; beforeId?: string; limit?: number };
}

describe.skipIf(skip !== null)(`a long conversation held as a window${skip ? ` (${skip})` : ''}`, () => {
  let app: BrowserMode;
  let call: Call;
  let browser: Browser;
  let ai: FakeOpenAI;
  let relay: TestRelay;
  let other: CoreDevice;
  let id = '';
  /** Every command the page sent over the WebSocket. */
  const sent: Sent[] = [];
  const conversationReads = () => sent.filter((s) => s.command === 'conversation.get' || s.command === 'conversation.window');

  const lastMessage = (page: Page) => page.locator('article.msg').last();

  beforeAll(async () => {
    ai = await startFakeOpenAI({ model: 'fake-model' });
    relay = await startTestRelay();
    app = await startBrowserMode();
    call = callFor(app.core);
    browser = await launchBrowser();
    browser.page.on('websocket', (ws) =>
      ws.on('framesent', (f) => {
        if (typeof f.payload === 'string') sent.push(JSON.parse(f.payload) as Sent);
      }),
    );
    await openApp(browser.page, app.url);
    await onboard(browser.page);
    await call('provider.add', { name: 'Fake', baseUrl: ai.baseUrl, model: 'fake-model' });
    const { id: characterId } = await call('character.create', { name: 'Ada' });
    id = (await call('conversation.create', { title: 'The long watch', characterIds: [characterId] })).id;
    for (let i = 0; i < HISTORY; i++) await call('conversation.addMessage', { id, role: i % 2 ? 'character' : 'user', text: `Watch line ${i}.` });
    // A second device on the same account, to change the conversation from elsewhere.
    await call('sync.enable', { relayUrl: relay.url });
    other = await pairedDevice({ dir: app.dataDir, core: app.core, call }, relay.url);
  });
  afterAll(async () => {
    await browser?.close();
    await other?.core.close();
    await app?.close();
    await relay?.close();
    await ai?.close();
  });

  it('opens with a window of the newest messages, then sends, streams, regenerates and follows changes without fetching the conversation again', async () => {
    const { page } = browser;
    await page.getByRole('tab', { name: /Characters/ }).click();
    await page.getByRole('tab', { name: /Conversations/ }).click();
    await page.getByRole('button', { name: 'Open The long watch' }).click();
    await page.getByText(`Watch line ${HISTORY - 1}.`).waitFor();
    // Opening reads the newest messages only, once.
    const opened = conversationReads();
    expect(opened).toHaveLength(1);
    for (const o of opened) {
      expect(o).toMatchObject({ command: 'conversation.window', input: { id } });
      expect(o.input.beforeId).toBeUndefined();
      expect(o.input.limit!).toBeLessThanOrEqual(200);
    }
    const before = sent.length;

    // Send, and a reply streamed token by token.
    ai.script({ tokens: Array.from({ length: 40 }, (_, i) => `tok${i} `), tokenDelayMs: 5 });
    await page.getByLabel('Your message').fill('Anything on the horizon?');
    await page.getByLabel('Your message').press('Enter');
    await lastMessage(page).getByText('tok39').waitFor();
    await page.getByRole('button', { name: 'Send' }).waitFor();

    ai.script({ text: 'Only gulls.' });
    await lastMessage(page).getByRole('button', { name: 'Regenerate' }).click();
    await lastMessage(page).getByText('Only gulls.').waitFor();
    await page.getByRole('button', { name: 'Send' }).waitFor();
    await lastMessage(page).getByRole('group', { name: 'Alternatives' }).getByRole('button', { name: 'Previous alternative' }).click();
    await lastMessage(page).getByText('tok39').waitFor();

    // Another client of the same core (as the CLI would be) adds and edits.
    const added = await call('conversation.addMessage', { id, role: 'narrator', text: 'A bell rings below.' });
    await page.getByText('A bell rings below.').waitFor();
    await call('conversation.editMessage', { id, messageId: added.id, text: 'Two bells ring below.' });
    await page.getByText('Two bells ring below.').waitFor();

    // Another device changes it; the change arrives by sync.
    await call('sync.now', {});
    await other.call('sync.now', {});
    await other.call('conversation.addMessage', { id, role: 'narrator', text: 'Fog from the other device.' });
    await other.call('conversation.update', { id, patch: { title: 'The long watch, renamed' } });
    await other.call('sync.now', {});
    await call('sync.now', {});
    await page.getByText('Fog from the other device.').waitFor();
    await page.getByRole('heading', { name: 'The long watch, renamed' }).waitFor();

    expect(sent.slice(before).filter((s) => s.command === 'conversation.get' || s.command === 'conversation.window')).toEqual([]);
    expect(sent.slice(before).map((s) => s.command)).toEqual(expect.arrayContaining(['chat.send', 'chat.regenerate', 'conversation.chooseAlternative']));
  });

  it('pages older history in as the user scrolls up, and Home reaches the first message', async () => {
    const { page } = browser;
    const before = sent.length;
    const list = page.getByRole('log', { name: 'Messages' });
    // Near the top of what is held, the page before it comes in — and the view does not jump: from frame to frame,
    // some message on screen stays on screen.
    const pages = () => sent.slice(before).filter((s) => s.command === 'conversation.window');
    const frames = await list.evaluate(async (el) => {
      const visible = () => {
        const box = el.getBoundingClientRect();
        return [...el.querySelectorAll('article')]
          .filter((a) => {
            const r = a.getBoundingClientRect();
            return r.bottom > box.top && r.top < box.bottom;
          })
          .map((a) => a.querySelector('.md')?.textContent ?? '');
      };
      el.scrollTo({ top: 40 });
      const out: string[][] = [];
      const t0 = performance.now();
      while (performance.now() - t0 < 1500) {
        await new Promise((r) => requestAnimationFrame(r));
        out.push(visible());
      }
      return out;
    });
    expect(pages().length).toBeGreaterThan(0);
    expect(pages()[0]!.input).toMatchObject({ id, beforeId: expect.any(String) });
    const shown = frames.filter((f) => f.length > 0);
    for (let i = 1; i < shown.length; i++) expect(shown[i]!.some((t) => shown[i - 1]!.includes(t)), `frame ${i}`).toBe(true);
    expect(await page.locator('article.msg').count()).toBeLessThan(60);

    await list.focus();
    await page.keyboard.press('Home');
    await page.getByText('Watch line 0.', { exact: true }).waitFor();
    expect(sent.slice(before).every((s) => s.command !== 'conversation.get')).toBe(true);
  });
});
