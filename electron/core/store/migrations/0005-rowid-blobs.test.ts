import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migration0001 } from './0001-initial.node.ts';
import { migration0002 } from './0002-assets.node.ts';
import { migration0003 } from './0003-sync.node.ts';
import { migration0004 } from './0004-manifest.node.ts';
import { migration0005 } from './0005-rowid-blobs.node.ts';

const doc = (n: number) => Buffer.alloc(16, n);

describe('migration 0005: rowid tables for blobs', () => {
  it('keeps every update, snapshot and asset byte for byte, with the same uniqueness rules', () => {
    const db = new Database(':memory:');
    migration0001.up(db);
    migration0002.up(db);
    migration0003.up(db);
    migration0004.up(db);
    const big = Buffer.alloc(200_000, 7);
    db.prepare('INSERT INTO updates (doc, seq, body) VALUES (?, ?, ?)').run(doc(2), 1, big);
    db.prepare('INSERT INTO updates (doc, seq, body) VALUES (?, ?, ?)').run(doc(1), 2, Buffer.from('b'));
    db.prepare('INSERT INTO updates (doc, seq, body) VALUES (?, ?, ?)').run(doc(1), 1, Buffer.from('a'));
    db.prepare('INSERT INTO snapshots (doc, seq, body) VALUES (?, ?, ?)').run(doc(3), 5, big);
    db.prepare('INSERT INTO assets (id, body) VALUES (?, ?)').run(doc(4), Buffer.from('png'));
    migration0005.up(db);

    const tables = db.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name IN ('updates', 'snapshots', 'assets') ORDER BY name").all() as { name: string; sql: string }[];
    expect(tables.map((t) => t.name)).toEqual(['assets', 'snapshots', 'updates']);
    for (const t of tables) expect(t.sql).not.toMatch(/WITHOUT ROWID/i);
    expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name LIKE '%_v5'").pluck().get()).toBe(0);

    expect(db.prepare('SELECT doc, seq, body FROM updates WHERE doc = ? ORDER BY seq').all(doc(1))).toEqual([
      { doc: doc(1), seq: 1, body: Buffer.from('a') },
      { doc: doc(1), seq: 2, body: Buffer.from('b') },
    ]);
    expect((db.prepare('SELECT body FROM updates WHERE doc = ?').pluck().get(doc(2)) as Buffer).equals(big)).toBe(true);
    expect(db.prepare('SELECT seq FROM snapshots WHERE doc = ?').pluck().get(doc(3))).toBe(5);
    expect(db.prepare('SELECT body FROM assets WHERE id = ?').pluck().get(doc(4))).toEqual(Buffer.from('png'));

    // The keys are still unique, and the upserts the storage makes still find their conflict target.
    expect(() => db.prepare('INSERT INTO updates (doc, seq, body) VALUES (?, 1, ?)').run(doc(1), Buffer.from('x'))).toThrow(/UNIQUE/);
    db.prepare('INSERT INTO snapshots (doc, seq, body) VALUES (?, 9, ?) ON CONFLICT (doc) DO UPDATE SET seq = excluded.seq, body = excluded.body').run(doc(3), Buffer.from('s'));
    expect(db.prepare('SELECT seq, body FROM snapshots').all()).toEqual([{ seq: 9, body: Buffer.from('s') }]);
    db.prepare('INSERT INTO assets (id, body) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body').run(doc(4), Buffer.from('jpg'));
    expect(db.prepare('SELECT body FROM assets').pluck().all()).toEqual([Buffer.from('jpg')]);
    // Lookups by document use the index, not a scan of the bodies.
    const plan = db.prepare('EXPLAIN QUERY PLAN SELECT seq, body FROM updates WHERE doc = ? ORDER BY seq').all(doc(1)) as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING INDEX updates_doc_seq/);
  });
});
