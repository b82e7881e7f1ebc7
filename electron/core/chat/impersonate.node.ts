/**
 * Impersonate, as SillyTavern means it: the AI writes the user's next turn, which goes into the composer and is
 * sent only if the user sends it. Nothing is stored but the request's ledger entry. The prompt is the next reply's,
 * followed by SillyTavern's default impersonation instruction (public/scripts/openai.js
 * `default_impersonation_prompt`), with room kept for it in the budget.
 */
import { MindstageError } from '../../../shared/result.std.ts';
import { appendLedger } from '../docs/ledger-doc.node.ts';
import type { ResolvedProvider } from '../docs/settings-doc.node.ts';
import type { VaultSession } from '../session.node.ts';
import { fitPrompt, nextSpeaker, payloadNames, promptBase, toHistory, type ChatContext } from './context.node.ts';
import { payloadFor } from './request.std.ts';
import { loadTokenizerFor } from './tokens.std.ts';
import { ledgerOutcome, type ChatEngineOptions } from './engine.node.ts';
import { buildPrompt } from './prompt.std.ts';
import { newMeter } from './http.node.ts';
import { streamChat } from './provider-client.node.ts';

export const impersonationInstruction = (user: string) =>
  `[Write your next reply from the point of view of ${user}, using the chat history so far as a guideline for the writing style of ${user}. Don't write as or describe actions of other characters.]`;

/** Room for the instruction, which the prompt builder does not know about. */
const INSTRUCTION_TOKENS = 96;

export async function suggestUserTurn(s: VaultSession, ctx: ChatContext, providers: ResolvedProvider[], options: ChatEngineOptions): Promise<{ text: string; provider: string }> {
  const base = promptBase(ctx, nextSpeaker(ctx), toHistory(ctx, ctx.tail.messages), 'reply');
  const failures: string[] = [];
  for (const provider of providers) {
    await loadTokenizerFor(provider.model);
    const built = fitPrompt(ctx, base, base.history, (history) => buildPrompt({ ...base, history, contextWindow: provider.contextWindow, maxTokens: provider.maxTokens + INSTRUCTION_TOKENS, model: provider.model }));
    const messages = [...built.messages, { role: 'system' as const, content: impersonationInstruction(ctx.userName) }];
    // Text completion: the instruction is a system turn after the history, and the prompt ends on the user's turn.
    const payload = payloadFor(messages, [...built.parts, 'post-history'], provider, payloadNames(base), 'user');
    let text = '';
    const meter = newMeter();
    const attempt = await streamChat({ provider, payload, timeouts: options, signal: new AbortController().signal, meter, onText: (t) => (text += t) });
    const o = attempt.outcome;
    const outcome = o.kind === 'complete' ? 'ok' : o.kind === 'stopped' ? 'stopped' : ledgerOutcome(o.failure, o.afterFirstToken);
    if (!s.vault.locked) appendLedger(s.systemDoc('ledger').doc, { at: attempt.startedAt, host: attempt.host, purpose: 'chat', bytesOut: meter.bytesOut, bytesIn: meter.bytesIn, status: meter.status, outcome });
    if (o.kind === 'complete') {
      // Models often start with the speaker's name, as the history shows it; the composer wants just the words.
      const name = ctx.userName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return { text: text.replace(new RegExp(`^\\s*${name}:\\s*`), '').trim(), provider: provider.name };
    }
    if (o.kind === 'failed') {
      failures.push(`${provider.name}: ${o.failure.reason}`);
      if (o.afterFirstToken || !o.failure.retryable) throw new MindstageError(o.failure.code, `${provider.name} could not write your turn: ${o.failure.reason}.`);
    }
  }
  throw new MindstageError('network', `No provider could write your turn. ${failures.join('; ')}.`);
}
