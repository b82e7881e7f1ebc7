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
import { tempDir } from '../support/files.node.ts';

const PASS = 'crash test passphrase';
const writer = fileURLToPath(new URL('./writer.node.ts', import.meta.url));
const KILLS = 15;

/** Starts the writer, lets it write for `ms` after it is ready, kills it, and returns the ids it reported. */
function runAndKill(dir: string, conversationId: string, ms: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', writer, dir, conversationId, PASS], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!timer && out.startsWith('ready\n')) timer = setTimeout(() => child.kill('SIGKILL'), ms);
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
  it(`loses nothing committed across ${KILLS} SIGKILLs at random moments`, { timeout: 180_000 }, async () => {
    const dir = tempDir('crash');
    let core = await openCore({ dataDir: dir });
    let call = callFor(core);
    await call('vault.create', { passphrase: PASS });
    const { id } = await call('conversation.create', { title: 'crash' });
    await core.close();

    const committed: string[] = [];
    for (let k = 0; k < KILLS; k++) {
      committed.push(...(await runAndKill(dir, id, 50 + Math.floor(Math.random() * 350))));

      const db = new Database(dbPath(dir), { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();

      core = await openCore({ dataDir: dir });
      call = callFor(core);
      await call('vault.unlock', { passphrase: PASS });
      const present = new Set((await call('conversation.get', { id })).messages.map((m) => m.id));
      const missing = committed.filter((m) => !present.has(m));
      expect(missing, `after kill ${k + 1}`).toEqual([]);
      await core.close();
    }
    // The writer really was writing (and compacting) when it died.
    expect(committed.length).toBeGreaterThan(KILLS * 10);
  });
});
