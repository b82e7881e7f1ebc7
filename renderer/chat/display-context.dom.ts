/**
 * What showing a conversation's messages needs (names, card fields, variables) so their macros read as the prompt
 * sends them (shared/display-text.std.ts). Fetched per conversation and again when its meta or the records change
 * (a new persona, a renamed character).
 */
import { useCallback, useEffect, useState } from 'react';
import type { DisplayContext } from '../../shared/api/lorebooks.std.ts';
import type { Message } from '../../shared/domain.std.ts';
import { displayText } from '../../shared/display-text.std.ts';
import { call } from '../lib/api.dom.ts';

export function useDisplayText(conversationId: string | undefined, version: string, messages: readonly Message[], offset: number) {
  const [context, setContext] = useState<DisplayContext | null>(null);
  useEffect(() => {
    if (!conversationId) return;
    let live = true;
    // A failure leaves the texts as written: showing a message never depends on this.
    call('conversation.displayContext', { id: conversationId }).then(
      (c) => live && setContext(c),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [conversationId, version]);
  return useCallback(
    (text: string, message: Message, alternativeId: string) => {
      const index = messages.indexOf(message);
      return conversationId ? displayText(text, { conversationId, message, alternativeId, context, messages, ...(index >= 0 ? { index } : {}) }) : text;
    },
    // offset is in the list because an older page changes which messages come before one.
    [conversationId, context, messages, offset],
  );
}
