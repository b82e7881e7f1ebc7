/**
 * A conversation's messages, stored so that no operation costs more as the conversation grows (issue 9,
 * docs/storage.md "Conversations", docs/decisions.md #22):
 *
 * - the record's own document is the **head**: metadata and `segs`, the list of its segments;
 * - messages live in **segment documents** of about SEGMENT_SIZE messages each. Segment k's storage id is a keyed
 *   hash of (conversation, k), so two devices that roll over to a new segment at once write the same document and
 *   Yjs merges it; each segment is an ordinary document (own head, snapshot, updates, compaction, sync chain);
 * - appends go to the newest segment; an edit, a choice or a deletion goes to the segment holding the message,
 *   found through an in-memory message index (filled as segments are read);
 * - only a few segments stay decoded (DocRepo.trim): opening a conversation decodes its head and newest segment.
 *
 * A head written before segments (one document per conversation) keeps its messages in itself: the first time
 * it is opened they are copied into segments and cleared from the head ("legacy" migration, below). Until then, and
 * for anything an older version adds to the head later, the head's own messages read as the oldest part.
 */
import type * as Y from 'yjs';
import { MindstageError } from '../../../shared/result.std.ts';
import type { Message, MessageRole } from '../../../shared/domain.std.ts';
import { keyedHash, toHex } from '../crypto/sodium.node.ts';
import {
  addAlternative,
  appendMessage,
  chooseAlternative,
  clearMessageParts,
  copyMessages,
  deleteMessage,
  messageCount,
  newMessage,
  observeMessages,
  patchAlternative,
  readMessage,
  readMessageIds,
  readMessages,
  readSegments,
  writeSegment,
  type MessageChanges,
  type Segment,
  type StoredAlternative,
} from './conversation-doc.node.ts';
import type { DocRef } from './doc-store.node.ts';
import { recordRef } from './ids.node.ts';
import type { DocRepo } from './repo.node.ts';

/** Messages per segment before the next one begins. Measured: docs/decisions.md #22. */
export const SEGMENT_SIZE = 1000;
/**
 * Tests of merging set a tiny size (MINDSTAGE_TEST_SEGMENT_SIZE) so devices roll over to new segments at once; any
 * size reads the same, since readers follow the head's list, never the size.
 */
const segmentSize = (): number => Number(process.env['MINDSTAGE_TEST_SEGMENT_SIZE']) || SEGMENT_SIZE;
/** Segment documents kept decoded across the vault (beyond those in use). */
export const LIVE_SEGMENTS = 8;
/** The head's own message parts (a conversation written before segments). */
const HEAD = -1;

export function segmentRef(idKey: Uint8Array, conversationId: string, k: number): DocRef {
  const storageId = keyedHash(idKey, `mindstage.segment.${conversationId}.${k}`, 16);
  return { storageId, kind: 'segment', recordId: toHex(storageId) };
}

export interface ConversationHost {
  readonly repo: DocRepo;
  idKey(): Uint8Array;
  /** The head, checked to exist and be a conversation. */
  head(id: string): Y.Doc;
  transaction<T>(fn: () => T): T;
}

export interface NewMessage {
  id: string;
  role: MessageRole;
  authorId?: string;
  createdAt: number;
  alt: StoredAlternative;
}

export class Conversations {
  readonly #host: ConversationHost;
  /** conversation → message id → part number, for the parts read so far. */
  readonly #index = new Map<string, Map<string, number>>();
  /** segment record id (hex) → conversation and segment number, for segments whose ref was computed. */
  readonly #owner = new Map<string, { id: string; k: number }>();

  readonly #changeListeners = new Set<(conversationId: string, changes: MessageChanges, tr: Y.Transaction) => void>();
  /** While listeners run inside a Yjs transaction's cleanup, nothing may be dropped from memory. */
  #dispatching = 0;

  constructor(host: ConversationHost) {
    this.#host = host;
    host.repo.onOpened((live) => {
      if (live.ref.kind !== 'segment') return;
      observeMessages(live.doc, (changes, tr) => {
        const owner = this.#owner.get(live.ref.recordId);
        if (owner === undefined) return;
        const { id, k } = owner;
        const index = this.#index.get(id);
        if (index) {
          for (const m of changes.deleted) index.delete(m);
          for (const m of changes.added) index.set(m, k);
        }
        this.#dispatching++;
        try {
          for (const l of this.#changeListeners) l(id, changes, tr);
        } finally {
          this.#dispatching--;
        }
      });
    });
  }

  /**
   * Message-level changes of any conversation whose segments this session has opened, from any origin (local
   * commands, sync): which messages were added, changed (text, status, alternatives, choice) or deleted. Lets the
   * API tell a window of a conversation what to update instead of re-reading it.
   */
  onMessagesChanged(fn: (conversationId: string, changes: MessageChanges, tr: Y.Transaction) => void): () => void {
    this.#changeListeners.add(fn);
    return () => this.#changeListeners.delete(fn);
  }

  /** Which conversation a segment document belongs to (for change events), if this session has seen it. */
  ownerOf(segmentRecordId: string): string | undefined {
    return this.#owner.get(segmentRecordId)?.id;
  }

  /** Segment refs by conversation and number: hashing one costs more than the rest of an append's lookups. */
  readonly #refs = new Map<string, DocRef>();

  #ref(id: string, k: number): DocRef {
    const key = `${id}.${k}`;
    let ref = this.#refs.get(key);
    if (!ref) {
      ref = segmentRef(this.#host.idKey(), id, k);
      this.#refs.set(key, ref);
      this.#owner.set(ref.recordId, { id, k });
    }
    return ref;
  }

  /** The head, migrated if it still holds messages itself and has no segments yet. */
  #head(id: string): Y.Doc {
    const head = this.#host.head(id);
    if (messageCount(head) > 0 && readSegments(head).length === 0) this.#migrate(id, head);
    return head;
  }

  /** Part numbers in order: the head's own messages (if any), then the segments. */
  #parts(id: string, head: Y.Doc): number[] {
    const ks = readSegments(head).map((s) => s.k);
    return messageCount(head) > 0 ? [HEAD, ...ks] : ks;
  }

  #doc(id: string, head: Y.Doc, k: number): Y.Doc {
    if (k === HEAD) return head;
    const ref = this.#ref(id, k);
    let live;
    try {
      live = this.#host.repo.openExisting(ref);
    } catch (e) {
      // Name the conversation, not the segment's storage id.
      if (e instanceof MindstageError && e.code === 'integrity') {
        throw new MindstageError('integrity', e.message.replace(ref.recordId, `${id} (part ${k + 1} of its messages)`), { recordId: id });
      }
      throw e;
    }
    // The head lists it, so its rows were written before the head named it: missing means removed from the file.
    if (!live) throw new MindstageError('integrity', `Record ${id} failed its integrity check: part ${k + 1} of its messages is missing.`, { recordId: id });
    return live.doc;
  }

  /** Reads a part and remembers where its messages are. */
  #read(id: string, head: Y.Doc, k: number): Message[] {
    const msgs = readMessages(this.#doc(id, head, k));
    const index = this.#indexOf(id);
    for (const m of msgs) index.set(m.id, k);
    return msgs;
  }

  #indexOf(id: string): Map<string, number> {
    let index = this.#index.get(id);
    if (!index) this.#index.set(id, (index = new Map()));
    return index;
  }

  /** Runs fn, then lets the repo drop segments decoded beyond the few it keeps. */
  #op<T>(fn: () => T): T {
    try {
      return fn();
    } finally {
      if (!this.#dispatching) this.#host.repo.trim('segment', LIVE_SEGMENTS);
    }
  }

  /** The part holding a message: the index first, then every part newest first (bounded per part). */
  #locate(id: string, head: Y.Doc, messageId: string): number | undefined {
    const index = this.#indexOf(id);
    const known = index.get(messageId);
    if (known !== undefined && readMessage(this.#doc(id, head, known), messageId)) return known;
    const parts = this.#parts(id, head);
    for (let i = parts.length - 1; i >= 0; i--) {
      const k = parts[i]!;
      const ids = readMessageIds(this.#doc(id, head, k));
      for (const m of ids) index.set(m, k);
      if (ids.includes(messageId)) return k;
    }
    return undefined;
  }

  /** Each part's message count, in order: exact for the head, the newest and decoded segments, else as recorded. */
  #counts(id: string, head: Y.Doc): { k: number; n: number }[] {
    const segs = readSegments(head);
    const out = segs.map((s, i) => ({
      k: s.k,
      n: i === segs.length - 1 || this.#host.repo.isOpen(this.#ref(id, s.k)) ? messageCount(this.#doc(id, head, s.k)) : s.n,
    }));
    const own = messageCount(head);
    return own > 0 ? [{ k: HEAD, n: own }, ...out] : out;
  }

  /** How many messages come before part k. */
  #before(id: string, head: Y.Doc, k: number): number {
    let n = 0;
    for (const c of this.#counts(id, head)) {
      if (c.k === k) break;
      n += c.n;
    }
    return n;
  }

  /** A message's absolute position (0 = first), or -1. */
  indexOf(id: string, messageId: string): number {
    return this.#op(() => {
      const head = this.#head(id);
      const k = this.#locate(id, head, messageId);
      if (k === undefined) return -1;
      return this.#before(id, head, k) + readMessageIds(this.#doc(id, head, k)).indexOf(messageId);
    });
  }

  /**
   * The same total as summing #counts, without visiting every segment (an append asks for it, and 100 segments at
   * 100k messages made each append's cost grow with the history): the recorded counts' sum, cached with the head's
   * segment list, corrected by the few segments decoded now.
   */
  count(id: string): number {
    return this.#op(() => {
      const head = this.#head(id);
      // Decoded segments (and the newest, which the first screen needs anyway) count exactly; older ones by the
      // count recorded when the next segment began, kept current when a message is deleted from them.
      const segs = readSegments(head);
      const last = segs.at(-1);
      const { recorded, byK } = this.#recorded(id, segs);
      let n = messageCount(head) + recorded;
      if (last) n += messageCount(this.#doc(id, head, last.k));
      for (const live of this.#host.repo.decoded('segment')) {
        const owner = this.#owner.get(live.ref.recordId);
        const listed = owner?.id === id && owner.k !== last?.k ? byK.get(owner.k) : undefined;
        if (listed !== undefined) n += messageCount(live.doc) - listed;
      }
      return n;
    });
  }

  /** Per segment list (a new one after every change to it): older segments' recorded counts and their sum. */
  #recordedCounts = new WeakMap<readonly Segment[], { recorded: number; byK: Map<number, number> }>();

  #recorded(id: string, segs: readonly Segment[]): { recorded: number; byK: Map<number, number> } {
    let r = this.#recordedCounts.get(segs);
    if (!r) {
      r = { recorded: 0, byK: new Map() };
      for (const s of segs.slice(0, -1)) {
        r.recorded += s.n;
        r.byK.set(s.k, s.n);
        // Computing the ref records its owner, so a decoded segment is recognised as this conversation's.
        this.#ref(id, s.k);
      }
      this.#recordedCounts.set(segs, r);
    }
    return r;
  }

  /** Every message, oldest first. Segments decoded only for this are dropped again as soon as they are read. */
  all(id: string): Message[] {
    return this.#op(() => {
      const head = this.#head(id);
      const out: Message[] = [];
      for (const k of this.#parts(id, head)) for (const m of this.#read(id, head, k)) out.push(m);
      return out;
    });
  }

  /** Up to `limit` messages from absolute position `from` (0 = first), oldest first; only the parts holding them are read. */
  range(id: string, from: number, limit: number): Message[] {
    return this.#op(() => {
      const head = this.#head(id);
      const out: Message[] = [];
      let start = 0;
      for (const c of this.#counts(id, head)) {
        if (out.length >= limit) break;
        if (start + c.n > from) {
          const skip = Math.max(0, from - start);
          out.push(...this.#read(id, head, c.k).slice(skip, skip + limit - out.length));
        }
        start += c.n;
      }
      return out;
    });
  }

  /** Up to `limit` messages, oldest first, ending with the newest or just before `before`. */
  window(id: string, limit: number, before?: string): { messages: Message[]; hasOlder: boolean; offset: number } {
    return this.#op(() => {
      const head = this.#head(id);
      const parts = this.#parts(id, head);
      let p = parts.length - 1;
      let end = Infinity;
      if (before !== undefined) {
        const k = this.#locate(id, head, before);
        if (k === undefined) throw new MindstageError('not_found', `No message ${before} in conversation ${id}.`, { recordId: id });
        p = parts.indexOf(k);
        end = this.#read(id, head, k).findIndex((m) => m.id === before);
      }
      const chunks: Message[][] = [];
      let got = 0;
      let hasOlder = false;
      let startPart = p;
      let startFrom = 0;
      for (; p >= 0; p--) {
        const msgs = this.#read(id, head, parts[p]!);
        const upTo = Math.min(end, msgs.length);
        end = Infinity;
        const from = Math.max(0, upTo - (limit - got));
        chunks.unshift(msgs.slice(from, upTo));
        got += upTo - from;
        startPart = p;
        startFrom = from;
        if (got >= limit) {
          hasOlder = from > 0 || p > 0;
          break;
        }
      }
      const messages = chunks.flat();
      // Older parts by their counts (exact once decoded, else as recorded): the window's absolute position.
      const offset = startPart < 0 ? 0 : this.#before(id, head, parts[startPart]!) + startFrom;
      return { messages, hasOlder, offset };
    });
  }

  message(id: string, messageId: string): Message | undefined {
    return this.#op(() => {
      const head = this.#head(id);
      const k = this.#locate(id, head, messageId);
      return k === undefined ? undefined : readMessage(this.#doc(id, head, k), messageId);
    });
  }

  /** Appends to the newest segment, beginning the next one when it is full. Never reads the history. */
  append(id: string, m: NewMessage): Message {
    return this.#op(() => {
      const head = this.#head(id);
      const segs = readSegments(head);
      const last = segs.at(-1);
      const lastDoc = last && this.#doc(id, head, last.k);
      this.#host.transaction(() => {
        if (lastDoc && messageCount(lastDoc) < segmentSize()) {
          appendMessage(lastDoc, m);
          this.#indexOf(id).set(m.id, last.k);
          return;
        }
        const k = last ? last.k + 1 : 0;
        // The segment's rows first, then the head naming it: a reader (or a device syncing) never meets a listed
        // segment that has no rows yet.
        appendMessage(this.#host.repo.open(this.#ref(id, k)).doc, m);
        head.transact(() => {
          if (last && lastDoc) writeSegment(head, last.k, messageCount(lastDoc));
          writeSegment(head, k, 0);
        });
        this.#indexOf(id).set(m.id, k);
      });
      return newMessage(m);
    });
  }

  /** Writes messages (import, branch) as whole segments after the existing ones: one batched update each. */
  appendMany(id: string, messages: readonly Message[]): void {
    this.#op(() => this.#host.transaction(() => this.#appendMany(id, this.#head(id), messages)));
  }

  #appendMany(id: string, head: Y.Doc, messages: readonly Message[]): void {
    const start = (readSegments(head).at(-1)?.k ?? -1) + 1;
    const counts: number[] = [];
    const size = segmentSize();
    for (let i = 0, k = start; i < messages.length; i += size, k++) {
      const chunk = messages.slice(i, i + size);
      const ref = this.#ref(id, k);
      copyMessages(this.#host.repo.open(ref).doc, chunk);
      // Written once and not needed decoded: the repo may drop it right away.
      this.#host.repo.trim('segment', LIVE_SEGMENTS);
      counts.push(chunk.length);
    }
    head.transact(() => counts.forEach((n, i) => writeSegment(head, start + i, i === counts.length - 1 ? 0 : n)));
  }

  /**
   * A head written before segments: its messages are copied into segments and cleared from it, in one local
   * transaction, and the head compacted so the old history leaves its rows. Nothing is re-read from disk later.
   */
  #migrate(id: string, head: Y.Doc): void {
    const messages = readMessages(head);
    this.#host.transaction(() => {
      this.#appendMany(id, head, messages);
      clearMessageParts(head);
    });
    this.#host.repo.compact(recordRef(id, 'conversation'));
  }

  #change<T>(id: string, messageId: string, fn: (doc: Y.Doc) => T): T | undefined {
    return this.#op(() => {
      const head = this.#head(id);
      const k = this.#locate(id, head, messageId);
      return k === undefined ? undefined : fn(this.#doc(id, head, k));
    });
  }

  addAlternative(id: string, messageId: string, alt: StoredAlternative): boolean {
    return this.#change(id, messageId, (doc) => (addAlternative(doc, messageId, alt), true)) ?? false;
  }

  patchAlternative(id: string, messageId: string, altId: string, patch: Parameters<typeof patchAlternative>[2]): boolean {
    return this.#change(id, messageId, (doc) => (patchAlternative(doc, altId, patch), true)) ?? false;
  }

  chooseAlternative(id: string, messageId: string, altId: string): boolean {
    return this.#change(id, messageId, (doc) => (chooseAlternative(doc, messageId, altId), true)) ?? false;
  }

  deleteMessage(id: string, messageId: string): boolean {
    return this.#op(() => {
      const head = this.#head(id);
      const k = this.#locate(id, head, messageId);
      if (k === undefined) return false;
      const doc = this.#doc(id, head, k);
      const segs = readSegments(head);
      this.#host.transaction(() => {
        deleteMessage(doc, messageId);
        // Keep the recorded count of an older segment right, so counting never needs to decode it.
        if (k !== HEAD && k !== segs.at(-1)?.k) writeSegment(head, k, messageCount(doc));
      });
      this.#indexOf(id).delete(messageId);
      return true;
    });
  }

  /** Every segment document of a conversation (for deleting it, and for sync's tombstones and reconciliation). */
  segmentRefs(id: string, head: Y.Doc | null): DocRef[] {
    const listed = head ? readSegments(head).map((s) => s.k) : [];
    const refs = listed.map((k) => this.#ref(id, k));
    // Beyond the list: a segment begun on another device whose head update has not arrived, or a crash between a
    // segment's first row and the head naming it. Segments begin in order, so the first absent one ends the search.
    for (let k = (listed.at(-1) ?? -1) + 1; ; k++) {
      const ref = this.#ref(id, k);
      if (!this.#host.repo.exists(ref)) break;
      refs.push(ref);
    }
    return refs;
  }

  /** Deletes every segment (the head is the caller's); forgets the index. */
  deleteSegments(id: string, head: Y.Doc | null): void {
    for (const ref of this.segmentRefs(id, head)) this.#host.repo.delete(ref);
    this.#index.delete(id);
  }

  /** Drops what is decoded (on lock). */
  clear(): void {
    this.#index.clear();
    this.#refs.clear();
    this.#owner.clear();
    this.#recordedCounts = new WeakMap();
  }
}
