/**
 * Applying `conversation.changed` events to a window of a conversation. A window always runs from `offset` to the
 * conversation's newest message (older pages are added in front), so a change outside it can only lie before it.
 * When the changes and the window disagree (a missed event, a reset), the result is null: fetch the window again.
 * Used by the renderer and by the core's tests, which check that a window kept by events equals a fresh one.
 */
import type { ApiEvents } from './api/events.std.ts';
import type { ConversationInfo, ConversationWindow } from './api/conversation.std.ts';
import type { Message } from './domain.std.ts';

export interface HeldWindow {
  meta: ConversationInfo;
  total: number;
  offset: number;
  messages: Message[];
}

export function applyChanges(w: HeldWindow, ev: ApiEvents['conversation.changed']): HeldWindow | null {
  let { offset, meta } = w;
  const messages = [...w.messages];
  const at = (id: string) => messages.findIndex((m) => m.id === id);
  for (const c of ev.changes) {
    if (c.kind === 'reset') return null;
    if (c.kind === 'meta') meta = c.meta;
    else if (c.kind === 'message') {
      const i = at(c.message.id);
      if (i >= 0) messages[i] = c.message;
    } else if (c.kind === 'deleted') {
      for (const id of c.messageIds) {
        const i = at(id);
        if (i >= 0) messages.splice(i, 1);
        else offset--;
      }
    } else {
      const existing = at(c.message.id);
      if (existing >= 0) messages[existing] = c.message;
      else if (c.index < offset) offset++;
      else if (c.index - offset <= messages.length) messages.splice(c.index - offset, 0, c.message);
      else return null;
    }
  }
  if (offset < 0 || offset + messages.length !== ev.total) return null;
  return { meta, total: ev.total, offset, messages };
}

/** Puts an older page in front of the window; null when the two do not meet (the conversation changed between). */
export function prependPage(w: HeldWindow, page: ConversationWindow): HeldWindow | null {
  if (page.offset + page.messages.length !== w.offset || page.total !== w.total) return null;
  return { meta: page.meta, total: w.total, offset: page.offset, messages: [...page.messages, ...w.messages] };
}
