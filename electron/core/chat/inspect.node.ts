/**
 * The prompt inspector: the exact messages the next reply would send (built by the same buildPrompt with the same
 * provider, preset and tokenizer as the reply), each labelled and counted, and the budget. For a text-completion
 * provider also the one prompt string those messages become in its instruct format, which is what is sent and
 * what `budget.used` counts.
 */
import type { PromptInspection } from '../../../shared/api/chat.std.ts';
import type { ResolvedProvider } from '../docs/settings-doc.node.ts';
import { fitPrompt, nextSpeaker, payloadNames, promptBase, toHistory, type ChatContext } from './context.node.ts';
import { buildPrompt } from './prompt.std.ts';
import { payloadFor } from './request.std.ts';
import { countWith, tokenizerFor, tokensPerMessage } from './tokens.std.ts';
import { memoryReason } from './memory.std.ts';
import type { ConversationMemory } from '../../../shared/memory.std.ts';
import type { BuiltPrompt } from './prompt.std.ts';

/** Without a provider, counts are for a common default window and the estimate. */
const fallback = { contextWindow: 8192, maxTokens: 512, model: '' };

function memoryInspection(m: NonNullable<BuiltPrompt['memory']>, memory: ConversationMemory | undefined): NonNullable<PromptInspection['memory']> {
  const reason = memory ? memoryReason(memory) : 'memory';
  return m.position === 'depth' ? { position: m.position, depth: m.depth, role: m.role, tokens: m.tokens, reason } : { position: m.position, tokens: m.tokens, reason };
}

/** `past`: a reply already made — the history before message `index`, answered by `speaker`. */
export function inspectPrompt(ctx: ChatContext, provider: ResolvedProvider | null, past?: { index: number; speaker: string }): PromptInspection {
  const p = provider ?? fallback;
  const messages = past ? ctx.tail.messages.slice(0, past.index) : ctx.tail.messages;
  const base = promptBase(ctx, past?.speaker ?? nextSpeaker(ctx), toHistory(ctx, messages), 'reply');
  const built = fitPrompt(ctx, base, base.history, (history) => buildPrompt({ ...base, history, contextWindow: p.contextWindow, maxTokens: p.maxTokens, model: p.model }));
  const tokenizer = tokenizerFor(p.model);
  const payload = provider ? payloadFor(built.messages, built.parts, provider, payloadNames(base)) : null;
  const text =
    payload?.kind === 'text'
      ? {
          instruct: payload.instruct,
          context: payload.context,
          prompt: payload.prompt,
          stop: payload.stop,
          pieces: payload.pieces.map((piece) => ({ ...piece, tokens: countWith(tokenizer, piece.text) })),
        }
      : undefined;
  return {
    messages: built.messages.map((m, i) => ({ ...m, tokens: countWith(tokenizer, m.content) + tokensPerMessage, part: built.parts[i] ?? 'history' })),
    lore: built.lore,
    ...(built.memory ? { memory: memoryInspection(built.memory, ctx.conversation.memory) } : {}),
    ...(text ? { text } : {}),
    budget: {
      provider: provider?.name ?? null,
      model: p.model,
      tokenizer: built.tokenizer,
      estimate: built.tokenizer === 'estimate',
      contextWindow: p.contextWindow,
      maxTokens: p.maxTokens,
      available: built.budget ?? p.contextWindow - p.maxTokens,
      // A text prompt has no per-message framing: what is sent is the one string.
      used: text ? countWith(tokenizer, text.prompt) : built.promptTokens,
      historyIncluded: built.historyIncluded,
      historyDropped: built.historyDropped,
      overBudget: built.overBudget ?? false,
    },
  };
}
