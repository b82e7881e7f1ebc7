/**
 * A conversation as a Yjs document, shaped for speed at 10,000+ messages (DESIGN.md §3: plain JSON values in a
 * Y.Array decode ~4× faster than one Y.Map per message):
 *
 *   meta      Y.Map     title, characters, scenario, persona, provider, branch origin, createdAt
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
    if (list) list.push(a);
    else out.set(m, [a]);
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
  return messages.toArray().map((m) => toMessage(JSON.parse(m) as StoredMessage, extras, patchMap, chosenMap));
}

/**
 * The `limit` messages just before `beforeId` (or the newest `limit`), with the absolute index of the first;
 * null when `beforeId` is not in the conversation. Parses only the messages it returns.
 */
export function readMessageWindow(doc: Y.Doc, beforeId: string | undefined, limit: number): { offset: number; messages: Message[] } | null {
  const { messages, alts, patches, chosen } = parts(doc);
  let end = messages.length;
  if (beforeId !== undefined) {
    const found = findStored(messages, beforeId);
    if (!found) return null;
    end = found.index;
  }
  const offset = Math.max(0, end - limit);
  const extras = extrasByMessage(alts);
  const patchMap = new Map(patches.entries());
  const chosenMap = new Map(chosen.entries());
  return { offset, messages: messages.slice(offset, end).map((m) => toMessage(JSON.parse(m) as StoredMessage, extras, patchMap, chosenMap)) };
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

export function appendMessage(
  doc: Y.Doc,
  m: { id: string; role: MessageRole; authorId?: string; createdAt: number; alt: StoredAlternative },
): void {
  const stored: StoredMessage = { id: m.id, role: m.role, createdAt: m.createdAt, alt: m.alt };
  if (m.authorId !== undefined) stored.authorId = m.authorId;
  // `id` first: findStored relies on it to skip parsing.
  parts(doc).messages.push([JSON.stringify(stored)]);
}

/** A message with every alternative and the one shown, as import writes them. */
export interface BatchMessage {
  id: string;
  role: MessageRole;
  authorId?: string;
  createdAt: number;
  alternatives: StoredAlternative[];
  /** Index of the alternative shown. */
  chosen: number;
}

/**
 * Appends many messages in one transaction with one push per array: Yjs then integrates a single run of items
 * instead of walking the list once per message, which is what keeps importing 10,000 messages linear.
 */
export function appendMessages(doc: Y.Doc, batch: readonly BatchMessage[]): void {
  const { messages, alts, chosen } = parts(doc);
  const strings: string[] = [];
  const extras: StoredExtra[] = [];
  const choices: [string, string][] = [];
  for (const m of batch) {
    const [first, ...rest] = m.alternatives;
    if (!first) continue;
    const stored: StoredMessage = { id: m.id, role: m.role, createdAt: m.createdAt, alt: first };
    if (m.authorId !== undefined) stored.authorId = m.authorId;
    strings.push(JSON.stringify(stored));
    for (const a of rest) extras.push({ m: m.id, a });
    if (m.chosen > 0 && m.alternatives[m.chosen]) choices.push([m.id, m.alternatives[m.chosen]!.id]);
  }
  doc.transact(() => {
    if (strings.length > 0) messages.push(strings);
    if (extras.length > 0) alts.push(extras);
    for (const [m, a] of choices) chosen.set(m, a);
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
