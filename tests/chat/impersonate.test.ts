/**
 * Impersonate (SillyTavern's sense): the AI writes the user's next turn for the composer. The request is the next
 * reply's prompt plus the impersonation instruction; nothing is stored but the ledger entry; "let a character
 * speak" (chat.impersonate) is unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { openChatHarness, type ChatHarness } from './harness.node.ts';

let h: ChatHarness;
let ai: FakeOpenAI;
beforeAll(async () => {
  ai = await startFakeOpenAI();
  h = await openChatHarness();
  await h.call('provider.add', { name: 'fake', baseUrl: ai.baseUrl, model: 'fake-model' });
});
afterAll(async () => {
  await h.core.close();
  await ai.close();
});

describe('impersonate', () => {
  it('returns the user\'s next turn without storing it; the request ends with the instruction', async () => {
    const { id: persona } = await h.call('persona.create', { name: 'Aldric' });
    const id = (await h.call('conversation.create', { title: 'imp', characterIds: [h.characterId], personaId: persona })).id;
    await h.call('conversation.addMessage', { id, role: 'character', text: 'The lamp flickers. Who goes there?', authorId: h.characterId });
    const before = await h.call('conversation.get', { id });
    const ledgerBefore = (await h.call('ledger.list', {})).length;
    ai.script({ text: 'Aldric: It is only me, a lost knight.' });
    const r = await h.call('chat.suggestUserTurn', { conversationId: id });
    expect(r).toEqual({ text: 'It is only me, a lost knight.', provider: 'fake' });
    const body = ai.chatRequests().at(-1)!.body as { messages: { role: string; content: string }[] };
    expect(body.messages.at(-1)).toEqual({ role: 'system', content: expect.stringMatching(/^\[Write your next reply from the point of view of Aldric/) });
    expect(JSON.stringify(body.messages)).toContain('The lamp flickers.');
    const after = await h.call('conversation.get', { id });
    expect(after.messages).toEqual(before.messages);
    expect(after.updatedAt).toBe(before.updatedAt);
    expect((await h.call('ledger.list', {})).length).toBe(ledgerBefore + 1);
  });

  it('a provider error is reported and nothing is stored', async () => {
    const id = await h.newConversation();
    ai.script({ error: { status: 401 } });
    await expect(h.call('chat.suggestUserTurn', { conversationId: id })).rejects.toMatchObject({ code: 'provider', message: expect.stringMatching(/could not write your turn/) });
    expect((await h.call('conversation.get', { id })).messages).toEqual([]);
  });
});
