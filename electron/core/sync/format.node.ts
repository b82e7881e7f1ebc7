/**
 * The bytes of a sync item's body (docs/sync-client.md, "Item format"). Outer:
 *
 *   version (1 = content) ‖ epoch (u32) ‖ XChaCha20-Poly1305(epoch key, nonce, padded inner, AD)
 *   AD = "mindstage.sync.item.v1\0" ‖ accountId ‖ relay docId ‖ deviceId ‖ deviceSeq (u64) ‖ kind (u8) ‖ epoch (u32)
 *
 * Inner (authenticated and encrypted; repeats what the relay sees so nothing outside can disagree with it):
 *
 *   version (1) ‖ type (1 update, 2 snapshot) ‖ deviceId (32) ‖ deviceSeq (u64) ‖ relay docId (32)
 *   ‖ local kind (u8) ‖ local storage id (16) ‖ docSeq (u64) ‖ prevHash (32) ‖ head count (u32)
 *   ‖ heads (deviceId 32 ‖ docSeq u64 ‖ deviceSeq u64 ‖ hash 32)* ‖ Yjs update (rest)
 *
 * docSeq/prevHash chain one device's items in one document; heads (snapshots only) name each device's chain
 * position the snapshot contains. The chain hash of an item is BLAKE2b-256 over the exact statement its device
 * signed (shared/sync/signing.std.ts), so a hash names one signed item.
 */
import { itemStatement } from '../../../shared/sync/signing.std.ts';
import type { Item } from '../../../shared/sync/messages.std.ts';
import { aeadOpen, aeadSeal, sodium } from '../crypto/sodium.node.ts';
import { pad, unpad } from '../crypto/padding.std.ts';

export const CONTENT_VERSION = 1;
export const KEYRING_VERSION = 2;
const INNER_VERSION = 1;
const HEAD_BYTES = 80;
const FIXED = 1 + 1 + 32 + 8 + 32 + 1 + 16 + 8 + 32 + 4;

export interface ChainHead {
  deviceId: Uint8Array;
  docSeq: number;
  deviceSeq: number;
  hash: Uint8Array;
}

export interface Inner {
  type: 'update' | 'snapshot';
  deviceId: Uint8Array;
  deviceSeq: number;
  docId: Uint8Array;
  kindCode: number;
  storageId: Uint8Array;
  docSeq: number;
  prevHash: Uint8Array;
  heads: ChainHead[];
  payload: Uint8Array;
}

export const ZERO_HASH = new Uint8Array(32);

/** Writes fields back to back into a buffer of known size. */
class Writer {
  readonly out: Uint8Array;
  readonly #v: DataView;
  #o = 0;
  constructor(size: number) {
    this.out = new Uint8Array(size);
    this.#v = new DataView(this.out.buffer);
  }
  u8(n: number): this {
    this.out[this.#o++] = n;
    return this;
  }
  u32(n: number): this {
    this.#v.setUint32(this.#o, n);
    this.#o += 4;
    return this;
  }
  u64(n: number): this {
    this.#v.setBigUint64(this.#o, BigInt(n));
    this.#o += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.out.set(b, this.#o);
    this.#o += b.length;
    return this;
  }
}

export function encodeInner(i: Inner): Uint8Array {
  const w = new Writer(FIXED + i.heads.length * HEAD_BYTES + i.payload.length);
  w.u8(INNER_VERSION).u8(i.type === 'update' ? 1 : 2).bytes(i.deviceId).u64(i.deviceSeq).bytes(i.docId);
  w.u8(i.kindCode).bytes(i.storageId).u64(i.docSeq).bytes(i.prevHash).u32(i.heads.length);
  for (const h of i.heads) w.bytes(h.deviceId).u64(h.docSeq).u64(h.deviceSeq).bytes(h.hash);
  return w.bytes(i.payload).out;
}

const safe = (n: bigint): number | null => (n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : null);

/** Strict: any malformed inner is null (it authenticated, so only a buggy or hostile device wrote it). */
export function decodeInner(b: Uint8Array): Inner | null {
  if (b.length < FIXED || b[0] !== INNER_VERSION || (b[1] !== 1 && b[1] !== 2)) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let o = 2;
  const deviceId = b.slice(o, (o += 32));
  const deviceSeq = safe(v.getBigUint64(o));
  o += 8;
  const docId = b.slice(o, (o += 32));
  const kindCode = b[o++]!;
  const storageId = b.slice(o, (o += 16));
  const docSeq = safe(v.getBigUint64(o));
  o += 8;
  const prevHash = b.slice(o, (o += 32));
  const count = v.getUint32(o);
  o += 4;
  if (deviceSeq === null || docSeq === null || docSeq < 1 || b.length < o + count * HEAD_BYTES) return null;
  const heads: ChainHead[] = [];
  for (let k = 0; k < count; k++) {
    const hd = b.slice(o, (o += 32));
    const hs = safe(v.getBigUint64(o));
    const hds = safe(v.getBigUint64(o + 8));
    o += 16;
    const hh = b.slice(o, (o += 32));
    if (hs === null || hds === null || hs < 1 || hds < 1) return null;
    heads.push({ deviceId: hd, docSeq: hs, deviceSeq: hds, hash: hh });
  }
  if (b[1] === 1 && count !== 0) return null;
  return { type: b[1] === 1 ? 'update' : 'snapshot', deviceId, deviceSeq, docId, kindCode, storageId, docSeq, prevHash, heads, payload: b.slice(o) };
}

const AD_PREFIX = new TextEncoder().encode('mindstage.sync.item.v1\0');

function itemAd(a: { accountId: Uint8Array; docId: Uint8Array; deviceId: Uint8Array; deviceSeq: number; kind: 'update' | 'snapshot'; epoch: number }): Uint8Array {
  const w = new Writer(AD_PREFIX.length + 32 + 32 + 32 + 8 + 1 + 4);
  return w.bytes(AD_PREFIX).bytes(a.accountId).bytes(a.docId).bytes(a.deviceId).u64(a.deviceSeq).u8(a.kind === 'update' ? 1 : 2).u32(a.epoch).out;
}

/**
 * Seals an inner for the relay under one content-key epoch; a fresh random nonce every time (node:crypto). `outer`
 * is what the AD binds and defaults to the inner's own header; only tests pass a different one, to check that
 * openBody notices an inside that disagrees with the outside.
 */
export function sealBody(
  key: Uint8Array,
  epoch: number,
  accountId: Uint8Array,
  inner: Inner,
  outer: Pick<Inner, 'docId' | 'deviceId' | 'deviceSeq' | 'type'> = inner,
): Uint8Array {
  const sealed = aeadSeal(key, pad(encodeInner(inner)), itemAd({ accountId, docId: outer.docId, deviceId: outer.deviceId, deviceSeq: outer.deviceSeq, kind: outer.type, epoch }));
  const out = new Uint8Array(5 + sealed.length);
  out[0] = CONTENT_VERSION;
  new DataView(out.buffer).setUint32(1, epoch);
  out.set(sealed, 5);
  return out;
}

export type Opened =
  | { ok: true; inner: Inner; epoch: number }
  | { ok: false; why: 'no_key'; epoch: number }
  | { ok: false; why: 'decrypt' | 'format' | 'mismatch'; detail: string };

/** The epoch a body was sealed under, or null when it is not a content body. */
export function bodyEpoch(body: Uint8Array): number | null {
  if (body.length < 5 || body[0] !== CONTENT_VERSION) return null;
  return new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(1);
}

/**
 * Opens an item's body and checks the inside against the outside: same device, sequence number, document and
 * kind. `keyFor` returns the content key of an epoch, or null while it is unknown.
 */
export function openBody(keyFor: (epoch: number) => Uint8Array | null, accountId: Uint8Array, item: Item): Opened {
  const body = item.body;
  if (!body || (item.kind !== 'update' && item.kind !== 'snapshot')) return { ok: false, why: 'format', detail: 'it has no body' };
  const epoch = bodyEpoch(body);
  if (epoch === null) return { ok: false, why: 'format', detail: 'unknown body version' };
  const key = keyFor(epoch);
  if (!key) return { ok: false, why: 'no_key', epoch };
  const padded = aeadOpen(key, body.subarray(5), itemAd({ accountId, docId: item.docId, deviceId: item.deviceId, deviceSeq: item.deviceSeq, kind: item.kind, epoch }));
  const plain = padded && unpad(padded);
  if (!plain) return { ok: false, why: 'decrypt', detail: 'it failed to decrypt (altered, moved, or sealed with another key)' };
  const inner = decodeInner(plain);
  if (!inner) return { ok: false, why: 'format', detail: 'its content is malformed' };
  const same = (a: Uint8Array, b: Uint8Array) => sodium.memcmp(a, b);
  if (inner.type !== item.kind || inner.deviceSeq !== item.deviceSeq || !same(inner.deviceId, item.deviceId) || !same(inner.docId, item.docId)) {
    return { ok: false, why: 'mismatch', detail: 'its sealed header disagrees with what the relay says it is' };
  }
  return { ok: true, inner, epoch };
}

const CHAIN_PREFIX = new TextEncoder().encode('mindstage.sync.chain.v1\0');

/** The hash the next item of the same device and document names as prevHash. */
export function chainHash(accountId: Uint8Array, item: Pick<Item, 'kind' | 'docId' | 'deviceId' | 'deviceSeq' | 'body' | 'covers'>): Uint8Array {
  return chainHashOfStatement(itemStatement({ kind: item.kind, accountId, docId: item.docId, deviceId: item.deviceId, deviceSeq: item.deviceSeq, body: item.body, covers: item.covers }));
}

/** chainHash from the item's signed statement, when the caller already built it (to verify the signature). */
export function chainHashOfStatement(statement: Uint8Array): Uint8Array {
  const state = sodium.crypto_generichash_init(null, 32);
  sodium.crypto_generichash_update(state, CHAIN_PREFIX);
  sodium.crypto_generichash_update(state, statement);
  return sodium.crypto_generichash_final(state, 32);
}
