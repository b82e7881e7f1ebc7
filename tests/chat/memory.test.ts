/**
 * Memory (docs/prompt.md "Memory"): the summary request the provider receives (SillyTavern's raw summary prompt:
 * instruction, then the previous summary and the new messages), the summary in the next chat request at its
 * position, the automatic summary once history outgrows the budget, and failures and stalls that keep the old
 * summary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemoryView } from '../../shared/api/memory.std.ts';
import { defaultSummaryPrompt } from '../../shared/memory.std.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { nextReply, openChatHarness, PASS, until, useShortTimeouts, type ChatHarness } from './harness.node.ts';

type Body = { messages: { role: string; content: string }[] };

let h: ChatHarness;
let ai: FakeOpenAI;
beforeAll(async () => {
  // The stall test's provider stops for good; the first-token timeout stays the product's, so no request here that
  // waits on purpose can run into it on a busy machine.
  useShortTimeouts({ stallMs: 3_000 });
  ai = await startFakeOpenAI();
  h = await openChatHarness();
  await h.call('provider.add', { name: 'fake', baseUrl: ai.baseUrl, model: 'fake-model' });
});
afterAll(async () => {
  await h.core.close();
  await ai.close();
});

/** A conversation with `n` alternating user/character messages, numbered so each can be found in a request. */
async function chatWith(n: number, words = 'the tide comes in over the rocks'): Promise<string> {
  const id = await h.newConversation();
  for (let i = 1; i <= n; i++) {
    await h.call('conversation.addMessage', { id, role: i % 2 ? 'user' : 'character', text: `line ${i}: ${words}`, ...(i % 2 ? {} : { authorId: h.characterId }) });
  }
  return id;
}

/** The memory once `ready` holds for it (polled: the automatic summary runs after chat.done). */
async function memoryWhen(id: string, ready: (m: MemoryView) => boolean) {
  for (let t0 = Date.now(); Date.now() - t0 < 60_000; await new Promise((r) => setTimeout(r, 50))) {
    const m = await h.call('memory.get', { conversationId: id });
    if (ready(m)) return m;
  }
  throw new Error('memory not ready in time');
}

const lastChat = (): Body => ai.chatRequests().at(-1)!.body as Body;

describe('memory on request', () => {
  it('sends the instruction, then the messages as "Name:\\ntext"; the summary goes into the next request after the character', async () => {
    const id = await chatWith(4);
    ai.script({ text: 'Mira and the visitor watched the tide.' });
    const r = await h.call('memory.summarize', { conversationId: id });
    expect(r).toMatchObject({ text: 'Mira and the visitor watched the tide.', madeBy: 'manual', summarized: 4, remaining: 0, coveredMessages: 4, totalMessages: 4, provider: 'fake' });
    const req = lastChat();
    expect(req.messages).toHaveLength(2);
    expect(req.messages[0]).toEqual({ role: 'system', content: defaultSummaryPrompt.replace('{{words}}', '200') });
    expect(req.messages[1]!.role).toBe('user');
    expect(req.messages[1]!.content).toBe(['User:\nline 1: the tide comes in over the rocks', 'Mira:\nline 2: the tide comes in over the rocks', 'User:\nline 3: the tide comes in over the rocks', 'Mira:\nline 4: the tide comes in over the rocks'].join('\n\n'));
    expect((await h.call('ledger.list', { limit: 1 }))[0]).toMatchObject({ purpose: 'summary', outcome: 'ok' });

    const reply = nextReply(h.core, id);
    ai.script({ text: 'Indeed.' });
    await h.call('chat.send', { conversationId: id, text: 'What happened so far?' });
    await reply;
    const main = lastChat().messages[0]!;
    expect(main.role).toBe('system');
    // after_char: after the character's description, in the main system message.
    expect(main.content).toMatch(/Mira keeps the lighthouse\.[\s\S]*\n\n\[Summary: Mira and the visitor watched the tide\.\]$/);
  });

  it('goes in at a depth with a role, macros applied, and the inspector says where and why', async () => {
    const id = await chatWith(6);
    await h.call('memory.set', { conversationId: id, patch: { text: '{{char}} remembers the storm.', position: 'depth', depth: 2, role: 'user' } });
    const p = await h.call('chat.prompt', { conversationId: id });
    expect(p.memory).toMatchObject({ position: 'depth', depth: 2, role: 'user', reason: expect.stringMatching(/^memory: summary, written or edited by the user/) });
    const at = p.messages.findIndex((m) => m.part === 'memory');
    expect(p.messages[at]).toMatchObject({ role: 'user', content: '[Summary: Mira remembers the storm.]' });
    // Two history messages after it: depth 2.
    expect(p.messages.slice(at + 1).filter((m) => m.part === 'history')).toHaveLength(2);

    const reply = nextReply(h.core, id);
    ai.script({ text: 'Yes.' });
    await h.call('chat.send', { conversationId: id, text: 'Do you remember?' });
    await reply;
    const sent = lastChat().messages;
    const i = sent.findIndex((m) => m.content === '[Summary: Mira remembers the storm.]');
    expect(sent[i]!.role).toBe('user');
    expect(sent.slice(i + 1).map((m) => m.content)).toEqual(['line 6: the tide comes in over the rocks', 'Do you remember?']);

    await h.call('memory.set', { conversationId: id, patch: { enabled: false } });
    expect((await h.call('chat.prompt', { conversationId: id })).memory).toBeUndefined();
  });

  it('is incremental: the next summary is asked from the previous one and only the messages after it', async () => {
    const id = await chatWith(4);
    ai.script({ text: 'First part.' });
    await h.call('memory.summarize', { conversationId: id });
    for (const text of ['line 5: a gull cries', 'line 6: the lamp is lit']) await h.call('conversation.addMessage', { id, role: 'user', text });
    ai.script({ text: 'First part, then the lamp.' });
    const r = await h.call('memory.summarize', { conversationId: id });
    expect(r).toMatchObject({ summarized: 2, coveredMessages: 6, text: 'First part, then the lamp.' });
    expect(lastChat().messages[1]!.content).toBe('First part.\n\nUser:\nline 5: a gull cries\n\nUser:\nline 6: the lamp is lit');
    await expect(h.call('memory.summarize', { conversationId: id })).rejects.toMatchObject({ code: 'usage', message: expect.stringMatching(/already covers every message/) });
  });
});

describe('failures keep the old summary', () => {
  it('a provider error: clear error, memory unchanged, request in the ledger', async () => {
    const id = await chatWith(2);
    await h.call('memory.set', { conversationId: id, patch: { text: 'The old summary.' } });
    await h.call('conversation.addMessage', { id, role: 'user', text: 'line 3: more' });
    ai.script({ error: { status: 400, message: 'bad request' } });
    await expect(h.call('memory.summarize', { conversationId: id })).rejects.toMatchObject({ code: 'provider', message: expect.stringMatching(/No summary: tried fake \(HTTP 400.*The memory is unchanged\./) });
    expect(await h.call('memory.get', { conversationId: id })).toMatchObject({ text: 'The old summary.', madeBy: 'edited' });
    expect((await h.call('ledger.list', { limit: 1 }))[0]).toMatchObject({ purpose: 'summary', outcome: 'error: HTTP 400' });
  });

  it('a stall mid-summary: what arrived is not kept, the old summary is', async () => {
    const id = await chatWith(2);
    await h.call('memory.set', { conversationId: id, patch: { text: 'Still the old summary.' } });
    await h.call('conversation.addMessage', { id, role: 'user', text: 'line 3: more' });
    ai.script({ text: 'A half written summary that never ends', stallAfterTokens: 2, stallMs: Infinity });
    await expect(h.call('memory.summarize', { conversationId: id })).rejects.toMatchObject({ message: expect.stringMatching(/The memory is unchanged/) });
    expect((await h.call('memory.get', { conversationId: id })).text).toBe('Still the old summary.');
  });

  it('an edit made while the summary was being made wins', async () => {
    const id = await chatWith(3);
    // The summary is held back until the edit is stored (a fixed delay raced the edit on a busy machine).
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    ai.script({ text: 'Late summary.', stallAfterTokens: 0, stallUntil: held });
    const pending = h.call('memory.summarize', { conversationId: id });
    await until(() => ai.chatRequests().some((r) => JSON.stringify(r.body).includes('line 3: the tide')));
    await h.call('memory.set', { conversationId: id, patch: { text: 'Mine.' } });
    release();
    await expect(pending).rejects.toMatchObject({ message: expect.stringMatching(/changed memory is kept/) });
    expect((await h.call('memory.get', { conversationId: id })).text).toBe('Mine.');
  });
});

describe('automatic summary', () => {
  it('runs after a reply once older messages no longer fit, and the next request carries it', async () => {
    // 512-token window, 64 for the reply: about 20 of these messages fit.
    await h.call('provider.add', { name: 'small', baseUrl: ai.baseUrl, model: 'fake-model', contextWindow: 512, maxTokens: 64 });
    const id = (await h.call('conversation.create', { title: 'long', characterIds: [h.characterId], provider: 'small' })).id;
    for (let i = 1; i <= 40; i++) {
      await h.call('conversation.addMessage', { id, role: i % 2 ? 'user' : 'character', text: `line ${i}: waves against the lighthouse`, ...(i % 2 ? {} : { authorId: h.characterId }) });
    }
    await h.call('memory.set', { conversationId: id, patch: { enabled: true } });
    const before = await h.call('chat.prompt', { conversationId: id });
    const dropped = before.budget.historyDropped;
    expect(dropped).toBeGreaterThan(0);

    const requests = ai.chatRequests().length;
    const reply = nextReply(h.core, id);
    ai.script({ text: 'The waves rise.' }, { text: 'Forty lines of waves against the lighthouse.' });
    await h.call('chat.send', { conversationId: id, text: 'line 41: what now?' });
    await reply;
    await until(() => ai.chatRequests().length >= requests + 2);
    const summaryReq = ai.chatRequests()[requests + 1]!.body as Body;
    expect(summaryReq.messages[0]!.content).toBe(defaultSummaryPrompt.replace('{{words}}', '200'));
    const asked = summaryReq.messages[1]!.content;
    // From the first message, past the ones that fell out (and AHEAD more), not to the newest.
    expect(asked.startsWith('User:\nline 1: waves')).toBe(true);
    expect(asked).toContain(`line ${dropped + 2}: waves`);
    expect(asked).not.toContain('line 41');

    const m = await memoryWhen(id, (x) => x.madeBy === 'auto');
    expect(m).toMatchObject({ text: 'Forty lines of waves against the lighthouse.', madeBy: 'auto' });
    expect(m.coveredMessages).toBeGreaterThan(dropped);
    expect(m.coveredMessages).toBeLessThan(42);

    const next = nextReply(h.core, id);
    ai.script({ text: 'Calm again.' });
    await h.call('chat.send', { conversationId: id, text: 'line 43: and then?' });
    await next;
    expect(lastChat().messages[0]!.content).toContain('[Summary: Forty lines of waves against the lighthouse.]');
  });

  it('a conversation without a memory reads as off, and no summary is asked for it', async () => {
    const id = (await h.call('conversation.create', { title: 'none', characterIds: [h.characterId], provider: 'small' })).id;
    for (let i = 1; i <= 40; i++) await h.call('conversation.addMessage', { id, role: 'user', text: `line ${i}: fog over the harbour walls` });
    expect(await h.call('memory.get', { conversationId: id })).toMatchObject({ enabled: false, auto: false, text: '', coveredMessages: 0, totalMessages: 40 });
    expect((await h.call('chat.prompt', { conversationId: id })).budget.historyDropped).toBeGreaterThan(0);
    const requests = ai.chatRequests().length;
    const reply = nextReply(h.core, id);
    ai.script({ text: 'Foggy.' });
    await h.call('chat.send', { conversationId: id, text: 'and?' });
    await reply;
    await new Promise((r) => setTimeout(r, 500));
    expect(ai.chatRequests().length).toBe(requests + 1);
    expect((await h.call('conversation.get', { id })).memory).toBeUndefined();
  });

  it('a failing automatic summary is noted on the memory, and its text is kept', async () => {
    const id = (await h.call('conversation.create', { title: 'long2', characterIds: [h.characterId], provider: 'small' })).id;
    for (let i = 1; i <= 40; i++) await h.call('conversation.addMessage', { id, role: 'user', text: `line ${i}: rain over the harbour walls` });
    await h.call('memory.set', { conversationId: id, patch: { text: 'Rain began.' } });
    const reply = nextReply(h.core, id);
    ai.script({ text: 'Wet.' }, { error: { status: 401 } });
    await h.call('chat.send', { conversationId: id, text: 'and?' });
    await reply;
    const m = await memoryWhen(id, (x) => x.error !== undefined);
    expect(m).toMatchObject({ text: 'Rain began.', error: expect.stringMatching(/^The last automatic summary failed\. No summary: tried small \(HTTP 401/) });
  });
});

describe('a SillyTavern chat with a summary', () => {
  it("imports the newest message's extra.memory as the memory, covering through that message", async () => {
    // SillyTavern's chat file: a header line, then one message a line; its Summarize extension keeps each summary in
    // the `extra.memory` of the message it was made at (public/scripts/extensions/memory/index.js setMemoryContext).
    const lines = [
      { user_name: 'You', character_name: 'Mira', create_date: '2026-01-02 @10h 00m 00s 000ms', chat_metadata: {} },
      { name: 'You', is_user: true, send_date: 'January 2, 2026 10:00am', mes: 'Hello.' },
      { name: 'Mira', is_user: false, send_date: 'January 2, 2026 10:01am', mes: 'Welcome.', extra: { memory: 'An older summary.' } },
      { name: 'You', is_user: true, send_date: 'January 2, 2026 10:02am', mes: 'Tell me of the storm.' },
      { name: 'Mira', is_user: false, send_date: 'January 2, 2026 10:03am', mes: 'It came at night.', extra: { memory: 'They met; the storm came at night.' } },
      { name: 'You', is_user: true, send_date: 'January 2, 2026 10:04am', mes: 'And then?' },
    ];
    const jsonl = lines.map((l) => JSON.stringify(l)).join('\n');
    const r = await h.call('import.files', { files: [{ path: 'chats/Mira/Mira - 2026-01-02.jsonl', bytesBase64: Buffer.from(jsonl).toString('base64') }], characterId: h.characterId });
    expect(r.imported.conversations).toBe(1);
    const conv = (await h.call('records.list', { kind: 'conversation' })).find((e) => e.title.startsWith('Mira — 2026-01-02'))!;
    expect(await h.call('memory.get', { conversationId: conv.id })).toMatchObject({ text: 'They met; the storm came at night.', enabled: true, coveredMessages: 4, totalMessages: 5 });
    expect((await h.call('chat.prompt', { conversationId: conv.id })).messages[0]!.content).toContain('[Summary: They met; the storm came at night.]');
  });
});

describe('locking the vault while a summary is made', () => {
  it('stops the request, records it in the ledger, and changes nothing', async () => {
    const id = await chatWith(3);
    await h.call('memory.set', { conversationId: id, patch: { text: 'Before the lock.' } });
    await h.call('conversation.addMessage', { id, role: 'user', text: 'line 4: more' });
    ai.script({ text: 'Never stored.', responseDelayMs: Infinity }); // answered only by the lock, never by a timeout
    const pending = h.call('memory.summarize', { conversationId: id });
    await until(() => ai.chatRequests().some((r) => JSON.stringify(r.body).includes('line 4: more')));
    // Watched before locking: vault.lock answers only after its scrub, by which time the request has already failed.
    const refused = expect(pending).rejects.toMatchObject({ code: 'locked' });
    await h.call('vault.lock', {});
    await refused;
    await h.call('vault.unlock', { passphrase: PASS });
    expect((await h.call('ledger.list', { limit: 1 }))[0]).toMatchObject({ purpose: 'summary', outcome: 'stopped: vault locked' });
    expect((await h.call('memory.get', { conversationId: id })).text).toBe('Before the lock.');
  });
});
