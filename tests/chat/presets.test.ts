/**
 * Presets reach the provider exactly: the request carries every parameter the preset sets (stop strings included)
 * and none it does not; a conversation's preset overrides the provider's; a provider that refuses a parameter
 * gets an error naming it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedBaseUrl, startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { nextReply, openChatHarness, type ChatHarness } from './harness.node.ts';

let h: ChatHarness;
let ai: FakeOpenAI;
const samplerKeys = ['temperature', 'top_p', 'top_k', 'min_p', 'repetition_penalty', 'frequency_penalty', 'presence_penalty', 'seed', 'max_tokens', 'stop', 'reasoning_effort'];
const sent = () => {
  const body = ai.chatRequests().at(-1)!.body as Record<string, unknown>;
  return Object.fromEntries(Object.entries(body).filter(([k]) => samplerKeys.includes(k)));
};

beforeAll(async () => {
  ai = await startFakeOpenAI();
  h = await openChatHarness();
  await h.call('preset.save', {
    name: 'Full',
    sampling: { temperature: 0.8, top_p: 0.9, top_k: 40, min_p: 0.05, repetition_penalty: 1.1, frequency_penalty: 0.3, presence_penalty: -0.2, seed: 7, max_tokens: 300, stop: ['\nUser:', '###'], reasoning_effort: 'low' },
  });
  await h.call('preset.save', { name: 'Cold', sampling: { temperature: 0.1 } });
  await h.call('provider.add', { name: 'fake', baseUrl: ai.baseUrl, model: 'fake-model', maxTokens: 200, sampling: { temperature: 1.5, top_p: 0.5 }, preset: 'Full' });
});
afterAll(async () => {
  await h.core.close();
  await ai.close();
});

describe('presets', () => {
  it('the provider\'s default preset is sent exactly, and nothing of the provider\'s own sampling beside it', async () => {
    const id = await h.newConversation();
    const reply = nextReply(h.core, id);
    await h.call('chat.send', { conversationId: id, text: 'Hello' });
    expect((await reply).done.status).toBe('complete');
    expect(sent()).toEqual({ temperature: 0.8, top_p: 0.9, top_k: 40, min_p: 0.05, repetition_penalty: 1.1, frequency_penalty: 0.3, presence_penalty: -0.2, seed: 7, max_tokens: 300, stop: ['\nUser:', '###'], reasoning_effort: 'low' });
  });

  it('a conversation\'s preset overrides the provider\'s; max tokens then fall back to the provider\'s', async () => {
    const id = (await h.call('conversation.create', { title: 'cold', characterIds: [h.characterId], preset: 'Cold' })).id;
    const reply = nextReply(h.core, id);
    await h.call('chat.send', { conversationId: id, text: 'Hello' });
    await reply;
    expect(sent()).toEqual({ temperature: 0.1, max_tokens: 200 });
    await h.call('conversation.update', { id, patch: { preset: 'Full' } });
    const again = nextReply(h.core, id);
    await h.call('chat.send', { conversationId: id, text: 'Again' });
    await again;
    expect(sent()['stop']).toEqual(['\nUser:', '###']);
  });

  it('a parameter the provider refuses is named in the error; an unknown preset is refused up front', async () => {
    const id = await h.newConversation();
    ai.script({ error: { status: 400, message: 'Unrecognized request argument supplied: min_p', param: 'min_p' } });
    const reply = nextReply(h.core, id);
    await h.call('chat.send', { conversationId: id, text: 'Hello' });
    const done = (await reply).done;
    expect(done.status).toBe('error');
    expect(done.error?.message).toMatch(/does not accept the parameter "min_p"/);
    await expect(h.call('conversation.create', { title: 'x', characterIds: [h.characterId], preset: 'Nope' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(h.call('provider.update', { name: 'fake', patch: { preset: 'Nope' } })).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('provider model list', () => {
  it('lists the endpoint\'s models for a saved provider or a URL being added; a dead endpoint says to type the name', async () => {
    await expect(h.call('provider.models', { name: 'fake' })).resolves.toEqual({ models: ['fake-model'] });
    await expect(h.call('provider.models', { baseUrl: ai.baseUrl })).resolves.toEqual({ models: ['fake-model'] });
    await expect(h.call('provider.models', { baseUrl: await closedBaseUrl() })).rejects.toMatchObject({ code: 'provider', message: expect.stringMatching(/Type the model name instead/) });
    await expect(h.call('provider.models', { name: 'nope' })).rejects.toMatchObject({ code: 'not_found' });
  });
});
