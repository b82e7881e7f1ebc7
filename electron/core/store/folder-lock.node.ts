/**
 * One process per data folder. Each process keeps the vault's documents in memory and numbers its own writes (and
 * the sync engine its own outbox), so two processes writing one folder would collide. The second one is refused
 * with a clear error instead. The lock file holds only the owner's process id; a lock whose process is gone (a
 * crash, SIGKILL) is taken over.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MindstageError } from '../../../shared/result.std.ts';

export const LOCK_FILE = 'mindstage.lock';

export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Who holds the folder's lock: the process id its lock file names, and whether that process is alive (this one
 * included); null when there is no readable lock file. The one rule for "held": acquireFolderLock refuses a live
 * owner and takes over a dead one's lock, and code that must not touch a folder another process holds (the CLI's
 * early header read, cli/kek-ahead.node.ts) asks the same question here.
 */
export function folderLockOwner(dir: string): { pid: number; alive: boolean } | null {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, LOCK_FILE), 'utf8').trim());
  } catch {
    return null;
  }
  return { pid, alive: processAlive(pid) };
}

/**
 * Creates the lock file with this process id already in it, or fails with EEXIST. Creating it empty and writing the
 * id next left a moment in which another process starting on the folder read an empty file, took it for a dead
 * owner's, removed it and took the lock too: two processes on one folder. The id goes into a file of this process's
 * own first, and a hard link gives it the lock's name in one step that fails if the name is taken.
 */
function takeAtomically(file: string): void {
  const own = `${file}.${process.pid}-${randomBytes(6).toString('hex')}`;
  writePid(own, 'w');
  try {
    linkSync(own, file);
  } catch (e) {
    // A file system without hard links (FAT, exFAT): create and write, as before, rather than not open at all.
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
    writePid(file, 'wx');
  } finally {
    unlinkSync(own);
  }
}

/** Writes this process's id to `file`, opened with `flags` ('wx' fails with EEXIST if it exists), owner-only. */
function writePid(file: string, flags: 'w' | 'wx'): void {
  const fd = openSync(file, flags, 0o600);
  try {
    writeSync(fd, String(process.pid));
  } finally {
    closeSync(fd);
  }
}

/** Takes the folder's lock for this process; returns the function that releases it. */
export function acquireFolderLock(dir: string): () => void {
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      takeAtomically(file);
      let held = true;
      return () => {
        if (!held) return;
        held = false;
        try {
          unlinkSync(file);
        } catch {
          // Already gone (the folder was wiped): nothing to release.
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = folderLockOwner(dir);
    if (!owner) continue; // released between our attempts: try again
    if (owner.alive) {
      const who = owner.pid === process.pid ? 'this process already has it open' : `process ${owner.pid} has it open`;
      throw new MindstageError('busy', `The data folder ${dir} is in use by another Mindstage (${who}). Close it first, or use another --data folder.`);
    }
    try {
      unlinkSync(file); // stale: its process is gone
    } catch {
      // Someone else removed it first; the next attempt decides.
    }
  }
  throw new MindstageError('busy', `Could not take the lock on ${dir} (${LOCK_FILE}); another Mindstage may be starting. Try again.`);
}
