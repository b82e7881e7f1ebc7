/** Steps a person takes in the UI, shared by the end-to-end tests. */
import type { Page } from 'playwright-core';

/**
 * Opens the app at the URL browser mode printed. The page takes the token out of the address bar, so a second
 * visit to the same URL would only change the fragment (no reload): start from a blank page each time.
 */
export async function openApp(page: Page, url: string): Promise<void> {
  await page.goto('about:blank');
  await page.goto(url);
}

export const PASSPHRASE = 'quiet lantern harbour meadow 47';

/**
 * Age check, vault creation and the recovery key; returns the recovery key shown. `atRecoveryKey` runs while the
 * key is on screen (before it is confirmed as saved), for tests of that screen.
 */
export async function onboard(page: Page, passphrase = PASSPHRASE, atRecoveryKey?: (key: string) => Promise<void>): Promise<string> {
  await page.getByLabel('Your date of birth').fill('1990-04-12');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.getByLabel('Confirm passphrase').fill(passphrase);
  await page.getByText(/Strong|Very strong/).waitFor();
  await page.getByRole('button', { name: 'Create vault' }).click();
  const key = page.getByLabel('Recovery key', { exact: true });
  await key.waitFor({ timeout: 60_000 });
  const recoveryKey = (await key.textContent())!.trim();
  await atRecoveryKey?.(recoveryKey);
  await page.getByLabel('I have saved my recovery key somewhere safe').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('tab', { name: /Characters/ }).waitFor();
  return recoveryKey;
}

export async function unlock(page: Page, passphrase = PASSPHRASE): Promise<void> {
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.getByRole('button', { name: 'Unlock' }).click();
}

export async function lock(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Lock vault' }).click();
  await page.getByRole('heading', { name: 'Unlock your vault' }).waitFor();
}

/**
 * Goes to a screen from the main navigation, as a person would at any window size: below 720 px the navigation
 * is folded into a Menu button, which is opened first.
 */
export async function navTo(page: Page, name: string): Promise<void> {
  const menu = page.getByRole('button', { name: 'Menu', exact: true });
  if ((await menu.isVisible()) && (await menu.getAttribute('aria-expanded')) !== 'true') await menu.click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name, exact: true }).click();
}

/** Answers the app's own confirmation dialog (not the browser's): returns what it said. */
export async function answerDialog(page: Page, answer: 'confirm' | 'cancel'): Promise<string> {
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  const said = await dialog.innerText();
  await (answer === 'cancel' ? dialog.getByRole('button', { name: 'Cancel', exact: true }) : dialog.locator('.dialog-actions button').last()).click();
  await dialog.waitFor({ state: 'detached' });
  return said;
}
