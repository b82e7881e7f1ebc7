/**
 * The part of a conversation a reply reads: its newest messages, and older ones only while the prompt would take
 * them all (issue 9). Reading a 100,000-message conversation whole costs most of a second; a prompt holds what fits
 * in the model's context, so a send reads the newest segment or a few, walking back through segments as needed
 * (Conversations.window). Built prompts are identical to those from the whole history: prompt building takes
 * history newest first and stops at the first message that does not fit, so once one of the messages read is left
 * out, no older one could have gone in (docs/prompt.md "History").
 */
import type { Message } from '../../../shared/domain.std.ts';
import type { VaultSession } from '../session.node.ts';

/** Messages read first: enough for most prompts of an 8k–32k context, one segment read at most. */
export const FIRST_READ = 200;

export class ConversationTail {
  readonly #s: VaultSession;
  readonly #id: string;
  /** The newest messages (or those up to the one a command acts on), oldest first. */
  readonly messages: Message[];
  /** Messages read later, oldest first, all before `messages`. */
  #older: Message[] = [];
  /** Messages before everything read. */
  #unread: number;

  /** Reads the newest `limit` messages, or those up to and including `through` when given. */
  constructor(s: VaultSession, id: string, limit = FIRST_READ, through?: Message) {
    this.#s = s;
    this.#id = id;
    if (through) {
      const w = s.conversations.window(id, limit, through.id);
      this.messages = [...w.messages, through];
      this.#unread = w.offset;
    } else {
      const w = s.conversations.window(id, limit);
      this.messages = w.messages;
      this.#unread = w.offset;
    }
  }

  /** How many older messages have not been read. */
  get unread(): number {
    return this.#unread;
  }

  /** Older messages read so far (oldest first), all before `messages`. */
  get older(): readonly Message[] {
    return this.#older;
  }

  /** Reads up to n more older messages (one segment or a few); false when there were none. */
  readOlder(n: number): boolean {
    const first = this.#older[0] ?? this.messages[0];
    if (this.#unread === 0 || !first) return false;
    const w = this.#s.conversations.window(this.#id, n, first.id);
    this.#older = [...w.messages, ...this.#older];
    this.#unread = w.offset;
    return w.messages.length > 0;
  }
}
