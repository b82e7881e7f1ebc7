/**
 * For tests that unlock the same vault (or byte copies of it) many times and are about something other than key
 * derivation: the core's own hook for a key derived ahead (CoreOptions.kekAhead, the CLI's, vault/vault.node.ts
 * `unlockVault`), handed the key-encryption key that Argon2id — at the product's parameters, by deriveKek —
 * gave the first time for the same passphrase and header parameters. Unlock still opens the passphrase wrapping
 * with it and derives anew when it does not open, so a wrong passphrase or an altered header is refused as
 * always; only the repeated 64 MiB derivation of an already-known answer is saved.
 */
import { deriveKek, fromHex, secretCopy, toHex, wipe } from '../../electron/core/crypto/sodium.node.ts';
import { openDb } from '../../electron/core/store/db.node.ts';
import { createSqliteStorage } from '../../electron/core/store/sqlite-storage.node.ts';
import { decodeHeader } from '../../electron/core/vault/header.node.ts';
import type { KekAhead } from '../../electron/core/vault/vault.node.ts';

export function kekMemo(): KekAhead {
  const keys = new Map<string, Uint8Array>();
  return (passphrase, kdf) => {
    const id = JSON.stringify([passphrase, kdf.alg, kdf.opslimit, kdf.memlimit, toHex(kdf.salt)]);
    let kek = keys.get(id);
    if (!kek) keys.set(id, (kek = deriveKek(passphrase, kdf)));
    // The vault owns, and zeroes on lock, what it is handed.
    return secretCopy(kek);
  };
}

/**
 * For a test that starts child processes on a closed data folder: the memo's key for that folder's vault and
 * passphrase, as hex for the child's KEK_AHEAD environment variable (read back by kekHandedOver).
 */
export function folderKek(memo: KekAhead, dir: string, passphrase: string): Record<'KEK_AHEAD', string> {
  const db = openDb(dir, { create: false });
  try {
    const kek = memo(passphrase, decodeHeader(createSqliteStorage(db).readHeader()!).kdf)!;
    const hex = toHex(kek);
    wipe(kek);
    return { KEK_AHEAD: hex };
  } finally {
    db.close();
  }
}

/** In such a child: the key its parent handed over, offered to every unlock, which still checks that it opens the wrapping. */
export function kekHandedOver(): KekAhead | undefined {
  const hex = process.env['KEK_AHEAD'];
  return hex ? () => fromHex(hex) : undefined;
}
