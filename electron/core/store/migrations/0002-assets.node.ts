import type { Migration } from './types.node.ts';

/** Encrypted binary assets (avatars, card images), each one envelope bound to its id. */
export const migration0002: Migration = {
  version: 2,
  name: 'assets',
  up(db) {
    db.exec(`
      CREATE TABLE assets (
        id BLOB PRIMARY KEY,
        body BLOB NOT NULL
      ) WITHOUT ROWID;
    `);
  },
};
