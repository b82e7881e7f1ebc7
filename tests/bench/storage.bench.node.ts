/**
 * Issue 2 performance: opening a 10,000-message conversation, unlocking and listing a 1,000-conversation vault,
 * appending one message, Argon2id, and size on disk — each beside its plaintext baseline.
 */
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
import { readConversation } from '../../electron/core/api/conversation-handlers.node.ts';
import { appendMessage } from '../../electron/core/docs/conversation-doc.node.ts';
import { listCatalog } from '../../electron/core/docs/catalog.node.ts';
import { newItemId } from '../../electron/core/docs/ids.node.ts';
import { median, percentile, sample, type BenchRow } from './report.node.ts';
import { messageText } from './relay/dataset.node.ts';

const PASS = 'benchmark passphrase';
const SUITE = 'storage';

function dirSize(dir: string): number {
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

/** SillyTavern-style JSONL: one JSON object per message. */
function writeJsonl(file: string, n: number): void {
  const lines = [JSON.stringify({ user_name: 'You', character_name: 'Mira', create_date: new Date().toISOString() })];
  for (let i = 0; i < n; i++) {
    lines.push(JSON.stringify({ name: i % 2 ? 'Mira' : 'You', is_user: i % 2 === 0, send_date: Date.now(), mes: messageText(i), swipes: [messageText(i)], swipe_id: 0 }));
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

function readJsonl(file: string): unknown[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const root = mkdtempSync(join(tmpdir(), 'ms-bench-storage-'));
  try {
    // ---- a 10,000-message conversation, written through the API as a user's chat would be -------------------
    const dir = join(root, 'vault');
    const core = await openCore({ dataDir: dir });
    const call = callFor(core);
    await call('vault.create', { passphrase: PASS });
    const { id: conv } = await call('conversation.create', { title: 'Long chat' });
    const appendTimes: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const t = performance.now();
      await call('conversation.addMessage', { id: conv, role: i % 2 ? 'character' : 'user', text: messageText(i) });
      appendTimes.push(performance.now() - t);
    }
    await core.close();

    const jsonl = join(root, 'chat.jsonl');
    writeJsonl(jsonl, 10_000);

    // Baseline for appends: one plaintext JSONL line appended (no fsync, like our WAL commits).
    const appendBase = await sample(2_000, () => appendFileSync(join(root, 'append.jsonl'), `${JSON.stringify({ mes: messageText(7) })}\n`));
    rows.push({ suite: SUITE, name: 'append one message (median)', value: median(appendTimes), unit: 'ms', baselineName: 'JSONL append', baseline: median(appendBase), target: '< 2 ms', pass: median(appendTimes) < 2 });
    rows.push({ suite: SUITE, name: 'append one message (p99)', value: percentile(appendTimes, 99), unit: 'ms', baselineName: 'JSONL append p99', baseline: percentile(appendBase, 99) });

    // ---- Argon2id, then open the conversation cold (decrypt + verify + Yjs decode + build messages) ----------
    const db = openDb(dir, { create: false });
    const storage = createSqliteStorage(db);
    const kdf = await sample(5, () => unlockVault(storage, PASS).lock(), 1);
    rows.push({ suite: SUITE, name: 'Argon2id unlock (64 MiB, 3 passes)', value: median(kdf), unit: 'ms' });

    const unlocked = unlockVault(storage, PASS);
    const vaultKey = unlocked.vaultKeyForWrap();
    const freshVault = () => new UnlockedVault(unlocked.vaultId, vaultKey.slice());
    const open = await sample(15, () => {
      const s = new VaultSession(storage, freshVault());
      const c = readConversation(s, conv);
      if (c.messages.length !== 10_000) throw new Error('wrong message count');
    });
    const base = await sample(15, () => readJsonl(jsonl));
    const ratio = median(open) / median(base);
    rows.push({
      suite: SUITE,
      name: 'open 10,000-message conversation',
      value: median(open),
      unit: 'ms',
      baselineName: 'plaintext JSONL read+parse',
      baseline: median(base),
      target: '< 150 ms and ≤ 3× JSONL',
      pass: median(open) < 150 && ratio <= 3,
    });
    rows.push({ suite: SUITE, name: 'vault size on disk (10,000 messages)', value: dirSize(dir) / 1e6, unit: 'MB', baselineName: 'plaintext JSONL', baseline: statSync(jsonl).size / 1e6 });
    db.close();

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
          s.createRecord('conversation', `Conversation ${c}`, (doc) => {
            for (let m = 0; m < 100; m++) appendMessage(doc, { id: newItemId(), role: m % 2 ? 'character' : 'user', createdAt: now, alt: { id: newItemId(), text: messageText(c * 100 + m), createdAt: now } });
          });
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
