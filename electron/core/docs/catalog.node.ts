/**
 * The catalog document lists every record: kind, title and timestamps, so the library can be listed and sorted
 * without decrypting each record. A deleted record stays as a tombstone ({deletedAt}, title erased) so that the
 * deletion merges correctly with other devices.
 */
import type * as Y from 'yjs';
import type { CatalogEntry, RecordKind } from '../../../shared/domain.std.ts';

interface StoredEntry {
  kind: RecordKind;
  title: string;
  createdAt: number;
  updatedAt: number;
  deletedAt?: number;
}

/** Touching a record's updatedAt costs a catalog update; within this window we skip it (chat appends often). */
const TOUCH_GRANULARITY_MS = 60_000;

const records = (doc: Y.Doc) => doc.getMap<StoredEntry>('records');

export function listCatalog(doc: Y.Doc, kind?: RecordKind): CatalogEntry[] {
  const out: CatalogEntry[] = [];
  for (const [id, e] of records(doc).entries()) {
    if (e.deletedAt !== undefined || (kind && e.kind !== kind)) continue;
    out.push({ id, kind: e.kind, title: e.title, createdAt: e.createdAt, updatedAt: e.updatedAt });
  }
  return out.sort((a, b) => b.updatedAt - a.updatedAt || a.title.localeCompare(b.title));
}

export function getCatalogEntry(doc: Y.Doc, id: string): CatalogEntry | undefined {
  const e = records(doc).get(id);
  return e && e.deletedAt === undefined ? { id, kind: e.kind, title: e.title, createdAt: e.createdAt, updatedAt: e.updatedAt } : undefined;
}

export function addCatalogEntry(doc: Y.Doc, id: string, kind: RecordKind, title: string, now: number): void {
  records(doc).set(id, { kind, title, createdAt: now, updatedAt: now });
}

/** Updates title and/or updatedAt; returns without writing when nothing worth recording changed. */
export function touchCatalogEntry(doc: Y.Doc, id: string, now: number, title?: string): void {
  const e = records(doc).get(id);
  if (!e || e.deletedAt !== undefined) return;
  const titleChanged = title !== undefined && title !== e.title;
  if (!titleChanged && now - e.updatedAt < TOUCH_GRANULARITY_MS) return;
  records(doc).set(id, { ...e, title: title ?? e.title, updatedAt: now });
}

export function markCatalogDeleted(doc: Y.Doc, id: string, now: number): void {
  const e = records(doc).get(id);
  if (!e) return;
  records(doc).set(id, { kind: e.kind, title: '', createdAt: e.createdAt, updatedAt: now, deletedAt: now });
}
