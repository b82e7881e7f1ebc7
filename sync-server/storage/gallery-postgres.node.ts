/**
 * The public gallery in the relay's PostgreSQL database (shared by every instance). Tables are created with the
 * rest of the schema, under the same advisory lock. Each write holds a transaction-scoped advisory lock on its id,
 * so two instances publishing and unpublishing the same id apply in one order.
 */
import { inTransaction } from './pg-tx.node.ts';
import type pg from 'pg';
import { copy, u8 } from './common.node.ts';
import type { GalleryPut, GalleryRemove, GalleryRow, GalleryStorage } from './gallery-types.node.ts';

export const GALLERY_PG_SCHEMA = `
CREATE TABLE IF NOT EXISTS gallery (
  id text PRIMARY KEY, publisher bytea NOT NULL, issued_at bigint NOT NULL, published_at bigint NOT NULL,
  updated_at bigint NOT NULL, mature boolean NOT NULL, name text NOT NULL, creator text NOT NULL, tags text NOT NULL,
  description text NOT NULL, search text NOT NULL, card bytea NOT NULL, sig bytea NOT NULL);
CREATE INDEX IF NOT EXISTS gallery_updated ON gallery (updated_at);
CREATE INDEX IF NOT EXISTS gallery_publisher ON gallery (publisher);
CREATE TABLE IF NOT EXISTS gallery_removed (id text PRIMARY KEY, publisher bytea NOT NULL, issued_at bigint NOT NULL);
`;

const COLUMNS = 'id, publisher, issued_at, published_at, updated_at, mature, name, creator, tags, description, octet_length(card) AS bytes, sig';
interface Row {
  id: string;
  publisher: Buffer;
  issued_at: number;
  published_at: number;
  updated_at: number;
  mature: boolean;
  name: string;
  creator: string;
  tags: string;
  description: string;
  bytes: number;
  sig: Buffer;
}
const toRow = (r: Row): GalleryRow => ({
  id: r.id,
  publisher: copy(u8(r.publisher)),
  issuedAt: Number(r.issued_at),
  publishedAt: Number(r.published_at),
  updatedAt: Number(r.updated_at),
  mature: r.mature,
  name: r.name,
  creator: r.creator,
  tags: JSON.parse(r.tags) as string[],
  description: r.description,
  bytes: Number(r.bytes),
  sig: copy(u8(r.sig)),
});
const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

export function postgresGallery(pool: pg.Pool): GalleryStorage {
  // One writer per gallery entry at a time: an advisory lock on its id, held until the transaction ends.
  const tx = <T>(id: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> =>
    inTransaction(pool, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`gallery:${id}`]);
      return fn(c);
    });
  const owner = async (c: pg.PoolClient, id: string) =>
    (await c.query<{ publisher: Buffer; issued_at: number; bytes: number }>('SELECT publisher, issued_at, octet_length(card) AS bytes FROM gallery WHERE id = $1', [id])).rows[0];
  return {
    put: (e, now, quota) =>
      tx(e.id, async (c): Promise<GalleryPut> => {
        const old = await owner(c, e.id);
        const gone = (await c.query<{ publisher: Buffer; issued_at: number }>('SELECT publisher, issued_at FROM gallery_removed WHERE id = $1', [e.id])).rows[0];
        const by = old?.publisher ?? gone?.publisher;
        if (by && !by.equals(buf(e.publisher))) return 'conflict';
        if ((old && Number(old.issued_at) >= e.issuedAt) || (gone && Number(gone.issued_at) >= e.issuedAt)) return 'stale';
        if (!old) {
          const n = (await c.query<{ n: number }>('SELECT count(*)::bigint AS n FROM gallery WHERE publisher = $1', [buf(e.publisher)])).rows[0]!.n;
          if (Number(n) >= quota.maxEntriesPerPublisher) return 'publisher_full';
        }
        const total = Number((await c.query<{ n: number }>('SELECT coalesce(sum(octet_length(card)), 0)::bigint AS n FROM gallery')).rows[0]!.n);
        if (total - Number(old?.bytes ?? 0) + e.card.length > quota.maxBytesTotal) return 'full';
        await c.query(
          `INSERT INTO gallery (id, publisher, issued_at, published_at, updated_at, mature, name, creator, tags, description, search, card, sig)
           VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9, $10, $11, $12)
           ON CONFLICT (id) DO UPDATE SET issued_at = excluded.issued_at, updated_at = excluded.updated_at, mature = excluded.mature,
             name = excluded.name, creator = excluded.creator, tags = excluded.tags, description = excluded.description,
             search = excluded.search, card = excluded.card, sig = excluded.sig`,
          [e.id, buf(e.publisher), e.issuedAt, now, e.mature, e.name, e.creator, JSON.stringify(e.tags), e.description, e.search, buf(e.card), buf(e.sig)],
        );
        await c.query('DELETE FROM gallery_removed WHERE id = $1', [e.id]);
        return old ? 'updated' : 'created';
      }),
    list: async ({ text, mature, limit, offset }) =>
      (
        await pool.query<Row>(`SELECT ${COLUMNS} FROM gallery WHERE ($1 OR NOT mature) AND ($2 = '' OR strpos(search, $2) > 0) ORDER BY updated_at DESC, id LIMIT $3 OFFSET $4`, [
          mature,
          text ?? '',
          limit,
          offset,
        ])
      ).rows.map(toRow),
    entry: async (id) => {
      const r = (await pool.query<Row>(`SELECT ${COLUMNS} FROM gallery WHERE id = $1`, [id])).rows[0];
      return r ? toRow(r) : null;
    },
    card: async (id) => {
      const r = (await pool.query<{ card: Buffer }>('SELECT card FROM gallery WHERE id = $1', [id])).rows[0];
      return r ? copy(u8(r.card)) : null;
    },
    remove: (id, publisher, issuedAt) =>
      tx(id, async (c): Promise<GalleryRemove> => {
        const old = await owner(c, id);
        if (!old) return 'not_found';
        if (!old.publisher.equals(buf(publisher))) return 'forbidden';
        if (issuedAt < Number(old.issued_at)) return 'stale';
        await c.query('DELETE FROM gallery WHERE id = $1', [id]);
        await c.query(
          'INSERT INTO gallery_removed (id, publisher, issued_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET publisher = excluded.publisher, issued_at = excluded.issued_at',
          [id, buf(publisher), issuedAt],
        );
        return 'removed';
      }),
    forget: async (before) => (await pool.query('DELETE FROM gallery_removed WHERE issued_at < $1', [before])).rowCount ?? 0,
  };
}
