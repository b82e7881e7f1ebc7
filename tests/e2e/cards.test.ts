/**
 * Character cards in the UI: import every fixture by file picker and by drag and drop (the two files that are not
 * cards are refused with a message naming the problem), avatars, export in each format with a round trip — and
 * the injection test: a card whose fields carry HTML, script and Markdown-image payloads shows them as text, runs
 * no script and sends no request anywhere.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchBrowser, screenshot, type Browser } from './support/browser.node.ts';
import { startBrowserMode, type BrowserMode } from './support/app.node.ts';
import { onboard, openApp } from './support/flows.node.ts';

const skip = chromiumMissing();
const fixtures = join(import.meta.dirname, '../../../shared/fixtures/cards');
const good = [
  { file: 'v2-hybrid-seraphina.png', name: 'Seraphina' },
  { file: 'v2-pure-melina.png', name: 'Melina' },
  { file: 'v3-ccv3-only-default-chan.png', name: 'Default-chan' },
];
// The two files that are not cards, and the words the error must use to say what is wrong with each.
const bad = [
  { file: 'invalid-no-card-chunk.png', problem: /no character card: it is an ordinary image/ },
  { file: 'invalid-backyard-exif.png', problem: /no Tavern character card.*EXIF.*Backyard AI/ },
];
const allFiles = [...good.map((g) => g.file), ...bad.map((b) => b.file)];

const payload = {
  name: 'Mallory <img src=x onerror="window.__pwned=1">',
  description: '<script>window.__pwned=2</script> ![beacon](https://tracker.example/pixel.png)',
  first_mes:
    'Hello <b>there</b> <img src="https://tracker.example/a.png" onerror="window.__pwned=3"> ![x](https://tracker.example/b.png) <script>window.__pwned=4</script> [link](javascript:window.__pwned=5) <iframe src="https://tracker.example/"></iframe>',
};
const hostileCard = JSON.stringify({ spec: 'chara_card_v2', spec_version: '2.0', data: { ...payload, personality: '', scenario: '', mes_example: '' } });

async function characterNames(app: BrowserMode): Promise<string[]> {
  const list = await app.core.invoke('records.list', { kind: 'character' });
  if (!list.ok) throw new Error(list.error.message);
  return list.value.map((e) => e.title).sort();
}

/** Drops files on the library the way a file manager does: one DataTransfer carrying them all. */
async function dropFiles(page: Page, files: { name: string; bytes: Buffer; type: string }[]): Promise<void> {
  const dt = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const { name, b64, type } of list) {
      const bin = atob(b64);
      const arr = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) arr[i] = bin.charCodeAt(i);
      dt.items.add(new File([arr], name, { type }));
    }
    return dt;
  }, files.map((f) => ({ name: f.name, b64: f.bytes.toString('base64'), type: f.type })));
  await page.dispatchEvent('.library', 'dragenter', { dataTransfer: dt });
  await page.dispatchEvent('.library', 'dragover', { dataTransfer: dt });
  await page.getByText('Drop character cards (PNG, JSON or CHARX) to import them').waitFor();
  await page.dispatchEvent('.library', 'drop', { dataTransfer: dt });
}

/** Each refused file gets its own message naming the file and what is wrong with it. */
async function expectRefusals(page: Page): Promise<void> {
  for (const b of bad) {
    const toast = page.locator('.toast-error').filter({ hasText: `Could not import ${b.file}: ` });
    await toast.waitFor();
    expect(await toast.textContent()).toMatch(b.problem);
  }
}

async function dismissToasts(page: Page): Promise<void> {
  const dismiss = page.locator('.toast').getByRole('button', { name: 'Dismiss' });
  while ((await dismiss.count()) > 0) await dismiss.first().click();
}

describe.skipIf(skip !== null)(`character cards in browser mode${skip ? ` (${skip})` : ''}`, () => {
  let app: BrowserMode;
  let browser: Browser;

  beforeAll(async () => {
    app = await startBrowserMode();
    browser = await launchBrowser();
    await openApp(browser.page, app.url);
    await onboard(browser.page);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('imports each fixture card with the file picker, shows avatars, and names the problem with each non-card', async () => {
    const { page } = browser;
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Import card…' }).click();
    await (await chooser).setFiles(allFiles.map((f) => join(fixtures, f)));
    for (const g of good) await page.getByRole('button', { name: `Open ${g.name}` }).waitFor();
    await expectRefusals(page);
    // Avatars are the cards' own images, decrypted and shown from blob: URLs.
    await expect.poll(() => page.locator('.char-card .avatar img[src^="blob:"]').count()).toBe(3);
    const sizes = await page.locator('.char-card .avatar img').evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth));
    expect(sizes.every((w) => w > 0)).toBe(true);
    await screenshot(page, 'cards-imported-by-picker');
    expect(await characterNames(app)).toEqual(good.map((g) => g.name).sort());
    await dismissToasts(page);
  });

  it('imports each fixture card by drag and drop, with the same clear refusals', async () => {
    const { page } = browser;
    await dropFiles(page, allFiles.map((f) => ({ name: f, bytes: readFileSync(join(fixtures, f)), type: 'image/png' })));
    await expectRefusals(page);
    await expect.poll(() => characterNames(app)).toEqual(good.flatMap((g) => [g.name, g.name]).sort());
    for (const g of good) await expect.poll(() => page.getByRole('button', { name: `Open ${g.name}` }).count()).toBe(2);
    await expect.poll(() => page.locator('.char-card .avatar img[src^="blob:"]').count()).toBe(6);
    await screenshot(page, 'cards-import-errors');
    await dismissToasts(page);
  });

  it('exports a card in each format, and each export imports back as the same character', async () => {
    const { page } = browser;
    const list = await app.core.invoke('records.list', { kind: 'character' });
    const id = list.ok ? list.value.find((e) => e.title === 'Seraphina')!.id : '';
    const original = await app.core.invoke('character.get', { id });
    if (!original.ok) throw new Error(original.error.message);

    const saved: Record<string, Buffer> = {};
    for (const format of ['png', 'json', 'charx'] as const) {
      const download = page.waitForEvent('download');
      await page.getByRole('combobox', { name: 'Export Seraphina as' }).first().selectOption(format);
      const file = await download;
      expect(file.suggestedFilename()).toBe(`Seraphina.${format}`);
      saved[format] = readFileSync((await file.path())!);
    }
    // PNG: a real image carrying the card in a text chunk; JSON: the card itself; CHARX: a zip with card.json.
    expect(saved['png']!.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(saved['png']!.includes(Buffer.from('tEXtccv3')) || saved['png']!.includes(Buffer.from('tEXtchara'))).toBe(true);
    const json = JSON.parse(saved['json']!.toString('utf8')) as { data: { name: string; description: string } };
    expect(json.data).toMatchObject({ name: 'Seraphina', description: original.value.description });
    const zip = unzipSync(new Uint8Array(saved['charx']!));
    const charxCard = JSON.parse(strFromU8(zip['card.json']!)) as { data: { name: string; description: string } };
    expect(charxCard.data).toMatchObject({ name: 'Seraphina', description: original.value.description });

    // Round trip through the UI: the three exports import as three more Seraphinas with the same fields.
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Import card…' }).click();
    await (
      await chooser
    ).setFiles([
      { name: 'Seraphina.png', mimeType: 'image/png', buffer: saved['png']! },
      { name: 'Seraphina.json', mimeType: 'application/json', buffer: saved['json']! },
      { name: 'Seraphina.charx', mimeType: 'application/zip', buffer: saved['charx']! },
    ]);
    // Three imports on a loaded machine can take a while: patience, not a duration.
    await expect.poll(() => page.getByRole('button', { name: 'Open Seraphina' }).count()).toBe(5);
    const after = await app.core.invoke('records.list', { kind: 'character' });
    const copies = after.ok ? after.value.filter((e) => e.title === 'Seraphina' && e.id !== id) : [];
    for (const c of copies) {
      const got = await app.core.invoke('character.get', { id: c.id });
      if (!got.ok) throw new Error(got.error.message);
      expect(got.value.description).toBe(original.value.description);
      expect(got.value.character_book?.entries.length).toBe(original.value.character_book?.entries.length);
    }
    await dismissToasts(page);
    await screenshot(page, 'cards-after-round-trip');
  });

  it('opens a chat with the greeting of the card, its alternate greetings offered as swipes', async () => {
    const { page } = browser;
    const list = await app.core.invoke('records.list', { kind: 'character' });
    const id = list.ok ? list.value.find((e) => e.title === 'Default-chan')!.id : '';
    const card = await app.core.invoke('character.get', { id });
    if (!card.ok) throw new Error(card.error.message);
    expect(card.value.alternate_greetings.length).toBe(2);
    await page.getByRole('listitem').filter({ has: page.getByRole('button', { name: 'Open Default-chan' }) }).first().getByRole('button', { name: /^Chat with/ }).click();
    const greeting = page.locator('article.msg').first();
    const swipes = greeting.getByRole('group', { name: 'Alternatives' });
    await expect.poll(() => swipes.textContent()).toContain('1/3');
    await swipes.getByRole('button', { name: 'Next alternative' }).click();
    await expect.poll(() => swipes.textContent()).toContain('2/3');
    // Markdown is rendered (the *action* becomes emphasis), so compare the plain words of its first line.
    const words = card.value.alternate_greetings[0]!.split('\n')[0]!.replace(/\*/g, '').slice(0, 40);
    await expect.poll(() => greeting.textContent()).toContain(words);
    await screenshot(page, 'chat-greeting-swipes');
    await page.getByRole('button', { name: '← Library' }).click();
    await page.getByRole('tab', { name: /Characters/ }).click();
  });

  it('renders a hostile card as text: no script runs, no image loads, no request leaves', async () => {
    const { page } = browser;
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Import card…' }).click();
    await (await chooser).setFiles({ name: 'mallory.json', mimeType: 'application/json', buffer: Buffer.from(hostileCard) });
    const row = page.getByRole('button', { name: `Open ${payload.name}` });
    await row.waitFor();
    await page.getByRole('listitem').filter({ has: row }).getByRole('button', { name: /^Chat with/ }).click();
    const message = page.locator('article.msg').first();
    await message.waitFor();
    await screenshot(page, 'chat-hostile-card');
    // The name shows literally; images become their alt text; of the raw HTML only the safe subset survives
    // (<b> does; scripts, handlers, frames and remote images do not).
    await expect(page.getByRole('heading', { name: payload.name }).count()).resolves.toBe(1);
    await expect(message.textContent()).resolves.toContain('[image: x]');
    expect(await page.locator('.messages img, .messages script, .messages iframe').count()).toBe(0);
    await expect(message.locator('b').evaluateAll((bs) => bs.map((b) => [b.textContent, b.attributes.length]))).resolves.toEqual([['there', 0]]);
    // The javascript: link is neutralised.
    const hrefs = await message.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
    expect(hrefs.filter((h) => h.toLowerCase().startsWith('javascript'))).toEqual([]);
    // It keeps its text but loses its address (it is no link at all); clicking the text runs nothing and asks
    // nothing (a real click: it fails the test if the text is not there).
    const dialogs: string[] = [];
    const onDialog = (d: { message(): string; dismiss(): Promise<void> }) => void (dialogs.push(d.message()), d.dismiss());
    page.on('dialog', onDialog);
    await expect(message.getByRole('link', { name: 'link' }).count()).resolves.toBe(0);
    await message.getByText('link', { exact: true }).click();
    page.off('dialog', onDialog);
    expect(dialogs).toEqual([]);

    // The editor shows the fields as plain text in inputs.
    await page.getByRole('button', { name: '← Library' }).click();
    await page.getByRole('tab', { name: /Characters/ }).click();
    await row.click();
    await expect(page.getByLabel('Description').inputValue()).resolves.toBe(payload.description);
    await page.waitForTimeout(300);
    await expect(page.evaluate(() => (window as { __pwned?: number }).__pwned)).resolves.toBeUndefined();
    expect(browser.remoteRequests).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
  });
});
