import type { Migration } from './types.node.ts';

/**
 * The sync client's local state (electron/core/sync, docs/sync-client.md). Every BLOB except ids and server-side
 * frames is sealed with a local key derived from the vault key; `sync_outbox.frame`, `sync_pending.item` and
 * `sync_quarantine.item` hold relay frames, which are ciphertext and signatures already. Nothing here is plaintext.
 */
export const migration0003: Migration = {
  version: 3,
  name: 'sync',
  up(db) {
    db.exec(`
      CREATE TABLE sync_meta (
        k TEXT PRIMARY KEY,
        v BLOB NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE sync_raw (
        id INTEGER PRIMARY KEY,
        doc BLOB NOT NULL,
        body BLOB NOT NULL
      );
      CREATE TABLE sync_outbox (
        seq INTEGER PRIMARY KEY,
        frame BLOB NOT NULL
      );
      CREATE TABLE sync_docs (
        doc BLOB PRIMARY KEY,
        v BLOB NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE sync_pending (
        server_seq INTEGER PRIMARY KEY,
        doc BLOB NOT NULL,
        item BLOB NOT NULL
      );
      CREATE TABLE sync_quarantine (
        server_seq INTEGER PRIMARY KEY,
        item BLOB NOT NULL,
        info BLOB NOT NULL
      );
    `);
  },
};
