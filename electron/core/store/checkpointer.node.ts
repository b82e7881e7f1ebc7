/**
 * Keeps SQLite's WAL checkpoints out of the commits that answer commands (docs/decisions.md #71).
 *
 * In WAL mode a commit that finds ≥ 1,000 pages in the WAL copies them into the main file and, at
 * synchronous = NORMAL, waits for the disk: about every 185th append at 100k messages paid that (108–213 ms at load
 * 15–25). Here the main connection's automatic checkpoint is raised to a safety net, and a PASSIVE checkpoint runs
 * after every EVERY commits in its own turn of the event loop (setImmediate: after the command that committed has
 * answered, and after commands already waiting). A worker thread with its own connection did the same off the
 * thread, but a Node worker costs ~20 MB of RSS (measured), more than the core's idle budget leaves.
 *
 * Durability is unchanged: a commit is in the WAL before it returns, whoever copies it later, and a checkpoint
 * killed halfway is redone from the WAL on the next open (SQLite's guarantee).
 */
import type { Db } from './db.node.ts';

/** Commits between checkpoints: a chat's commit is ~5 pages, so ~500 pages each time. */
export const EVERY = 100;
/** The main connection's automatic checkpoint: reached only by a large transaction or a loop that never yields. */
export const SAFETY_PAGES = 10_000;
const DEFAULT_PAGES = 1_000;

export interface Checkpointer {
  /** Called after each committed write transaction. */
  committed(): void;
  /** Checkpoints run so far (tests). */
  readonly runs: number;
  /** Cancels a pending checkpoint and gives the main connection its automatic checkpoint back. */
  stop(): void;
}

export function startCheckpointer(db: Db): Checkpointer {
  db.pragma(`wal_autocheckpoint = ${SAFETY_PAGES}`);
  let commits = 0;
  let runs = 0;
  let pending: NodeJS.Immediate | null = null;
  const run = () => {
    pending = null;
    if (!db.open) return;
    // PASSIVE copies what it can without waiting for readers (this core has no other connection).
    db.pragma('wal_checkpoint(PASSIVE)');
    runs++;
  };
  return {
    committed() {
      if (++commits % EVERY === 0 && !pending) pending = setImmediate(run);
    },
    get runs() {
      return runs;
    },
    stop() {
      if (pending) clearImmediate(pending);
      pending = null;
      if (db.open) db.pragma(`wal_autocheckpoint = ${DEFAULT_PAGES}`);
    },
  };
}
