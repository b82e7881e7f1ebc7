/**
 * One Mindstage process per data folder: a second core (or the CLI while the app has the folder open) is refused with
 * a clear "busy" error and changes nothing; a lock left by a process that died is taken over.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openCore } from '../../electron/core/core.node.ts';
import { callFor } from '../../electron/core/cli/context.node.ts';
import { LOCK_FILE } from '../../electron/core/store/folder-lock.node.ts';
import { runCli } from '../support/cli.node.ts';
import { listFiles, tempDir } from '../support/files.node.ts';

const PASS = 'folder lock passphrase';
const snapshotFiles = (dir: string) => Object.fromEntries(listFiles(dir).map((f) => [f, createHash('sha256').update(readFileSync(f)).digest('hex')]));

it('a second core on the same folder is refused until the first closes', async () => {
  const dir = tempDir('lock');
  const first = await openCore({ dataDir: dir });
  await callFor(first)('vault.create', { passphrase: PASS });
  expect(existsSync(join(dir, LOCK_FILE))).toBe(true);

  const second = await openCore({ dataDir: dir });
  const refused = await second.invoke('vault.unlock', { passphrase: PASS });
  expect(refused.ok ? null : refused.error).toMatchObject({ code: 'busy', message: expect.stringContaining('in use by another Mindstage') });

  // The CLI meets the same refusal while the app holds the folder, and leaves every file as it was.
  const before = snapshotFiles(dir);
  const cli = runCli(['--data', dir, 'character', 'list'], { env: { MINDSTAGE_PASSPHRASE: PASS } });
  expect(cli.code).toBe(1);
  expect(cli.stderr).toMatch(/in use by another Mindstage \(process \d+ has it open\)/);
  expect(snapshotFiles(dir)).toEqual(before);

  await first.close();
  expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  const unlocked = await second.invoke('vault.unlock', { passphrase: PASS });
  expect(unlocked.ok).toBe(true);
  await second.close();
});

it('a lock left by a process that died is taken over', async () => {
  const dir = tempDir('lock-stale');
  const core = await openCore({ dataDir: dir });
  await callFor(core)('vault.create', { passphrase: PASS });
  await core.close();
  const dead = spawnSync(process.execPath, ['-e', '']).pid!;
  writeFileSync(join(dir, LOCK_FILE), String(dead));

  const r = runCli(['--data', dir, 'character', 'create', '--name', 'After a crash'], { env: { MINDSTAGE_PASSPHRASE: PASS } });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
});
