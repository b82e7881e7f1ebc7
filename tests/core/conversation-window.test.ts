/**
 * The window contract (`conversation.window`) and `conversation.changed`: a client that holds a window and applies
 * only the events ends with exactly what a fresh window shows — after local edits, chat replies, and changes that
 * arrive by sync from another device. Real vaults, the fake provider, a real relay on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvents } from '../../shared/api/index.std.ts';
import { applyChanges, prependPage, type HeldWindow } from '../../shared/conversation-window.std.ts';
import type { Core } from '../../electron/core/core.node.ts';
import type { Call } from '../../electron/core/cli/context.node.ts';
import { openChatHarness, nextReply, type ChatHarness } from '../chat/harness.node.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';
import { firstDevice, pairedDevice, type CoreDevice } from '../sync/core-support.node.ts';

/** A window kept current by events only; `broken` counts events it could not apply (it then refetches). */
function follow(core: Core, call: Call, id: string) {
  const held = { w: null as HeldWindow | null, broken: 0, events: [] as ApiEvents['conversation.changed'][] };
  const off = core.on('conversation.changed', (ev) => {
    if (ev.conversationId !== id || !held.w) return;
    held.events.push(ev);
    const next = applyChanges(held.w, ev);
    if (!next) held.broken++;
    held.w = next;
  });
  return Object.assign(held, {
    off,
    open: async (limit = 200) => {
      held.w = await call('conversation.window', { id, limit });
    },
  });
}

/** A fresh window of the same size; `updatedAt` is the catalog's (lists follow it through records.changed). */
const fresh = async (call: Call, id: string, limit: number) => stamped(await call('conversation.window', { id, limit }));
const stamped = (w: HeldWindow | null) => w && { ...w, meta: { ...w.meta, updatedAt: 0 } };

let h: ChatHarness;
let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
  h = await openChatHarness();
  await h.call('provider.add', { name: 'fake', baseUrl: fake.baseUrl, model: 'fake-model' });
});
afterAll(async () => {
  await h?.core.close();
  await fake?.close();
});

describe('conversation.window', () => {
  it('returns the newest messages, pages older ones, and refuses what it cannot serve', async () => {
    const id = await h.newConversation();
    for (let i = 0; i < 25; i++) await h.call('conversation.addMessage', { id, role: i % 2 ? 'character' : 'user', text: `m${i}` });
    const newest = await h.call('conversation.window', { id, limit: 10 });
    expect([newest.total, newest.offset]).toEqual([25, 15]);
    expect(newest.messages.map((m) => m.alternatives[0]!.text)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i + 15}`));
    expect(newest.meta).toMatchObject({ id, title: 'test', characterIds: [h.characterId] });
    expect(newest.meta).not.toHaveProperty('messages');

    const older = await h.call('conversation.window', { id, beforeId: newest.messages[0]!.id, limit: 10 });
    expect(older.offset).toBe(5);
    const first = await h.call('conversation.window', { id, beforeId: older.messages[0]!.id, limit: 10 });
    expect([first.offset, first.messages.length, first.messages[0]!.alternatives[0]!.text]).toEqual([0, 5, 'm0']);
    const joined = prependPage(prependPage(newest, older)!, first)!;
    expect(joined.messages).toEqual((await h.call('conversation.get', { id })).messages);

    await expect(h.call('conversation.window', { id, beforeId: 'nope' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(h.call('conversation.window', { id, limit: 501 })).rejects.toMatchObject({ code: 'usage' });
    await expect(h.call('conversation.window', { id: '0'.repeat(32) })).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('conversation.changed from local changes', () => {
  it('describes every edit so a window kept by events equals a fresh one', async () => {
    const id = await h.newConversation();
    for (let i = 0; i < 30; i++) await h.call('conversation.addMessage', { id, role: 'user', text: `old ${i}` });
    const f = follow(h.core, h.call, id);
    await f.open(10);
    const check = async () => {
      expect(f.broken).toBe(0);
      expect(stamped(f.w)).toEqual(await fresh(h.call, id, f.w!.messages.length));
    };

    const added = await h.call('conversation.addMessage', { id, role: 'narrator', text: 'The fog lifts.' });
    expect(f.events.at(-1)!.changes).toEqual([{ kind: 'added', index: 30, message: added }]);
    await check();

    await h.call('conversation.editMessage', { id, messageId: added.id, text: 'The fog lifts slowly.' });
    expect(f.events.at(-1)!.changes[0]).toMatchObject({ kind: 'message', message: { id: added.id, alternatives: [{ text: 'The fog lifts slowly.' }] } });
    await check();

    // A message before the window: the window only shifts.
    const all = await h.call('conversation.get', { id });
    await h.call('conversation.deleteMessage', { id, messageId: all.messages[3]!.id });
    expect(f.events.at(-1)!.changes).toEqual([{ kind: 'deleted', messageIds: [all.messages[3]!.id] }]);
    await check();
    await h.call('conversation.deleteMessage', { id, messageId: all.messages[28]!.id });
    await check();

    await h.call('conversation.update', { id, patch: { title: 'Renamed' } });
    expect(f.events.at(-1)!.changes).toEqual([{ kind: 'meta', meta: expect.objectContaining({ title: 'Renamed' }) }]);
    await check();

    // Chat: the user's message and the reply appear as they are made, the reply's final text arrives as a change.
    fake.script({ text: 'Lighthouse lit.' });
    let reply = nextReply(h.core, id);
    const sent = await h.call('chat.send', { conversationId: id, text: 'Light it.' });
    expect(f.w!.messages.slice(-2).map((m) => m.id)).toEqual([sent.userMessageId, sent.replyMessageId]);
    expect(f.w!.messages.at(-1)!.alternatives[0]!.status).toBe('streaming');
    await reply;
    expect(f.w!.messages.at(-1)!.alternatives[0]).toMatchObject({ text: 'Lighthouse lit.', status: 'complete' });
    await check();

    fake.script({ text: 'Second take.' });
    reply = nextReply(h.core, id);
    await h.call('chat.regenerate', { conversationId: id });
    expect(f.w!.messages.at(-1)!.alternatives).toHaveLength(2);
    await reply;
    expect(f.w!.messages.at(-1)).toMatchObject({ chosen: 1, alternatives: [{ text: 'Lighthouse lit.' }, { text: 'Second take.', status: 'complete' }] });
    await h.call('conversation.chooseAlternative', { id, messageId: sent.replyMessageId, index: 0 });
    expect(f.w!.messages.at(-1)!.chosen).toBe(0);
    await check();

    fake.script({ text: ' And more.' });
    reply = nextReply(h.core, id);
    await h.call('chat.continue', { conversationId: id });
    await reply;
    expect(f.w!.messages.at(-1)!.alternatives[0]!.text).toBe('Lighthouse lit. And more.');
    await check();

    // Deleting the conversation tells a window holder to drop it.
    await h.call('conversation.delete', { id });
    expect(f.events.at(-1)!.changes).toEqual([{ kind: 'reset' }]);
    f.off();
  });
});

describe('conversation.changed from sync', () => {
  let relay: TestRelay;
  let a: CoreDevice;
  let b: CoreDevice;
  beforeAll(async () => {
    relay = await startTestRelay();
    a = await firstDevice(relay.url);
    b = await pairedDevice(a, relay.url);
  });
  afterAll(async () => {
    await a?.core.close();
    await b?.core.close();
    await relay?.close();
  });

  it('describes changes another device made, without a reset', async () => {
    const { id } = await a.call('conversation.create', { title: 'shared' });
    for (let i = 0; i < 12; i++) await a.call('conversation.addMessage', { id, role: 'user', text: `a${i}` });
    await a.call('sync.now', {});
    await b.call('sync.now', {});
    const f = follow(b.core, b.call, id);
    await f.open(5);
    expect(f.w!.total).toBe(12);

    const before = await a.call('conversation.get', { id });
    const added = await a.call('conversation.addMessage', { id, role: 'narrator', text: 'from a' });
    await a.call('conversation.editMessage', { id, messageId: before.messages[11]!.id, text: 'a11 edited' });
    await a.call('conversation.deleteMessage', { id, messageId: before.messages[10]!.id });
    await a.call('conversation.deleteMessage', { id, messageId: before.messages[2]!.id });
    await a.call('conversation.update', { id, patch: { title: 'shared, renamed' } });
    await a.call('sync.now', {});
    await b.call('sync.now', {});

    const kinds = f.events.flatMap((e) => e.changes.map((c) => c.kind));
    expect(kinds).not.toContain('reset');
    expect(kinds).toEqual(expect.arrayContaining(['added', 'message', 'deleted', 'meta']));
    expect(f.broken).toBe(0);
    expect(stamped(f.w)).toEqual(await fresh(b.call, id, f.w!.messages.length));
    expect(f.w!.messages.map((m) => m.alternatives[m.chosen]!.text)).toEqual(['a7', 'a8', 'a9', 'a11 edited', 'from a']);
    expect(f.w!.messages.at(-1)!.id).toBe(added.id);
    expect(f.w!.meta.title).toBe('shared, renamed');
    f.off();
  });
});
