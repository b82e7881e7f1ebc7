/**
 * The privacy ledger: one entry per outbound request (when, which host, purpose, bytes out and in, outcome), never
 * content. Stored encrypted like everything else; the privacy screen shows it and the user can export it.
 */
import type * as Y from 'yjs';
import type { LedgerEntryView } from '../../../shared/api/chat.std.ts';

const entries = (doc: Y.Doc) => doc.getArray<LedgerEntryView>('entries');

export function appendLedger(doc: Y.Doc, entry: LedgerEntryView): void {
  entries(doc).push([entry]);
}

/** Newest first. */
export function readLedger(doc: Y.Doc, limit: number): LedgerEntryView[] {
  const all = entries(doc).toArray();
  return all.slice(Math.max(0, all.length - limit)).reverse();
}
