import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dbPath, openDb } from './db.node.ts';
import { EVERY, SAFETY_PAGES, startCheckpointer } from './checkpointer.node.ts';
import { createSqliteStorage } from './sqlite-storage.node.ts';

const turn = () => new Promise((r) => setImmediate(r));

function vault() {
  const dir = mkdtempSync(join(tmpdir(), 'ms-ckpt-'));
  const db = openDb(dir, { create: true });
  const cp = startCheckpointer(db);
  const storage = createSqliteStorage(db, { onCommit: () => cp.committed() });
  const doc = new Uint8Array(16).fill(7);
  // 40 kB a commit: 100 commits pass the 1,000 pages at which SQLite would checkpoint inside a commit.
  const body = new Uint8Array(40_000).fill(1);
  const write = (seq: number) => storage.transaction(() => storage.appendUpdate(doc, seq, body, new Uint8Array([seq & 255])));
  return { dir, db, cp, storage, doc, write };
}

describe('WAL checkpoints outside the commits', () => {
  it('no commit checkpoints; every EVERY commits one runs in a later turn of the event loop', async () => {
    const { dir, db, cp, storage, doc, write } = vault();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(SAFETY_PAGES);
    const mainFile = () => statSync(dbPath(dir)).size;
    const before = mainFile();
    for (let seq = 1; seq <= EVERY; seq++) write(seq);
    // Committed (in the WAL) but not yet copied: the commits themselves did not checkpoint.
    expect(mainFile()).toBe(before);
    expect(cp.runs).toBe(0);
    await turn();
    expect(cp.runs).toBe(1);
    expect(mainFile()).toBeGreaterThanOrEqual(before + EVERY * 40_000);
    // Nested transactions count once.
    storage.transaction(() => storage.transaction(() => write(EVERY + 1)));
    for (let seq = EVERY + 2; seq < 2 * EVERY; seq++) write(seq);
    await turn();
    expect(cp.runs).toBe(1);
    write(2 * EVERY);
    await turn();
    expect(cp.runs).toBe(2);
    expect(storage.readDoc(doc).updates).toHaveLength(2 * EVERY);
    cp.stop();
    db.close();
  });

  it('stop() cancels a pending checkpoint and gives the connection its automatic checkpoint back', async () => {
    const { db, cp, write } = vault();
    for (let seq = 1; seq <= EVERY; seq++) write(seq);
    cp.stop();
    await turn();
    expect(cp.runs).toBe(0);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    db.close();
  });
});
