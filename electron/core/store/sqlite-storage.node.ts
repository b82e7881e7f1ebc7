/** VaultStorage on the vault's SQLite database (see db.node.ts for how it is opened). */
import type { Db } from './db.node.ts';
import type { VaultStorage } from './storage.node.ts';

const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** `onCommit` runs after each outermost write transaction commits (checkpointer.node.ts counts them). */
export function createSqliteStorage(db: Db, options: { onCommit?: () => void } = {}): VaultStorage {
  const q = {
    readHeader: db.prepare<[], { header: string }>('SELECT header FROM vault WHERE id = 1'),
    writeHeader: db.prepare('INSERT INTO vault (id, header) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET header = excluded.header'),
    docIds: db.prepare<[], { id: Buffer }>(
      'SELECT id FROM docs UNION SELECT doc FROM updates UNION SELECT doc FROM snapshots',
    ),
    head: db.prepare<[Uint8Array], { head: Buffer }>('SELECT head FROM docs WHERE id = ?'),
    snapshot: db.prepare<[Uint8Array], { seq: number; body: Buffer }>('SELECT seq, body FROM snapshots WHERE doc = ?'),
    updates: db.prepare<[Uint8Array], { seq: number; body: Buffer }>('SELECT seq, body FROM updates WHERE doc = ? ORDER BY seq'),
    insertUpdate: db.prepare('INSERT INTO updates (doc, seq, body) VALUES (?, ?, ?)'),
    upsertHead: db.prepare('INSERT INTO docs (id, head) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET head = excluded.head'),
    upsertSnapshot: db.prepare(
      'INSERT INTO snapshots (doc, seq, body) VALUES (?, ?, ?) ON CONFLICT (doc) DO UPDATE SET seq = excluded.seq, body = excluded.body',
    ),
    pruneUpdates: db.prepare('DELETE FROM updates WHERE doc = ? AND seq <= ?'),
    deleteHead: db.prepare('DELETE FROM docs WHERE id = ?'),
    deleteUpdates: db.prepare('DELETE FROM updates WHERE doc = ?'),
    deleteSnapshot: db.prepare('DELETE FROM snapshots WHERE doc = ?'),
    putAsset: db.prepare('INSERT INTO assets (id, body) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body'),
    getAsset: db.prepare<[Uint8Array], { body: Buffer }>('SELECT body FROM assets WHERE id = ?'),
    deleteAsset: db.prepare('DELETE FROM assets WHERE id = ?'),
    manifestSeq: db.prepare<[Uint8Array], number>('SELECT seq FROM manifest WHERE doc = ?').pluck(),
    setManifestSeq: db.prepare('INSERT INTO manifest (doc, seq) VALUES (?, ?) ON CONFLICT (doc) DO UPDATE SET seq = excluded.seq'),
    dropManifestSeq: db.prepare('DELETE FROM manifest WHERE doc = ?'),
    manifestEntries: db.prepare<[], { doc: Buffer; seq: number }>('SELECT doc, seq FROM manifest'),
    readManifestSum: db.prepare<[], Buffer>('SELECT body FROM manifest_sum WHERE id = 1').pluck(),
    usage: db.prepare<[], { docs: number; docBytes: number; assets: number; assetBytes: number }>(
      `SELECT (SELECT count(*) FROM (SELECT id FROM docs UNION SELECT doc FROM updates UNION SELECT doc FROM snapshots)) AS docs,
              (SELECT coalesce(sum(length(head)), 0) FROM docs) + (SELECT coalesce(sum(length(body)), 0) FROM updates)
                + (SELECT coalesce(sum(length(body)), 0) FROM snapshots) AS docBytes,
              (SELECT count(*) FROM assets) AS assets, (SELECT coalesce(sum(length(body)), 0) FROM assets) AS assetBytes`,
    ),
    writeManifestSum: db.prepare('INSERT INTO manifest_sum (id, body) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body'),
  };
  const tx = <T>(fn: () => T): T => {
    if (db.inTransaction) return fn();
    const out = db.transaction(fn)();
    options.onCommit?.();
    return out;
  };
  return {
    readHeader: () => q.readHeader.get()?.header ?? null,
    writeHeader: (h) => void q.writeHeader.run(h),
    usage: () => q.usage.get()!,
    docIds: () => q.docIds.all().map((r) => u8(r.id)),
    readDoc: (id) => {
      const head = q.head.get(id);
      const snap = q.snapshot.get(id);
      return {
        head: head ? u8(head.head) : null,
        snapshot: snap ? { seq: snap.seq, body: u8(snap.body) } : null,
        updates: q.updates.all(id).map((r) => ({ seq: r.seq, body: u8(r.body) })),
      };
    },
    appendUpdate: (id, seq, body, head) =>
      tx(() => {
        q.insertUpdate.run(id, seq, body);
        q.upsertHead.run(id, head);
      }),
    writeSnapshot: (id, seq, body, head) =>
      tx(() => {
        q.upsertSnapshot.run(id, seq, body);
        q.pruneUpdates.run(id, seq);
        q.upsertHead.run(id, head);
      }),
    deleteDoc: (id) =>
      tx(() => {
        q.deleteUpdates.run(id);
        q.deleteSnapshot.run(id);
        q.deleteHead.run(id);
      }),
    putAsset: (id, body) => void q.putAsset.run(id, body),
    getAsset: (id) => {
      const r = q.getAsset.get(id);
      return r ? u8(r.body) : null;
    },
    deleteAsset: (id) => void q.deleteAsset.run(id),
    manifestSeq: (id) => q.manifestSeq.get(id) ?? null,
    setManifestSeq: (id, seq) => void (seq === null ? q.dropManifestSeq.run(id) : q.setManifestSeq.run(id, seq)),
    manifestEntries: () => q.manifestEntries.all().map((r) => ({ doc: u8(r.doc), seq: r.seq })),
    readManifestSum: () => {
      const b = q.readManifestSum.get();
      return b ? u8(b) : null;
    },
    writeManifestSum: (b) => void q.writeManifestSum.run(b),
    transaction: tx,
    close: () => db.close(),
  };
}
