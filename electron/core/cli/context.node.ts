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
import { defaultDataDir } from '../paths.node.ts';
import { createOutput, type Output } from './output.node.ts';
import { readSecret } from './secrets.node.ts';

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

export function createContext(program: Command): CliContext {
  const opts = () => program.opts<{ data?: string; json?: boolean }>();
  const ctx: CliContext = {
    dataDir: () => opts().data ?? defaultDataDir(),
    out: () => createOutput(Boolean(opts().json)),
    async withCore(fn, options) {
      // Loaded here, not at the top: `--help` and usage errors never pay for the core (docs/decisions.md #20).
      const { openCore } = await import('../core.node.ts');
      const core = await openCore({ dataDir: ctx.dataDir() });
      try {
        const call = callFor(core);
        if (options?.unlock !== false) {
          const status = await call('vault.status', {});
          if (!status.exists) throw new MindstageError('not_found', `No vault in ${ctx.dataDir()}. Create one with "mindstage init".`);
          const passphrase = await readSecret('MINDSTAGE_PASSPHRASE', 'Passphrase: ', 'passphrase');
          await call('vault.unlock', { passphrase });
        }
        return await fn(call, core);
      } finally {
        await core.close();
      }
    },
  };
  return ctx;
}
