/**
 * Wipe in one action (docs/sync-client.md, "Wipe"):
 *
 * 1. Remote first. This device's key signs wipe(accountId, issuedAt, relay authority, signer); the relay accepts it
 *    only while this device is on the account's device list (a removed device is refused), deletes everything
 *    and answers a receipt signed with its own key, which is verified against the key pinned at enable time.
 * 2. Then local: the engine and the session close (keys zeroed), and the vault database with its WAL and SHM files
 *    is overwritten with zeros and synced before it is deleted (SQLite's secure_delete had already
 *    zeroed freed pages inside it), so the header's wrapped keys do not stay behind in freed disk blocks.
 *
 * Offline, the signed marker is written to `pending-wipe.json` in the data folder — it holds no secret, only the
 * relay, its pinned key and the already-signed marker — and the local part goes ahead. Running `mindstage wipe
 * --yes` on that folder again (or any sync command in the app) sends it, verifies the receipt and deletes the file.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { SocketFactory } from '../../../shared/sync/client.std.ts';
import { RelayError } from '../../../shared/sync/client.std.ts';
import type { WipeReceipt } from '../../../shared/sync/messages.std.ts';
import { relayAuthority, verifyWipeReceipt, wipeStatement } from '../../../shared/sync/signing.std.ts';
import { MindstageError } from '../../../shared/result.std.ts';
import { toHex } from '../crypto/sodium.node.ts';
import { DB_FILE } from '../store/db.node.ts';
import { dial, type SyncEngine } from './engine.node.ts';
import { removedError } from './connection.node.ts';
import { verify } from './keys.node.ts';
import type { PendingWipe } from './pending-wipe.node.ts';

export { PENDING_WIPE_FILE, clearPendingWipe, readPendingWipe, writePendingWipe, type PendingWipe } from './pending-wipe.node.ts';

export interface VerifiedReceipt {
  relay: string;
  relayKey: string;
  accountId: string;
  wipedAt: number;
  counts: WipeReceipt['counts'];
}

/** Signs the wipe marker for the engine's relay with this device's key (no network). */
export function signWipe(engine: SyncEngine, issuedAt = Date.now()): PendingWipe {
  const r = engine.replica;
  const unsigned = { accountId: r.keys.accountId, issuedAt, authority: relayAuthority(r.config.relayUrl), signer: r.device.publicKey };
  return { relayUrl: r.config.relayUrl, relayKey: r.config.relayKey, marker: { ...unsigned, sig: r.device.sign(wipeStatement(unsigned)) as Uint8Array } };
}

/** Sends a signed marker; returns the receipt once it verifies with the pinned relay key. */
export async function sendWipe(p: PendingWipe, socket?: SocketFactory, timeoutMs = 15_000): Promise<VerifiedReceipt> {
  const conn = await dial(p.relayUrl, socket);
  try {
    const answer = await Promise.race([
      conn.sendWipe(p.marker),
      new Promise<never>((_, reject) => setTimeout(() => reject(new MindstageError('network', 'The relay did not answer the wipe in time.')), timeoutMs).unref()),
    ]);
    if (!verifyWipeReceipt(verify, answer.receipt, { accountId: p.marker.accountId, relayKey: p.relayKey, marker: p.marker })) {
      throw new MindstageError('integrity', 'The relay answered the wipe with a receipt that is not signed by the relay key pinned when sync was enabled. The wipe cannot be confirmed.');
    }
    const rc = answer.receipt;
    return { relay: relayAuthority(p.relayUrl), relayKey: toHex(rc.relayKey), accountId: toHex(rc.accountId), wipedAt: rc.wipedAt, counts: rc.counts };
  } catch (e) {
    if (e instanceof RelayError && e.relayCode === 'revoked') throw removedError();
    if (e instanceof RelayError && e.relayCode === 'unknown_account') {
      throw new MindstageError('not_found', 'The relay has no such account (never enrolled, or deleted for inactivity); there is nothing to wipe there.');
    }
    throw e;
  } finally {
    conn.close();
  }
}

/**
 * Overwrites a file's bytes with zeros where they lie and syncs, so unlinking it does not leave the old content (the
 * header's wrapped keys above all) in blocks the filesystem merely marks free. On filesystems that write in place
 * (ext4, XFS, NTFS, APFS without snapshots) that is the bytes themselves; on copy-on-write filesystems or SSD
 * remapping it is best effort — docs/storage.md says so. (It used to truncate the file too, which added nothing:
 * the blocks it freed already held zeros.)
 */
function shred(file: string): void {
  const fd = openSync(file, 'r+');
  try {
    overwriteWithZeros(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes zeros over every byte of an open file, in place (1 MiB at a time), and syncs; the size stays. */
export function overwriteWithZeros(fd: number): void {
  const size = fstatSync(fd).size;
  const zeros = Buffer.alloc(Math.min(size, 1024 * 1024));
  for (let at = 0; at < size; at += zeros.length) writeSync(fd, zeros, 0, Math.min(zeros.length, size - at), at);
  fsyncSync(fd);
}

/** Overwrites, then deletes, the vault database and its companions (WAL, shared memory, journal). Returns the files that existed. */
export function deleteVaultFiles(dataDir: string): string[] {
  const removed: string[] = [];
  for (const suffix of ['', '-wal', '-shm', '-journal']) {
    const f = join(dataDir, DB_FILE + suffix);
    if (existsSync(f)) {
      shred(f);
      unlinkSync(f);
      removed.push(f);
    }
  }
  // The unlinks themselves, durably.
  const dir = openSync(dataDir, 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
  return removed;
}
