/**
 * Making a conversation's memory (docs/prompt.md "Memory"): the provider is asked for a new summary from the previous
 * one and the messages it does not cover yet, on request (`memory.summarize`) or by itself after a reply, when the
 * next prompt no longer holds every message the summary leaves out. One request per summary, over the same providers
 * in the same order as a reply, recorded in the ledger like one; a failure or a stall changes nothing but the
 * memory's `error` note (automatic runs), and an edit made meanwhile wins over the summary that arrives.
 */
import { MindstageError } from '../../../shared/result.std.ts';
import { blankMemory, type ConversationMemory } from '../../../shared/memory.std.ts';
import type { Message } from '../../../shared/domain.std.ts';
import type { CoreState } from '../api/state.node.ts';
import { emitChanges, readInfo } from '../api/conversation-events.node.ts';
import { writeMeta } from '../docs/conversation-doc.node.ts';
import { appendLedger } from '../docs/ledger-doc.node.ts';
import type { ResolvedProvider } from '../docs/settings-doc.node.ts';
import type { VaultSession } from '../session.node.ts';
import { fitPrompt, loadContext, nextSpeaker, payloadNames, promptBase, toHistory, type ChatContext } from './context.node.ts';
import { ledgerOutcome } from './engine.node.ts';
import { newMeter } from './http.node.ts';
import { summaryRequest } from './memory.std.ts';
import { buildPrompt, type PromptHistoryMessage } from './prompt.std.ts';
import { streamChat, type Timeouts } from './provider-client.node.ts';
import { payloadFor } from './request.std.ts';
import { countWith, loadTokenizerFor, tokenizerFor } from './tokens.std.ts';

/**
 * An automatic summary covers this many messages beyond the oldest one the prompt still holds, so the next one is
 * due only after about as many more turns (SillyTavern summarises every 10 messages by default, `promptInterval`).
 */
export const AHEAD = 10;
/** The most messages one summary request reads; a longer backlog is caught up one request at a time. */
export const MAX_BATCH = 500;

export interface SummaryResult {
  memory: ConversationMemory;
  /** Messages this summary added, and those after them it still does not cover. */
  summarized: number;
  remaining: number;
  provider: string;
}

/** Where the memory's coverage ends: just after its `through` message, else its recorded count (that message deleted). */
export function coveredCount(s: VaultSession, id: string, memory: ConversationMemory, total: number): number {
  if (memory.text.trim() === '' && memory.through === undefined) return 0;
  if (memory.through !== undefined) {
    const at = s.conversations.indexOf(id, memory.through);
    if (at >= 0) return at + 1;
  }
  return Math.min(memory.covered ?? 0, total);
}

/** Stores a conversation's memory and tells the clients (the conversation's meta changed). */
export function writeMemory(state: CoreState, s: VaultSession, id: string, memory: ConversationMemory): void {
  // Yjs stores JSON: leave out what is unset rather than writing `undefined`.
  const clean = Object.fromEntries(Object.entries(memory).filter(([, v]) => v !== undefined)) as ConversationMemory;
  writeMeta(s.record(id, 'conversation').doc, { memory: clean });
  emitChanges(state, s, id, [{ kind: 'meta', meta: readInfo(s, id) }]);
  state.emit('records.changed', { ids: [id] });
}

/** Absolute index of the oldest message the next reply's prompt holds (0 when it holds them all). */
function promptStart(ctx: ChatContext, provider: ResolvedProvider): number {
  const base = promptBase(ctx, nextSpeaker(ctx), toHistory(ctx, ctx.tail.messages), 'reply');
  const built = fitPrompt(ctx, base, base.history, (history) => buildPrompt({ ...base, history, contextWindow: provider.contextWindow, maxTokens: provider.maxTokens, model: provider.model }));
  if (built.historyDropped === 0) return 0;
  // buildPrompt takes the newest messages with text, without a gap: count them back from the newest.
  const read = [...ctx.tail.older, ...ctx.tail.messages];
  let held = 0;
  for (let i = read.length - 1; i >= 0; i--) {
    const m = read[i]!;
    if ((m.alternatives[m.chosen]?.text ?? '').trim() !== '' && ++held >= built.historyIncluded) return ctx.tail.unread + i;
  }
  return ctx.tail.unread;
}

export class Summarizer {
  readonly #state: CoreState;
  readonly #timeouts: Timeouts;
  readonly #running = new Set<string>();
  /** Requests in flight, so locking the vault can record and abort them (as the chat engine does). */
  readonly #inFlight = new Set<{ session: VaultSession; controller: AbortController; startedAt: number; host: string; meter: ReturnType<typeof newMeter>; recorded: boolean }>();

  constructor(state: CoreState, timeouts: Timeouts) {
    this.#state = state;
    this.#timeouts = timeouts;
    state.onLock((session) => {
      for (const r of this.#inFlight) {
        if (r.session !== session) continue;
        appendLedger(session.systemDoc('ledger').doc, { at: r.startedAt, host: r.host, purpose: 'summary', bytesOut: r.meter.bytesOut, bytesIn: r.meter.bytesIn, status: r.meter.status, outcome: 'stopped: vault locked' });
        r.recorded = true;
        r.controller.abort();
      }
    });
  }

  /** Whether a summary is being made for the conversation. */
  isRunning(conversationId: string): boolean {
    return this.#running.has(conversationId);
  }

  /**
   * On request: summarises the messages after those the memory covers, up to the newest (as many as one request
   * holds). Throws a MindstageError when there is nothing to add or every provider failed; the memory is then
   * unchanged.
   */
  async summarize(s: VaultSession, conversationId: string, providers: ResolvedProvider[]): Promise<SummaryResult> {
    const result = await this.#run(s, conversationId, providers, 'manual');
    if (!result) throw new MindstageError('usage', 'The memory already covers every message of this conversation.');
    return result;
  }

  /**
   * After a reply that completed: when the memory is on and automatic, and the next prompt leaves out messages it
   * does not cover, summarise them (and AHEAD more). A failure is noted on the memory, for the Memory panel to show.
   */
  async afterReply(s: VaultSession, conversationId: string, message: { id: string; alternativeId: string }, providers: ResolvedProvider[]): Promise<void> {
    if (!this.#live(s) || this.#running.has(conversationId)) return;
    try {
      const memory = readInfo(s, conversationId).memory;
      if (!memory?.enabled || !memory.auto) return;
      const alt = s.conversations.message(conversationId, message.id)?.alternatives.find((a) => a.id === message.alternativeId);
      if (alt?.status !== 'complete') return;
      await this.#run(s, conversationId, providers, 'auto');
    } catch (e) {
      // Nobody awaits this run: the note on the memory is how the failure reaches the user (the Memory panel).
      const why = e instanceof MindstageError ? e.message : 'Something went wrong inside Mindstage.';
      try {
        const now = this.#live(s) ? readInfo(s, conversationId).memory : undefined;
        if (now) this.#write(s, conversationId, { ...now, error: `The last automatic summary failed. ${why}`.slice(0, 1_000) });
      } catch {
        // The conversation was deleted or the vault locked meanwhile: there is nothing left to note it on.
      }
    }
  }

  #live(s: VaultSession): boolean {
    return this.#state.session === s && !s.vault.locked;
  }

  #write(s: VaultSession, id: string, memory: ConversationMemory): void {
    writeMemory(this.#state, s, id, memory);
  }

  async #run(s: VaultSession, id: string, providers: ResolvedProvider[], how: 'manual' | 'auto'): Promise<SummaryResult | null> {
    if (this.#running.has(id)) throw new MindstageError('usage', 'A summary is already being made for this conversation.');
    this.#running.add(id);
    try {
      return await this.#summarize(s, id, providers, how);
    } finally {
      this.#running.delete(id);
    }
  }

  async #summarize(s: VaultSession, id: string, providers: ResolvedProvider[], how: 'manual' | 'auto'): Promise<SummaryResult | null> {
    const ctx = loadContext(s, id);
    const before = ctx.conversation.memory;
    const memory = before ?? blankMemory();
    const total = s.conversations.count(id);
    const start = coveredCount(s, id, memory, total);
    let end = total;
    if (how === 'auto') {
      await loadTokenizerFor(providers[0]!.model);
      const held = promptStart(ctx, providers[0]!);
      if (start >= held) return null;
      end = Math.min(total, held + AHEAD);
    }
    if (start >= end) return null;
    const messages: Message[] = s.conversations.range(id, start, Math.min(MAX_BATCH, end - start));
    const history: PromptHistoryMessage[] = messages.map((m) => toHistory(ctx, [m])[0] ?? { role: m.role, name: '', text: '' });
    const speaker = ctx.characters.get(ctx.characterIds[0] ?? '');
    const env = { char: speaker?.name ?? 'Character', user: ctx.userName, vars: ctx.variables };
    const names = speaker ? payloadNames(promptBase(ctx, ctx.characterIds[0]!, [], 'reply')) : { userName: ctx.userName, charName: 'Character', group: false };

    const failures: string[] = [];
    let code: 'provider' | 'network' = 'network';
    for (const provider of providers) {
      await loadTokenizerFor(provider.model);
      const tokenizer = tokenizerFor(provider.model);
      const request = summaryRequest(memory, history, { budget: provider.contextWindow - provider.maxTokens, count: (t) => countWith(tokenizer, t), env });
      if (request.added === 0 && request.taken < history.length) {
        throw new MindstageError('usage', `The next message to summarise does not fit in ${provider.name}'s context window beside the summary so far. Shorten the summary or choose a provider with a larger context window.`);
      }
      if (request.taken === 0) return null;
      const payload = payloadFor(request.messages, ['main', 'history'], provider, names);
      let text = '';
      const flight = { session: s, controller: new AbortController(), startedAt: Date.now(), host: new URL(provider.baseUrl).host, meter: newMeter(), recorded: false };
      this.#inFlight.add(flight);
      const meter = flight.meter;
      const attempt = await streamChat({ provider, payload, timeouts: this.#timeouts, signal: flight.controller.signal, meter, onText: (t) => (text += t) }).finally(() => this.#inFlight.delete(flight));
      const o = attempt.outcome;
      const outcome = o.kind === 'complete' ? 'ok' : o.kind === 'stopped' ? 'stopped' : ledgerOutcome(o.failure, o.afterFirstToken);
      if (flight.recorded) throw new MindstageError('locked', 'The vault was locked before the summary arrived; the memory is unchanged.');
      if (this.#live(s)) appendLedger(s.systemDoc('ledger').doc, { at: attempt.startedAt, host: attempt.host, purpose: 'summary', bytesOut: meter.bytesOut, bytesIn: meter.bytesIn, status: meter.status, outcome });
      if (o.kind === 'complete' && text.trim() !== '') {
        if (!this.#live(s)) throw new MindstageError('locked', 'The vault was locked before the summary arrived; the memory is unchanged.');
        const current = readInfo(s, id).memory;
        if ((current?.text ?? '') !== (before?.text ?? '') || current?.through !== before?.through) {
          throw new MindstageError('usage', 'The memory was changed while the summary was being made; the changed memory is kept and the new summary discarded.');
        }
        const last = messages[request.taken - 1]!;
        const next: ConversationMemory = { ...(current ?? memory), text: text.trim(), through: last.id, covered: start + request.taken, madeAt: s.now(), madeBy: how, error: undefined };
        this.#write(s, id, next);
        return { memory: next, summarized: request.taken, remaining: total - start - request.taken, provider: provider.name };
      }
      if (o.kind === 'complete') {
        failures.push(`${provider.name} (the answer was empty)`);
        code = 'provider';
        continue;
      }
      if (o.kind === 'stopped') throw new MindstageError('aborted', 'The summary was stopped; the memory is unchanged.');
      failures.push(`${provider.name} (${o.failure.reason})`);
      if (o.failure.code === 'provider') code = 'provider';
      if (o.afterFirstToken || !o.failure.retryable) break;
    }
    const tried = failures.length === 1 ? failures[0]! : `${failures.length} providers: ${failures.join('; ')}`;
    throw new MindstageError(code, `No summary: tried ${tried}. The memory is unchanged.`);
  }
}

/** One summarizer per core state, shared by the chat commands (automatic runs) and the memory commands. */
const summarizers = new WeakMap<CoreState, Summarizer>();
export function summarizerFor(state: CoreState, timeouts: Timeouts): Summarizer {
  let s = summarizers.get(state);
  if (!s) summarizers.set(state, (s = new Summarizer(state, timeouts)));
  return s;
}
