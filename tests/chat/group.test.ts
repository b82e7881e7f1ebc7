/**
 * Group chats in the core, against the fake provider: muted members are skipped when the core picks the next
 * speaker, still speak when asked by name, and members can be added and removed mid-chat (the newcomer answers
 * with the history so far; the group settings persist in the conversation).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { nextReply, openChatHarness, useShortTimeouts, type ChatHarness } from './harness.node.ts';

let h: ChatHarness;
let ai: FakeOpenAI;

beforeAll(async () => {
  useShortTimeouts();
  h = await openChatHarness();
  ai = await startFakeOpenAI();
  await h.call('provider.add', { name: 'fake', baseUrl: ai.baseUrl, model: 'fake-model' });
});

afterAll(async () => {
  await h.core.close();
  await ai.close();
});

async function reply(id: string, start: () => Promise<unknown>) {
  ai.script({ text: 'Mm.' });
  const done = nextReply(h.core, id);
  await start();
  return (await done).done;
}
const author = async (id: string) => (await h.call('conversation.get', { id })).messages.at(-1)!.authorId;

describe('group chats in the core', () => {
  it('skips muted members in the rotation; a muted member still speaks when asked', async () => {
    const bram = (await h.call('character.create', { name: 'Bram' })).id;
    const cora = (await h.call('character.create', { name: 'Cora' })).id;
    const id = await h.newConversation({ characterIds: [h.characterId, bram, cora] });
    await h.call('conversation.update', { id, patch: { group: { order: 'list', muted: [bram], auto: false, autoTurns: 3 } } });
    expect((await h.call('conversation.get', { id })).group).toEqual({ order: 'list', muted: [bram], auto: false, autoTurns: 3 });
    const order: Array<string | undefined> = [];
    for (let i = 0; i < 3; i++) {
      await reply(id, () => h.call('chat.send', { conversationId: id, text: `Turn ${i}` }));
      order.push(await author(id));
    }
    expect(order).toEqual([h.characterId, cora, h.characterId]);
    await reply(id, () => h.call('chat.impersonate', { conversationId: id, characterId: bram }));
    expect(await author(id)).toBe(bram);
  });

  it('adds and removes members mid-chat', async () => {
    const dara = (await h.call('character.create', { name: 'Dara', description: 'A cartographer.' })).id;
    const id = await h.newConversation();
    await reply(id, () => h.call('chat.send', { conversationId: id, text: 'Hello, Mira.' }));
    await h.call('conversation.update', { id, patch: { characterIds: [h.characterId, dara] } });
    await reply(id, () => h.call('chat.impersonate', { conversationId: id, characterId: dara }));
    expect(await author(id)).toBe(dara);
    const prompt = JSON.stringify((ai.chatRequests().at(-1)!.body as { messages: unknown[] }).messages);
    expect(prompt).toContain('Hello, Mira.');
    expect(prompt).toContain('Mira');
    await h.call('conversation.update', { id, patch: { characterIds: [dara] } });
    await reply(id, () => h.call('chat.send', { conversationId: id, text: 'Just us now.' }));
    expect(await author(id)).toBe(dara);
    // Mira has left, but her earlier line still goes out under her name, as another speaker's.
    const after = (ai.chatRequests().at(-1)!.body as { messages: { role: string; content: string }[] }).messages;
    expect(after).toContainEqual({ role: 'user', content: 'Mira: Mm.' });
  });
});
