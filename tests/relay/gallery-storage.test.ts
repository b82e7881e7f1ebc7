/** The gallery storage suite against all three implementations, on real SQLite files and a real PostgreSQL. */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { memoryStorage } from '../../sync-server/storage/memory.node.ts';
import { postgresStorage } from '../../sync-server/storage/postgres.node.ts';
import { sqliteStorage } from '../../sync-server/storage/sqlite.node.ts';
import { tempDir } from '../support/files.node.ts';
import { postgresUnavailable, startPostgres, type PgCluster } from '../support/postgres.node.ts';
import { runGalleryStorageTests } from './gallery-suite.node.ts';

runGalleryStorageTests('memory', async () => memoryStorage());
runGalleryStorageTests('sqlite', async () => sqliteStorage(tempDir('gallery-sqlite')));

const skipPg = postgresUnavailable();
if (skipPg) {
  describe('GalleryStorage: postgres', () => it.skip(`skipped: ${skipPg}`, () => undefined));
} else {
  let cluster: PgCluster;
  let n = 0;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  runGalleryStorageTests('postgres', async () => postgresStorage(await cluster.createDatabase(`gallery_${++n}`)));
}
