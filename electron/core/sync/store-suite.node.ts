/** The one suite every SyncStore implementation passes (run by store.test.ts for memory and SQLite). */
import { describe, expect, it } from 'vitest';
import type { SyncStore } from './store.node.ts';

const b = (s: string) => new TextEncoder().encode(s);
const s = (u: Uint8Array) => new TextDecoder().decode(u);
const id = (n: number) => new Uint8Array(32).fill(n);

export function syncStoreSuite(name: string, make: () => { store: SyncStore; reopen?: () => SyncStore }): void {
  describe(`SyncStore: ${name}`, () => {
    it('keeps meta values, replaces and deletes them', () => {
      const { store } = make();
      expect(store.getMeta('cursor')).toBeNull();
      store.putMeta('cursor', b('1'));
      store.putMeta('cursor', b('2'));
      expect(s(store.getMeta('cursor')!)).toBe('2');
      store.deleteMeta('cursor');
      expect(store.getMeta('cursor')).toBeNull();
    });

    it('returns raw changes oldest first and deletes them up to an id', () => {
      const { store } = make();
      store.addRaw(id(1), b('a'));
      store.addRaw(id(2), b('b'));
      store.addRaw(id(1), b('c'));
      const rows = store.raws(10);
      expect(rows.map((r) => s(r.body))).toEqual(['a', 'b', 'c']);
      expect(store.raws(2)).toHaveLength(2);
      store.deleteRawsUpTo(rows[1]!.id);
      expect(store.raws(10).map((r) => s(r.body))).toEqual(['c']);
      store.addRaw(id(3), b('d'));
      expect(store.raws(10).map((r) => s(r.body))).toEqual(['c', 'd']);
    });

    it('orders the outbox by sequence number and refuses a second item under one number', () => {
      const { store } = make();
      store.addOutbox(5, b('five'));
      store.addOutbox(2, b('two'));
      expect(() => store.addOutbox(2, b('again'))).toThrow();
      expect(store.outbox(10).map((o) => o.seq)).toEqual([2, 5]);
      expect(store.outboxCount()).toBe(2);
      store.deleteOutbox(2);
      expect(store.outbox(10).map((o) => s(o.frame))).toEqual(['five']);
    });

    it('keeps document states, pending items and quarantine', () => {
      const { store } = make();
      store.putDoc(id(7), b('x'));
      store.putDoc(id(7), b('y'));
      store.putDoc(id(8), b('z'));
      expect(s(store.getDoc(id(7))!)).toBe('y');
      expect(store.docIds().map((d) => d[0]).sort()).toEqual([7, 8]);
      store.addPending({ serverSeq: 9, doc: id(7), item: b('p9') });
      store.addPending({ serverSeq: 3, doc: id(8), item: b('p3') });
      expect(store.pending().map((p) => p.serverSeq)).toEqual([3, 9]);
      store.deletePending(3);
      expect(store.pending().map((p) => s(p.item))).toEqual(['p9']);
      store.addQuarantine(4, b('bad'), b('why'));
      expect(store.quarantine()).toHaveLength(1);
      expect(s(store.quarantine()[0]!.info)).toBe('why');
    });

    it('rolls back a failed transaction (SQLite) and clear() removes everything', () => {
      const { store, reopen } = make();
      store.putMeta('k', b('v'));
      store.addRaw(id(1), b('r'));
      store.addOutbox(1, b('o'));
      store.putDoc(id(1), b('d'));
      if (reopen) {
        expect(() => store.transaction(() => {
          store.putMeta('k', b('changed'));
          throw new Error('boom');
        })).toThrow('boom');
        expect(s(store.getMeta('k')!)).toBe('v');
        const again = reopen();
        expect(s(again.getMeta('k')!)).toBe('v');
        expect(again.outboxCount()).toBe(1);
      }
      store.clear();
      expect(store.getMeta('k')).toBeNull();
      expect(store.raws(10)).toEqual([]);
      expect(store.outboxCount()).toBe(0);
      expect(store.docIds()).toEqual([]);
    });
  });
}
