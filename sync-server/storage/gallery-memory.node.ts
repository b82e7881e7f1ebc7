/** The public gallery in memory (tests and embedding); same rules as the SQL implementations. */
import { equalBytes } from '../../shared/sync/signing.std.ts';
import { copy } from './common.node.ts';
import type { GalleryRow, GalleryStorage, NewGalleryEntry } from './gallery-types.node.ts';

export function memoryGallery(): GalleryStorage {
  const rows = new Map<string, { row: GalleryRow; search: string; card: Uint8Array }>();
  const removed = new Map<string, { publisher: Uint8Array; issuedAt: number }>();
  const view = (r: GalleryRow): GalleryRow => ({ ...r, tags: [...r.tags] });
  return {
    async put(e: NewGalleryEntry, now, quota) {
      const old = rows.get(e.id);
      const gone = removed.get(e.id);
      const owner = old?.row.publisher ?? gone?.publisher;
      if (owner && !equalBytes(owner, e.publisher)) return 'conflict';
      if ((old && old.row.issuedAt >= e.issuedAt) || (gone && gone.issuedAt >= e.issuedAt)) return 'stale';
      if (!old && [...rows.values()].filter((r) => equalBytes(r.row.publisher, e.publisher)).length >= quota.maxEntriesPerPublisher) return 'publisher_full';
      const total = [...rows.values()].reduce((n, r) => n + r.card.length, 0) - (old?.card.length ?? 0) + e.card.length;
      if (total > quota.maxBytesTotal) return 'full';
      removed.delete(e.id);
      rows.set(e.id, {
        row: { id: e.id, publisher: copy(e.publisher), issuedAt: e.issuedAt, publishedAt: old?.row.publishedAt ?? now, updatedAt: now, mature: e.mature, name: e.name, creator: e.creator, tags: [...e.tags], description: e.description, bytes: e.card.length, sig: copy(e.sig) },
        search: e.search,
        card: copy(e.card),
      });
      return old ? 'updated' : 'created';
    },
    async list({ text, mature, limit, offset }) {
      return [...rows.values()]
        .filter((r) => (mature || !r.row.mature) && (!text || r.search.includes(text)))
        .sort((a, b) => b.row.updatedAt - a.row.updatedAt || (a.row.id < b.row.id ? -1 : 1))
        .slice(offset, offset + limit)
        .map((r) => view(r.row));
    },
    async entry(id) {
      const r = rows.get(id);
      return r ? view(r.row) : null;
    },
    async card(id) {
      const r = rows.get(id);
      return r ? copy(r.card) : null;
    },
    async remove(id, publisher, issuedAt) {
      const r = rows.get(id);
      if (!r) return 'not_found';
      if (!equalBytes(r.row.publisher, publisher)) return 'forbidden';
      if (issuedAt < r.row.issuedAt) return 'stale';
      rows.delete(id);
      removed.set(id, { publisher: copy(publisher), issuedAt });
      return 'removed';
    },
    async forget(before) {
      let n = 0;
      for (const [id, m] of removed) {
        if (m.issuedAt >= before) continue;
        removed.delete(id);
        n++;
      }
      return n;
    },
  };
}
