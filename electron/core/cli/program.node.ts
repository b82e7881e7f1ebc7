/**
 * The `mindstage` command line. Each domain registers its commands from cli/commands/; this file only sets up the
 * global options and turns failures into one stderr line and an exit code (see output.node.ts).
 */
import { Command, CommanderError } from 'commander';
import { MindstageError, toErrorShape } from '../../../shared/result.std.ts';
import { createContext, type CliOptions } from './context.node.ts';
import { createOutput } from './output.node.ts';
import { registerCardCommands } from './commands/cards.node.ts';
import { registerChatCommands } from './commands/chat.node.ts';
import { registerConversationCommands } from './commands/conversation.node.ts';
import { registerDataCommands } from './commands/data.node.ts';
import { registerGalleryCommands } from './commands/gallery.node.ts';
import { registerLorebookCommands } from './commands/lorebook.node.ts';
import { registerMemoryCommands } from './commands/memory.node.ts';
import { registerPresetCommands } from './commands/presets.node.ts';
import { registerPrivacyCommands } from './commands/privacy.node.ts';
import { registerProviderCommands } from './commands/providers.node.ts';
import { registerRecordCommands } from './commands/records.node.ts';
import { registerSyncCommands } from './commands/sync.node.ts';
import { registerRelayCommands } from './commands/relay.node.ts';
import { registerVaultCommands } from './commands/vault.node.ts';
import { registerWebCommands } from './commands/web.node.ts';

export function buildProgram(argv: string[] = [], options: CliOptions = {}): Command {
  const program = new Command('mindstage')
    .description('Mindstage: chat with AI characters in scenarios you write; only you can read your conversations.')
    .option('--data <dir>', 'data folder holding the vault (default: the desktop app\'s, or MINDSTAGE_DATA)')
    .option('--json', 'machine-readable output on stdout')
    .showHelpAfterError('(run "mindstage --help" for usage)')
    .exitOverride();
  const ctx = createContext(program, options);
  registerVaultCommands(program, ctx);
  registerRecordCommands(program, ctx);
  registerCardCommands(program, ctx);
  registerConversationCommands(program, ctx);
  registerLorebookCommands(program, ctx);
  registerMemoryCommands(program, ctx);
  registerDataCommands(program, ctx);
  registerProviderCommands(program, ctx);
  registerPresetCommands(program, ctx);
  registerPrivacyCommands(program, ctx);
  registerGalleryCommands(program, ctx);
  registerSyncCommands(program, ctx);
  registerChatCommands(program, ctx);
  registerWebCommands(program, ctx);
  registerRelayCommands(program, ctx);
  // Usage errors from any sub-command must also exit with 2, not terminate the process.
  // With --json, commander's own error text would break the one-JSON-line contract on stderr.
  const quiet = argv.includes('--json');
  const override = (cmd: Command) => {
    cmd.exitOverride();
    if (quiet) cmd.configureOutput({ writeErr: () => {}, outputError: () => {} });
    cmd.commands.forEach(override);
  };
  override(program);
  return program;
}

/** Runs the CLI and returns the exit code. */
export async function runCli(argv: string[], options: CliOptions = {}): Promise<number> {
  const program = buildProgram(argv, options);
  const wantsJson = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are "errors" to commander; they exit 0.
      if (e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.help') return 0;
      if (wantsJson) createOutput(true).error({ code: 'usage', message: e.message.replace(/^error: /, '') });
      return 2;
    }
    if (!(e instanceof MindstageError) && process.env['MINDSTAGE_DEBUG']) console.error(e);
    return createOutput(wantsJson).error(toErrorShape(e));
  }
}
