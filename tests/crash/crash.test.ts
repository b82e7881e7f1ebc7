/**
 * Crash safety: a writer process is killed with SIGKILL at random moments, many times. After each kill the file
 * passes PRAGMA integrity_check, the vault unlocks, and every message the writer reported as committed is there.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openCore } from '../../electron/core/core.node.ts';
import { callFor } from '../../electron/core/cli/context.node.ts';
import { dbPath } from '../../electron/core/store/db.node.ts';
import type { KekAhead } from '../../electron/core/vault/vault.node.ts';
import { tempDir } from '../support/files.node.ts';
import { folderKek, kekMemo } from '../support/kek-memo.node.ts';

const PASS = 'crash test passphrase';
const writer = fileURLToPath(new URL('./writer.node.ts', import.meta.url));
const KILLS = 15;

/**
 * Starts the writer and kills it once it has reported `count` committed messages, while it goes on writing: the
 * kill lands at a random point of a write or a compaction. Counting commits instead of waiting a fixed time keeps
 * the test the same on a loaded machine. Returns the ids it reported.
 */
function runAndKill(dir: string, conversationId: string, count: number, kek: KekAhead): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', writer, dir, conversationId, PASS], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Argon2id once in this file (the parent's memo) instead of once per round in each writer.
      env: { ...process.env, ...folderKek(kek, dir, PASS) },
    });
    let out = '';
    let err = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      // "ready" plus `count` complete lines.
      if (!killed && out.split('\n').length - 2 >= count) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`writer exited on its own: ${err}`));
      // Only complete lines were reported; a partly written last line was not.
      const lines = out.split('\n');
      lines.pop();
      resolve(lines.slice(1));
    });
  });
}

describe('crash safety', () => {
  it(`loses nothing committed across ${KILLS} SIGKILLs at random moments`, async () => {
    const dir = tempDir('crash');
    let core = await openCore({ dataDir: dir });
    let call = callFor(core);
    await call('vault.create', { passphrase: PASS });
    const { id } = await call('conversation.create', { title: 'crash' });
    await core.close();

    const committed: string[] = [];
    const kek = kekMemo();
    for (let k = 0; k < KILLS; k++) {
      // 10–40 commits a round: ~375 over the rounds, past the compaction interval (300 updates), so the
      // conversation is also compacted along the way, as the old time-based version relied on.
      committed.push(...(await runAndKill(dir, id, 10 + Math.floor(Math.random() * 31), kek)));

      const db = new Database(dbPath(dir), { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();

      // The same passphrase and header every round: Argon2id once (support/kek-memo.node.ts), the rest of unlock each time.
      core = await openCore({ dataDir: dir, kekAhead: kek });
      call = callFor(core);
      await call('vault.unlock', { passphrase: PASS });
      const present = new Set((await call('conversation.get', { id })).messages.map((m) => m.id));
      const missing = committed.filter((m) => !present.has(m));
      expect(missing, `after kill ${k + 1}`).toEqual([]);
      await core.close();
    }
  });
});
