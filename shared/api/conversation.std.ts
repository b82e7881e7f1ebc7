/**
 * Conversations seen a window at a time. A client holds only the messages it shows (the newest, plus older pages it
 * scrolled to) and keeps them current from `conversation.changed` events (events.std.ts), which name what changed,
 * and `chat.delta` for streaming text. Nothing here returns a whole conversation (`conversation.get` does, for the
 * CLI and export).
 */
import { z } from 'zod';
import { RecordId, type Conversation, type Message } from '../domain.std.ts';
import { returns, type CommandDefs } from './contract.std.ts';

/** A conversation without its messages. `updatedAt` is as of the read: lists follow it through records.changed. */
export type ConversationInfo = Omit<Conversation, 'messages'>;

/** The most messages one window call returns. */
export const WINDOW_MAX = 500;

export interface ConversationWindow {
  meta: ConversationInfo;
  /** How many messages the conversation holds. */
  total: number;
  /** Absolute index (0 = the first message) of `messages[0]`. */
  offset: number;
  /** In conversation order: the newest `limit` messages, or the `limit` just before `beforeId`. */
  messages: Message[];
}

/**
 * One change, in the order they happened. `index` is absolute, counted after the change. A `reset` means the
 * change was too large to describe: refetch the window.
 */
export type ConversationChange =
  | { kind: 'added'; index: number; message: Message }
  | { kind: 'message'; message: Message }
  | { kind: 'deleted'; messageIds: string[] }
  | { kind: 'meta'; meta: ConversationInfo }
  | { kind: 'reset' };

export const conversationCommands = {
  'conversation.window': {
    input: z.object({
      id: RecordId,
      beforeId: z.string().min(1).max(200).optional(),
      limit: z.number().int().min(1).max(WINDOW_MAX).default(200),
    }),
    output: returns<ConversationWindow>(),
  },
} satisfies CommandDefs;
