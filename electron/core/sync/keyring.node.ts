/**
 * Content-key epochs. Epoch 0 is derived from the vault key, so every device that has the vault has it. Removing a
 * device starts a new epoch: 32 random bytes, sealed (libsodium crypto_box_seal, X25519) to each remaining
 * device's key — and to the recovery key's box key when relay recovery is set up — and published as a signed
 * "keyring" item. From then on everything is sealed under the new epoch, which the removed device never receives.
 *
 * Keyring body: version (2) ‖ epoch (u32) ‖ count (u16) ‖ (recipient Ed25519 key (32) ‖ box length (u16) ‖ box)*
 * Box plaintext: "mindstage.sync.epoch.v1\0" ‖ accountId (32) ‖ epoch (u32) ‖ key (32)
 */
import { randomBytes, secretCopy, sodium, toHex } from '../crypto/sodium.node.ts';
import { KEYRING_VERSION } from './format.node.ts';
import { boxKeyPair, boxPublicKey, type SigningKeys } from './keys.node.ts';
import type { Epochs } from './local-state.node.ts';
import type { Replica } from './replica.node.ts';

const BOX_PREFIX = new TextEncoder().encode('mindstage.sync.epoch.v1\0');
const cache = new WeakMap<Replica, Epochs>();

export function epochs(r: Replica): Epochs {
  let e = cache.get(r);
  if (!e) cache.set(r, (e = r.state.epochs()));
  return e;
}

export function putEpochs(r: Replica, e: Epochs): void {
  r.state.putEpochs(e);
  cache.set(r, e);
}

export function keyFor(r: Replica, epoch: number): Uint8Array | null {
  return epoch === 0 ? r.keys.epochZero : (epochs(r).keys.get(epoch) ?? null);
}

export function contentKey(r: Replica): { epoch: number; key: Uint8Array } {
  const e = epochs(r);
  return { epoch: e.current, key: keyFor(r, e.current)! };
}

function boxPlain(accountId: Uint8Array, epoch: number, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(BOX_PREFIX.length + 32 + 4 + 32);
  out.set(BOX_PREFIX, 0);
  out.set(accountId, BOX_PREFIX.length);
  new DataView(out.buffer).setUint32(BOX_PREFIX.length + 32, epoch);
  out.set(key, BOX_PREFIX.length + 36);
  return out;
}

/** A new epoch key sealed to each recipient (Ed25519 public keys). */
export function newKeyringBody(accountId: Uint8Array, epoch: number, key: Uint8Array, recipients: Uint8Array[]): Uint8Array {
  const entries: Uint8Array[] = [];
  for (const rcpt of recipients) {
    const pk = boxPublicKey(rcpt);
    if (!pk) continue;
    const box = sodium.crypto_box_seal(boxPlain(accountId, epoch, key), pk);
    const e = new Uint8Array(32 + 2 + box.length);
    e.set(rcpt, 0);
    new DataView(e.buffer).setUint16(32, box.length);
    e.set(box, 34);
    entries.push(e);
  }
  const total = 7 + entries.reduce((n, e) => n + e.length, 0);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  out[0] = KEYRING_VERSION;
  v.setUint32(1, epoch);
  v.setUint16(5, entries.length);
  let o = 7;
  for (const e of entries) {
    out.set(e, o);
    o += e.length;
  }
  return out;
}

/** The epoch key addressed to `me`, or null when the body is not for us (or malformed). */
export function openKeyringBody(body: Uint8Array, accountId: Uint8Array, me: SigningKeys): { epoch: number; key: Uint8Array } | null {
  if (body.length < 7 || body[0] !== KEYRING_VERSION) return null;
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const epoch = v.getUint32(1);
  const count = v.getUint16(5);
  let o = 7;
  const mine = toHex(me.publicKey);
  for (let i = 0; i < count; i++) {
    if (o + 34 > body.length) return null;
    const rcpt = toHex(body.subarray(o, o + 32));
    const len = v.getUint16(o + 32);
    const box = body.subarray(o + 34, o + 34 + len);
    o += 34 + len;
    if (rcpt !== mine) continue;
    const pair = boxKeyPair(me);
    let plain: Uint8Array;
    try {
      plain = sodium.crypto_box_seal_open(box, pair.publicKey, pair.privateKey);
    } catch {
      return null;
    } finally {
      sodium.memzero(pair.privateKey);
    }
    const expected = boxPlain(accountId, epoch, new Uint8Array(32));
    if (plain.length !== expected.length || !sodium.memcmp(plain.subarray(0, BOX_PREFIX.length + 36), expected.subarray(0, BOX_PREFIX.length + 36))) return null;
    return { epoch, key: plain.slice(BOX_PREFIX.length + 36) };
  }
  return null;
}

/** Learns an epoch key; moves to it when it is the newest. */
export function learnEpoch(r: Replica, epoch: number, key: Uint8Array): void {
  if (epoch === 0) return;
  const e = epochs(r);
  if (e.keys.has(epoch)) return;
  const next: Epochs = { current: Math.max(e.current, epoch), keys: new Map(e.keys) };
  next.keys.set(epoch, secretCopy(key));
  putEpochs(r, next);
}

/** Learns an epoch key in memory only (the caller persists epochs(r) later with putEpochs); true when it was new. */
export function learnEpochCached(r: Replica, epoch: number, key: Uint8Array): boolean {
  if (epoch === 0) return false;
  const e = epochs(r);
  if (e.keys.has(epoch)) return false;
  const next: Epochs = { current: Math.max(e.current, epoch), keys: new Map(e.keys) };
  next.keys.set(epoch, secretCopy(key));
  cache.set(r, next);
  return true;
}

/** Starts a new epoch and returns its keyring body (the caller puts it in the outbox). */
export function rotate(r: Replica, recipients: Uint8Array[]): { epoch: number; body: Uint8Array } {
  const e = epochs(r);
  const epoch = Math.max(e.current, ...e.keys.keys()) + 1;
  const key = randomBytes(32);
  const body = newKeyringBody(r.keys.accountId, epoch, key, recipients);
  learnEpoch(r, epoch, key);
  return { epoch, body };
}
