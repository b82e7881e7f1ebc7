/** A conversation's memory: read, change, summarise now (chat/summarize.node.ts makes the summary). */
import type { Handlers } from '../../../shared/api/contract.std.ts';
import type { MemoryView, memoryCommands } from '../../../shared/api/memory.std.ts';
import { blankMemory, noMemory, type ConversationMemory } from '../../../shared/memory.std.ts';
import type { VaultSession } from '../session.node.ts';
import { chatOptionsFromEnv } from '../chat/engine.node.ts';
import { coveredCount, summarizerFor, writeMemory } from '../chat/summarize.node.ts';
import { orderedProviders } from './chat-handlers.node.ts';
import { readInfo } from './conversation-events.node.ts';
import type { CoreState } from './state.node.ts';

export function memoryHandlers(state: CoreState): Handlers<typeof memoryCommands> {
  const summarizer = summarizerFor(state, chatOptionsFromEnv());
  const view = (s: VaultSession, id: string, memory: ConversationMemory = readInfo(s, id).memory ?? noMemory()): MemoryView => {
    const total = s.conversations.count(id);
    return { ...memory, coveredMessages: coveredCount(s, id, memory, total), totalMessages: total, summarizing: summarizer.isRunning(id) };
  };
  return {
    'memory.get': async ({ conversationId }) => view(state.requireSession(), conversationId),

    'memory.set': async ({ conversationId: id, patch }) => {
      const s = state.requireSession();
      const current = readInfo(s, id).memory ?? blankMemory();
      const next: ConversationMemory = { ...current, ...patch };
      if (patch.text !== undefined && patch.text !== current.text) {
        next.madeBy = 'edited';
        next.madeAt = s.now();
        delete next.error;
        // An empty memory stands for nothing: the next summary starts from the first message.
        if (patch.text.trim() === '') {
          delete next.through;
          delete next.covered;
        }
      }
      writeMemory(state, s, id, next);
      return view(s, id, next);
    },

    'memory.summarize': async ({ conversationId: id }) => {
      const s = state.requireSession();
      const meta = readInfo(s, id);
      const r = await summarizer.summarize(s, id, orderedProviders(s, meta.provider, meta.preset));
      return { ...view(s, id, r.memory), summarized: r.summarized, remaining: r.remaining, provider: r.provider };
    },
  };
}
