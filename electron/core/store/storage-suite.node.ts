/**
 * The one test suite every VaultStorage implementation must pass (in the style of automerge-repo's
 * runStorageAdapterTests). Call it from a *.test.ts with a factory.
 */
import { describe, expect, it } from 'vitest';
import type { VaultStorage } from './storage.node.ts';

const id = (n: number) => new Uint8Array(16).fill(n);
const bytes = (s: string) => new TextEncoder().encode(s);

export function runVaultStorageTests(name: string, make: () => VaultStorage): void {
  describe(`VaultStorage: ${name}`, () => {
    it('stores and replaces the header', () => {
      const s = make();
      expect(s.readHeader()).toBeNull();
      s.writeHeader('a');
      s.writeHeader('b');
      expect(s.readHeader()).toBe('b');
      s.close();
    });

    it('appends updates in order and keeps the latest head', () => {
      const s = make();
      s.appendUpdate(id(1), 2, bytes('u2'), bytes('h2'));
      s.appendUpdate(id(1), 1, bytes('u1'), bytes('h1'));
      const d = s.readDoc(id(1));
      expect(d.updates.map((u) => [u.seq, new TextDecoder().decode(u.body)])).toEqual([[1, 'u1'], [2, 'u2']]);
      expect(new TextDecoder().decode(d.head!)).toBe('h1');
      expect(d.snapshot).toBeNull();
      s.close();
    });

    it('refuses a second update with the same sequence number', () => {
      const s = make();
      s.appendUpdate(id(1), 1, bytes('a'), bytes('h'));
      expect(() => s.appendUpdate(id(1), 1, bytes('b'), bytes('h'))).toThrow(/update 1 already exists|UNIQUE constraint failed/);
      expect(s.readDoc(id(1)).updates).toHaveLength(1);
      s.close();
    });

    it('keeps documents apart', () => {
      const s = make();
      s.appendUpdate(id(1), 1, bytes('one'), bytes('h'));
      s.appendUpdate(id(2), 1, bytes('two'), bytes('h'));
      expect(new TextDecoder().decode(s.readDoc(id(2)).updates[0]!.body)).toBe('two');
      expect(s.docIds().map((d) => d[0]).sort()).toEqual([1, 2]);
      s.close();
    });

    it('a snapshot prunes exactly the updates it covers', () => {
      const s = make();
      for (let i = 1; i <= 5; i++) s.appendUpdate(id(1), i, bytes(`u${i}`), bytes('h'));
      s.writeSnapshot(id(1), 3, bytes('snap'), bytes('h3'));
      const d = s.readDoc(id(1));
      expect(d.snapshot?.seq).toBe(3);
      expect(d.updates.map((u) => u.seq)).toEqual([4, 5]);
      expect(new TextDecoder().decode(d.head!)).toBe('h3');
      s.close();
    });

    it('deleting a document removes every row at once', () => {
      const s = make();
      s.appendUpdate(id(1), 1, bytes('a'), bytes('h'));
      s.writeSnapshot(id(1), 1, bytes('s'), bytes('h'));
      s.appendUpdate(id(1), 2, bytes('b'), bytes('h'));
      s.deleteDoc(id(1));
      expect(s.readDoc(id(1))).toEqual({ head: null, snapshot: null, updates: [] });
      expect(s.docIds()).toEqual([]);
      s.close();
    });

    it('stores, replaces and deletes assets', () => {
      const s = make();
      expect(s.getAsset(id(9))).toBeNull();
      s.putAsset(id(9), bytes('png'));
      s.putAsset(id(9), bytes('png2'));
      expect(new TextDecoder().decode(s.getAsset(id(9))!)).toBe('png2');
      s.deleteAsset(id(9));
      expect(s.getAsset(id(9))).toBeNull();
      s.close();
    });

    it('reports what it holds: documents and assets with their bytes as stored', () => {
      const s = make();
      expect(s.usage()).toEqual({ docs: 0, docBytes: 0, assets: 0, assetBytes: 0 });
      s.appendUpdate(id(1), 1, bytes('12345'), bytes('hh'));
      s.appendUpdate(id(1), 2, bytes('123'), bytes('hhh'));
      s.writeSnapshot(id(2), 4, bytes('snap'), bytes('h'));
      s.putAsset(id(9), bytes('image'));
      expect(s.usage()).toEqual({ docs: 2, docBytes: 5 + 3 + 3 + 4 + 1, assets: 1, assetBytes: 5 });
      s.writeSnapshot(id(1), 2, bytes('s'), bytes('h'));
      s.deleteAsset(id(9));
      expect(s.usage()).toEqual({ docs: 2, docBytes: 1 + 1 + 4 + 1, assets: 0, assetBytes: 0 });
      s.close();
    });

    it('keeps manifest entries per document and one manifest sum', () => {
      const s = make();
      expect(s.manifestSeq(id(1))).toBeNull();
      expect(s.readManifestSum()).toBeNull();
      s.setManifestSeq(id(1), 3);
      s.setManifestSeq(id(1), 4);
      s.setManifestSeq(id(2), 1);
      expect(s.manifestSeq(id(1))).toBe(4);
      expect(s.manifestEntries().map((e) => [e.doc[0], e.seq]).sort()).toEqual([[1, 4], [2, 1]]);
      s.setManifestSeq(id(2), null);
      expect(s.manifestSeq(id(2))).toBeNull();
      expect(s.manifestEntries().map((e) => e.doc[0])).toEqual([1]);
      s.writeManifestSum(bytes('a'));
      s.writeManifestSum(bytes('b'));
      expect(new TextDecoder().decode(s.readManifestSum()!)).toBe('b');
      s.close();
    });

    it('keeps its own copies: a buffer changed after it was stored, or an id list changed after it was read, changes nothing', () => {
      const s = make();
      const [doc, body, head, asset, sum] = [id(7), bytes('body'), bytes('head'), bytes('asset'), bytes('sum')];
      s.appendUpdate(doc, 1, body, head);
      s.writeSnapshot(id(8), 1, body, head);
      s.putAsset(id(9), asset);
      s.setManifestSeq(doc, 1);
      s.writeManifestSum(sum);
      for (const b of [doc, body, head, asset, sum]) b.fill(0);
      const text = (b: Uint8Array | null | undefined) => new TextDecoder().decode(b ?? new Uint8Array());
      const d = s.readDoc(id(7));
      expect([text(d.updates[0]?.body), text(d.head)]).toEqual(['body', 'head']);
      const snap = s.readDoc(id(8));
      expect([text(snap.snapshot?.body), text(snap.head)]).toEqual(['body', 'head']);
      expect(text(s.getAsset(id(9)))).toBe('asset');
      expect(text(s.readManifestSum())).toBe('sum');
      expect(s.manifestEntries()[0]!.doc).toEqual(id(7));
      s.manifestEntries()[0]!.doc.fill(1);
      expect(s.manifestEntries()[0]!.doc).toEqual(id(7));
      const ids = s.docIds();
      expect(ids.map((x) => x[0]).sort()).toEqual([7, 8]);
      for (const x of ids) x.fill(1);
      expect(s.docIds().map((x) => x[0]).sort()).toEqual([7, 8]);
      s.close();
    });

    it('runs a transaction and returns its value', () => {
      const s = make();
      expect(s.transaction(() => (s.putAsset(id(1), bytes('a')), 7))).toBe(7);
      expect(s.getAsset(id(1))).not.toBeNull();
      s.close();
    });

    it('a failing transaction leaves nothing behind', () => {
      const s = make();
      if (name === 'memory') return s.close(); // the in-memory store has no rollback; it is never used for crash safety
      expect(() =>
        s.transaction(() => {
          s.appendUpdate(id(1), 1, bytes('a'), bytes('h'));
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(s.readDoc(id(1)).updates).toEqual([]);
      s.close();
    });
  });
}
