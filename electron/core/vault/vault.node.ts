/**
 * The vault key and its two wrappings. Creating, unlocking, re-wrapping and recovering never re-encrypt content:
 * only the header changes. A wrong passphrase or recovery key leaves the header untouched.
 */
import { MindstageError } from '../../../shared/result.std.ts';
import {
  aeadOpen,
  aeadSeal,
  deriveKek,
  deriveSubkey,
  KEY_BYTES,
  newKdfParams,
  randomBytes,
  toHex,
  wipe,
  type SubkeyPurpose,
} from '../crypto/sodium.node.ts';
import type { VaultStorage } from '../store/storage.node.ts';
import { decodeHeader, encodeHeader, passphraseWrapAd, recoveryWrapAd, type VaultHeader } from './header.node.ts';
import { decodeRecoveryCode, encodeRecoveryCode } from './recovery-code.node.ts';

export class UnlockedVault {
  readonly vaultId: Uint8Array;
  #vaultKey: Uint8Array | null;
  readonly #subkeys = new Map<SubkeyPurpose, Uint8Array>();

  constructor(vaultId: Uint8Array, vaultKey: Uint8Array) {
    this.vaultId = vaultId;
    this.#vaultKey = vaultKey;
  }

  get vaultIdHex(): string {
    return toHex(this.vaultId);
  }

  get locked(): boolean {
    return this.#vaultKey === null;
  }

  subkey(purpose: SubkeyPurpose): Uint8Array {
    if (!this.#vaultKey) throw new MindstageError('locked', 'The vault is locked.');
    let k = this.#subkeys.get(purpose);
    if (!k) this.#subkeys.set(purpose, (k = deriveSubkey(this.#vaultKey, purpose)));
    return k;
  }

  /** Only for re-wrapping; never leaves the vault module. */
  vaultKeyForWrap(): Uint8Array {
    if (!this.#vaultKey) throw new MindstageError('locked', 'The vault is locked.');
    return this.#vaultKey;
  }

  /** Zeroes every key this object holds. */
  lock(): void {
    wipe(this.#vaultKey, ...this.#subkeys.values());
    this.#subkeys.clear();
    this.#vaultKey = null;
  }
}

function readHeader(storage: VaultStorage): VaultHeader {
  const text = storage.readHeader();
  if (text === null) throw new MindstageError('not_found', 'There is no vault here yet. Create one first.');
  return decodeHeader(text);
}

function wrapWithPassphrase(vaultId: Uint8Array, vaultKey: Uint8Array, passphrase: string) {
  const kdf = newKdfParams();
  const kek = deriveKek(passphrase, kdf);
  try {
    return { kdf, wrapped: aeadSeal(kek, vaultKey, passphraseWrapAd(vaultId, kdf)) };
  } finally {
    wipe(kek);
  }
}

export function createVault(storage: VaultStorage, passphrase: string): { vault: UnlockedVault; recoveryKey: string } {
  if (storage.readHeader() !== null) throw new MindstageError('exists', 'A vault already exists in this data folder.');
  const vaultId = randomBytes(16);
  const vaultKey = randomBytes(KEY_BYTES);
  const recovery = randomBytes(KEY_BYTES);
  const { kdf, wrapped } = wrapWithPassphrase(vaultId, vaultKey, passphrase);
  const header: VaultHeader = {
    vaultId,
    createdAt: Date.now(),
    kdf,
    wrappedByPassphrase: wrapped,
    wrappedByRecovery: aeadSeal(recovery, vaultKey, recoveryWrapAd(vaultId)),
  };
  storage.writeHeader(encodeHeader(header));
  const recoveryKey = encodeRecoveryCode(recovery);
  wipe(recovery);
  return { vault: new UnlockedVault(vaultId, vaultKey), recoveryKey };
}

export function unlockVault(storage: VaultStorage, passphrase: string): UnlockedVault {
  const header = readHeader(storage);
  const kek = deriveKek(passphrase, header.kdf);
  const vaultKey = aeadOpen(kek, header.wrappedByPassphrase, passphraseWrapAd(header.vaultId, header.kdf));
  wipe(kek);
  if (!vaultKey || vaultKey.length !== KEY_BYTES) {
    // The parameters are bound into the wrapping, so edited ones read like a wrong passphrase. Mindstage has only
    // ever written one setting; any other (a stronger one passes the minimums) means the header was altered.
    const written = newKdfParams();
    if (header.kdf.opslimit !== written.opslimit || header.kdf.memlimit !== written.memlimit || header.kdf.alg !== written.alg) {
      throw new MindstageError('integrity', 'The vault header was altered: its key-derivation settings are not ones Mindstage writes, so the passphrase cannot be checked. Restore the vault file from a backup; nothing was changed.');
    }
    throw new MindstageError('wrong_secret', 'Wrong passphrase.');
  }
  return new UnlockedVault(header.vaultId, vaultKey);
}

/** Checks the current passphrase, then re-wraps the vault key under the new one (fresh salt). */
export function changePassphrase(storage: VaultStorage, current: string, next: string): void {
  const vault = unlockVault(storage, current);
  try {
    rewrap(storage, vault, next);
  } finally {
    vault.lock();
  }
}

function rewrap(storage: VaultStorage, vault: UnlockedVault, next: string): void {
  const header = readHeader(storage);
  const { kdf, wrapped } = wrapWithPassphrase(vault.vaultId, vault.vaultKeyForWrap(), next);
  storage.writeHeader(encodeHeader({ ...header, kdf, wrappedByPassphrase: wrapped }));
}

/** Unlocks with the recovery code and sets a new passphrase. */
export function recoverVault(storage: VaultStorage, code: string, newPassphrase: string): UnlockedVault {
  const header = readHeader(storage);
  const recovery = decodeRecoveryCode(code);
  const vaultKey = aeadOpen(recovery, header.wrappedByRecovery, recoveryWrapAd(header.vaultId));
  wipe(recovery);
  if (!vaultKey || vaultKey.length !== KEY_BYTES) throw new MindstageError('wrong_secret', 'Wrong recovery key.');
  const vault = new UnlockedVault(header.vaultId, vaultKey);
  rewrap(storage, vault, newPassphrase);
  return vault;
}

export function readVaultId(storage: VaultStorage): string | null {
  const text = storage.readHeader();
  return text === null ? null : toHex(decodeHeader(text).vaultId);
}
