/**
 * After a removal, every remaining device moves to a new vault key of its own (docs/decisions.md #16). Each device
 * does it for itself as soon as it sees, in the verified device list, a removal its current key does not post-date:
 * the remover at once, the others on their next connection. The new key is random, never leaves the device, and is
 * wrapped only for this device's passphrase and for the recovery recipient (a public key: no device holds the
 * recovery key). A removed device, which kept the old keys, can open nothing sealed after that.
 *
 * Accounts from before this rotation existed: a device whose content epoch is past 0 saw a removal under the old
 * code, so it rotates once on its first connection too (the migration).
 */
import { headerRecoveryRecipient, rotateVaultKey } from '../vault/vault.node.ts';
import { epochs, putEpochs } from './keyring.node.ts';
import { recoveryRecipient } from './recovery.node.ts';
import type { Replica } from './replica.node.ts';

/** Who a new key is wrapped for on recovery: the account's recovery authority, else what this vault knows. */
export function recoveryRecipientFor(r: Replica): Uint8Array | null {
  return r.list?.recovery ?? recoveryRecipient(r) ?? headerRecoveryRecipient(r.session.storage);
}

/** Rotates this device's vault key when a removal is newer than it. True when it rotated. */
export function ensureVaultRotated(r: Replica): boolean {
  const vault = r.session.vault;
  const needed = Math.max(r.lastRemovalVersion, epochs(r).current >= 1 ? 1 : 0);
  const covered = r.state.vaultRotatedFor;
  if (covered === -1) {
    // Set up with a key of its own (pairing, recovery): every removal so far is older than it.
    r.state.vaultRotatedFor = Math.max(needed, r.list?.version ?? 0);
    return false;
  }
  if (needed === 0 || covered >= needed) return false;
  const recipient = recoveryRecipientFor(r);
  // A vault opened without its passphrase (test clones of one vault) cannot wrap a new key; nor can one that knows
  // no recovery recipient (a vault from before header version 2, whose account never set up recovery, removing a
  // device with an older version): it rotates once it learns one (docs/sync-client.md, "Known limits").
  if (!vault.canRotate || !recipient) return false;
  rotateVaultKey(r.session.storage, vault, recipient);
  // The rows holding keys are sealed again under the new key at once (this device's key seed, the content
  // epochs); the rest is rewritten as it changes, and what it held before is what the removed device had too.
  r.store.transaction(() => {
    if (r.enabled) r.state.putConfig(r.config);
    putEpochs(r, epochs(r));
  });
  r.state.vaultRotatedFor = Math.max(needed, r.list?.version ?? 0);
  return true;
}
