/**
 * The prompt inspector: the exact messages the next reply would send (built by the same buildPrompt with the same
 * provider, preset and tokenizer as the reply), each labelled and counted, and the budget.
 */
import type { PromptInspection } from '../../../shared/api/chat.std.ts';
import type { ResolvedProvider } from '../docs/settings-doc.node.ts';
import { fitPrompt, nextSpeaker, promptBase, toHistory, type ChatContext } from './context.node.ts';
import { buildPrompt } from './prompt.std.ts';
import { countWith, tokenizerFor, tokensPerMessage } from './tokens.std.ts';

/** Without a provider, counts are for a common default window and the estimate. */
const fallback = { contextWindow: 8192, maxTokens: 512, model: '' };

export function inspectPrompt(ctx: ChatContext, provider: ResolvedProvider | null): PromptInspection {
  const p = provider ?? fallback;
  const base = promptBase(ctx, nextSpeaker(ctx), toHistory(ctx, ctx.tail.messages), 'reply');
  const built = fitPrompt(ctx, base, base.history, (history) => buildPrompt({ ...base, history, contextWindow: p.contextWindow, maxTokens: p.maxTokens, model: p.model }));
  const tokenizer = tokenizerFor(p.model);
  return {
    messages: built.messages.map((m, i) => ({ ...m, tokens: countWith(tokenizer, m.content) + tokensPerMessage, part: built.parts[i] ?? 'history' })),
    lore: built.lore,
    budget: {
      provider: provider?.name ?? null,
      model: p.model,
      tokenizer: built.tokenizer,
      estimate: built.tokenizer === 'estimate',
      contextWindow: p.contextWindow,
      maxTokens: p.maxTokens,
      available: built.budget ?? p.contextWindow - p.maxTokens,
      used: built.promptTokens,
      historyIncluded: built.historyIncluded,
      historyDropped: built.historyDropped,
      overBudget: built.overBudget ?? false,
    },
  };
}
