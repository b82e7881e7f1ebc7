/**
 * The WAL checkpointer's thread (checkpointer.node.ts): its own connection to the vault file, folding committed
 * WAL frames into the main file — and waiting for the disk — away from the thread that answers commands.
 *
 * Shared control words (Int32Array over a SharedArrayBuffer): [0] commits counted by the main thread, [1] stop
 * requested, [2] stopped (this thread's connection is closed), [3] checkpoints run (for tests).
 */
import { workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, control, intervalMs } = workerData as { file: string; control: SharedArrayBuffer; intervalMs: number };
const ctl = new Int32Array(control);
let db: Database.Database | undefined;
let seen = 0;
try {
  // Never creates the file, never migrates: the main thread opened and migrated it.
  db = new Database(file, { fileMustExist: true });
  // Waiting here blocks nobody (PASSIVE never blocks the writer); a lock still busy after it skips one round.
  db.pragma('busy_timeout = 1000');
  while (Atomics.load(ctl, 1) === 0) {
    const commits = Atomics.load(ctl, 0);
    if (commits !== seen) {
      try {
        // PASSIVE: copies what it can without waiting for, or blocking, the main thread's reads and writes.
        db.pragma('wal_checkpoint(PASSIVE)');
        seen = commits;
        Atomics.add(ctl, 3, 1);
      } catch (e) {
        if ((e as { code?: string }).code !== 'SQLITE_BUSY') throw e;
      }
    }
    // Sleeps until the interval ends or a stop is requested (the main thread notifies word 1).
    Atomics.wait(ctl, 1, 0, intervalMs);
  }
} finally {
  db?.close();
  Atomics.store(ctl, 2, 1);
  Atomics.notify(ctl, 2);
}
