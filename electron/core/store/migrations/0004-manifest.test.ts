import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migration0001 } from './0001-initial.node.ts';
import { migration0002 } from './0002-assets.node.ts';
import { migration0003 } from './0003-sync.node.ts';
import { migration0004 } from './0004-manifest.node.ts';

describe('migration 0004: manifest', () => {
  it('adds the manifest and its one sum row on top of 0003, keeping existing rows', () => {
    const db = new Database(':memory:');
    for (const m of [migration0001, migration0002, migration0003]) m.up(db);
    db.prepare('INSERT INTO updates (doc, seq, body) VALUES (?, 1, ?)').run(Buffer.alloc(16, 1), Buffer.from('u'));
    migration0004.up(db);
    expect(db.prepare('SELECT count(*) FROM updates').pluck().get()).toBe(1);
    // Legacy vaults start with an empty manifest; the core builds it on the first unlock.
    expect(db.prepare('SELECT count(*) FROM manifest').pluck().get()).toBe(0);
    db.prepare('INSERT INTO manifest (doc, seq) VALUES (?, 3)').run(Buffer.alloc(16, 1));
    expect(() => db.prepare('INSERT INTO manifest (doc, seq) VALUES (?, 4)').run(Buffer.alloc(16, 1))).toThrow(/UNIQUE/);
    db.prepare('INSERT INTO manifest_sum (id, body) VALUES (1, ?)').run(Buffer.from('s'));
    expect(() => db.prepare('INSERT INTO manifest_sum (id, body) VALUES (2, ?)').run(Buffer.from('t'))).toThrow(/CHECK/);
  });
});
