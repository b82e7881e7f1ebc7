/**
 * The vault key and its two wrappings. Creating, unlocking, re-wrapping, recovering and rotating never re-encrypt
 * content: only the header changes. A wrong passphrase or recovery key leaves the header untouched.
 */
import { MindstageError } from '../../../shared/result.std.ts';
import {
  aeadOpen,
  aeadSeal,
  checkKdfParams,
  deriveKek,
  deriveSubkey,
  KEY_BYTES,
  newKdfParams,
  randomBytes,
  sodium,
  toHex,
  wipe,
  type KdfParams,
  type SubkeyPurpose,
} from '../crypto/sodium.node.ts';
import type { VaultStorage } from '../store/storage.node.ts';
import { decodeHeader, encodeHeader, passphraseWrapAd, recoveryWrapAd, type VaultHeader } from './header.node.ts';
import { openHistory, openRecoveryBox, recoveryRecipientKeys, sealHistory, wrapForRecovery } from './key-wraps.node.ts';
import { decodeRecoveryCode, encodeRecoveryCode } from './recovery-code.node.ts';

export interface PassphraseWrap {
  kdf: KdfParams;
  /** The key-encryption key derived from the passphrase: kept while unlocked so a new vault key can be wrapped. */
  kek: Uint8Array;
}

/**
 * An unlocked vault: its keys by generation. Generation 0 is the vault's root key — what every device of the
 * account shares, from which the stable identifiers derive (record-name hashing, relay document ids, the account
 * id). The current generation's key seals everything this device writes at rest; removing a device moves every
 * remaining device to a new random generation (rotateVaultKey), and older rows open under the key that sealed them.
 */
export class UnlockedVault {
  readonly vaultId: Uint8Array;
  #keys: Map<number, Uint8Array> | null;
  #generation: number;
  readonly #subkeys = new Map<string, Uint8Array>();
  #wrap: PassphraseWrap | null;

  constructor(vaultId: Uint8Array, key: Uint8Array | Map<number, Uint8Array>, wrap: PassphraseWrap | null = null) {
    this.vaultId = vaultId;
    this.#keys = key instanceof Uint8Array ? new Map([[0, key]]) : key;
    if (!this.#keys.has(0)) throw new MindstageError('integrity', 'The vault keys are incomplete (no root key).');
    this.#generation = Math.max(...this.#keys.keys());
    this.#wrap = wrap;
  }

  get vaultIdHex(): string {
    return toHex(this.vaultId);
  }

  get locked(): boolean {
    return this.#keys === null;
  }

  #key(generation: number): Uint8Array {
    if (!this.#keys) throw new MindstageError('locked', 'The vault is locked.');
    const k = this.#keys.get(generation);
    if (!k) throw new MindstageError('integrity', `This vault holds no key of generation ${generation}.`);
    return k;
  }

  /** The current vault-key generation (0 until a device is removed). */
  get generation(): number {
    return this.#generation;
  }

  /**
   * `localStore` is the current generation's at-rest key; every other purpose names something all devices share
   * and derives from the root key, so ids stay stable across rotations.
   */
  subkey(purpose: SubkeyPurpose): Uint8Array {
    return purpose === 'localStore' ? this.localKey(this.#generation) : this.#derived(0, purpose);
  }

  #derived(generation: number, purpose: SubkeyPurpose): Uint8Array {
    const id = `${generation}:${purpose}`;
    let k = this.#subkeys.get(id);
    if (!k) this.#subkeys.set(id, (k = deriveSubkey(this.#key(generation), purpose)));
    return k;
  }

  /** The at-rest key of one generation. */
  localKey(generation: number): Uint8Array {
    return this.#derived(generation, 'localStore');
  }

  /** For envelopes: seal under the current generation, open under the one that sealed. */
  readonly atRest = { vault: this, get generation(): number { return this.vault.generation; }, key(g: number): Uint8Array { return this.vault.localKey(g); } };

  /** The root key (generation 0): what pairing hands to a new device. Never leaves the core. */
  vaultKeyForWrap(): Uint8Array {
    return this.#key(0);
  }

  /** Every generation's key (for the header's history and the recovery wrapping). */
  generations(): Map<number, Uint8Array> {
    if (!this.#keys) throw new MindstageError('locked', 'The vault is locked.');
    return new Map(this.#keys);
  }

  /** Whether this vault was opened with its passphrase (so a new key can be wrapped for it). */
  get canRotate(): boolean {
    return this.#wrap !== null && !this.locked;
  }

  get passphraseWrap(): PassphraseWrap | null {
    return this.#wrap;
  }

  setPassphraseWrap(wrap: PassphraseWrap): void {
    if (this.#wrap && this.#wrap.kek !== wrap.kek) wipe(this.#wrap.kek);
    this.#wrap = wrap;
  }

  /** Makes `key` the current generation (the header was written first). */
  adopt(generation: number, key: Uint8Array): void {
    if (!this.#keys) throw new MindstageError('locked', 'The vault is locked.');
    if (generation <= this.#generation) throw new Error('a new vault-key generation must be newer than the current one');
    this.#keys.set(generation, key);
    this.#generation = generation;
  }

  /** Zeroes every key this object holds. */
  lock(): void {
    wipe(...(this.#keys?.values() ?? []), ...this.#subkeys.values(), this.#wrap?.kek);
    this.#subkeys.clear();
    this.#keys = null;
    this.#wrap = null;
  }
}

function readHeader(storage: VaultStorage): VaultHeader {
  const text = storage.readHeader();
  if (text === null) throw new MindstageError('not_found', 'There is no vault here yet. Create one first.');
  return decodeHeader(text);
}

function newPassphraseWrap(passphrase: string): PassphraseWrap {
  const kdf = newKdfParams();
  return { kdf, kek: deriveKek(passphrase, kdf) };
}

/**
 * Writes the header for the vault's current keys: the passphrase wrapping of the current key (generation bound),
 * the older generations sealed under it, and the recovery wrapping — a box to `recipient` when one is known,
 * otherwise the original wrapping under the recovery key itself (valid only while the vault is at generation 0).
 */
export function writeVaultHeader(storage: VaultStorage, vault: UnlockedVault, base: Pick<VaultHeader, 'createdAt' | 'wrappedByRecovery'>, recipient: Uint8Array | null): void {
  const wrap = vault.passphraseWrap;
  if (!wrap) throw new Error('the vault was opened without its passphrase; its header cannot be rewritten');
  const keys = vault.generations();
  const gen = vault.generation;
  const current = keys.get(gen)!;
  keys.delete(gen);
  if (!recipient && gen > 0) throw new Error('a rotated vault key needs the recovery recipient to be wrapped for recovery');
  storage.writeHeader(
    encodeHeader({
      vaultId: vault.vaultId,
      createdAt: base.createdAt,
      kdf: wrap.kdf,
      wrappedByPassphrase: aeadSeal(wrap.kek, current, passphraseWrapAd(vault.vaultId, wrap.kdf, gen)),
      wrappedByRecovery: recipient ? wrapForRecovery(recipient, vault.vaultId, gen, current) : base.wrappedByRecovery,
      generation: gen,
      ...(gen > 0 ? { history: sealHistory(current, vault.vaultId, gen, keys) } : {}),
      ...(recipient ? { recoveryRecipient: recipient } : {}),
    }),
  );
}

/** The recovery recipient this vault's header wraps for, if any. */
export function headerRecoveryRecipient(storage: VaultStorage): Uint8Array | null {
  return readHeader(storage).recoveryRecipient ?? null;
}

/**
 * Moves this vault to a new random key (docs/decisions.md #16): the header is rewritten first — wrapped under the
 * passphrase and for the recovery recipient, the older keys in its history — then the vault seals with it.
 */
export function rotateVaultKey(storage: VaultStorage, vault: UnlockedVault, recipient: Uint8Array): number {
  const header = readHeader(storage);
  const generation = Math.max(vault.generation, header.generation ?? 0) + 1;
  const key = randomBytes(KEY_BYTES);
  const next = new UnlockedVault(vault.vaultId, new Map([...vault.generations(), [generation, key]]), vault.passphraseWrap);
  writeVaultHeader(storage, next, header, recipient);
  vault.adopt(generation, key.slice());
  return generation;
}

/** Re-wraps the current key for a recovery recipient (upgrading a header that wraps under the recovery key itself). */
export function setHeaderRecoveryRecipient(storage: VaultStorage, vault: UnlockedVault, recipient: Uint8Array): void {
  const header = readHeader(storage);
  if (header.recoveryRecipient && sodium.memcmp(header.recoveryRecipient, recipient)) return;
  writeVaultHeader(storage, vault, header, recipient);
}

export function createVault(storage: VaultStorage, passphrase: string): { vault: UnlockedVault; recoveryKey: string } {
  if (storage.readHeader() !== null) throw new MindstageError('exists', 'A vault already exists in this data folder.');
  const vaultId = randomBytes(16);
  const vaultKey = randomBytes(KEY_BYTES);
  const recovery = randomBytes(KEY_BYTES);
  const vault = new UnlockedVault(vaultId, vaultKey, newPassphraseWrap(passphrase));
  const { publicKey } = recoveryRecipientKeys(recovery);
  writeVaultHeader(storage, vault, { createdAt: Date.now(), wrappedByRecovery: new Uint8Array(0) }, publicKey);
  const recoveryKey = encodeRecoveryCode(recovery);
  wipe(recovery);
  return { vault, recoveryKey };
}

/** Opens the current key and the history behind it. */
function keysFrom(header: VaultHeader, current: Uint8Array): Map<number, Uint8Array> {
  const gen = header.generation ?? 0;
  if (gen === 0) return new Map([[0, current]]);
  const older = header.history && openHistory(current, header.vaultId, gen, header.history);
  if (!older) throw new MindstageError('integrity', 'The vault header was altered: its older keys do not open. Restore the vault file from a backup; nothing was changed.');
  older.set(gen, current);
  return older;
}

/**
 * A key-encryption key derived before it was asked for (the CLI's, cli/kek-ahead.node.ts): the key for exactly this
 * passphrase and these parameters, or null.
 */
export type KekAhead = (passphrase: string, kdf: KdfParams) => Uint8Array | null;

export function unlockVault(storage: VaultStorage, passphrase: string, ahead?: KekAhead): UnlockedVault {
  const header = readHeader(storage);
  // deriveKek checks the parameters; a key derived ahead gets the same check before it is used.
  checkKdfParams(header.kdf);
  const ad = passphraseWrapAd(header.vaultId, header.kdf, header.generation ?? 0);
  let kek = ahead?.(passphrase, header.kdf) ?? null;
  let vaultKey = kek && aeadOpen(kek, header.wrappedByPassphrase, ad);
  if (kek && !vaultKey) {
    // A key derived ahead by another implementation that does not open the wrapping: derive it here before
    // calling the passphrase wrong, so a faulty shortcut can only cost time.
    wipe(kek);
    kek = null;
  }
  if (!kek) {
    kek = deriveKek(passphrase, header.kdf);
    vaultKey = aeadOpen(kek, header.wrappedByPassphrase, ad);
  }
  if (!vaultKey || vaultKey.length !== KEY_BYTES) {
    wipe(kek);
    // The parameters are bound into the wrapping, so edited ones read like a wrong passphrase. Mindstage has only
    // ever written one setting; any other (a stronger one passes the minimums) means the header was altered.
    const written = newKdfParams();
    if (header.kdf.opslimit !== written.opslimit || header.kdf.memlimit !== written.memlimit || header.kdf.alg !== written.alg) {
      throw new MindstageError('integrity', 'The vault header was altered: its key-derivation settings are not ones Mindstage writes, so the passphrase cannot be checked. Restore the vault file from a backup; nothing was changed.');
    }
    throw new MindstageError('wrong_secret', 'Wrong passphrase.');
  }
  return new UnlockedVault(header.vaultId, keysFrom(header, vaultKey), { kdf: header.kdf, kek });
}

/**
 * Checks the current passphrase, then re-wraps the vault key under the new one (fresh salt). Returns the new
 * wrapping, which an open session's vault must adopt (setPassphraseWrap): a later rotation wraps with it.
 */
export function changePassphrase(storage: VaultStorage, current: string, next: string): PassphraseWrap {
  const vault = unlockVault(storage, current);
  try {
    rewrap(storage, vault, next);
    const wrap = vault.passphraseWrap!;
    return { kdf: wrap.kdf, kek: wrap.kek.slice() };
  } finally {
    vault.lock();
  }
}

function rewrap(storage: VaultStorage, vault: UnlockedVault, next: string): void {
  const header = readHeader(storage);
  vault.setPassphraseWrap(newPassphraseWrap(next));
  writeVaultHeader(storage, vault, header, header.recoveryRecipient ?? null);
}

/** The vault's keys opened with the recovery key, or null when it is the wrong key. */
export function openWithRecoveryKey(header: VaultHeader, recovery: Uint8Array): Map<number, Uint8Array> | null {
  const gen = header.generation ?? 0;
  const key = header.recoveryRecipient
    ? openRecoveryBox(recovery, header.recoveryRecipient, header.wrappedByRecovery, header.vaultId, gen)
    : gen === 0
      ? aeadOpen(recovery, header.wrappedByRecovery, recoveryWrapAd(header.vaultId))
      : null;
  if (!key || key.length !== KEY_BYTES) return null;
  return keysFrom(header, key);
}

/** Unlocks with the recovery code and sets a new passphrase (and, for an older header, wraps for the recipient). */
export function recoverVault(storage: VaultStorage, code: string, newPassphrase: string): UnlockedVault {
  const header = readHeader(storage);
  const recovery = decodeRecoveryCode(code);
  const keys = openWithRecoveryKey(header, recovery);
  const recipient = header.recoveryRecipient ?? recoveryRecipientKeys(recovery).publicKey;
  wipe(recovery);
  if (!keys) throw new MindstageError('wrong_secret', 'Wrong recovery key.');
  const vault = new UnlockedVault(header.vaultId, keys, newPassphraseWrap(newPassphrase));
  writeVaultHeader(storage, vault, header, recipient);
  return vault;
}

export function readVaultId(storage: VaultStorage): string | null {
  const text = storage.readHeader();
  return text === null ? null : toHex(decodeHeader(text).vaultId);
}
