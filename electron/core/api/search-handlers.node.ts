/**
 * Search across every record and message, in memory after unlock (nothing plaintext is indexed on disk).
 * Case- and accent-insensitive substring match; the first search decrypts what is not loaded yet.
 */
import type { RecordKind, SearchHit } from '../../../shared/domain.std.ts';
import { listCatalog } from '../docs/catalog.node.ts';
import { readMeta } from '../docs/conversation-doc.node.ts';
import { readFields } from '../docs/fields-doc.node.ts';
import { recordRef } from '../docs/ids.node.ts';
import type { VaultSession } from '../session.node.ts';

const fold = (s: string) => s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();

function excerpt(text: string, at: number, length: number): string {
  const start = Math.max(0, at - 40);
  const end = Math.min(text.length, at + length + 60);
  return `${start > 0 ? '…' : ''}${text.slice(start, end).replace(/\s+/g, ' ')}${end < text.length ? '…' : ''}`;
}

/** Every string inside a JSON value (field values, lists, lorebook entries). */
function* strings(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const v of value) yield* strings(v);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) yield* strings(v);
}

export function search(s: VaultSession, query: string, limit: number): SearchHit[] {
  const needle = fold(query);
  const hits: SearchHit[] = [];
  const match = (text: string) => {
    // Folding can change lengths for a few scripts; excerpts are approximate there, matches are not.
    const i = fold(text).indexOf(needle);
    return i < 0 ? null : excerpt(text, i, needle.length);
  };
  for (const entry of listCatalog(s.catalog)) {
    if (hits.length >= limit) break;
    const base = { recordId: entry.id, kind: entry.kind as RecordKind, title: entry.title };
    const doc = s.repo.open(recordRef(entry.id, entry.kind)).doc;
    if (entry.kind === 'conversation') {
      const t = match(String(readMeta(doc).title ?? ''));
      if (t) hits.push({ ...base, excerpt: t });
      for (const m of s.conversations.all(entry.id)) {
        if (hits.length >= limit) break;
        for (const alt of m.alternatives) {
          const e = match(alt.text);
          if (e) {
            hits.push({ ...base, messageId: m.id, excerpt: e });
            break;
          }
        }
      }
    } else {
      for (const text of strings(readFields(doc))) {
        const e = match(text);
        if (e) {
          hits.push({ ...base, excerpt: e });
          break;
        }
      }
    }
  }
  return hits.slice(0, limit);
}
