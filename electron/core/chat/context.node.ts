/**
 * What a reply needs from the vault: the conversation, its characters, scenario and persona, whose turn it is,
 * and the prompt input (prompt.std.ts) for a given history. Read once per command; the provider-specific parts
 * (context window, max tokens, model) are filled in per attempt, because fallback may change the provider.
 */
import { MindstageError } from '../../../shared/result.std.ts';
import { CharacterFields, ScenarioFields, type Conversation, type Message, type PersonaFields } from '../../../shared/domain.std.ts';
import { readConversation } from '../api/conversation-handlers.node.ts';
import { getCatalogEntry } from '../docs/catalog.node.ts';
import { readFields } from '../docs/fields-doc.node.ts';
import { readPreferences } from '../docs/settings-doc.node.ts';
import type { VaultSession } from '../session.node.ts';
import type { PromptHistoryMessage, PromptInput } from './prompt.std.ts';
import { readConsent, readGlobalScripts } from '../docs/regex-doc.node.ts';
import { scriptsFor, type ConversationScripts } from '../../../shared/regex/select.std.ts';

export interface ChatContext {
  conversation: Conversation;
  /** The characters taking turns, in the conversation's order. */
  characterIds: string[];
  characters: Map<string, CharacterFields>;
  scenario?: ScenarioFields;
  persona?: { id: string; name: string; description: string };
  userName: string;
  /** Regex scripts in force (global, then allowed card scripts) and cards still awaiting the user's consent. */
  regex: ConversationScripts;
  /** Names of characters who spoke here but have left the conversation (so their lines keep their names). */
  formerNames: Map<string, string>;
}

function readRecord<T>(s: VaultSession, id: string | undefined, kind: 'character' | 'scenario' | 'persona'): T | undefined {
  if (!id) return undefined;
  const entry = getCatalogEntry(s.catalog, id);
  if (!entry || entry.kind !== kind) return undefined;
  return readFields<T>(s.record(id, kind).doc);
}

export function loadContext(s: VaultSession, conversationId: string): ChatContext {
  const conversation = readConversation(s, conversationId);
  const storedScenario = readRecord<ScenarioFields>(s, conversation.scenarioId, 'scenario');
  // Defaults under what is stored, so records written by older versions still have every field the prompt reads.
  const scenario = storedScenario && { ...ScenarioFields.parse({ title: storedScenario.title || 'Scenario' }), ...storedScenario };
  const ids = conversation.characterIds.length > 0 ? conversation.characterIds : (scenario?.characterIds ?? []);
  const characters = new Map<string, CharacterFields>();
  for (const id of ids) {
    const c = readRecord<CharacterFields>(s, id, 'character');
    if (c) characters.set(id, { ...CharacterFields.parse({ name: c.name || 'Character' }), ...c });
  }
  const personaId = conversation.personaId ?? scenario?.personaId ?? readPreferences(s.systemDoc('settings').doc).defaultPersonaId;
  const p = readRecord<PersonaFields>(s, personaId, 'persona');
  const persona = p && personaId ? { id: personaId, name: p.name, description: p.description ?? '' } : undefined;
  const formerNames = new Map<string, string>();
  for (const m of conversation.messages) {
    if (m.role !== 'character' || !m.authorId || characters.has(m.authorId) || formerNames.has(m.authorId)) continue;
    formerNames.set(m.authorId, getCatalogEntry(s.catalog, m.authorId)?.title || 'Character');
  }
  const settings = s.systemDoc('settings').doc;
  const members = [...characters].map(([id, c]) => ({ id, name: c.name, extensions: c.extensions }));
  const regex = scriptsFor(readGlobalScripts(settings), members, readConsent(settings));
  return { conversation, characterIds: [...characters.keys()], characters, ...(scenario ? { scenario } : {}), ...(persona ? { persona } : {}), userName: persona?.name ?? 'User', regex, formerNames };
}

/**
 * Whose turn it is: the character after the last one who spoke (in the conversation's order), the first if none
 * has spoken yet. `requested` (chat.send's characterId, chat.impersonate) must be one of the conversation's.
 */
export function nextSpeaker(ctx: ChatContext, requested?: string, before = ctx.conversation.messages.length): string {
  if (ctx.characterIds.length === 0) {
    throw new MindstageError('usage', 'This conversation has no character to reply. Add a character to it first.');
  }
  if (requested !== undefined) {
    if (!ctx.characters.has(requested)) throw new MindstageError('usage', `Character ${requested} is not in this conversation.`, { recordId: requested });
    return requested;
  }
  // Muted members (group settings) are skipped in the rotation; they speak only when asked by name.
  const muted = new Set(ctx.conversation.group?.muted ?? []);
  const ids = ctx.characterIds;
  const after = (at: number): string => {
    for (let k = 1; k <= ids.length; k++) {
      const id = ids[(at + k) % ids.length]!;
      if (!muted.has(id)) return id;
    }
    return ids[(at + 1) % ids.length]!;
  };
  const messages = ctx.conversation.messages;
  for (let i = Math.min(before, messages.length) - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role !== 'character' || m.authorId === undefined) continue;
    const at = ids.indexOf(m.authorId);
    if (at >= 0) return after(at);
  }
  return after(ids.length - 1);
}

function speakerName(ctx: ChatContext, m: Message): string {
  if (m.role === 'user') return ctx.userName;
  if (m.role === 'character') return (m.authorId && (ctx.characters.get(m.authorId)?.name ?? ctx.formerNames.get(m.authorId))) || 'Character';
  return m.role === 'narrator' ? 'Narrator' : 'System';
}

/** The chosen alternative of each message, oldest first; replies that failed before any text are left out. */
export function toHistory(ctx: ChatContext, messages: Message[]): PromptHistoryMessage[] {
  const out: PromptHistoryMessage[] = [];
  for (const m of messages) {
    const text = m.alternatives[m.chosen]?.text ?? '';
    if (text === '') continue;
    out.push({ role: m.role, name: speakerName(ctx, m), text, ...(m.authorId ? { authorId: m.authorId } : {}) });
  }
  return out;
}

export type PromptBase = Omit<PromptInput, 'contextWindow' | 'maxTokens' | 'model'>;

export function promptBase(ctx: ChatContext, speakerId: string, history: PromptHistoryMessage[], mode: 'reply' | 'continue'): PromptBase {
  const character = ctx.characters.get(speakerId)!;
  const lorebooks = [character.character_book, ctx.scenario?.lorebook].filter((b) => b !== undefined);
  return {
    character,
    characterId: speakerId,
    otherCharacters: ctx.characterIds.filter((id) => id !== speakerId).map((id) => ctx.characters.get(id)!),
    ...(ctx.scenario ? { scenario: ctx.scenario } : {}),
    ...(ctx.persona ? { persona: { name: ctx.persona.name, description: ctx.persona.description } } : {}),
    userName: ctx.userName,
    history,
    lorebooks,
    mode,
    regexScripts: ctx.regex.scripts,
  };
}
