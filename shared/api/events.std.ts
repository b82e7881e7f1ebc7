/**
 * Events the core pushes to its clients (the renderer or the CLI) over the same transport as commands.
 * Each domain adds its events here.
 */
import type { ConversationChange } from './conversation.std.ts';
import type { SyncStatusView } from './sync.std.ts';

export interface ApiEvents {
  /** The vault was locked (by hand, idle timer, sleep, or wipe); clients drop any plaintext they hold. */
  'vault.locked': { reason: 'manual' | 'idle' | 'sleep' | 'wipe' };
  /** A record changed (locally or from sync); clients refetch what they show. */
  'records.changed': { ids: string[] };
  /**
   * What changed in a conversation (locally or from sync), so a client holding a window of it updates that window
   * without refetching. `total` is the message count after the changes. `records.changed` still fires for lists.
   */
  'conversation.changed': { conversationId: string; total: number; changes: ConversationChange[] };
  /** Text arriving for a streaming reply. `text` is the delta; clients append it to the alternative. */
  /** `reasoning`: a piece of the model's thinking (then `text` is empty), shown apart and never sent back. */
  'chat.delta': { conversationId: string; messageId: string; alternativeId: string; text: string; reasoning?: string };
  /** A reply finished: complete, stopped by the user, or failed (what arrived is kept; `error` says what failed). */
  'chat.done': {
    conversationId: string;
    messageId: string;
    alternativeId: string;
    status: 'complete' | 'stopped' | 'error';
    error?: { code: string; message: string };
    provider?: string;
    model?: string;
  };
  /** An import has written `done` of its `total` items (each a chat, card, book, preset or settings file). */
  'import.progress': { done: number; total: number };
  /** The sync engine's state changed (connected, offline with retry time, wiped, problems found). */
  'sync.status': SyncStatusView;
}
export type ApiEventName = keyof ApiEvents;
