import type { Migration } from './types.node.ts';

/**
 * The record manifest (electron/core/docs/manifest.node.ts): each document's latest sequence number, and one
 * sealed sum that binds the whole list to the vault key. A record rolled back to an older copy of itself no longer
 * matches its manifest row; a manifest row rolled back with it no longer matches the sum. `seq` is no more than
 * the `updates` table already shows; the sum is an envelope.
 */
export const migration0004: Migration = {
  version: 4,
  name: 'manifest',
  up(db) {
    db.exec(`
      CREATE TABLE manifest (
        doc BLOB PRIMARY KEY,
        seq INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE manifest_sum (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        body BLOB NOT NULL
      );
    `);
  },
};
