/**
 * Setting up this device's vault from a vault key received from elsewhere (pairing, or the relay recovery bundle):
 * same vault id and vault key as the other devices (so every derived id and key matches), a new local passphrase,
 * and the same recovery wrapping (so the one recovery key works everywhere).
 */
import { MindstageError } from '../../../shared/result.std.ts';
import { aeadSeal, deriveKek, KEY_BYTES, newKdfParams, wipe } from '../crypto/sodium.node.ts';
import { encodeHeader, passphraseWrapAd } from '../vault/header.node.ts';
import { UnlockedVault } from '../vault/vault.node.ts';
import type { VaultStorage } from '../store/storage.node.ts';

export interface VaultMaterial {
  vaultId: Uint8Array;
  vaultKey: Uint8Array;
  createdAt: number;
  wrappedByRecovery: Uint8Array;
}

export function installVault(storage: VaultStorage, m: VaultMaterial, passphrase: string): UnlockedVault {
  if (storage.readHeader() !== null) throw new MindstageError('exists', 'A vault already exists in this data folder; use a new --data folder for the new device.');
  if (m.vaultId.length !== 16 || m.vaultKey.length !== KEY_BYTES) throw new MindstageError('integrity', 'The vault key material received is malformed.');
  const kdf = newKdfParams();
  const kek = deriveKek(passphrase, kdf);
  try {
    storage.writeHeader(
      encodeHeader({
        vaultId: m.vaultId,
        createdAt: m.createdAt,
        kdf,
        wrappedByPassphrase: aeadSeal(kek, m.vaultKey, passphraseWrapAd(m.vaultId, kdf)),
        wrappedByRecovery: m.wrappedByRecovery,
      }),
    );
  } finally {
    wipe(kek);
  }
  return new UnlockedVault(m.vaultId, m.vaultKey);
}
