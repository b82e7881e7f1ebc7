/**
 * A conversation's memory: a running summary of its older history, made by the provider (automatically when the
 * history no longer fits the prompt, or on request) or written by the user, and inserted into the prompt at a chosen
 * place. Modelled on SillyTavern's Summarize extension (public/scripts/extensions/memory/index.js); it lives in the
 * conversation's meta, so it is encrypted, syncs and merges with the rest of the conversation (docs/prompt.md "Memory").
 */
import { z } from 'zod';

/**
 * SillyTavern's `defaultPrompt` and `defaultTemplate` (public/scripts/extensions/memory/index.js). `{{words}}` is the
 * summary's length in words (SillyTavern's `promptWords`, default 200); `{{summary}}` the summary's text.
 */
export const defaultSummaryPrompt =
  'Ignore previous instructions. Summarize the most important facts and events in the story so far. If a summary already exists in your memory, use that as a base and expand with new facts. Limit the summary to {{words}} words or less. Your response should include nothing but the summary.';
export const defaultSummaryTemplate = '[Summary: {{summary}}]';

/**
 * Where the summary goes: in the main system message before the character's description or after the character
 * definitions and persona (SillyTavern's "Before / After Main Prompt / Story String"), or in the history at a depth
 * with a role, like the author's note (SillyTavern's "In-chat @ Depth").
 */
export const memoryPositions = ['before_char', 'after_char', 'depth'] as const;
export const MemoryPosition = z.enum(memoryPositions);
export type MemoryPosition = z.infer<typeof MemoryPosition>;

/** How the current text came to be: summarised when the history outgrew the prompt, on request, or typed by the user. */
export const MemoryMadeBy = z.enum(['auto', 'manual', 'edited']);

/** What the user may set (memory.set, the Memory panel). */
export const MemorySettings = z.object({
  text: z.string().max(100_000, 'must be at most 100,000 characters').default(''),
  /** Inserted into the prompt. */
  enabled: z.boolean().default(true),
  /** Summarised again by itself when older messages no longer fit the prompt (SillyTavern: not "frozen"). */
  auto: z.boolean().default(true),
  position: MemoryPosition.default('after_char'),
  /** For `depth`: messages from the end (SillyTavern's default 2). */
  depth: z.number().int().min(0).max(1000).default(2),
  role: z.enum(['system', 'user', 'assistant']).default('system'),
  /** How the summary is inserted; `{{summary}}` is its text. */
  template: z.string().max(2_000).default(defaultSummaryTemplate),
  /** The instruction sent with the text to summarise. */
  prompt: z.string().max(20_000).default(defaultSummaryPrompt),
  /** `{{words}}` in the prompt. */
  words: z.number().int().min(10).max(5_000).default(200),
});

export const ConversationMemory = MemorySettings.extend({
  /** The newest message the summary covers (its id), and how many messages that was, from the first, when made. */
  through: z.string().max(200).optional(),
  covered: z.number().int().min(0).optional(),
  madeAt: z.number().optional(),
  madeBy: MemoryMadeBy.optional(),
  /** Why the last automatic summary failed (fixed words and status codes, never provider text); cleared by the next success. */
  error: z.string().max(1_000).optional(),
});
export type ConversationMemory = z.infer<typeof ConversationMemory>;

/** A memory with every default: what a conversation's first memory starts from (on, and automatic). */
export const blankMemory = (): ConversationMemory => ConversationMemory.parse({});

/** How a conversation without a memory reads: the defaults, but neither used nor made until the user says so. */
export const noMemory = (): ConversationMemory => ({ ...blankMemory(), enabled: false, auto: false });

/**
 * The memory a SillyTavern chat came with: SillyTavern keeps each summary in `extra.memory` of the message it was
 * made at (memory/index.js `setMemoryContext`) and uses the newest (`getLatestMemoryFromChat`); it covers through that
 * message. `ids`: our ids of the chat's messages, index for index. Its settings are SillyTavern's global ones, not in
 * the chat, so ours start from the defaults.
 */
export function memoryFromSillyTavern(messages: ReadonlyArray<{ extra?: Record<string, unknown> }>, ids: readonly string[]): ConversationMemory | undefined {
  for (let i = Math.min(messages.length, ids.length) - 1; i >= 0; i--) {
    const text = messages[i]!.extra?.['memory'];
    if (typeof text === 'string' && text.trim() !== '') return { ...blankMemory(), text: text.slice(0, 100_000), through: ids[i]!, covered: i + 1 };
  }
  return undefined;
}
