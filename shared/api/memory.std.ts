/**
 * A conversation's memory (shared/memory.std.ts, docs/prompt.md "Memory"): read it, change it, or have the provider
 * summarise the messages it does not cover yet. The memory also travels in the conversation's meta
 * (`ConversationInfo.memory`), so an open chat sees changes through `conversation.changed`.
 */
import { z } from 'zod';
import { RecordId, patchOf } from '../domain.std.ts';
import { MemorySettings, type ConversationMemory } from '../memory.std.ts';
import { returns, type CommandDefs } from './contract.std.ts';

export interface MemoryView extends ConversationMemory {
  /** Messages the summary covers (from the first) and messages in the conversation. */
  coveredMessages: number;
  totalMessages: number;
  /** A summary is being made right now. */
  summarizing: boolean;
}

/** Only the fields given change. Setting `text` marks the memory as edited by the user; an empty text covers nothing. */
export const MemoryPatch = patchOf(MemorySettings);

const byConversation = z.object({ conversationId: RecordId });

export const memoryCommands = {
  'memory.get': { input: byConversation, output: returns<MemoryView>() },
  'memory.set': { input: z.object({ conversationId: RecordId, patch: MemoryPatch }), output: returns<MemoryView>() },
  /** Asks the provider for a new summary now; fails (memory unchanged) when there is nothing new or no provider answers. */
  'memory.summarize': { input: byConversation, output: returns<MemoryView & { summarized: number; remaining: number; provider: string }>() },
} satisfies CommandDefs;
