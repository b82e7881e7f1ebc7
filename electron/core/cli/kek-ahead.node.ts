/**
 * Unlocking costs one Argon2id derivation (~0.25 s, slow on purpose) and a CLI call must also load the core
 * (~0.25 s of modules). Neither needs the other until the derived key is used, so when the passphrase is already at
 * hand (MINDSTAGE_PASSPHRASE) the CLI reads the parameters from the vault header and derives the key while the main
 * thread loads the core (docs/decisions.md #54). The derivation is Node's own Argon2id (`crypto.argon2`, OpenSSL),
 * which runs on libuv's thread pool: no worker isolate to start and no second libsodium to load, and ~25% less CPU
 * than libsodium's for the same key, so it costs nothing even on a machine busy on every core. OpenSSL clears
 * Argon2's memory as it frees it (libsodium does not: crypto/sodium.node.ts zeroes the freed heap instead). The CLI
 * only ever runs on the project's Node (bin/mindstage); the app keeps libsodium's, the one it derives with
 * everywhere else (Electron's Node is built on BoringSSL).
 *
 * The core takes the key (CoreOptions.kekAhead) only for exactly the passphrase and parameters it was derived with,
 * after checking the parameters of the header it read itself as it always does, and the wrapping's AEAD still
 * decides: a key that does not open it is derived again with libsodium before a passphrase is called wrong
 * (vault/vault.node.ts). No vault, a header that changed, a Node without `crypto.argon2`, a failed derivation —
 * the core derives as without it. Loaded by the command (cli/context.node.ts), so `--help` does not load SQLite.
 */
import { argon2 } from 'node:crypto';
import Database from 'better-sqlite3';
import { checkKdfParams, type KdfParams } from '../crypto/kdf-params.std.ts';
import { dbPath } from '../store/db.node.ts';
import { folderLockOwner } from '../store/folder-lock.node.ts';
import type { KekAhead } from '../vault/vault.node.ts';

export interface KekDerivation {
  /** Settles when the derivation is done (never rejects). */
  ready: Promise<void>;
  /** For the core (CoreOptions.kekAhead): hands the key over at most once. */
  take: KekAhead;
  /** Zeroes the key if it was not taken (or as soon as it arrives, if it has not yet). */
  discard(): void;
}

/**
 * The header's key-derivation parameters, read without the core (a read-only connection, closed at once), or null
 * when there is no vault or they are not all there. Only a hint: the core validates the header it reads itself.
 */
function readKdf(dataDir: string): KdfParams | null {
  // A live process holds the folder (the rule the core refuses by, store/folder-lock.node.ts): the core will refuse
  // it anyway, and even a read-only connection writes to the database's WAL index (-shm), which must stay as that
  // process left it (tests/core/folder-lock.test.ts).
  if (folderLockOwner(dataDir)?.alive) return null;
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

/**
 * libsodium's `crypto_pwhash(32, passphrase, salt, opslimit, memlimit, ARGON2ID13)` in Node's terms: Argon2id
 * version 0x13, one lane, `opslimit` passes over `memlimit` bytes (in KiB), no secret, no associated data.
 * Only for parameters the core would accept (checkKdfParams): this runs before the core has read the header, and a
 * tampered one must not start hours of work or a huge allocation.
 */
function nodeArgon2id(passphrase: string, kdf: KdfParams): Promise<Uint8Array | null> {
  return new Promise((resolve) => {
    try {
      checkKdfParams(kdf);
      if (typeof argon2 !== 'function' || !Number.isInteger(kdf.opslimit) || kdf.memlimit % 1024 !== 0) return resolve(null);
      argon2('argon2id', { message: passphrase, nonce: kdf.salt, parallelism: 1, tagLength: 32, memory: kdf.memlimit / 1024, passes: kdf.opslimit }, (err, key) =>
        resolve(err ? null : new Uint8Array(key.buffer, key.byteOffset, key.length)),
      );
    } catch {
      resolve(null);
    }
  });
}

/** Starts the derivation; null when there is nothing to derive for (the core then reports why, as before). */
export function deriveKekAhead(dataDir: string, passphrase: string): KekDerivation | null {
  const kdf = readKdf(dataDir);
  if (!kdf) return null;
  let kek: Uint8Array | null = null;
  let discarded = false;
  const ready = nodeArgon2id(passphrase, kdf).then((k) => {
    if (discarded) k?.fill(0);
    else kek = k;
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
      discarded = true;
      kek?.fill(0);
      kek = null;
    },
  };
}
