/**
 * What only the SQLite relay storage does: reopening its file (a relay restart) and bringing a database made by an
 * older relay up to date. The shared suite (storage-suite.node.ts) opens each database once, fresh.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WipeMarker } from '../../shared/sync/messages.std.ts';
import { SQLITE_FILE, sqliteStorage } from '../../sync-server/storage/sqlite.node.ts';
import { tempDir } from '../support/files.node.ts';

const id = (n: number) => new Uint8Array(32).fill(n);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const T0 = 1_700_000_000_000;
const A = id(1);
const B = id(2);
const D1 = id(11);
const marker = (accountId: Uint8Array, signer: Uint8Array): WipeMarker => ({ accountId, issuedAt: T0 + 5, authority: 'relay.test:1', signer, sig: new Uint8Array(64).fill(9) });

describe('RelayStorage: sqlite across restarts', () => {
  it('reopens its database with the seed, accounts and wipe records it held', async () => {
    const dir = tempDir('relay-sqlite-reopen');
    const first = sqliteStorage(dir);
    await first.relaySeed(() => id(5));
    await first.enroll(A, { deviceId: D1, enrolledAt: T0, enrollSig: new Uint8Array(64) }, T0);
    await first.enroll(B, { deviceId: D1, enrolledAt: T0, enrollSig: new Uint8Array(64) }, T0);
    expect(await first.wipe(marker(B, D1), T0 + 10)).toMatchObject({ wipedAt: T0 + 10 });
    await first.close();
    const again = sqliteStorage(dir);
    expect(hex(await again.relaySeed(() => id(6)))).toBe(hex(id(5)));
    expect(await again.account(A)).toMatchObject({ createdAt: T0 });
    expect(hex((await again.wipeRecord(B))!.marker.signer)).toBe(hex(D1));
    await again.close();
  });

  it('gives a database made before device lists the wipe signer column; its old wipes name the account as signer', async () => {
    const dir = tempDir('relay-sqlite-old');
    // The wipes table as relays before device lists made it (no signer: such markers were signed by the account key).
    const old = new Database(join(dir, SQLITE_FILE));
    old.exec(`CREATE TABLE wipes (account_id BLOB PRIMARY KEY, issued_at INTEGER NOT NULL, authority TEXT NOT NULL, sig BLOB NOT NULL,
      wiped_at INTEGER NOT NULL, counts TEXT NOT NULL)`);
    old.prepare('INSERT INTO wipes VALUES (?, ?, ?, ?, ?, ?)').run(A, T0, 'relay.test:1', new Uint8Array(64).fill(3), T0 + 1, JSON.stringify({ updates: 1, snapshots: 0, tombstones: 0, devices: 1, pairings: 0, bytes: 4 }));
    old.close();
    const s = sqliteStorage(dir);
    const rec = await s.wipeRecord(A);
    expect(hex(rec!.marker.signer)).toBe(hex(A));
    expect(rec!.counts).toMatchObject({ updates: 1, bytes: 4 });
    // A wipe stored now keeps the device that signed it.
    await s.enroll(B, { deviceId: D1, enrolledAt: T0, enrollSig: new Uint8Array(64) }, T0);
    await s.wipe(marker(B, D1), T0 + 10);
    expect(hex((await s.wipeRecord(B))!.marker.signer)).toBe(hex(D1));
    await s.close();
  });
});
