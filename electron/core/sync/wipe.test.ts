/**
 * The local half of a wipe on real files: the overwrite in place, which files go (and which stay), and the pending
 * request that finishes the remote half later. The remote half and the whole flow: tests/sync/wipe.test.ts.
 */
import { closeSync, existsSync, linkSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MindstageError } from '../../../shared/result.std.ts';
import { wipeStatement } from '../../../shared/sync/signing.std.ts';
import { randomBytes, toHex } from '../crypto/sodium.node.ts';
import { DB_FILE } from '../store/db.node.ts';
import { tempDir } from '../../../tests/support/files.node.ts';
import { signingKeysFromSeed, verify } from './keys.node.ts';
import { clearPendingWipe, deleteVaultFiles, overwriteWithZeros, PENDING_WIPE_FILE, readPendingWipe, writePendingWipe, type PendingWipe } from './wipe.node.ts';

const MiB = 1024 * 1024;

function pending(): PendingWipe {
  const device = signingKeysFromSeed(randomBytes(32));
  const unsigned = { accountId: randomBytes(32), issuedAt: 1_700_000_000_123, authority: 'relay.example:443', signer: device.publicKey };
  return { relayUrl: 'wss://relay.example', relayKey: randomBytes(32), marker: { ...unsigned, sig: device.sign(wipeStatement(unsigned)) as Uint8Array } };
}

describe('wiping the vault files', () => {
  it('overwrites every byte with zeros where it lies, keeping the size (sizes around the 1 MiB step included)', () => {
    const dir = tempDir('zeros');
    for (const size of [0, 1, MiB - 1, MiB, 2 * MiB + 3]) {
      const f = join(dir, `f${size}`);
      writeFileSync(f, Buffer.alloc(size, 0xa5));
      const fd = openSync(f, 'r+');
      try {
        overwriteWithZeros(fd);
      } finally {
        closeSync(fd);
      }
      const after = readFileSync(f);
      expect({ size, length: after.length, nonZero: after.findIndex((b) => b !== 0) }).toEqual({ size, length: size, nonZero: -1 });
    }
  });

  it('empties and deletes the database with its WAL, shared memory and journal; returns them; leaves every other file', () => {
    const dir = tempDir('wipe-files');
    const names = [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`, `${DB_FILE}-journal`];
    for (const n of names) writeFileSync(join(dir, n), Buffer.alloc(4096, 0x5a));
    writeFileSync(join(dir, 'settings.json'), '{}');
    // A second name for the database's bytes: what an unlink alone would leave readable.
    linkSync(join(dir, DB_FILE), join(dir, 'other-name'));
    const openFiles = readdirSync('/dev/fd').length;
    expect(deleteVaultFiles(dir)).toEqual(names.map((n) => join(dir, n)));
    expect(readdirSync('/dev/fd').length).toBe(openFiles); // every file and the folder closed again
    for (const n of names) expect(existsSync(join(dir, n)), n).toBe(false);
    // The database's blocks, through the other name: still there, every byte zero.
    const blocks = readFileSync(join(dir, 'other-name'));
    expect({ length: blocks.length, nonZero: blocks.findIndex((b) => b !== 0) }).toEqual({ length: 4096, nonZero: -1 });
    expect(readFileSync(join(dir, 'settings.json'), 'utf8')).toBe('{}');
    // Only those that exist: none left, nothing to return, nothing thrown.
    expect(deleteVaultFiles(dir)).toEqual([]);
  });
});

describe('the pending remote wipe', () => {
  it('is written readable by this user only, holds no secret beyond the signed marker, and reads back equal (the signature still verifies)', () => {
    const dir = tempDir('pending');
    const p = pending();
    expect(readPendingWipe(dir)).toBeNull();
    const file = writePendingWipe(dir, p);
    expect(file).toBe(join(dir, PENDING_WIPE_FILE));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(json).toMatchObject({ format: 'mindstage-pending-wipe', relayUrl: p.relayUrl, relayKey: toHex(p.relayKey), marker: { accountId: toHex(p.marker.accountId), sig: toHex(p.marker.sig) } });
    expect(json['note']).toMatch(/holds no secret/);
    const back = readPendingWipe(dir)!;
    expect(back).toEqual(p);
    expect(verify(back.marker.sig, wipeStatement(back.marker), back.marker.signer)).toBe(true);
    clearPendingWipe(dir);
    expect(readPendingWipe(dir)).toBeNull();
    clearPendingWipe(dir); // already gone: nothing thrown
  });

  it('a damaged file is an integrity error naming it, not a crash', () => {
    const dir = tempDir('pending-bad');
    for (const text of ['{ not json', '{"relayUrl":"wss://x"}']) {
      writeFileSync(join(dir, PENDING_WIPE_FILE), text);
      let err: unknown;
      try {
        readPendingWipe(dir);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MindstageError);
      expect(err).toMatchObject({ code: 'integrity', message: expect.stringContaining(join(dir, PENDING_WIPE_FILE)) });
      expect((err as Error).message).toMatch(/damaged/);
    }
  });
});
