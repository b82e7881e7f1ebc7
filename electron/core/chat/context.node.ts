/**
 * What a reply needs from the vault: the conversation, its characters, scenario and persona, whose turn it is,
 * and the prompt input (prompt.std.ts) for a given history. Read once per command; the provider-specific parts
 * (context window, max tokens, model) are filled in per attempt, because fallback may change the provider.
 *
 * Only the conversation's newest messages are read (`tail`, history.node.ts); `fitPrompt` reads older ones while
 * the prompt would take every message read, so a send costs the same in a chat of 100 or 100,000 messages.
 */
import { MindstageError } from '../../../shared/result.std.ts';
import type { ConversationInfo } from '../../../shared/api/conversation.std.ts';
import { CharacterFields, ScenarioFields, type Message, type PersonaFields } from '../../../shared/domain.std.ts';
import { readInfo } from '../api/conversation-events.node.ts';
import { getCatalogEntry } from '../docs/catalog.node.ts';
import { readFields } from '../docs/fields-doc.node.ts';
import { readPreferences } from '../docs/settings-doc.node.ts';
import type { VaultSession } from '../session.node.ts';
import { ConversationTail, FIRST_READ } from './history.node.ts';
import { scanReach } from './lorebook.std.ts';
import { defaultMinHistoryMessages, type BuiltPrompt, type PromptHistoryMessage, type PromptInput } from './prompt.std.ts';
import type { PayloadNames } from './request.std.ts';

export interface ChatContext {
  /** The conversation's metadata; its messages are in `tail`. */
  conversation: ConversationInfo;
  /**
   * The newest messages (or those up to the message a command acts on), oldest first. Positions in
   * `tail.messages` are not positions in the conversation: `tail.unread` older messages come before them.
   */
  tail: ConversationTail;
  /** The characters taking turns, in the conversation's order. */
  characterIds: string[];
  characters: Map<string, CharacterFields>;
  scenario?: ScenarioFields;
  persona?: { id: string; name: string; description: string };
  userName: string;
}

function readRecord<T>(s: VaultSession, id: string | undefined, kind: 'character' | 'scenario' | 'persona'): T | undefined {
  if (!id) return undefined;
  const entry = getCatalogEntry(s.catalog, id);
  if (!entry || entry.kind !== kind) return undefined;
  return readFields<T>(s.record(id, kind).doc);
}

/** `through`: read the messages up to this one (a command acting on an older message), else the newest. */
export function loadContext(s: VaultSession, conversationId: string, through?: Message): ChatContext {
  const conversation = readInfo(s, conversationId);
  const tail = new ConversationTail(s, conversationId, undefined, through);
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
  return { conversation, tail, characterIds: [...characters.keys()], characters, ...(scenario ? { scenario } : {}), ...(persona ? { persona } : {}), userName: persona?.name ?? 'User' };
}

/**
 * Whose turn it is: the character after the last one who spoke (in the conversation's order), the first if none
 * has spoken yet. `requested` (chat.send's characterId, chat.impersonate) must be one of the conversation's.
 */
export function nextSpeaker(ctx: ChatContext, requested?: string, before = ctx.tail.messages.length): string {
  if (ctx.characterIds.length === 0) {
    throw new MindstageError('usage', 'This conversation has no character to reply. Add a character to it first.');
  }
  if (requested !== undefined) {
    if (!ctx.characters.has(requested)) throw new MindstageError('usage', `Character ${requested} is not in this conversation.`, { recordId: requested });
    return requested;
  }
  const messages = ctx.tail.messages;
  const after = (m: Message): string | undefined => {
    if (m.role !== 'character' || m.authorId === undefined) return undefined;
    const at = ctx.characterIds.indexOf(m.authorId);
    return at >= 0 ? ctx.characterIds[(at + 1) % ctx.characterIds.length]! : undefined;
  };
  for (let i = Math.min(before, messages.length) - 1; i >= 0; i--) {
    const next = after(messages[i]!);
    if (next) return next;
  }
  // Nobody spoke in what was read: look further back (a long run of user or narrator messages).
  for (let read = 0; ctx.tail.readOlder(FIRST_READ); ) {
    const older = ctx.tail.older;
    for (let i = older.length - 1 - read; i >= 0; i--) {
      const next = after(older[i]!);
      if (next) return next;
    }
    read = older.length;
  }
  return ctx.characterIds[0]!;
}

function speakerName(ctx: ChatContext, m: Message): string {
  if (m.role === 'user') return ctx.userName;
  if (m.role === 'character') return (m.authorId && ctx.characters.get(m.authorId)?.name) || 'Character';
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

/** The names an instruct format needs (text completion): who writes, who is answered, whether it is a group. */
export function payloadNames(base: PromptBase): PayloadNames {
  return { userName: base.userName, charName: base.character.name, group: base.otherCharacters.length > 0 };
}

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
  };
}

/**
 * Builds a prompt from `history` (made by toHistory from the start of `ctx.tail.messages`), first reading older
 * messages while the prompt would take every message it has, or while a lorebook scans further back than it
 * reaches. The result is the prompt the whole conversation would give: history goes in newest first and stops at
 * the first message that does not fit. Messages never read count as left out (`historyDropped`).
 */
export function fitPrompt(ctx: ChatContext, base: PromptBase, history: PromptHistoryMessage[], build: (history: PromptHistoryMessage[]) => BuiltPrompt): BuiltPrompt {
  const reach = Math.max(base.minHistoryMessages ?? defaultMinHistoryMessages, scanReach(base.lorebooks)) + 1;
  let older: PromptHistoryMessage[] = toHistory(ctx, [...ctx.tail.older]);
  for (;;) {
    const all = older.length ? [...older, ...history] : history;
    const built = all.length >= reach || ctx.tail.unread === 0 ? build(all) : undefined;
    const wantsMore = !built || (built.historyDropped === 0 && !built.overBudget);
    if (!wantsMore || ctx.tail.unread === 0) {
      const result = built ?? build(all);
      return { ...result, historyDropped: result.historyDropped + ctx.tail.unread };
    }
    const had = ctx.tail.older.length;
    ctx.tail.readOlder(Math.max(FIRST_READ, ctx.tail.older.length + ctx.tail.messages.length));
    older = [...toHistory(ctx, ctx.tail.older.slice(0, ctx.tail.older.length - had)), ...older];
  }
}
