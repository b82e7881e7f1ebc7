/**
 * Keeps SQLite's WAL checkpoints off the thread that answers commands (docs/decisions.md #22, "appends' tail").
 *
 * In WAL mode a commit that finds ≥ 1,000 pages in the WAL copies them into the main file and waits for the disk
 * (synchronous = NORMAL syncs at checkpoints): about every 185th append at 100k messages paid that, 10–150 ms
 * depending on the disk's load. Here a worker thread with its own connection runs PASSIVE checkpoints (never
 * blocking the writer) at most every INTERVAL_MS while commits arrive, and the main connection's automatic
 * checkpoint is raised to a safety net for when the worker falls behind (a burst of commits it races) or is gone.
 *
 * Durability is unchanged: a commit is in the WAL before it returns, whoever copies it later; a checkpoint killed
 * halfway is redone from the WAL on the next open (SQLite's own guarantee; the crash suite SIGKILLs mid-write).
 * The worker starts only after START_AFTER commits, so short-lived cores (the CLI, most tests) never start one.
 */
import { Worker } from 'node:worker_threads';
import type { Db } from './db.node.ts';

/** Commits before the worker starts; below this SQLite's own automatic checkpoint is left as it is. */
export const START_AFTER = 64;
/** The crash suite starts it sooner (MINDSTAGE_TEST_CHECKPOINT_AFTER), so its kills land while the worker runs. */
const startAfter = (): number => Number(process.env['MINDSTAGE_TEST_CHECKPOINT_AFTER']) || START_AFTER;
const INTERVAL_MS = 250;
/** The main connection's automatic checkpoint once the worker runs: only reached if the worker falls behind. */
const SAFETY_PAGES = 10_000;
const DEFAULT_PAGES = 1_000;
/** How long close() waits for the worker to close its connection (it finishes a checkpoint in progress first). */
const STOP_WAIT_MS = 10_000;

export interface Checkpointer {
  /** Called after each committed write transaction (cheap: one atomic add). */
  committed(): void;
  /** Checkpoints the worker has run (tests). */
  readonly runs: number;
  /** Whether the worker runs. */
  readonly running: boolean;
  /** Stops the worker and waits for its connection to close; the main connection's checkpoint is restored. */
  stop(): void;
}

export function startCheckpointer(db: Db, file: string): Checkpointer {
  // [0] commits, [1] stop, [2] stopped, [3] runs (checkpoint-worker.node.ts).
  const ctl = new Int32Array(new SharedArrayBuffer(16));
  let worker: Worker | null = null;
  let commits = 0;
  const after = startAfter();
  const restore = () => {
    if (db.open) db.pragma(`wal_autocheckpoint = ${DEFAULT_PAGES}`);
  };
  const start = () => {
    // The compiled app runs .js files; the type-stripped core (CLI, tests) runs .ts.
    const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
    worker = new Worker(new URL(`./checkpoint-worker.node.${ext}`, import.meta.url), { workerData: { file, control: ctl.buffer, intervalMs: INTERVAL_MS } });
    worker.unref();
    // A worker that fails (it should not) leaves checkpoints to SQLite on the main connection, as before.
    worker.on('error', () => {
      worker = null;
      restore();
    });
    db.pragma(`wal_autocheckpoint = ${SAFETY_PAGES}`);
  };
  return {
    committed() {
      Atomics.add(ctl, 0, 1);
      if (++commits === after && !worker) start();
    },
    get runs() {
      return Atomics.load(ctl, 3);
    },
    get running() {
      return worker !== null;
    },
    stop() {
      const w = worker;
      if (!w) return;
      worker = null;
      Atomics.store(ctl, 1, 1);
      Atomics.notify(ctl, 1);
      // Synchronous on purpose: the caller checkpoints and closes the main connection next, which should find the
      // worker's connection closed (a worker still starting up has not opened it and sees the stop first).
      Atomics.wait(ctl, 2, 0, STOP_WAIT_MS);
      void w.terminate();
      restore();
    },
  };
}
