/**
 * The public gallery in the relay's SQLite file. Its tables are created on open like every relay table
 * (CREATE … IF NOT EXISTS: a relay database from before the gallery simply gains them), and share nothing with
 * the sync tables. The relay's database runs with secure_delete=ON, so an unpublished card's bytes are overwritten
 * in the file, not left in free pages.
 */
import type Database from 'better-sqlite3';
import { copy, u8 } from './common.node.ts';
import type { GalleryPut, GalleryRemove, GalleryRow, GalleryStorage, NewGalleryEntry } from './gallery-types.node.ts';

export const GALLERY_SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS gallery (
  id TEXT PRIMARY KEY, publisher BLOB NOT NULL, issued_at INTEGER NOT NULL, published_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL, mature INTEGER NOT NULL, name TEXT NOT NULL, creator TEXT NOT NULL, tags TEXT NOT NULL,
  description TEXT NOT NULL, search TEXT NOT NULL, card BLOB NOT NULL, sig BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS gallery_updated ON gallery (updated_at);
CREATE INDEX IF NOT EXISTS gallery_publisher ON gallery (publisher);
CREATE TABLE IF NOT EXISTS gallery_removed (id TEXT PRIMARY KEY, publisher BLOB NOT NULL, issued_at INTEGER NOT NULL);
`;

interface Row {
  id: string;
  publisher: Uint8Array;
  issued_at: number;
  published_at: number;
  updated_at: number;
  mature: number;
  name: string;
  creator: string;
  tags: string;
  description: string;
  bytes: number;
  sig: Uint8Array;
}
const COLUMNS = 'id, publisher, issued_at, published_at, updated_at, mature, name, creator, tags, description, length(card) AS bytes, sig';
export const toGalleryRow = (r: Row): GalleryRow => ({
  id: r.id,
  publisher: copy(u8(r.publisher)),
  issuedAt: Number(r.issued_at),
  publishedAt: Number(r.published_at),
  updatedAt: Number(r.updated_at),
  mature: Boolean(r.mature),
  name: r.name,
  creator: r.creator,
  tags: JSON.parse(r.tags) as string[],
  description: r.description,
  bytes: Number(r.bytes),
  sig: copy(u8(r.sig)),
});
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

export function sqliteGallery(db: Database.Database): GalleryStorage {
  db.exec(GALLERY_SQLITE_SCHEMA);
  const q = {
    owner: db.prepare<[string], { publisher: Uint8Array; issued_at: number; bytes: number }>('SELECT publisher, issued_at, length(card) AS bytes FROM gallery WHERE id = ?'),
    removed: db.prepare<[string], { publisher: Uint8Array; issued_at: number }>('SELECT publisher, issued_at FROM gallery_removed WHERE id = ?'),
    count: db.prepare<[Uint8Array], { n: number }>('SELECT count(*) AS n FROM gallery WHERE publisher = ?'),
    total: db.prepare<[], { n: number }>('SELECT coalesce(sum(length(card)), 0) AS n FROM gallery'),
    upsert: db.prepare(`INSERT INTO gallery (id, publisher, issued_at, published_at, updated_at, mature, name, creator, tags, description, search, card, sig)
      VALUES (@id, @publisher, @issuedAt, @now, @now, @mature, @name, @creator, @tags, @description, @search, @card, @sig)
      ON CONFLICT (id) DO UPDATE SET issued_at = excluded.issued_at, updated_at = excluded.updated_at, mature = excluded.mature,
        name = excluded.name, creator = excluded.creator, tags = excluded.tags, description = excluded.description,
        search = excluded.search, card = excluded.card, sig = excluded.sig`),
    unmark: db.prepare<[string]>('DELETE FROM gallery_removed WHERE id = ?'),
    list: db.prepare<[number, string, string, number, number], Row>(
      `SELECT ${COLUMNS} FROM gallery WHERE (? = 1 OR mature = 0) AND (? = '' OR instr(search, ?) > 0) ORDER BY updated_at DESC, id LIMIT ? OFFSET ?`,
    ),
    entry: db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM gallery WHERE id = ?`),
    card: db.prepare<[string], { card: Uint8Array }>('SELECT card FROM gallery WHERE id = ?'),
    delete: db.prepare<[string]>('DELETE FROM gallery WHERE id = ?'),
    mark: db.prepare<[string, Uint8Array, number]>('INSERT INTO gallery_removed (id, publisher, issued_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET publisher = excluded.publisher, issued_at = excluded.issued_at'),
    forget: db.prepare<[number]>('DELETE FROM gallery_removed WHERE issued_at < ?'),
  };
  const put = db.transaction((e: NewGalleryEntry, now: number, quota: { maxEntriesPerPublisher: number; maxBytesTotal: number }): GalleryPut => {
    const old = q.owner.get(e.id);
    const gone = q.removed.get(e.id);
    const owner = old?.publisher ?? gone?.publisher;
    if (owner && !same(owner, e.publisher)) return 'conflict';
    if ((old && old.issued_at >= e.issuedAt) || (gone && gone.issued_at >= e.issuedAt)) return 'stale';
    if (!old && q.count.get(e.publisher)!.n >= quota.maxEntriesPerPublisher) return 'publisher_full';
    if (q.total.get()!.n - (old?.bytes ?? 0) + e.card.length > quota.maxBytesTotal) return 'full';
    q.upsert.run({ ...e, now, mature: e.mature ? 1 : 0, tags: JSON.stringify(e.tags) });
    q.unmark.run(e.id);
    return old ? 'updated' : 'created';
  });
  const remove = db.transaction((id: string, publisher: Uint8Array, issuedAt: number): GalleryRemove => {
    const old = q.owner.get(id);
    if (!old) return 'not_found';
    if (!same(old.publisher, publisher)) return 'forbidden';
    if (issuedAt < old.issued_at) return 'stale';
    q.delete.run(id);
    q.mark.run(id, publisher, issuedAt);
    return 'removed';
  });
  return {
    put: async (e, now, quota) => put(e, now, quota),
    list: async ({ text, mature, limit, offset }) => q.list.all(mature ? 1 : 0, text ?? '', text ?? '', limit, offset).map(toGalleryRow),
    entry: async (id) => {
      const r = q.entry.get(id);
      return r ? toGalleryRow(r) : null;
    },
    card: async (id) => {
      const r = q.card.get(id);
      return r ? copy(u8(r.card)) : null;
    },
    remove: async (id, publisher, issuedAt) => remove(id, publisher, issuedAt),
    forget: async (before) => q.forget.run(before).changes,
  };
}
