import { openDb } from '../store/db.node.ts';
import { tempDir } from '../../../tests/support/files.node.ts';
import { createMemorySyncStore } from './store.node.ts';
import { openSqliteSyncStore } from './sqlite-store.node.ts';
import { syncStoreSuite } from './store-suite.node.ts';

syncStoreSuite('memory', () => ({ store: createMemorySyncStore() }));
syncStoreSuite('sqlite', () => {
  const dir = tempDir('syncstore');
  openDb(dir, { create: true }).close();
  return { store: openSqliteSyncStore(dir), reopen: () => openSqliteSyncStore(dir) };
});
