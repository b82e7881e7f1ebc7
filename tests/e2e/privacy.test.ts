/**
 * The privacy center in Chromium against browser mode, a fake provider and a real relay (issue 14): the table shows
 * each party with what its server actually received in the last 30 days, what is held here and what the relay
 * counts for the account; a sharing switched on and off in the UI is recorded and takes effect on the next request.
 * Screenshots at 390×844 and 1280×800, light and dark; each screen passes the word, accessibility and layout audits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callFor, type Call } from '../../electron/core/cli/context.node.ts';
import { startFakeOpenAI, tinyPngBase64, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';
import { axeViolations, forbiddenWords, sameNames } from './support/audit.node.ts';
import { chromiumMissing, launchBrowser, screenshot, type Browser } from './support/browser.node.ts';
import { startBrowserMode, type BrowserMode } from './support/app.node.ts';
import { layoutProblems } from './support/layout.node.ts';
import { navTo, onboard, openApp } from './support/flows.node.ts';

const skip = chromiumMissing();

describe.skipIf(skip !== null)(`privacy center${skip ? ` (${skip})` : ''}`, () => {
  let app: BrowserMode;
  let browser: Browser;
  let ai: FakeOpenAI;
  let relay: TestRelay;
  let call: Call;
  let conversationId: string;

  beforeAll(async () => {
    ai = await startFakeOpenAI({ model: 'fake-model' });
    relay = await startTestRelay();
    app = await startBrowserMode();
    browser = await launchBrowser({ width: 1280, height: 800 });
    await openApp(browser.page, app.url);
    await onboard(browser.page);
    call = callFor(app.core);
    await call('provider.add', { name: 'Fake cloud', baseUrl: ai.baseUrl, model: 'fake-model' });
    const { id: characterId } = await call('character.create', { name: 'Wren', description: 'A lighthouse keeper.' });
    await call('assets.setAvatar', { recordId: characterId, kind: 'character', mime: 'image/png', bytesBase64: tinyPngBase64 });
    conversationId = (await call('conversation.create', { title: 'Lamp', characterIds: [characterId] })).id;
    await send('hello');
    await call('sync.enable', { relayUrl: relay.url });
    await call('sync.now', {});
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await relay?.close();
    await ai?.close();
  });

  /** Sends a message through the core and waits until the provider has answered it; returns what it was sent. */
  async function send(text: string) {
    const before = ai.chatRequests().length;
    await call('chat.send', { conversationId, text });
    for (let i = 0; i < 200 && ai.chatRequests().length === before; i++) await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 200; i++) {
      const w = await call('conversation.window', { id: conversationId, limit: 1 });
      if (w.messages.at(-1)?.alternatives.every((a) => a.status !== 'streaming')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(ai.chatRequests().length).toBe(before + 1);
    return ai.chatRequests().at(-1)!.body as { messages: { content: unknown }[] };
  }
  const hasImage = (body: { messages: { content: unknown }[] }) => body.messages.some((m) => Array.isArray(m.content));

  async function audit(where: string) {
    const { page } = browser;
    expect(await forbiddenWords(page), where).toEqual([]);
    expect(await axeViolations(page), where).toEqual([]);
    expect(await sameNames(page), where).toEqual([]);
    expect(await layoutProblems(page), where).toEqual([]);
  }

  it('shows who received what (matching what the provider and the relay hold) and what is held', async () => {
    const { page } = browser;
    await navTo(page, 'Privacy');
    await page.getByRole('heading', { name: 'Privacy', exact: true }).waitFor();
    await page.getByText('Mindstage sends no telemetry', { exact: false }).waitFor();
    const provider = page.getByRole('row').filter({ hasText: 'AI provider "Fake cloud" (model fake-model)' });
    await provider.getByText(new URL(ai.baseUrl).host).waitFor();
    // Every request the fake provider received, and nothing more.
    const n = ai.requests.length;
    await provider.getByText(`${n} request${n === 1 ? '' : 's'}`, { exact: true }).waitFor();
    const relayRow = page.getByRole('row').filter({ hasText: 'sync relay' });
    await relayRow.getByText(new URL(relay.url).host).waitFor();
    await relayRow.getByText('encrypted records it cannot read (ciphertext)').waitFor();
    expect(await page.getByRole('row').count()).toBe(3); // the header, the provider, the relay: nobody else

    const held = await call('privacy.held', {});
    if (!held.relay || 'error' in held.relay) throw new Error('the relay did not answer');
    const relayHeld = page.getByRole('heading', { name: 'On the sync relay' }).locator('..');
    await relayHeld.getByText('1 device', { exact: true }).waitFor();
    await relayHeld.getByText(`${held.relay.updates + held.relay.snapshots} items`, { exact: false }).waitFor();
    const local = page.getByRole('heading', { name: 'On this device, encrypted' }).locator('..');
    await local.getByText('2 messages', { exact: true }).waitFor();
    await local.getByText('1 character', { exact: true }).waitFor();
    await audit('privacy center');
  });

  it('turns a sharing on and off, recorded with when and where, effective on the next request', async () => {
    const { page } = browser;
    const portraits = page.getByRole('switch', { name: 'Show portraits to the AI' });
    expect(await portraits.isChecked()).toBe(false);
    await page.getByText('Sends the speaking character\'s portrait image with each chat request', { exact: false }).waitFor();
    expect(hasImage(await send('before'))).toBe(false);

    await portraits.check();
    await page.getByRole('status').filter({ hasText: 'Show portraits to the AI: allowed.' }).waitFor();
    await page.getByText(/^Allowed .+ on .+\.$/).waitFor();
    expect((await call('consent.list', {})).find((c) => c.name === 'portraits-in-chat')?.granted).toBe(true);
    expect(hasImage(await send('with the portrait'))).toBe(true);

    await portraits.uncheck();
    await page.getByRole('status').filter({ hasText: 'Show portraits to the AI: off.' }).waitFor();
    expect(hasImage(await send('without it again'))).toBe(false);
    expect(await page.getByRole('switch', { name: 'Online voices for reading aloud' }).isChecked()).toBe(false);
  });

  it('reads well at phone and desktop sizes, light and dark', async () => {
    const { page } = browser;
    await navTo(page, 'Privacy ledger');
    await navTo(page, 'Privacy');
    await page.getByRole('heading', { name: 'Who receives what' }).waitFor();
    for (const [size, w, h] of [['desktop', 1280, 800], ['phone', 390, 844]] as const) {
      await page.setViewportSize({ width: w, height: h });
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        await page.getByRole('heading', { name: 'Who receives what' }).scrollIntoViewIfNeeded();
        await screenshot(page, `privacy-${size}-${scheme}`);
        await page.getByRole('heading', { name: 'Sharing you allow' }).scrollIntoViewIfNeeded();
        await screenshot(page, `privacy-consent-${size}-${scheme}`);
        await audit(`privacy ${size} ${scheme}`);
      }
    }
    expect(browser.remoteRequests).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
  });
});
