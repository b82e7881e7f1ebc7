/**
 * The wrappings a rotated vault key needs (header version 2, docs/decisions.md #16):
 *
 * - recovery: a sealed box (X25519) to the recovery recipient — Ed25519 from BLAKE2b(key = recovery key,
 *   "mindstage.recovery.recipient.v1"), the same key that is the account's recovery authority — of
 *   "mindstage.wrap.recovery.v2\0" ‖ vault id ‖ generation (u32) ‖ vault key. Devices keep only the public half, so
 *   any of them can wrap a new key for the recovery key without holding it.
 * - history: every older generation's key, sealed under the current one: (generation u32 ‖ key 32)*.
 */
import { aeadOpen, aeadSeal, KEY_BYTES, keyedHash, secretCopy, signSeedKeypair, sodium } from '../crypto/sodium.node.ts';
import { historyAd } from './header.node.ts';

const enc = new TextEncoder();
const BOX_PREFIX = enc.encode('mindstage.wrap.recovery.v2\0');

/** The recovery recipient's keys, from the recovery key itself. */
export function recoveryRecipientKeys(recoveryKey: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const seed = keyedHash(recoveryKey, enc.encode('mindstage.recovery.recipient.v1'), 32);
  const { publicKey, privateKey } = signSeedKeypair(seed);
  sodium.memzero(seed);
  return { publicKey, secretKey: privateKey };
}

function boxPlain(vaultId: Uint8Array, generation: number, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(BOX_PREFIX.length + 16 + 4 + KEY_BYTES);
  out.set(BOX_PREFIX, 0);
  out.set(vaultId, BOX_PREFIX.length);
  new DataView(out.buffer).setUint32(BOX_PREFIX.length + 16, generation);
  out.set(key, BOX_PREFIX.length + 20);
  return out;
}

/** Wraps a vault key for the recovery recipient (public key only). */
export function wrapForRecovery(recipient: Uint8Array, vaultId: Uint8Array, generation: number, key: Uint8Array): Uint8Array {
  const plain = boxPlain(vaultId, generation, key);
  try {
    return sodium.crypto_box_seal(plain, sodium.crypto_sign_ed25519_pk_to_curve25519(recipient));
  } finally {
    sodium.memzero(plain);
  }
}

/** Opens a recovery box with the recovery key; null unless it is this vault's key at this generation. */
export function openRecoveryBox(recoveryKey: Uint8Array, recipient: Uint8Array, box: Uint8Array, vaultId: Uint8Array, generation: number): Uint8Array | null {
  const keys = recoveryRecipientKeys(recoveryKey);
  const pk = sodium.crypto_sign_ed25519_pk_to_curve25519(keys.publicKey);
  const sk = sodium.crypto_sign_ed25519_sk_to_curve25519(keys.secretKey);
  sodium.memzero(keys.secretKey);
  try {
    if (!sodium.memcmp(keys.publicKey, recipient)) return null;
    let plain: Uint8Array;
    try {
      plain = sodium.crypto_box_seal_open(box, pk, sk);
    } catch {
      return null;
    }
    const expect = boxPlain(vaultId, generation, new Uint8Array(KEY_BYTES));
    const head = BOX_PREFIX.length + 20;
    const ok = plain.length === expect.length && sodium.memcmp(plain.subarray(0, head), expect.subarray(0, head));
    const key = ok ? secretCopy(plain.subarray(head)) : null;
    sodium.memzero(plain);
    return key;
  } finally {
    sodium.memzero(sk);
  }
}

export function sealHistory(current: Uint8Array, vaultId: Uint8Array, generation: number, older: Map<number, Uint8Array>): Uint8Array {
  const plain = new Uint8Array(older.size * (4 + KEY_BYTES));
  const v = new DataView(plain.buffer);
  let o = 0;
  for (const [g, k] of [...older].sort((a, b) => a[0] - b[0])) {
    v.setUint32(o, g);
    plain.set(k, o + 4);
    o += 4 + KEY_BYTES;
  }
  try {
    return aeadSeal(current, plain, historyAd(vaultId, generation));
  } finally {
    sodium.memzero(plain);
  }
}

/** Null when the history does not open under the current key (an altered or swapped header). */
export function openHistory(current: Uint8Array, vaultId: Uint8Array, generation: number, sealed: Uint8Array): Map<number, Uint8Array> | null {
  const plain = aeadOpen(current, sealed, historyAd(vaultId, generation));
  if (!plain || plain.length % (4 + KEY_BYTES) !== 0) return null;
  const v = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
  const out = new Map<number, Uint8Array>();
  for (let o = 0; o < plain.length; o += 4 + KEY_BYTES) out.set(v.getUint32(o), secretCopy(plain.subarray(o + 4, o + 4 + KEY_BYTES)));
  sodium.memzero(plain);
  if (!out.has(0) || [...out.keys()].some((g) => g >= generation)) return null;
  return out;
}
