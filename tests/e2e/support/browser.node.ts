/**
 * Debian's Chromium driven by playwright-core, each test file with a fresh profile in a temp folder (so the
 * canary scan can read Chromium's own storage). With CI=true a missing Chromium fails the run; elsewhere the
 * tests say why they are skipped.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { tempDir } from '../../support/files.node.ts';

export const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const hasChromium = existsSync(chromiumPath);
export const requireChromium = process.env['CI'] === 'true';

export function chromiumMissing(): string | null {
  if (hasChromium) return null;
  if (requireChromium) throw new Error(`Chromium is required with CI=true but was not found at ${chromiumPath}`);
  return `Chromium not found at ${chromiumPath}; end-to-end UI tests skipped`;
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  profileDir: string;
  /** Every request the page made to a host other than 127.0.0.1 (there must be none). */
  remoteRequests: string[];
  pageErrors: string[];
  close(): Promise<void>;
}

export async function launchBrowser(options: { width?: number; height?: number; colorScheme?: 'light' | 'dark' } = {}): Promise<Browser> {
  const profileDir = tempDir('e2e-profile');
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    colorScheme: options.colorScheme ?? 'light',
    acceptDownloads: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  // How long a locator action or wait may take before it fails: it ends a step that will never happen, it does not
  // time one. At load 8 on the 2-core CI machine one step (a core round trip, then a re-render) can pass 15 s, so
  // 60 s; vitest still ends the whole test at 300 s. Tests set no shorter timeout of their own.
  page.setDefaultTimeout(60_000);
  const remoteRequests: string[] = [];
  const pageErrors: string[] = [];
  context.on('request', (r) => {
    const url = new URL(r.url());
    if (!['127.0.0.1', 'localhost'].includes(url.hostname) && !['blob:', 'data:', 'about:'].includes(url.protocol)) remoteRequests.push(r.url());
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return {
    context,
    page,
    profileDir,
    remoteRequests,
    pageErrors,
    close: () => context.close(),
  };
}

export const screenshotDir = join(process.cwd(), 'test-output', 'screenshots');

/**
 * Saves what the page shows, to be looked at, when MINDSTAGE_SCREENSHOTS is set (`npm run screenshots`). No test
 * reads them back, and in `npm test` the 335 PNGs cost ~40 s of CPU, so by default nothing is written.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!process.env['MINDSTAGE_SCREENSHOTS']) return;
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`) });
}

/**
 * Refuses (and records) every request the page makes to a host other than the app itself: what a test of
 * untrusted content checks stays empty, and a link the user chose to open is seen without reaching the network.
 */
export async function refuseRemote(context: BrowserContext): Promise<string[]> {
  const refused: string[] = [];
  await context.route(
    (url) => url.hostname !== '127.0.0.1' && url.protocol !== 'blob:' && url.protocol !== 'data:',
    (route) => {
      refused.push(route.request().url());
      return route.abort('blockedbyclient');
    },
  );
  return refused;
}
