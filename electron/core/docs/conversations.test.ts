/**
 * Conversations in segment documents, on real encryption over in-memory storage: windows, lookups by id, counts,
 * edits in old segments, batched import, deletion of every segment, message-level change events, and what stays
 * decoded. Segments of 10 messages (MINDSTAGE_TEST_SEGMENT_SIZE) so a few dozen messages span several.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Message } from '../../../shared/domain.std.ts';
import { createMemoryStorage, type VaultStorage } from '../store/storage.node.ts';
import { createVault, UnlockedVault } from '../vault/vault.node.ts';
import { VaultSession } from '../session.node.ts';
import { appendMessage, writeMeta } from './conversation-doc.node.ts';
import { LIVE_SEGMENTS, segmentRef } from './conversations.node.ts';
import type { MessageChanges } from './conversation-doc.node.ts';

beforeAll(() => void (process.env['MINDSTAGE_TEST_SEGMENT_SIZE'] = '10'));
afterAll(() => void delete process.env['MINDSTAGE_TEST_SEGMENT_SIZE']);

function device(): { s: VaultSession; storage: VaultStorage; again: () => VaultSession } {
  const storage = createMemoryStorage();
  const { vault } = createVault(storage, 'conversations test');
  const key = vault.vaultKeyForWrap().slice();
  return { s: new VaultSession(storage, vault), storage, again: () => new VaultSession(storage, new UnlockedVault(vault.vaultId, key.slice())) };
}

const newConversation = (s: VaultSession) => s.createRecord('conversation', 'Chat', (doc) => writeMeta(doc, { title: 'Chat', createdAt: 1 }));
const say = (s: VaultSession, id: string, i: number) => s.conversations.append(id, { id: `m${i}`, role: i % 2 ? 'character' : 'user', createdAt: i, alt: { id: `a${i}`, text: `text ${i}`, createdAt: i } });
const ids = (ms: Message[]) => ms.map((m) => m.id);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `m${from + i}`);

describe('conversations in segments', () => {
  it('appends across segments and reads windows, single messages and counts, also after reopening', () => {
    const { s, again } = device();
    const id = newConversation(s);
    for (let i = 0; i < 25; i++) expect(say(s, id, i)).toMatchObject({ id: `m${i}`, alternatives: [{ id: `a${i}`, text: `text ${i}`, status: 'complete' }], chosen: 0 });
    for (const session of [s, again()]) {
      const c = session.conversations;
      expect(c.count(id)).toBe(25);
      expect(ids(c.all(id))).toEqual(range(0, 25));
      expect(c.window(id, 5)).toMatchObject({ hasOlder: true });
      expect(ids(c.window(id, 5).messages)).toEqual(range(20, 25));
      // Before a message in the middle segment, reaching into the first.
      expect(ids(c.window(id, 12, 'm15').messages)).toEqual(range(3, 15));
      const oldest = c.window(id, 50, 'm4');
      expect([ids(oldest.messages), oldest.hasOlder]).toEqual([range(0, 4), false]);
      expect(c.message(id, 'm2')?.alternatives[0]?.text).toBe('text 2');
      expect(c.message(id, 'nope')).toBeUndefined();
    }
  });

  it('edits, alternatives, choices and deletions reach messages in old segments, and counts stay right', () => {
    const { s, again } = device();
    const id = newConversation(s);
    for (let i = 0; i < 25; i++) say(s, id, i);
    const c = s.conversations;
    expect(c.patchAlternative(id, 'm3', 'a3', { text: 'edited', editedAt: 9 })).toBe(true);
    expect(c.addAlternative(id, 'm4', { id: 'a4b', text: 'again', createdAt: 9 })).toBe(true);
    expect(c.chooseAlternative(id, 'm4', 'a4')).toBe(true);
    expect(c.deleteMessage(id, 'm5')).toBe(true);
    expect(c.deleteMessage(id, 'm5')).toBe(false);
    const reread = again().conversations;
    expect(reread.count(id)).toBe(24);
    expect(reread.message(id, 'm3')).toMatchObject({ editedAt: 9, alternatives: [{ text: 'edited' }] });
    expect(reread.message(id, 'm4')).toMatchObject({ chosen: 0, alternatives: [{ id: 'a4' }, { id: 'a4b' }] });
    expect(ids(reread.all(id))).toEqual(range(0, 25).filter((m) => m !== 'm5'));
  });

  it('counts an older segment exactly while it is decoded, also when it holds more than its recorded count', () => {
    const { s } = device();
    const id = newConversation(s);
    for (let i = 0; i < 25; i++) say(s, id, i);
    expect(s.conversations.count(id)).toBe(25);
    // Another device appended to segment 0 before it saw the rollover: segment 0 holds 11, the head records 10.
    appendMessage(s.repo.open(segmentRef(s.vault.subkey('idHash'), id, 0)).doc, { id: 'late', role: 'user', createdAt: 99, alt: { id: 'alate', text: 'late', createdAt: 99 } });
    expect(s.conversations.count(id)).toBe(26);
    expect(s.conversations.all(id)).toHaveLength(26);
    // The newest segment is counted as it is; a deletion from an old one updates its recorded count.
    say(s, id, 25);
    expect(s.conversations.deleteMessage(id, 'm12')).toBe(true);
    expect(s.conversations.count(id)).toBe(26);
    expect(s.conversations.all(id)).toHaveLength(26);
  });

  it('imports each segment as one encrypted update and deletes every segment with the conversation', () => {
    const { s, storage } = device();
    const id = newConversation(s);
    const messages: Message[] = range(0, 25).map((m, i) => ({ id: m, role: 'user', createdAt: i, chosen: 0, alternatives: [{ id: `a${i}`, text: `t${i}`, createdAt: i, status: 'complete' }] }));
    s.conversations.appendMany(id, messages);
    const idKey = s.vault.subkey('idHash');
    const refs = [0, 1, 2].map((k) => segmentRef(idKey, id, k));
    for (const ref of refs) expect(storage.readDoc(ref.storageId).updates).toHaveLength(1);
    expect(storage.readDoc(segmentRef(idKey, id, 3).storageId).head).toBeNull();
    expect(ids(s.conversations.all(id))).toEqual(range(0, 25));
    s.deleteRecord(id, 'conversation');
    for (const ref of refs) expect(storage.readDoc(ref.storageId)).toEqual({ head: null, snapshot: null, updates: [] });
  });

  it('keeps only a few segments decoded', () => {
    const { s } = device();
    const id = newConversation(s);
    for (let i = 0; i < 150; i++) say(s, id, i);
    expect(s.conversations.all(id)).toHaveLength(150);
    const idKey = s.vault.subkey('idHash');
    const live = Array.from({ length: 15 }, (_, k) => s.repo.isOpen(segmentRef(idKey, id, k))).filter(Boolean).length;
    expect(live).toBeLessThanOrEqual(LIVE_SEGMENTS);
    expect(live).toBeGreaterThan(0);
  });

  it('names the messages a remote update added, changed or deleted', () => {
    const a = device();
    const b = device();
    // B holds the same vault key as A would after pairing: replay A's committed updates into B's documents.
    const bs = new VaultSession(b.storage, new UnlockedVault(a.s.vault.vaultId, a.s.vault.vaultKeyForWrap().slice()));
    a.s.repo.onCommitted((ref, update) => Y.applyUpdate(bs.repo.open(ref).doc, update, 'remote'));
    const id = newConversation(a.s);
    for (let i = 0; i < 12; i++) say(a.s, id, i);
    const seen: { id: string; changes: MessageChanges; origin: unknown }[] = [];
    bs.conversations.onMessagesChanged((cid, changes, tr) => seen.push({ id: cid, changes, origin: tr.origin }));
    expect(bs.conversations.count(id)).toBe(12);
    say(a.s, id, 12);
    a.s.conversations.patchAlternative(id, 'm2', 'a2', { text: 'edited remotely' });
    a.s.conversations.deleteMessage(id, 'm11');
    expect(seen).toEqual([
      { id, changes: { added: ['m12'], changed: [], deleted: [] }, origin: 'remote' },
      { id, changes: { added: [], changed: ['m2'], deleted: [] }, origin: 'remote' },
      { id, changes: { added: [], changed: [], deleted: ['m11'] }, origin: 'remote' },
    ]);
    expect(bs.conversations.message(id, 'm2')?.alternatives[0]?.text).toBe('edited remotely');
  });
});
