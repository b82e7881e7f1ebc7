import { z } from 'zod';
import { returns, type CommandDefs } from './contract.std.ts';

const passphrase = z.string().min(1, 'the passphrase is empty').max(1024, 'the passphrase is too long');
const recoveryKey = z.string().min(1).max(200);

export interface VaultStatus {
  /** Whether a vault exists in the data folder at all. */
  exists: boolean;
  unlocked: boolean;
  vaultId?: string;
  /** A wipe whose relay part could not be sent yet (the relay was unreachable); `relay` is its host:port. */
  pendingWipe?: { relay: string };
  /** No vault because the account was wiped from another device (or with the recovery key) while this app ran. */
  wipedRemotely?: { at: number };
}

export const vaultCommands = {
  'vault.status': { input: z.object({}), output: returns<VaultStatus>() },
  /** Creates the vault and unlocks it. The recovery key is returned once and never stored in the clear. */
  'vault.create': { input: z.object({ passphrase }), output: returns<{ vaultId: string; recoveryKey: string }>() },
  'vault.unlock': { input: z.object({ passphrase }), output: returns<{ vaultId: string }>() },
  'vault.lock': { input: z.object({}), output: returns<null>() },
  /** Re-wraps the vault key under a new passphrase; nothing else is re-encrypted. */
  'vault.changePassphrase': {
    input: z.object({ current: passphrase, next: passphrase }),
    output: returns<null>(),
  },
  /** Unlocks with the recovery key and sets a new passphrase. */
  'vault.recover': { input: z.object({ recoveryKey, newPassphrase: passphrase }), output: returns<{ vaultId: string }>() },
} satisfies CommandDefs;
