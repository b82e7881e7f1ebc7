/**
 * What a reply needs from the vault: the conversation, its characters, scenario and persona, whose turn it is,
 * and the prompt input (prompt.std.ts) for a given history. Read once per command; the provider-specific parts
 * (context window, max tokens, model) are filled in per attempt, because fallback may change the provider.
 *
 * Only the conversation's newest messages are read (`tail`, history.node.ts); `fitPrompt` reads older ones while
 * the prompt would take every message read, so a send costs the same in a chat of 100 or 100,000 messages.
 */
import type { WorldInfoSettings } from '../../../shared/api/chat.std.ts';
import { MindstageError } from '../../../shared/result.std.ts';
import type { ConversationInfo } from '../../../shared/api/conversation.std.ts';
import { CharacterFields, ScenarioFields, type AuthorsNote, type ConversationMeta, type LorebookFields, type Message, type PersonaFields } from '../../../shared/domain.std.ts';
import { messageSeed } from '../../../shared/display-text.std.ts';
import { readInfo } from '../api/conversation-events.node.ts';
import { getCatalogEntry, listCatalog } from '../docs/catalog.node.ts';
import { writeMeta } from '../docs/conversation-doc.node.ts';
import { readFields } from '../docs/fields-doc.node.ts';
import { readPreferences } from '../docs/settings-doc.node.ts';
import type { VaultSession } from '../session.node.ts';
import { authorsNoteFromSillyTavern } from './authors-note.std.ts';
import { ConversationTail, FIRST_READ } from './history.node.ts';
import { scanReach, type LoreSource } from './lorebook.std.ts';
import { hash32, seededRandom } from './macros.std.ts';
import { memoryForPrompt } from './memory.std.ts';
import { defaultMinHistoryMessages, type BuiltPrompt, type PromptHistoryMessage, type PromptInput } from './prompt.std.ts';
import type { PayloadNames } from './request.std.ts';
import { regexTransform } from './regex-prompt.std.ts';
import { readConsent, readGlobalScripts } from '../docs/regex-doc.node.ts';
import { scriptsFor, type ConversationScripts } from '../../../shared/regex/select.std.ts';

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
  /** Lorebook records (not card or scenario books), read once per command. */
  books: Map<string, LorebookFields>;
  globalLorebookIds: string[];
  loreRecursive: boolean;
  worldInfo: WorldInfoSettings;
  authorsNote?: AuthorsNote;
  variables: Record<string, string>;
  /** Regex scripts in force (global, then allowed card scripts) and cards still awaiting the user's consent. */
  regex: ConversationScripts;
  /** The name of a character who spoke here but has left the conversation (so their lines keep their names). */
  formerName: (id: string) => string;
}

/** Who takes part in a conversation, without reading its messages (the prompt, the display context). */
export function loadParticipants(s: VaultSession, meta: Pick<ConversationMeta, 'characterIds' | 'scenarioId' | 'personaId'>) {
  const storedScenario = readRecord<ScenarioFields>(s, meta.scenarioId, 'scenario');
  // Defaults under what is stored, so records written by older versions still have every field the prompt reads.
  const scenario = storedScenario && { ...ScenarioFields.parse({ title: storedScenario.title || 'Scenario' }), ...storedScenario };
  const ids = meta.characterIds.length > 0 ? meta.characterIds : (scenario?.characterIds ?? []);
  const characters = new Map<string, CharacterFields>();
  for (const id of ids) {
    const c = readRecord<CharacterFields>(s, id, 'character');
    if (c) characters.set(id, { ...CharacterFields.parse({ name: c.name || 'Character' }), ...c });
  }
  const prefs = readPreferences(s.systemDoc('settings').doc);
  const personaId = meta.personaId ?? scenario?.personaId ?? prefs.defaultPersonaId;
  const p = readRecord<PersonaFields>(s, personaId, 'persona');
  const persona = p && personaId ? { id: personaId, name: p.name, description: p.description ?? '' } : undefined;
  return { scenario, characters, persona, prefs, userName: persona?.name ?? 'User' };
}

/** The conversation's author's note: its own, else the one a SillyTavern chat came with. */
export function authorsNoteOf(meta: ConversationMeta): AuthorsNote | undefined {
  return meta.authorsNote ?? authorsNoteFromSillyTavern(meta.sillytavern?.chatMetadata);
}

/** Chat-local variables: the conversation's, else those a SillyTavern chat came with. */
export function variablesOf(meta: ConversationMeta): Record<string, string> {
  if (meta.variables) return meta.variables;
  const st = meta.sillytavern?.chatMetadata?.['variables'];
  if (typeof st !== 'object' || st === null) return {};
  return Object.fromEntries(Object.entries(st).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}

function readRecord<T>(s: VaultSession, id: string | undefined, kind: 'character' | 'scenario' | 'persona' | 'lorebook'): T | undefined {
  if (!id) return undefined;
  const entry = getCatalogEntry(s.catalog, id);
  if (!entry || entry.kind !== kind) return undefined;
  return readFields<T>(s.record(id, kind).doc);
}

/** `through`: read the messages up to this one (a command acting on an older message), else the newest. */
export function loadContext(s: VaultSession, conversationId: string, through?: Message): ChatContext {
  const conversation = readInfo(s, conversationId);
  const tail = new ConversationTail(s, conversationId, undefined, through);
  const { scenario, characters, persona, prefs, userName } = loadParticipants(s, conversation);
  const books = new Map<string, LorebookFields>();
  for (const e of listCatalog(s.catalog, 'lorebook')) {
    const b = readRecord<LorebookFields>(s, e.id, 'lorebook');
    if (b) books.set(e.id, { ...b, characterIds: b.characterIds ?? [], personaIds: b.personaIds ?? [], entries: b.entries ?? [] });
  }
  const authorsNote = authorsNoteOf(conversation);
  const names = new Map<string, string>();
  const formerName = (id: string): string => {
    let n = names.get(id);
    if (n === undefined) names.set(id, (n = getCatalogEntry(s.catalog, id)?.title || 'Character'));
    return n;
  };
  const settings = s.systemDoc('settings').doc;
  const members = [...characters].map(([id, c]) => ({ id, name: c.name, extensions: c.extensions }));
  const regex = scriptsFor(readGlobalScripts(settings), members, readConsent(settings));
  return {
    conversation,
    tail,
    characterIds: [...characters.keys()],
    characters,
    ...(scenario ? { scenario } : {}),
    ...(persona ? { persona } : {}),
    userName,
    books,
    globalLorebookIds: prefs.globalLorebookIds ?? [],
    loreRecursive: prefs.loreRecursive ?? false,
    worldInfo: prefs.worldInfo ?? {},
    ...(authorsNote ? { authorsNote } : {}),
    variables: variablesOf(conversation),
    regex,
    formerName,
  };
}

/** Messages in the conversation up to the end of what `tail` read (read or not). */
export function tailLength(ctx: ChatContext): number {
  return ctx.tail.unread + ctx.tail.older.length + ctx.tail.messages.length;
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
  // Muted members (group settings) are skipped in the rotation; they speak only when asked by name.
  const muted = new Set(ctx.conversation.group?.muted ?? []);
  const ids = ctx.characterIds;
  const afterAt = (at: number): string => {
    for (let k = 1; k <= ids.length; k++) {
      const id = ids[(at + k) % ids.length]!;
      if (!muted.has(id)) return id;
    }
    return ids[(at + 1) % ids.length]!;
  };
  const messages = ctx.tail.messages;
  const after = (m: Message): string | undefined => {
    if (m.role !== 'character' || m.authorId === undefined) return undefined;
    const at = ids.indexOf(m.authorId);
    return at >= 0 ? afterAt(at) : undefined;
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
  return afterAt(ids.length - 1);
}

function speakerName(ctx: ChatContext, m: Message): string {
  if (m.role === 'user') return ctx.userName;
  if (m.role === 'character') return (m.authorId && (ctx.characters.get(m.authorId)?.name ?? ctx.formerName(m.authorId))) || 'Character';
  return m.role === 'narrator' ? 'Narrator' : 'System';
}

/** The chosen alternative of each message, oldest first; replies that failed before any text are left out. */
export function toHistory(ctx: ChatContext, messages: Message[]): PromptHistoryMessage[] {
  const out: PromptHistoryMessage[] = [];
  for (const m of messages) {
    const alt = m.alternatives[m.chosen];
    const text = alt?.text ?? '';
    if (text === '') continue;
    out.push({ role: m.role, name: speakerName(ctx, m), text, seed: messageSeed(ctx.conversation.id, m.id, alt!.id), at: m.createdAt, ...(m.authorId ? { authorId: m.authorId } : {}) });
  }
  return out;
}


export type PromptBase = Omit<PromptInput, 'contextWindow' | 'maxTokens' | 'model'>;

/** The names an instruct format needs (text completion): who writes, who is answered, whether it is a group. */
export function payloadNames(base: PromptBase): PayloadNames {
  return { userName: base.userName, charName: base.character.name, group: base.otherCharacters.length > 0 };
}

/**
 * Every book in force for this speaker, each once: chat books first (SillyTavern scans them first), then the
 * persona's, the speaker's (its card's own book and books linked to it), the scenario's, and the global ones.
 */
export function loreSources(ctx: ChatContext, speakerId: string): LoreSource[] {
  const out: LoreSource[] = [];
  const seen = new Set<string>();
  const add = (id: string, kind: LoreSource['kind']) => {
    const book = ctx.books.get(id);
    if (!book || seen.has(id)) return;
    seen.add(id);
    out.push({ id, book, kind });
  };
  for (const id of ctx.conversation.lorebookIds ?? []) add(id, 'chat');
  for (const [id, b] of ctx.books) if (ctx.persona && b.personaIds.includes(ctx.persona.id)) add(id, 'persona');
  const card = ctx.characters.get(speakerId)?.character_book;
  if (card) out.push({ id: `character:${speakerId}`, book: card, kind: 'character' });
  for (const [id, b] of ctx.books) if (b.characterIds.includes(speakerId)) add(id, 'character');
  if (ctx.scenario?.lorebook) out.push({ id: `scenario:${ctx.conversation.scenarioId ?? ''}`, book: ctx.scenario.lorebook, kind: 'scenario' });
  for (const id of ctx.globalLorebookIds) add(id, 'global');
  return out;
}

/**
 * `chatLength`: messages in the conversation up to the reply (a regeneration counts those before the message it
 * replaces). Probability and group rolls are seeded by the conversation, that length and `attempt`, so the prompt
 * inspector shows the entries the next reply will send, and a regeneration (a new attempt) rolls again.
 */
export function promptBase(ctx: ChatContext, speakerId: string, history: PromptHistoryMessage[], mode: 'reply' | 'continue', chatLength = tailLength(ctx), attempt = 0): PromptBase {
  const character = ctx.characters.get(speakerId)!;
  const seed = `${ctx.conversation.id}:${chatLength}:${attempt}`;
  const transformText = regexTransform(ctx.regex.scripts, { char: character.name, user: ctx.userName });
  const memory = memoryForPrompt(ctx.conversation.memory);
  return {
    character,
    characterId: speakerId,
    otherCharacters: ctx.characterIds.filter((id) => id !== speakerId).map((id) => ctx.characters.get(id)!),
    ...(ctx.scenario ? { scenario: ctx.scenario } : {}),
    ...(ctx.persona ? { persona: { name: ctx.persona.name, description: ctx.persona.description } } : {}),
    userName: ctx.userName,
    history,
    lorebooks: loreSources(ctx, speakerId),
    mode,
    chatLength,
    ...(ctx.conversation.loreTimers ? { loreTimers: ctx.conversation.loreTimers } : {}),
    ...(ctx.authorsNote ? { authorsNote: ctx.authorsNote } : {}),
    recursiveLore: ctx.loreRecursive,
    worldInfo: ctx.worldInfo,
    random: seededRandom(hash32(seed)),
    variables: ctx.variables,
    macroSeed: seed,
    ...(transformText ? { transformText } : {}),
    ...(memory ? { memory } : {}),
  };
}

/**
 * Builds a prompt from `history` (made by toHistory from the start of `ctx.tail.messages`), first reading older
 * messages while the prompt would take every message it has, or while a lorebook scans further back than it
 * reaches. The result is the prompt the whole conversation would give: history goes in newest first and stops at
 * the first message that does not fit. Messages never read count as left out (`historyDropped`).
 */
export function fitPrompt(ctx: ChatContext, base: PromptBase, history: PromptHistoryMessage[], build: (history: PromptHistoryMessage[]) => BuiltPrompt): BuiltPrompt {
  const reach = Math.max(base.minHistoryMessages ?? defaultMinHistoryMessages, scanReach(base.lorebooks, base.worldInfo)) + 1;
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

/** After a real generation's prompt: keep the timed effects it started and the variables its macros set. */
export function keepPromptState(s: VaultSession, ctx: ChatContext, built: Pick<BuiltPrompt, 'loreTimers' | 'variables'>): void {
  const patch: Partial<ConversationMeta> = {};
  const timersBefore = ctx.conversation.loreTimers ?? { sticky: {}, cooldown: {} };
  if (JSON.stringify(built.loreTimers) !== JSON.stringify(timersBefore)) patch.loreTimers = built.loreTimers;
  if (JSON.stringify(built.variables) !== JSON.stringify(ctx.variables)) patch.variables = built.variables;
  if (Object.keys(patch).length === 0) return;
  writeMeta(s.record(ctx.conversation.id, 'conversation').doc, patch);
  if (patch.loreTimers) ctx.conversation.loreTimers = patch.loreTimers;
  if (patch.variables) ctx.variables = patch.variables;
}
