/**
 * Issue 9, the chat view in Chromium (browser mode, the real renderer over the token WebSocket), with conversations
 * of 10 (the baseline), 1,000, 10,000, 50,000 and 100,000 messages:
 *  - opening a conversation → its last message visible (click to paint), the first time after unlock and again;
 *  - Send → the first token on screen, counted from the moment the fake provider wrote that token (one clock: both
 *    sides read performance.timeOrigin + performance.now()), and Send → that first byte (the provider's own side);
 *  - main-thread work while 500 tokens stream: long tasks (PerformanceObserver 'longtask') and the p95 gap between
 *    animation frames.
 * Every figure sits beside the same figure for the 10-message conversation, measured in the same run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { openCore } from '../../electron/core/core.node.ts';
import { callFor } from '../../electron/core/cli/context.node.ts';
import { startWebServer } from '../../electron/core/web/server.node.ts';
import { openDb } from '../../electron/core/store/db.node.ts';
import { createSqliteStorage } from '../../electron/core/store/sqlite-storage.node.ts';
import { unlockVault } from '../../electron/core/vault/vault.node.ts';
import { openSession } from '../../electron/core/session.node.ts';
import { newItemId } from '../../electron/core/docs/ids.node.ts';
import { buildRenderer } from '../e2e/support/renderer-build.node.ts';
import { chromiumPath } from '../e2e/support/browser.node.ts';
import { startFakeOpenAI } from '../support/fake-openai.node.ts';
import { median, percentile, sample, type BenchRow } from './report.node.ts';
import { messageText } from './relay/dataset.node.ts';

const SUITE = 'ui';
const PASS = 'benchmark passphrase';
/** MINDSTAGE_BENCH_UI_SIZES=10,10000 runs fewer (10 and 10,000 are always needed: the baseline and the targets). */
const SIZES = [...new Set([10, 10_000, ...(process.env['MINDSTAGE_BENCH_UI_SIZES'] ?? '1000,50000,100000').split(',').map(Number)])].sort((a, b) => a - b);
/** Opened once before measuring, so the first measured open does not pay for the page's own first render of a chat. */
const WARM_UP = 5;
const STREAM_TOKENS = 500;
const TOKEN_SPACING_MS = 10;
const SENDS = 3;
const OPENS = 3;

const title = (n: number) => `Chat of ${n}`;
const lastLine = (n: number) => `Last line of ${n}.`;

/** Writes each conversation's history straight into the vault as segments (one batch each), before the core opens it. */
async function seed(dataDir: string): Promise<void> {
  const core = await openCore({ dataDir });
  const call = callFor(core);
  await call('vault.create', { passphrase: PASS });
  const { id: character } = await call('character.create', { name: 'Mira', description: '{{char}} keeps the lighthouse.' });
  const ids = new Map<number, string>();
  for (const n of [WARM_UP, ...SIZES]) ids.set(n, (await call('conversation.create', { title: title(n), characterIds: [character] })).id);
  await core.close();

  const db = openDb(dataDir, { create: false });
  const storage = createSqliteStorage(db);
  const s = openSession(storage, unlockVault(storage, PASS));
  const now = Date.now();
  for (const [n, id] of ids) {
    // Written as the app stores conversations now (segments), so opening measures opening, not a migration.
    const list = Array.from({ length: n }, (_, i) => ({
      id: newItemId(),
      role: i % 2 ? ('character' as const) : ('user' as const),
      ...(i % 2 ? { authorId: character } : {}),
      createdAt: now + i,
      chosen: 0,
      alternatives: [{ id: newItemId(), text: i === n - 1 ? lastLine(n) : messageText(i), createdAt: now + i, status: 'complete' as const }],
    }));
    s.conversations.appendMany(id, list);
  }
  s.repo.compactAll();
  s.close();
  db.close();
}

/** Clicks "Open <title>" and resolves, in the page, when the last message is on screen and painted. */
async function timeOpen(page: Page, n: number): Promise<number> {
  await page.getByRole('tab', { name: /Characters/ }).click();
  await page.getByRole('tab', { name: /Conversations/ }).click();
  const button = await page.getByRole('button', { name: `Open ${title(n)}`, exact: true }).elementHandle();
  const ms = await page.evaluate(
    async ({ button, text }) => {
      const visible = () => {
        const log = document.querySelector('[role="log"]');
        if (!log) return false;
        const box = log.getBoundingClientRect();
        for (const el of log.querySelectorAll('article')) {
          if (!el.textContent?.includes(text)) continue;
          const r = el.getBoundingClientRect();
          if (r.bottom > box.top && r.top < box.bottom) return true;
        }
        return false;
      };
      const t0 = performance.now();
      (button as HTMLElement).click();
      await new Promise<void>((resolve) => {
        const check = () => (visible() ? resolve() : requestAnimationFrame(check));
        requestAnimationFrame(check);
      });
      // The frame that shows it.
      await new Promise((r) => requestAnimationFrame(r));
      return performance.now() - t0;
    },
    { button, text: lastLine(n) },
  );
  await page.getByRole('button', { name: '← Library' }).click();
  return ms;
}

interface StreamRun {
  /** Send click → fake provider wrote the first token. */
  sendToFirstByte: number;
  /** Fake provider wrote the first token → it was painted. */
  firstByteToScreen: number;
  longTasks: number[];
  frameGaps: number[];
}

async function timeStream(page: Page, n: number, ai: Awaited<ReturnType<typeof startFakeOpenAI>>, round: number): Promise<StreamRun> {
  await page.getByRole('tab', { name: /Characters/ }).click();
  await page.getByRole('tab', { name: /Conversations/ }).click();
  await page.getByRole('button', { name: `Open ${title(n)}`, exact: true }).click();
  await page.getByText(lastLine(n)).waitFor();
  const marker = `Firsttoken${round}x${n}`;
  let firstByteAt = 0;
  ai.script({
    tokenDelayMs: TOKEN_SPACING_MS,
    emptyChoicesEvery: 0,
    tokens: (i) => {
      if (i >= STREAM_TOKENS) return null;
      if (i === 0) firstByteAt = performance.timeOrigin + performance.now();
      return i === 0 ? `${marker} ` : `word${i} `;
    },
  });
  await page.getByLabel('Your message').fill(`Round ${round}: tell me about the lamp.`);
  const measured = page.evaluate(
    async ({ marker }) => {
      const longTasks: number[] = [];
      const frameGaps: number[] = [];
      const obs = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) longTasks.push(e.duration);
      });
      obs.observe({ type: 'longtask' });
      const log = document.querySelector('[role="log"]')!;
      const sentAt = performance.timeOrigin + performance.now();
      const button = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Send')!;
      button.click();
      const shownAt = await new Promise<number>((resolve) => {
        const mo = new MutationObserver(() => {
          if (!log.textContent?.includes(marker)) return;
          mo.disconnect();
          requestAnimationFrame(() => resolve(performance.timeOrigin + performance.now()));
        });
        mo.observe(log, { childList: true, subtree: true, characterData: true });
      });
      // Frames until the reply is done (Send is offered again).
      await new Promise<void>((resolve) => {
        let last = performance.now();
        const frame = () => {
          const now = performance.now();
          frameGaps.push(now - last);
          last = now;
          const idle = [...document.querySelectorAll('button')].some((b) => b.textContent?.trim() === 'Send');
          if (idle) resolve();
          else requestAnimationFrame(frame);
        };
        requestAnimationFrame(frame);
      });
      obs.disconnect();
      return { sentAt, shownAt, longTasks, frameGaps };
    },
    { marker },
  );
  const r = await measured;
  await page.getByRole('button', { name: '← Library' }).click();
  return { sendToFirstByte: firstByteAt - r.sentAt, firstByteToScreen: r.shownAt - firstByteAt, longTasks: r.longTasks, frameGaps: r.frameGaps };
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const root = mkdtempSync(join(tmpdir(), 'ms-bench-ui-'));
  const dataDir = join(root, 'vault');
  const rendererDir = await buildRenderer();
  await seed(dataDir);
  const ai = await startFakeOpenAI({ model: 'fake-model' });
  const core = await openCore({ dataDir });
  const call = callFor(core);
  await call('vault.unlock', { passphrase: PASS });
  await call('provider.add', { name: 'fake', baseUrl: ai.baseUrl, model: 'fake-model', maxTokens: 4096 });
  const server = await startWebServer({ core, rendererDir });
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(120_000);
    await page.goto(server.url);
    await page.getByRole('tab', { name: /Conversations/ }).waitFor();

    // ---- opening ------------------------------------------------------------------------------------------
    await timeOpen(page, WARM_UP);
    const opens = new Map<number, { first: number; again: number }>();
    for (const n of SIZES) {
      const first = await timeOpen(page, n);
      const again: number[] = [];
      for (let i = 0; i < OPENS; i++) again.push(await timeOpen(page, n));
      opens.set(n, { first, again: median(again) });
    }
    const base = opens.get(10)!;
    // The core's part of opening: the window call in process, the document already loaded.
    const list = await call('records.list', { kind: 'conversation' });
    const inCore = new Map<number, number>();
    for (const n of SIZES) {
      const id = list.find((e) => e.title === title(n))!.id;
      inCore.set(n, median(await sample(7, () => call('conversation.window', { id, limit: 100 }))));
    }
    for (const n of SIZES) {
      const o = opens.get(n)!;
      const label = n.toLocaleString('en');
      const target = n === 10_000 ? '< 300 ms' : undefined;
      rows.push({ suite: SUITE, name: `open ${label}-message chat → last message visible (first after unlock)`, value: o.first, unit: 'ms', baselineName: '10 messages', baseline: base.first, ...(target ? { target, pass: o.first < 300 } : {}) });
      rows.push({ suite: SUITE, name: `open ${label}-message chat → last message visible (again, median of ${OPENS})`, value: o.again, unit: 'ms', baselineName: '10 messages', baseline: base.again, ...(target ? { target, pass: o.again < 300 } : {}) });
      rows.push({ suite: SUITE, name: `  of which the core: conversation.window of the newest 100 (${label})`, value: inCore.get(n)!, unit: 'ms', baselineName: '10 messages', baseline: inCore.get(10)! });
    }

    // ---- sending and streaming ----------------------------------------------------------------------------
    const streams = new Map<number, StreamRun[]>();
    for (const n of [10, 10_000]) {
      const runs: StreamRun[] = [];
      for (let r = 0; r < SENDS; r++) runs.push(await timeStream(page, n, ai, r));
      streams.set(n, runs);
    }
    const stat = (n: number, f: (r: StreamRun) => number) => median(streams.get(n)!.map(f));
    const all = (n: number, f: (r: StreamRun) => number[]) => streams.get(n)!.flatMap(f);
    const firstToScreen = stat(10_000, (r) => r.firstByteToScreen);
    rows.push({ suite: SUITE, name: `10,000: provider's first byte → first token on screen (median of ${SENDS})`, value: firstToScreen, unit: 'ms', baselineName: '10 messages', baseline: stat(10, (r) => r.firstByteToScreen), target: '< 50 ms', pass: firstToScreen < 50 });
    rows.push({ suite: SUITE, name: "10,000: Send → provider's first byte (median)", value: stat(10_000, (r) => r.sendToFirstByte), unit: 'ms', baselineName: '10 messages', baseline: stat(10, (r) => r.sendToFirstByte) });
    const gaps = all(10_000, (r) => r.frameGaps);
    const p95gap = percentile(gaps, 95);
    rows.push({ suite: SUITE, name: `10,000: frame gap while ${STREAM_TOKENS} tokens stream (p95)`, value: p95gap, unit: 'ms', baselineName: '10 messages', baseline: percentile(all(10, (r) => r.frameGaps), 95), target: 'no main-thread task > 50 ms (p95)', pass: p95gap < 50 });
    const long = all(10_000, (r) => r.longTasks);
    const longBase = all(10, (r) => r.longTasks);
    rows.push({ suite: SUITE, name: `10,000: long tasks (> 50 ms) while ${STREAM_TOKENS} tokens stream, ${SENDS} replies`, value: long.length, unit: 'count', baselineName: '10 messages', baseline: longBase.length });
    rows.push({ suite: SUITE, name: '10,000: longest main-thread task while streaming', value: long.length ? Math.max(...long) : 0, unit: 'ms', baselineName: '10 messages', baseline: longBase.length ? Math.max(...longBase) : 0 });
    return rows;
  } finally {
    await browser.close();
    await server.close();
    await core.close();
    await ai.close();
    rmSync(root, { recursive: true, force: true });
  }
}
