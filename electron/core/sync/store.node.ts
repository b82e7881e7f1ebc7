/**
 * The sync client's local state, below its encryption: opaque bytes in, opaque bytes out. Values are sealed by the
 * caller (local-keys.node.ts); relay frames are ciphertext already. Two implementations pass one suite
 * (store-suite.node.ts): SQLite on the vault's database file (sqlite-store.node.ts) and in memory.
 */

export interface RawRow {
  id: number;
  /** Relay document id (32 bytes). */
  doc: Uint8Array;
  /** A sealed local change (see outbox.node.ts). */
  body: Uint8Array;
}

export interface PendingRow {
  serverSeq: number;
  doc: Uint8Array;
  item: Uint8Array;
}

export interface SyncStore {
  getMeta(key: string): Uint8Array | null;
  putMeta(key: string, value: Uint8Array): void;
  deleteMeta(key: string): void;
  /** Local changes not yet turned into relay items, oldest first. */
  addRaw(doc: Uint8Array, body: Uint8Array): void;
  raws(limit: number): RawRow[];
  deleteRawsUpTo(id: number): void;
  /** Sealed, signed items waiting for the relay's acknowledgement, by device sequence number. */
  addOutbox(seq: number, frame: Uint8Array): void;
  outbox(limit: number): { seq: number; frame: Uint8Array }[];
  deleteOutbox(seq: number): void;
  outboxCount(): number;
  getDoc(doc: Uint8Array): Uint8Array | null;
  putDoc(doc: Uint8Array, value: Uint8Array): void;
  docIds(): Uint8Array[];
  /** Items received out of order (a gap in their chain, or a key not yet known), by server sequence number. */
  addPending(row: PendingRow): void;
  pending(): PendingRow[];
  deletePending(serverSeq: number): void;
  addQuarantine(serverSeq: number, item: Uint8Array, info: Uint8Array): void;
  quarantine(): { serverSeq: number; item: Uint8Array; info: Uint8Array }[];
  /** Runs fn in one transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T;
  /** Deletes every row of sync state (leaving sync, or a wipe). */
  clear(): void;
  close(): void;
}

const key = (b: Uint8Array) => Buffer.from(b).toString('hex');

export function createMemorySyncStore(): SyncStore {
  const meta = new Map<string, Uint8Array>();
  let raw: RawRow[] = [];
  let nextRaw = 1;
  const outbox = new Map<number, Uint8Array>();
  const docs = new Map<string, { id: Uint8Array; v: Uint8Array }>();
  const pending = new Map<number, PendingRow>();
  const quarantine = new Map<number, { item: Uint8Array; info: Uint8Array }>();
  return {
    getMeta: (k) => meta.get(k)?.slice() ?? null,
    putMeta: (k, v) => void meta.set(k, v.slice()),
    deleteMeta: (k) => void meta.delete(k),
    addRaw: (doc, body) => void raw.push({ id: nextRaw++, doc: doc.slice(), body: body.slice() }),
    raws: (limit) => raw.slice(0, limit).map((r) => ({ ...r })),
    deleteRawsUpTo: (id) => void (raw = raw.filter((r) => r.id > id)),
    addOutbox: (seq, frame) => {
      if (outbox.has(seq)) throw new Error(`outbox item ${seq} already exists`);
      outbox.set(seq, frame.slice());
    },
    outbox: (limit) => [...outbox.entries()].sort((a, b) => a[0] - b[0]).slice(0, limit).map(([seq, frame]) => ({ seq, frame })),
    deleteOutbox: (seq) => void outbox.delete(seq),
    outboxCount: () => outbox.size,
    getDoc: (doc) => docs.get(key(doc))?.v.slice() ?? null,
    putDoc: (doc, v) => void docs.set(key(doc), { id: doc.slice(), v: v.slice() }),
    docIds: () => [...docs.values()].map((d) => d.id.slice()),
    addPending: (row) => void pending.set(row.serverSeq, { serverSeq: row.serverSeq, doc: row.doc.slice(), item: row.item.slice() }),
    pending: () => [...pending.values()].sort((a, b) => a.serverSeq - b.serverSeq),
    deletePending: (s) => void pending.delete(s),
    addQuarantine: (s, item, info) => void quarantine.set(s, { item: item.slice(), info: info.slice() }),
    quarantine: () => [...quarantine.entries()].sort((a, b) => a[0] - b[0]).map(([serverSeq, q]) => ({ serverSeq, ...q })),
    transaction: (fn) => fn(),
    clear: () => {
      meta.clear();
      raw = [];
      outbox.clear();
      docs.clear();
      pending.clear();
      quarantine.clear();
    },
    close: () => {},
  };
}
