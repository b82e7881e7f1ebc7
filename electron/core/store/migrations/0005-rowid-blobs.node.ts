import type { Migration } from './types.node.ts';

/**
 * Documents' updates, snapshots and assets move to rowid tables, keyed by a separate index (issue 9,
 * docs/decisions.md #40). In a WITHOUT ROWID table the whole row is the b-tree key, so a row that spills onto
 * overflow pages (a segment written by an import is one ~0.5 MB update, a snapshot as much, an avatar more) is read in
 * full whenever a search compares against it: with 100 such rows every append read megabytes, and its cost grew with
 * the history (median 0.11 → 0.25 ms, p99 1.6 → 8.4 ms for one INSERT at 1k vs 100k messages). A rowid table keeps
 * the bodies out of the keys, so lookups compare only (doc, seq) in a small index.
 *
 * The tables keep SQLite's implicit rowid (nothing refers to it). Rows are copied as they are (ciphertext, same keys); secure_delete zeroes the old tables' pages when they drop.
 */
export const migration0005: Migration = {
  version: 5,
  name: 'rowid-blobs',
  up(db) {
    db.exec(`
      CREATE TABLE updates_v5 (
        doc BLOB NOT NULL,
        seq INTEGER NOT NULL,
        body BLOB NOT NULL
      );
      INSERT INTO updates_v5 (doc, seq, body) SELECT doc, seq, body FROM updates ORDER BY doc, seq;
      DROP TABLE updates;
      ALTER TABLE updates_v5 RENAME TO updates;
      CREATE UNIQUE INDEX updates_doc_seq ON updates (doc, seq);

      CREATE TABLE snapshots_v5 (
        doc BLOB NOT NULL,
        seq INTEGER NOT NULL,
        body BLOB NOT NULL
      );
      INSERT INTO snapshots_v5 (doc, seq, body) SELECT doc, seq, body FROM snapshots ORDER BY doc;
      DROP TABLE snapshots;
      ALTER TABLE snapshots_v5 RENAME TO snapshots;
      CREATE UNIQUE INDEX snapshots_doc ON snapshots (doc);

      CREATE TABLE assets_v5 (
        id BLOB NOT NULL,
        body BLOB NOT NULL
      );
      INSERT INTO assets_v5 (id, body) SELECT id, body FROM assets ORDER BY id;
      DROP TABLE assets;
      ALTER TABLE assets_v5 RENAME TO assets;
      CREATE UNIQUE INDEX assets_id ON assets (id);
    `);
  },
};
