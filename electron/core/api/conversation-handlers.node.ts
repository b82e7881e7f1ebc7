/** Conversations: metadata, messages, alternatives, branching. Chat (providers, streaming) builds on these. */
import { MindstageError } from '../../../shared/result.std.ts';
import type { Handlers } from '../../../shared/api/contract.std.ts';
import type { recordCommands } from '../../../shared/api/records.std.ts';
import type { CharacterFields, Conversation, ConversationMeta, Message, ScenarioFields } from '../../../shared/domain.std.ts';
import { readPreferences } from '../docs/settings-doc.node.ts';
import { getCatalogEntry } from '../docs/catalog.node.ts';
import { writeMeta } from '../docs/conversation-doc.node.ts';
import { readFields } from '../docs/fields-doc.node.ts';
import { getPreset } from '../docs/presets-doc.node.ts';
import { newItemId } from '../docs/ids.node.ts';
import type { VaultSession } from '../session.node.ts';
import { emitChanges, emitGone, emitMessagesChanged, readInfo } from './conversation-events.node.ts';
import type { CoreState } from './state.node.ts';

type ConversationHandlers = Pick<
  Handlers<typeof recordCommands>,
  Extract<keyof typeof recordCommands, `conversation.${string}`>
>;

/** Checks that every record a conversation points at exists and has the right kind. */
function checkReferences(s: VaultSession, meta: Partial<ConversationMeta>): void {
  const check = (id: string | undefined, kind: 'character' | 'scenario' | 'persona' | 'lorebook') => {
    if (id === undefined) return;
    const e = getCatalogEntry(s.catalog, id);
    if (!e || e.kind !== kind) throw new MindstageError('not_found', `No ${kind} with id ${id}.`, { recordId: id });
  };
  for (const c of meta.characterIds ?? []) check(c, 'character');
  check(meta.scenarioId, 'scenario');
  check(meta.personaId, 'persona');
  for (const b of meta.lorebookIds ?? []) check(b, 'lorebook');
  if (meta.preset !== undefined && !getPreset(s.systemDoc('settings').doc, meta.preset)) throw new MindstageError('not_found', `No preset named "${meta.preset}".`);
}

export function readConversation(s: VaultSession, id: string): Conversation {
  return { ...readInfo(s, id), messages: s.conversations.all(id) };
}

export function addMessage(
  s: VaultSession,
  id: string,
  m: { role: Message['role']; text: string; authorId?: string; status?: 'complete' | 'streaming'; provider?: string; model?: string },
): Message {
  const now = s.now();
  const alt = { id: newItemId(), text: m.text, createdAt: now, ...(m.status && m.status !== 'complete' ? { status: m.status } : {}) };
  const msg = s.conversations.append(id, { id: newItemId(), role: m.role, createdAt: now, alt, ...(m.authorId ? { authorId: m.authorId } : {}) });
  s.touch(id);
  return msg;
}

/** Tells clients a message was appended (it is the last one). */
export function emitAppended(state: CoreState, s: VaultSession, id: string, message: Message): void {
  const total = s.conversations.count(id);
  state.emit('conversation.changed', { conversationId: id, total, changes: [{ kind: 'added', index: total - 1, message }] });
}

function requireMessage(s: VaultSession, id: string, messageId: string): Message {
  const msg = s.conversations.message(id, messageId);
  if (!msg) throw new MindstageError('not_found', `No message ${messageId} in conversation ${id}.`, { recordId: id });
  return msg;
}

export function conversationHandlers(state: CoreState): ConversationHandlers {
  const changed = (id: string) => state.emit('records.changed', { ids: [id] });
  return {
    'conversation.create': async ({ withGreeting, ...meta }) => {
      const s = state.requireSession();
      checkReferences(s, meta);
      const openings = withGreeting ? openingsOf(s, meta.scenarioId) : [];
      const greetings = withGreeting && openings.length === 0 ? greetingsOf(s, meta.characterIds ?? []) : [];
      // A new conversation starts with the default author's note, when one is set (SillyTavern's "default note").
      const note = readPreferences(s.systemDoc('settings').doc).authorsNoteDefault;
      const withNote = meta.authorsNote === undefined && note && note.text.trim() !== '' ? { ...meta, authorsNote: note } : meta;
      const id = s.storage.transaction(() => {
        const created = s.createRecord('conversation', meta.title, (doc) => writeMeta(doc, { ...withNote, createdAt: s.now() }));
        if (greetings.length > 0) s.conversations.appendMany(created, greetings.map((g) => greeting(g, s.now())));
        const now = s.now();
        if (openings.length > 0) s.conversations.appendMany(created, openings.map((text) => ({ id: newItemId(), role: 'narrator' as const, createdAt: now, alternatives: [{ id: newItemId(), text, createdAt: now, status: 'complete' as const }], chosen: 0 })));
        return created;
      });
      return { id };
    },
    'conversation.get': async ({ id }) => readConversation(state.requireSession(), id),
    'conversation.update': async ({ id, patch }) => {
      const s = state.requireSession();
      checkReferences(s, patch);
      writeMeta(s.record(id, 'conversation').doc, patch);
      s.touch(id, patch.title);
      emitChanges(state, s, id, [{ kind: 'meta', meta: readInfo(s, id) }]);
      changed(id);
      return null;
    },
    'conversation.delete': async ({ id }) => {
      const s = state.requireSession();
      s.deleteRecord(id, 'conversation');
      emitGone(state, s, [id]);
      changed(id);
      return null;
    },
    'conversation.addMessage': async ({ id, role, text, authorId }) => {
      const s = state.requireSession();
      const msg = addMessage(s, id, { role, text, ...(authorId ? { authorId } : {}) });
      emitAppended(state, s, id, msg);
      changed(id);
      return msg;
    },
    'conversation.editMessage': async ({ id, messageId, text }) => {
      const s = state.requireSession();
      const msg = requireMessage(s, id, messageId);
      const alt = msg.alternatives[msg.chosen]!;
      s.conversations.patchAlternative(id, messageId, alt.id, { text, editedAt: s.now() });
      s.touch(id);
      emitMessagesChanged(state, s, id, [messageId]);
      changed(id);
      return null;
    },
    'conversation.deleteMessage': async ({ id, messageId }) => {
      const s = state.requireSession();
      requireMessage(s, id, messageId);
      s.conversations.deleteMessage(id, messageId);
      s.touch(id);
      emitChanges(state, s, id, [{ kind: 'deleted', messageIds: [messageId] }]);
      changed(id);
      return null;
    },
    'conversation.chooseAlternative': async ({ id, messageId, index }) => {
      const s = state.requireSession();
      const msg = requireMessage(s, id, messageId);
      const alt = msg.alternatives[index];
      if (!alt) throw new MindstageError('usage', `Message ${messageId} has ${msg.alternatives.length} alternatives; there is no number ${index + 1}.`);
      s.conversations.chooseAlternative(id, messageId, alt.id);
      emitMessagesChanged(state, s, id, [messageId]);
      changed(id);
      return null;
    },
    'conversation.branch': async ({ id, messageId }) => {
      const s = state.requireSession();
      const source = readConversation(s, id);
      const upTo = source.messages.findIndex((m) => m.id === messageId);
      if (upTo < 0) throw new MindstageError('not_found', `No message ${messageId} in conversation ${id}.`, { recordId: id });
      const { id: _id, messages, createdAt: _c, updatedAt: _u, ...meta } = source;
      const title = `${source.title || 'Conversation'} (branch)`;
      const newId = s.storage.transaction(() => {
        const created = s.createRecord('conversation', title, (doc) => writeMeta(doc, { ...meta, title, branchedFrom: { conversationId: id, messageId }, createdAt: s.now() }));
        s.conversations.appendMany(created, messages.slice(0, upTo + 1));
        return created;
      });
      return { id: newId };
    },
  };
}

/** A scenario's opening messages (narrated), as the app plays a scenario. */
function openingsOf(s: VaultSession, scenarioId: string | undefined): string[] {
  if (scenarioId === undefined) return [];
  const sc = readFields<Partial<ScenarioFields>>(s.record(scenarioId, 'scenario').doc);
  return (sc.openingMessages ?? []).filter((t) => t.trim() !== '');
}

/**
 * The opening greetings. One character: its greeting, with the card's alternate greetings as alternatives. A group
 * opens as SillyTavern's group-chats.js does (`getGroupChat` on a new chat): one greeting per member, in member
 * order, each member's macros resolved for that member when shown (the message is theirs). A card's
 * `group_only_greetings` (CCv3) are made for groups, so there they come first and its usual greetings follow as
 * alternatives; SillyTavern picks one greeting at random, we keep them all as swipes, the first shown.
 */
function greetingsOf(s: VaultSession, characterIds: string[]): Array<{ authorId: string; texts: string[] }> {
  const group = characterIds.length > 1;
  return characterIds.flatMap((id) => {
    const c = readFields<Partial<CharacterFields>>(s.record(id, 'character').doc);
    const usual = [c.first_mes ?? '', ...(c.alternate_greetings ?? [])];
    const texts = (group ? [...(c.group_only_greetings ?? []), ...usual] : usual).filter((t) => t.trim() !== '');
    return texts.length > 0 ? [{ authorId: id, texts }] : [];
  });
}

/** The greeting as the first message; the others as its alternatives, the first one shown. */
function greeting(g: { authorId: string; texts: string[] }, now: number): Message {
  const alternatives = g.texts.map((text) => ({ id: newItemId(), text, createdAt: now, status: 'complete' as const }));
  return { id: newItemId(), role: 'character', authorId: g.authorId, createdAt: now, alternatives, chosen: 0 };
}
