/** The gallery storage suite against all three implementations, on real SQLite files and a real PostgreSQL. */
import { memoryStorage } from '../../sync-server/storage/memory.node.ts';
import { postgresStorage } from '../../sync-server/storage/postgres.node.ts';
import { sqliteStorage } from '../../sync-server/storage/sqlite.node.ts';
import { tempDir } from '../support/files.node.ts';
import { postgresSuite } from '../support/postgres.node.ts';
import { runGalleryStorageTests } from './gallery-suite.node.ts';

runGalleryStorageTests('memory', async () => memoryStorage());
runGalleryStorageTests('sqlite', async () => sqliteStorage(tempDir('gallery-sqlite')));

postgresSuite('GalleryStorage', (newDatabase) => runGalleryStorageTests('postgres', async () => postgresStorage(await newDatabase())));
