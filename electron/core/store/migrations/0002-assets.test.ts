import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migration0001 } from './0001-initial.node.ts';
import { migration0002 } from './0002-assets.node.ts';

describe('migration 0002: assets', () => {
  it('adds the assets table on top of 0001 and keeps existing rows', () => {
    const db = new Database(':memory:');
    migration0001.up(db);
    db.prepare("INSERT INTO vault (id, header) VALUES (1, 'h')").run();
    migration0002.up(db);
    db.prepare('INSERT INTO assets (id, body) VALUES (?, ?)').run(Buffer.alloc(16, 1), Buffer.from('png'));
    expect(db.prepare('SELECT header FROM vault').pluck().get()).toBe('h');
    expect(() => db.prepare('INSERT INTO assets (id, body) VALUES (?, ?)').run(Buffer.alloc(16, 1), Buffer.from('x'))).toThrow(/UNIQUE/);
  });
});
