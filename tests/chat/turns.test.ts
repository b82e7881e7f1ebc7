/** Regenerate (swipes), continue, group turns, impersonation and alternate greetings, against the fake provider. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { displayText } from '../../shared/display-text.std.ts';
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

type Started = { replyMessageId: string; alternativeId: string };

async function run(conversationId: string, start: () => Promise<Started>) {
  const reply = nextReply(h.core, conversationId);
  const started = await start();
  return { started, ...(await reply) };
}

const lastPrompt = () => (ai.chatRequests().at(-1)!.body as { messages: { role: string; content: string }[] }).messages;

describe('swipes and continue', () => {
  it('regenerate adds a new alternative beside the old, chosen, from the history before it', async () => {
    const id = await h.newConversation();
    ai.script({ text: 'First answer.' });
    const first = await run(id, () => h.call('chat.send', { conversationId: id, text: 'Which way to the lighthouse?' }));
    expect(first.done.status).toBe('complete');

    ai.script({ text: 'Second answer.' });
    const second = await run(id, () => h.call('chat.regenerate', { conversationId: id }));
    expect(second.started.replyMessageId).toBe(first.started.replyMessageId);
    expect(second.started.alternativeId).not.toBe(first.started.alternativeId);
    expect(second.text).toBe('Second answer.');
    // The regenerated reply is not shown its own earlier version.
    expect(JSON.stringify(lastPrompt())).not.toContain('First answer.');
    expect(lastPrompt().at(-1)).toMatchObject({ role: 'user', content: expect.stringContaining('Which way to the lighthouse?') });

    let c = await h.call('conversation.get', { id });
    expect(c.messages).toHaveLength(2);
    const msg = c.messages[1]!;
    expect(msg.alternatives.map((x) => x.text)).toEqual(['First answer.', 'Second answer.']);
    expect(msg.chosen).toBe(1);

    // Swiping back shows the first again, and the next send sees the chosen one.
    await h.call('conversation.chooseAlternative', { id, messageId: msg.id, index: 0 });
    ai.script({ text: 'ok' });
    await run(id, () => h.call('chat.send', { conversationId: id, text: 'thanks' }));
    const sent = JSON.stringify(lastPrompt());
    expect(sent).toContain('First answer.');
    expect(sent).not.toContain('Second answer.');
    c = await h.call('conversation.get', { id });
    expect(c.messages).toHaveLength(4);
  });

  it('continue appends to the chosen alternative and sends the partial reply last', async () => {
    const id = await h.newConversation();
    ai.script({ text: 'The tide comes' });
    const first = await run(id, () => h.call('chat.send', { conversationId: id, text: 'Tell me about the tide.' }));
    ai.script({ tokens: [' in at', ' dusk.'] });
    const more = await run(id, () => h.call('chat.continue', { conversationId: id }));
    expect(more.started).toMatchObject({ replyMessageId: first.started.replyMessageId, alternativeId: first.started.alternativeId });
    expect(more.text).toBe(' in at dusk.');
    expect(more.done.status).toBe('complete');
    const c = await h.call('conversation.get', { id });
    const alt = c.messages[1]!.alternatives[c.messages[1]!.chosen]!;
    expect(alt).toMatchObject({ id: first.started.alternativeId, text: 'The tide comes in at dusk.', status: 'complete' });
    expect(c.messages[1]!.alternatives).toHaveLength(1);
    expect(lastPrompt().at(-1)).toEqual({ role: 'assistant', content: 'The tide comes' });
  });

  it('a reply that failed before any text can be regenerated, and is left out of later prompts', async () => {
    const id = await h.newConversation();
    ai.script({ error: { status: 400, message: 'bad request' } });
    const failed = await run(id, () => h.call('chat.send', { conversationId: id, text: 'hello' }));
    expect(failed.done.status).toBe('error');
    ai.script({ text: 'Recovered.' });
    const again = await run(id, () => h.call('chat.regenerate', { conversationId: id }));
    expect(again.text).toBe('Recovered.');
    const c = await h.call('conversation.get', { id });
    expect(c.messages[1]!.alternatives.map((x) => [x.status, x.text])).toEqual([['error', ''], ['complete', 'Recovered.']]);
    expect(lastPrompt().filter((m) => m.role === 'assistant')).toEqual([]);
  });

  it('refuses to regenerate or continue a user message', async () => {
    const id = await h.newConversation();
    const m = await h.call('conversation.addMessage', { id, role: 'user', text: 'me' });
    for (const command of ['chat.regenerate', 'chat.continue'] as const) {
      const r = await h.core.invoke(command, { conversationId: id, messageId: m.id });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('usage');
    }
    const none = await h.core.invoke('chat.regenerate', { conversationId: id });
    expect(none.ok).toBe(false);
  });
});

describe('group conversations', () => {
  it('characters take turns after the last speaker; characterId and impersonate choose the speaker', async () => {
    const names = ['Ash', 'Birch', 'Cedar'];
    const ids: string[] = [];
    for (const name of names) ids.push((await h.call('character.create', { name, description: `${name} is a tree spirit.` })).id);
    const id = await h.newConversation({ characterIds: ids });
    ai.setDefault({ text: 'Rustle.' });
    const speakers: string[] = [];
    const speak = async (start: () => Promise<Started>) => {
      const r = await run(id, start);
      const c = await h.call('conversation.get', { id });
      const author = c.messages.find((m) => m.id === r.started.replyMessageId)!.authorId!;
      speakers.push(names[ids.indexOf(author)]!);
      // The prompt is written for the character who speaks.
      expect(JSON.stringify(lastPrompt())).toContain(`Write ${names[ids.indexOf(author)]}'s next reply`);
    };
    await speak(() => h.call('chat.send', { conversationId: id, text: 'Hello, grove.' }));
    await speak(() => h.call('chat.send', { conversationId: id, text: 'And you?' }));
    await speak(() => h.call('chat.impersonate', { conversationId: id, characterId: ids[0]! }));
    await speak(() => h.call('chat.send', { conversationId: id, text: 'Next.' }));
    await speak(() => h.call('chat.send', { conversationId: id, text: 'Cedar, please.', characterId: ids[2]! }));
    await speak(() => h.call('chat.send', { conversationId: id, text: 'Who now?' }));
    expect(speakers).toEqual(['Ash', 'Birch', 'Ash', 'Birch', 'Cedar', 'Ash']);

    const outsider = (await h.call('character.create', { name: 'Stranger' })).id;
    const r = await h.core.invoke('chat.impersonate', { conversationId: id, characterId: outsider });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('usage');
  });

  it('refuses to reply in a conversation without characters', async () => {
    const id = (await h.call('conversation.create', { title: 'empty' })).id;
    const r = await h.core.invoke('chat.send', { conversationId: id, text: 'hi' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('usage');
    expect((await h.call('conversation.get', { id })).messages).toEqual([]);
  });
});

describe('alternate greetings', () => {
  it('open a conversation as alternatives of the first message', async () => {
    const { id: ch } = await h.call('character.create', {
      name: 'Wren',
      first_mes: 'Hello, traveller.',
      alternate_greetings: ['Oh! A visitor.', 'You again?'],
      group_only_greetings: ['Hello, all of you.'],
    });
    const { id } = await h.call('conversation.create', { title: 'g', characterIds: [ch], withGreeting: true });
    const c = await h.call('conversation.get', { id });
    expect(c.messages).toHaveLength(1);
    expect(c.messages[0]).toMatchObject({ role: 'character', authorId: ch, chosen: 0 });
    expect(c.messages[0]!.alternatives.map((a) => a.text)).toEqual(['Hello, traveller.', 'Oh! A visitor.', 'You again?']);

    const { id: plain } = await h.call('conversation.create', { title: 'g3', characterIds: [ch] });
    expect((await h.call('conversation.get', { id: plain })).messages).toEqual([]);
  });

  // SillyTavern's group-chats.js `getGroupChat`: a new group chat gets one greeting per member, in member order,
  // skipping members without one; macros are the member's own ({{char}} is whoever greets).
  it('open a group chat with one greeting per member, group-only greetings first', async () => {
    const { id: wren } = await h.call('character.create', {
      name: 'Wren',
      first_mes: 'Hello, {{user}}. I am {{char}}.',
      alternate_greetings: ['Oh! A visitor.'],
      group_only_greetings: ['Hello, all of you. {{char}} here.'],
    });
    const { id: moss } = await h.call('character.create', { name: 'Moss', first_mes: '{{char}} nods at {{user}}.' });
    const { id: mute } = await h.call('character.create', { name: 'Quiet' });
    const { id: group } = await h.call('conversation.create', { title: 'g2', characterIds: [moss, mute, wren], withGreeting: true });
    const g = await h.call('conversation.get', { id: group });
    expect(g.messages.map((m) => [m.role, m.authorId, m.chosen, m.alternatives.map((a) => a.text)])).toEqual([
      ['character', moss, 0, ['{{char}} nods at {{user}}.']],
      ['character', wren, 0, ['Hello, all of you. {{char}} here.', 'Hello, {{user}}. I am {{char}}.', 'Oh! A visitor.']],
    ]);
    const ctx = await h.call('conversation.displayContext', { id: group });
    const shown = g.messages.map((m, index) => displayText(m.alternatives[0]!.text, { conversationId: group, message: m, alternativeId: m.alternatives[0]!.id, context: ctx, messages: g.messages, index }));
    expect(shown).toEqual([`Moss nods at ${ctx.userName}.`, 'Hello, all of you. Wren here.']);
  });
});
