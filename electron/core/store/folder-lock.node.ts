/**
 * One process per data folder. Each process keeps the vault's documents in memory and numbers its own writes (and
 * the sync engine its own outbox), so two processes writing one folder would collide. The second one is refused
 * with a clear error instead. The lock file holds only the owner's process id; a lock whose process is gone (a
 * crash, SIGKILL) is taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
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

/** Takes the folder's lock for this process; returns the function that releases it. */
export function acquireFolderLock(dir: string): () => void {
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
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
    let owner: number;
    try {
      owner = Number(readFileSync(file, 'utf8').trim());
    } catch {
      continue; // released between our attempts: try again
    }
    if (processAlive(owner)) {
      const who = owner === process.pid ? 'this process already has it open' : `process ${owner} has it open`;
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
