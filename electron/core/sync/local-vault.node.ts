/**
 * Setting up this device's vault from key material received from elsewhere (pairing, or the relay recovery
 * bundle): the same vault id and root key as the other devices (so every derived id matches), a new local
 * passphrase, and — when the recovery recipient is known — a fresh at-rest key of its own (generation 1) wrapped
 * for the passphrase and the recovery key, so nothing this device writes is sealed under a key another device, or a
 * device removed earlier, ever held. Without a recipient (a vault from before header version 2 that never set up
 * recovery) it keeps the root key and the other device's recovery wrapping, as before.
 */
import { MindstageError } from '../../../shared/result.std.ts';
import { deriveKek, KEY_BYTES, newKdfParams, randomBytes } from '../crypto/sodium.node.ts';
import { UnlockedVault, writeVaultHeader } from '../vault/vault.node.ts';
import type { VaultStorage } from '../store/storage.node.ts';

export interface VaultMaterial {
  vaultId: Uint8Array;
  /** The root key (generation 0). */
  vaultKey: Uint8Array;
  createdAt: number;
  /** The other device's recovery wrapping of the root key (used only when no recipient is known). */
  wrappedByRecovery: Uint8Array;
  /** The recovery recipient to wrap this device's own key for. */
  recoveryRecipient: Uint8Array | null;
}

export function installVault(storage: VaultStorage, m: VaultMaterial, passphrase: string): UnlockedVault {
  if (storage.readHeader() !== null) throw new MindstageError('exists', 'A vault already exists in this data folder; use a new --data folder for the new device.');
  if (m.vaultId.length !== 16 || m.vaultKey.length !== KEY_BYTES) throw new MindstageError('integrity', 'The vault key material received is malformed.');
  const kdf = newKdfParams();
  const wrap = { kdf, kek: deriveKek(passphrase, kdf) };
  const keys = new Map([[0, m.vaultKey]]);
  if (m.recoveryRecipient) keys.set(1, randomBytes(KEY_BYTES));
  const vault = new UnlockedVault(m.vaultId, keys, wrap);
  writeVaultHeader(storage, vault, { createdAt: m.createdAt, wrappedByRecovery: m.wrappedByRecovery }, m.recoveryRecipient);
  return vault;
}
