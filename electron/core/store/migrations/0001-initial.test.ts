import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migration0001 } from './0001-initial.node.ts';

describe('migration 0001: initial', () => {
  it('creates the header and record tables with the expected keys', () => {
    const db = new Database(':memory:');
    migration0001.up(db);
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(['docs', 'snapshots', 'updates', 'vault']);
    db.prepare('INSERT INTO updates (doc, seq, body) VALUES (?, 1, ?)').run(Buffer.alloc(16), Buffer.from('x'));
    expect(() => db.prepare('INSERT INTO updates (doc, seq, body) VALUES (?, 1, ?)').run(Buffer.alloc(16), Buffer.from('y'))).toThrow(/UNIQUE/);
    expect(() => db.prepare("INSERT INTO vault (id, header) VALUES (2, '{}')").run()).toThrow(/CHECK/);
  });
});
