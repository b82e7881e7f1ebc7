import { describe, expect, it } from 'vitest';
import type { Item } from '../../../shared/sync/messages.std.ts';
import { itemStatement } from '../../../shared/sync/signing.std.ts';
import { aeadOpen, aeadSeal, randomBytes, sodium } from '../crypto/sodium.node.ts';
import { pad, unpad } from '../crypto/padding.std.ts';
import { bodyEpoch, chainHash, chainHashOfStatement, decodeInner, encodeInner, openBody, sealBody, ZERO_HASH, type Inner } from './format.node.ts';
import { newKeyringBody, openKeyringBody } from './keyring.node.ts';
import { signingKeysFromSeed } from './keys.node.ts';

const key = randomBytes(32);
const accountId = randomBytes(32);
const inner = (over: Partial<Inner> = {}): Inner => ({
  type: 'update',
  deviceId: randomBytes(32),
  deviceSeq: 7,
  docId: randomBytes(32),
  kindCode: 1,
  storageId: randomBytes(16),
  docSeq: 3,
  prevHash: randomBytes(32),
  heads: [],
  payload: new TextEncoder().encode('yjs update bytes'),
  ...over,
});
const asItem = (i: Inner, body: Uint8Array, over: Partial<Item> = {}): Item => ({ kind: i.type, serverSeq: 1, docId: i.docId, deviceId: i.deviceId, deviceSeq: i.deviceSeq, body, covers: [], sig: new Uint8Array(64), ...over });

describe('sync item format', () => {
  it('round-trips inners, snapshots with heads included, and refuses malformed ones', () => {
    const snap = inner({ type: 'snapshot', heads: [{ deviceId: randomBytes(32), docSeq: 4, deviceSeq: 9, hash: randomBytes(32) }] });
    expect(decodeInner(encodeInner(snap))).toEqual(snap);
    const plain = inner();
    expect(decodeInner(encodeInner(plain))).toEqual(plain);
    const bad = encodeInner(inner());
    expect(decodeInner(bad.subarray(0, 50))).toBeNull();
    const wrongVersion = bad.slice();
    wrongVersion[0] = 9;
    expect(decodeInner(wrongVersion)).toBeNull();
    expect(decodeInner(encodeInner(inner({ heads: snap.heads })))).toBeNull(); // an update never has heads
  });

  it('seals with a fresh nonce, opens only with the right key and the right outer header', () => {
    const i = inner();
    const a = sealBody(key, 0, accountId, i);
    const b = sealBody(key, 0, accountId, i);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(bodyEpoch(a)).toBe(0);
    const ok = openBody(() => key, accountId, asItem(i, a));
    expect(ok).toMatchObject({ ok: true, epoch: 0 });
    expect(openBody(() => randomBytes(32), accountId, asItem(i, a))).toEqual({ ok: false, why: 'decrypt', detail: 'it failed to decrypt (altered, moved, or sealed with another key)' });
    expect(openBody(() => null, accountId, asItem(i, a))).toMatchObject({ ok: false, why: 'no_key', epoch: 0 });
    // Each outer field is bound: another document, device, number, kind or account fails to open.
    for (const over of [{ docId: randomBytes(32) }, { deviceId: randomBytes(32) }, { deviceSeq: 8 }, { kind: 'snapshot' as const }]) {
      expect(openBody(() => key, accountId, asItem(i, a, over)).ok).toBe(false);
    }
    expect(openBody(() => key, randomBytes(32), asItem(i, a)).ok).toBe(false);
  });

  it('detects an inner that disagrees with the outer header even when the seal is valid', () => {
    const i = inner();
    for (const lie of [{ docId: randomBytes(32) }, { deviceId: randomBytes(32) }, { deviceSeq: 99 }]) {
      // Sealed so that the AD matches the outside, while the inside names something else.
      const body = sealBody(key, 0, accountId, { ...i, ...lie }, i);
      expect(openBody(() => key, accountId, asItem(i, body))).toEqual({ ok: false, why: 'mismatch', detail: 'its sealed header disagrees with what the relay says it is' });
    }
    const asSnapshot = sealBody(key, 0, accountId, { ...i, type: 'snapshot' }, i);
    expect(openBody(() => key, accountId, asItem(i, asSnapshot))).toMatchObject({ ok: false, why: 'mismatch' });
  });

  it('chain hashes name exactly one signed item', () => {
    const i = inner();
    const body = sealBody(key, 0, accountId, i);
    const h = chainHash(accountId, asItem(i, body));
    expect(h).toHaveLength(32);
    expect(Buffer.from(h).equals(Buffer.from(chainHash(accountId, asItem(i, body))))).toBe(true);
    expect(Buffer.from(h).equals(Buffer.from(chainHash(accountId, asItem(i, body, { deviceSeq: 8 }))))).toBe(false);
    expect(Buffer.from(h).equals(Buffer.from(ZERO_HASH))).toBe(false);
    // The definition: BLAKE2b-256("mindstage.sync.chain.v1\0" ‖ the signed statement), hashed incrementally or not.
    const it = asItem(i, body);
    const st = itemStatement({ kind: it.kind, accountId, docId: it.docId, deviceId: it.deviceId, deviceSeq: it.deviceSeq, body: it.body, covers: it.covers });
    const oneShot = sodium.crypto_generichash(32, Buffer.concat([Buffer.from('mindstage.sync.chain.v1\0'), st]), null);
    expect(Buffer.from(chainHashOfStatement(st)).equals(Buffer.from(oneShot))).toBe(true);
    expect(Buffer.from(h).equals(Buffer.from(oneShot))).toBe(true);
  });

  it('keyring boxes open only for their recipients, bound to account and epoch', () => {
    const alice = signingKeysFromSeed(randomBytes(32));
    const bob = signingKeysFromSeed(randomBytes(32));
    const mallory = signingKeysFromSeed(randomBytes(32));
    const epochKey = randomBytes(32);
    const body = newKeyringBody(accountId, 3, epochKey, [alice.publicKey, bob.publicKey]);
    for (const k of [alice, bob]) expect(openKeyringBody(body, accountId, k)).toEqual({ epoch: 3, key: epochKey });
    expect(openKeyringBody(body, accountId, mallory)).toBeNull();
    expect(openKeyringBody(body, randomBytes(32), alice)).toBeNull();
    // Renumbering the epoch outside the box is caught inside it.
    const renumbered = body.slice();
    new DataView(renumbered.buffer).setUint32(1, 4);
    expect(openKeyringBody(renumbered, accountId, alice)).toBeNull();
  });
});

describe('sync item format, byte for byte (protocol vectors: another version must read what this one wrote)', () => {
  const u64 = (n: number) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(n));
    return b;
  };
  const u32 = (n: number) => new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  const cat = (...parts: (Uint8Array | number[])[]) => new Uint8Array(Buffer.concat(parts.map((p) => Uint8Array.from(p))));
  const fill = (n: number, v: number) => new Uint8Array(n).fill(v);
  const head = { deviceId: fill(32, 0xd1), docSeq: 5, deviceSeq: 2 ** 40 + 3, hash: fill(32, 0xee) };
  const snap: Inner = { type: 'snapshot', deviceId: fill(32, 0xa1), deviceSeq: 2 ** 33 + 7, docId: fill(32, 0xb2), kindCode: 4, storageId: fill(16, 0xc3), docSeq: 6, prevHash: fill(32, 0xf4), heads: [head], payload: new Uint8Array([9, 8, 7]) };
  const snapBytes = cat([1, 2], snap.deviceId, u64(snap.deviceSeq), snap.docId, [4], snap.storageId, u64(6), snap.prevHash, u32(1), head.deviceId, u64(5), u64(head.deviceSeq), head.hash, [9, 8, 7]);

  it('the inner: version, type, device, device seq, document, kind, storage id, doc seq, prevHash, head count, heads, payload', () => {
    expect(toHexOf(encodeInner(snap))).toBe(toHexOf(snapBytes));
    expect(decodeInner(snapBytes)).toEqual(snap);
    const upd = { ...snap, type: 'update' as const, heads: [] };
    expect(toHexOf(encodeInner(upd))).toBe(toHexOf(cat([1, 1], snap.deviceId, u64(snap.deviceSeq), snap.docId, [4], snap.storageId, u64(6), snap.prevHash, u32(0), [9, 8, 7])));
  });

  it('the inner: every malformed field is refused (a device that wrote it is buggy or hostile)', () => {
    const at = (o: number, v: number) => {
      const b = snapBytes.slice();
      b[o] = v;
      return b;
    };
    const headAt = 2 + 32 + 8 + 32 + 1 + 16 + 8 + 32 + 4;
    const bad: [string, Uint8Array][] = [
      ['shorter than the fixed part', snapBytes.subarray(0, headAt - 1)],
      ['inner version 2', at(0, 2)],
      ['type 0', at(1, 0)],
      ['type 3', at(1, 3)],
      ['device seq past 2^53', cat(snapBytes.subarray(0, 34), [0, 0x20, 0, 0, 0, 0, 0, 0], snapBytes.subarray(42))],
      ['doc seq 0', cat(snapBytes.subarray(0, 91), u64(0), snapBytes.subarray(99))],
      ['doc seq past 2^53', cat(snapBytes.subarray(0, 91), [0, 0x20, 0, 0, 0, 0, 0, 0], snapBytes.subarray(99))],
      ['more heads than bytes', cat(snapBytes.subarray(0, headAt - 4), u32(2), snapBytes.subarray(headAt))],
      ['a head at doc seq 0', cat(snapBytes.subarray(0, headAt + 32), u64(0), snapBytes.subarray(headAt + 40))],
      ['a head at device seq 0', cat(snapBytes.subarray(0, headAt + 40), u64(0), snapBytes.subarray(headAt + 48))],
      ['a head doc seq past 2^53', cat(snapBytes.subarray(0, headAt + 32), [0, 0x20, 0, 0, 0, 0, 0, 0], snapBytes.subarray(headAt + 40))],
      ['a head device seq past 2^53', cat(snapBytes.subarray(0, headAt + 40), [0, 0x20, 0, 0, 0, 0, 0, 0], snapBytes.subarray(headAt + 48))],
      ['an update with heads', at(1, 1)],
    ];
    for (const [what, b] of bad) expect({ what, got: decodeInner(b) }).toEqual({ what, got: null });
    // The largest safe numbers are accepted, exactly.
    const big = { ...snap, deviceSeq: Number.MAX_SAFE_INTEGER, docSeq: Number.MAX_SAFE_INTEGER, heads: [{ ...head, docSeq: Number.MAX_SAFE_INTEGER, deviceSeq: 1 }] };
    expect(decodeInner(encodeInner(big))).toEqual(big);
    expect(decodeInner(encodeInner({ ...snap, heads: [{ ...head, docSeq: 1 }] }))?.heads[0]?.docSeq).toBe(1);
    // The smallest valid ones: doc seq 1, an empty payload (an update of exactly the fixed size; a snapshot whose
    // last head ends the bytes).
    const smallest = { ...snap, type: 'update' as const, heads: [], docSeq: 1, payload: new Uint8Array(0) };
    expect(encodeInner(smallest)).toHaveLength(headAt);
    expect(decodeInner(encodeInner(smallest))).toEqual(smallest);
    expect(decodeInner(encodeInner({ ...snap, payload: new Uint8Array(0) }))).toEqual({ ...snap, payload: new Uint8Array(0) });
  });

  it('the outer body: version 1, epoch, then the inner sealed under the documented AD; a body sealed by hand opens', () => {
    const i = { ...snap, type: 'update' as const, heads: [] };
    const epoch = 0x0a0b0c0d;
    const ad = cat(new TextEncoder().encode('mindstage.sync.item.v1\0'), accountId, i.docId, i.deviceId, u64(i.deviceSeq), [1], u32(epoch));
    const byHand = cat([1], u32(epoch), aeadSeal(key, pad(encodeInner(i)), ad));
    const item = asItem(i, byHand);
    expect(openBody((e) => (e === epoch ? key : null), accountId, item)).toEqual({ ok: true, inner: i, epoch });
    const ours = sealBody(key, epoch, accountId, i);
    expect(Array.from(ours.subarray(0, 5))).toEqual([1, 0x0a, 0x0b, 0x0c, 0x0d]);
    expect(unpad(aeadOpen(key, ours.subarray(5), ad)!)).toEqual(encodeInner(i));
    // A snapshot's AD says 2.
    const sAd = cat(new TextEncoder().encode('mindstage.sync.item.v1\0'), accountId, snap.docId, snap.deviceId, u64(snap.deviceSeq), [2], u32(epoch));
    const sealedSnap = sealBody(key, epoch, accountId, snap);
    expect(aeadOpen(key, sealedSnap.subarray(5), sAd)).not.toBeNull();
    expect(openBody(() => key, accountId, asItem(snap, sealedSnap))).toEqual({ ok: true, inner: snap, epoch });
  });

  it('bodies that are not content, or hold junk under a valid seal, are refused with the reason', () => {
    const i = inner();
    const good = sealBody(key, 0, accountId, i);
    expect(bodyEpoch(good.subarray(0, 4))).toBeNull();
    expect(bodyEpoch(cat([2], good.subarray(1)))).toBeNull();
    expect(bodyEpoch(good.subarray(0, 5))).toBe(0);
    expect(openBody(() => key, accountId, { ...asItem(i, good), body: undefined })).toEqual({ ok: false, why: 'format', detail: 'it has no body' });
    expect(openBody(() => key, accountId, asItem(i, good, { kind: 'tombstone' }))).toEqual({ ok: false, why: 'format', detail: 'it has no body' });
    expect(openBody(() => key, accountId, asItem(i, cat([2], good.subarray(1))))).toEqual({ ok: false, why: 'format', detail: 'unknown body version' });
    // Authentic, but not an inner: refused as malformed, not as a decryption failure.
    const ad = cat(new TextEncoder().encode('mindstage.sync.item.v1\0'), accountId, i.docId, i.deviceId, u64(i.deviceSeq), [1], u32(0));
    const junk = cat([1], u32(0), aeadSeal(key, pad(new Uint8Array(300).fill(7)), ad));
    expect(openBody(() => key, accountId, asItem(i, junk))).toEqual({ ok: false, why: 'format', detail: 'its content is malformed' });
    // Authentic, but without its padding marker.
    const unpadded = cat([1], u32(0), aeadSeal(key, new Uint8Array(64), ad));
    expect(openBody(() => key, accountId, asItem(i, unpadded))).toMatchObject({ ok: false, why: 'decrypt' });
  });
});

const toHexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');
