/**
 * Characters, scenarios and personas are flat field records: one Y.Map whose keys are field names and whose values
 * are plain JSON. Two devices editing different fields merge; the same field is last-writer-wins.
 */
import type * as Y from 'yjs';

const fields = (doc: Y.Doc) => doc.getMap<unknown>('fields');

export function readFields<T>(doc: Y.Doc): T {
  return fields(doc).toJSON() as T;
}

/** Writes the given keys (an undefined value removes the field) in one transaction. */
export function writeFields(doc: Y.Doc, patch: Record<string, unknown>): void {
  const map = fields(doc);
  doc.transact(() => {
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) map.delete(k);
      else map.set(k, v);
    }
  });
}

export function hasFields(doc: Y.Doc): boolean {
  return fields(doc).size > 0;
}
