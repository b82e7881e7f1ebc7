/**
 * Unlocking costs one Argon2id derivation (~0.25 s, slow on purpose) and a CLI call must also load the core
 * (~0.2 s of modules). Neither needs the other until the derived key is used, so when the passphrase is already at
 * hand (MINDSTAGE_PASSPHRASE) and a core is free (cli/context.node.ts) the CLI reads the parameters from the vault
 * header and derives the key on a worker thread while the main thread loads the core (docs/decisions.md #54). The core takes the key (CoreOptions.kekAhead)
 * only for exactly the passphrase and parameters it was derived with, after checking the parameters of the header
 * it read itself as it always does; anything else — no vault, a header that changed, a worker that failed — and the
 * core derives as without it. Loaded by the command (cli/context.node.ts), so `--help` does not load SQLite.
 */
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { KdfParams } from '../crypto/sodium.node.ts';
import { dbPath } from '../store/db.node.ts';
import type { KekAhead } from '../vault/vault.node.ts';

export interface KekDerivation {
  /** Settles when the worker is done (never rejects). */
  ready: Promise<void>;
  /** For the core (CoreOptions.kekAhead): hands the key over at most once. */
  take: KekAhead;
  /** Zeroes the key if it was not taken, and stops the worker if it still runs. */
  discard(): void;
}

/**
 * The header's key-derivation parameters, read without the core (a read-only connection, closed at once), or null
 * when there is no vault or they are not all there. Only a hint: the core validates the header it reads itself.
 */
function readKdf(dataDir: string): KdfParams | null {
  try {
    const db = new Database(dbPath(dataDir), { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare<[], { header: string }>('SELECT header FROM vault WHERE id = 1').get();
      const kdf = row ? (JSON.parse(row.header) as { kdf?: Record<string, unknown> }).kdf : undefined;
      const { alg, opslimit, memlimit, salt } = kdf ?? {};
      if (alg !== 'argon2id13' || typeof opslimit !== 'number' || typeof memlimit !== 'number' || typeof salt !== 'string') return null;
      return { alg, opslimit, memlimit, salt: new Uint8Array(Buffer.from(salt, 'base64url')) };
    } finally {
      db.close();
    }
  } catch {
    return null;
  }
}

const sameParams = (a: KdfParams, b: KdfParams) =>
  a.alg === b.alg && a.opslimit === b.opslimit && a.memlimit === b.memlimit && Buffer.from(a.salt).equals(Buffer.from(b.salt));

/** Starts the derivation; null when there is nothing to derive for (the core then reports why, as before). */
export function deriveKekAhead(dataDir: string, passphrase: string): KekDerivation | null {
  const kdf = readKdf(dataDir);
  if (!kdf) return null;
  let kek: Uint8Array | null = null;
  const worker = new Worker(new URL('./kek-ahead-worker.node.ts', import.meta.url), { workerData: { passphrase, kdf } });
  const ready = new Promise<void>((resolve) => {
    worker.once('message', (m: Uint8Array | null) => {
      kek = m;
      resolve();
    });
    worker.once('error', () => resolve());
    worker.once('exit', () => resolve());
  });
  return {
    ready,
    take(given, headerKdf) {
      const k = kek;
      kek = null;
      if (!k) return null;
      if (given === passphrase && sameParams(kdf, headerKdf)) return k;
      k.fill(0);
      return null;
    },
    discard() {
      kek?.fill(0);
      kek = null;
      void worker.terminate();
    },
  };
}
