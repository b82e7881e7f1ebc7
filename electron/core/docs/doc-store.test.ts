/**
 * The encrypted document store on the real SQLite storage, with a real vault key (made directly, without the
 * passphrase KDF, to stay fast): the shape checks on load, each with the row changed the way tampering would
 * (rows forged with the real key where a check lies past the envelope). The same through the whole app:
 * tests/core/tamper.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { MindstageError } from '../../../shared/result.std.ts';
import { sealEnvelope } from '../crypto/envelope.node.ts';
import { randomBytes } from '../crypto/sodium.node.ts';
import { openDb, type Db } from '../store/db.node.ts';
import { createSqliteStorage } from '../store/sqlite-storage.node.ts';
import { UnlockedVault } from '../vault/vault.node.ts';
import { tempDir } from '../../../tests/support/files.node.ts';
import { EncryptedDocStore, type DocRef } from './doc-store.node.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

function setup() {
  const db = openDb(tempDir('doc-store'), { create: true });
  const vault = new UnlockedVault(randomBytes(16), randomBytes(32));
  const storage = createSqliteStorage(db);
  const ref: DocRef = { storageId: randomBytes(16), kind: 'character', recordId: 'rec-1' };
  const store = new EncryptedDocStore(storage, vault);
  const key = vault.subkey('localStore');
  /** A head sealed with the real key, holding `json` as given. */
  const head = (json: string) => sealEnvelope(key, enc.encode(json), { vaultId: vault.vaultId, docId: ref.storageId, kind: ref.kind, part: 'head', seq: 0 });
  const setHead = (json: string) => db.prepare('UPDATE docs SET head = ? WHERE id = ?').run(head(json), ref.storageId);
  return { db, vault, storage, ref, store, setHead, fresh: () => new EncryptedDocStore(storage, vault) };
}

const texts = (loaded: { updates: Uint8Array[] } | null) => loaded?.updates.map((u) => dec.decode(u));

function integrity(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof MindstageError && e.code === 'integrity') {
      expect(e.recordId).toBe('rec-1');
      return e.message;
    }
    throw e;
  }
  throw new Error('expected an integrity error');
}

const run = (db: Db, sql: string, ...args: unknown[]) => db.prepare(sql).run(...args);

describe('the encrypted document store', () => {
  it('appends, compacts and reloads in order; counts updates since the snapshot; a document never written loads as null', () => {
    const { store, ref, fresh, storage } = setup();
    expect(store.storage).toBe(storage);
    expect(store.load(ref)).toBeNull();
    store.compact(ref, enc.encode('nothing to compact'));
    expect(storage.docIds()).toHaveLength(0);
    expect([store.append(ref, enc.encode('u1')), store.append(ref, enc.encode('u2'))]).toEqual([1, 2]);
    expect(store.updatesSinceSnapshot(ref)).toBe(2);
    expect(texts(fresh().load(ref))).toEqual(['u1', 'u2']);
    store.compact(ref, enc.encode('s2'));
    expect(store.updatesSinceSnapshot(ref)).toBe(0);
    expect(store.append(ref, enc.encode('u3'))).toBe(3);
    expect(store.updatesSinceSnapshot(ref)).toBe(1);
    const again = fresh();
    expect(again.load(ref)).toMatchObject({ head: { seq: 3, snapshotSeq: 2 } });
    expect(texts(again.load(ref))).toEqual(['s2', 'u3']);
    // A store that loaded the document continues its numbering.
    expect(again.append(ref, enc.encode('u4'))).toBe(4);
    expect(texts(fresh().load(ref))).toEqual(['s2', 'u3', 'u4']);
  });

  it('deleting forgets the document: it loads as null, and a new one starts at 1', () => {
    const { store, ref, fresh } = setup();
    store.append(ref, enc.encode('u1'));
    store.append(ref, enc.encode('u2'));
    store.delete(ref);
    expect(fresh().load(ref)).toBeNull();
    expect(store.append(ref, enc.encode('again'))).toBe(1);
    expect(texts(fresh().load(ref))).toEqual(['again']);
  });

  it('rows without a head (updates, or only a snapshot) are an integrity error naming the record', () => {
    const a = setup();
    a.store.append(a.ref, enc.encode('u1'));
    run(a.db, 'DELETE FROM docs');
    expect(integrity(() => a.fresh().load(a.ref))).toMatch(/Record rec-1 .*head is missing/);
    const b = setup();
    b.store.append(b.ref, enc.encode('u1'));
    b.store.compact(b.ref, enc.encode('s1'));
    run(b.db, 'DELETE FROM docs');
    expect(integrity(() => b.fresh().load(b.ref))).toMatch(/head is missing/);
  });

  it('a head that is not JSON, or whose numbers are not whole, or whose snapshot lies ahead of it, is refused', () => {
    const s = setup();
    s.store.append(s.ref, enc.encode('u1'));
    s.setHead('{ not json');
    expect(integrity(() => s.fresh().load(s.ref))).toMatch(/head is unreadable/);
    for (const json of ['{"seq":1.5,"snapshotSeq":0}', '{"seq":1,"snapshotSeq":"0"}', '{"seq":1,"snapshotSeq":2}', '{"snapshotSeq":0}']) {
      s.setHead(json);
      expect({ json, why: integrity(() => s.fresh().load(s.ref)) }).toEqual({ json, why: expect.stringMatching(/head is malformed/) });
    }
    s.setHead('{"seq":1,"snapshotSeq":0}');
    expect(texts(s.fresh().load(s.ref))).toEqual(['u1']);
  });

  it('a snapshot missing, at another number than the head names, or present when the head names none, is refused', () => {
    const s = setup();
    for (const u of ['u1', 'u2', 'u3']) s.store.append(s.ref, enc.encode(u));
    s.store.compact(s.ref, enc.encode('s3'));
    run(s.db, 'UPDATE snapshots SET seq = 2');
    expect(integrity(() => s.fresh().load(s.ref))).toMatch(/snapshot is not the one it should be/);
    run(s.db, 'DELETE FROM snapshots');
    expect(integrity(() => s.fresh().load(s.ref))).toMatch(/snapshot is missing/);
    const t = setup();
    t.store.append(t.ref, enc.encode('u1'));
    run(t.db, 'INSERT INTO snapshots (doc, seq, body) VALUES (?, 1, ?)', t.ref.storageId, randomBytes(60));
    expect(integrity(() => t.fresh().load(t.ref))).toMatch(/has a snapshot it should not have/);
  });

  it('updates out of place, missing in the middle or missing at the end are each refused with which one', () => {
    const s = setup();
    for (const u of ['u1', 'u2', 'u3']) s.store.append(s.ref, enc.encode(u));
    run(s.db, 'DELETE FROM updates WHERE seq = 2');
    expect(integrity(() => s.fresh().load(s.ref))).toMatch(/update 2 is missing/);
    const t = setup();
    for (const u of ['u1', 'u2', 'u3']) t.store.append(t.ref, enc.encode(u));
    run(t.db, 'DELETE FROM updates WHERE seq = 3');
    expect(integrity(() => t.fresh().load(t.ref))).toMatch(/updates 3–3 are missing/);
    const u = setup();
    u.store.append(u.ref, enc.encode('u1'));
    u.store.append(u.ref, enc.encode('u2'));
    u.store.compact(u.ref, enc.encode('s2'));
    u.store.append(u.ref, enc.encode('u3'));
    // An update the snapshot already covers, back in the table.
    run(u.db, 'INSERT INTO updates (doc, seq, body) VALUES (?, 2, ?)', u.ref.storageId, randomBytes(60));
    expect(integrity(() => u.fresh().load(u.ref))).toMatch(/update 2 is out of place/);
  });

  // The record manifest (manifest.node.ts) lists each document's latest seq; load compares the head with it, so a
  // record rolled back to an older copy of itself (rows and head together, every envelope genuine) is refused.
  it('a record whose rows are all gone while the manifest still lists it is refused, not read as never written', () => {
    const s = setup();
    s.store.append(s.ref, enc.encode('u1'));
    run(s.db, 'DELETE FROM updates');
    run(s.db, 'DELETE FROM docs');
    expect(integrity(() => s.fresh().load(s.ref))).toMatch(/its rows were removed from the vault file/);
  });

  it('a head behind its manifest row is an older copy of the record; one ahead of it, or unlisted though written with the manifest, does not match', () => {
    const s = setup();
    s.store.append(s.ref, enc.encode('u1'));
    const oldHead = s.db.prepare('SELECT head FROM docs WHERE id = ?').pluck().get(s.ref.storageId) as Buffer;
    s.store.append(s.ref, enc.encode('u2'));
    // Rolled back to the copy after u1: its genuine head and rows, while the manifest names seq 2.
    run(s.db, 'UPDATE docs SET head = ? WHERE id = ?', oldHead, s.ref.storageId);
    run(s.db, 'DELETE FROM updates WHERE seq = 2');
    expect(integrity(() => s.fresh().load(s.ref))).toMatch(/replaced by an older copy of itself/);
    run(s.db, 'UPDATE manifest SET seq = 0');
    expect(integrity(() => s.fresh().load(s.ref))).toMatch(/does not match the vault's record manifest/);
    run(s.db, 'DELETE FROM manifest');
    expect(integrity(() => s.fresh().load(s.ref))).toMatch(/does not match the vault's record manifest/);
    run(s.db, 'INSERT INTO manifest (doc, seq) VALUES (?, 1)', s.ref.storageId);
    expect(texts(s.fresh().load(s.ref))).toEqual(['u1']);
  });

  it('a head from before the manifest (unmarked) loads without a manifest row, and says it is not marked', () => {
    const s = setup();
    s.store.append(s.ref, enc.encode('u1'));
    const marked = s.fresh();
    expect(marked.marked(s.ref)).toBe(false); // not loaded yet
    marked.load(s.ref);
    expect(marked.marked(s.ref)).toBe(true);
    run(s.db, 'DELETE FROM manifest');
    s.setHead('{"seq":1,"snapshotSeq":0}');
    const legacy = s.fresh();
    expect(texts(legacy.load(s.ref))).toEqual(['u1']);
    expect(legacy.marked(s.ref)).toBe(false);
  });
});
