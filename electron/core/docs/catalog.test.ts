// The catalog document: what the library lists, in which order, and when a touch is worth a write.
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { addCatalogEntry, getCatalogEntry, listCatalog, markCatalogDeleted, touchCatalogEntry } from './catalog.node.ts';

/** A catalog and a count of the updates written to it. */
function catalog() {
  const doc = new Y.Doc();
  let writes = 0;
  doc.on('update', () => writes++);
  return { doc, writes: () => writes };
}

describe('the catalog', () => {
  it('lists live records newest first, then by title, of one kind or all', () => {
    const { doc } = catalog();
    addCatalogEntry(doc, 'a', 'character', 'Bea', 100);
    addCatalogEntry(doc, 'b', 'character', 'Ada', 100);
    addCatalogEntry(doc, 'c', 'scenario', 'Cave', 300);
    addCatalogEntry(doc, 'd', 'character', 'Dee', 200);
    expect(listCatalog(doc).map((e) => e.id)).toEqual(['c', 'd', 'b', 'a']);
    expect(listCatalog(doc, 'character')).toEqual([
      { id: 'd', kind: 'character', title: 'Dee', createdAt: 200, updatedAt: 200 },
      { id: 'b', kind: 'character', title: 'Ada', createdAt: 100, updatedAt: 100 },
      { id: 'a', kind: 'character', title: 'Bea', createdAt: 100, updatedAt: 100 },
    ]);
    markCatalogDeleted(doc, 'd', 400);
    expect(listCatalog(doc, 'character').map((e) => e.id)).toEqual(['b', 'a']);
    expect(getCatalogEntry(doc, 'd')).toBeUndefined();
    expect(getCatalogEntry(doc, 'nothing')).toBeUndefined();
    expect(getCatalogEntry(doc, 'c')).toEqual({ id: 'c', kind: 'scenario', title: 'Cave', createdAt: 300, updatedAt: 300 });
  });

  it('a deleted record keeps only a tombstone: no title, the time of deletion', () => {
    const { doc, writes } = catalog();
    addCatalogEntry(doc, 'a', 'persona', 'Secret name', 100);
    markCatalogDeleted(doc, 'a', 500);
    expect(doc.getMap('records').get('a')).toEqual({ kind: 'persona', title: '', createdAt: 100, updatedAt: 500, deletedAt: 500 });
    const before = writes();
    markCatalogDeleted(doc, 'unknown', 600);
    expect(writes()).toBe(before);
    expect(doc.getMap('records').has('unknown')).toBe(false);
  });

  it('a touch writes a new title at once, but a new time only once a minute has passed', () => {
    const { doc, writes } = catalog();
    addCatalogEntry(doc, 'a', 'conversation', 'Chat', 1_000);
    const before = writes();
    touchCatalogEntry(doc, 'a', 60_999);
    touchCatalogEntry(doc, 'a', 30_000, 'Chat'); // the same title is no change
    expect(writes()).toBe(before);
    expect(getCatalogEntry(doc, 'a')?.updatedAt).toBe(1_000);
    touchCatalogEntry(doc, 'a', 61_000);
    expect(getCatalogEntry(doc, 'a')).toMatchObject({ title: 'Chat', updatedAt: 61_000, createdAt: 1_000 });
    touchCatalogEntry(doc, 'a', 61_001, 'Renamed');
    expect(getCatalogEntry(doc, 'a')).toMatchObject({ title: 'Renamed', updatedAt: 61_001 });
    expect(writes()).toBe(before + 2);
  });

  it('a touch does nothing to an unknown or deleted record', () => {
    const { doc, writes } = catalog();
    addCatalogEntry(doc, 'a', 'character', 'A', 0);
    markCatalogDeleted(doc, 'a', 10);
    const before = writes();
    touchCatalogEntry(doc, 'a', 1_000_000, 'Back');
    touchCatalogEntry(doc, 'b', 1_000_000, 'New');
    expect(writes()).toBe(before);
    expect(doc.getMap('records').get('a')).toMatchObject({ title: '', deletedAt: 10 });
  });
});
