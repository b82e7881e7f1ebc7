import type { Command } from 'commander';
import type { CliContext } from '../context.node.ts';
import { readNewSecret, readSecret } from '../secrets.node.ts';

export function registerVaultCommands(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('create a new vault and print its recovery key (shown once)')
    .action(() =>
      ctx.withCore(async (call) => {
        const passphrase = await readNewSecret('MINDSTAGE_PASSPHRASE', 'Choose a passphrase: ', 'passphrase');
        const { vaultId, recoveryKey } = await call('vault.create', { passphrase });
        ctx.out().result({ vaultId, recoveryKey }, [
          `Created vault ${vaultId} in ${ctx.dataDir()}.`,
          '',
          'Recovery key (shown once — write it down and keep it safe; it can reset your passphrase):',
          '',
          `  ${recoveryKey}`,
        ]);
      }, { unlock: false }),
    );

  program
    .command('passphrase')
    .description('manage the vault passphrase')
    .command('change')
    .description('re-wrap the vault key under a new passphrase (MINDSTAGE_NEW_PASSPHRASE or a prompt)')
    .action(() =>
      ctx.withCore(async (call) => {
        const current = await readSecret('MINDSTAGE_PASSPHRASE', 'Current passphrase: ', 'current passphrase');
        const next = await readNewSecret('MINDSTAGE_NEW_PASSPHRASE', 'New passphrase: ', 'new passphrase');
        await call('vault.changePassphrase', { current, next });
        ctx.out().result({ changed: true }, 'Passphrase changed.');
      }, { unlock: false }),
    );

  program
    .command('recover')
    .description('set a new passphrase using the recovery key; with --relay, restore the vault from the relay into a new --data folder')
    .requiredOption('--recovery-key <code>', 'the recovery key printed by init')
    .option('--relay <url>', 'restore from this relay (needs "sync enable --recovery-key" on a device earlier)')
    .action((o: { recoveryKey: string; relay?: string }) =>
      ctx.withCore(async (call) => {
        const newPassphrase = await readNewSecret('MINDSTAGE_NEW_PASSPHRASE', 'New passphrase: ', 'new passphrase');
        if (o.relay) {
          const r = await call('vault.recoverFromRelay', { recoveryKey: o.recoveryKey, relayUrl: o.relay, newPassphrase });
          ctx.out().result(r, [`Restored vault ${r.vaultId} from ${o.relay} as device ${r.deviceId}; the new passphrase is set.`, `Synced: ↓ ${r.round.down} item(s) down.`]);
          return;
        }
        const { vaultId } = await call('vault.recover', { recoveryKey: o.recoveryKey, newPassphrase });
        ctx.out().result({ vaultId }, `Recovered vault ${vaultId}; the new passphrase is set.`);
      }, { unlock: false }),
    );
}
