/**
 * The prompt inspector shows exactly what the next request holds: the same messages in the same order, each
 * labelled, counted with the same tokenizer, the lore that fired and why, and a total equal to the request's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countWith, tokenizerFor, tokensPerMessage, tokensPerReply } from '../../electron/core/chat/tokens.std.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { nextReply, openChatHarness, type ChatHarness } from './harness.node.ts';

let h: ChatHarness;
let ai: FakeOpenAI;
beforeAll(async () => {
  ai = await startFakeOpenAI();
  h = await openChatHarness();
});
afterAll(async () => {
  await h.core.close();
  await ai.close();
});

describe('prompt inspector', () => {
  it('labels every part, names the lore that fired, and its total is what the request held', async () => {
    const { id: character } = await h.call('character.create', {
      name: 'Ysolde',
      description: 'A ferrywoman.',
      mes_example: '<START>\n{{user}}: Hello\n{{char}}: Coin first.',
      post_history_instructions: 'Stay in character.',
      character_book: { entries: [{ keys: ['river'], content: 'The river is cursed.', name: 'River' }, { keys: [], content: 'It is always night.', constant: true, name: 'Night' }] },
    });
    const id = (await h.call('conversation.create', { title: 'ferry', characterIds: [character] })).id;
    await h.call('conversation.addMessage', { id, role: 'user', text: 'Take me across the river.' });
    await h.call('conversation.addMessage', { id, role: 'character', text: 'Coin first.', authorId: character });
    // Without a provider: an estimate, said so.
    expect((await h.call('chat.prompt', { conversationId: id })).budget).toMatchObject({ provider: null, estimate: true });

    await h.call('provider.add', { name: 'fake', baseUrl: ai.baseUrl, model: 'gpt-4o-mini', contextWindow: 4096, maxTokens: 256 });
    const p = await h.call('chat.prompt', { conversationId: id });
    expect(p.messages.map((m) => m.part)).toEqual(['main', 'examples', 'history', 'history', 'post-history']);
    expect(p.lore).toHaveLength(2);
    expect(p.lore).toEqual(
      expect.arrayContaining([
        { entry: 'River', reason: 'key "river"', book: `character:${character}`, position: 'before_char' },
        { entry: 'Night', reason: 'constant', book: `character:${character}`, position: 'before_char' },
      ]),
    );
    expect(p.budget).toMatchObject({ provider: 'fake', model: 'gpt-4o-mini', tokenizer: 'o200k_base', estimate: false, contextWindow: 4096, maxTokens: 256, available: 3840, historyIncluded: 2, historyDropped: 0, overBudget: false });
    expect(p.budget.used).toBe(p.messages.reduce((n, m) => n + m.tokens, 0) + tokensPerReply);

    // The next reply sends exactly these messages, and counting them with the same tokenizer gives the same total.
    const reply = nextReply(h.core, id);
    await h.call('chat.impersonate', { conversationId: id, characterId: character });
    await reply;
    const sent = (ai.chatRequests().at(-1)!.body as { messages: { role: string; content: string }[] }).messages;
    expect(sent.map(({ role, content }) => ({ role, content }))).toEqual(p.messages.map(({ role, content }) => ({ role, content })));
    const tokenizer = tokenizerFor('gpt-4o-mini');
    expect(sent.reduce((n, m) => n + countWith(tokenizer, m.content) + tokensPerMessage, tokensPerReply)).toBe(p.budget.used);
  });

  it('for a past reply: the prompt it was made from, rebuilt from the history before it, as its request held it', async () => {
    const id = await h.newConversation();
    const first = nextReply(h.core, id);
    const started = await h.call('chat.send', { conversationId: id, text: 'Where does this ferry go?' });
    await first;
    const sentThen = ai.chatRequests().at(-1)!.body as { messages: { role: string; content: string }[] };
    const second = nextReply(h.core, id);
    await h.call('chat.send', { conversationId: id, text: 'And how long does it take?' });
    await second;
    const past = await h.call('chat.prompt', { conversationId: id, messageId: started.replyMessageId });
    expect(past.messages.map(({ role, content }) => ({ role, content }))).toEqual(sentThen.messages.map(({ role, content }) => ({ role, content })));
    expect(past.budget.provider).toBe('fake');
    const tokenizer = tokenizerFor('gpt-4o-mini');
    expect(sentThen.messages.reduce((n, m) => n + countWith(tokenizer, m.content) + tokensPerMessage, tokensPerReply)).toBe(past.budget.used);
    // The next reply's prompt holds more: the first reply and the later exchange.
    expect((await h.call('chat.prompt', { conversationId: id })).messages.length).toBe(past.messages.length + 3);
    await expect(h.call('chat.prompt', { conversationId: id, messageId: started.userMessageId! })).rejects.toMatchObject({ code: 'usage' });
  });
});
