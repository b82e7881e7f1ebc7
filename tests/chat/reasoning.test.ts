/**
 * Reasoning models: `<think>…</think>` in the text and `reasoning_content` / `reasoning` deltas are stored apart
 * from the reply (on the alternative, encrypted like everything), streamed as their own deltas, and never sent back
 * to the provider in later requests.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles } from '../support/files.node.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { nextReply, openChatHarness, type ChatHarness } from './harness.node.ts';

let h: ChatHarness;
let ai: FakeOpenAI;
beforeAll(async () => {
  ai = await startFakeOpenAI();
  h = await openChatHarness();
  await h.call('provider.add', { name: 'fake', baseUrl: ai.baseUrl, model: 'deepseek-r1' });
});
afterAll(async () => {
  await h.core.close();
  await ai.close();
});

const lastAlt = async (id: string) => {
  const c = await h.call('conversation.get', { id });
  const m = c.messages.at(-1)!;
  return m.alternatives[m.chosen]!;
};

describe('reasoning', () => {
  it('a <think> block and reasoning deltas are kept apart, streamed apart, and never sent back', async () => {
    const id = await h.newConversation();
    const secretA = 'THINK-CANARY-A: the user seems tired';
    ai.script({ tokens: ['<thi', `nk>${secretA.slice(0, 10)}`, `${secretA.slice(10)}</th`, 'ink>\n\n', 'Rest ', 'here.'] });
    const first = nextReply(h.core, id);
    const reasoningDeltas: string[] = [];
    const off = h.core.on('chat.delta', (d) => d.reasoning && reasoningDeltas.push(d.reasoning));
    await h.call('chat.send', { conversationId: id, text: 'Hello' });
    expect((await first).text).toBe('Rest here.');
    expect(reasoningDeltas.join('')).toBe(secretA);
    expect(await lastAlt(id)).toMatchObject({ text: 'Rest here.', reasoning: secretA });

    const secretB = 'THINK-CANARY-B: answer briefly';
    for (const field of ['reasoning_content', 'reasoning'] as const) {
      ai.script({ reasoning: [secretB.slice(0, 12), secretB.slice(12)], reasoningField: field, tokens: ['Sure.'] });
      const next = nextReply(h.core, id);
      await h.call('chat.send', { conversationId: id, text: `Again (${field})` });
      expect((await next).text).toBe('Sure.');
      expect(await lastAlt(id)).toMatchObject({ text: 'Sure.', reasoning: secretB });
    }
    off();
    const later = nextReply(h.core, id);
    await h.call('chat.send', { conversationId: id, text: 'And now?' });
    await later;
    const sent = JSON.stringify(ai.chatRequests().at(-1)!.body);
    expect(sent).toContain('Rest here.');
    expect(sent).not.toContain('CANARY');
    // Stored encrypted: the canary is in no file of the vault.
    await h.call('vault.lock', {});
    for (const file of listFiles(h.dir)) expect(readFileSync(file).includes(Buffer.from('THINK-CANARY'))).toBe(false);
  });
});
