/**
 * `conversation.changed` events and the window a client reads. Every path that changes a conversation locally
 * reports what it did through these functions; changes arriving by sync are described by watching the head
 * (docs/conversation-observe.node.ts) and its segments (Conversations.onMessagesChanged) once a client has opened a
 * window on it. Every read here costs one segment or a few, never the history (docs/storage.md).
 */
import type { ConversationChange, ConversationInfo, ConversationWindow } from '../../../shared/api/conversation.std.ts';
import { getCatalogEntry } from '../docs/catalog.node.ts';
import { readMeta, type MessageChanges } from '../docs/conversation-doc.node.ts';
import { MAX_DESCRIBED, watchRemoteChanges } from '../docs/conversation-observe.node.ts';
import { FROM_STORE } from '../docs/repo.node.ts';
import type { VaultSession } from '../session.node.ts';
import type { CoreState } from './state.node.ts';

export function readInfo(s: VaultSession, id: string): ConversationInfo {
  const live = s.record(id, 'conversation');
  const entry = getCatalogEntry(s.catalog, id)!;
  const { createdAt: _c, ...meta } = readMeta(live.doc);
  return { ...meta, characterIds: meta.characterIds ?? [], title: meta.title ?? '', id, createdAt: entry.createdAt, updatedAt: entry.updatedAt };
}

/** Conversations with a window open, per session: their segments' remote changes become events. */
const windowed = new WeakMap<VaultSession, Set<string>>();

function watch(state: CoreState, s: VaultSession, id: string): void {
  const alive = (cid: string) => state.session === s && !s.vault.locked && getCatalogEntry(s.catalog, cid) !== undefined;
  let ids = windowed.get(s);
  if (!ids) {
    const set = (ids = new Set());
    windowed.set(s, set);
    s.conversations.onMessagesChanged((cid, ch, tr) => {
      if (tr.local || tr.origin === FROM_STORE || !set.has(cid) || !alive(cid)) return;
      emitChanges(state, s, cid, describe(s, cid, ch));
    });
  }
  ids.add(id);
  watchRemoteChanges(s.record(id, 'conversation').doc, (changes, metaChanged) => {
    if (alive(id)) emitChanges(state, s, id, metaChanged ? [...changes, { kind: 'meta', meta: readInfo(s, id) }] : changes);
  });
}

function describe(s: VaultSession, id: string, ch: MessageChanges): ConversationChange[] {
  if (ch.added.length > MAX_DESCRIBED) return [{ kind: 'reset' }];
  const changes: ConversationChange[] = [];
  if (ch.deleted.length) changes.push({ kind: 'deleted', messageIds: ch.deleted });
  for (const m of ch.added) {
    const message = s.conversations.message(id, m);
    if (message) changes.push({ kind: 'added', index: s.conversations.indexOf(id, m), message });
  }
  for (const m of ch.changed) {
    const message = s.conversations.message(id, m);
    if (message) changes.push({ kind: 'message', message });
  }
  return changes;
}

export function readWindow(state: CoreState, id: string, beforeId: string | undefined, limit: number): ConversationWindow {
  const s = state.requireSession();
  const meta = readInfo(s, id);
  watch(state, s, id);
  const w = s.conversations.window(id, limit, beforeId);
  return { meta, total: s.conversations.count(id), offset: w.offset, messages: w.messages };
}

export function emitChanges(state: CoreState, s: VaultSession, id: string, changes: ConversationChange[]): void {
  state.emit('conversation.changed', { conversationId: id, total: s.conversations.count(id), changes });
}

/** Messages that changed in place (edited, an alternative added or chosen, a status or final text). */
export function emitMessagesChanged(state: CoreState, s: VaultSession, id: string, messageIds: string[]): void {
  const changes: ConversationChange[] = [];
  for (const messageId of messageIds) {
    const message = s.conversations.message(id, messageId);
    if (message) changes.push({ kind: 'message', message });
  }
  if (changes.length) emitChanges(state, s, id, changes);
}

/**
 * Records that are gone (deleted here or by another device): a client holding a window of one is told to read it
 * again, which then says it no longer exists. Ids of records still listed are left alone.
 */
export function emitGone(state: CoreState, s: VaultSession, ids: string[]): void {
  for (const id of ids) if (!getCatalogEntry(s.catalog, id)) state.emit('conversation.changed', { conversationId: id, total: 0, changes: [{ kind: 'reset' }] });
}
