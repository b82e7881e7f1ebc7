import { describe, expect, it } from 'vitest';
import type { MindstageError } from '../../../shared/result.std.ts';
import { aeadSeal, deriveKek, KEY_BYTES, newKdfParams, randomBytes } from '../crypto/sodium.node.ts';
import { createMemoryStorage } from '../store/storage.node.ts';
import { decodeHeader, encodeHeader, passphraseWrapAd, recoveryWrapAd } from './header.node.ts';
import { recoveryRecipientKeys } from './key-wraps.node.ts';
import { decodeRecoveryCode, encodeRecoveryCode } from './recovery-code.node.ts';
import { changePassphrase, createVault, readVaultId, recoverVault, rotateVaultKey, unlockVault } from './vault.node.ts';

const refused = (f: () => unknown): Pick<MindstageError, 'code' | 'message'> => {
  try {
    f();
  } catch (e) {
    return e as MindstageError;
  }
  return { code: 'no error' as MindstageError['code'], message: 'no error' };
};
const code = (f: () => unknown) => refused(f).code;
const message = (f: () => unknown) => refused(f).message;

describe('vault keys', () => {
  it('unlocks with the passphrase to the same keys', () => {
    const s = createMemoryStorage();
    const { vault } = createVault(s, 'pass one');
    const again = unlockVault(s, 'pass one');
    expect(again.vaultIdHex).toBe(vault.vaultIdHex);
    expect(Buffer.from(again.subkey('localStore')).equals(Buffer.from(vault.subkey('localStore')))).toBe(true);
  });

  it('refuses a wrong passphrase and leaves the header as it was', () => {
    const s = createMemoryStorage();
    createVault(s, 'right');
    const before = s.readHeader();
    expect(code(() => unlockVault(s, 'wrong'))).toBe('wrong_secret');
    expect(message(() => changePassphrase(s, 'wrong', 'new'))).toBe('Wrong passphrase.');
    expect(s.readHeader()).toBe(before);
  });

  it('changes the passphrase by re-wrapping only: old fails, new works, keys unchanged, the recovery key still works', () => {
    const s = createMemoryStorage();
    const { vault, recoveryKey } = createVault(s, 'old');
    const key = Buffer.from(vault.subkey('localStore'));
    changePassphrase(s, 'old', 'new');
    expect(code(() => unlockVault(s, 'old'))).toBe('wrong_secret');
    expect(Buffer.from(unlockVault(s, 'new').subkey('localStore')).equals(key)).toBe(true);
    // The recovery wrapping is kept as it was.
    expect(Buffer.from(recoverVault(s, recoveryKey, 'newer').subkey('localStore')).equals(key)).toBe(true);
  });

  it('recovers with the recovery key (typed sloppily) and sets a new passphrase', () => {
    const s = createMemoryStorage();
    const { vault, recoveryKey } = createVault(s, 'forgotten');
    expect(recoveryKey).toMatch(/^([0-9A-Z]{4}-){12}[0-9A-Z]{4}$/);
    const sloppy = recoveryKey.toLowerCase().replace(/-/g, ' ');
    expect(recoverVault(s, sloppy, 'fresh').vaultIdHex).toBe(vault.vaultIdHex);
    expect(unlockVault(s, 'fresh').vaultIdHex).toBe(vault.vaultIdHex);
    expect(code(() => unlockVault(s, 'forgotten'))).toBe('wrong_secret');
  });

  it('refuses a wrong or malformed recovery key without changing anything', () => {
    const s = createMemoryStorage();
    const { recoveryKey } = createVault(s, 'p');
    const before = s.readHeader();
    const wrong = (recoveryKey.startsWith('0') ? '1' : '0') + recoveryKey.slice(1);
    expect(code(() => recoverVault(s, wrong, 'x'))).toBe('wrong_secret');
    expect(message(() => recoverVault(s, wrong, 'x'))).toBe('Wrong recovery key.');
    expect(code(() => recoverVault(s, 'not a key!', 'x'))).toBe('wrong_secret');
    expect(code(() => recoverVault(s, 'ABCD-EFGH', 'x'))).toBe('wrong_secret');
    expect(s.readHeader()).toBe(before);
  });

  it('locking wipes the keys', () => {
    const s = createMemoryStorage();
    const { vault } = createVault(s, 'p');
    const k = vault.subkey('localStore');
    // Derived once and kept, so locking reaches every copy handed out.
    expect(vault.subkey('localStore')).toBe(k);
    const vaultKey = vault.vaultKeyForWrap();
    expect(vault.locked).toBe(false);
    vault.lock();
    expect(vault.locked).toBe(true);
    expect(k.every((b) => b === 0)).toBe(true);
    expect(vaultKey.every((b) => b === 0)).toBe(true);
    expect(code(() => vault.subkey('localStore'))).toBe('locked');
    expect(message(() => vault.subkey('idHash'))).toBe('The vault is locked.');
    expect(code(() => vault.vaultKeyForWrap())).toBe('locked');
    expect(message(() => vault.vaultKeyForWrap())).toBe('The vault is locked.');
  });

  it('refuses a header whose KDF parameters were weakened, before deriving anything', () => {
    const s = createMemoryStorage();
    createVault(s, 'p');
    const h = decodeHeader(s.readHeader()!);
    s.writeHeader(encodeHeader({ ...h, kdf: { ...h.kdf, opslimit: 1 } }));
    expect(code(() => unlockVault(s, 'p'))).toBe('integrity');
    s.writeHeader(encodeHeader({ ...h, kdf: { ...h.kdf, memlimit: 8 * 1024 * 1024 } }));
    expect(code(() => unlockVault(s, 'p'))).toBe('integrity');
  });

  it('uses a key derived ahead (the CLI\'s) only once the header\'s parameters pass the same check', () => {
    const s = createMemoryStorage();
    createVault(s, 'p');
    const h = decodeHeader(s.readHeader()!);
    const asked: string[] = [];
    // The key given ahead is the one checked against the wrapping: the right one unlocks.
    const right = unlockVault(s, 'p', (passphrase, kdf) => (asked.push(passphrase), deriveKek(passphrase, kdf)));
    expect(right.vaultIdHex).toBe(readVaultId(s));
    expect(asked).toEqual(['p']);
    // One that does not open the wrapping is wiped and the key derived here: a faulty shortcut does not make the
    // right passphrase wrong, and a wrong passphrase stays wrong.
    const faulty = randomBytes(KEY_BYTES);
    expect(unlockVault(s, 'p', () => faulty).vaultIdHex).toBe(readVaultId(s));
    expect(faulty.every((b) => b === 0)).toBe(true);
    expect(code(() => unlockVault(s, 'not p', () => randomBytes(KEY_BYTES)))).toBe('wrong_secret');
    // Nothing given ahead (null): derived here, as without it.
    expect(unlockVault(s, 'p', () => null).vaultIdHex).toBe(readVaultId(s));
    // Weakened parameters are refused before the key given ahead is even asked for.
    s.writeHeader(encodeHeader({ ...h, kdf: { ...h.kdf, opslimit: 1 } }));
    expect(code(() => unlockVault(s, 'p', () => (asked.push('weak'), randomBytes(KEY_BYTES))))).toBe('integrity');
    expect(asked).toEqual(['p']);
  });

  it('detects KDF parameters raised (reported as altered) or salt changed (bound into the wrapping)', () => {
    const s = createMemoryStorage();
    createVault(s, 'p');
    const h = decodeHeader(s.readHeader()!);
    s.writeHeader(encodeHeader({ ...h, kdf: { ...h.kdf, opslimit: 4 } }));
    expect(message(() => unlockVault(s, 'p'))).toMatch(/^The vault header was altered: its key-derivation settings are not ones Mindstage writes/);
    s.writeHeader(encodeHeader({ ...h, kdf: { ...h.kdf, memlimit: h.kdf.memlimit * 2 } }));
    expect(code(() => unlockVault(s, 'p'))).toBe('integrity');
    s.writeHeader(encodeHeader({ ...h, kdf: { ...h.kdf, salt: new Uint8Array(16) } }));
    expect(code(() => unlockVault(s, 'p'))).toBe('wrong_secret');
  });

  it('reports a damaged header as an integrity error', () => {
    const s = createMemoryStorage();
    createVault(s, 'p');
    s.writeHeader('{"format":"mindstage-vault"');
    expect(code(() => unlockVault(s, 'p'))).toBe('integrity');
    s.writeHeader('{"format":"something-else"}');
    expect(code(() => unlockVault(s, 'p'))).toBe('integrity');
  });

  it('refuses to create a second vault over the first', () => {
    const s = createMemoryStorage();
    createVault(s, 'p');
    expect(code(() => createVault(s, 'q'))).toBe('exists');
    expect(message(() => createVault(s, 'q'))).toBe('A vault already exists in this data folder.');
  });

  it('with no vault yet: unlocking or recovering says to create one, and there is no vault id', () => {
    const s = createMemoryStorage();
    expect(readVaultId(s)).toBeNull();
    expect(code(() => unlockVault(s, 'p'))).toBe('not_found');
    expect(message(() => unlockVault(s, 'p'))).toBe('There is no vault here yet. Create one first.');
    expect(code(() => recoverVault(s, 'ABCD', 'p'))).toBe('not_found');
    const before = Date.now();
    const { vault } = createVault(s, 'p');
    expect(readVaultId(s)).toBe(vault.vaultIdHex);
    expect(decodeHeader(s.readHeader()!).createdAt).toBeGreaterThanOrEqual(before);
    expect(decodeHeader(s.readHeader()!).createdAt).toBeLessThanOrEqual(Date.now());
  });

  it('an authentic wrapping of something that is not a 32-byte key is refused, by passphrase and by recovery key', () => {
    const s = createMemoryStorage();
    const { recoveryKey } = createVault(s, 'p');
    const h = decodeHeader(s.readHeader()!);
    const kek = deriveKek('p', h.kdf);
    s.writeHeader(encodeHeader({ ...h, wrappedByPassphrase: aeadSeal(kek, randomBytes(16), passphraseWrapAd(h.vaultId, h.kdf)) }));
    expect(code(() => unlockVault(s, 'p'))).toBe('wrong_secret');
    s.writeHeader(encodeHeader({ ...h, wrappedByRecovery: aeadSeal(decodeRecoveryCode(recoveryKey), randomBytes(31), recoveryWrapAd(h.vaultId)) }));
    expect(code(() => recoverVault(s, recoveryKey, 'x'))).toBe('wrong_secret');
  });
});

// Vault-key rotation (docs/decisions.md #16): a new generation is wrapped for the passphrase and for the recovery
// recipient, older generations stay openable through the header's history, and a header from before version 2
// still unlocks and recovers.
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('vault-key rotation', () => {
  it('moves to a new key that the passphrase and the recovery key both open, keeping every older one', () => {
    const s = createMemoryStorage();
    const { vault, recoveryKey } = createVault(s, 'pass');
    const recipient = decodeHeader(s.readHeader()!).recoveryRecipient!;
    expect(hex(recipient)).toBe(hex(recoveryRecipientKeys(decodeRecoveryCode(recoveryKey)).publicKey));
    const before = { local: hex(vault.localKey(0)), id: hex(vault.subkey('idHash')), account: hex(vault.subkey('accountSigning')) };
    for (let i = 1; i <= 3; i++) expect(rotateVaultKey(s, vault, recipient)).toBe(i);
    const fresh = hex(vault.subkey('localStore'));
    expect(fresh).not.toBe(before.local);
    // Shared identifiers stay what they were; the at-rest key is new.
    expect(hex(vault.subkey('idHash'))).toBe(before.id);
    expect(hex(vault.subkey('accountSigning'))).toBe(before.account);
    const h = decodeHeader(s.readHeader()!);
    expect(h.generation).toBe(3);
    // Nothing in the header is the old root wrapping any more: only generation 3 is wrapped, the rest sealed under it.
    for (const v of [unlockVault(s, 'pass'), recoverVault(s, recoveryKey, 'new pass'), unlockVault(s, 'new pass')]) {
      expect(v.generation).toBe(3);
      expect(hex(v.subkey('localStore'))).toBe(fresh);
      expect(hex(v.localKey(0))).toBe(before.local);
      expect([...v.generations().keys()].sort()).toEqual([0, 1, 2, 3]);
    }
    expect(code(() => unlockVault(s, 'pass'))).toBe('wrong_secret');
    changePassphrase(s, 'new pass', 'third');
    expect(unlockVault(s, 'third').generation).toBe(3);
  });

  it('a rotation after a passphrase change wraps for the new passphrase, not the one the session opened with', () => {
    const s = createMemoryStorage();
    const { vault } = createVault(s, 'first');
    const recipient = decodeHeader(s.readHeader()!).recoveryRecipient!;
    vault.setPassphraseWrap(changePassphrase(s, 'first', 'second'));
    rotateVaultKey(s, vault, recipient);
    expect(code(() => unlockVault(s, 'first'))).toBe('wrong_secret');
    expect(unlockVault(s, 'second').generation).toBe(1);
  });

  it('refuses a header whose wrapping or history was swapped for another generation', () => {
    const s = createMemoryStorage();
    const { vault } = createVault(s, 'pass');
    const recipient = decodeHeader(s.readHeader()!).recoveryRecipient!;
    rotateVaultKey(s, vault, recipient);
    const one = decodeHeader(s.readHeader()!);
    rotateVaultKey(s, vault, recipient);
    const two = decodeHeader(s.readHeader()!);
    // Generation 1's passphrase wrapping presented as generation 2's: the generation is bound, so it does not open.
    s.writeHeader(encodeHeader({ ...two, wrappedByPassphrase: one.wrappedByPassphrase }));
    expect(code(() => unlockVault(s, 'pass'))).toBe('wrong_secret');
    s.writeHeader(encodeHeader({ ...two, history: one.history! }));
    expect(code(() => unlockVault(s, 'pass'))).toBe('integrity');
  });

  it('still unlocks and recovers a header from before version 2, and recovery upgrades it to a recipient', () => {
    const s = createMemoryStorage();
    const vaultId = randomBytes(16);
    const root = randomBytes(KEY_BYTES);
    const R = randomBytes(KEY_BYTES);
    const kdf = newKdfParams();
    const kek = deriveKek('old', kdf);
    s.writeHeader(encodeHeader({ vaultId, createdAt: 1, kdf, wrappedByPassphrase: aeadSeal(kek, root, passphraseWrapAd(vaultId, kdf)), wrappedByRecovery: aeadSeal(R, root, recoveryWrapAd(vaultId)) }));
    expect(JSON.parse(s.readHeader()!).version).toBe(1);
    expect(hex(unlockVault(s, 'old').vaultKeyForWrap())).toBe(hex(root));
    const v = recoverVault(s, encodeRecoveryCode(R), 'fresh');
    expect(hex(v.vaultKeyForWrap())).toBe(hex(root));
    const h = decodeHeader(s.readHeader()!);
    expect(hex(h.recoveryRecipient!)).toBe(hex(recoveryRecipientKeys(R).publicKey));
    // Now it can rotate without the recovery key, and the recovery key still opens the new generation.
    rotateVaultKey(s, v, h.recoveryRecipient!);
    expect(recoverVault(s, encodeRecoveryCode(R), 'again').generation).toBe(1);
  });
});
