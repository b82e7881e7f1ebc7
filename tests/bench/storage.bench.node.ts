/**
 * Storage performance (issues 2 and 9), each beside a plaintext baseline from the same run: one conversation grown
 * to 1k/10k/50k/100k messages (import with peak RSS in a child process, first screen and whole-conversation open,
 * append median/p99/max, idle RSS of the core), unlocking and listing a 1,000-conversation vault, Argon2id.
 * MINDSTAGE_BENCH_SIZES=1000,10000 runs fewer sizes.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openCore } from '../../electron/core/core.node.ts';
import { callFor } from '../../electron/core/cli/context.node.ts';
import { openDb } from '../../electron/core/store/db.node.ts';
import { createSqliteStorage } from '../../electron/core/store/sqlite-storage.node.ts';
import { unlockVault, UnlockedVault } from '../../electron/core/vault/vault.node.ts';
import { VaultSession, openSession } from '../../electron/core/session.node.ts';
import { writeMeta } from '../../electron/core/docs/conversation-doc.node.ts';
import { listCatalog } from '../../electron/core/docs/catalog.node.ts';
import { newItemId } from '../../electron/core/docs/ids.node.ts';
import { median, percentile, sample, type BenchRow } from './report.node.ts';
import { messageText } from './relay/dataset.node.ts';

const PASS = 'benchmark passphrase';
const SUITE = 'storage';

function dirSize(dir: string): number {
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

function readJsonl(file: string): unknown[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
}

const sizes = (process.env['MINDSTAGE_BENCH_SIZES'] ?? '1000,10000,50000,100000').split(',').map(Number);
const APPENDS = 500;
const k = (n: number) => `${n / 1000}k`;

/** One conversation of n messages as an export file; every 10th message has a second alternative. */
function writeExport(file: string, n: number): string {
  const id = 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0';
  const t0 = 1_790_000_000_000;
  const messages = Array.from({ length: n }, (_, i) => ({
    id: `m${i}`,
    role: i % 2 ? 'character' : 'user',
    createdAt: t0 + i,
    alternatives: Array.from({ length: i % 10 === 9 ? 2 : 1 }, (_, j) => ({ id: `a${i}.${j}`, text: messageText(i + j), createdAt: t0 + i, status: 'complete' })),
    chosen: 0,
  }));
  writeFileSync(file, JSON.stringify({ format: 'mindstage-export', version: 1, exportedAt: new Date(t0).toISOString(), conversations: [{ id, title: 'Long chat', characterIds: [], createdAt: t0, updatedAt: t0, messages }] }));
  return id;
}

function appendChild(dir: string, conv: string): { wall: number[]; cpu: number[]; between: number[] } {
  const out = execFileSync(process.execPath, ['--disable-warning=ExperimentalWarning', join(import.meta.dirname, 'storage-child.node.ts'), 'append', dir, PASS, conv, String(APPENDS)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as { wall: number[]; cpu: number[]; between: number[] };
}

function child(...args: string[]): { ms: number; peakMB: number; rssMB: number; lockMs: number } {
  const out = execFileSync(process.execPath, ['--expose-gc', '--disable-warning=ExperimentalWarning', join(import.meta.dirname, 'storage-child.node.ts'), ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as { ms: number; peakMB: number; rssMB: number; lockMs: number };
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const root = mkdtempSync(join(tmpdir(), 'ms-bench-storage-'));
  try {
    // ---- one conversation at 1k … 100k messages: import, open, append, each beside its plaintext baseline ----
    const appendBase = await sample(2_000, () => appendFileSync(join(root, 'append.jsonl'), `${JSON.stringify({ mes: messageText(7) })}\n`));
    const curve: { n: number; med: number; cpu: number }[] = [];
    let last: { dir: string; conv: string; jsonl: string } | undefined;
    for (const n of sizes) {
      const file = join(root, `export-${n}.json`);
      const conv = writeExport(file, n);
      const dir = join(root, `vault-${n}`);
      const jsonl = join(root, `chat-${n}.jsonl`);
      const imp = child('import', file, dir, PASS);
      const plainImp = child('plain-import', file, jsonl);
      rmSync(file);
      const importTarget = n === 50_000 ? { target: '< 10 s, peak RSS < 600 MB', pass: imp.ms < 10_000 && imp.peakMB < 600 } : n === 100_000 ? { target: '< 20 s', pass: imp.ms < 20_000 } : {};
      rows.push({ suite: SUITE, name: `import ${k(n)}-message conversation (export file)`, value: imp.ms, unit: 'ms', baselineName: 'parse + write plaintext JSONL', baseline: plainImp.ms, ...importTarget });
      rows.push({ suite: SUITE, name: `import ${k(n)}: peak RSS (child process)`, value: imp.peakMB, unit: 'MB', baselineName: 'parse + write JSONL peak', baseline: plainImp.peakMB });

      // Open cold, without the KDF: a fresh session each time (decrypt + verify + decode).
      const db = openDb(dir, { create: false });
      const storage = createSqliteStorage(db);
      const unlocked = unlockVault(storage, PASS);
      const vaultKey = unlocked.vaultKeyForWrap();
      const fresh = () => new VaultSession(storage, new UnlockedVault(unlocked.vaultId, vaultKey.slice()));
      const first = await sample(10, () => {
        if (fresh().conversations.window(conv, 50).messages.length !== 50) throw new Error('wrong window');
      });
      const whole = await sample(n >= 50_000 ? 3 : 7, () => {
        if (fresh().conversations.all(conv).length !== n) throw new Error('wrong message count');
      }, 1);
      const plainRead = await sample(n >= 50_000 ? 3 : 7, () => readJsonl(jsonl), 1);
      const big = n === 100_000;
      rows.push({ suite: SUITE, name: `open ${k(n)}: first screenful (50 messages) ready`, value: median(first), unit: 'ms', baselineName: 'JSONL read+parse (all)', baseline: median(plainRead), ...(big ? { target: '< 50 ms', pass: median(first) < 50 } : {}) });
      rows.push({ suite: SUITE, name: `open ${k(n)}: whole conversation`, value: median(whole), unit: 'ms', baselineName: 'JSONL read+parse', baseline: median(plainRead), ...(big ? { target: '< 10× JSONL', pass: median(whole) < 10 * median(plainRead) } : {}) });
      db.close();

      // Appends through the API, as a chat makes them (each one committed, compaction included when due), in a
      // process of their own as in the app (storage-child.node.ts).
      const { wall: times, cpu, between } = appendChild(dir, conv);
      const med = median(times);
      curve.push({ n, med, cpu: median(cpu) });
      const at1k = curve.find((c) => c.n === 1_000);
      const p99 = percentile(times, 99);
      const max = Math.max(...times);
      rows.push({ suite: SUITE, name: `append at ${k(n)} (median of ${APPENDS})`, value: med, unit: 'ms', baselineName: 'JSONL append', baseline: median(appendBase), ...(big ? { target: '< 1 ms, ≤ 1.5× at 1k', pass: med < 1 && (at1k === undefined || med <= 1.5 * at1k.med) } : {}) });
      rows.push({ suite: SUITE, name: `append at ${k(n)} (p99 / max)`, value: p99, unit: 'ms', baselineName: 'max', baseline: max, ...(big ? { target: 'p99 < 5 ms, max < 50 ms', pass: p99 < 5 && max < 50 } : {}) });
      rows.push({ suite: SUITE, name: `append at ${k(n)}: CPU time (median / p99)`, value: median(cpu), unit: 'ms', baselineName: 'p99', baseline: percentile(cpu, 99) });
      // The turns between appends, where the WAL checkpoint runs (decision 71): how long a command arriving then waits.
      rows.push({ suite: SUITE, name: `between appends at ${k(n)}: longest turn (checkpoints; ${between.filter((b) => b > 5).length} of ${between.length} over 5 ms)`, value: Math.max(...between), unit: 'ms', baselineName: 'p99', baseline: percentile(between, 99) });
      if (last) rmSync(last.dir, { recursive: true, force: true });
      last = { dir, conv, jsonl };
    }
    const first = curve[0];
    if (first && curve.length > 1) {
      // The flat curve in one line: each size's median beside the smallest size's (wall, then CPU time).
      const line = (f: (c: (typeof curve)[number]) => number) => curve.map((c) => `${k(c.n)} ${f(c).toFixed(2)}`).join(' / ');
      process.stderr.write(`append median, wall ms: ${line((c) => c.med)}; CPU ms: ${line((c) => c.cpu)}\n`);
      const top = curve.at(-1)!;
      rows.push({ suite: SUITE, name: `append median curve ${line((c) => c.med)} ms: ${k(top.n)} vs ${k(first.n)} (CPU ${(top.cpu / first.cpu).toFixed(2)}×)`, value: top.med, unit: 'ms', baselineName: `median at ${k(first.n)}`, baseline: first.med, ...(first.n === 1_000 && top.n === 100_000 ? { target: '≤ 1.5× baseline', pass: top.med <= 1.5 * first.med } : {}) });
    }
    if (last) {
      const idle = child('idle', last.dir, PASS, last.conv);
      const emptyIdle = child('empty-idle', join(root, 'empty'), PASS);
      const n = sizes.at(-1)!;
      rows.push({ suite: SUITE, name: `core RSS, ${k(n)}-message vault unlocked and idle`, value: idle.rssMB, unit: 'MB', baselineName: 'same core, empty vault', baseline: emptyIdle.rssMB, ...(n === 100_000 ? { target: '< 200 MB', pass: idle.rssMB < 200 } : {}) });
      // Lock's scrub (memory-reducing collections over the whole heap) grows with what was open: shown, no target.
      rows.push({ suite: SUITE, name: `lock, ${k(n)}-message chat open (memory scrub included)`, value: idle.lockMs, unit: 'ms', baselineName: 'same core, empty vault', baseline: emptyIdle.lockMs });
      rows.push({ suite: SUITE, name: `vault size on disk (${k(n)} messages)`, value: dirSize(last.dir) / 1e6, unit: 'MB', baselineName: 'plaintext JSONL', baseline: statSync(last.jsonl).size / 1e6 });
    }

    // ---- Argon2id -----------------------------------------------------------------------------------------------
    {
      const dir = join(root, 'kdf');
      const core = await openCore({ dataDir: dir });
      await callFor(core)('vault.create', { passphrase: PASS });
      await core.close();
      const db = openDb(dir, { create: false });
      const kdf = await sample(5, () => unlockVault(createSqliteStorage(db), PASS).lock(), 1);
      rows.push({ suite: SUITE, name: 'Argon2id unlock (64 MiB, 3 passes)', value: median(kdf), unit: 'ms' });
      db.close();
    }

    // ---- a vault of 1,000 conversations / 100,000 messages: unlock (after KDF) and list ---------------------
    const bigDir = join(root, 'big');
    const big = await openCore({ dataDir: bigDir });
    await callFor(big)('vault.create', { passphrase: PASS });
    await big.close();
    const bigDb = openDb(bigDir, { create: false });
    const bigStorage = createSqliteStorage(bigDb);
    const bigVault = unlockVault(bigStorage, PASS);
    const bigKey = bigVault.vaultKeyForWrap();
    {
      const s = openSession(bigStorage, new UnlockedVault(bigVault.vaultId, bigKey.slice()));
      const now = Date.now();
      bigStorage.transaction(() => {
        for (let c = 0; c < 1_000; c++) {
          const id = s.createRecord('conversation', `Conversation ${c}`, (doc) => writeMeta(doc, { title: `Conversation ${c}`, createdAt: now }));
          s.conversations.appendMany(id, Array.from({ length: 100 }, (_, m) => ({ id: newItemId(), role: m % 2 ? 'character' : 'user', createdAt: now, chosen: 0, alternatives: [{ id: newItemId(), text: messageText(c * 100 + m), createdAt: now, status: 'complete' }] })));
        }
      });
      s.repo.compactAll();
    }
    const catalogJson = join(root, 'catalog.json');
    writeFileSync(catalogJson, JSON.stringify(Array.from({ length: 1_000 }, (_, c) => ({ id: c, title: `Conversation ${c}`, updatedAt: Date.now() }))));
    const list = await sample(10, () => {
      const s = openSession(bigStorage, new UnlockedVault(bigVault.vaultId, bigKey.slice()));
      if (listCatalog(s.catalog).length !== 1_000) throw new Error('wrong count');
    });
    const listBase = await sample(10, () => JSON.parse(readFileSync(catalogJson, 'utf8')) as unknown);
    rows.push({
      suite: SUITE,
      name: 'unlock (after KDF) + list 1,000 conversations / 100,000 messages',
      value: median(list),
      unit: 'ms',
      baselineName: 'plaintext JSON index read',
      baseline: median(listBase),
      target: '< 300 ms',
      pass: median(list) < 300,
    });
    bigDb.close();

    // Baseline for raw SQLite cost: plaintext row insert in the same WAL configuration.
    const plain = new Database(join(root, 'plain.db'));
    plain.pragma('journal_mode = WAL');
    plain.pragma('synchronous = NORMAL');
    plain.exec('CREATE TABLE m (id INTEGER PRIMARY KEY, body TEXT)');
    const ins = plain.prepare('INSERT INTO m (body) VALUES (?)');
    const plainInsert = await sample(2_000, () => ins.run(messageText(3)));
    rows.push({ suite: SUITE, name: 'plaintext SQLite insert (reference)', value: median(plainInsert), unit: 'ms' });
    plain.close();
    closeSync(openSync(join(root, 'done'), 'w'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return rows;
}
