/**
 * SyncStore on the vault's SQLite file (tables from migration 0003). It opens its own connection to the file: the
 * core's VaultStorage keeps its database handle private, and the client never needs one transaction across both
 * (docs/sync-client.md, "Crash safety", explains why applying twice is harmless).
 */
import { openDb, type Db } from '../store/db.node.ts';
import type { SyncStore } from './store.node.ts';

const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

export function openSqliteSyncStore(dataDir: string): SyncStore {
  return sqliteSyncStore(openDb(dataDir, { create: false }));
}

export function sqliteSyncStore(db: Db): SyncStore {
  // Waiting briefly beats failing when another process (the app and the CLI) holds the write lock.
  db.pragma('busy_timeout = 5000');
  const q = {
    getMeta: db.prepare<[string], { v: Buffer }>('SELECT v FROM sync_meta WHERE k = ?'),
    putMeta: db.prepare('INSERT INTO sync_meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v'),
    deleteMeta: db.prepare('DELETE FROM sync_meta WHERE k = ?'),
    addRaw: db.prepare('INSERT INTO sync_raw (doc, body) VALUES (?, ?)'),
    raws: db.prepare<[number], { id: number; doc: Buffer; body: Buffer }>('SELECT id, doc, body FROM sync_raw ORDER BY id LIMIT ?'),
    deleteRaws: db.prepare('DELETE FROM sync_raw WHERE id <= ?'),
    addOutbox: db.prepare('INSERT INTO sync_outbox (seq, frame) VALUES (?, ?)'),
    outbox: db.prepare<[number], { seq: number; frame: Buffer }>('SELECT seq, frame FROM sync_outbox ORDER BY seq LIMIT ?'),
    deleteOutbox: db.prepare('DELETE FROM sync_outbox WHERE seq = ?'),
    outboxCount: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM sync_outbox'),
    getDoc: db.prepare<[Uint8Array], { v: Buffer }>('SELECT v FROM sync_docs WHERE doc = ?'),
    putDoc: db.prepare('INSERT INTO sync_docs (doc, v) VALUES (?, ?) ON CONFLICT (doc) DO UPDATE SET v = excluded.v'),
    docIds: db.prepare<[], { doc: Buffer }>('SELECT doc FROM sync_docs'),
    addPending: db.prepare('INSERT INTO sync_pending (server_seq, doc, item) VALUES (?, ?, ?) ON CONFLICT (server_seq) DO UPDATE SET doc = excluded.doc, item = excluded.item'),
    pending: db.prepare<[], { server_seq: number; doc: Buffer; item: Buffer }>('SELECT server_seq, doc, item FROM sync_pending ORDER BY server_seq'),
    deletePending: db.prepare('DELETE FROM sync_pending WHERE server_seq = ?'),
    addQuarantine: db.prepare('INSERT INTO sync_quarantine (server_seq, item, info) VALUES (?, ?, ?) ON CONFLICT (server_seq) DO UPDATE SET item = excluded.item, info = excluded.info'),
    quarantine: db.prepare<[], { server_seq: number; item: Buffer; info: Buffer }>('SELECT server_seq, item, info FROM sync_quarantine ORDER BY server_seq'),
  };
  const tx = <T>(fn: () => T): T => (db.inTransaction ? fn() : db.transaction(fn)());
  return {
    getMeta: (k) => {
      const r = q.getMeta.get(k);
      return r ? u8(r.v) : null;
    },
    putMeta: (k, v) => void q.putMeta.run(k, v),
    deleteMeta: (k) => void q.deleteMeta.run(k),
    addRaw: (doc, body) => void q.addRaw.run(doc, body),
    raws: (limit) => q.raws.all(limit).map((r) => ({ id: r.id, doc: u8(r.doc), body: u8(r.body) })),
    deleteRawsUpTo: (id) => void q.deleteRaws.run(id),
    addOutbox: (seq, frame) => void q.addOutbox.run(seq, frame),
    outbox: (limit) => q.outbox.all(limit).map((r) => ({ seq: r.seq, frame: u8(r.frame) })),
    deleteOutbox: (seq) => void q.deleteOutbox.run(seq),
    outboxCount: () => q.outboxCount.get()!.n,
    getDoc: (doc) => {
      const r = q.getDoc.get(doc);
      return r ? u8(r.v) : null;
    },
    putDoc: (doc, v) => void q.putDoc.run(doc, v),
    docIds: () => q.docIds.all().map((r) => u8(r.doc)),
    addPending: (row) => void q.addPending.run(row.serverSeq, row.doc, row.item),
    pending: () => q.pending.all().map((r) => ({ serverSeq: r.server_seq, doc: u8(r.doc), item: u8(r.item) })),
    deletePending: (s) => void q.deletePending.run(s),
    addQuarantine: (s, item, info) => void q.addQuarantine.run(s, item, info),
    quarantine: () => q.quarantine.all().map((r) => ({ serverSeq: r.server_seq, item: u8(r.item), info: u8(r.info) })),
    transaction: tx,
    clear: () =>
      tx(() => {
        for (const t of ['sync_meta', 'sync_raw', 'sync_outbox', 'sync_docs', 'sync_pending', 'sync_quarantine']) db.exec(`DELETE FROM ${t}`);
      }),
    close: () => db.close(),
  };
}
