/**
 * Regex scripts (SillyTavern's format, docs/chat.md "Regex scripts"): the user's global list, consent per
 * character to run the scripts its card carries, and what runs in a conversation (the renderer applies the
 * display scripts; the core applies the prompt scripts when it builds a request).
 */
import { z } from 'zod';
import { RecordId } from '../domain.std.ts';
import { RegexScript } from '../regex/script.std.ts';
import type { ConversationScripts } from '../regex/select.std.ts';
import { returns, type CommandDefs } from './contract.std.ts';

export interface RegexSettingsView {
  scripts: RegexScript[];
  /** characterId → allowed (true) or refused (false); absent: not decided. */
  consent: Record<string, boolean>;
}

export const regexCommands = {
  'regex.list': { input: z.object({}), output: returns<RegexSettingsView>() },
  /** Replaces the global list (order matters: scripts run in it). Scripts without an id get one. */
  'regex.save': { input: z.object({ scripts: z.array(RegexScript).max(1000) }), output: returns<RegexScript[]>() },
  /** Allows or refuses a character's card scripts; null forgets the decision (the UI asks again). */
  'regex.consent': { input: z.object({ characterId: RecordId, allowed: z.boolean().nullable() }), output: returns<null>() },
  /** The scripts in force in a conversation, the cards awaiting consent, and the name {{user}} stands for. */
  'regex.forConversation': { input: z.object({ conversationId: RecordId }), output: returns<ConversationScripts & { userName: string }>() },
} satisfies CommandDefs;
