/**
 * The storage interface below the encryption layer. It moves opaque bytes (envelopes) and knows nothing about
 * keys or content. Two implementations pass one shared suite (storage-suite.node.ts): SQLite (the real one) and
 * in-memory (for tests of layers above and as an executable specification).
 */

export interface StoredDoc {
  head: Uint8Array | null;
  snapshot: { seq: number; body: Uint8Array } | null;
  /** Ascending by seq. */
  updates: { seq: number; body: Uint8Array }[];
}

export interface StorageUsage {
  docs: number;
  docBytes: number;
  assets: number;
  assetBytes: number;
}

export interface VaultStorage {
  readHeader(): string | null;
  writeHeader(header: string): void;
  /** Every document id that has a head or any row. */
  docIds(): Uint8Array[];
  readDoc(docId: Uint8Array): StoredDoc;
  /** Atomically adds one update and replaces the head. Fails if (docId, seq) exists. */
  appendUpdate(docId: Uint8Array, seq: number, body: Uint8Array, head: Uint8Array): void;
  /** Atomically stores the snapshot, drops updates with seq ≤ snapshot seq, and replaces the head. */
  writeSnapshot(docId: Uint8Array, seq: number, body: Uint8Array, head: Uint8Array): void;
  /** Removes every row of the document at once. */
  deleteDoc(docId: Uint8Array): void;
  putAsset(id: Uint8Array, body: Uint8Array): void;
  getAsset(id: Uint8Array): Uint8Array | null;
  deleteAsset(id: Uint8Array): void;
  /** The record manifest (docs/manifest.node.ts): a document's latest seq as last written, or null. */
  manifestSeq(docId: Uint8Array): number | null;
  /** Sets (or with null removes) a document's manifest entry. */
  setManifestSeq(docId: Uint8Array, seq: number | null): void;
  manifestEntries(): { doc: Uint8Array; seq: number }[];
  readManifestSum(): Uint8Array | null;
  writeManifestSum(body: Uint8Array): void;
  /** How much is stored, in envelopes as written: documents (heads, updates, snapshots) and assets. */
  usage(): StorageUsage;
  /** Runs fn in one transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T;
  close(): void;
}

const key = (id: Uint8Array): string => Buffer.from(id).toString('hex');

export function createMemoryStorage(): VaultStorage {
  let header: string | null = null;
  const docs = new Map<string, { id: Uint8Array } & StoredDoc>();
  const assets = new Map<string, Uint8Array>();
  const manifest = new Map<string, { doc: Uint8Array; seq: number }>();
  let manifestSum: Uint8Array | null = null;
  const doc = (id: Uint8Array) => {
    let d = docs.get(key(id));
    if (!d) docs.set(key(id), (d = { id: id.slice(), head: null, snapshot: null, updates: [] }));
    return d;
  };
  return {
    readHeader: () => header,
    writeHeader: (h) => void (header = h),
    docIds: () => [...docs.values()].map((d) => d.id.slice()),
    readDoc: (id) => {
      const d = docs.get(key(id));
      return d
        ? { head: d.head, snapshot: d.snapshot, updates: [...d.updates].sort((a, b) => a.seq - b.seq) }
        : { head: null, snapshot: null, updates: [] };
    },
    appendUpdate: (id, seq, body, head) => {
      const d = doc(id);
      if (d.updates.some((u) => u.seq === seq)) throw new Error(`update ${seq} already exists`);
      d.updates.push({ seq, body: body.slice() });
      d.head = head.slice();
    },
    writeSnapshot: (id, seq, body, head) => {
      const d = doc(id);
      d.snapshot = { seq, body: body.slice() };
      d.updates = d.updates.filter((u) => u.seq > seq);
      d.head = head.slice();
    },
    deleteDoc: (id) => void docs.delete(key(id)),
    putAsset: (id, body) => void assets.set(key(id), body.slice()),
    getAsset: (id) => assets.get(key(id)) ?? null,
    deleteAsset: (id) => void assets.delete(key(id)),
    manifestSeq: (id) => manifest.get(key(id))?.seq ?? null,
    setManifestSeq: (id, seq) => void (seq === null ? manifest.delete(key(id)) : manifest.set(key(id), { doc: id.slice(), seq })),
    manifestEntries: () => [...manifest.values()].map((e) => ({ doc: e.doc.slice(), seq: e.seq })),
    readManifestSum: () => manifestSum,
    writeManifestSum: (b) => void (manifestSum = b.slice()),
    usage: () => {
      let docBytes = 0;
      for (const d of docs.values()) docBytes += (d.head?.length ?? 0) + (d.snapshot?.body.length ?? 0) + d.updates.reduce((n, u) => n + u.body.length, 0);
      return { docs: docs.size, docBytes, assets: assets.size, assetBytes: [...assets.values()].reduce((n, a) => n + a.length, 0) };
    },
    transaction: (fn) => fn(),
    close: () => {},
  };
}
