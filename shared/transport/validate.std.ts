/**
 * Checks a command and its input against the API's schemas before anything crosses into the core. Used by every
 * process boundary (Electron IPC in the main process, the WebSocket and utility-process adapters), so a bad
 * argument is refused where it arrives, with the same `usage` error the core itself would give.
 */
import { commands, type CommandName } from '../api/index.std.ts';
import type { ApiErrorShape } from '../result.std.ts';
import { isCommandName } from './protocol.std.ts';

export type Checked = { ok: true; command: CommandName } | { ok: false; error: ApiErrorShape };

export function validateCommand(command: unknown, input: unknown): Checked {
  if (typeof command !== 'string' || command.length === 0 || command.length > 200) {
    return { ok: false, error: { code: 'usage', message: 'The command name must be a non-empty string.' } };
  }
  if (!isCommandName(command)) return { ok: false, error: { code: 'usage', message: `Unknown command "${command.slice(0, 80)}".` } };
  const parsed = commands[command].input.safeParse(input ?? {});
  if (!parsed.success) {
    const detail = parsed.error.issues
      .slice(0, 3)
      .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
      .join('; ');
    return { ok: false, error: { code: 'usage', message: `Invalid input for ${command}: ${detail}.` } };
  }
  return { ok: true, command };
}
