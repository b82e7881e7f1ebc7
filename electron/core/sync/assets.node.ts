/**
 * Binary assets (avatars, card images) through the relay (docs/sync-client.md, "Assets").
 *
 * An asset is immutable and addressed by its local id (16 random bytes, electron/core/docs/assets.node.ts), so it
 * travels as its own relay document — relay doc id = BLAKE2b-256(docIdKey, kind "asset" ‖ asset id) — holding one
 * chain of `update` items written once by the device that first uploads it: the asset's plaintext (mime and bytes)
 * cut into chunks of at most CHUNK_BYTES, each sealed and signed exactly like a document update, so every check of
 * inbound.node.ts (device, signature, decryption and AD binding, document binding, hash chain) applies unchanged.
 *
 * Chunk payload (inside the sealed inner): version (1) ‖ index (u16) ‖ count (u16) ‖ total plaintext length (u32)
 * ‖ BLAKE2b-256 of the whole plaintext (32) ‖ bytes. Chunk i is the item with docSeq i + 1 of its device's chain, so
 * the chain orders the chunks and detects a missing one; the receiver stores the asset once the last chunk arrives
 * and the length and hash of the assembled plaintext match. Chunks before the last wait sealed in the client's own
 * store (sync_meta) until then.
 *
 * References: a record references assets through fields whose name ends in `_asset` (today `avatar_asset`). The
 * outbox uploads an asset when a local change (or reconcile) shows a record referencing it and the relay does not
 * have it yet; it sends the asset's tombstone when the record stops referencing it (the app deletes the replaced
 * asset locally at the same moment) or is deleted. A device receiving an asset tombstone deletes its copy.
 */
import type * as Y from 'yjs';
import { sodium, fromHex, toHex } from '../crypto/sodium.node.ts';
import { deleteAsset, getAsset, putAsset } from '../docs/assets.node.ts';
import type { DocRef } from '../docs/doc-store.node.ts';
import type { Replica } from './replica.node.ts';

/** Chunk size: a sealed chunk stays well under the relay's 16 MiB frame limit, like merged updates (4 MiB). */
export const CHUNK_BYTES = 4 * 1024 * 1024;
const VERSION = 1;
const HEADER = 1 + 2 + 2 + 4 + 32;
const ID = /^[0-9a-f]{32}$/;

export const assetRef = (hex: string): DocRef => ({ kind: 'asset', storageId: fromHex(hex), recordId: hex });

/** Asset ids a record's fields reference (fields named `*_asset` holding an asset id). */
export function assetRefsOf(doc: Y.Doc): Set<string> {
  const out = new Set<string>();
  if (!doc.share.has('fields')) return out;
  for (const [k, v] of doc.getMap<unknown>('fields').entries()) {
    if (k.endsWith('_asset') && typeof v === 'string' && ID.test(v)) out.add(v);
  }
  return out;
}

/** The chunk payloads of a local asset, or null when it is not (or no longer) stored here. */
export function assetChunks(r: Replica, hex: string): Uint8Array[] | null {
  let asset;
  try {
    asset = getAsset(r.session, hex);
  } catch {
    return null;
  }
  const mime = new TextEncoder().encode(asset.mime);
  const plain = new Uint8Array(1 + mime.length + asset.bytes.length);
  plain[0] = mime.length;
  plain.set(mime, 1);
  plain.set(asset.bytes, 1 + mime.length);
  const hash = sodium.crypto_generichash(32, plain, null);
  const count = Math.max(1, Math.ceil(plain.length / CHUNK_BYTES));
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const part = plain.subarray(i * CHUNK_BYTES, Math.min(plain.length, (i + 1) * CHUNK_BYTES));
    const p = new Uint8Array(HEADER + part.length);
    const v = new DataView(p.buffer);
    p[0] = VERSION;
    v.setUint16(1, i);
    v.setUint16(3, count);
    v.setUint32(5, plain.length);
    p.set(hash, 9);
    p.set(part, HEADER);
    out.push(p);
  }
  return out;
}

interface Chunk {
  index: number;
  count: number;
  total: number;
  hash: Uint8Array;
  bytes: Uint8Array;
}

function decodeChunk(p: Uint8Array): Chunk | null {
  if (p.length < HEADER || p[0] !== VERSION) return null;
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const c = { index: v.getUint16(1), count: v.getUint16(3), total: v.getUint32(5), hash: p.slice(9, 41), bytes: p.subarray(HEADER) };
  if (c.count < 1 || c.index >= c.count || c.total > (c.count * CHUNK_BYTES) || c.bytes.length > CHUNK_BYTES) return null;
  return c;
}

const partKey = (docId: Uint8Array, dev: string, i: number) => `asset-part:${toHex(docId)}:${dev}:${i}`;

/** Chunks received in this batch but not yet written (the client's store is written when the batch commits). */
export type AssetParts = Map<string, Uint8Array | null>;

/**
 * Applies one checked chunk (its chain position was verified by the caller: it is item docSeq = index + 1 of
 * device `dev`). Returns null when accepted, or why it is refused. The last chunk stores the asset.
 */
export function applyAssetChunk(r: Replica, parts: AssetParts, docId: Uint8Array, dev: string, docSeq: number, storageId: Uint8Array, payload: Uint8Array): string | null {
  const c = decodeChunk(payload);
  if (!c || c.index !== docSeq - 1) return 'its asset chunk is malformed or out of place';
  if (c.index < c.count - 1) {
    if (c.bytes.length !== CHUNK_BYTES) return 'its asset chunk is malformed or out of place';
    parts.set(partKey(docId, dev, c.index), r.state.sealer.seal('asset-part', docId, payload));
    return null;
  }
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < c.count - 1; i++) {
    const k = partKey(docId, dev, i);
    const sealed = parts.get(k) ?? r.store.getMeta(k);
    const prev = sealed && decodeChunk(r.state.sealer.open('asset-part', docId, sealed));
    if (!prev || prev.count !== c.count || prev.total !== c.total || !sodium.memcmp(prev.hash, c.hash)) return 'its asset chunks disagree with each other';
    pieces.push(prev.bytes);
  }
  pieces.push(c.bytes);
  const plain = new Uint8Array(c.total);
  let o = 0;
  for (const p of pieces) {
    if (o + p.length > c.total) return 'its asset chunks are longer than the asset';
    plain.set(p, o);
    o += p.length;
  }
  if (o !== c.total || !sodium.memcmp(sodium.crypto_generichash(32, plain, null), c.hash)) return 'its asset does not match its own hash';
  const mimeLen = plain[0]!;
  if (1 + mimeLen > plain.length) return 'its asset is malformed';
  putAsset(r.session, { mime: new TextDecoder().decode(plain.subarray(1, 1 + mimeLen)), bytes: plain.slice(1 + mimeLen) }, toHex(storageId));
  for (let i = 0; i < c.count - 1; i++) parts.set(partKey(docId, dev, i), null);
  return null;
}

/** Writes and deletes waiting chunks (inside the batch's transaction of the client's store). */
export function commitAssetParts(r: Replica, parts: AssetParts): void {
  for (const [k, v] of parts) {
    if (v) r.store.putMeta(k, v);
    else r.store.deleteMeta(k);
  }
}

/** A tombstoned asset: deleted here too. */
export function deleteLocalAsset(r: Replica, storageId: Uint8Array): void {
  deleteAsset(r.session, toHex(storageId));
}
