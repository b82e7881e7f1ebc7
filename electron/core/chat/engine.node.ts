/**
 * The chat engine: streams one reply per conversation at a time into an alternative that already exists in the
 * conversation document, falling back over the providers, checkpointing, and recording every request in the ledger.
 *
 * - Fallback: a provider that fails before the first token with 429, 5xx, a refused/cut connection or the
 *   first-token timeout hands over to the next; any other failure (401, 400, 404 …) ends the attempt there. Once
 *   text has arrived there is no fallback: what arrived is kept, status "error", and the message says what failed.
 * - Checkpoints: the text so far is written to the document every `checkpointMs` (1 s) while it changes, and at
 *   the end, so a crash loses at most about a second. Tokens themselves only emit `chat.delta`; nothing on the
 *   token path touches the disk.
 * - Locking the vault: the state's lock hook runs before the session closes; every stream of that session saves
 *   its text as "stopped", records its request, and is aborted. Nothing is written after the lock.
 */
import type { LedgerEntryView } from '../../../shared/api/chat.std.ts';
import type { AlternativeStatus } from '../../../shared/domain.std.ts';
import type { CoreState } from '../api/state.node.ts';
import { emitMessagesChanged } from '../api/conversation-events.node.ts';
import { getCatalogEntry } from '../docs/catalog.node.ts';
import { appendLedger } from '../docs/ledger-doc.node.ts';
import type { ResolvedProvider } from '../docs/settings-doc.node.ts';
import type { VaultSession } from '../session.node.ts';
import { newMeter, type Meter } from './http.node.ts';
import { clearTokenCache } from './prompt.std.ts';
import { clearRegexCache } from './regex-prompt.std.ts';
import type { Payload } from './request.std.ts';
import { loadTokenizerFor } from './tokens.std.ts';
import { streamChat, type Failure, type Timeouts } from './provider-client.node.ts';

export interface ChatEngineOptions extends Timeouts {
  /** How often the streaming text is saved. */
  checkpointMs: number;
}

export const defaultChatOptions: ChatEngineOptions = { firstTokenMs: 60_000, stallMs: 30_000, checkpointMs: 1_000 };

/**
 * Timeouts can be changed with MINDSTAGE_FIRST_TOKEN_TIMEOUT_MS, MINDSTAGE_STALL_TIMEOUT_MS and
 * MINDSTAGE_CHECKPOINT_MS (slow local models; tests).
 */
export function chatOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ChatEngineOptions {
  const num = (name: string, fallback: number) => {
    const v = Number(env[name]);
    return Number.isFinite(v) && v > 0 ? v : fallback;
  };
  return {
    firstTokenMs: num('MINDSTAGE_FIRST_TOKEN_TIMEOUT_MS', defaultChatOptions.firstTokenMs),
    stallMs: num('MINDSTAGE_STALL_TIMEOUT_MS', defaultChatOptions.stallMs),
    checkpointMs: num('MINDSTAGE_CHECKPOINT_MS', defaultChatOptions.checkpointMs),
  };
}

export interface ReplyJob {
  session: VaultSession;
  conversationId: string;
  messageId: string;
  alternativeId: string;
  /** Text already in the alternative (continue): the reply is appended to it. */
  baseText: string;
  /** In the order to try. */
  providers: ResolvedProvider[];
  /** The prompt for a provider (its context window, output limit and model shape it). */
  prompt: (provider: ResolvedProvider) => Payload;
}

interface Run extends ReplyJob {
  controller: AbortController;
  text: string;
  saved: string;
  /** The model's thinking so far, stored beside the text and never sent back in history. */
  reasoning: string;
  savedReasoning: string;
  finished: boolean;
  timer: NodeJS.Timeout;
  current: { provider: ResolvedProvider; meter: Meter; startedAt: number } | null;
}

interface Ending {
  provider?: string;
  model?: string;
  error?: { code: string; message: string };
}

/** What the ledger says about a failure: fixed words and status codes, never text a provider sent back. */
export function ledgerOutcome(f: Failure, afterFirstToken: boolean): string {
  return `error: ${f.tag}${afterFirstToken && f.tag !== 'stalled' ? ' mid-reply' : ''}`;
}

export class ChatEngine {
  readonly options: ChatEngineOptions;
  readonly #state: CoreState;
  readonly #runs = new Map<string, Run>();
  readonly #done = new Map<string, Promise<void>>();

  constructor(state: CoreState, options: ChatEngineOptions = chatOptionsFromEnv()) {
    this.#state = state;
    this.options = options;
    state.onLock((session) => this.#onLock(session));
  }

  isStreaming(conversationId: string): boolean {
    return this.#runs.has(conversationId);
  }

  streamingAlternative(conversationId: string): string | undefined {
    return this.#runs.get(conversationId)?.alternativeId;
  }

  /** Stops the reply streaming in a conversation; false if none was. */
  stop(conversationId: string): boolean {
    const run = this.#runs.get(conversationId);
    if (!run) return false;
    run.controller.abort();
    return true;
  }

  /** Resolves when the conversation's current reply (if any) has ended. */
  settled(conversationId: string): Promise<void> {
    return this.#done.get(conversationId) ?? Promise.resolve();
  }

  /** Starts streaming; returns at once (the reply arrives as events). */
  start(job: ReplyJob): void {
    const run: Run = {
      ...job,
      controller: new AbortController(),
      text: job.baseText,
      saved: job.baseText,
      reasoning: '',
      savedReasoning: '',
      finished: false,
      timer: setInterval(() => this.#checkpoint(run), this.options.checkpointMs),
      current: null,
    };
    run.timer.unref();
    this.#runs.set(job.conversationId, run);
    const done = this.#run(run).catch(() => {
      // A bug, not a provider failure: end the reply clearly without leaking what happened.
      this.#finish(run, 'error', { error: { code: 'internal', message: 'Something went wrong inside Mindstage while the reply streamed; what arrived is kept.' } });
    });
    this.#done.set(job.conversationId, done);
    void done.then(() => {
      if (this.#done.get(job.conversationId) === done) this.#done.delete(job.conversationId);
    });
  }

  #alive(run: Run): boolean {
    return this.#state.session === run.session && !run.session.vault.locked;
  }

  #onText(run: Run, text: string): void {
    if (run.finished) return;
    run.text += text;
    this.#state.emit('chat.delta', { conversationId: run.conversationId, messageId: run.messageId, alternativeId: run.alternativeId, text });
  }

  #onReasoning(run: Run, reasoning: string): void {
    if (run.finished) return;
    run.reasoning += reasoning;
    this.#state.emit('chat.delta', { conversationId: run.conversationId, messageId: run.messageId, alternativeId: run.alternativeId, text: '', reasoning });
  }

  #checkpoint(run: Run): void {
    if (run.finished || (run.text === run.saved && run.reasoning === run.savedReasoning) || !this.#alive(run)) return;
    try {
      run.session.conversations.patchAlternative(run.conversationId, run.messageId, run.alternativeId, { text: run.text, status: 'streaming', ...(run.reasoning ? { reasoning: run.reasoning } : {}) });
      run.saved = run.text;
      run.savedReasoning = run.reasoning;
    } catch {
      // The conversation was deleted meanwhile: nothing to write into, so stop asking the provider.
      run.controller.abort();
    }
  }

  #ledger(session: VaultSession, entry: LedgerEntryView): void {
    if (this.#state.session !== session || session.vault.locked) return;
    appendLedger(session.systemDoc('ledger').doc, entry);
  }

  async #run(run: Run): Promise<void> {
    const failures: string[] = [];
    let code: 'provider' | 'network' = 'network';
    for (const provider of run.providers) {
      if (run.finished || run.controller.signal.aborted) break;
      // The model's tokenizer may load on first use; the prompt is then built and counted with it.
      await loadTokenizerFor(provider.model);
      if (run.finished) return;
      const payload = run.prompt(provider);
      const meter = newMeter();
      run.current = { provider, meter, startedAt: Date.now() };
      const attempt = await streamChat({ provider, payload, timeouts: this.options, signal: run.controller.signal, meter, onText: (t) => this.#onText(run, t), onReasoning: (r) => this.#onReasoning(run, r) });
      // Locked meanwhile: the lock hook has saved and recorded everything already.
      if (run.finished) return;
      run.current = null;
      const o = attempt.outcome;
      const entry = (outcome: string): LedgerEntryView => ({ at: attempt.startedAt, host: attempt.host, purpose: 'chat', bytesOut: meter.bytesOut, bytesIn: meter.bytesIn, status: meter.status, outcome });
      if (o.kind === 'complete') {
        this.#ledger(run.session, entry('ok'));
        return this.#finish(run, 'complete', { provider: provider.name, model: o.model });
      }
      if (o.kind === 'stopped') {
        this.#ledger(run.session, entry('stopped'));
        return this.#finish(run, 'stopped', run.text !== run.baseText ? { provider: provider.name, model: o.model } : {});
      }
      this.#ledger(run.session, entry(ledgerOutcome(o.failure, o.afterFirstToken)));
      if (o.afterFirstToken) {
        return this.#finish(run, 'error', {
          provider: provider.name,
          model: o.model,
          error: { code: o.failure.code, message: `${provider.name} failed mid-reply: ${o.failure.reason.replace(/[.\s]+$/, '')}. The text that arrived is kept.` },
        });
      }
      failures.push(`${provider.name} (${o.failure.reason})`);
      if (o.failure.code === 'provider') code = 'provider';
      if (!o.failure.retryable) break;
    }
    if (run.finished) return;
    if (run.controller.signal.aborted) return this.#finish(run, 'stopped', {});
    const tried = failures.length === 1 ? `Tried ${failures[0]}` : `Tried ${failures.length} providers: ${failures.join('; ')}`;
    this.#finish(run, 'error', { error: { code, message: `No reply. ${tried}.` } });
  }

  #finish(run: Run, status: Exclude<AlternativeStatus, 'streaming'>, end: Ending): void {
    if (run.finished) return;
    run.finished = true;
    clearInterval(run.timer);
    if (this.#runs.get(run.conversationId) === run) this.#runs.delete(run.conversationId);
    // Not written when the vault was locked meanwhile or the conversation deleted; the events go out regardless.
    const written = this.#alive(run) && getCatalogEntry(run.session.catalog, run.conversationId)?.kind === 'conversation';
    if (written) {
      run.session.conversations.patchAlternative(run.conversationId, run.messageId, run.alternativeId, {
        text: run.text,
        status,
        ...(run.reasoning ? { reasoning: run.reasoning } : {}),
        error: end.error?.message,
        ...(end.provider !== undefined ? { provider: end.provider, model: end.model ?? '' } : {}),
      });
      run.session.touch(run.conversationId);
    }
    this.#state.emit('chat.done', {
      conversationId: run.conversationId,
      messageId: run.messageId,
      alternativeId: run.alternativeId,
      status,
      ...(end.error ? { error: end.error } : {}),
      ...(end.provider !== undefined ? { provider: end.provider } : {}),
      ...(end.model !== undefined ? { model: end.model } : {}),
    });
    // After chat.done, so a client that drops its streaming overlay on the final message sees the final text.
    if (written) emitMessagesChanged(this.#state, run.session, run.conversationId, [run.messageId]);
    this.#state.emit('records.changed', { ids: [run.conversationId] });
  }

  #onLock(session: VaultSession): void {
    // Token counts are cached by a hash of message text; a locked vault should leave no trace of what was counted.
    clearTokenCache();
    clearRegexCache();
    for (const run of [...this.#runs.values()]) {
      if (run.session !== session) continue;
      const cur = run.current;
      if (cur) {
        const host = new URL(cur.provider.baseUrl).host;
        this.#ledger(session, { at: cur.startedAt, host, purpose: 'chat', bytesOut: cur.meter.bytesOut, bytesIn: cur.meter.bytesIn, status: cur.meter.status, outcome: 'stopped: vault locked' });
      }
      const answered = cur && run.text !== run.baseText ? { provider: cur.provider.name, model: cur.provider.model } : {};
      this.#finish(run, 'stopped', { ...answered, error: { code: 'locked', message: 'The vault was locked while the reply was streaming; the text so far is kept.' } });
      run.controller.abort();
    }
  }
}
