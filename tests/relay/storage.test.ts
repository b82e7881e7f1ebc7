/** The shared relay storage suite against all three implementations, on real SQLite files and a real PostgreSQL. */
import { memoryStorage } from '../../sync-server/storage/memory.node.ts';
import { postgresStorage } from '../../sync-server/storage/postgres.node.ts';
import { sqliteStorage } from '../../sync-server/storage/sqlite.node.ts';
import { tempDir } from '../support/files.node.ts';
import { postgresSuite } from '../support/postgres.node.ts';
import { runRelayStorageTests } from './storage-suite.node.ts';

runRelayStorageTests('memory', async () => memoryStorage());
runRelayStorageTests('sqlite', async () => sqliteStorage(tempDir('relay-sqlite')));

postgresSuite('RelayStorage', (newDatabase) => runRelayStorageTests('postgres', async () => postgresStorage(await newDatabase())));
