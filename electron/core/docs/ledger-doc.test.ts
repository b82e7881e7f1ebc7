// The privacy ledger document: entries kept in order, read newest first, as many as asked.
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import type { LedgerEntryView } from '../../../shared/api/chat.std.ts';
import { appendLedger, readLedger } from './ledger-doc.node.ts';

const entry = (at: number): LedgerEntryView => ({ at, host: 'api.example.org', purpose: 'chat', bytesOut: 10, bytesIn: 20, status: 200, outcome: 'ok' });

describe('the ledger document', () => {
  it('returns the newest entries first, at most `limit`, and survives a trip through its update', () => {
    const doc = new Y.Doc();
    for (const at of [1, 2, 3, 4]) appendLedger(doc, entry(at));
    expect(readLedger(doc, 10).map((e) => e.at)).toEqual([4, 3, 2, 1]);
    expect(readLedger(doc, 2).map((e) => e.at)).toEqual([4, 3]);
    expect(readLedger(doc, 4).map((e) => e.at)).toEqual([4, 3, 2, 1]);
    const copy = new Y.Doc();
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
    expect(readLedger(copy, 1)).toEqual([entry(4)]);
    expect(readLedger(new Y.Doc(), 5)).toEqual([]);
    // Where the entries live in the document is part of the vault format: ledgers already written are read there.
    expect(doc.getArray('entries').toArray()).toEqual([1, 2, 3, 4].map(entry));
  });
});
