/**
 * Relay items → local documents. Every item is checked before anything is applied:
 *
 * - written by a device this account enrolled (enrollment signed by the account key) and not removed;
 * - its Ed25519 signature covers account, document, device, sequence number, body and covers;
 * - its body decrypts under a known content key, and the sealed inner header repeats the outer one;
 * - the document named inside hashes to the relay document id it was filed under (no moves between documents);
 * - it continues its device's hash chain in that document (docSeq = previous + 1, prevHash = previous hash);
 *   a snapshot's heads and covers agree and fork nothing we know.
 *
 * Outcomes: applied; ignored (duplicates, replays, our own items — all harmless); pending (a gap in the chain, a
 * key or device not known yet: kept and retried); quarantined (anything that fails a check: kept aside with the
 * reason, never applied, reported naming the record).
 */
import * as Y from 'yjs';
import { itemStatement } from '../../../shared/sync/signing.std.ts';
import { encodeFrame, decodeFrame } from '../../../shared/sync/frame.std.ts';
import type { Item } from '../../../shared/sync/messages.std.ts';
import { sodium, toHex } from '../crypto/sodium.node.ts';
import { markCatalogDeleted, getCatalogEntry } from '../docs/catalog.node.ts';
import { chainHashOfStatement, openBody, ZERO_HASH, type Inner } from './format.node.ts';
import { docKindFromCode, verify } from './keys.node.ts';
import { keyFor, learnEpochCached, openKeyringBody } from './keyring.node.ts';
import { newDocState, type DocState } from './local-state.node.ts';
import { FROM_SYNC, refOf, SYSTEM_KINDS, type Replica } from './replica.node.ts';
import { applyAssetChunk, assetRefsOf, deleteLocalAsset, type AssetParts } from './assets.node.ts';
import type { DocRef } from '../docs/doc-store.node.ts';
import { COMPACT_EVERY } from '../docs/repo.node.ts';

type Outcome = 'applied' | 'ignored' | 'pending' | 'quarantined';

export interface InboundEffects {
  /** Items applied (what a round reports as received); refusals are counted by the quarantine the batch stores. */
  applied: number;
  changed: Set<string>;
  touched: Map<string, Uint8Array>;
  newPending: Map<number, Item>;
  resolvedPending: Set<number>;
  quarantine: { serverSeq: number; item: Item; info: unknown }[];
  /** An item came from a device we do not know yet: refresh the device list and retry. */
  needDevices: boolean;
  /** A keyring item taught a new epoch key (kept in memory until the batch commits). */
  epochsChanged: boolean;
  /**
   * Documents that existed neither on disk nor in memory when this batch first met them, by record id: applied to
   * a bare Y.Doc (no listeners, so Yjs does not re-encode what it integrates) and stored as the received update
   * bytes. Valid only while the batch runs synchronously inside the vault transaction (batch.node.ts): nothing
   * else can open the document meanwhile. Afterwards the repo loads it from the store like any other.
   */
  fresh: Map<string, FreshDoc>;
  /** Every fresh document written in the current vault transaction (to forget on rollback). */
  freshWritten: Map<string, DocRef>;
  /** Storage ids (hex) stored in the vault when the current transaction first needed them. */
  storedIds: Set<string> | null;
  /** Asset chunks waiting for the rest of their asset, written (or deleted, null) when the batch commits. */
  assetParts: AssetParts;
}

export interface FreshDoc {
  ref: DocRef;
  doc: Y.Doc;
}

export const newEffects = (): InboundEffects => ({
  applied: 0,
  changed: new Set(),
  touched: new Map(),
  newPending: new Map(),
  resolvedPending: new Set(),
  quarantine: [],
  needDevices: false,
  epochsChanged: false,
  fresh: new Map(),
  freshWritten: new Map(),
  storedIds: null,
  assetParts: new Map(),
});

/**
 * Where an item's update goes. A document open in the repo (or stored on disk) is applied through the repo, which
 * commits it like any change. A document that does not exist locally yet — every document of a new device's first
 * sync — skips loading and re-encoding: a bare Y.Doc, and the received bytes stored as they are.
 */
function targetDoc(r: Replica, fx: InboundEffects, ref: DocRef): { doc: Y.Doc; fresh: FreshDoc | null } {
  const known = fx.fresh.get(ref.recordId);
  if (known) return { doc: known.doc, fresh: known };
  const repo = r.session.repo;
  // Documents stored (listed once per transaction) or open in memory (even if empty) go through the repo.
  fx.storedIds ??= new Set(r.session.storage.docIds().map(toHex));
  if (!fx.storedIds.has(toHex(ref.storageId)) && !repo.isOpen(ref)) {
    // A guid of our own: Y.Doc's default (lib0 uuidv4) draws 31 random numbers, which cost more than the rest here.
    const f: FreshDoc = { ref, doc: new Y.Doc({ guid: ref.recordId }) };
    fx.fresh.set(ref.recordId, f);
    return { doc: f.doc, fresh: f };
  }
  return { doc: repo.open(ref).doc, fresh: null };
}

function storeRaw(r: Replica, f: FreshDoc, update: Uint8Array): void {
  const store = r.session.repo.store;
  store.append(f.ref, update);
  if (store.updatesSinceSnapshot(f.ref) >= COMPACT_EVERY) store.compact(f.ref, Y.encodeStateAsUpdate(f.doc));
}

const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && sodium.memcmp(a, b);
const short = (b: Uint8Array) => toHex(b).slice(0, 12);

export const encodeItem = (item: Item): Uint8Array => encodeFrame(item);
export const decodeItem = (b: Uint8Array): Item => decodeFrame(b) as unknown as Item;

function recordName(r: Replica, docId: Uint8Array): string | undefined {
  const ds = r.state.doc(docId);
  return ds ? refOf(ds)?.recordId : undefined;
}

function quarantine(r: Replica, fx: InboundEffects, item: Item, why: string, recordId?: string): Outcome {
  const rec = recordId ?? recordName(r, item.docId);
  const what = rec ? `record ${rec}` : `relay document ${short(item.docId)}`;
  const message = `Refused an item for ${what} from device ${short(item.deviceId)} (relay #${item.serverSeq}): ${why}. It was not applied; your data is unchanged.`;
  fx.quarantine.push({ serverSeq: item.serverSeq, item, info: { message, recordId: rec ?? null, at: Date.now() } });
  r.problem({ code: 'integrity', message, serverSeq: item.serverSeq, reason: why, deviceId: toHex(item.deviceId), ...(rec ? { recordId: rec } : {}) });
  return 'quarantined';
}

function touch(fx: InboundEffects, docId: Uint8Array): void {
  fx.touched.set(toHex(docId), docId);
}

/** Checks and applies one item. */
export function handleItem(r: Replica, item: Item, fx: InboundEffects, devicesFresh: boolean): Outcome {
  const dev = toHex(item.deviceId);
  if (dev === r.deviceHex) return 'ignored';
  const known = r.devices.get(dev);
  if (!known) {
    if (!devicesFresh) {
      fx.needDevices = true;
      return 'pending';
    }
    return quarantine(r, fx, item, 'it was written by a device this account never enrolled');
  }
  // A removed device's items are dropped unread: the relay no longer accepts its writes, so anything still arriving
  // was either written before the removal or injected with its stolen key. Honest edits not yet received are lost
  // with it (docs/sync-client.md, "Removing a device").
  if (known.revokedAt !== null) return 'ignored';
  const statement = itemStatement({ kind: item.kind, accountId: r.keys.accountId, docId: item.docId, deviceId: item.deviceId, deviceSeq: item.deviceSeq, body: item.body, covers: item.covers });
  if (!verify(item.sig, statement, item.deviceId)) return quarantine(r, fx, item, 'its signature does not verify (forged or altered in transit or at rest)');

  if (eq(item.docId, r.keys.headsDocId)) {
    // Bookkeeping, not content: recorded (and judged after the round), never counted as something that moved.
    const why = r.freshness.take(item);
    return why ? quarantine(r, fx, item, why) : 'ignored';
  }
  if (eq(item.docId, r.keys.keyringDocId)) {
    if (item.kind !== 'update' || !item.body) return quarantine(r, fx, item, 'it is a malformed keyring entry');
    let got = openKeyringBody(item.body, r.keys.accountId, r.device);
    for (const k of r.extraRecipients) got ??= openKeyringBody(item.body, r.keys.accountId, k);
    // Cached only: the batch writes the epochs with the cursor (no write on the client's connection while the
    // vault's connection holds its transaction).
    if (got && learnEpochCached(r, got.epoch, got.key)) fx.epochsChanged = true;
    return got ? 'applied' : 'ignored';
  }
  if (item.kind === 'tombstone') return tombstone(r, item, fx);

  const opened = openBody((e) => keyFor(r, e), r.keys.accountId, item);
  if (!opened.ok) return opened.why === 'no_key' ? 'pending' : quarantine(r, fx, item, opened.detail);
  const inner = opened.inner;
  const kind = docKindFromCode(inner.kindCode);
  if (!kind) return quarantine(r, fx, item, 'it names an unknown kind of document');
  if (kind === 'asset' && item.kind !== 'update') return quarantine(r, fx, item, 'it is an asset sent as a snapshot');
  if (!eq(r.keys.relayDocId({ kind, storageId: inner.storageId }), item.docId)) {
    return quarantine(r, fx, item, 'the document sealed inside it is not the document it was filed under (moved between documents)');
  }
  const existing = r.state.doc(item.docId);
  const ds: DocState = existing ?? newDocState(kind, inner.storageId);
  if (ds.kind === null || ds.storageId === null) {
    ds.kind = kind;
    ds.storageId = inner.storageId;
  } else if (ds.kind !== kind || !eq(ds.storageId, inner.storageId)) {
    return quarantine(r, fx, item, 'it names a different local document than earlier items of the same relay document');
  }
  if (ds.tombstoned) return 'ignored';
  const ref = refOf(ds)!;
  const hash = chainHashOfStatement(statement);
  const cur = ds.chains.get(dev) ?? { docSeq: 0, deviceSeq: 0, hash: ZERO_HASH };

  if (inner.docSeq <= cur.docSeq) {
    if (inner.docSeq === cur.docSeq && !eq(hash, cur.hash)) {
      return quarantine(r, fx, item, `a different item already holds its place (#${inner.docSeq}) in its device's chain (forked or forged)`, ref.recordId);
    }
    return 'ignored';
  }
  if (item.kind === 'update') {
    if (inner.docSeq > cur.docSeq + 1) return 'pending';
    if (!eq(inner.prevHash, cur.hash)) return quarantine(r, fx, item, 'it does not continue its device\'s hash chain (reordered, replayed from elsewhere, or forged)', ref.recordId);
  } else {
    const bad = checkSnapshot(r, item, inner, ds, cur, dev);
    if (bad === 'pending') return 'pending';
    if (bad) return quarantine(r, fx, item, bad, ref.recordId);
  }

  if (kind === 'asset') {
    const bad = applyAssetChunk(r, fx.assetParts, item.docId, dev, inner.docSeq, inner.storageId, inner.payload);
    if (bad) return quarantine(r, fx, item, bad);
    ds.chains.set(dev, { docSeq: inner.docSeq, deviceSeq: item.deviceSeq, hash, serverSeq: item.serverSeq });
    r.state.putDocCached(item.docId, ds);
    touch(fx, item.docId);
    fx.applied++;
    return 'applied';
  }
  const target = targetDoc(r, fx, ref);
  try {
    Y.applyUpdate(target.doc, inner.payload, FROM_SYNC);
  } catch {
    // A fresh document that half-integrated a bad update is forgotten: the store holds only what applied cleanly.
    if (target.fresh) fx.fresh.delete(ref.recordId);
    return quarantine(r, fx, item, 'its content is not a valid document update', ref.recordId);
  }
  if (target.fresh) {
    fx.freshWritten.set(ref.recordId, ref);
    storeRaw(r, target.fresh, inner.payload);
  }
  if (item.kind === 'snapshot') {
    for (const h of inner.heads) {
      const hex = toHex(h.deviceId);
      if ((ds.chains.get(hex)?.docSeq ?? 0) < h.docSeq) ds.chains.set(hex, { docSeq: h.docSeq, deviceSeq: h.deviceSeq, hash: h.hash, serverSeq: item.serverSeq });
    }
    ds.since = 0;
  } else {
    ds.since++;
  }
  ds.chains.set(dev, { docSeq: inner.docSeq, deviceSeq: item.deviceSeq, hash, serverSeq: item.serverSeq });
  ds.sentSv = Y.encodeStateVector(target.doc);
  const { pendingStructs, pendingDs } = target.doc.store;
  if (!SYSTEM_KINDS.has(ds.kind) && ds.kind !== 'conversation' && ds.kind !== 'segment') {
    const refs = [...assetRefsOf(target.doc)];
    if (refs.length || ds.assets?.length) ds.assets = refs;
  }
  // Yjs keeps what waits for missing structs in its V2 update format; it is stored as a V1 update, like everything
  // else, and reapplied as one (reapplyHeld). Merged as V1 it read as an empty update and was lost on restart.
  ds.held = pendingStructs || pendingDs ? Y.convertUpdateFormatV2ToV1(Y.mergeUpdatesV2([pendingStructs?.update, pendingDs].filter((u): u is Uint8Array => !!u))) : null;
  r.state.putDocCached(item.docId, ds);
  touch(fx, item.docId);
  fx.changed.add(ref.recordId);
  fx.applied++;
  return 'applied';
}

/** Returns null when the snapshot may be applied, 'pending' when earlier items are needed, or why it is refused. */
function checkSnapshot(r: Replica, item: Item, inner: Inner, ds: DocState, cur: { docSeq: number; hash: Uint8Array }, dev: string): string | 'pending' | null {
  if (item.covers.length !== inner.heads.length) return 'the ranges it asks the relay to prune differ from what it says it contains';
  for (let i = 0; i < inner.heads.length; i++) {
    const h = inner.heads[i]!;
    const c = item.covers[i]!;
    if (!eq(c.deviceId, h.deviceId) || c.from !== 1 || c.to !== h.deviceSeq) return 'the ranges it asks the relay to prune differ from what it says it contains';
  }
  const own = inner.heads.find((h) => toHex(h.deviceId) === dev);
  if (own && (own.docSeq !== inner.docSeq - 1 || !eq(own.hash, inner.prevHash))) return 'it does not continue its device\'s hash chain';
  if (inner.docSeq === cur.docSeq + 1) {
    if (!eq(inner.prevHash, cur.hash)) return 'it does not continue its device\'s hash chain (reordered, replayed from elsewhere, or forged)';
  } else if (!own) {
    return 'pending';
  }
  for (const h of inner.heads) {
    const hex = toHex(h.deviceId);
    if (!r.devices.has(hex) && hex !== r.deviceHex) return 'it claims to contain items of a device this account never enrolled';
    const c = ds.chains.get(hex);
    if (hex === r.deviceHex && (!c || h.docSeq > c.docSeq)) return 'it claims to contain updates this device never wrote';
    if (c && c.docSeq === h.docSeq && !eq(c.hash, h.hash)) return `it disagrees with the chain of device ${hex.slice(0, 12)} (forked or forged)`;
  }
  return null;
}

function tombstone(r: Replica, item: Item, fx: InboundEffects): Outcome {
  const ds = r.state.doc(item.docId) ?? newDocState(null, null);
  if (ds.tombstoned) return 'ignored';
  ds.tombstoned = true;
  ds.held = null;
  r.state.putDocCached(item.docId, ds);
  touch(fx, item.docId);
  const ref = refOf(ds);
  if (ref?.kind === 'asset') {
    deleteLocalAsset(r, ref.storageId);
  } else if (ref) {
    fx.fresh.delete(ref.recordId);
    // A conversation's segments get tombstones of their own; deleting them here too leaves nothing readable meanwhile.
    if (ref.kind === 'conversation') r.session.conversations.deleteSegments(ref.recordId, r.session.repo.open(ref).doc);
    r.session.repo.delete(ref);
    const catalog = r.session.catalog;
    // A local catalog edit, synced like any other, so every device's catalog agrees the record is gone.
    if (getCatalogEntry(catalog, ref.recordId)) markCatalogDeleted(catalog, ref.recordId, r.session.now());
    fx.changed.add(ref.recordId);
  }
  fx.applied++;
  return 'applied';
}

/** Reapplies Yjs structs that were waiting for dependencies when the client last stopped. */
export function reapplyHeld(r: Replica): void {
  for (const docId of r.store.docIds()) {
    const ds = r.state.doc(docId);
    const ref = ds && refOf(ds);
    if (!ds?.held || !ref || ds.tombstoned || ref.kind === 'asset') continue;
    Y.applyUpdate(r.session.repo.open(ref).doc, ds.held, FROM_SYNC);
  }
}
