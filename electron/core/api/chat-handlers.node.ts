/**
 * Chat commands: send, stop, regenerate, continue, impersonate, provider test, portraits and the ledger. Each chat
 * command writes the messages it needs first (so they exist the moment the command returns), then the engine
 * (chat/engine.node.ts) streams the reply as chat.delta events and ends it with chat.done.
 */
import { MindstageError, fail } from '../../../shared/result.std.ts';
import type { Handlers } from '../../../shared/api/contract.std.ts';
import type { ChatStarted, chatCommands } from '../../../shared/api/chat.std.ts';
import type { CharacterFields, Message } from '../../../shared/domain.std.ts';
import { deleteAsset, putAsset } from '../docs/assets.node.ts';
import { readFields, writeFields } from '../docs/fields-doc.node.ts';
import { newItemId } from '../docs/ids.node.ts';
import { appendLedger, readLedger } from '../docs/ledger-doc.node.ts';
import { getPreset } from '../docs/presets-doc.node.ts';
import { getProvider, listProviders, type ResolvedProvider } from '../docs/settings-doc.node.ts';
import type { VaultSession } from '../session.node.ts';
import { fitPrompt, keepPromptState, loadContext, nextSpeaker, payloadNames, promptBase, tailLength, toHistory, type ChatContext } from '../chat/context.node.ts';
import { ConversationTail, FIRST_READ } from '../chat/history.node.ts';
import { payloadFor } from '../chat/request.std.ts';
import { withPortraitIfShared } from '../chat/portrait-share.node.ts';
import { loadTokenizerFor } from '../chat/tokens.std.ts';
import { resolveTemplates } from '../docs/templates-doc.node.ts';
import { ChatEngine } from '../chat/engine.node.ts';
import { suggestUserTurn } from '../chat/impersonate.node.ts';
import { summarizerFor } from '../chat/summarize.node.ts';
import { inspectPrompt } from '../chat/inspect.node.ts';
import { buildPrompt, type PromptHistoryMessage } from '../chat/prompt.std.ts';
import { generateImage, listModels, testProvider } from '../chat/provider-client.node.ts';
import { addMessage, emitAppended } from './conversation-handlers.node.ts';
import { emitMessagesChanged } from './conversation-events.node.ts';
import type { CoreState } from './state.node.ts';

const TEST_TIMEOUT_MS = 30_000;
const IMAGE_TIMEOUT_MS = 180_000;

/** Providers to try in order, each with the preset in force (the conversation's, else the provider's own). */
export function orderedProviders(s: VaultSession, preferred: string | undefined, conversationPreset?: string): ResolvedProvider[] {
  const settings = s.systemDoc('settings').doc;
  const all = listProviders(settings);
  if (all.length === 0) throw new MindstageError('not_found', 'No AI provider is set up yet. Add one under Providers.');
  const first = preferred ? all.find((p) => p.name === preferred) : undefined;
  const ordered = first ? [first, ...all.filter((p) => p !== first)] : all;
  return ordered.map((p) => {
    const name = conversationPreset ?? p.preset;
    const preset = name === undefined ? undefined : getPreset(settings, name);
    if (name !== undefined && !preset) throw new MindstageError('not_found', `The preset "${name}" no longer exists; choose another for ${conversationPreset ? 'this conversation' : `the provider ${p.name}`}.`);
    const withPreset: ResolvedProvider = preset ? { ...p, presetName: preset.name, presetSampling: preset.sampling, maxTokens: preset.sampling.max_tokens ?? p.maxTokens } : p;
    return p.completion === 'text' ? { ...withPreset, templates: resolveTemplates(settings, p) } : withPreset;
  });
}

/**
 * The character message a command acts on: the given one, else the last character message. Looked up without
 * reading the conversation whole: by id, or newest first from the tail.
 */
function targetMessage(s: VaultSession, conversationId: string, messageId: string | undefined, what: string): Message {
  let message: Message | undefined;
  if (messageId !== undefined) {
    message = s.conversations.message(conversationId, messageId);
    if (!message) throw new MindstageError('not_found', `No message ${messageId} in conversation ${conversationId}.`, { recordId: conversationId });
  } else {
    const tail = new ConversationTail(s, conversationId);
    message = tail.messages.findLast((m) => m.role === 'character');
    while (!message && tail.readOlder(FIRST_READ)) message = tail.older.findLast((m) => m.role === 'character');
    if (!message) throw new MindstageError('usage', `There is no character message to ${what} yet.`);
  }
  if (message.role !== 'character') throw new MindstageError('usage', `Only a character's message can be asked to ${what}; this one is a ${message.role} message.`);
  return message;
}

/** Image bytes' type from their first bytes; providers answer PNG, sometimes JPEG or WebP. */
function imageMime(bytes: Uint8Array): string | null {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg';
  if (bytes.length > 12 && new TextDecoder().decode(bytes.subarray(8, 12)) === 'WEBP') return 'image/webp';
  return null;
}

export function portraitPrompt(c: CharacterFields): string {
  const about = [c.description, c.personality].map((t) => t.replace(/\{\{char\}\}/gi, c.name).replace(/\{\{user\}\}/gi, 'the viewer').trim()).filter(Boolean).join(' ');
  const clipped = about.length > 1500 ? `${about.slice(0, 1500)}…` : about;
  return `Portrait of ${c.name}, head and shoulders, facing the viewer.${clipped ? ` ${clipped}` : ''}`;
}

export function chatHandlers(state: CoreState, engine: ChatEngine = new ChatEngine(state)): Handlers<typeof chatCommands> {
  const changed = (id: string) => state.emit('records.changed', { ids: [id] });
  const summarizer = summarizerFor(state, engine.options);

  /**
   * Opens the conversation for a new reply: nothing may be streaming in it, and leftovers of a crash are closed
   * (among the newest messages and those read for the prompt: replies stream at the end, or in the message a
   * regeneration acts on). `through`: the message the command acts on, read with the messages before it.
   */
  const prepare = (conversationId: string, through?: Message): { s: VaultSession; ctx: ChatContext } => {
    const s = state.requireSession();
    if (engine.isStreaming(conversationId)) throw new MindstageError('usage', 'A reply is still streaming in this conversation. Stop it first.');
    const ctx = loadContext(s, conversationId, through);
    const interrupted: string[] = [];
    const newest = through ? s.conversations.window(conversationId, FIRST_READ).messages : [];
    for (const m of [...ctx.tail.messages, ...newest]) {
      for (const a of m.alternatives) {
        if (a.status !== 'streaming' || interrupted.includes(m.id)) continue;
        // Streaming here but not in this process: Mindstage stopped while it streamed. The checkpoint is kept.
        s.conversations.patchAlternative(conversationId, m.id, a.id, { status: 'stopped', error: 'Interrupted: Mindstage closed while this reply was streaming.' });
        a.status = 'stopped';
        interrupted.push(m.id);
      }
    }
    if (interrupted.length) emitMessagesChanged(state, s, conversationId, interrupted);
    return { s, ctx };
  };

  const start = (
    s: VaultSession,
    ctx: ChatContext,
    r: { messageId: string; alternativeId: string; baseText: string; speaker: string; history: PromptHistoryMessage[]; mode: 'reply' | 'continue'; providers: ResolvedProvider[]; chatLength: number; attempt?: number },
  ) => {
    const base = promptBase(ctx, r.speaker, r.history, r.mode, r.chatLength, r.attempt);
    const names = payloadNames(base);
    engine.start({
      session: s,
      conversationId: ctx.conversation.id,
      messageId: r.messageId,
      alternativeId: r.alternativeId,
      baseText: r.baseText,
      providers: r.providers,
      prompt: (p) => {
        const built = fitPrompt(ctx, base, r.history, (history) => buildPrompt({ ...base, history, contextWindow: p.contextWindow, maxTokens: p.maxTokens, model: p.model }));
        // A real generation: World Info timed effects start and {{setvar}} takes effect (SillyTavern: not on a dry run).
        if (state.session === s && !s.vault.locked) keepPromptState(s, ctx, built);
        return withPortraitIfShared(s, ctx, r.speaker, payloadFor(built.messages, built.parts, p, names));
      },
    });
    changed(ctx.conversation.id);
    // Once the reply is in: bring the memory up to date if older messages no longer fit (chat/summarize.node.ts).
    void engine.settled(ctx.conversation.id).then(() => summarizer.afterReply(s, ctx.conversation.id, { id: r.messageId, alternativeId: r.alternativeId }, r.providers));
  };

  /** A new character message, streaming, after everything in the conversation. */
  const reply = (s: VaultSession, ctx: ChatContext, speaker: string, extra: Message[], providers: ResolvedProvider[]): ChatStarted => {
    const id = ctx.conversation.id;
    const msg = addMessage(s, id, { role: 'character', text: '', authorId: speaker, status: 'streaming' });
    emitAppended(state, s, id, msg);
    const alternativeId = msg.alternatives[0]!.id;
    start(s, ctx, { messageId: msg.id, alternativeId, baseText: '', speaker, history: toHistory(ctx, [...ctx.tail.messages, ...extra]), mode: 'reply', providers, chatLength: tailLength(ctx) + extra.length });
    return { conversationId: id, replyMessageId: msg.id, alternativeId };
  };

  const ledgerEntry = (s: VaultSession, purpose: 'test' | 'image', a: { meter: { bytesOut: number; bytesIn: number; status: number | null }; startedAt: number; host: string }, outcome: string) => {
    if (state.session !== s || s.vault.locked) return;
    appendLedger(s.systemDoc('ledger').doc, { at: a.startedAt, host: a.host, purpose, bytesOut: a.meter.bytesOut, bytesIn: a.meter.bytesIn, status: a.meter.status, outcome });
  };

  return {
    'provider.models': async ({ name, baseUrl, apiKey }) => {
      const s = state.requireSession();
      const saved = name === undefined ? undefined : getProvider(s.systemDoc('settings').doc, name);
      if (name !== undefined && !saved) throw new MindstageError('not_found', `No provider named "${name}".`);
      const target = saved ?? (baseUrl ? { baseUrl, ...(apiKey ? { apiKey } : {}) } : fail('usage', 'Give a provider name or a base URL.'));
      const r = await listModels(target, TEST_TIMEOUT_MS);
      const status = r.attempt.meter.status;
      ledgerEntry(s, 'test', r.attempt, r.models ? 'ok' : status !== null && status !== 200 ? `error: HTTP ${status}` : 'error: no answer');
      if (!r.models) throw new MindstageError('provider', `The model list could not be read: ${r.message}. Type the model name instead.`);
      return { models: r.models };
    },

    'provider.test': async ({ name }) => {
      const s = state.requireSession();
      const provider = getProvider(s.systemDoc('settings').doc, name);
      if (!provider) throw new MindstageError('not_found', `No provider named "${name}".`);
      const t0 = Date.now();
      const r = await testProvider(provider, TEST_TIMEOUT_MS);
      const status = r.attempt.meter.status;
      ledgerEntry(s, 'test', r.attempt, r.ok ? 'ok' : status !== null && status !== 200 ? `error: HTTP ${status}` : 'error: no answer');
      return { ok: r.ok, message: r.message, latencyMs: Date.now() - t0 };
    },

    'chat.send': async ({ conversationId, text, characterId }) => {
      const { s, ctx } = prepare(conversationId);
      const providers = orderedProviders(s, ctx.conversation.provider, ctx.conversation.preset);
      const speaker = nextSpeaker(ctx, characterId);
      const user = addMessage(s, conversationId, { role: 'user', text, ...(ctx.persona ? { authorId: ctx.persona.id } : {}) });
      emitAppended(state, s, conversationId, user);
      return { ...reply(s, ctx, speaker, [user], providers), userMessageId: user.id };
    },

    'chat.prompt': async ({ conversationId, messageId }) => {
      const s = state.requireSession();
      // A past reply: the history before it, its speaker, and the provider that wrote it if it is still set up.
      // The context is read up to that message (its tail ends with it), so nothing after it is read.
      const target = messageId === undefined ? undefined : targetMessage(s, conversationId, messageId, 'show its prompt');
      const ctx = loadContext(s, conversationId, target);
      const all = listProviders(s.systemDoc('settings').doc);
      const past = target && { message: target, index: ctx.tail.messages.length - 1 };
      const wrote = past?.message.alternatives[past.message.chosen]?.provider;
      const preferred = wrote && all.some((p) => p.name === wrote) ? wrote : ctx.conversation.provider;
      const provider = all.length > 0 ? orderedProviders(s, preferred, ctx.conversation.preset)[0]! : null;
      // Counted with the tokenizer the reply's request is counted with (loaded on first use, as the engine does).
      if (provider) await loadTokenizerFor(provider.model);
      return inspectPrompt(ctx, provider, past && { index: past.index, speaker: past.message.authorId && ctx.characters.has(past.message.authorId) ? past.message.authorId : nextSpeaker(ctx, undefined, past.index) });
    },

    'chat.suggestUserTurn': async ({ conversationId }) => {
      const { s, ctx } = prepare(conversationId);
      return suggestUserTurn(s, ctx, orderedProviders(s, ctx.conversation.provider, ctx.conversation.preset), engine.options);
    },

    'chat.impersonate': async ({ conversationId, characterId }) => {
      const { s, ctx } = prepare(conversationId);
      const providers = orderedProviders(s, ctx.conversation.provider, ctx.conversation.preset);
      return reply(s, ctx, nextSpeaker(ctx, characterId), [], providers);
    },

    'chat.stop': async ({ conversationId }) => {
      state.requireSession();
      if (engine.stop(conversationId)) await engine.settled(conversationId);
      return null;
    },

    'chat.regenerate': async ({ conversationId, messageId }) => {
      const target = targetMessage(state.requireSession(), conversationId, messageId, 'regenerate');
      const { s, ctx } = prepare(conversationId, target);
      const providers = orderedProviders(s, ctx.conversation.provider, ctx.conversation.preset);
      // The tail ends with the target (read fresh by prepare, interrupted status closed).
      const index = ctx.tail.messages.length - 1;
      const message = ctx.tail.messages[index]!;
      const speaker = message.authorId && ctx.characters.has(message.authorId) ? message.authorId : nextSpeaker(ctx, undefined, index);
      const alternativeId = newItemId();
      s.conversations.addAlternative(conversationId, message.id, { id: alternativeId, text: '', createdAt: s.now(), status: 'streaming' });
      s.touch(conversationId);
      emitMessagesChanged(state, s, conversationId, [message.id]);
      // The target is the tail's last message: the messages before it are tailLength - 1.
      start(s, ctx, { messageId: message.id, alternativeId, baseText: '', speaker, history: toHistory(ctx, ctx.tail.messages.slice(0, index)), mode: 'reply', providers, chatLength: tailLength(ctx) - 1, attempt: message.alternatives.length });
      return { conversationId, replyMessageId: message.id, alternativeId };
    },

    'chat.continue': async ({ conversationId, messageId }) => {
      const target = targetMessage(state.requireSession(), conversationId, messageId, 'continue');
      const { s, ctx } = prepare(conversationId, target);
      const providers = orderedProviders(s, ctx.conversation.provider, ctx.conversation.preset);
      const index = ctx.tail.messages.length - 1;
      const message = ctx.tail.messages[index]!;
      const speaker = message.authorId && ctx.characters.has(message.authorId) ? message.authorId : nextSpeaker(ctx, undefined, index);
      const alt = message.alternatives[message.chosen]!;
      s.conversations.patchAlternative(conversationId, message.id, alt.id, { status: 'streaming' });
      emitMessagesChanged(state, s, conversationId, [message.id]);
      // Continuing a reply that never got any text is simply replying again.
      const mode = alt.text === '' ? 'reply' : 'continue';
      const history = toHistory(ctx, ctx.tail.messages.slice(0, mode === 'continue' ? index + 1 : index));
      start(s, ctx, { messageId: message.id, alternativeId: alt.id, baseText: alt.text, speaker, history, mode, providers, chatLength: tailLength(ctx) - (mode === 'continue' ? 0 : 1) });
      return { conversationId, replyMessageId: message.id, alternativeId: alt.id };
    },

    'chat.generatePortrait': async ({ characterId, prompt }) => {
      const s = state.requireSession();
      const fields = readFields<CharacterFields>(s.record(characterId, 'character').doc);
      const text = prompt?.trim() || portraitPrompt({ ...fields, description: fields.description ?? '', personality: fields.personality ?? '' });
      const failures: string[] = [];
      let anyProvider = false;
      // Whether a provider has an images endpoint is learnt by asking: the first that answers with an image wins.
      for (const provider of orderedProviders(s, undefined)) {
        const r = await generateImage(provider, text, IMAGE_TIMEOUT_MS);
        ledgerEntry(s, 'image', r.attempt, r.failure ? `error: ${r.failure.tag}` : 'ok');
        if (r.failure) {
          if (r.failure.code === 'provider') anyProvider = true;
          failures.push(`${provider.name} (${r.failure.reason})`);
          continue;
        }
        const bytes = r.bytes!;
        const mime = imageMime(bytes);
        if (!mime) {
          failures.push(`${provider.name} (the answer was not an image)`);
          continue;
        }
        const live = state.requireSession() === s ? s.record(characterId, 'character') : null;
        if (!live) throw new MindstageError('locked', 'The vault was locked before the portrait arrived.');
        const previous = readFields<{ avatar_asset?: string }>(live.doc).avatar_asset;
        const assetId = s.storage.transaction(() => {
          const id = putAsset(s, { mime, bytes });
          writeFields(live.doc, { avatar_asset: id });
          if (previous) deleteAsset(s, previous);
          return id;
        });
        changed(characterId);
        return { assetId };
      }
      throw new MindstageError(anyProvider ? 'provider' : 'network', `No portrait. Tried ${failures.join('; ')}.`);
    },

    'ledger.list': async ({ limit }) => readLedger(state.requireSession().systemDoc('ledger').doc, limit),
  };
}
