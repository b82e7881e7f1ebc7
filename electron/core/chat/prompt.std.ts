/**
 * The prompt sent to the provider for the next character message, built from the card's semantics (Character
 * Card V2/V3 and SillyTavern behaviour) within contextWindow − maxTokens. docs/prompt.md documents the order,
 * the budget rules, lorebook activation, macros and token counting; keep it in step with this file.
 *
 * Pure and synchronous: the chat engine (electron/core/chat/*.node.ts) calls it for every request. Nothing that
 * identifies the user, device or vault goes in: only card text, persona text, display names and messages.
 */
import type { AuthorsNote, CharacterFields, Lorebook, MessageRole, ScenarioFields } from '../../../shared/domain.std.ts';
import { authorsNoteDue, characterNote } from './authors-note.std.ts';
import { injectAtDepth, type DepthInjection, type InjectRole } from './inject.std.ts';
import { selectLore, defaultBudgetShare, loreGlobals, type LorePosition, type LoreSource, type LoreTimers } from './lorebook.std.ts';
import type { WorldInfoSettings } from '../../../shared/api/chat.std.ts';
import { applyMacros, replaceOriginal, type MacroEnv } from './macros.std.ts';
import { countWith, tokenizerFor, tokensPerMessage, tokensPerReply } from './tokens.std.ts';
import type { MemoryPosition } from '../../../shared/memory.std.ts';

export { countTokens, clearTokenCache, tokenizerFor } from './tokens.std.ts';

export interface PromptHistoryMessage {
  role: MessageRole;
  /** display name of the speaker */
  name: string;
  text: string;
  /** character id for character messages */
  authorId?: string;
  /** Seeds this message's {{random}}, {{pick}} and {{roll}} (its message and alternative ids), as when it is shown. */
  seed?: string;
  /** When it was written (for {{idle_duration}}). */
  at?: number;
}

/**
 * Where a text goes in the prompt, for the regex scripts hook (SillyTavern's regex_placement: user input, AI
 * output, World Info), with its depth in the history (0 = the newest message) when it has one.
 */
export interface PromptTextPlace {
  placement: 'user_input' | 'ai_output' | 'world_info';
  depth?: number;
}

export interface PromptInput {
  /** The character who speaks next. */
  character: CharacterFields;
  /** Other characters in a group conversation (their descriptions are included briefly; may be empty). */
  otherCharacters: CharacterFields[];
  scenario?: ScenarioFields;
  persona?: { name: string; description: string };
  /** The user's display name for {{user}} (persona name, else "User"). */
  userName: string;
  /** Oldest first; the chosen alternative of each message. */
  history: PromptHistoryMessage[];
  /** Every book in force (chat, persona, character, scenario, global); a bare book gets a positional id. */
  lorebooks: Array<Lorebook | LoreSource>;
  contextWindow: number;
  maxTokens: number;
  model: string;
  /** reply: a new character message; continue: the last history message is the character's partial reply to extend. */
  mode: 'reply' | 'continue';
  /** Id of `character`: tells its own messages from other characters' in a group chat (else compared by name). */
  characterId?: string;
  /** Replaces defaultSystemPrompt (and so what {{original}} stands for in the card's system_prompt). */
  defaultSystemPrompt?: string;
  /** What {{original}} stands for in post_history_instructions, and what is sent when the card has none. */
  defaultPostHistoryInstructions?: string;
  /** History messages that take precedence over lorebook entries and example dialogue (default 6). */
  minHistoryMessages?: number;
  /** The conversation's author's note (text, depth, role, frequency). */
  authorsNote?: AuthorsNote;
  /** Messages in the whole conversation when `history` is only its end (timed effects count the whole chat). */
  chatLength?: number;
  /** World Info timed effects in force (sticky, cooldown). */
  loreTimers?: LoreTimers;
  /** Recursion for every book, not only those with recursive_scanning. */
  recursiveLore?: boolean;
  /** The other global World Info settings (scan depth, budget, min activations, matching defaults). */
  worldInfo?: WorldInfoSettings;
  /** Probability and inclusion-group rolls, in [0, 1); default Math.random. */
  random?: () => number;
  /** Chat-local variables; {{setvar}} in card text, lore and the author's note change the copy returned. */
  variables?: Record<string, string>;
  /** Seeds random macros in card text (the conversation and turn). */
  macroSeed?: string;
  /** "Now" for time macros. */
  now?: number;
  /**
   * A hook for text transforms by placement (regex scripts): applied to each history message after macros, and
   * to each lore entry's content. Must be pure and fast; it runs for every included message.
   */
  transformText?: (text: string, place: PromptTextPlace) => string;
  /** The conversation's memory (summary), already in its template (chat/memory.std.ts); macros apply here. */
  memory?: PromptMemory;
}

/** The memory as the prompt places it: in the main system message, or in the history at a depth as a role. */
export interface PromptMemory {
  text: string;
  position: MemoryPosition;
  depth: number;
  role: InjectRole;
}

export interface ChatPromptMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * `main`: system prompt, character, scenario, persona, other members and lore entries, in that one message.
 * Injected at a depth in the history: `authors-note` (with lore placed at its top or bottom), `character-note`
 * (the card's depth_prompt), `lore` (entries at depth), `injected` (several of those for one role at one depth).
 */
export type PromptPart = 'main' | 'examples' | 'history' | 'post-history' | 'partial reply' | 'authors-note' | 'character-note' | 'lore' | 'memory' | 'injected';

export interface PromptLore {
  entry: string;
  reason: string;
  book: string;
  position: LorePosition;
  depth?: number;
}

export interface BuiltPrompt {
  messages: ChatPromptMessage[];
  promptTokens: number;
  tokenizer: string; // e.g. 'o200k_base', 'cl100k_base', or 'estimate'
  historyIncluded: number; // how many history messages made it in
  exampleDialogueIncluded: boolean;
  /** Lorebook entries that were activated and included (their `name`, else `id`, else first key). */
  loreIncluded: string[];
  /** What each message is, index for index with `messages` (the prompt inspector labels them with it). */
  parts: PromptPart[];
  /** Lore entries included and why each fired. */
  lore: PromptLore[];
  /** Timed effects once this prompt is sent: what a real generation stores on the conversation. */
  loreTimers: LoreTimers;
  /** Chat-local variables after the macros of this prompt ran. */
  variables: Record<string, string>;
  /** History messages with text that did not fit. */
  historyDropped: number;
  /** contextWindow − maxTokens. */
  budget?: number;
  /**
   * True when even the fixed parts and the newest message exceed the budget (they are still sent: cutting the
   * message being answered would make a wrong reply; the provider's context error is the honest outcome).
   */
  overBudget?: boolean;
  /** Where the memory went and what it cost, when it went in. */
  memory?: Omit<PromptMemory, 'text'> & { tokens: number };
}

/** SillyTavern's default main prompt. {{original}} in a card's system_prompt stands for this. */
export const defaultSystemPrompt = "Write {{char}}'s next reply in a fictional chat between {{char}} and {{user}}.";
export const defaultGroupSystemPrompt = "Write {{char}}'s next reply in a fictional group chat between {{members}} and {{user}}.";
export const defaultMinHistoryMessages = 6;
/** Other group members' descriptions are cut to this many characters (at a word boundary). */
export const otherCharacterChars = 600;
/** Sections of a system message are joined by a blank line; budgeting counts this much per join. */
const separator = '\n\n';
const separatorTokens = 2;

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

function listNames(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** The example dialogue as one system message: each <START> block under an "[Example Chat]" header. */
function exampleDialogue(mesExample: string, names: MacroEnv): string {
  return applyMacros(mesExample, names)
    .split(/<start>/i)
    .map((b) => b.trim())
    .filter(Boolean)
    .map((b) => `[Example Chat]\n${b}`)
    .join(separator);
}

/** The newest text of each kind in the history, and when the user last wrote before the newest message. */
function recentTexts(history: PromptHistoryMessage[], upTo = history.length - 1): Pick<MacroEnv, 'lastMessage' | 'lastCharMessage' | 'lastUserMessage' | 'lastUserMessageAt'> {
  const out: Pick<MacroEnv, 'lastMessage' | 'lastCharMessage' | 'lastUserMessage' | 'lastUserMessageAt'> = {};
  let earlierUser = false; // the user's message before the newest one, for {{idle_duration}}, has been seen
  for (let i = upTo; i >= 0 && (out.lastCharMessage === undefined || out.lastUserMessage === undefined || !earlierUser); i--) {
    const m = history[i]!;
    out.lastMessage ??= m.text;
    if (m.role === 'character') out.lastCharMessage ??= m.text;
    if (m.role === 'user') {
      out.lastUserMessage ??= m.text;
      if (i < upTo) {
        earlierUser = true;
        if (m.at !== undefined) out.lastUserMessageAt = m.at;
      }
    }
  }
  return out;
}

export function buildPrompt(input: PromptInput): BuiltPrompt {
  const { character, history } = input;
  const tokenizer = tokenizerFor(input.model);
  const count = (text: string): number => countWith(tokenizer, text);
  const budget = Math.max(0, input.contextWindow - input.maxTokens);
  const group = input.otherCharacters.length > 0;
  const members = listNames([character.name, ...input.otherCharacters.map((c) => c.name)]);
  const variables = { ...input.variables };
  const recent = recentTexts(history);
  // Card text, lore and the author's note run their variable macros (a real generation keeps the result);
  // history messages only read variables, so an old message does not add to a counter on every turn.
  const env: MacroEnv = {
    char: character.name,
    user: input.userName,
    description: character.description,
    personality: character.personality,
    scenario: character.scenario,
    persona: input.persona?.description ?? '',
    mesExamples: character.mes_example,
    group: group ? [character.name, ...input.otherCharacters.map((c) => c.name)].join(', ') : character.name,
    ...recent,
    ...(input.now !== undefined ? { now: input.now } : {}),
    seed: input.macroSeed ?? '',
    vars: variables,
    writeVars: true,
  };
  const cardText = (text: string, e: MacroEnv = env): string => applyMacros(text, e).trim();
  const transform = input.transformText;

  // ---- fixed parts: system prompt and card fields, post-history instructions, the partial reply -------------
  const baseDefault = input.defaultSystemPrompt ?? (group ? defaultGroupSystemPrompt : defaultSystemPrompt);
  const systemDefault = baseDefault.replace(/\{\{members\}\}/g, members);
  const system = cardText(replaceOriginal(character.system_prompt, systemDefault));
  const scenarioText = [character.scenario, input.scenario?.setting ?? ''].map((t) => cardText(t)).filter(Boolean).join('\n');
  const personality = cardText(character.personality);
  const cardSections = [
    cardText(character.description),
    personality && `${character.name}'s personality: ${personality}`,
    scenarioText && `Scenario: ${scenarioText}`,
    cardText(input.persona?.description ?? ''),
  ].filter(Boolean);
  const others = input.otherCharacters
    .map((c) => {
      const theirs = { ...env, char: c.name, description: c.description, personality: c.personality, scenario: c.scenario };
      const about = cardText(c.description, theirs) || cardText(c.personality, theirs);
      return about ? `${c.name}: ${clip(about, otherCharacterChars)}` : c.name;
    })
    .join('\n');
  const othersSection = others && `Other characters in this group chat:\n${others}`;
  const post = cardText(replaceOriginal(character.post_history_instructions, input.defaultPostHistoryInstructions ?? ''));

  const continuing = input.mode === 'continue' && history.length > 0;
  const end = continuing ? history.length - 1 : history.length;
  // A message's {{lastMessage}} and friends mean what they mean where it is shown: the messages up to it.
  const messageEnv = (m: PromptHistoryMessage, i: number): MacroEnv => ({
    ...env,
    ...(m.role === 'character' ? { char: m.name } : {}),
    ...(/\{\{\s*last/i.test(m.text) ? recentTexts(history, i) : {}),
    seed: m.seed ?? '',
    writeVars: false,
  });
  const macrosOf = (m: PromptHistoryMessage, i: number): string => (m.text.includes('{{') || m.text.includes('<') ? applyMacros(m.text, messageEnv(m, i)) : m.text);
  // Not trimmed: the model extends this text exactly as it stands, trailing space included.
  const partial = continuing ? macrosOf(history[end]!, end) : undefined;

  // The author's note and the character note sit in the history at their depth; they are fixed like the system prompt.
  const userMessages = history.filter((m) => m.role === 'user').length;
  const note = input.authorsNote && authorsNoteDue(input.authorsNote.every, userMessages) ? input.authorsNote : undefined;
  const noteText = note ? cardText(note.text) : '';
  const charNote = characterNote(character);
  const charNoteText = charNote ? cardText(charNote.text) : '';

  // The memory is fixed too: it stands for the history that no longer fits.
  const memoryText = input.memory ? cardText(input.memory.text) : '';
  const memoryAt = (position: MemoryPosition) => (input.memory?.position === position ? memoryText : '');
  const systemParts = [system, memoryAt('before_char'), ...cardSections, memoryAt('after_char'), othersSection].filter(Boolean);
  let used =
    tokensPerReply +
    tokensPerMessage +
    count(systemParts.join(separator)) +
    (post ? count(post) + tokensPerMessage : 0) +
    (partial !== undefined ? count(partial) + tokensPerMessage : 0) +
    (noteText ? count(noteText) + tokensPerMessage : 0) +
    (charNoteText ? count(charNoteText) + tokensPerMessage : 0) +
    (memoryAt('depth') ? count(memoryText) + tokensPerMessage : 0);

  // ---- history, newest first ---------------------------------------------------------------------------------
  // By id when both are known: a character who has left the conversation is another speaker, group or not.
  const ownMessage = (m: PromptHistoryMessage): boolean =>
    input.characterId !== undefined && m.authorId !== undefined ? m.authorId === input.characterId : !group || m.name === character.name;
  const format = (m: PromptHistoryMessage, index: number): ChatPromptMessage => {
    const depth = end - 1 - index;
    let text = macrosOf(m, index);
    if (transform && (m.role === 'user' || m.role === 'character')) text = transform(text, { placement: m.role === 'user' ? 'user_input' : 'ai_output', depth });
    switch (m.role) {
      case 'user':
        return { role: 'user', content: group ? `${m.name}: ${text}` : text };
      case 'character':
        return ownMessage(m) ? { role: 'assistant', content: text } : { role: 'user', content: `${m.name}: ${text}` };
      case 'narrator':
        return { role: 'user', content: `${m.name || 'Narrator'}: ${text}` };
      default:
        return { role: 'system', content: text };
    }
  };
  const taken: Array<{ message: ChatPromptMessage; tokens: number }> = [];
  /** Takes history messages newest first while they fit, up to `limit` in all; stops at the first that does not. */
  let next = end - 1; // newest history message not yet considered
  const takeHistory = (limit: number): void => {
    for (; taken.length < limit && next >= 0; next--) {
      const m = history[next]!;
      if (m.text.trim() === '') continue; // an empty (failed or placeholder) message tells the model nothing
      const message = format(m, next);
      const tokens = count(message.content) + tokensPerMessage;
      // The newest message always goes in, even alone over the budget (then overBudget says so).
      if (used + tokens > budget && taken.length > 0) return;
      used += tokens;
      taken.push({ message, tokens });
    }
  };
  takeHistory(Math.max(1, input.minHistoryMessages ?? defaultMinHistoryMessages));

  // ---- lorebooks, then example dialogue, then the rest of the history ---------------------------------------
  const lore = selectLore(input.lorebooks, history, {
    env,
    count,
    defaultBudget: Math.floor(budget * (input.worldInfo?.budgetPercent !== undefined ? input.worldInfo.budgetPercent / 100 : defaultBudgetShare)),
    available: Math.max(0, budget - used),
    separatorTokens,
    ...(input.chatLength !== undefined ? { chatLength: input.chatLength } : {}),
    ...(input.loreTimers ? { timers: input.loreTimers } : {}),
    ...(input.random ? { random: input.random } : {}),
    ...(input.recursiveLore !== undefined ? { recursive: input.recursiveLore } : {}),
    ...loreGlobals(input.worldInfo),
    character: { name: character.name, tags: character.tags ?? [] },
  });
  used += lore.tokens;
  const loreText = (e: { content: string; depth: number; position: LorePosition }) =>
    transform ? transform(e.content, { placement: 'world_info', ...(e.position === 'depth' ? { depth: e.depth } : {}) }) : e.content;
  const at = (position: LorePosition) => lore.entries.filter((e) => e.position === position);
  // SillyTavern drops the entries placed around the author's note on turns the note is not inserted.
  const placed = lore.entries.filter((e) => note || (e.position !== 'an_top' && e.position !== 'an_bottom'));

  const examplesBody = exampleDialogue(character.mes_example, env);
  const examples = [...at('em_top').map(loreText), examplesBody, ...at('em_bottom').map(loreText)].filter(Boolean).join(separator);
  const exampleTokens = examplesBody ? count(examplesBody) + tokensPerMessage : 0;
  const exampleDialogueIncluded = exampleTokens > 0 && used + exampleTokens <= budget;
  if (exampleDialogueIncluded) used += exampleTokens;
  const examplesMessage = exampleDialogueIncluded ? examples : [...at('em_top'), ...at('em_bottom')].map(loreText).join(separator);

  takeHistory(Infinity);

  // ---- assemble in the documented order ----------------------------------------------------------------------
  const mainSystem = [system, memoryAt('before_char'), ...lore.before.map(loreText), ...cardSections, ...lore.after.map(loreText), memoryAt('after_char'), othersSection].filter(Boolean).join(separator);
  const head: ChatPromptMessage[] = [{ role: 'system', content: mainSystem }];
  if (examplesMessage) head.push({ role: 'system', content: examplesMessage });
  const tail: ChatPromptMessage[] = [];
  if (post) tail.push({ role: 'system', content: post });
  if (partial !== undefined) tail.push({ role: 'assistant', content: partial });

  const injections: DepthInjection[] = [];
  if (note) {
    const wrapped = [...at('an_top').map(loreText), noteText, ...at('an_bottom').map(loreText)].join('\n').replace(/^\n|\n$/g, '');
    if (wrapped.trim()) injections.push({ depth: note.depth, role: note.role, content: wrapped, source: 'authors-note' });
  }
  if (charNote && charNoteText) injections.push({ depth: charNote.depth, role: charNote.role, content: charNoteText, source: 'character-note' });
  if (memoryAt('depth')) injections.push({ depth: input.memory!.depth, role: input.memory!.role, content: memoryText, source: 'memory' });
  for (const e of at('depth')) injections.push({ depth: e.depth, role: e.role, content: loreText(e), source: 'lore' });
  // Only the injected messages need counting here: history messages were counted as they were taken.
  const injectedTokens = (b: { messages: ChatPromptMessage[]; parts: PromptPart[] }) =>
    b.messages.reduce((n, m, i) => (b.parts[i] === 'history' ? n : n + count(m.content) + tokensPerMessage), 0);
  const fixedTokens = tokensPerReply + [...head, ...tail].reduce((n, m) => n + count(m.content) + tokensPerMessage, 0);
  const build = () => injectAtDepth([...taken].reverse().map((t) => t.message), injections, continuing);
  let body = build();
  let historyTokens = taken.reduce((n, t) => n + t.tokens, 0);
  let promptTokens = fixedTokens + historyTokens + injectedTokens(body);
  // Joined sections can tokenize a little differently from the parts counted above: give back the oldest
  // messages if that tipped the prompt over (never the newest).
  while (promptTokens > budget && taken.length > 1) {
    historyTokens -= taken.pop()!.tokens;
    body = build();
    promptTokens = fixedTokens + historyTokens + injectedTokens(body);
  }
  const overBudget = promptTokens > budget;

  const messages = [...head, ...body.messages, ...tail];
  const parts: PromptPart[] = ['main'];
  if (examplesMessage) parts.push('examples');
  parts.push(...body.parts);
  if (post) parts.push('post-history');
  if (partial !== undefined) parts.push('partial reply');
  const withText = history.slice(0, end).filter((m) => m.text.trim() !== '').length;
  return {
    messages,
    promptTokens,
    tokenizer,
    historyIncluded: taken.length,
    exampleDialogueIncluded,
    loreIncluded: placed.map((e) => e.label),
    parts,
    lore: placed.map((e) => ({ entry: e.label, reason: e.reason, book: e.book, position: e.position, ...(e.position === 'depth' ? { depth: e.depth } : {}) })),
    loreTimers: lore.timers,
    variables,
    historyDropped: withText - taken.length,
    budget,
    overBudget,
    ...(memoryText && input.memory ? { memory: { position: input.memory.position, depth: input.memory.depth, role: input.memory.role, tokens: count(memoryText) } } : {}),
  };
}
