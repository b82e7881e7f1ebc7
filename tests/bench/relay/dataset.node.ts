/**
 * The initial-sync vault: 1,000 conversations × 100 messages = 100,000 messages, each conversation a Yjs document
 * built with the core's own conversation-doc functions (so it has the app's shape: meta map, messages array of JSON
 * strings, ~370 characters of text per message as in DESIGN.md §3). Deterministic text; ids are random like the app's.
 */
import * as Y from 'yjs';
import { appendMessage, writeMeta } from '../../../electron/core/docs/conversation-doc.node.ts';
import { newItemId } from '../../../electron/core/docs/ids.node.ts';

export const CONVERSATIONS = 1_000;
export const MESSAGES_PER_CONVERSATION = 100;

/** ~370 characters of varied text per message: 10,000 messages ≈ 3.7 MB, as in DESIGN.md §3. */
export function messageText(i: number): string {
  const words = ['the', 'lantern', 'flickered', 'as', 'Mira', 'stepped', 'into', 'hall', 'of', 'echoes', 'whispering', 'softly', 'about', 'old', 'storms'];
  let s = `#${i} `;
  let k = i;
  while (s.length < 370) {
    k = (k * 1103515245 + 12345) & 0x7fffffff;
    s += `${words[k % words.length]} `;
  }
  return s;
}

/** One conversation as a chat writes it: one transaction per message. */
export function buildConversation(c: number, messages = MESSAGES_PER_CONVERSATION): Y.Doc {
  const doc = new Y.Doc();
  const now = 1_790_000_000_000 + c * 1000;
  writeMeta(doc, { title: `Conversation ${c}`, characterIds: [], createdAt: now });
  for (let m = 0; m < messages; m++) {
    appendMessage(doc, { id: newItemId(), role: m % 2 ? 'character' : 'user', createdAt: now + m, alt: { id: newItemId(), text: messageText(c * messages + m), createdAt: now + m } });
  }
  return doc;
}

/** The whole vault, as each document's complete state (what a device holds compacted and would send first). */
export function buildVault(conversations = CONVERSATIONS, messages = MESSAGES_PER_CONVERSATION): Uint8Array[] {
  return Array.from({ length: conversations }, (_, c) => {
    const doc = buildConversation(c, messages);
    const state = Y.encodeStateAsUpdate(doc);
    doc.destroy();
    return state;
  });
}
