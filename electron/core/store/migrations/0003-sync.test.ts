import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migration0001 } from './0001-initial.node.ts';
import { migration0002 } from './0002-assets.node.ts';
import { migration0003 } from './0003-sync.node.ts';

describe('migration 0003: sync', () => {
  it('adds the sync tables on top of 0002, keeps existing rows, and keys them as the client expects', () => {
    const db = new Database(':memory:');
    migration0001.up(db);
    migration0002.up(db);
    db.prepare("INSERT INTO vault (id, header) VALUES (1, 'h')").run();
    migration0003.up(db);
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'sync_%' ORDER BY name").pluck().all();
    expect(tables).toEqual(['sync_docs', 'sync_meta', 'sync_outbox', 'sync_pending', 'sync_quarantine', 'sync_raw']);
    expect(db.prepare('SELECT header FROM vault').pluck().get()).toBe('h');
    db.prepare('INSERT INTO sync_outbox (seq, frame) VALUES (1, ?)').run(Buffer.from('f'));
    expect(() => db.prepare('INSERT INTO sync_outbox (seq, frame) VALUES (1, ?)').run(Buffer.from('g'))).toThrow(/UNIQUE/);
    db.prepare("INSERT INTO sync_meta (k, v) VALUES ('cursor', ?)").run(Buffer.from('x'));
    expect(() => db.prepare("INSERT INTO sync_meta (k, v) VALUES ('cursor', ?)").run(Buffer.from('y'))).toThrow(/UNIQUE/);
    // Raw rows keep insertion order by id, which is the order local edits happened.
    db.prepare('INSERT INTO sync_raw (doc, body) VALUES (?, ?)').run(Buffer.alloc(32), Buffer.from('a'));
    db.prepare('INSERT INTO sync_raw (doc, body) VALUES (?, ?)').run(Buffer.alloc(32), Buffer.from('b'));
    expect(db.prepare('SELECT id FROM sync_raw ORDER BY id').pluck().all()).toEqual([1, 2]);
  });
});
