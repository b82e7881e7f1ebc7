// The folder lock on its own (the same through two cores and the CLI: tests/core/folder-lock.test.ts): the file it
// writes, refusing a live owner, taking over a dead one's lock, and releasing once.
import { spawnSync } from 'node:child_process';
import type * as NodeFs from 'node:fs';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { refusal } from '../../../tests/support/refusal.node.ts';
import { tempDir } from '../../../tests/support/files.node.ts';
import { acquireFolderLock, folderLockOwner, LOCK_FILE, processAlive } from './folder-lock.node.ts';

function busy(run: () => unknown): string {
  const e = refusal(run);
  expect(e.code).toBe('busy');
  return e.message;
}

const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

// node:fs as it is, except that a test can run something once from inside the next writeSync (the moment a process
// writing its lock can be descheduled for long on a loaded machine), or have the next linkSync fail as it does on a
// file system without hard links.
const fsHook = vi.hoisted(() => ({ beforeWrite: null as null | (() => void), linkError: null as null | string }));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof NodeFs>();
  const writeSync = ((...args: unknown[]) => {
    const hook = fsHook.beforeWrite;
    fsHook.beforeWrite = null;
    hook?.();
    return (real.writeSync as (...a: unknown[]) => number)(...args);
  }) as typeof real.writeSync;
  const linkSync = ((from: string, to: string) => {
    const code = fsHook.linkError;
    fsHook.linkError = null;
    if (code) throw Object.assign(new Error(`${code}: link '${from}' -> '${to}'`), { code });
    real.linkSync(from, to);
  }) as typeof real.linkSync;
  return { ...real, writeSync, linkSync, default: { ...real, writeSync, linkSync } };
});

describe('the folder lock', () => {
  it('writes this process id to a file only its user can read, and removes it once on release', () => {
    const dir = tempDir('lock-unit');
    const release = acquireFolderLock(dir);
    const file = join(dir, LOCK_FILE);
    expect(readFileSync(file, 'utf8')).toBe(String(process.pid));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(busy(() => acquireFolderLock(dir))).toBe(`The data folder ${dir} is in use by another Mindstage (this process already has it open). Close it first, or use another --data folder.`);
    release();
    expect(existsSync(file)).toBe(false);
    // A second release must not remove a lock someone else has taken since.
    const again = acquireFolderLock(dir);
    release();
    expect(existsSync(file)).toBe(true);
    again();
    again(); // already released, the file already gone: nothing to do, no error
    expect(existsSync(file)).toBe(false);
  });

  it('leaves no file descriptor open, taken or refused', () => {
    const open = () => readdirSync('/proc/self/fd').length;
    const dir = tempDir('lock-fd');
    const before = open();
    const release = acquireFolderLock(dir);
    expect(open()).toBe(before);
    busy(() => acquireFolderLock(dir));
    expect(open()).toBe(before);
    release();
  });

  it('refuses while another live process holds it, naming that process', () => {
    const dir = tempDir('lock-other');
    writeFileSync(join(dir, LOCK_FILE), `${process.ppid}\n`);
    expect(busy(() => acquireFolderLock(dir))).toContain(`(process ${process.ppid} has it open)`);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(`${process.ppid}\n`);
  });

  it('takes over a lock whose process is gone, or whose content is no process id', () => {
    for (const content of [String(deadPid()), 'garbage', '', '-1', '0']) {
      const dir = tempDir('lock-stale');
      writeFileSync(join(dir, LOCK_FILE), content);
      const release = acquireFolderLock(dir);
      expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(String(process.pid));
      release();
    }
  });

  it('two processes starting at once: one reading the lock while the other writes it does not take it too', () => {
    // The second start is played by this process from inside the first one's write of its id. An empty lock file
    // seen there was taken for a dead owner's: both held the folder.
    const dir = tempDir('lock-race');
    let second: (() => void) | Error | undefined;
    fsHook.beforeWrite = () => {
      try {
        second = acquireFolderLock(dir);
      } catch (e) {
        second = e as Error;
      }
    };
    let first: (() => void) | Error;
    try {
      first = acquireFolderLock(dir);
    } catch (e) {
      first = e as Error;
    }
    expect(fsHook.beforeWrite).toBeNull(); // the second start did run mid-write
    const outcomes = [first, second];
    const holders = outcomes.filter((o) => typeof o === 'function');
    expect(holders).toHaveLength(1);
    expect(outcomes.find((o) => o instanceof Error)).toMatchObject({ code: 'busy' });
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(String(process.pid));
    holders[0]!();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('releasing after the folder was wiped is quiet', () => {
    const dir = tempDir('lock-wiped');
    const release = acquireFolderLock(dir);
    rmSync(join(dir, LOCK_FILE));
    expect(() => release()).not.toThrow();
  });

  it('gives up with a clear error when the lock cannot be taken, and passes other errors on', () => {
    // A directory in the lock file's place: opening it fails with EEXIST every time, and it is never a process.
    const dir = tempDir('lock-dir');
    mkdirSync(join(dir, LOCK_FILE));
    expect(busy(() => acquireFolderLock(dir))).toBe(`Could not take the lock on ${dir} (${LOCK_FILE}); another Mindstage may be starting. Try again.`);
    expect(() => acquireFolderLock(join(dir, 'missing', 'folder'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

describe('folderLockOwner', () => {
  it('names the process in the lock file and whether it is alive, by the rule acquireFolderLock refuses by', () => {
    const dir = tempDir('lock-owner');
    expect(folderLockOwner(dir)).toBeNull();
    const release = acquireFolderLock(dir);
    expect(folderLockOwner(dir)).toEqual({ pid: process.pid, alive: true });
    release();
    writeFileSync(join(dir, LOCK_FILE), `${process.ppid}\n`);
    expect(folderLockOwner(dir)).toEqual({ pid: process.ppid, alive: true });
    const dead = deadPid();
    writeFileSync(join(dir, LOCK_FILE), String(dead));
    expect(folderLockOwner(dir)).toEqual({ pid: dead, alive: false });
    for (const content of ['garbage', '', '-1']) {
      writeFileSync(join(dir, LOCK_FILE), content);
      expect(folderLockOwner(dir)?.alive).toBe(false);
      // What it calls not alive, acquireFolderLock takes over.
      acquireFolderLock(dir)();
    }
    // Unreadable (a directory in its place): no owner to name.
    rmSync(join(dir, LOCK_FILE), { force: true });
    mkdirSync(join(dir, LOCK_FILE));
    expect(folderLockOwner(dir)).toBeNull();
  });
});

describe('processAlive', () => {
  it('is true for this process and its parent, false for a dead one and for what is no process id', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(deadPid())).toBe(false);
    for (const pid of [0, -1, 1.5, Number.NaN]) expect(processAlive(pid)).toBe(false);
  });

  it('is true for pid 1, which exists everywhere (for a user other than root, through EPERM)', () => {
    expect(processAlive(1)).toBe(true);
  });

  it('on a file system without hard links the lock is still taken with the id in it and still refuses a second holder; other link failures are not swallowed', () => {
    const descriptors = () => readdirSync('/proc/self/fd').length;
    const before = descriptors();
    for (const code of ['EPERM', 'ENOTSUP', 'EOPNOTSUPP']) {
      const dir = tempDir('lock-nolinks');
      fsHook.linkError = code;
      const release = acquireFolderLock(dir);
      expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(String(process.pid));
      expect(readdirSync(dir)).toEqual([LOCK_FILE]);
      // The lock file was there before the link failed: the fallback's create refuses too.
      fsHook.linkError = code;
      busy(() => acquireFolderLock(dir));
      release();
      expect(readdirSync(dir)).toEqual([]);
    }
    expect(descriptors()).toBe(before); // every file it opened is closed
    const dir = tempDir('lock-linkfail');
    fsHook.linkError = 'EIO';
    expect(() => acquireFolderLock(dir)).toThrow(/EIO/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
