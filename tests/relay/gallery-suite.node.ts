/**
 * The one suite every GalleryStorage passes (memory, SQLite, PostgreSQL): ownership of ids, replays refused by
 * signing time, quotas, search and the 18+ filter, and unpublish deleting the entry at once.
 */
import { describe, expect, it } from 'vitest';
import type { RelayStorage } from '../../sync-server/storage/types.node.ts';
import type { NewGalleryEntry } from '../../sync-server/storage/gallery-types.node.ts';

const key = (n: number) => new Uint8Array(32).fill(n);
const T0 = 1_700_000_000_000;
const QUOTA = { maxEntriesPerPublisher: 3, maxBytesTotal: 10_000 };
const entry = (id: string, publisher: Uint8Array, issuedAt: number, more: Partial<NewGalleryEntry> = {}): NewGalleryEntry => ({
  id, publisher, issuedAt, mature: false, name: `Name ${id.slice(0, 4)}`, creator: 'someone', tags: ['fantasy'], description: 'A knight.',
  search: `name ${id.slice(0, 4)}\nsomeone\nfantasy\na knight.`, card: new Uint8Array(100).fill(7), sig: new Uint8Array(64).fill(9), ...more,
});
const id = (c: string) => c.repeat(32);

export function runGalleryStorageTests(name: string, make: () => Promise<RelayStorage>): void {
  describe(`GalleryStorage: ${name}`, () => {
    const withStorage = (title: string, fn: (s: RelayStorage) => Promise<void>) =>
      it(title, async () => {
        const s = await make();
        try {
          await fn(s);
        } finally {
          await s.close();
        }
      });

    withStorage('publishes, lists, reads the card, replaces with a newer signature', async ({ gallery: g }) => {
      expect(await g.put(entry(id('a'), key(1), T0, { card: new Uint8Array([1, 2, 3]) }), T0, QUOTA)).toBe('created');
      expect((await g.card(id('a')))?.length).toBe(3);
      const [row] = await g.list({ mature: false, limit: 10, offset: 0 });
      expect(row).toMatchObject({ id: id('a'), name: 'Name aaaa', tags: ['fantasy'], bytes: 3, publishedAt: T0, issuedAt: T0, mature: false });
      expect(Buffer.from(row!.publisher).equals(Buffer.from(key(1)))).toBe(true);
      expect(await g.put(entry(id('a'), key(1), T0 + 5, { name: 'Renamed' }), T0 + 10, QUOTA)).toBe('updated');
      expect(await g.entry(id('a'))).toMatchObject({ name: 'Renamed', publishedAt: T0, updatedAt: T0 + 10, bytes: 100 });
      expect(await g.entry(id('b'))).toBeNull();
      expect(await g.card(id('b'))).toBeNull();
    });

    withStorage('an id belongs to its publisher; old signatures are refused as replays', async ({ gallery: g }) => {
      await g.put(entry(id('a'), key(1), T0), T0, QUOTA);
      expect(await g.put(entry(id('a'), key(2), T0 + 1), T0, QUOTA)).toBe('conflict');
      expect(await g.put(entry(id('a'), key(1), T0), T0, QUOTA)).toBe('stale');
      expect(await g.remove(id('a'), key(2), T0 + 1, T0)).toBe('forbidden');
      expect(await g.remove(id('a'), key(1), T0 - 1, T0)).toBe('stale');
      expect(await g.remove(id('c'), key(1), T0 + 1, T0)).toBe('not_found');
      expect((await g.entry(id('a')))?.name).toBe('Name aaaa');
    });

    withStorage('unpublish deletes the entry and its card at once; a replayed publish cannot bring it back', async ({ gallery: g }) => {
      await g.put(entry(id('a'), key(1), T0), T0, QUOTA);
      await g.put(entry(id('b'), key(1), T0), T0, QUOTA);
      expect(await g.remove(id('a'), key(1), T0 + 2, T0 + 2)).toBe('removed');
      expect(await g.entry(id('a'))).toBeNull();
      expect(await g.card(id('a'))).toBeNull();
      expect((await g.list({ mature: true, limit: 10, offset: 0 })).map((r) => r.id)).toEqual([id('b')]);
      expect(await g.put(entry(id('a'), key(1), T0 + 1), T0 + 3, QUOTA)).toBe('stale');
      expect(await g.put(entry(id('a'), key(2), T0 + 9), T0 + 3, QUOTA)).toBe('conflict');
      expect(await g.remove(id('a'), key(1), T0 + 3, T0 + 3)).toBe('not_found');
      // Republishing with a fresh signature works; the removal marker is then gone.
      expect(await g.put(entry(id('a'), key(1), T0 + 4), T0 + 4, QUOTA)).toBe('created');
      expect(await g.forget(T0 + 100)).toBe(0);
      await g.remove(id('a'), key(1), T0 + 5, T0 + 5);
      expect(await g.forget(T0 + 5)).toBe(0);
      expect(await g.forget(T0 + 6)).toBe(1);
    });

    withStorage('search, the 18+ filter, paging', async ({ gallery: g }) => {
      await g.put(entry(id('a'), key(1), T0, { search: 'seraphina\nforest guardian' }), T0, QUOTA);
      await g.put(entry(id('b'), key(1), T0, { mature: true, search: 'velvet\nforest' }), T0 + 1, QUOTA);
      await g.put(entry(id('c'), key(2), T0, { search: 'detective\nnoir' }), T0 + 2, QUOTA);
      const ids = async (q: Parameters<typeof g.list>[0]) => (await g.list(q)).map((r) => r.id);
      expect(await ids({ mature: false, limit: 10, offset: 0 })).toEqual([id('c'), id('a')]);
      expect(await ids({ mature: true, limit: 10, offset: 0 })).toEqual([id('c'), id('b'), id('a')]);
      expect(await ids({ text: 'forest', mature: false, limit: 10, offset: 0 })).toEqual([id('a')]);
      expect(await ids({ text: 'forest', mature: true, limit: 10, offset: 0 })).toEqual([id('b'), id('a')]);
      expect(await ids({ text: '%', mature: true, limit: 10, offset: 0 })).toEqual([]);
      expect(await ids({ mature: true, limit: 1, offset: 1 })).toEqual([id('b')]);
    });

    withStorage('quotas: entries per publisher and bytes in all (a replacement counts net)', async ({ gallery: g }) => {
      for (const c of 'abc') expect(await g.put(entry(id(c), key(1), T0), T0, QUOTA)).toBe('created');
      expect(await g.put(entry(id('d'), key(1), T0), T0, QUOTA)).toBe('publisher_full');
      expect(await g.put(entry(id('a'), key(1), T0 + 1), T0, QUOTA)).toBe('updated');
      expect(await g.put(entry(id('e'), key(2), T0, { card: new Uint8Array(9_701) }), T0, QUOTA)).toBe('full');
      expect(await g.put(entry(id('e'), key(2), T0, { card: new Uint8Array(9_700) }), T0, QUOTA)).toBe('created');
      expect(await g.put(entry(id('e'), key(2), T0 + 1, { card: new Uint8Array(9_700) }), T0, QUOTA)).toBe('updated');
    });
  });
}
