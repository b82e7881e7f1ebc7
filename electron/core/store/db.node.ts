/**
 * Opens the vault database: better-sqlite3 in WAL mode, one connection (the core is the only writer), schema
 * migrated to the latest version. Refuses, with a clear error and without writing, anything that is not a Mindstage
 * vault or was written by a newer Mindstage.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { MindstageError } from '../../../shared/result.std.ts';
import { LATEST_SCHEMA, migrations } from './migrations/index.node.ts';

export const DB_FILE = 'mindstage.db';
/** PRAGMA application_id marks the file as ours ("MSTG"). */
export const APPLICATION_ID = 0x4d535447;

export type Db = Database.Database;

export function dbPath(dataDir: string): string {
  return join(dataDir, DB_FILE);
}

/** Throws unless `dataDir` is usable as a data folder (it may not exist yet when `create` is true). */
function checkDataDir(dataDir: string, create: boolean): void {
  if (existsSync(dataDir)) {
    if (!statSync(dataDir).isDirectory()) {
      throw new MindstageError('usage', `${dataDir} is a file, not a data folder. Pass a folder with --data.`);
    }
  } else if (create) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  }
}

/**
 * The vault file is only ever the user's: 0600. SQLite creates it with 0644 (less the umask) and gives its WAL and
 * shared-memory files the main file's mode, so creating it ourselves first is enough for new vaults; files of
 * vaults made before this (or copied in) are tightened on open.
 */
function restrictModes(file: string): void {
  if (!existsSync(file)) {
    if (existsSync(dirname(file))) closeSync(openSync(file, 'a', 0o600));
    return;
  }
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(f) && (statSync(f).mode & 0o077) !== 0) chmodSync(f, 0o600);
  }
}

export function vaultExists(dataDir: string): boolean {
  return existsSync(dbPath(dataDir));
}

/**
 * Opens (and with `create`, creates) the database. SQLite errors that mean "not a database" become a usage error
 * naming the file; a newer schema is 'unsupported'.
 */
export function openDb(dataDir: string, options: { create: boolean }): Db {
  checkDataDir(dataDir, options.create);
  const file = dbPath(dataDir);
  if (!options.create && !existsSync(file)) {
    throw new MindstageError('not_found', `No vault in ${dataDir}. Create one first.`);
  }
  restrictModes(file);
  let db: Db | undefined;
  try {
    db = new Database(file, { fileMustExist: !options.create });
    const appId = db.pragma('application_id', { simple: true }) as number;
    const version = db.pragma('user_version', { simple: true }) as number;
    const fresh = appId === 0 && version === 0 && tableCount(db) === 0;
    if (!fresh && appId !== APPLICATION_ID) {
      throw new MindstageError('usage', `${file} is not a Mindstage vault.`);
    }
    if (version > LATEST_SCHEMA) {
      throw new MindstageError(
        'unsupported',
        `This vault was written by a newer Mindstage (schema ${version}; this build knows up to ${LATEST_SCHEMA}). Update Mindstage to open it; nothing was changed.`,
      );
    }
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a commit survives the process being killed (what we promise and test); only an OS crash
    // or power loss can lose the last transactions, never corrupt the file.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // Freed pages are zeroed so deleted ciphertext does not linger in the file.
    db.pragma('secure_delete = ON');
    migrate(db);
    return db;
  } catch (e) {
    db?.close();
    throw translateSqliteError(e, file);
  }
}

function tableCount(db: Db): number {
  return (db.prepare("SELECT count(*) AS n FROM sqlite_schema").get() as { n: number }).n;
}

export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}

/** Maps SQLite's corruption errors to integrity errors and "not a database" to a usage error. */
export function translateSqliteError(e: unknown, file: string): unknown {
  if (e instanceof MindstageError) return e;
  const code = (e as { code?: string }).code ?? '';
  if (code === 'SQLITE_NOTADB') return new MindstageError('usage', `${file} is not a Mindstage vault (not a database file).`, { cause: e });
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_IOERR_SHORT_READ') {
    return new MindstageError('integrity', `The vault file ${file} is damaged (${code}); restore it from a backup or another device.`, { cause: e });
  }
  return e;
}
