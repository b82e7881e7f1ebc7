/**
 * A page is applied in one transaction of the vault's SQLite connection. When applying fails part-way (here: a
 * local record whose rows were corrupted on disk), the vault's rows roll back while open documents keep what was
 * applied to them; the engine must leave the vault consistent: later local edits still commit, and every document
 * still loads from disk with everything it showed in memory. Real SQLite, real relay (in-process).
 */
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFields, writeFields } from '../../electron/core/docs/fields-doc.node.ts';
import { VaultSession } from '../../electron/core/session.node.ts';
import { openDb } from '../../electron/core/store/db.node.ts';
import { createSqliteStorage } from '../../electron/core/store/sqlite-storage.node.ts';
import { openSqliteSyncStore } from '../../electron/core/sync/sqlite-store.node.ts';
import { UnlockedVault } from '../../electron/core/vault/vault.node.ts';
import { tempDir } from '../support/files.node.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';
import { addDevice, memoryDevices, withEngine } from './support.node.ts';

let relay: TestRelay;
beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(async () => {
  await relay?.close();
});

describe('a page that fails part-way', () => {
  it('rolls the vault back without leaving open documents ahead of the disk', async () => {
    const [a] = memoryDevices(1);
    await a!.engine.enable({ relayUrl: relay.url });
    const z = a!.session.createRecord('character', 'Open on B', (doc) => writeFields(doc, { name: 'Z' }));
    const x = a!.session.createRecord('character', 'Corrupted on B', (doc) => writeFields(doc, { name: 'X' }));
    await a!.engine.syncOnce();

    // B: a real SQLite vault with the same vault key.
    const dir = tempDir('sync-rollback');
    const db = openDb(dir, { create: true });
    const storage = createSqliteStorage(db);
    storage.writeHeader(a!.storage.readHeader()!);
    const vault = a!.session.vault;
    const session = new VaultSession(storage, new UnlockedVault(vault.vaultId, vault.vaultKeyForWrap().slice()));
    const b = withEngine(session, storage, openSqliteSyncStore(dir));
    await b.engine.enable({ relayUrl: relay.url, deviceSeed: await addDevice(a!.engine) });
    expect((await b.engine.syncOnce()).problems).toEqual([]);
    const zDoc = b.session.record(z, 'character').doc; // open (and stored)
    b.session.repo.close(); // X is on disk only from here on …
    const zLive = b.session.record(z, 'character').doc;
    expect(zLive).not.toBe(zDoc);
    // … and its head row gets corrupted.
    const raw = new Database(join(dir, 'mindstage.db'));
    const xId = Buffer.from(x, 'hex');
    const head = raw.prepare('SELECT head FROM docs WHERE id = ?').pluck().get(xId) as Buffer;
    head[head.length - 1]! ^= 1;
    raw.prepare('UPDATE docs SET head = ? WHERE id = ?').run(head, xId);
    raw.close();

    // One page: Z's update (applied to the open document, committed in the transaction), a record B has never seen
    // (written to the store as received), then X's update (throws).
    writeFields(a!.session.record(z, 'character').doc, { fromA: 1 });
    const w = a!.session.createRecord('character', 'New in the failing page', (doc) => writeFields(doc, { name: 'W' }));
    await a!.engine.syncOnce();
    writeFields(a!.session.record(x, 'character').doc, { fromA: 2 });
    await a!.engine.syncOnce();
    await expect(b.engine.syncOnce()).rejects.toMatchObject({ code: 'integrity' });
    expect(readFields(zLive)).toMatchObject({ fromA: 1 }); // memory kept it; the disk rolled back

    // A local edit after the failure still commits, and Z reloads from disk with everything it showed.
    writeFields(zLive, { fromB: 3 });
    b.session.repo.close();
    expect(readFields(b.session.record(z, 'character').doc)).toMatchObject({ name: 'Z', fromA: 1, fromB: 3 });

    // X's head repaired: the page applies again, and the new record, whose first write was rolled back, is stored
    // from its first update (the store forgot the rolled-back write) and reloads from disk.
    const fix = new Database(join(dir, 'mindstage.db'));
    head[head.length - 1]! ^= 1;
    fix.prepare('UPDATE docs SET head = ? WHERE id = ?').run(head, xId);
    fix.close();
    expect((await b.engine.syncOnce()).problems).toEqual([]);
    b.session.repo.close();
    expect(readFields(b.session.record(w, 'character').doc)).toEqual({ name: 'W' });
    expect(readFields(b.session.record(x, 'character').doc)).toMatchObject({ name: 'X', fromA: 2 });

    await b.engine.close().catch(() => {});
    await a!.engine.close();
    session.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
