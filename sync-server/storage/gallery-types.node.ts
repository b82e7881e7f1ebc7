/**
 * The relay's public gallery in storage: plaintext character cards that their publishers chose to make public.
 * Kept apart from everything else the relay stores — no account, device or document id is on these rows, and no
 * query joins them with the sync tables — so nothing private can reach a gallery answer through a shared row.
 *
 * Unpublishing deletes the entry (card included) in the same statement; what remains for a short while is a
 * removal marker (id, publisher key, signing time) so a captured publish request cannot be replayed to bring the
 * card back. Implementations: gallery-memory/-sqlite/-postgres.node.ts, one shared suite (tests/relay/gallery-suite.node.ts).
 */

export interface GalleryRow {
  id: string;
  publisher: Uint8Array;
  issuedAt: number;
  publishedAt: number;
  updatedAt: number;
  mature: boolean;
  name: string;
  creator: string;
  tags: string[];
  /** A short excerpt, for the listing. */
  description: string;
  bytes: number;
  sig: Uint8Array;
}

export interface NewGalleryEntry {
  id: string;
  publisher: Uint8Array;
  issuedAt: number;
  mature: boolean;
  name: string;
  creator: string;
  tags: string[];
  description: string;
  /** Lower-cased text searched by `list({text})`. */
  search: string;
  card: Uint8Array;
  sig: Uint8Array;
}

export interface GalleryQuota {
  maxEntriesPerPublisher: number;
  maxBytesTotal: number;
}

export type GalleryPut = 'created' | 'updated' | 'conflict' | 'stale' | 'publisher_full' | 'full';
export type GalleryRemove = 'removed' | 'not_found' | 'forbidden' | 'stale';

export interface GalleryStorage {
  /**
   * Stores or replaces an entry. `conflict`: the id belongs to another publisher. `stale`: the entry (or its removal)
   * was signed at or after `issuedAt` — an old request replayed. Quotas count cards, replacements net of the old one.
   */
  put(entry: NewGalleryEntry, now: number, quota: GalleryQuota): Promise<GalleryPut>;
  /** Newest first. `text` matches the lower-cased search text; mature entries only when asked. */
  list(query: { text?: string; mature: boolean; limit: number; offset: number }): Promise<GalleryRow[]>;
  entry(id: string): Promise<GalleryRow | null>;
  card(id: string): Promise<Uint8Array | null>;
  /** Deletes the entry at once when `publisher` owns it and signed after the entry's own signature. */
  remove(id: string, publisher: Uint8Array, issuedAt: number, now: number): Promise<GalleryRemove>;
  /** Drops removal markers older than `before` (they only guard against replays inside the signing window). */
  forget(before: number): Promise<number>;
}
