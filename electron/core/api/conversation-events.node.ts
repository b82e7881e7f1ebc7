/**
 * `conversation.changed` events and the window a client reads. Every path that changes a conversation locally
 * reports what it did through these functions; changes arriving by sync are described by watching the document
 * (docs/conversation-observe.node.ts) once a client has opened a window on it.
 */
import { MindstageError } from '../../../shared/result.std.ts';
import type { ConversationChange, ConversationInfo, ConversationWindow } from '../../../shared/api/conversation.std.ts';
import { getCatalogEntry } from '../docs/catalog.node.ts';
import { messageCount, readMessage, readMessageWindow, readMeta } from '../docs/conversation-doc.node.ts';
import { watchRemoteChanges } from '../docs/conversation-observe.node.ts';
import type { VaultSession } from '../session.node.ts';
import type { CoreState } from './state.node.ts';

export function readInfo(s: VaultSession, id: string): ConversationInfo {
  const live = s.record(id, 'conversation');
  const entry = getCatalogEntry(s.catalog, id)!;
  const { createdAt: _c, ...meta } = readMeta(live.doc);
  return { ...meta, characterIds: meta.characterIds ?? [], title: meta.title ?? '', id, createdAt: entry.createdAt, updatedAt: entry.updatedAt };
}

export function readWindow(state: CoreState, id: string, beforeId: string | undefined, limit: number): ConversationWindow {
  const s = state.requireSession();
  const meta = readInfo(s, id);
  const doc = s.record(id, 'conversation').doc;
  watchRemoteChanges(doc, (total, changes, metaChanged) => {
    if (state.session !== s || s.vault.locked || !getCatalogEntry(s.catalog, id)) return;
    state.emit('conversation.changed', { conversationId: id, total, changes: metaChanged ? [...changes, { kind: 'meta', meta: readInfo(s, id) }] : changes });
  });
  const w = readMessageWindow(doc, beforeId, limit);
  if (!w) throw new MindstageError('not_found', `No message ${beforeId} in conversation ${id}.`, { recordId: id });
  return { meta, total: messageCount(doc), offset: w.offset, messages: w.messages };
}

export function emitChanges(state: CoreState, s: VaultSession, id: string, changes: ConversationChange[]): void {
  state.emit('conversation.changed', { conversationId: id, total: messageCount(s.record(id, 'conversation').doc), changes });
}

/** Messages that changed in place (edited, an alternative added or chosen, a status or final text). */
export function emitMessagesChanged(state: CoreState, s: VaultSession, id: string, messageIds: string[]): void {
  const doc = s.record(id, 'conversation').doc;
  const changes: ConversationChange[] = [];
  for (const messageId of messageIds) {
    const message = readMessage(doc, messageId);
    if (message) changes.push({ kind: 'message', message });
  }
  if (changes.length) emitChanges(state, s, id, changes);
}
