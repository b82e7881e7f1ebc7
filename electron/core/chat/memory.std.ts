/**
 * The memory's pure parts: how the summary goes into the prompt (its template and position) and the request that
 * makes the next summary. The request is SillyTavern's "raw" summary prompt (public/scripts/extensions/memory/
 * index.js `getRawSummaryPrompt`): the instruction as a system message, then one user message holding the previous
 * summary and the messages to add, each as `Name:\ntext`, joined by a blank line — so each summary costs the previous
 * summary plus one batch of messages, never the whole chat.
 */
import type { ConversationMemory } from '../../../shared/memory.std.ts';
import { applyMacros, type MacroEnv } from './macros.std.ts';
import type { ChatPromptMessage, PromptHistoryMessage, PromptMemory } from './prompt.std.ts';
import { tokensPerMessage, tokensPerReply } from './tokens.std.ts';

/** The memory as buildPrompt takes it, when it is on and has text. */
export function memoryForPrompt(memory: ConversationMemory | undefined): PromptMemory | undefined {
  if (!memory || !memory.enabled || memory.text.trim() === '') return undefined;
  const text = memory.text.trim();
  // Replaced with a function, so a `$&` in the summary stays as written.
  const formatted = memory.template.trim() === '' ? text : memory.template.replace(/\{\{summary\}\}/gi, () => text);
  return { text: formatted, position: memory.position, depth: memory.depth, role: memory.role };
}

const how = { auto: 'summarised automatically', manual: 'summarised on request', edited: 'written or edited by the user' } as const;

/** Why the memory is in a prompt, for the inspector: what it covers and how it was made. */
export function memoryReason(memory: ConversationMemory): string {
  const covers = memory.covered ? `summary of the first ${memory.covered} message${memory.covered === 1 ? '' : 's'}` : 'summary';
  const made = memory.madeBy ? `, ${how[memory.madeBy]}${memory.madeAt ? ` ${new Date(memory.madeAt).toISOString().slice(0, 16).replace('T', ' ')} UTC` : ''}` : '';
  return `memory: ${covers}${made}`;
}

/** Room SillyTavern keeps free in a summary request beyond what it counts (its PADDING). */
const PADDING = 64;

export interface SummaryRequest {
  messages: ChatPromptMessage[];
  /** How many of `history` (from its start) it covers, and how many of those had text that went in. */
  taken: number;
  added: number;
}

/**
 * The request for the next summary: the previous summary and as many of `history` (oldest first, the messages the
 * summary does not cover yet) as fit in `budget` tokens. Takes none when not even the first fits beside the
 * previous summary; the caller says so rather than sending a request that cannot help.
 */
export function summaryRequest(memory: ConversationMemory, history: PromptHistoryMessage[], o: { budget: number; count: (text: string) => number; env: MacroEnv }): SummaryRequest {
  const instruction = applyMacros(memory.prompt.replace(/\{\{words\}\}/gi, String(memory.words)), { ...o.env, writeVars: false }).trim();
  const previous = memory.text.trim();
  const parts: string[] = previous ? [previous] : [];
  let used = tokensPerReply + 2 * tokensPerMessage + PADDING + o.count(instruction) + (previous ? o.count(previous) : 0);
  let taken = 0;
  let added = 0;
  for (const m of history) {
    const text = applyMacros(m.text, { ...o.env, ...(m.role === 'character' ? { char: m.name } : {}), seed: m.seed ?? '', writeVars: false }).trim();
    if (text !== '') {
      const entry = `${m.name}:\n${text}`;
      const tokens = o.count(entry) + 2; // the blank line that joins it
      if (used + tokens > o.budget) break;
      used += tokens;
      parts.push(entry);
      added++;
    }
    taken++;
  }
  const messages: ChatPromptMessage[] = [
    { role: 'system', content: instruction },
    { role: 'user', content: parts.join('\n\n') },
  ];
  return { messages, taken, added };
}

