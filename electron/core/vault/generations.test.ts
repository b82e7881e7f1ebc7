/**
 * The vault's key generations, the header written for them and the paths that open it (docs/decisions.md #16), in
 * process and without Argon2id: the product's parameters are the minimums every reader enforces, so a test cannot
 * make them cheaper. Instead each vault here is wrapped under a random key-encryption key, and unlocking hands that
 * key in the way the CLI hands in a key derived ahead (`KekAhead`): the wrapping, the history and the recovery box
 * are the real ones, opened with real keys. vault.test.ts takes the same paths through the passphrase itself.
 */
import { describe, expect, it } from 'vitest';
import type { MindstageError } from '../../../shared/result.std.ts';
import { aeadOpen, aeadSeal, deriveSubkey, KEY_BYTES, newKdfParams, randomBytes, secretCopy, type SubkeyPurpose } from '../crypto/sodium.node.ts';
import { createMemoryStorage, type VaultStorage } from '../store/storage.node.ts';
import { decodeHeader, encodeHeader, passphraseWrapAd, recoveryWrapAd } from './header.node.ts';
import { openHistory, openRecoveryBox, recoveryRecipientKeys, wrapForRecovery } from './key-wraps.node.ts';
import { encodeRecoveryCode } from './recovery-code.node.ts';
import {
  headerRecoveryRecipient,
  openWithRecoveryKey,
  recoverVault,
  rotateVaultKey,
  setHeaderRecoveryRecipient,
  UnlockedVault,
  unlockVault,
  writeVaultHeader,
} from './vault.node.ts';

const hex = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('hex') : String(b));
const zeroed = (b: Uint8Array) => b.every((x) => x === 0);
const refused = (f: () => unknown): { code?: string; message: string } => {
  try {
    f();
  } catch (e) {
    return { code: (e as MindstageError).code, message: (e as Error).message };
  }
  return { code: 'no error', message: 'no error' };
};
const sub = (key: Uint8Array, purpose: SubkeyPurpose) => hex(deriveSubkey(key, purpose));

interface Fixture {
  s: VaultStorage;
  vault: UnlockedVault;
  vaultId: Uint8Array;
  root: Uint8Array;
  kek: Uint8Array;
  recovery: Uint8Array;
  recipient: Uint8Array;
}

/** A vault as createVault writes it (generation 0, a recovery box to the recipient), under a random key-encryption key. */
function fixture(): Fixture {
  const s = createMemoryStorage();
  const vaultId = randomBytes(16);
  const root = randomBytes(KEY_BYTES);
  const kek = randomBytes(KEY_BYTES);
  const recovery = randomBytes(KEY_BYTES);
  const recipient = recoveryRecipientKeys(recovery).publicKey;
  const vault = new UnlockedVault(vaultId, secretCopy(root), { kdf: newKdfParams(), kek: secretCopy(kek) });
  writeVaultHeader(s, vault, { createdAt: 7, wrappedByRecovery: new Uint8Array(0) }, recipient);
  return { s, vault, vaultId, root, kek, recovery, recipient };
}

/** Unlocks with the key-encryption key given ahead (a copy: a key that fails to open is wiped). */
const unlock = (s: VaultStorage, kek: Uint8Array) => unlockVault(s, 'not derived here', () => secretCopy(kek));
const header = (s: VaultStorage) => decodeHeader(s.readHeader()!);

describe('vault key generations', () => {
  it('holds its keys by generation: the newest is current and seals at rest, shared subkeys come from the root, a missing root or generation is refused', () => {
    const [k0, k1, k2] = [randomBytes(KEY_BYTES), randomBytes(KEY_BYTES), randomBytes(KEY_BYTES)];
    const v = new UnlockedVault(randomBytes(16), new Map([[0, k0], [2, k2], [1, k1]]));
    expect(v.generation).toBe(2);
    expect(hex(v.subkey('localStore'))).toBe(sub(k2, 'localStore'));
    expect(v.localKey(2)).toBe(v.subkey('localStore'));
    expect(hex(v.localKey(1))).toBe(sub(k1, 'localStore'));
    expect(hex(v.localKey(0))).toBe(sub(k0, 'localStore'));
    for (const purpose of ['idHash', 'accountSigning', 'syncContent', 'ledger', 'manifest'] as const) expect(hex(v.subkey(purpose))).toBe(sub(k0, purpose));
    expect(hex(v.vaultKeyForWrap())).toBe(hex(k0));
    // Envelopes seal under the current generation and open under the one named.
    expect(v.atRest.generation).toBe(2);
    expect(v.atRest.key(1)).toBe(v.localKey(1));
    expect(refused(() => v.localKey(3))).toEqual({ code: 'integrity', message: 'This vault holds no key of generation 3.' });
    // A copy: what a caller does with it (writeVaultHeader deletes the current one) leaves the vault as it was.
    const copy = v.generations();
    expect([...copy.keys()].sort()).toEqual([0, 1, 2]);
    copy.clear();
    expect([...v.generations().keys()].sort()).toEqual([0, 1, 2]);
    expect(hex(v.localKey(2))).toBe(sub(k2, 'localStore'));
    // Opened without the passphrase (pairing, recovery of another device): it cannot wrap a new key.
    expect(v.passphraseWrap).toBeNull();
    expect(v.canRotate).toBe(false);
    v.lock();
    expect([k0, k1, k2].every(zeroed)).toBe(true);

    expect(refused(() => new UnlockedVault(randomBytes(16), new Map([[1, k1]])))).toEqual({ code: 'integrity', message: 'The vault keys are incomplete (no root key).' });
    const single = new UnlockedVault(randomBytes(16), k2);
    expect(single.generation).toBe(0);
    expect([...single.generations().keys()]).toEqual([0]);
  });

  it('adopts only a newer generation, and locking zeroes every generation, every subkey and the passphrase\'s key', () => {
    const [k0, k1, k3] = [randomBytes(KEY_BYTES), randomBytes(KEY_BYTES), randomBytes(KEY_BYTES)];
    const wrap = { kdf: newKdfParams(), kek: randomBytes(KEY_BYTES) };
    const v = new UnlockedVault(randomBytes(16), new Map([[0, k0], [1, k1]]), wrap);
    expect(v.canRotate).toBe(true);
    expect(v.passphraseWrap).toBe(wrap);
    const newer = /^a new vault-key generation must be newer than the current one$/;
    expect(() => v.adopt(1, randomBytes(KEY_BYTES))).toThrow(newer);
    expect(() => v.adopt(0, randomBytes(KEY_BYTES))).toThrow(newer);
    expect(v.generation).toBe(1);
    expect(hex(v.localKey(1))).toBe(sub(k1, 'localStore'));
    const old = v.subkey('localStore');
    v.adopt(3, k3);
    expect(v.generation).toBe(3);
    expect(hex(v.subkey('localStore'))).toBe(sub(k3, 'localStore'));
    expect(v.localKey(1)).toBe(old);
    expect([...v.generations().keys()].sort()).toEqual([0, 1, 3]);
    const subkeys = [old, v.localKey(3), v.localKey(0), v.subkey('idHash')];
    v.lock();
    expect([k0, k1, k3, wrap.kek, ...subkeys].map(zeroed)).toEqual(Array(8).fill(true));
    expect(v.locked).toBe(true);
    expect(v.canRotate).toBe(false);
    expect(v.passphraseWrap).toBeNull();
    for (const f of [() => v.generations(), () => v.adopt(4, randomBytes(KEY_BYTES)), () => v.localKey(1)]) {
      expect(refused(f)).toEqual({ code: 'locked', message: 'The vault is locked.' });
    }
    // Locking twice, or a vault that never had a passphrase wrapping, is fine.
    v.lock();
    new UnlockedVault(randomBytes(16), randomBytes(KEY_BYTES)).lock();
  });

  it('a new passphrase wrapping zeroes the key-encryption key it replaces, never the one it keeps', () => {
    const v = new UnlockedVault(randomBytes(16), randomBytes(KEY_BYTES));
    const a = { kdf: newKdfParams(), kek: randomBytes(KEY_BYTES) };
    const b = { kdf: newKdfParams(), kek: randomBytes(KEY_BYTES) };
    v.setPassphraseWrap(a);
    expect(v.canRotate).toBe(true);
    v.setPassphraseWrap({ ...a });
    expect(zeroed(a.kek)).toBe(false);
    v.setPassphraseWrap(b);
    expect(zeroed(a.kek)).toBe(true);
    expect(zeroed(b.kek)).toBe(false);
    expect(v.passphraseWrap).toBe(b);
  });
});

describe('the vault header of a rotated key', () => {
  it('wraps the current generation under the passphrase\'s key (bound to it), seals the older ones under it, and boxes it for the recipient', () => {
    const { s, vault, vaultId, root, kek, recovery, recipient } = fixture();
    let h = header(s);
    expect(h.generation).toBe(0);
    expect(h.history).toBeUndefined();
    expect(hex(h.recoveryRecipient)).toBe(hex(recipient));
    expect(hex(headerRecoveryRecipient(s))).toBe(hex(recipient));
    expect(h.createdAt).toBe(7);
    expect(hex(aeadOpen(kek, h.wrappedByPassphrase, passphraseWrapAd(vaultId, h.kdf)))).toBe(hex(root));

    expect(rotateVaultKey(s, vault, recipient)).toBe(1);
    const k1 = vault.generations().get(1)!;
    expect(hex(k1)).not.toBe(hex(root));
    expect(hex(vault.subkey('localStore'))).toBe(sub(k1, 'localStore'));
    h = header(s);
    expect(h.generation).toBe(1);
    expect(h.createdAt).toBe(7);
    expect(hex(aeadOpen(kek, h.wrappedByPassphrase, passphraseWrapAd(vaultId, h.kdf, 1)))).toBe(hex(k1));
    expect(aeadOpen(kek, h.wrappedByPassphrase, passphraseWrapAd(vaultId, h.kdf, 0))).toBeNull();
    const history = openHistory(k1, vaultId, 1, h.history!)!;
    expect([...history].map(([g, k]) => [g, hex(k)])).toEqual([[0, hex(root)]]);
    expect(hex(openRecoveryBox(recovery, recipient, h.wrappedByRecovery, vaultId, 1))).toBe(hex(k1));

    expect(rotateVaultKey(s, vault, recipient)).toBe(2);
    const k2 = vault.generations().get(2)!;
    for (const v of [unlock(s, kek), new UnlockedVault(vaultId, openWithRecoveryKey(header(s), recovery)!)]) {
      expect(v.generation).toBe(2);
      expect([...v.generations()].sort(([a], [b]) => a - b).map(([g, k]) => [g, hex(k)])).toEqual([[0, hex(root)], [1, hex(k1)], [2, hex(k2)]]);
      expect(hex(v.subkey('localStore'))).toBe(sub(k2, 'localStore'));
      expect(hex(v.subkey('idHash'))).toBe(sub(root, 'idHash'));
    }
    // Unlocked with its passphrase, the vault can wrap the next key: it keeps the key-encryption key it opened with.
    const again = unlock(s, kek);
    expect(again.canRotate).toBe(true);
    expect(hex(again.passphraseWrap!.kek)).toBe(hex(kek));
    expect(hex(again.passphraseWrap!.kdf.salt)).toBe(hex(h.kdf.salt));
    expect(rotateVaultKey(s, again, recipient)).toBe(3);
    expect(unlock(s, kek).generation).toBe(3);
    expect(openWithRecoveryKey(header(s), randomBytes(KEY_BYTES))).toBeNull();
  });

  it('a rotation from a vault object behind the header still moves past the header\'s generation', () => {
    const { s, vault, kek, recipient } = fixture();
    const behind = unlock(s, kek);
    rotateVaultKey(s, vault, recipient);
    rotateVaultKey(s, vault, recipient);
    expect(rotateVaultKey(s, behind, recipient)).toBe(3);
    expect(behind.generation).toBe(3);
    expect(header(s).generation).toBe(3);
    expect(unlock(s, kek).generation).toBe(3);
  });

  it('re-wraps for a recovery recipient only when it is a new one; then only the new recovery key opens the header', () => {
    const { s, vault, root, recovery, recipient } = fixture();
    const before = s.readHeader();
    setHeaderRecoveryRecipient(s, vault, recipient);
    // Nothing is rewritten (a rewrite draws new nonces, so the text would differ).
    expect(s.readHeader()).toBe(before);
    const other = randomBytes(KEY_BYTES);
    const otherRecipient = recoveryRecipientKeys(other).publicKey;
    setHeaderRecoveryRecipient(s, vault, otherRecipient);
    expect(s.readHeader()).not.toBe(before);
    expect(hex(headerRecoveryRecipient(s))).toBe(hex(otherRecipient));
    expect(hex(openWithRecoveryKey(header(s), other)?.get(0))).toBe(hex(root));
    expect(openWithRecoveryKey(header(s), recovery)).toBeNull();
  });

  it('refuses to write a header for a vault opened without its passphrase, or a rotated key without a recovery recipient', () => {
    const { s, vaultId, root } = fixture();
    const before = s.readHeader();
    const base = { createdAt: 1, wrappedByRecovery: new Uint8Array(0) };
    const paired = new UnlockedVault(vaultId, secretCopy(root));
    expect(() => writeVaultHeader(s, paired, base, null)).toThrow(/^the vault was opened without its passphrase; its header cannot be rewritten$/);
    const rotated = new UnlockedVault(vaultId, new Map([[0, secretCopy(root)], [1, randomBytes(KEY_BYTES)]]), { kdf: newKdfParams(), kek: randomBytes(KEY_BYTES) });
    expect(() => writeVaultHeader(s, rotated, base, null)).toThrow(/^a rotated vault key needs the recovery recipient to be wrapped for recovery$/);
    expect(s.readHeader()).toBe(before);
  });
});

describe('a header from before recovery recipients (version 1)', () => {
  it('is rewritten at generation 0 with its wrapping under the recovery key kept, which opens generation 0 only', () => {
    const s = createMemoryStorage();
    const vaultId = randomBytes(16);
    const root = randomBytes(KEY_BYTES);
    const kek = randomBytes(KEY_BYTES);
    const R = randomBytes(KEY_BYTES);
    const kept = aeadSeal(R, root, recoveryWrapAd(vaultId));
    // What a passphrase change writes for such a vault (rewrap: no recipient known).
    writeVaultHeader(s, new UnlockedVault(vaultId, secretCopy(root), { kdf: newKdfParams(), kek: secretCopy(kek) }), { createdAt: 3, wrappedByRecovery: kept }, null);
    expect(JSON.parse(s.readHeader()!).version).toBe(1);
    const h = header(s);
    expect(hex(h.wrappedByRecovery)).toBe(hex(kept));
    expect(h.recoveryRecipient).toBeUndefined();
    expect(h.history).toBeUndefined();
    expect(headerRecoveryRecipient(s)).toBeNull();
    expect(hex(unlock(s, kek).vaultKeyForWrap())).toBe(hex(root));
    expect([...openWithRecoveryKey(h, R)!].map(([g, k]) => [g, hex(k)])).toEqual([[0, hex(root)]]);
    expect(openWithRecoveryKey(h, randomBytes(KEY_BYTES))).toBeNull();
    // An authentic wrapping of something that is not a 32-byte key opens nothing either.
    expect(openWithRecoveryKey({ ...h, wrappedByRecovery: aeadSeal(R, randomBytes(KEY_BYTES - 1), recoveryWrapAd(vaultId)) }, R)).toBeNull();
    // Such a wrapping names no generation: in a header that claims a later one it opens nothing.
    expect(openWithRecoveryKey({ ...h, generation: 1 }, R)).toBeNull();
    // Upgrading it makes the recipient the one the recovery key derives.
    const v = unlock(s, kek);
    setHeaderRecoveryRecipient(s, v, recoveryRecipientKeys(R).publicKey);
    expect(hex(headerRecoveryRecipient(s))).toBe(hex(recoveryRecipientKeys(R).publicKey));
    expect(hex(openWithRecoveryKey(header(s), R)?.get(0))).toBe(hex(root));
  });
});

describe('opening a rotated vault', () => {
  it('an altered history, or none, is reported as altered by the passphrase and by the recovery key', () => {
    const { s, vault, kek, recovery, recipient } = fixture();
    rotateVaultKey(s, vault, recipient);
    const h = header(s);
    const altered = { code: 'integrity', message: 'The vault header was altered: its older keys do not open. Restore the vault file from a backup; nothing was changed.' };
    const { history: _, ...none } = h;
    for (const bad of [none, { ...h, history: randomBytes(h.history!.length) }]) {
      expect(refused(() => openWithRecoveryKey(bad, recovery))).toEqual(altered);
      s.writeHeader(encodeHeader(bad));
      expect(refused(() => unlock(s, kek))).toEqual(altered);
    }
    // A recovery box for another generation of the same vault is not this header's.
    const k1 = vault.generations().get(1)!;
    expect(openWithRecoveryKey({ ...h, wrappedByRecovery: wrapForRecovery(recipient, h.vaultId, 2, k1) }, recovery)).toBeNull();
    expect(openWithRecoveryKey({ ...h, wrappedByRecovery: wrapForRecovery(recipient, h.vaultId, 1, k1) }, recovery)?.get(1)).toBeTruthy();
  });

  it('recovery keeps every generation and sets a new passphrase wrapping of the current one, for the same recipient', () => {
    const { s, vault, recovery, recipient } = fixture();
    rotateVaultKey(s, vault, recipient);
    const keys = vault.generations();
    const v = recoverVault(s, encodeRecoveryCode(recovery), 'new passphrase');
    expect(v.generation).toBe(1);
    expect(v.canRotate).toBe(true);
    expect([...v.generations()].sort(([a], [b]) => a - b).map(([g, k]) => [g, hex(k)])).toEqual([...keys].sort(([a], [b]) => a - b).map(([g, k]) => [g, hex(k)]));
    const h = header(s);
    expect(hex(h.recoveryRecipient)).toBe(hex(recipient));
    expect(hex(aeadOpen(v.passphraseWrap!.kek, h.wrappedByPassphrase, passphraseWrapAd(h.vaultId, h.kdf, 1)))).toBe(hex(keys.get(1)));
    expect(hex(openWithRecoveryKey(h, recovery)?.get(1))).toBe(hex(keys.get(1)));
  });
});
