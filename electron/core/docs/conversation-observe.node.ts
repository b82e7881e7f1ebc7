/**
 * Describes changes that reach a conversation document from elsewhere (sync) as `conversation.changed` changes,
 * read from the Yjs events of the document's shared types (shape: conversation-doc.node.ts). Local changes are
 * described by the handlers that make them, which know what they did; this covers only transactions that are not
 * local (Y.applyUpdate), so nothing is reported twice.
 */
import type * as Y from 'yjs';
import type { ConversationChange } from '../../../shared/api/conversation.std.ts';
import { messageCount, parts, readMessage, type StoredExtra, type StoredMessage } from './conversation-doc.node.ts';
import { FROM_STORE } from './repo.node.ts';

/** Beyond this many messages added at once (a first sync of a long history), a reset is cheaper to describe. */
const MAX_DESCRIBED = 200;

interface Pending {
  deleted: string[];
  added: number[];
  touchedMessages: Set<string>;
  touchedAlternatives: Set<string>;
  meta: boolean;
}

const watched = new WeakSet<Y.Doc>();

/**
 * Calls `report` after every non-local transaction that changed the conversation. Idempotent per document; the
 * listeners go when the document is destroyed (lock, delete).
 */
export function watchRemoteChanges(doc: Y.Doc, report: (total: number, changes: ConversationChange[], meta: boolean) => void): void {
  if (watched.has(doc)) return;
  watched.add(doc);
  const { messages, alts, patches, chosen, meta } = parts(doc);
  let pending: Pending | null = null;
  const start = (tr: Y.Transaction): Pending | null => {
    if (tr.local || tr.origin === FROM_STORE) return null;
    return (pending ??= { deleted: [], added: [], touchedMessages: new Set(), touchedAlternatives: new Set(), meta: false });
  };

  messages.observe((ev) => {
    const p = start(ev.transaction);
    if (!p) return;
    let pos = 0;
    for (const op of ev.changes.delta) {
      if (op.retain !== undefined) pos += op.retain;
      else if (op.insert !== undefined) for (let i = 0; i < (op.insert as unknown[]).length; i++) p.added.push(pos++);
    }
    for (const item of ev.changes.deleted) {
      for (const v of item.content.getContent() as string[]) p.deleted.push((JSON.parse(v) as StoredMessage).id);
    }
  });
  alts.observe((ev) => {
    const p = start(ev.transaction);
    if (!p) return;
    for (const item of ev.changes.added) for (const v of item.content.getContent() as StoredExtra[]) p.touchedMessages.add(v.m);
  });
  chosen.observe((ev) => {
    const p = start(ev.transaction);
    if (p) for (const k of ev.keysChanged) p.touchedMessages.add(k);
  });
  patches.observe((ev) => {
    const p = start(ev.transaction);
    if (p) for (const k of ev.keysChanged) p.touchedAlternatives.add(k);
  });
  meta.observe((ev) => {
    const p = start(ev.transaction);
    if (p) p.meta = true;
  });

  doc.on('afterTransaction', () => {
    const p = pending;
    pending = null;
    if (!p) return;
    const total = messageCount(doc);
    if (p.added.length > MAX_DESCRIBED) return report(total, [{ kind: 'reset' }], p.meta);
    const changes: ConversationChange[] = [];
    if (p.deleted.length) changes.push({ kind: 'deleted', messageIds: p.deleted });
    const addedIds = new Set<string>();
    for (const index of p.added) {
      const id = (JSON.parse(messages.get(index)) as StoredMessage).id;
      const message = readMessage(doc, id);
      if (!message) continue;
      addedIds.add(id);
      changes.push({ kind: 'added', index, message });
    }
    for (const altId of p.touchedAlternatives) {
      const owner = messageOfAlternative(doc, altId);
      if (owner) p.touchedMessages.add(owner);
    }
    for (const id of p.touchedMessages) {
      if (addedIds.has(id)) continue;
      const message = readMessage(doc, id);
      if (message) changes.push({ kind: 'message', message });
    }
    if (changes.length || p.meta) report(total, changes, p.meta);
  });
}

/** The message an alternative belongs to: an extra one in `alts`, or the first one stored in the message itself. */
function messageOfAlternative(doc: Y.Doc, altId: string): string | undefined {
  const { messages, alts } = parts(doc);
  for (const e of alts) if (e.a.id === altId) return e.m;
  const needle = JSON.stringify(altId);
  const all = messages.toArray();
  for (let i = all.length - 1; i >= 0; i--) {
    if (!all[i]!.includes(needle)) continue;
    const m = JSON.parse(all[i]!) as StoredMessage;
    if (m.alt.id === altId) return m.id;
  }
  return undefined;
}
