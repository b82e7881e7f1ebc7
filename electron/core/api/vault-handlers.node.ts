import type { Handlers } from '../../../shared/api/contract.std.ts';
import type { vaultCommands } from '../../../shared/api/vault.std.ts';
import { VaultSession, openSession } from '../session.node.ts';
import { changePassphrase, createVault, readVaultId, recoverVault, unlockVault } from '../vault/vault.node.ts';
import { readPendingWipe } from '../sync/pending-wipe.node.ts';
import { relayAuthority } from '../../../shared/sync/signing.std.ts';
import type { CoreState } from './state.node.ts';

export function vaultHandlers(state: CoreState): Handlers<typeof vaultCommands> {
  return {
    'vault.status': async () => {
      await state.lockSettled();
      // After a local wipe the vault is gone but a relay part may still be pending; the UI offers to send it.
      const pending = readPendingWipe(state.dataDir);
      const pendingWipe = pending ? { pendingWipe: { relay: relayAuthority(pending.relayUrl) } } : {};
      // Only while there is no vault: it says why there is none.
      const none = { exists: false, unlocked: false, ...pendingWipe, ...(state.wipedRemotelyAt !== null ? { wipedRemotely: { at: state.wipedRemotelyAt } } : {}) };
      if (!state.hasVault()) return none;
      const vaultId = readVaultId(state.storage());
      if (vaultId === null) return none;
      return { exists: true, unlocked: state.session !== null, vaultId, ...pendingWipe };
    },
    'vault.create': async ({ passphrase }) => {
      const storage = state.storage(true);
      const { vault, recoveryKey } = createVault(storage, passphrase);
      state.session = new VaultSession(storage, vault);
      // Write the catalog right away: from now on a vault without one has been tampered with.
      state.session.catalog.getMap('meta').set('createdAt', Date.now());
      return { vaultId: vault.vaultIdHex, recoveryKey };
    },
    'vault.unlock': async ({ passphrase }) => {
      const storage = state.storage();
      const vault = unlockVault(storage, passphrase, state.kekAhead);
      state.lock('manual');
      state.session = openSession(storage, vault);
      return { vaultId: vault.vaultIdHex };
    },
    'vault.lock': async () => {
      state.lock('manual');
      await state.lockSettled();
      return null;
    },
    'vault.changePassphrase': async ({ current, next }) => {
      const wrap = changePassphrase(state.storage(), current, next);
      // The open session wraps any new vault key (after a device removal) under the new passphrase from now on.
      if (state.session && !state.session.vault.locked) state.session.vault.setPassphraseWrap(wrap);
      else wrap.kek.fill(0);
      return null;
    },
    'vault.recover': async ({ recoveryKey, newPassphrase }) => {
      const storage = state.storage();
      const vault = recoverVault(storage, recoveryKey, newPassphrase);
      state.lock('manual');
      state.session = openSession(storage, vault);
      return { vaultId: vault.vaultIdHex };
    },
  };
}
