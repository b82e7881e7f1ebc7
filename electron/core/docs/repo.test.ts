// The live-document repository over the real encrypted store (memory storage, a real vault key made without the
// passphrase KDF): every local change committed at once, stored updates not written twice, compaction, the order
// in which trim drops documents, and what delete and close leave behind.
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { randomBytes } from '../crypto/sodium.node.ts';
import { createMemoryStorage } from '../store/storage.node.ts';
import { UnlockedVault } from '../vault/vault.node.ts';
import { EncryptedDocStore, type DocRef } from './doc-store.node.ts';
import { COMPACT_EVERY, DocRepo, FROM_STORE } from './repo.node.ts';

/** An EncryptedDocStore that keeps what load() returned, to see the repository zero it. */
class WatchedStore extends EncryptedDocStore {
  loads: Array<ReturnType<EncryptedDocStore['load']>> = [];
  override load(ref: DocRef): ReturnType<EncryptedDocStore['load']> {
    const loaded = super.load(ref);
    this.loads.push(loaded);
    return loaded;
  }
}

function setup() {
  const storage = createMemoryStorage();
  const vault = new UnlockedVault(randomBytes(16), randomBytes(32));
  const store = new WatchedStore(storage, vault);
  const fresh = () => new DocRepo(new WatchedStore(storage, vault));
  return { storage, store, repo: new DocRepo(store), fresh };
}

let n = 0;
const ref = (kind: DocRef['kind'] = 'character'): DocRef => ({ storageId: randomBytes(16), kind, recordId: `rec-${++n}` });
const text = (doc: Y.Doc) => doc.getText('t').toString();

describe('DocRepo', () => {
  it('commits each local change at once, and a fresh repository reads it back, zeroing the decrypted bytes', () => {
    const { repo, store, fresh } = setup();
    const r = ref();
    expect(repo.isOpen(r)).toBe(false);
    const live = repo.open(r);
    expect(repo.isOpen(r)).toBe(true);
    live.doc.getText('t').insert(0, 'hello');
    live.doc.getText('t').insert(5, ' world');
    expect(store.updatesSinceSnapshot(r)).toBe(2);

    const other = fresh();
    const watched = other.store as WatchedStore;
    const again = other.open(r);
    expect(text(again.doc)).toBe('hello world');
    const loaded = watched.loads.at(-1)!;
    expect(loaded!.updates.length).toBe(2);
    for (const u of loaded!.updates) expect(u.every((b) => b === 0)).toBe(true);
    // Applying what was stored writes nothing new; opening again reuses the same document.
    expect(other.store.updatesSinceSnapshot(r)).toBe(2);
    expect(other.open(r)).toBe(again);
    expect(watched.loads.length).toBe(1);
  });

  it('tells listeners of each committed change, with its origin, until they unsubscribe; openers see the stored state', () => {
    const { repo, fresh } = setup();
    const r = ref();
    repo.open(r).doc.getText('t').insert(0, 'stored');
    const seen: Array<[string, unknown]> = [];
    const other = fresh();
    const opened: string[] = [];
    other.onOpened((live) => opened.push(text(live.doc)));
    const off = other.onCommitted((at, update, origin) => {
      const probe = new Y.Doc();
      Y.applyUpdate(probe, update);
      seen.push([at.recordId, origin]);
    });
    const live = other.open(r);
    expect(opened).toEqual(['stored']);
    const offOpened = other.onOpened(() => opened.push('after unsubscribing'));
    offOpened();
    other.open(ref());
    expect(opened).toEqual(['stored', '']);
    live.doc.transact(() => live.doc.getText('t').insert(0, '>'), 'me');
    expect(seen).toEqual([[r.recordId, 'me']]);
    // A change applied with the store's own origin is already on disk: neither stored again nor announced.
    const remote = new Y.Doc();
    remote.getText('t').insert(0, 'x');
    Y.applyUpdate(live.doc, Y.encodeStateAsUpdate(remote), FROM_STORE);
    expect(seen).toHaveLength(1);
    expect(other.store.updatesSinceSnapshot(r)).toBe(2);
    off();
    live.doc.getText('t').insert(0, '!');
    expect(seen).toHaveLength(1);
  });

  it('openExisting and exists: null and false for what is nowhere, true for what is open or stored', () => {
    const { repo, fresh } = setup();
    const r = ref();
    expect(repo.openExisting(r)).toBeNull();
    expect(repo.exists(r)).toBe(false);
    const live = repo.open(r); // open but never written: in memory only
    expect(repo.exists(r)).toBe(true);
    expect(repo.openExisting(r)).toBe(live);
    expect(fresh().exists(r)).toBe(false);
    live.doc.getText('t').insert(0, 'x');
    const other = fresh();
    expect(other.exists(r)).toBe(true);
    expect(other.isOpen(r)).toBe(false); // exists() does not load it into memory
    const loaded = (other.store as WatchedStore).loads.at(-1)!;
    for (const u of loaded!.updates) expect(u.every((b) => b === 0)).toBe(true);
    expect(text(other.openExisting(r)!.doc)).toBe('x');
  });

  it('trim drops the least recently used documents of one kind, keeping those waiting for missing updates', () => {
    const { repo } = setup();
    const [a, b, c] = [ref(), ref(), ref()];
    const s = ref('scenario');
    for (const r of [a, b, c, s]) repo.open(r).doc.getText('t').insert(0, r.recordId);
    const docB = repo.open(b).doc;
    repo.open(c);
    repo.open(a); // a is now the most recently used, b the least
    repo.trim('character', 2);
    expect([a, b, c, s].map((r) => repo.isOpen(r))).toEqual([true, false, true, true]);
    expect(docB.isDestroyed).toBe(true); // dropped from memory, not left listening
    repo.trim('character', 2);
    expect([a, c].map((r) => repo.isOpen(r))).toEqual([true, true]);
    // A document holding an update whose dependency is missing stays, even when it is the least recently used.
    const source = new Y.Doc();
    source.getText('t').insert(0, 'one');
    const first = Y.encodeStateAsUpdate(source);
    source.getText('t').insert(3, 'two');
    const second = Y.encodeStateAsUpdate(source, Y.encodeStateVectorFromUpdate(first));
    Y.applyUpdate(repo.open(c).doc, second);
    repo.open(a);
    repo.trim('character', 1);
    expect([a, c, s].map((r) => repo.isOpen(r))).toEqual([false, true, true]);
    repo.trim('character', 0);
    expect(repo.isOpen(c)).toBe(true);
  });

  it('compact and compactAll write a snapshot of what changed; delete and close drop documents', () => {
    const { repo, store, storage } = setup();
    const [a, b] = [ref(), ref()];
    repo.open(a).doc.getText('t').insert(0, 'a');
    repo.open(b).doc.getText('t').insert(0, 'b');
    repo.compact(a);
    expect(store.updatesSinceSnapshot(a)).toBe(0);
    const snapA = storage.readDoc(a.storageId).snapshot;
    repo.compactAll();
    expect(store.updatesSinceSnapshot(b)).toBe(0);
    expect(storage.readDoc(a.storageId).snapshot).toBe(snapA); // nothing new in a: not rewritten
    const live = repo.open(a);
    repo.delete(a);
    expect(repo.isOpen(a)).toBe(false);
    expect(live.doc.isDestroyed).toBe(true);
    expect(repo.exists(a)).toBe(false);
    // A stored document that is not open is deleted all the same.
    const c = ref();
    repo.open(c).doc.getText('t').insert(0, 'c');
    repo.close();
    repo.delete(c);
    expect(repo.exists(c)).toBe(false);
    const lb = repo.open(b);
    repo.close();
    expect(repo.isOpen(b)).toBe(false);
    expect(lb.doc.isDestroyed).toBe(true);
    expect(repo.exists(b)).toBe(true);
  });
  // Last: 300 commits, the slowest case (a mutant that an earlier case kills never gets here).
  it(`compacts after ${COMPACT_EVERY} updates, keeping the content`, () => {
    const { repo, store, fresh } = setup();
    const r = ref();
    const t = repo.open(r).doc.getText('t');
    for (let i = 0; i < COMPACT_EVERY - 1; i++) t.insert(0, 'a');
    expect(store.updatesSinceSnapshot(r)).toBe(COMPACT_EVERY - 1);
    t.insert(0, 'b');
    expect(store.updatesSinceSnapshot(r)).toBe(0);
    expect(text(fresh().open(r).doc)).toBe(`b${'a'.repeat(COMPACT_EVERY - 1)}`);
  });
});
