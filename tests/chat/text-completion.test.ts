/**
 * Text-completion backends (llama.cpp server, KoboldCpp, … through `/v1/completions`): the fake provider receives
 * the conversation in the model's instruct format as one prompt, with the template's and the preset's stop
 * strings and exactly the preset's parameters; the streamed text becomes the reply; the inspector shows the same
 * prompt and counts it with the model family's tokenizer to the same total.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countWith } from '../../electron/core/chat/tokens.std.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { nextReply, openChatHarness, storedAlternative, type ChatHarness } from './harness.node.ts';

let h: ChatHarness;
let ai: FakeOpenAI;
type TextBody = { model: string; prompt: string; stop: string[]; stream: boolean; messages?: unknown } & Record<string, unknown>;
const lastBody = () => ai.completionRequests().at(-1)!.body as TextBody;

beforeAll(async () => {
  ai = await startFakeOpenAI();
  h = await openChatHarness();
  await h.call('preset.save', { name: 'Local', sampling: { temperature: 0.7, top_k: 40, min_p: 0.05, repetition_penalty: 1.1, max_tokens: 120, stop: ['###'] } });
  await h.call('provider.add', { name: 'llama', baseUrl: ai.baseUrl, model: 'Meta-Llama-3.1-8B-Instruct', completion: 'text', contextWindow: 8192, preset: 'Local' });
});
afterAll(async () => {
  await h.core.close();
  await ai.close();
});

describe('text completion', () => {
  it('sends the instruct-formatted prompt (Llama 3, detected from the model) with the stop strings and the preset', async () => {
    const id = await h.newConversation();
    ai.script({ text: 'The lamp burns all night.' });
    const reply = nextReply(h.core, id);
    const started = await h.call('chat.send', { conversationId: id, text: 'What do you do here?' });
    expect((await reply).done.status).toBe('complete');
    expect(ai.chatRequests()).toHaveLength(0);
    const body = lastBody();
    expect(body.stream).toBe(true);
    expect(body.messages).toBeUndefined();
    expect(body.prompt).toBe(
      "<|start_header_id|>system<|end_header_id|>\n\nWrite Mira's next reply in a fictional chat between Mira and User.\n\nMira keeps the lighthouse.\n\nMira's personality: calm<|eot_id|>" +
        '<|start_header_id|>user<|end_header_id|>\n\nUser: What do you do here?<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\nMira:',
    );
    expect(body.stop).toEqual(['<|eot_id|>', '<|start_header_id|>user<|end_header_id|>', '<|start_header_id|>assistant<|end_header_id|>', '<|start_header_id|>system<|end_header_id|>', '\nUser:', '###']);
    const { stop: _s, prompt: _p, model, stream: _st, stream_options: _so, ...sampling } = body;
    expect(model).toBe('Meta-Llama-3.1-8B-Instruct');
    expect(sampling).toEqual({ temperature: 0.7, top_k: 40, min_p: 0.05, repetition_penalty: 1.1, max_tokens: 120 });
    const { alt } = await storedAlternative(h.call, id, started.replyMessageId);
    expect(alt.text).toBe('The lamp burns all night.');
  });

  it('the inspector shows the same prompt and counts it with the Llama 3 tokenizer to what the request held', async () => {
    const id = await h.newConversation();
    await h.call('conversation.addMessage', { id, role: 'user', text: 'Tell me about the 灯台 <|eot_id|> and the storm.' });
    const p = await h.call('chat.prompt', { conversationId: id });
    expect(p.budget).toMatchObject({ tokenizer: 'llama3', estimate: false });
    expect(p.text?.instruct).toBe('Llama 3 Instruct');
    const reply = nextReply(h.core, id);
    await h.call('chat.impersonate', { conversationId: id, characterId: h.characterId });
    await reply;
    const sent = lastBody().prompt;
    expect(sent).toBe(p.text!.prompt);
    expect(p.budget.used).toBe(countWith('llama3', sent));
    expect(p.text!.pieces.map((x) => x.text).join('')).toBe(sent);
    // A special token in the text counts as the one token the server makes of it, not as its characters.
    expect(countWith('llama3', '<|eot_id|>')).toBe(1);
  });

  it('"Write my turn" on a text provider ends the prompt on the user\'s turn and stops at the character\'s name', async () => {
    const id = await h.newConversation();
    await h.call('conversation.addMessage', { id, role: 'character', text: 'Who goes there?', authorId: h.characterId });
    ai.script({ text: 'A friend, with news.' });
    const r = await h.call('chat.suggestUserTurn', { conversationId: id });
    expect(r.text).toBe('A friend, with news.');
    const body = lastBody();
    expect(body.prompt).toContain('<|start_header_id|>assistant<|end_header_id|>\n\nMira: Who goes there?<|eot_id|>');
    expect(body.prompt).toContain("Write your next reply from the point of view of User");
    expect(body.prompt.endsWith('<|start_header_id|>user<|end_header_id|>\n\nUser:')).toBe(true);
    expect(body.stop).toContain('\nMira:');
    expect(body.stop).not.toContain('\nUser:');
  });

  it('a chosen template and a reasoning model: <think> is kept apart and never sent back', async () => {
    await h.call('provider.update', { name: 'llama', patch: { instruct: 'ChatML' } });
    const id = await h.newConversation();
    ai.script({ text: '<think>She should be brief.</think>Welcome aboard.' });
    const reply = nextReply(h.core, id);
    const started = await h.call('chat.send', { conversationId: id, text: 'Hello' });
    await reply;
    expect(lastBody().prompt.startsWith('<|im_start|>system\n')).toBe(true);
    const { alt } = await storedAlternative(h.call, id, started.replyMessageId);
    expect(alt).toMatchObject({ text: 'Welcome aboard.', reasoning: 'She should be brief.' });
    const next = nextReply(h.core, id);
    await h.call('chat.send', { conversationId: id, text: 'Thanks' });
    await next;
    expect(lastBody().prompt).toContain('<|im_start|>assistant\nMira: Welcome aboard.<|im_end|>');
    expect(lastBody().prompt).not.toContain('She should be brief');
    await expect(h.call('provider.update', { name: 'llama', patch: { instruct: 'Nope' } })).rejects.toMatchObject({ code: 'not_found' });
    await h.call('provider.update', { name: 'llama', patch: { instruct: null } });
  });
});
