/**
 * What every CLI command gets: the data folder, the output, and `withCore`, which opens the core, unlocks the
 * vault (passphrase from MINDSTAGE_PASSPHRASE, a prompt, or stdin) and turns error Results into thrown
 * MindstageErrors so command code reads straight through.
 */
import type { Command } from 'commander';
import type { CommandName, Commands } from '../../../shared/api/index.std.ts';
import type { InputOf, OutputOf } from '../../../shared/api/contract.std.ts';
import { MindstageError } from '../../../shared/result.std.ts';
import type { Core } from '../core.node.ts';
import { readDoor } from '../web/door-file.node.ts';
import { defaultDataDir } from '../paths.node.ts';
import { createOutput, type Output } from './output.node.ts';
import { readSecret } from './secrets.node.ts';
import type { KekDerivation } from './kek-ahead.node.ts';
import type { KekAhead } from '../vault/vault.node.ts';

export type Call = <K extends CommandName>(command: K, input: InputOf<Commands[K]>) => Promise<OutputOf<Commands[K]>>;

export interface CliContext {
  dataDir(): string;
  out(): Output;
  withCore<T>(fn: (call: Call, core: Core) => Promise<T>, options?: { unlock?: boolean }): Promise<T>;
}

export function callFor(core: Core): Call {
  return async (command, input) => {
    const result = await core.invoke(command, input);
    if (!result.ok) throw MindstageError.fromShape(result.error);
    return result.value;
  };
}

/** How a caller running many commands in one process can shape them (bin/mindstage passes nothing). */
export interface CliOptions {
  /**
   * Where a command finds the passphrase's key-encryption key. Without it, each command that opens the folder with
   * MINDSTAGE_PASSPHRASE set derives it on Node's thread pool while the core loads (kek-ahead.node.ts). The tests'
   * in-process runner hands in one that remembers keys Argon2id already gave (tests/support/kek-memo.node.ts).
   */
  kekAhead?: KekAhead;
}

export function createContext(program: Command, given: CliOptions = {}): CliContext {
  const opts = () => program.opts<{ data?: string; json?: boolean }>();
  const ctx: CliContext = {
    dataDir: () => opts().data ?? defaultDataDir(),
    out: () => createOutput(Boolean(opts().json)),
    async withCore(fn, options) {
      // While the app or browser mode runs on this folder, its core answers through its door (cli/remote.node.ts);
      // otherwise this process opens the folder itself (a folder held without a door is still `busy`). Both are
      // loaded here, not at the top: `--help` and usage errors never pay for the core (docs/decisions.md #20).
      let core: Core | null = readDoor(ctx.dataDir()) ? await (await import('./remote.node.ts')).connectToRunningCore(ctx.dataDir()) : null;
      const remote = core !== null;
      // Opening the folder here with the passphrase in the environment: Argon2id runs on Node's thread pool while
      // the core loads (kek-ahead.node.ts). A passphrase still to be asked for is asked where it always was, below.
      const passphraseNow = process.env['MINDSTAGE_PASSPHRASE'];
      let ahead: KekDerivation | null = null;
      if (!remote && options?.unlock !== false && passphraseNow && !given.kekAhead) ahead = (await import('./kek-ahead.node.ts')).deriveKekAhead(ctx.dataDir(), passphraseNow);
      const kekAhead = given.kekAhead ?? ahead?.take;
      try {
        // The CLI ends when its command is done (cli/main.node.ts), so closing skips the lock's memory scrub.
        core ??= await (await import('../core.node.ts')).openCore({ dataDir: ctx.dataDir(), exitsAfterClose: true, ...(kekAhead ? { kekAhead } : {}) });
      } catch (e) {
        ahead?.discard();
        throw e;
      }
      const call = callFor(core);
      let status;
      try {
        status = await call('vault.status', {});
      } catch (e) {
        ahead?.discard();
        await core.close();
        throw e;
      }
      // Over the door the vault is the app's: a command unlocks it only if it is locked, and locks it again after.
      let unlockedHere = false;
      try {
        if (options?.unlock !== false) {
          if (!status.exists) throw new MindstageError('not_found', `No vault in ${ctx.dataDir()}. Create one with "mindstage init".`);
          if (!remote || !status.unlocked) {
            const passphrase = await readSecret('MINDSTAGE_PASSPHRASE', 'Passphrase: ', 'passphrase');
            await ahead?.ready;
            await call('vault.unlock', { passphrase });
            unlockedHere = true;
          }
        }
        return await fn(call, core);
      } finally {
        ahead?.discard();
        if (remote && unlockedHere) await core.invoke('vault.lock', {});
        await core.close();
      }
    },
  };
  return ctx;
}
