import type { Migration } from './types.node.ts';

/**
 * The vault header (non-secret: ids, KDF parameters, wrapped keys) and the encrypted record storage.
 * Every BLOB column except ids holds an envelope (electron/core/crypto/envelope.node.ts); nothing here is
 * plaintext content. WITHOUT ROWID keeps rows clustered by document, which is how they are read.
 */
export const migration0001: Migration = {
  version: 1,
  name: 'initial',
  up(db) {
    db.exec(`
      CREATE TABLE vault (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        header TEXT NOT NULL
      );
      CREATE TABLE docs (
        id BLOB PRIMARY KEY,
        head BLOB NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE updates (
        doc BLOB NOT NULL,
        seq INTEGER NOT NULL,
        body BLOB NOT NULL,
        PRIMARY KEY (doc, seq)
      ) WITHOUT ROWID;
      CREATE TABLE snapshots (
        doc BLOB PRIMARY KEY,
        seq INTEGER NOT NULL,
        body BLOB NOT NULL
      ) WITHOUT ROWID;
    `);
  },
};
