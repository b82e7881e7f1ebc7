/**
 * The whole API: every command the core offers, merged from one file per domain. Add a domain by writing
 * `<domain>.std.ts` beside this file and spreading it here; the core's handler map then fails to type-check
 * until the new commands are implemented.
 */
import type { CommandDefs, Invoke } from './contract.std.ts';
import { cardCommands } from './cards.std.ts';
import { chatCommands, providerCommands } from './chat.std.ts';
import { conversationCommands } from './conversation.std.ts';
import { galleryCommands } from './gallery.std.ts';
import { lorebookCommands } from './lorebooks.std.ts';
import { memoryCommands } from './memory.std.ts';
import { presetCommands } from './presets.std.ts';
import { consentCommands, privacyCommands } from './privacy.std.ts';
import { recordCommands } from './records.std.ts';
import { regexCommands } from './regex.std.ts';
import { syncCommands } from './sync.std.ts';
import { transferCommands } from './transfer.std.ts';
import { vaultCommands } from './vault.std.ts';

export const commands = {
  ...vaultCommands,
  ...recordCommands,
  ...conversationCommands,
  ...cardCommands,
  ...providerCommands,
  ...chatCommands,
  ...syncCommands,
  ...transferCommands,
  ...presetCommands,
  ...privacyCommands,
  ...consentCommands,
  ...lorebookCommands,
  ...regexCommands,
  ...galleryCommands,
  ...memoryCommands,
} satisfies CommandDefs;

export type Commands = typeof commands;
export type CommandName = keyof Commands & string;
export type MindstageInvoke = Invoke<Commands>;
export { type ApiEvents, type ApiEventName } from './events.std.ts';
