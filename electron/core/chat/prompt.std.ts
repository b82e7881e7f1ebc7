/**
 * The prompt sent to the provider for the next character message, built from the card's semantics (Character
 * Card V2/V3 and SillyTavern behaviour) within contextWindow − maxTokens. docs/prompt.md documents the order,
 * the budget rules, lorebook activation, macros and token counting; keep it in step with this file.
 *
 * Pure and synchronous: the chat engine (electron/core/chat/*.node.ts) calls it for every request. Nothing that
 * identifies the user, device or vault goes in: only card text, persona text, display names and messages.
 */
import type { CharacterFields, Lorebook, MessageRole, ScenarioFields } from '../../../shared/domain.std.ts';
import { selectLore, defaultBudgetShare } from './lorebook.std.ts';
import { applyMacros, replaceOriginal, type MacroNames } from './macros.std.ts';
import { countWith, tokenizerFor, tokensPerMessage, tokensPerReply } from './tokens.std.ts';
import { applyRegexScripts } from '../../../shared/regex/engine.std.ts';
import { regexPlacement, type RegexScript } from '../../../shared/regex/script.std.ts';

export { countTokens, clearTokenCache, tokenizerFor } from './tokens.std.ts';

export interface PromptHistoryMessage {
  role: MessageRole;
  /** display name of the speaker */
  name: string;
  text: string;
  /** character id for character messages */
  authorId?: string;
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
  /** Character book and scenario lorebook (either may be absent). */
  lorebooks: Lorebook[];
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
  /** Regex scripts in force (shared/regex): their prompt-side rewrites apply to history and lore entries. */
  regexScripts?: RegexScript[];
}

export interface ChatPromptMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** `main`: system prompt, character, scenario, persona, other members and lore entries, in that one message. */
export type PromptPart = 'main' | 'examples' | 'history' | 'post-history' | 'partial reply';

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
  lore: { entry: string; reason: string }[];
  /** History messages with text that did not fit. */
  historyDropped: number;
  /** contextWindow − maxTokens. */
  budget?: number;
  /**
   * True when even the fixed parts and the newest message exceed the budget (they are still sent: cutting the
   * message being answered would make a wrong reply; the provider's context error is the honest outcome).
   */
  overBudget?: boolean;
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
function exampleDialogue(mesExample: string, names: MacroNames): string {
  return applyMacros(mesExample, names)
    .split(/<start>/i)
    .map((b) => b.trim())
    .filter(Boolean)
    .map((b) => `[Example Chat]\n${b}`)
    .join(separator);
}

export function buildPrompt(input: PromptInput): BuiltPrompt {
  const { character, history } = input;
  const tokenizer = tokenizerFor(input.model);
  const count = (text: string): number => countWith(tokenizer, text);
  const budget = Math.max(0, input.contextWindow - input.maxTokens);
  const names: MacroNames = { char: character.name, user: input.userName };
  const cardText = (text: string, n: MacroNames = names): string => applyMacros(text, n).trim();
  const group = input.otherCharacters.length > 0;

  // ---- fixed parts: system prompt and card fields, post-history instructions, the partial reply -------------
  const baseDefault = input.defaultSystemPrompt ?? (group ? defaultGroupSystemPrompt : defaultSystemPrompt);
  const members = listNames([character.name, ...input.otherCharacters.map((c) => c.name)]);
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
      const about = cardText(c.description, { char: c.name, user: input.userName }) || cardText(c.personality, { char: c.name, user: input.userName });
      return about ? `${c.name}: ${clip(about, otherCharacterChars)}` : c.name;
    })
    .join('\n');
  const othersSection = others && `Other characters in this group chat:\n${others}`;
  const post = cardText(replaceOriginal(character.post_history_instructions, input.defaultPostHistoryInstructions ?? ''));

  const continuing = input.mode === 'continue' && history.length > 0;
  const end = continuing ? history.length - 1 : history.length;
  // Not trimmed: the model extends this text exactly as it stands, trailing space included.
  const partial = continuing ? applyMacros(history[end]!.text, names) : undefined;

  const systemParts = [system, ...cardSections, othersSection].filter(Boolean);
  let used =
    tokensPerReply +
    tokensPerMessage +
    count(systemParts.join(separator)) +
    (post ? count(post) + tokensPerMessage : 0) +
    (partial !== undefined ? count(partial) + tokensPerMessage : 0);

  // ---- history, newest first ---------------------------------------------------------------------------------
  // By id when both are known: a character who has left the conversation is another speaker, group or not.
  const ownMessage = (m: PromptHistoryMessage): boolean =>
    input.characterId !== undefined && m.authorId !== undefined ? m.authorId === input.characterId : !group || m.name === character.name;
  const scripts = input.regexScripts ?? [];
  /** Prompt-side regex scripts (depth counts from the newest message, 0 = the last). */
  const regexed = (text: string, placement: 1 | 2 | 5, depth: number | undefined, n: MacroNames): string =>
    scripts.length === 0 ? text : applyRegexScripts(text, scripts, { placement, mode: 'prompt', ...(depth === undefined ? {} : { depth }), macros: (t) => applyMacros(t, n) });
  const format = (m: PromptHistoryMessage, depth: number): ChatPromptMessage => {
    const n = m.role === 'character' ? { char: m.name, user: input.userName } : names;
    const text = regexed(applyMacros(m.text, n), m.role === 'user' ? regexPlacement.userInput : regexPlacement.aiOutput, depth, n);
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
      const message = format(m, history.length - 1 - next);
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
    names,
    count,
    defaultBudget: Math.floor(budget * defaultBudgetShare),
    available: Math.max(0, budget - used),
    separatorTokens,
  });
  used += lore.tokens;

  const examples = exampleDialogue(character.mes_example, names);
  const exampleTokens = examples ? count(examples) + tokensPerMessage : 0;
  const exampleDialogueIncluded = exampleTokens > 0 && used + exampleTokens <= budget;
  if (exampleDialogueIncluded) used += exampleTokens;

  takeHistory(Infinity);

  // ---- assemble in the documented order ----------------------------------------------------------------------
  const loreText = (e: { content: string }): string => regexed(e.content, regexPlacement.worldInfo, undefined, names);
  const mainSystem = [system, ...lore.before.map(loreText), ...cardSections, ...lore.after.map(loreText), othersSection]
    .filter(Boolean)
    .join(separator);
  const head: ChatPromptMessage[] = [{ role: 'system', content: mainSystem }];
  if (exampleDialogueIncluded) head.push({ role: 'system', content: examples });
  const tail: ChatPromptMessage[] = [];
  if (post) tail.push({ role: 'system', content: post });
  if (partial !== undefined) tail.push({ role: 'assistant', content: partial });

  let promptTokens = tokensPerReply + [...head, ...tail].reduce((n, m) => n + count(m.content) + tokensPerMessage, 0) + taken.reduce((n, t) => n + t.tokens, 0);
  // Joined sections can tokenize a little differently from the parts counted above: give back the oldest
  // messages if that tipped the prompt over (never the newest).
  while (promptTokens > budget && taken.length > 1) promptTokens -= taken.pop()!.tokens;
  const overBudget = promptTokens > budget;

  const messages = [...head];
  const parts: PromptPart[] = ['main'];
  if (exampleDialogueIncluded) parts.push('examples');
  for (let i = taken.length - 1; i >= 0; i--) {
    messages.push(taken[i]!.message);
    parts.push('history');
  }
  messages.push(...tail);
  if (post) parts.push('post-history');
  if (partial !== undefined) parts.push('partial reply');
  const withText = history.slice(0, end).filter((m) => m.text.trim() !== '').length;
  return {
    messages,
    promptTokens,
    tokenizer,
    historyIncluded: taken.length,
    exampleDialogueIncluded,
    loreIncluded: [...lore.before, ...lore.after].map((e) => e.label),
    parts,
    lore: [...lore.before, ...lore.after].map((e) => ({ entry: e.label, reason: e.reason })),
    historyDropped: withText - taken.length,
    budget,
    overBudget,
  };
}
