import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MindstageError } from '../../../shared/result.std.ts';
import { refusal } from '../../../tests/support/refusal.node.ts';
import { APPLICATION_ID, dbPath, openDb, translateSqliteError, vaultExists } from './db.node.ts';
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

describe('the vault file, as opened', () => {
  it('creates the folder (0700) and the file (0600) itself, with durable, zeroing settings', () => {
    const dir = join(tmp(), 'nested', 'data');
    expect(vaultExists(dir)).toBe(false);
    const db = openDb(dir, { create: true });
    expect(vaultExists(dir)).toBe(true);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(dbPath(dir)).mode & 0o777).toBe(0o600);
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('secure_delete', { simple: true })).toBe(1);
    db.close();
  });

  it('tightens the modes of a vault file and its WAL files that others could read', () => {
    const dir = tmp();
    const db = openDb(dir, { create: true });
    db.prepare("INSERT INTO vault (id, header) VALUES (1, 'x')").run(); // the WAL and shared-memory files exist while open
    const files = [dbPath(dir), `${dbPath(dir)}-wal`, `${dbPath(dir)}-shm`];
    for (const f of files) chmodSync(f, 0o644);
    const again = openDb(dir, { create: false });
    for (const f of files) expect(statSync(f).mode & 0o777).toBe(0o600);
    again.close();
    db.close();
  });

  it('takes an empty file as a new vault, but not a marked-less file at a schema version', () => {
    const dir = tmp();
    writeFileSync(dbPath(dir), '');
    const db = openDb(dir, { create: false });
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA);
    db.close();

    const other = tmp();
    const raw = new Database(dbPath(other));
    raw.pragma('user_version = 1');
    raw.close();
    expect(refusal(() => openDb(other, { create: false })).message).toBe(`${dbPath(other)} is not a Mindstage vault.`);
  });

  it('refuses a missing vault without creating its folder', () => {
    const dir = join(tmp(), 'not-yet');
    expect(codeOf(() => openDb(dir, { create: false }))).toBe('not_found');
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses a database marked by another application, even an empty one, unchanged', () => {
    const dir = tmp();
    const raw = new Database(dbPath(dir));
    raw.pragma('application_id = 305419896');
    raw.close();
    expect(refusal(() => openDb(dir, { create: false })).message).toBe(`${dbPath(dir)} is not a Mindstage vault.`);
    const after = new Database(dbPath(dir));
    expect([after.pragma('application_id', { simple: true }), after.pragma('user_version', { simple: true })]).toEqual([305419896, 0]);
    after.close();
  });

  it('passes on what SQLite says when the file cannot be opened at all', () => {
    const dir = tmp();
    mkdirSync(dbPath(dir)); // a folder where the vault file should be
    expect(() => openDb(dir, { create: false })).toThrow(expect.objectContaining({ code: 'SQLITE_CANTOPEN' }));
  });

  it('says what is wrong in each refusal', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'file'), 'x');
    expect(refusal(() => openDb(join(dir, 'file'), { create: true })).message).toBe(`${join(dir, 'file')} is a file, not a data folder. Pass a folder with --data.`);
    expect(refusal(() => openDb(join(dir, 'none'), { create: false })).message).toBe(`No vault in ${join(dir, 'none')}. Create one first.`);
    openDb(dir, { create: true }).close();
    const raw = new Database(dbPath(dir));
    raw.pragma(`user_version = ${LATEST_SCHEMA + 1}`);
    raw.close();
    expect(refusal(() => openDb(dir, { create: false })).message).toBe(
      `This vault was written by a newer Mindstage (schema ${LATEST_SCHEMA + 1}; this build knows up to ${LATEST_SCHEMA}). Update Mindstage to open it; nothing was changed.`,
    );
  });
});

describe('translateSqliteError', () => {
  const sqlite = (code: string) => Object.assign(new Error('sqlite says'), { code });

  it('turns corruption into an integrity error and "not a database" into a usage error, both naming the file', () => {
    const notDb = translateSqliteError(sqlite('SQLITE_NOTADB'), '/v/mindstage.db');
    expect(notDb).toMatchObject({ code: 'usage', message: '/v/mindstage.db is not a Mindstage vault (not a database file).' });
    expect((notDb as Error).cause).toMatchObject({ code: 'SQLITE_NOTADB' });
    for (const code of ['SQLITE_CORRUPT', 'SQLITE_CORRUPT_INDEX', 'SQLITE_IOERR_SHORT_READ']) {
      const e = translateSqliteError(sqlite(code), '/v/mindstage.db');
      expect(e).toBeInstanceOf(MindstageError);
      expect(e).toMatchObject({ code: 'integrity', message: `The vault file /v/mindstage.db is damaged (${code}); restore it from a backup or another device.` });
      expect((e as Error).cause).toMatchObject({ code });
    }
  });

  it('passes every other error on as it was', () => {
    for (const e of [sqlite('SQLITE_BUSY'), sqlite('SQLITE_IOERR_WRITE'), new Error('no code'), new MindstageError('busy', 'kept')]) {
      expect(translateSqliteError(e, 'f')).toBe(e);
    }
  });
});
