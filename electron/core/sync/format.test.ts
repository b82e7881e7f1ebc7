import { describe, expect, it } from 'vitest';
import type { Item } from '../../../shared/sync/messages.std.ts';
import { itemStatement } from '../../../shared/sync/signing.std.ts';
import { randomBytes, sodium } from '../crypto/sodium.node.ts';
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
    expect(openBody(() => randomBytes(32), accountId, asItem(i, a))).toMatchObject({ ok: false, why: 'decrypt' });
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
      expect(openBody(() => key, accountId, asItem(i, body))).toMatchObject({ ok: false, why: 'mismatch' });
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
