/**
 * Onboarding, lock and unlock, and recovery, driven in Chromium against browser mode as a person would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchBrowser, screenshot, type Browser } from './support/browser.node.ts';
import { startBrowserMode, type BrowserMode } from './support/app.node.ts';
import { PASSPHRASE, lock, openApp, unlock } from './support/flows.node.ts';

const skip = chromiumMissing();

describe.skipIf(skip !== null)(`onboarding, lock and unlock in browser mode${skip ? ` (${skip})` : ''}`, () => {
  let app: BrowserMode;
  let browser: Browser;

  beforeAll(async () => {
    app = await startBrowserMode();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('refuses anyone under 18 and says why, saving nothing', async () => {
    const { page } = browser;
    await openApp(page, app.url);
    await page.getByRole('heading', { name: 'Welcome' }).waitFor();
    await screenshot(page, 'onboarding-age');
    const today = new Date();
    const seventeen = `${today.getFullYear() - 17}-${String(today.getMonth() + 1).padStart(2, '0')}-${String(today.getDate()).padStart(2, '0')}`;
    await page.getByLabel('Your date of birth').fill(seventeen);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('heading', { name: 'Mindstage is for adults' }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/18 or older/);
    await screenshot(page, 'onboarding-underage');
    // No way forward from the refusal, and no vault was created.
    await expect(page.getByRole('button').count()).resolves.toBe(0);
    await expect(app.core.invoke('vault.status', {})).resolves.toMatchObject({ ok: true, value: { exists: false } });
  });

  it('creates a vault only with a strong, confirmed passphrase and shows the recovery key once', async () => {
    const { page } = browser;
    await openApp(page, app.url);
    await page.getByLabel('Your date of birth').fill('1988-02-29');
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.getByLabel('Passphrase', { exact: true }).fill('password1');
    await page.getByLabel('Confirm passphrase').fill('password1');
    await page.getByText(/Very weak|Weak/).waitFor();
    await page.getByRole('button', { name: 'Create vault' }).click();
    await page.getByText('Choose a stronger passphrase').waitFor();

    await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
    await page.getByLabel('Confirm passphrase').fill(`${PASSPHRASE}x`);
    await page.getByRole('button', { name: 'Create vault' }).click();
    await page.getByText('The two passphrases are not the same.').waitFor();
    await screenshot(page, 'onboarding-create');

    await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
    await page.getByLabel('Confirm passphrase').fill(PASSPHRASE);
    await page.getByText(/Strong|Very strong/).waitFor();
    await page.getByRole('button', { name: 'Create vault' }).click();
    const key = page.getByLabel('Recovery key', { exact: true });
    await key.waitFor({ timeout: 60_000 });
    // The passphrase fields are gone and hold nothing once submitted.
    await expect(page.locator('input[type=password]').count()).resolves.toBe(0);
    const recoveryKey = (await key.textContent())!.trim();
    expect(recoveryKey.length).toBeGreaterThan(20);
    await screenshot(page, 'onboarding-recovery-key');

    const proceed = page.getByRole('button', { name: 'Continue' });
    await expect(proceed.isDisabled()).resolves.toBe(true);
    await page.getByLabel('I have saved my recovery key somewhere safe').check();
    await proceed.click();
    await page.getByRole('tab', { name: /Characters/ }).waitFor();
    await screenshot(page, 'library-empty');
    await expect(page.getByText(recoveryKey).count()).resolves.toBe(0);
    recovery = recoveryKey;
  });

  let recovery = '';

  it('locks by hand, refuses a wrong passphrase clearly, and unlocks', async () => {
    const { page } = browser;
    await lock(page);
    await unlock(page, 'not the passphrase at all');
    await page.getByText('That passphrase is not right.').waitFor();
    await expect(page.getByLabel('Passphrase', { exact: true }).inputValue()).resolves.toBe('');
    await screenshot(page, 'unlock-wrong-passphrase');
    await unlock(page);
    await page.getByRole('tab', { name: /Characters/ }).waitFor();
  });

  it('drops everything on screen when the core locks (vault.locked event)', async () => {
    const { page } = browser;
    await page.getByRole('tab', { name: /Personas/ }).click();
    await page.getByRole('button', { name: 'New persona' }).click();
    await page.getByLabel('Name').fill('Wren');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('All changes saved').waitFor();
    await app.core.invoke('vault.lock', {});
    await page.getByRole('heading', { name: 'Unlock your vault' }).waitFor();
    await expect(page.getByText('Wren').count()).resolves.toBe(0);
  });

  it('recovers with the recovery key and a new passphrase', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Forgot your passphrase?' }).click();
    await page.getByLabel('Recovery key', { exact: true }).fill('AAAA-BBBB-CCCC-DDDD');
    const next = 'violet compass tundra ember 93';
    await page.getByLabel('New passphrase', { exact: true }).fill(next);
    await page.getByLabel('Confirm new passphrase').fill(next);
    await page.getByText(/Strong|Very strong/).waitFor();
    await page.getByRole('button', { name: 'Recover and unlock' }).click();
    await page.getByRole('alert').waitFor();
    await screenshot(page, 'recover');
    await page.getByLabel('Recovery key', { exact: true }).fill(recovery);
    await page.getByLabel('New passphrase', { exact: true }).fill(next);
    await page.getByLabel('Confirm new passphrase').fill(next);
    await page.getByText(/Strong|Very strong/).waitFor();
    await page.getByRole('button', { name: 'Recover and unlock' }).click();
    await page.getByRole('tab', { name: /Characters/ }).waitFor();
    await lock(page);
    await unlock(page, next);
    await page.getByRole('tab', { name: /Characters/ }).waitFor();
  });

  it('locks by itself after the idle time chosen in Settings', async () => {
    const { page } = browser;
    // The page's clock, under the test's control: minutes of idleness pass in an instant.
    await page.clock.install();
    await openApp(page, app.url);
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByLabel('Lock after inactivity').selectOption('1');
    await expect.poll(async () => {
      const r = await app.core.invoke('settings.get', {});
      return r.ok ? r.value.idleLockMinutes : -1;
    }).toBe(1);
    await page.clock.fastForward('00:40');
    await page.waitForTimeout(500); // a lock would need a round trip to the core; give it one
    await expect(page.getByRole('heading', { name: 'Settings' }).isVisible()).resolves.toBe(true);
    await page.clock.fastForward('00:30');
    await page.getByRole('heading', { name: 'Unlock your vault' }).waitFor();
    await page.getByText('Locked after a period without activity.').waitFor();
    await screenshot(page, 'unlock-after-idle');
    await expect(app.core.invoke('vault.status', {})).resolves.toMatchObject({ ok: true, value: { unlocked: false } });
    expect(browser.remoteRequests).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
  });
});
