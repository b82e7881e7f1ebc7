/**
 * Browser mode as a person uses it: the real renderer (built from the current sources), the real server and
 * core, Debian's Chromium. The page finds its one-time token in the URL, drops it from the address bar, trades it for a tab session, talks to the core
 * over the WebSocket (commands and pushed events), and violates no CSP directive. With CI=true a missing
 * Chromium fails this file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleMessage } from 'playwright-core';
import { openCore, type Core } from '../../electron/core/core.node.ts';
import { startWebServer, type WebServer } from '../../electron/core/web/server.node.ts';
import { tempDir } from '../support/files.node.ts';
import { chromiumMissing, launchBrowser, type Browser } from '../e2e/support/browser.node.ts';
import { buildRenderer } from '../e2e/support/renderer-build.node.ts';
import { onboard } from '../e2e/support/flows.node.ts';

const skip = chromiumMissing();

describe.skipIf(skip !== null)(`browser mode in Chromium${skip ? ` (${skip})` : ''}`, () => {
  let core: Core;
  let server: WebServer;
  let browser: Browser;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    const rendererDir = await buildRenderer();
    core = await openCore({ dataDir: tempDir('web-browser') });
    server = await startWebServer({ core, rendererDir });
    browser = await launchBrowser();
    browser.context.on('console', (m: ConsoleMessage) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await core?.close();
  });

  it('reaches the core with the token from the URL, then keeps the token out of the address bar', async () => {
    const { page } = browser;
    await page.goto(server.url);
    await page.getByLabel('Your date of birth').waitFor();
    expect(page.url()).toBe(`http://127.0.0.1:${server.port}/`);
    // The WebSocket client, not a preload: nothing is put on window.
    expect(await page.evaluate(() => 'mindstage' in window)).toBe(false);
  });

  it('carries commands and pushed events both ways', async () => {
    const { page } = browser;
    await onboard(page);
    // A lock from outside the page (as the idle timer or another client would) arrives as a vault.locked event.
    expect(await core.invoke('vault.lock', {})).toEqual({ ok: true, value: null });
    await page.getByRole('heading', { name: 'Unlock your vault' }).waitFor();
  });

  it('keeps the session across a reload of the tab; refuses the printed address a second time and says how to get a new one', async () => {
    const { page } = browser;
    await page.reload(); // F5: the tab's session survives
    await page.getByRole('heading', { name: 'Unlock your vault' }).waitFor();
    expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual(['mindstage.session']);
    // The printed address again, in a new tab (or another browser): refused, with the way forward in words.
    const other = await browser.context.newPage();
    await other.goto(server.url);
    await other.getByRole('heading', { name: 'This address no longer opens Mindstage' }).waitFor();
    await other.getByText(/already been used.*Restart Mindstage to get a new address/).waitFor();
    expect(other.url()).toBe(`http://127.0.0.1:${server.port}/`);
    expect(await other.getByRole('button').count()).toBe(0);
    // The refused tab holds no session, and a reload of it stays refused.
    expect(await other.evaluate(() => sessionStorage.length)).toBe(0);
    await other.reload();
    await other.getByText(/Restart Mindstage to get a new address/).waitFor();
    await other.close();
    // A made-up token is refused too.
    const wrong = await browser.context.newPage();
    await wrong.goto(`http://127.0.0.1:${server.port}/#token=${'A'.repeat(43)}`);
    await wrong.getByText(/not valid.*Restart Mindstage to get a new address/).waitFor();
    await wrong.close();
    expect(await core.invoke('vault.status', {})).toMatchObject({ ok: true, value: { exists: true, unlocked: false } });
    // The first tab still works after all that.
    await page.reload();
    await page.getByRole('heading', { name: 'Unlock your vault' }).waitFor();
  });

  it('loads nothing remote and breaks no CSP rule', () => {
    expect(browser.remoteRequests).toEqual([]);
    expect(cspViolations).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
  });
});
