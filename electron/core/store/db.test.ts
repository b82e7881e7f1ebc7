import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { MindstageError } from '../../../shared/result.std.ts';
import { APPLICATION_ID, dbPath, openDb } from './db.node.ts';
import { LATEST_SCHEMA, migrations } from './migrations/index.node.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'ms-db-'));
const codeOf = (f: () => unknown) => {
  try {
    f();
    return 'no error';
  } catch (e) {
    return (e as MindstageError).code;
  }
};

describe('opening the vault database', () => {
  it('migrates a new file to the latest schema, in WAL mode, marked as ours', () => {
    const dir = tmp();
    const db = openDb(dir, { create: true });
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA);
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('migrations are numbered 1..n without gaps', () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
  });

  it('upgrades a vault at an older schema and keeps its rows', () => {
    const dir = tmp();
    const raw = new Database(dbPath(dir));
    migrations[0]!.up(raw);
    raw.pragma(`application_id = ${APPLICATION_ID}`);
    raw.pragma('user_version = 1');
    raw.prepare("INSERT INTO vault (id, header) VALUES (1, 'kept')").run();
    raw.close();
    const db = openDb(dir, { create: false });
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA);
    expect(db.prepare('SELECT header FROM vault').pluck().get()).toBe('kept');
    db.close();
  });

  it('refuses a newer schema without touching the file', () => {
    const dir = tmp();
    openDb(dir, { create: true }).close();
    const raw = new Database(dbPath(dir));
    raw.pragma('user_version = 999');
    raw.pragma('journal_mode = DELETE');
    raw.close();
    const before = readFileSync(dbPath(dir));
    expect(codeOf(() => openDb(dir, { create: false }))).toBe('unsupported');
    expect(readFileSync(dbPath(dir)).equals(before)).toBe(true);
  });

  it('refuses a file that is not a database, and another app\'s database, unchanged', () => {
    const dir = tmp();
    writeFileSync(dbPath(dir), 'hello, not sqlite at all '.repeat(100));
    expect(codeOf(() => openDb(dir, { create: false }))).toBe('usage');
    expect(readFileSync(dbPath(dir), 'utf8').startsWith('hello')).toBe(true);

    const other = tmp();
    const raw = new Database(dbPath(other));
    raw.exec('CREATE TABLE t (x)');
    raw.close();
    expect(codeOf(() => openDb(other, { create: false }))).toBe('usage');
  });

  it('refuses a file given as the data folder, and a missing vault', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'file'), 'x');
    expect(codeOf(() => openDb(join(dir, 'file'), { create: true }))).toBe('usage');
    expect(codeOf(() => openDb(join(dir, 'nothing-here'), { create: false }))).toBe('not_found');
  });
});
