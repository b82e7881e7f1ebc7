/**
 * Sync & devices, pairing, restoring from the relay, the privacy ledger and wiping — in Chromium against browser
 * mode, with a real relay (in-process, SQLite storage) and more than one real core:
 *  - device A (onboarded in the UI) turns sync on in the UI, with clear errors for a bad and an unreachable
 *    address first; syncs now, goes live; "Add a device" shows a one-time code;
 *  - device B (a fresh data folder, its own browser-mode server) joins through onboarding with that code and
 *    shows A's characters; A lists both devices and removes B after a confirm that says what removal means;
 *  - device R restores from the relay with the recovery key alone, in the UI;
 *  - the ledger lists a chat request to the fake provider without its content;
 *  - A wipes everything from Settings: the receipt is shown, the relay holds nothing for the account, A's data
 *    folder is empty, another paired device wipes itself on its next connection, and A returns to onboarding;
 *  - offline, the wipe says plainly that the relay part is pending, and sends it once the relay is back.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { callFor, type Call } from '../../electron/core/cli/context.node.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';
import { tempDir } from '../support/files.node.ts';
import { pairedDevice, type CoreDevice } from '../sync/core-support.node.ts';
import { chromiumMissing, launchBrowser, screenshot, type Browser } from './support/browser.node.ts';
import { startBrowserMode, type BrowserMode } from './support/app.node.ts';
import { answerDialog, onboard, openApp, PASSPHRASE } from './support/flows.node.ts';
import { layoutProblems, tabThrough } from './support/layout.node.ts';

const skip = chromiumMissing();
const dbFiles = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('mindstage.db'));

async function closedRelayUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `ws://127.0.0.1:${port}`;
}

async function setTheme(page: Page, theme: 'light' | 'dark') {
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByLabel('Theme').selectOption(theme);
  await expect.poll(() => page.evaluate(() => document.documentElement.dataset['theme'])).toBe(theme);
}

describe.skipIf(skip !== null)(`sync, devices, ledger and wipe in browser mode${skip ? ` (${skip})` : ''}`, () => {
  let relay: TestRelay;
  let a: BrowserMode;
  let aCall: Call;
  let browser: Browser;
  let ai: FakeOpenAI;
  let recoveryKey = '';
  const others: BrowserMode[] = [];
  const cores: CoreDevice[] = [];

  beforeAll(async () => {
    relay = await startTestRelay();
    ai = await startFakeOpenAI({ model: 'fake-model' });
    a = await startBrowserMode();
    aCall = callFor(a.core);
    browser = await launchBrowser();
    await openApp(browser.page, a.url);
    recoveryKey = await onboard(browser.page);
    await aCall('character.create', { name: 'Ada', description: 'Keeps the ledger.' });
    await aCall('character.create', { name: 'Brannock', description: 'Rings the bell.' });
  });
  afterAll(async () => {
    await browser?.close();
    for (const o of others) await o.close();
    for (const c of cores) await c.core.close().catch(() => undefined);
    await a?.close().catch(() => undefined);
    await ai?.close();
    await relay?.close();
  });

  it('turns sync on: a bad address and an unreachable relay are explained; then status, sync now, and sync running by itself', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Sync & devices' }).click();
    await page.getByRole('heading', { name: 'Sync is off' }).waitFor();
    await screenshot(page, 'sync-off');
    expect(await layoutProblems(page)).toEqual([]);

    const url = page.getByLabel('Relay address');
    await url.fill('https://relay.example.org');
    await page.getByRole('button', { name: 'Enable sync' }).click();
    await page.getByRole('alert').filter({ hasText: 'starts with wss://' }).waitFor();

    await url.fill(await closedRelayUrl());
    await page.getByRole('button', { name: 'Enable sync' }).click();
    await page.getByRole('alert').filter({ hasText: /Cannot reach the sync relay at 127\.0\.0\.1:\d+\. Check the address/ }).waitFor();
    expect((await aCall('sync.status', {})).enabled).toBe(false);

    await url.fill(relay.url);
    await page.getByLabel('Also allow restoring from the relay with my recovery key').check();
    await page.getByLabel('Recovery key', { exact: true }).fill(recoveryKey);
    await page.getByRole('button', { name: 'Enable sync' }).click();
    await page.getByRole('heading', { name: 'Status' }).waitFor();
    const status = await aCall('sync.status', {});
    expect(status).toMatchObject({ enabled: true, relayUrl: relay.url, recoveryReady: true });
    await page.getByText('Set up', { exact: true }).waitFor();

    await page.getByRole('button', { name: 'Sync now' }).click();
    await page.getByRole('status').filter({ hasText: /^Synced: sent \d+, received \d+\.$/ }).waitFor();
    await expect(page.getByTestId('sync-outbox').textContent()).resolves.toBe('0');
    await expect(page.getByText('Not yet').count()).resolves.toBe(0);

    // Sync runs by itself once enabled: connected with nothing more pressed, and the corner of every screen says so.
    const auto = page.getByRole('button', { name: 'Sync automatically' });
    await expect.poll(() => auto.getAttribute('aria-pressed')).toBe('true');
    await expect.poll(() => page.getByTestId('sync-state').textContent()).toBe('Connected — up to date');
    await expect.poll(() => page.getByTestId('sync-corner').textContent()).toBe('Synced');
    await page.getByText('This device', { exact: true }).waitFor();
  });

  it('adds a device: A shows a one-time code; a fresh data folder joins through onboarding and shows A’s characters', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Add a device' }).click();
    const codeEl = page.getByTestId('pair-code');
    await codeEl.waitFor();
    const code = (await codeEl.textContent())!.trim();
    expect(code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{1,4}){6}$/);
    await page.getByText(/Expires at .* \(in (10|9) minutes\)\. It works once\./).waitFor();
    // No terminal command beside it: the new device joins through its own onboarding.
    await expect(page.getByText(/pair join/).count()).resolves.toBe(0);
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.getByRole('button', { name: 'Copy code' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(code);

    for (const theme of ['light', 'dark'] as const) {
      await setTheme(page, theme);
      await page.getByRole('button', { name: 'Sync & devices' }).click();
      await page.getByRole('heading', { name: 'Devices', exact: true }).waitFor();
      // A code is shown only until the screen is left; make another for the screenshot (the first stays valid).
      await page.getByRole('button', { name: 'Add a device' }).click();
      await page.getByTestId('pair-code').waitFor();
      await page.mouse.move(0, 0);
      await screenshot(page, `sync-${theme}`);
      expect(await layoutProblems(page), theme).toEqual([]);
    }
    await setTheme(page, 'light');

    // Device B: a new data folder and its own server; the person takes the onboarding's other door.
    const b = await startBrowserMode();
    others.push(b);
    const bPage = await browser.context.newPage();
    await openApp(bPage, b.url);
    await bPage.getByLabel('Your date of birth').fill('1990-04-12');
    await bPage.getByRole('button', { name: 'Continue' }).click();
    await bPage.getByRole('button', { name: 'I already use Mindstage on another device' }).click();
    await bPage.getByRole('heading', { name: 'Add this device' }).waitFor();
    await screenshot(bPage, 'join-device');
    expect(await layoutProblems(bPage)).toEqual([]);
    // A code no device made (right shape) is refused in words a person can act on, and leaves nothing behind.
    await bPage.getByLabel('One-time code').fill(code.replace(/^./, code[0] === 'B' ? 'C' : 'B'));
    await bPage.getByLabel('Relay address').fill(relay.url);
    await bPage.getByLabel('New passphrase for this device').fill('second device passphrase 82');
    await bPage.getByLabel('Confirm passphrase').fill('second device passphrase 82');
    await bPage.getByText(/Strong|Very strong/).waitFor();
    await bPage.getByRole('button', { name: 'Join' }).click();
    await bPage.getByRole('alert').filter({ hasText: 'No device is waiting with that code' }).waitFor();
    expect(dbFiles(b.dataDir)).toEqual([]);

    await bPage.getByLabel('One-time code').fill(code.toLowerCase());
    await bPage.getByLabel('New passphrase for this device').fill('second device passphrase 82');
    await bPage.getByLabel('Confirm passphrase').fill('second device passphrase 82');
    await bPage.getByRole('button', { name: 'Join' }).click();
    await bPage.getByRole('button', { name: 'Open Ada' }).waitFor();
    await bPage.getByRole('button', { name: 'Open Brannock' }).waitFor();
    // B's own passphrase opens B.
    await bPage.getByRole('button', { name: 'Lock vault' }).click();
    await bPage.getByLabel('Passphrase', { exact: true }).fill('second device passphrase 82');
    await bPage.getByRole('button', { name: 'Unlock' }).click();
    await bPage.getByRole('button', { name: 'Open Ada' }).waitFor();
    await bPage.close();
    expect(browser.pageErrors).toEqual([]);
  });

  it('lists devices with "this device" and removes one after a confirm that says what removal means', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Providers', exact: true }).click();
    await page.getByRole('button', { name: 'Sync & devices' }).click();
    const rows = page.locator('.device');
    const list = await aCall('devices.list', {});
    // A and B (a pairing code never used lists nothing; the sync suite checks that exactly).
    expect(list.length).toBeGreaterThanOrEqual(2);
    await expect.poll(() => rows.count()).toBe(list.length);
    const bId = (await callFor(others[0]!.core)('devices.list', {})).find((d) => d.thisDevice)!.deviceId;
    const other = list.find((d) => d.deviceId === bId)!;
    // Each device named itself after the computer when it joined; no row shows an id.
    expect(list.every((d) => d.name.length > 0)).toBe(true);
    // B wrote (its name) as soon as it joined, while A was in live sync with the device list it had before B:
    // A applied it instead of refusing it as written by a device never enrolled.
    await aCall('sync.now', {});
    expect((await aCall('sync.status', {})).problems).toEqual([]);
    expect(list.find((d) => d.deviceId === bId)!.name).not.toBe('');
    for (const d of list) await expect(rows.filter({ hasText: d.deviceId.slice(0, 8) }).count()).resolves.toBe(0);
    const mine = rows.filter({ hasText: 'This device' });
    await expect(mine.count()).resolves.toBe(1);
    await expect(mine.getByRole('button', { name: /^Remove/ }).count()).resolves.toBe(0);

    // Renamed in place (both computers of this test have the same name); every device of the account sees it.
    await aCall('devices.rename', { deviceId: bId, name: 'Second laptop' });
    await page.getByRole('button', { name: 'Providers', exact: true }).click();
    await page.getByRole('button', { name: 'Sync & devices' }).click();
    await page.getByRole('button', { name: 'Rename Second laptop' }).click();
    await page.getByLabel('Name of this device').fill("Bram's tablet");
    await page.keyboard.press('Enter');
    await rows.filter({ hasText: "Bram's tablet" }).waitFor();
    expect((await aCall('devices.list', {})).find((d) => d.deviceId === bId)!.name).toBe("Bram's tablet");
    await screenshot(page, 'sync-devices-named');

    // Declining changes nothing.
    await page.getByRole('button', { name: "Remove Bram's tablet" }).click();
    const said = await answerDialog(page, 'cancel');
    expect(said).toMatch(/refused everything: it cannot sync, add devices, remove devices or wipe your account/);
    expect(said).toMatch(/New keys are made that it never receives/);
    expect((await aCall('devices.list', {})).find((d) => d.deviceId === bId)!.removedAt).toBeNull();

    await page.getByRole('button', { name: "Remove Bram's tablet" }).click();
    await answerDialog(page, 'confirm');
    await rows.filter({ hasText: "Bram's tablet" }).getByText('Removed', { exact: true }).waitFor();
    expect((await aCall('devices.list', {})).find((d) => d.deviceId === other.deviceId)!.removedAt).not.toBeNull();
    // B can no longer sync.
    const b = others[0]!;
    await expect(callFor(b.core)('sync.now', {})).rejects.toMatchObject({ message: expect.stringMatching(/removed/) });
  });

  it('restores a fresh data folder from the relay with the recovery key alone', async () => {
    await aCall('character.create', { name: 'Cressida', description: 'Written after the removal.' });
    await aCall('sync.now', {});
    const r = await startBrowserMode();
    others.push(r);
    const rPage = await browser.context.newPage();
    await openApp(rPage, r.url);
    await rPage.getByLabel('Your date of birth').fill('1990-04-12');
    await rPage.getByRole('button', { name: 'Continue' }).click();
    await rPage.getByRole('button', { name: 'Restore from the relay with my recovery key' }).click();
    await rPage.getByRole('heading', { name: 'Restore from the relay' }).waitFor();
    await rPage.getByLabel('Recovery key').fill(recoveryKey);
    await rPage.getByLabel('Relay address').fill(relay.url);
    await rPage.getByLabel('New passphrase for this device').fill('restored device passphrase 19');
    await rPage.getByLabel('Confirm passphrase').fill('restored device passphrase 19');
    await rPage.getByText(/Strong|Very strong/).waitFor();
    await screenshot(rPage, 'restore-from-relay');
    expect(await layoutProblems(rPage)).toEqual([]);
    await rPage.getByRole('button', { name: 'Restore' }).click();
    await rPage.getByRole('button', { name: 'Open Cressida' }).waitFor();
    await rPage.getByRole('button', { name: 'Open Ada' }).waitFor();
    await rPage.close();
  });

  it('the privacy ledger lists a chat request to the provider — host, bytes, status — and none of its content', async () => {
    const { page } = browser;
    const secret = 'the-lantern-is-under-the-third-stair';
    ai.script({ text: `Noted: ${secret}.` });
    await aCall('provider.add', { name: 'Fake', baseUrl: ai.baseUrl, model: 'fake-model' });
    const ada = (await aCall('records.list', { kind: 'character' })).find((e) => e.title === 'Ada')!;
    const conv = await aCall('conversation.create', { title: 'Ledger check', characterIds: [ada.id] });
    await aCall('chat.send', { conversationId: conv.id, text: `Remember: ${secret}` });
    await expect.poll(async () => (await aCall('ledger.list', { limit: 10 })).length).toBeGreaterThan(0);
    const entry = (await aCall('ledger.list', { limit: 10 }))[0]!;

    await page.getByRole('button', { name: 'Privacy ledger' }).click();
    await page.getByRole('heading', { name: 'Privacy ledger' }).waitFor();
    await page.getByText(/the content — is never recorded/).waitFor();
    const row = page.locator('table.ledger tbody tr').first();
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    expect(cells[1]).toBe('Chat reply');
    // The provider by name, its host beside it.
    expect(cells[2]).toBe(`Fake ${entry.host}`);
    expect(entry.host).toBe(new URL(ai.baseUrl).host);
    expect(cells[3]).toMatch(/^\d+(\.\d)? (B|KB)$/);
    expect(cells[5]).toBe('200');
    expect(cells[6]).toBe(entry.outcome);
    for (const h of ['Time', 'Purpose', 'Provider', 'Sent', 'Received', 'Status', 'Outcome']) await page.getByRole('columnheader', { name: h }).waitFor();
    await expect(page.getByText(secret).count()).resolves.toBe(0);
    await screenshot(page, 'ledger');
    expect(await layoutProblems(page)).toEqual([]);
  });

  it('reaches the new screens’ controls with Tab, each with a visible focus ring', async () => {
    const { page } = browser;
    const reach = async (screen: string, expected: string[]) => {
      const stops = await tabThrough(page);
      const names = stops.map((s) => s.name);
      for (const name of expected) expect(names, `${screen}: ${name} reachable by Tab`).toContain(name);
      expect(stops.filter((s) => !s.ringVisible).map((s) => `${screen}: ${s.name}`)).toEqual([]);
    };
    await page.getByRole('button', { name: 'Sync & devices' }).click();
    await page.getByRole('heading', { name: 'Devices', exact: true }).waitFor();
    await reach('sync', ['Sync & devices', 'Privacy ledger', 'Sync now', 'Sync automatically', 'Add a device']);
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('button', { name: 'Wipe everything…' }).click();
    await reach('settings', ['Export everything', 'Import from a file…', 'Type WIPE to confirm', 'Cancel']);
    await page.getByRole('button', { name: 'Cancel' }).click();
  });

  it('exports everything as a downloaded file, and imports it', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export everything' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^mindstage-export-\d{4}-\d\d-\d\d\.json$/);
    const path = join(tempDir('e2e-export'), 'export.json');
    await file.saveAs(path);
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('Brannock');
    await page.getByRole('status').filter({ hasText: 'The file is not encrypted' }).waitFor();

    // Importing adds what is not here: a deleted character comes back; what is here already is left alone.
    const importFile = async () => {
      const chooser = page.waitForEvent('filechooser');
      await page.getByRole('button', { name: 'Import from a file…' }).click();
      await (await chooser).setFiles(path);
    };
    await importFile();
    await page.getByRole('status').filter({ hasText: 'Nothing new to import' }).waitFor();
    const brannock = (await aCall('records.list', { kind: 'character' })).find((e) => e.title === 'Brannock')!;
    await aCall('character.delete', { id: brannock.id });
    await importFile();
    await page.getByRole('status').filter({ hasText: 'Imported 1 item.' }).waitFor();
    expect((await aCall('character.get', { id: brannock.id })).name).toBe('Brannock');
  });

  it('wipes everything from Settings: the relay’s verified receipt, an empty data folder, other devices wiped, back to onboarding', async () => {
    const { page } = browser;
    // A second device still enrolled, driven through the API: it must wipe itself on its next connection.
    const c = await pairedDevice({ dir: a.dataDir, core: a.core, call: aCall }, relay.url);
    cores.push(c);
    const { accountId } = await aCall('sync.status', {});
    expect(dbFiles(a.dataDir)).toContain('mindstage.db');
    // The restored device R, open in a window while A wipes: it syncs by itself, so it learns of the wipe live.
    const restored = others[1]!;
    const rPage = await browser.context.newPage();
    await openApp(rPage, restored.url);
    await rPage.getByRole('button', { name: 'Open Cressida' }).waitFor();

    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('button', { name: 'Wipe everything…' }).click();
    const confirm = page.getByLabel('Type WIPE to confirm');
    const go = page.getByRole('button', { name: 'Wipe everything now' });
    await expect(go.isDisabled()).resolves.toBe(true);
    await confirm.fill('wipe');
    await expect(go.isDisabled()).resolves.toBe(true);
    await confirm.fill('WIPE');
    await page.getByText('It cannot be undone.', { exact: false }).scrollIntoViewIfNeeded();
    await screenshot(page, 'settings-wipe-confirm');
    expect(await layoutProblems(page)).toEqual([]);
    await go.click();

    await page.getByRole('heading', { name: 'Everything was wiped' }).waitFor();
    await page.getByText(/deleted everything it stored for your account/).waitFor();
    await page.getByText('Signed by the relay and checked', { exact: true }).waitFor();
    // The relay's key is checked, not shown: no hex key on screen.
    expect(await page.locator('body').innerText()).not.toMatch(/[0-9a-f]{32}/);
    await expect(page.locator('.wiped .facts').textContent()).resolves.toMatch(/Devices[1-9]/);
    await page.getByText(/^Deleted: mindstage\.db/).waitFor();
    await screenshot(page, 'wiped');
    expect(await layoutProblems(page)).toEqual([]);

    expect(dbFiles(a.dataDir)).toEqual([]);
    const db = new Database(join(relay.dataDir, 'relay.sqlite'), { readonly: true });
    const acct = Buffer.from(accountId!, 'hex');
    for (const table of ['items', 'devices', 'pairings']) expect(db.prepare(`SELECT count(*) FROM ${table} WHERE account_id = ?`).pluck().get(acct), table).toBe(0);
    db.close();
    const r = await c.call('sync.now', {});
    expect(r.wiped).toBe(true);
    expect(dbFiles(c.dir)).toEqual([]);

    await page.getByRole('button', { name: 'Start over on this device' }).click();
    await page.getByLabel('Your date of birth').waitFor();
    await expect(page.getByText('Ada').count()).resolves.toBe(0);

    // R: nothing to press — its sync verifies the marker, wipes this device, and the window says so.
    await rPage.getByRole('heading', { name: 'Everything was wiped' }).waitFor();
    await rPage.getByText('Your vault was wiped from another of your devices.').waitFor();
    await expect(rPage.getByText('Cressida').count()).resolves.toBe(0);
    expect(dbFiles(restored.dataDir)).toEqual([]);
    // A window opened afterwards (or this one reloaded) still says why there is no vault, instead of a bare first run.
    expect((await callFor(restored.core)('vault.status', {})).wipedRemotely?.at).toBeGreaterThan(0);
    await rPage.reload();
    await rPage.getByRole('heading', { name: 'Everything was wiped' }).waitFor();
    await rPage.getByText('Your vault was wiped from another of your devices.').waitFor();
    await rPage.getByRole('button', { name: 'Start over on this device' }).click();
    await rPage.getByLabel('Your date of birth').waitFor();
    await rPage.close();
  });

  it('offline, the wipe says the relay part is pending, and sends it once the relay is back', async () => {
    const relayDir = tempDir('e2e-relay2');
    let second = await startTestRelay({ dataDir: relayDir });
    const port = Number(new URL(second.url).port);
    const d = await startBrowserMode();
    others.push(d);
    const dCall = callFor(d.core);
    await dCall('vault.create', { passphrase: PASSPHRASE });
    await dCall('sync.enable', { relayUrl: second.url });
    await dCall('character.create', { name: 'Offline soon' });
    await dCall('sync.now', {});
    const { accountId } = await dCall('sync.status', {});
    await second.close();

    const page = await browser.context.newPage();
    await openApp(page, d.url);
    await page.getByRole('button', { name: 'Open Offline soon' }).waitFor();
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('button', { name: 'Wipe everything…' }).click();
    await page.getByLabel('Type WIPE to confirm').fill('WIPE');
    await page.getByRole('button', { name: 'Wipe everything now' }).click();
    await page.getByRole('heading', { name: 'On the relay: still pending' }).waitFor();
    await page.getByText(/could not be reached .*so your encrypted data is still on it/).waitFor();
    await page.getByText('pending-wipe.json', { exact: true }).waitFor();
    await screenshot(page, 'wiped-pending');
    expect(await layoutProblems(page)).toEqual([]);
    expect(dbFiles(d.dataDir)).toEqual([]);
    expect(existsSync(join(d.dataDir, 'pending-wipe.json'))).toBe(true);

    // Still offline: trying again says so and keeps the file.
    await page.getByRole('button', { name: 'Send the wipe to the relay now' }).click();
    await page.locator('.wiped .error').nth(1).waitFor();
    expect(existsSync(join(d.dataDir, 'pending-wipe.json'))).toBe(true);
    expect(await dCall('vault.status', {})).toEqual({ exists: false, unlocked: false, pendingWipe: { relay: `127.0.0.1:${port}` } });

    // A new window (as after restarting the app) still shows the pending relay part and offers to send it.
    await page.close();
    const again = await browser.context.newPage();
    await openApp(again, d.url);
    await again.getByRole('heading', { name: 'On the relay: still pending' }).waitFor();
    await again.getByText('Nothing of the vault is left on this device.').waitFor();
    const page2 = again;

    second = await startTestRelay({ dataDir: relayDir, port });
    try {
      await page2.getByRole('button', { name: 'Send the wipe to the relay now' }).click();
      await page2.getByText(/deleted everything it stored for your account/).waitFor();
      expect(existsSync(join(d.dataDir, 'pending-wipe.json'))).toBe(false);
      const db = new Database(join(relayDir, 'relay.sqlite'), { readonly: true });
      for (const table of ['items', 'devices']) expect(db.prepare(`SELECT count(*) FROM ${table} WHERE account_id = ?`).pluck().get(Buffer.from(accountId!, 'hex')), table).toBe(0);
      db.close();
    } finally {
      await second.close();
    }
    await page2.close();
    expect(browser.pageErrors).toEqual([]);
    expect(browser.remoteRequests).toEqual([]);
  });
});
