import { statSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dbPath, openDb } from './db.node.ts';
import { START_AFTER, startCheckpointer } from './checkpointer.node.ts';
import { createSqliteStorage } from './sqlite-storage.node.ts';

const until = async (ok: () => boolean, what: string) => {
  // Generous: the worker thread starts and runs while other work loads the machine.
  for (let i = 0; i < 600 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
};

describe('WAL checkpoints off the main thread', () => {
  it('starts after enough commits, folds them into the main file while the main connection only writes, and stops cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ms-ckpt-'));
    const db = openDb(dir, { create: true });
    const cp = startCheckpointer(db, dbPath(dir));
    const storage = createSqliteStorage(db, { onCommit: () => cp.committed() });
    const doc = new Uint8Array(16).fill(7);
    const body = new Uint8Array(3000).fill(1);
    const write = (seq: number) => storage.transaction(() => storage.appendUpdate(doc, seq, body, new Uint8Array([seq & 255])));

    for (let seq = 1; seq < START_AFTER; seq++) write(seq);
    expect(cp.running).toBe(false);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    write(START_AFTER);
    expect(cp.running).toBe(true);
    // The main connection's own checkpoint is now only a safety net far above what these writes reach.
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBeGreaterThan(1000);

    const before = statSync(dbPath(dir)).size;
    for (let seq = START_AFTER + 1; seq <= START_AFTER + 200; seq++) write(seq);
    // 200 × 3 kB reached the main file: the worker's checkpoints copied them (the main connection did not).
    await until(() => cp.runs > 0 && statSync(dbPath(dir)).size >= before + 200 * 3000, 'a checkpoint by the worker');

    cp.stop();
    expect(cp.running).toBe(false);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    // The worker's connection is closed: the main one can truncate the WAL (which needs no other connection reading).
    expect(db.pragma('wal_checkpoint(TRUNCATE)')).toEqual([{ busy: 0, log: 0, checkpointed: 0 }]);
    expect(statSync(`${dbPath(dir)}-wal`).size).toBe(0);
    expect(storage.readDoc(doc).updates).toHaveLength(START_AFTER + 200);
    db.close();
  });

  it('stops a worker that is still starting, and leaves the WAL to the main connection', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ms-ckpt-'));
    const db = openDb(dir, { create: true });
    const cp = startCheckpointer(db, dbPath(dir));
    const storage = createSqliteStorage(db, { onCommit: () => cp.committed() });
    for (let i = 0; i < START_AFTER; i++) storage.transaction(() => storage.writeHeader(`{"i":${i}}`));
    expect(cp.running).toBe(true);
    cp.stop();
    expect(cp.running).toBe(false);
    expect(db.pragma('wal_checkpoint(TRUNCATE)')).toEqual([{ busy: 0, log: 0, checkpointed: 0 }]);
    expect(storage.readHeader()).toBe(`{"i":${START_AFTER - 1}}`);
    db.close();
  });

  it('counts only outermost transactions, and stop() before any start does nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ms-ckpt-'));
    const db = openDb(dir, { create: true });
    let commits = 0;
    const storage = createSqliteStorage(db, { onCommit: () => commits++ });
    storage.transaction(() => storage.transaction(() => storage.writeHeader('{}')));
    expect(commits).toBe(1);
    const cp = startCheckpointer(db, dbPath(dir));
    cp.stop();
    expect(cp.running).toBe(false);
    db.close();
  });
});
