/**
 * Two audits of whatever screen is showing: the words a person reads (no CLI command, no file-format chunk name,
 * no hex key, no sync-protocol state), and axe-core's accessibility rules (no serious or critical violation).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/** What must never reach the screen, each with what it is. */
export const forbiddenText: [RegExp, string][] = [
  [/\bmindstage\s+(init|web|sync|provider|devices?|wipe|pair|unlock|lock|recover|export|import|chat|status|character|records?)\b/, 'a CLI command'], // lower case: the brand beside a heading is not a command
  [/\bnpm\s+(start|run|install)\b/i, 'a CLI command'],
  [/(^|\s)--[a-z][a-z-]{2,}/, 'a command-line flag'],
  [/\b(chara|ccv3|tEXt|iTXt|zTXt|eXIf)\b/, 'a file-format chunk name'],
  [/\b[0-9a-f]{32,}\b/i, 'a hex key or id'],
  [/waiting for earlier changes|quarantin|outbox|tombstone|envelope|nonce|cursor|epoch|hash chain|sequence number/i, 'a protocol state'],
];

/** Each forbidden pattern found in the page's visible text (and in its controls' accessible names). */
export async function forbiddenWords(page: Page): Promise<string[]> {
  const text = await page.evaluate(() => {
    const names = [...document.querySelectorAll('[aria-label], [title], [placeholder]')].map(
      (el) => `${el.getAttribute('aria-label') ?? ''} ${el.getAttribute('title') ?? ''} ${el.getAttribute('placeholder') ?? ''}`,
    );
    return `${document.body.innerText}\n${names.join('\n')}`;
  });
  const found: string[] = [];
  for (const [pattern, what] of forbiddenText) {
    const m = pattern.exec(text);
    if (m) found.push(`${what}: "${text.slice(Math.max(0, m.index - 30), m.index + m[0].length + 30).replace(/\s+/g, ' ').trim()}"`);
  }
  return found;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core in the page (evaluated through the DevTools protocol, which the page's CSP does not govern) and
 * returns each serious or critical violation with the elements it names.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const results = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 4).map((n) => n.target.join(' ')) }));
  });
  return results.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id} (${v.help}): ${v.targets.join(', ')}`);
}

const controlRoles = 'button|link|textbox|searchbox|combobox|listbox|checkbox|radio|switch|slider|spinbutton|tab|menuitem';

/**
 * Controls a screen reader user could not tell apart: two with the same accessible name and role, or one with no
 * name. Read from the page's accessibility tree (Playwright's ARIA snapshot), so hidden controls do not count.
 */
export async function sameNames(page: Page): Promise<string[]> {
  const snapshot = await page.locator('body').ariaSnapshot();
  const seen = new Map<string, number>();
  const problems: string[] = [];
  // A name is quoted, or (when it holds numbers) written as the pattern Playwright would match it with.
  const line = new RegExp(`^\\s*- (${controlRoles})(?=[\\s:]|$)(?: "((?:[^"\\\\]|\\\\.)*)"| (/(?:[^/\\\\]|\\\\.)*/))?`);
  for (const l of snapshot.split('\n')) {
    const m = line.exec(l);
    if (!m) continue;
    const name = m[2] ?? m[3] ?? '';
    if (!name.trim()) problems.push(`a ${m[1]} without a name`);
    else seen.set(`${m[1]} "${name}"`, (seen.get(`${m[1]} "${name}"`) ?? 0) + 1);
  }
  for (const [control, n] of seen) if (n > 1) problems.push(`${n} × ${control}`);
  return problems;
}
