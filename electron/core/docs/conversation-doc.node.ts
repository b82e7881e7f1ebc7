/**
 * The Yjs shapes of a conversation. A conversation is a head document (the record: `meta`, and `segs`, the list of
 * its segments) and segment documents of at most ~SEGMENT_SIZE messages each (docs/storage.md, conversations.node.ts).
 * A segment holds (and a head written before segments existed still holds) the message parts, shaped for speed
 * (DESIGN.md §3: plain JSON values in a Y.Array decode ~4× faster than one Y.Map per message):
 *
 *   meta      Y.Map     (head) title, characters, scenario, persona, provider, branch origin, createdAt
 *   segs      Y.Map     (head) segment number → messages it held when the next one began (0 while newest)
 *   messages  Y.Array   one immutable JSON *string* per message, holding its first alternative — strings decode
 *                       ~5× faster in Yjs than object values, and JSON.parse is native (bench: storage suite)
 *   alts      Y.Array   further alternatives (regenerations) as {m: messageId, a: alternative}; one shared array,
 *                       because two devices creating a per-message array under the same map key would lose one
 *   patches   Y.Map     alternativeId → latest {text, status, error, editedAt}: edits and streaming checkpoints
 *   chosen    Y.Map     messageId → alternativeId shown
 *
 * Mutations never rewrite a message value, so concurrent edits from devices merge: appends interleave, each
 * alternative's text is last-writer-wins, deletions remove the message wherever it is.
 */
import type * as Y from 'yjs';
import type { Alternative, ConversationMeta, Message, MessageRole } from '../../../shared/domain.std.ts';

export interface StoredAlternative {
  id: string;
  text: string;
  createdAt: number;
  status?: Alternative['status'];
  provider?: string;
  model?: string;
  error?: string;
  /** The model's thinking (`<think>`, `reasoning_content`, SillyTavern `extra.reasoning`), kept apart from the text. */
  reasoning?: string;
}

export interface StoredMessage {
  id: string;
  role: MessageRole;
  authorId?: string;
  createdAt: number;
  alt: StoredAlternative;
}

export interface StoredExtra {
  m: string;
  a: StoredAlternative;
}

export interface Patch {
  text?: string;
  status?: Alternative['status'];
  error?: string;
  editedAt?: number;
  provider?: string;
  model?: string;
  reasoning?: string;
}

/** The document's shared types (conversation-observe.node.ts reads their events). */
export const parts = (doc: Y.Doc) => ({
  meta: doc.getMap<unknown>('meta'),
  messages: doc.getArray<string>('messages'),
  alts: doc.getArray<StoredExtra>('alts'),
  patches: doc.getMap<Patch>('patches'),
  chosen: doc.getMap<string>('chosen'),
});

export interface Segment {
  readonly k: number;
  readonly n: number;
}

/**
 * Each head's segment list as last read. Rebuilding it walks every segment (100 at 100k messages) and was most of
 * what an append allocated (docs/decisions.md #22), so it is read once per change: writeSegment drops it at once,
 * and any other change to `segs` (sync) before the transaction's observers run.
 */
const segmentLists = new WeakMap<Y.Doc, readonly Segment[]>();
/** Heads whose `segs` changes drop their cached list (one listener each). */
const watchedHeads = new WeakSet<Y.Doc>();

/** Segment numbers listed in a head, ascending, with the message count each had when the next one began. */
export function readSegments(head: Y.Doc): readonly Segment[] {
  const cached = segmentLists.get(head);
  if (cached) return cached;
  const segs = head.getMap<number>('segs');
  const out: Segment[] = [];
  for (const [key, n] of segs.entries()) out.push({ k: Number(key), n });
  out.sort((a, b) => a.k - b.k);
  if (!watchedHeads.has(head)) {
    watchedHeads.add(head);
    head.on('beforeObserverCalls', (tr: Y.Transaction) => {
      if ((tr.changed as Map<unknown, unknown>).has(segs)) segmentLists.delete(head);
    });
  }
  const list = Object.freeze(out);
  segmentLists.set(head, list);
  return list;
}

export function writeSegment(head: Y.Doc, k: number, n: number): void {
  head.getMap<number>('segs').set(String(k), n);
  segmentLists.delete(head);
}

export function readMeta(doc: Y.Doc): ConversationMeta & { createdAt: number } {
  return parts(doc).meta.toJSON() as ConversationMeta & { createdAt: number };
}

export function writeMeta(doc: Y.Doc, patch: Partial<ConversationMeta> & { createdAt?: number }): void {
  const { meta } = parts(doc);
  doc.transact(() => {
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) meta.delete(k);
      else meta.set(k, v);
    }
  });
}

type ExtrasByMessage = Map<string, StoredAlternative[]>;

function extrasByMessage(alts: Y.Array<StoredExtra>): ExtrasByMessage {
  const out: ExtrasByMessage = new Map();
  for (const { m, a } of alts.toArray()) {
    const list = out.get(m);
    if (!list) out.set(m, [a]);
    // Two devices migrating one conversation at once copy the same alternative twice (docs/storage.md).
    else if (!list.some((x) => x.id === a.id)) list.push(a);
  }
  return out;
}

function toAlternative(a: StoredAlternative, p: Patch | undefined): Alternative {
  const alt: Alternative = { id: a.id, text: a.text, createdAt: a.createdAt, status: a.status ?? 'complete' };
  if (a.provider !== undefined) alt.provider = a.provider;
  if (a.model !== undefined) alt.model = a.model;
  if (a.error !== undefined) alt.error = a.error;
  if (a.reasoning !== undefined) alt.reasoning = a.reasoning;
  if (p) {
    if (p.text !== undefined) alt.text = p.text;
    if (p.status !== undefined) alt.status = p.status;
    if (p.error !== undefined) alt.error = p.error;
    if (p.provider !== undefined) alt.provider = p.provider;
    if (p.model !== undefined) alt.model = p.model;
    if (p.reasoning !== undefined) alt.reasoning = p.reasoning;
  }
  return alt;
}

// Hot path: runs once per message when a conversation opens, so it avoids spreads and rest patterns.
function toMessage(m: StoredMessage, extras: ExtrasByMessage, patches: Map<string, Patch>, chosen: Map<string, string>): Message {
  const extra = extras.get(m.id);
  const stored = extra ? [m.alt, ...extra] : [m.alt];
  let editedAt: number | undefined;
  const alternatives: Alternative[] = [];
  for (const a of stored) {
    const p = patches.get(a.id);
    if (p?.editedAt !== undefined) editedAt = Math.max(editedAt ?? 0, p.editedAt);
    alternatives.push(toAlternative(a, p));
  }
  const chosenId = chosen.get(m.id);
  const idx = chosenId === undefined ? 0 : alternatives.findIndex((a) => a.id === chosenId);
  const msg: Message = { id: m.id, role: m.role, createdAt: m.createdAt, alternatives, chosen: idx < 0 ? 0 : idx };
  if (m.authorId !== undefined) msg.authorId = m.authorId;
  if (editedAt !== undefined) msg.editedAt = editedAt;
  return msg;
}

export function readMessages(doc: Y.Doc): Message[] {
  const { messages, alts, patches, chosen } = parts(doc);
  // Plain Maps: Y.Map lookups and sizes cost more than the whole loop body at 10,000 messages.
  const extras = extrasByMessage(alts);
  const patchMap = new Map(patches.entries());
  const chosenMap = new Map(chosen.entries());
  const out: Message[] = [];
  const seen = new Set<string>();
  for (const text of messages.toArray()) {
    const m = JSON.parse(text) as StoredMessage;
    // A message copied twice by concurrent migrations shows once (docs/storage.md).
    if (seen.has(m.id)) continue;
    seen.add(m.id);
    out.push(toMessage(m, extras, patchMap, chosenMap));
  }
  return out;
}

/** The ids of a part's messages, in order (for the conversation's message index). */
export function readMessageIds(doc: Y.Doc): string[] {
  return parts(doc).messages.toArray().map((m) => (JSON.parse(m) as StoredMessage).id);
}

/** The message as appendMessage just stored it, without reading the document back. */
export function newMessage(m: { id: string; role: MessageRole; authorId?: string; createdAt: number; alt: StoredAlternative }): Message {
  const msg: Message = { id: m.id, role: m.role, createdAt: m.createdAt, alternatives: [toAlternative(m.alt, undefined)], chosen: 0 };
  if (m.authorId !== undefined) msg.authorId = m.authorId;
  return msg;
}

export function messageCount(doc: Y.Doc): number {
  return parts(doc).messages.length;
}

export function readMessage(doc: Y.Doc, messageId: string): Message | undefined {
  const { messages, alts, patches, chosen } = parts(doc);
  const m = findStored(messages, messageId);
  return m && toMessage(m.value, extrasByMessage(alts), new Map(patches.entries()), new Map(chosen.entries()));
}

function findStored(messages: Y.Array<string>, id: string): { index: number; value: StoredMessage } | undefined {
  // Newest messages are the ones touched most; search from the end, parsing only what we pass.
  const all = messages.toArray();
  const needle = `"id":${JSON.stringify(id)}`;
  for (let i = all.length - 1; i >= 0; i--) {
    if (!all[i]!.startsWith(`{${needle}`)) continue;
    const value = JSON.parse(all[i]!) as StoredMessage;
    if (value.id === id) return { index: i, value };
  }
  return undefined;
}

type NewMessage = { id: string; role: MessageRole; authorId?: string; createdAt: number; alt: StoredAlternative };

function storedJson(m: NewMessage): string {
  const stored: StoredMessage = { id: m.id, role: m.role, createdAt: m.createdAt, alt: m.alt };
  if (m.authorId !== undefined) stored.authorId = m.authorId;
  // `id` first: findStored relies on it to skip parsing.
  return JSON.stringify(stored);
}

export function appendMessage(doc: Y.Doc, m: NewMessage): void {
  parts(doc).messages.push([storedJson(m)]);
}

/** Appends many messages as one insert (one Yjs item, not one per message), e.g. to seed a long history. */
export function appendMessages(doc: Y.Doc, list: NewMessage[]): void {
  parts(doc).messages.push(list.map(storedJson));
}

/**
 * Copies messages verbatim (ids, alternatives, choice, edit time) with one push per array, so building a part
 * costs one pass whatever its length (one push per message walks the list: quadratic, see issue 9).
 */
export function copyMessages(doc: Y.Doc, list: readonly Message[]): void {
  const { messages, alts, patches, chosen } = parts(doc);
  const texts: string[] = [];
  const extras: StoredExtra[] = [];
  doc.transact(() => {
    for (const m of list) {
      const [first, ...rest] = m.alternatives.map(storedAlternative);
      const stored: StoredMessage = { id: m.id, role: m.role, createdAt: m.createdAt, alt: first! };
      if (m.authorId !== undefined) stored.authorId = m.authorId;
      texts.push(JSON.stringify(stored));
      for (const a of rest) extras.push({ m: m.id, a });
      if (rest.length > 0) chosen.set(m.id, m.alternatives[m.chosen]!.id);
      if (m.editedAt !== undefined) patches.set(m.alternatives[m.chosen]!.id, { editedAt: m.editedAt });
    }
    messages.push(texts);
    if (extras.length > 0) alts.push(extras);
  });
}

function storedAlternative(a: Alternative): StoredAlternative {
  const out: StoredAlternative = { id: a.id, text: a.text, createdAt: a.createdAt };
  if (a.status !== 'complete') out.status = a.status;
  if (a.provider !== undefined) out.provider = a.provider;
  if (a.model !== undefined) out.model = a.model;
  if (a.error !== undefined) out.error = a.error;
  if (a.reasoning !== undefined) out.reasoning = a.reasoning;
  return out;
}

/** Removes every message part from a head written before segments (after they were copied into segments). */
export function clearMessageParts(doc: Y.Doc): void {
  const { messages, alts, patches, chosen } = parts(doc);
  doc.transact(() => {
    messages.delete(0, messages.length);
    alts.delete(0, alts.length);
    for (const k of [...patches.keys()]) patches.delete(k);
    for (const k of [...chosen.keys()]) chosen.delete(k);
  });
}

/** Adds an alternative (a regeneration or an alternate greeting) and shows it. */
export function addAlternative(doc: Y.Doc, messageId: string, alt: StoredAlternative): void {
  const { alts, chosen } = parts(doc);
  doc.transact(() => {
    alts.push([{ m: messageId, a: alt }]);
    chosen.set(messageId, alt.id);
  });
}

export function patchAlternative(doc: Y.Doc, altId: string, patch: Patch): void {
  const { patches } = parts(doc);
  patches.set(altId, { ...patches.get(altId), ...patch });
}

export function chooseAlternative(doc: Y.Doc, messageId: string, altId: string): void {
  parts(doc).chosen.set(messageId, altId);
}

/** Removes a message and everything hanging off it; returns false if it was not there. */
export function deleteMessage(doc: Y.Doc, messageId: string): boolean {
  const { messages, alts, patches, chosen } = parts(doc);
  const found = findStored(messages, messageId);
  if (!found) return false;
  doc.transact(() => {
    messages.delete(found.index, 1);
    // A copy left by concurrent migrations goes too.
    for (let again = findStored(messages, messageId); again; again = findStored(messages, messageId)) messages.delete(again.index, 1);
    patches.delete(found.value.alt.id);
    const extras = alts.toArray();
    for (let i = extras.length - 1; i >= 0; i--) {
      if (extras[i]!.m !== messageId) continue;
      patches.delete(extras[i]!.a.id);
      alts.delete(i, 1);
    }
    chosen.delete(messageId);
  });
  return true;
}

export interface MessageChanges {
  added: string[];
  /** Text, status, alternatives or choice changed. */
  changed: string[];
  deleted: string[];
}

/**
 * Calls back after each transaction that changed messages of this part, naming them. Runs from Yjs observers, before
 * deleted content is garbage-collected, so deleted messages are named too.
 */
export function observeMessages(doc: Y.Doc, fn: (changes: MessageChanges, tr: Y.Transaction) => void): void {
  const { messages, alts, patches, chosen } = parts(doc);
  let pending: MessageChanges | null = null;
  const acc = (): MessageChanges => (pending ??= { added: [], changed: [], deleted: [] });
  const ids = (items: Set<Y.Item>) => [...items].flatMap((i) => (i.content.getContent() as string[]).map((m) => (JSON.parse(m) as StoredMessage).id));
  messages.observe((ev) => {
    acc().added.push(...ids(ev.changes.added));
    acc().deleted.push(...ids(ev.changes.deleted));
  });
  alts.observe((ev) => {
    for (const i of ev.changes.added) for (const x of i.content.getContent() as StoredExtra[]) acc().changed.push(x.m);
  });
  chosen.observe((ev) => acc().changed.push(...ev.keysChanged));
  patches.observe((ev) => {
    // Patches are keyed by alternative: find each one's message (bounded by the part's size).
    const owner = new Map<string, string>();
    for (const m of messages.toArray()) {
      const v = JSON.parse(m) as StoredMessage;
      owner.set(v.alt.id, v.id);
    }
    for (const { m, a } of alts.toArray()) owner.set(a.id, m);
    for (const altId of ev.keysChanged) {
      const m = owner.get(altId);
      if (m !== undefined) acc().changed.push(m);
    }
  });
  doc.on('afterTransaction', (tr: Y.Transaction) => {
    if (!pending) return;
    const c = pending;
    pending = null;
    const gone = new Set(c.deleted);
    const added = new Set(c.added.filter((m) => !gone.has(m)));
    fn({ added: [...added], changed: [...new Set(c.changed)].filter((m) => !added.has(m) && !gone.has(m)), deleted: [...gone] }, tr);
  });
}
