/**
 * The core's state: which data folder, whether a database is open, and the unlocked session if any. Handlers get
 * the session through `requireSession()` so "locked" is one error in one place.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { MindstageError } from '../../../shared/result.std.ts';
import type { ApiEventName, ApiEvents } from '../../../shared/api/index.std.ts';
import { openDb, vaultExists, type Db } from '../store/db.node.ts';
import { startCheckpointer, type Checkpointer } from '../store/checkpointer.node.ts';
import { acquireFolderLock } from '../store/folder-lock.node.ts';
import { createSqliteStorage } from '../store/sqlite-storage.node.ts';
import type { VaultStorage } from '../store/storage.node.ts';
import type { VaultSession } from '../session.node.ts';
import type { KekAhead } from '../vault/vault.node.ts';
import { scrubAfterLock } from '../memory.node.ts';

export type Emit = <E extends ApiEventName>(event: E, payload: ApiEvents[E]) => void;

export class CoreState {
  readonly dataDir: string;
  readonly emit: Emit;
  /** See CoreOptions.kekAhead. */
  readonly kekAhead: KekAhead | undefined;
  /** See CoreOptions.exitsAfterClose. */
  readonly #exitsAfterClose: boolean;
  #db: Db | null = null;
  #storage: VaultStorage | null = null;
  #checkpointer: Checkpointer | null = null;
  #releaseLock: (() => void) | null = null;
  session: VaultSession | null = null;
  /**
   * When another device (or the recovery key) wiped the account and this core wiped itself in consequence. Kept in
   * memory only, so a window opened afterwards can say why there is no vault; never written, since a wipe leaves
   * nothing behind.
   */
  wipedRemotelyAt: number | null = null;
  readonly #lockListeners = new Set<(session: VaultSession) => void>();
  /** Settles when the last lock's scrub (memory.node.ts) has run. */
  #scrubbed: Promise<void> = Promise.resolve();

  constructor(dataDir: string, emit: Emit, kekAhead?: KekAhead, exitsAfterClose = false) {
    this.dataDir = dataDir;
    this.emit = emit;
    this.kekAhead = kekAhead;
    this.#exitsAfterClose = exitsAfterClose;
  }

  hasVault(): boolean {
    if (existsSync(this.dataDir) && !statSync(this.dataDir).isDirectory()) {
      throw new MindstageError('usage', `${this.dataDir} is a file, not a data folder. Pass a folder with --data.`);
    }
    return this.#storage !== null || vaultExists(this.dataDir);
  }

  /** Opens the database (creating it only when asked) once, and keeps it open while the core lives. */
  storage(create = false): VaultStorage {
    if (!this.#storage) {
      if (create) mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
      // Without a folder there is nothing to lock; openDb then says there is no vault.
      if (existsSync(this.dataDir) && statSync(this.dataDir).isDirectory()) this.#releaseLock = acquireFolderLock(this.dataDir);
      try {
        this.#db = openDb(this.dataDir, { create });
      } catch (e) {
        this.#release();
        throw e;
      }
      const checkpointer = startCheckpointer(this.#db);
      this.#checkpointer = checkpointer;
      this.#storage = createSqliteStorage(this.#db, { onCommit: () => checkpointer.committed() });
    }
    return this.#storage;
  }

  requireSession(): VaultSession {
    if (!this.session || this.session.vault.locked) throw new MindstageError('locked', 'The vault is locked. Unlock it first.');
    return this.session;
  }

  /** Runs just before a session closes, while it can still write (chat saves and stops its streams). */
  onLock(listener: (session: VaultSession) => void): () => void {
    this.#lockListeners.add(listener);
    return () => this.#lockListeners.delete(listener);
  }

  lock(reason: ApiEvents['vault.locked']['reason'], scrub = true): void {
    if (!this.session) return;
    for (const listener of this.#lockListeners) listener(this.session);
    this.session.close();
    this.session = null;
    this.emit('vault.locked', { reason });
    if (!scrub) return;
    // Once the call that locked has returned, nothing on its stack holds the documents any more. The timer keeps
    // the process alive (not unref'd): a caller awaiting lockSettled() must not see it exit first (the CLI ends
    // with process.exit, so it does not wait for the scrub).
    this.#scrubbed = new Promise((resolve) => {
      setTimeout(() => {
        try {
          scrubAfterLock();
        } finally {
          resolve();
        }
      }, 0);
    });
  }

  /**
   * Resolves once the last lock has finished: keys zeroed and memory scrubbed. `vault.lock` answers, and
   * `vault.status` reports, only after it, so nothing told "locked" can look at memory the scrub has yet to clear.
   * The close of a core whose process exits next (CoreOptions.exitsAfterClose) zeroes the keys and schedules no scrub.
   */
  lockSettled(): Promise<void> {
    return this.#scrubbed;
  }

  close(): void {
    this.lock('manual', !this.#exitsAfterClose);
    this.#checkpointer?.stop();
    this.#checkpointer = null;
    if (this.#db) {
      // Fold the WAL into the main file so a closed vault is a single file.
      this.#db.pragma('wal_checkpoint(TRUNCATE)');
      this.#db.close();
    }
    this.#db = null;
    this.#storage = null;
    this.#release();
  }

  #release(): void {
    this.#releaseLock?.();
    this.#releaseLock = null;
  }
}
