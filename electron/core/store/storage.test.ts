import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openDb } from './db.node.ts';
import { createMemoryStorage } from './storage.node.ts';
import { createSqliteStorage } from './sqlite-storage.node.ts';
import { runVaultStorageTests } from './storage-suite.node.ts';

runVaultStorageTests('memory', createMemoryStorage);
runVaultStorageTests('sqlite', () => createSqliteStorage(openDb(mkdtempSync(join(tmpdir(), 'ms-store-')), { create: true })));

it('closing the SQLite storage closes its database', () => {
  const db = openDb(mkdtempSync(join(tmpdir(), 'ms-store-')), { create: true });
  createSqliteStorage(db).close();
  expect(db.open).toBe(false);
});
