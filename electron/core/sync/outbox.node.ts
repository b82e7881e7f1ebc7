/**
 * Local changes → relay items.
 *
 * 1. capture: every committed local Yjs update (and every record deletion) is sealed with the local key and queued
 *    as a raw row. Rows are written a moment later (setImmediate), outside any transaction of the vault's own
 *    connection, because this client writes through its own SQLite connection (sqlite-store.node.ts).
 * 2. reconcile: on start, every document is compared with the state vector last queued or received, so changes
 *    made while sync was not running — or lost in a crash between the vault's commit and the raw row — are queued.
 * 3. prepare: raw rows become items. Consecutive changes of one document merge into one update; each item gets
 *    this device's next sequence number and its place in the document's hash chain, is sealed with the current
 *    content key, and is stored in the outbox in the same transaction that deletes the raw rows. Re-sending an
 *    outbox item after a crash sends the same bytes, which the relay answers as a duplicate.
 */
import * as Y from 'yjs';
import { encodeFrame, decodeFrame } from '../../../shared/sync/frame.std.ts';
import type { CoverRange } from '../../../shared/sync/messages.std.ts';
import { docKindCodes } from '../crypto/envelope.node.ts';
import { fromHex, sodium, toHex } from '../crypto/sodium.node.ts';
import type { DocRef } from '../docs/doc-store.node.ts';
import { recordRef, systemRef } from '../docs/ids.node.ts';
import { LIVE_SEGMENTS, segmentRef } from '../docs/conversations.node.ts';
import { FROM_STORE } from '../docs/repo.node.ts';
import { chainHash, sealBody, ZERO_HASH, type ChainHead, type Inner } from './format.node.ts';
import { contentKey } from './keyring.node.ts';
import { FROM_SYNC, refOf, SYSTEM_KINDS, type Replica } from './replica.node.ts';
import { assetChunks, assetRef, assetRefsOf } from './assets.node.ts';

/** A document is snapshotted once this many items of it are on the relay. */
export const SNAPSHOT_EVERY = 100;
/** Merged updates are split into items of about this size. */
const MAX_ITEM_BYTES = 4 * 1024 * 1024;
/** Larger states are not snapshotted (a frame is at most 16 MiB). */
const MAX_SNAPSHOT_BYTES = 12 * 1024 * 1024;
const RAW_BATCH = 5_000;

export interface OutboxItem {
  kind: 'update' | 'snapshot' | 'tombstone';
  docId: Uint8Array;
  deviceSeq: number;
  body?: Uint8Array;
  covers: CoverRange[];
}

export const encodeOutboxItem = (i: OutboxItem): Uint8Array => encodeFrame(i.body ? i : { kind: i.kind, docId: i.docId, deviceSeq: i.deviceSeq, covers: i.covers });
export const decodeOutboxItem = (b: Uint8Array): OutboxItem => decodeFrame(b) as unknown as OutboxItem;

interface Queued {
  docId: Uint8Array;
  ref: DocRef;
  tombstone: boolean;
  body: Uint8Array;
  sv: Uint8Array | null;
  /** A record's referenced assets after this change (written to its DocState). */
  assets?: string[];
}

const RAW_UPDATE = 1;
const RAW_TOMBSTONE = 2;
/** Upload the asset (read from the vault when prepared; assets.node.ts). */
const RAW_ASSET = 3;

/** Record kinds whose fields may reference assets. */
const referencesAssets = (ref: DocRef) => ref.kind !== 'conversation' && ref.kind !== 'segment' && ref.kind !== 'asset' && !SYSTEM_KINDS.has(ref.kind);

export class Capture {
  readonly #r: Replica;
  #queue: Queued[] = [];
  #timer: NodeJS.Immediate | null = null;
  readonly #off: (() => void)[] = [];
  readonly #onFlushed: () => void;
  /**
   * Off until reconcile() ran: only then does "state vector at capture time" mean "everything up to here is queued
   * or synced", which is what each capture records.
   */
  active = false;

  constructor(r: Replica, onFlushed: () => void = () => {}) {
    this.#r = r;
    this.#onFlushed = onFlushed;
    this.#off.push(
      r.session.repo.onCommitted((ref, update, origin) => {
        if (origin === FROM_SYNC || origin === FROM_STORE || !this.active) return;
        this.update(ref, update);
        if (referencesAssets(ref)) this.assets(ref, assetRefsOf(r.session.repo.open(ref).doc));
      }),
    );
    const records = r.session.catalog.getMap<{ kind: string; deletedAt?: number }>('records');
    const observer = (ev: Y.YMapEvent<{ kind: string; deletedAt?: number }>) => {
      if (ev.transaction.origin === FROM_SYNC || ev.transaction.origin === FROM_STORE || !this.active) return;
      for (const id of ev.keysChanged) {
        const e = records.get(id);
        if (e?.deletedAt === undefined) continue;
        if (e.kind === 'conversation') this.tombstoneConversation(id);
        else this.tombstone(recordRef(id, e.kind as never));
      }
    };
    records.observe(observer);
    this.#off.push(() => records.unobserve(observer));
  }

  update(ref: DocRef, update: Uint8Array): void {
    const docId = this.#r.keys.relayDocId(ref);
    const plain = new Uint8Array(1 + update.length);
    plain[0] = RAW_UPDATE;
    plain.set(update, 1);
    const sv = Y.encodeStateVector(this.#r.session.repo.open(ref).doc);
    this.#push({ docId, ref, tombstone: false, body: this.#r.state.sealer.seal('raw', docId, plain), sv });
  }

  /**
   * A record's asset references after a change: uploads assets newly referenced that the relay does not have, and
   * tombstones assets it no longer references. `reconciling`: also re-queue referenced assets never uploaded.
   */
  assets(ref: DocRef, now: Set<string>, reconciling = false): void {
    const docId = this.#r.keys.relayDocId(ref);
    const queued = this.#queue.findLast((q) => q.assets && bytesEqual(q.docId, docId));
    const before = new Set(queued?.assets ?? this.#r.state.doc(docId)?.assets ?? []);
    for (const a of now) if (reconciling || !before.has(a)) this.#asset(a);
    for (const a of before) if (!now.has(a)) this.tombstone(assetRef(a));
    if (before.size === now.size && [...now].every((a) => before.has(a))) return;
    this.#push({ docId, ref, tombstone: false, body: new Uint8Array(0), sv: null, assets: [...now] });
  }

  #asset(hex: string): void {
    const ref = assetRef(hex);
    const docId = this.#r.keys.relayDocId(ref);
    const ds = this.#r.state.doc(docId);
    // Immutable: once any device's chunks are on the relay (or it was deleted), there is nothing to send.
    if (ds && (ds.tombstoned || ds.chains.size > 0)) return;
    this.#push({ docId, ref, tombstone: false, body: this.#r.state.sealer.seal('raw', docId, Uint8Array.of(RAW_ASSET)), sv: null });
  }

  /**
   * A conversation's head and every segment the relay may hold. Its segments are gone locally by now, so they are
   * found by number; segments begin in order, so the first one this device never knew ends the search.
   */
  tombstoneConversation(id: string): void {
    this.tombstone(recordRef(id, 'conversation'));
    const idKey = this.#r.session.vault.subkey('idHash');
    for (let k = 0; this.tombstone(segmentRef(idKey, id, k)); k++);
  }

  /** Returns whether the relay may hold the document (so a tombstone is queued or was sent already). */
  tombstone(ref: DocRef): boolean {
    if (referencesAssets(ref)) {
      const docId = this.#r.keys.relayDocId(ref);
      const queued = this.#queue.findLast((q) => q.assets && bytesEqual(q.docId, docId));
      for (const a of queued?.assets ?? this.#r.state.doc(docId)?.assets ?? []) this.tombstone(assetRef(a));
    }
    const docId = this.#r.keys.relayDocId(ref);
    const ds = this.#r.state.doc(docId);
    // Only documents the relay may hold need a tombstone (known, or with changes queued for it right now).
    const queued = this.#queue.some((q) => !q.tombstone && bytesEqual(q.docId, docId));
    if (!ds && !queued) return false;
    if (ds?.tombstoned) return true;
    this.#push({ docId, ref, tombstone: true, body: this.#r.state.sealer.seal('raw', docId, Uint8Array.of(RAW_TOMBSTONE)), sv: null });
    return true;
  }

  #push(q: Queued): void {
    this.#queue.push(q);
    this.#timer ??= setImmediate(() => this.flush());
  }

  /** Writes queued changes as raw rows (one transaction). */
  flush(): void {
    if (this.#timer) clearImmediate(this.#timer);
    this.#timer = null;
    const queue = this.#queue;
    if (queue.length === 0) return;
    this.#queue = [];
    const r = this.#r;
    r.store.transaction(() => {
      for (const q of queue) {
        const ds = r.docState(q.docId, q.ref);
        ds.kind ??= q.ref.kind;
        ds.storageId ??= q.ref.storageId;
        if (q.sv) ds.sentSv = q.sv;
        if (q.assets) ds.assets = q.assets;
        r.state.putDoc(q.docId, ds);
        if (q.body.length) r.store.addRaw(q.docId, q.body);
      }
    });
    this.#onFlushed();
  }

  get queued(): number {
    return this.#queue.length;
  }

  close(): void {
    this.flush();
    for (const off of this.#off) off();
  }
}

const bytesEqual = (a: Uint8Array | null, b: Uint8Array | null) => a !== null && b !== null && a.length === b.length && sodium.memcmp(a, b);

/** Every document that exists locally: the system documents and every record in the catalog (deleted ones apart). */
export function localDocs(r: Replica): { live: DocRef[]; deleted: DocRef[] } {
  const idKey = r.session.vault.subkey('idHash');
  const live: DocRef[] = [];
  const deleted: DocRef[] = [];
  for (const name of ['catalog', 'settings', 'ledger'] as const) {
    const ref = systemRef(idKey, name);
    if (r.session.repo.exists(ref)) live.push(ref);
  }
  for (const [id, e] of r.session.catalog.getMap<{ kind: string; deletedAt?: number }>('records').entries()) {
    const ref = recordRef(id, e.kind as never);
    if (e.deletedAt !== undefined) {
      deleted.push(ref);
      if (e.kind === 'conversation') for (let k = 0, seg = segmentRef(idKey, id, k); r.state.doc(r.keys.relayDocId(seg)); seg = segmentRef(idKey, id, ++k)) deleted.push(seg);
    } else if (r.session.repo.exists(ref)) {
      live.push(ref);
      if (e.kind === 'conversation') live.push(...r.session.conversations.segmentRefs(id, r.session.repo.open(ref).doc));
    }
  }
  return { live, deleted };
}

/** Queues whatever the local documents hold that was never queued or received. Returns how many documents. */
export function reconcile(r: Replica, capture: Capture): number {
  const { live, deleted } = localDocs(r);
  let queued = 0;
  for (const ref of live) {
    const docId = r.keys.relayDocId(ref);
    const ds = r.state.doc(docId);
    if (ds?.tombstoned) continue;
    const doc = r.session.repo.open(ref).doc;
    const sv = Y.encodeStateVector(doc);
    let diff: Uint8Array;
    if (!ds?.sentSv) diff = Y.encodeStateAsUpdate(doc);
    else if (!bytesEqual(sv, ds.sentSv)) diff = Y.encodeStateAsUpdate(doc, ds.sentSv);
    else {
      // Same state vector: only deletions can differ. Re-send the delete set when it changed since last time.
      const dsOnly = Y.encodeStateAsUpdate(doc, sv);
      const h = toHex(sodium.crypto_generichash(16, dsOnly, null));
      if (h === storedDeleteHash(r, docId)) continue;
      rememberDeleteHash(r, docId, h);
      if (dsOnly.length <= 2) continue;
      diff = dsOnly;
    }
    if (referencesAssets(ref)) capture.assets(ref, assetRefsOf(doc), true);
    // Every segment of every conversation passes through here: keep only a few decoded.
    if (ref.kind === 'segment') r.session.repo.trim('segment', LIVE_SEGMENTS);
    if (diff.length <= 2) continue; // the empty update: nothing to send
    capture.update(ref, diff);
    queued++;
  }
  for (const ref of deleted) {
    const ds = r.state.doc(r.keys.relayDocId(ref));
    if (ds && !ds.tombstoned) {
      capture.tombstone(ref);
      queued++;
    }
  }
  capture.flush();
  capture.active = true;
  return queued;
}

function storedDeleteHash(r: Replica, docId: Uint8Array): string | undefined {
  const v = r.store.getMeta(`dels:${toHex(docId)}`);
  return v ? r.state.sealer.openJson<string>('meta', 'dels', v) : undefined;
}
function rememberDeleteHash(r: Replica, docId: Uint8Array, h: string): void {
  r.store.putMeta(`dels:${toHex(docId)}`, r.state.sealer.sealJson('meta', 'dels', h));
}

/** Builds and signs nothing yet (the connection signs on upload; Ed25519 is deterministic): seals and chains. */
function contentItem(r: Replica, docId: Uint8Array, type: 'update' | 'snapshot', payload: Uint8Array, heads: ChainHead[], seq: number): { item: OutboxItem; hash: Uint8Array; docSeq: number } {
  const ds = r.docState(docId);
  const me = ds.chains.get(r.deviceHex) ?? { docSeq: 0, deviceSeq: 0, hash: ZERO_HASH };
  const { epoch, key } = contentKey(r);
  const inner: Inner = {
    type,
    deviceId: r.device.publicKey,
    deviceSeq: seq,
    docId,
    kindCode: docKindCodes[ds.kind!],
    storageId: ds.storageId!,
    docSeq: me.docSeq + 1,
    prevHash: me.hash,
    heads,
    payload,
  };
  const body = sealBody(key, epoch, r.keys.accountId, inner);
  const covers = heads.map((h) => ({ deviceId: h.deviceId, from: 1, to: h.deviceSeq }));
  const item: OutboxItem = { kind: type, docId, deviceSeq: seq, body, covers };
  return { item, hash: chainHash(r.keys.accountId, { ...item, deviceId: r.device.publicKey }), docSeq: inner.docSeq };
}

/** Turns raw rows into outbox items. Returns how many items were added. */
export function prepare(r: Replica): number {
  let added = 0;
  for (;;) {
    const rows = r.store.raws(RAW_BATCH);
    if (rows.length === 0) return added;
    // Group by document, in order of first appearance; a tombstone drops the document's other changes.
    const groups = new Map<string, { docId: Uint8Array; updates: Uint8Array[]; tombstone: boolean; asset: boolean }>();
    for (const row of rows) {
      const plain = r.state.sealer.open('raw', row.doc, row.body);
      const g = groups.get(toHex(row.doc)) ?? { docId: row.doc, updates: [], tombstone: false, asset: false };
      groups.set(toHex(row.doc), g);
      if (plain[0] === RAW_TOMBSTONE) g.tombstone = true;
      else if (plain[0] === RAW_ASSET) g.asset = true;
      else g.updates.push(plain.subarray(1));
    }
    let seq = r.state.lastSeq;
    const items: OutboxItem[] = [];
    const touched = new Map<string, Uint8Array>();
    for (const g of groups.values()) {
      const ds = r.docState(g.docId);
      if (ds.tombstoned || !ds.kind || !ds.storageId) continue;
      touched.set(toHex(g.docId), g.docId);
      if (g.tombstone) {
        items.push({ kind: 'tombstone', docId: g.docId, deviceSeq: ++seq, covers: [] });
        ds.tombstoned = true;
        continue;
      }
      if (ds.kind === 'asset') {
        // Uploaded once, by the first device to prepare it; a device that received it has others' chains.
        const parts = g.asset && ds.chains.size === 0 ? assetChunks(r, toHex(ds.storageId)) : null;
        for (const payload of parts ?? []) {
          const built = contentItem(r, g.docId, 'update', payload, [], ++seq);
          items.push(built.item);
          ds.chains.set(r.deviceHex, { docSeq: built.docSeq, deviceSeq: seq, hash: built.hash });
        }
        continue;
      }
      for (const chunk of chunks(g.updates)) {
        const merged = chunk.length === 1 ? chunk[0]! : Y.mergeUpdates(chunk);
        const built = contentItem(r, g.docId, 'update', merged, [], ++seq);
        items.push(built.item);
        ds.chains.set(r.deviceHex, { docSeq: built.docSeq, deviceSeq: seq, hash: built.hash });
        ds.since++;
      }
      const snap = maybeSnapshot(r, g.docId, seq + 1);
      if (snap) {
        items.push(snap);
        seq++;
      }
    }
    r.store.transaction(() => {
      for (const it of items) r.store.addOutbox(it.deviceSeq, encodeOutboxItem(it));
      for (const docId of touched.values()) r.state.putDoc(docId, r.docState(docId));
      r.state.lastSeq = seq;
      r.store.deleteRawsUpTo(rows.at(-1)!.id);
    });
    added += items.length;
  }
}

function* chunks(updates: Uint8Array[]): Generator<Uint8Array[]> {
  let cur: Uint8Array[] = [];
  let size = 0;
  for (const u of updates) {
    if (cur.length > 0 && size + u.length > MAX_ITEM_BYTES) {
      yield cur;
      cur = [];
      size = 0;
    }
    cur.push(u);
    size += u.length;
  }
  if (cur.length) yield cur;
}

/**
 * A snapshot of the whole document, naming as heads every device's chain position it contains; the relay then
 * prunes exactly those items. Never while Yjs holds structs whose dependencies are missing (the state would not
 * contain items the heads claim) or when the state is too large for one frame.
 */
export function maybeSnapshot(r: Replica, docId: Uint8Array, seq: number): OutboxItem | null {
  const ds = r.docState(docId);
  if (ds.since < SNAPSHOT_EVERY || ds.tombstoned || ds.held || ds.kind === 'asset') return null;
  const ref = refOf(ds);
  if (!ref) return null;
  const doc = r.session.repo.open(ref).doc;
  if (doc.store.pendingStructs || doc.store.pendingDs) return null;
  const state = Y.encodeStateAsUpdate(doc);
  if (state.length > MAX_SNAPSHOT_BYTES) return null;
  const heads: ChainHead[] = [...ds.chains]
    .filter(([, c]) => c.docSeq > 0)
    .map(([hex, c]) => ({ deviceId: fromHex(hex), docSeq: c.docSeq, deviceSeq: c.deviceSeq, hash: c.hash }));
  if (heads.length === 0) return null;
  const built = contentItem(r, docId, 'snapshot', state, heads, seq);
  ds.chains.set(r.deviceHex, { docSeq: built.docSeq, deviceSeq: seq, hash: built.hash });
  ds.since = 0;
  return built.item;
}

