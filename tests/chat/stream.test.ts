/**
 * Streaming replies against the fake provider: exact assembly, stop, fallback before the first token, errors after
 * it (provider error, stall, cut), and what the conversation keeps in each case.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closedBaseUrl, startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { nextReply, openChatHarness, storedAlternative, until, useShortTimeouts, type ChatHarness } from './harness.node.ts';

let h: ChatHarness;
let a: FakeOpenAI;
let b: FakeOpenAI;
let dead: string;
const KEY_A = 'sk-test-AAAAAAAAAAAAAAAAAAAAAAAA';

beforeAll(async () => {
  useShortTimeouts({ firstTokenMs: 3_000, stallMs: 3_000, checkpointMs: 200 });
  h = await openChatHarness();
  a = await startFakeOpenAI({ model: 'model-a' });
  b = await startFakeOpenAI({ model: 'model-b' });
  dead = await closedBaseUrl();
  await h.call('provider.add', { name: 'first', baseUrl: a.baseUrl, model: 'model-a', apiKey: KEY_A });
  await h.call('provider.add', { name: 'second', baseUrl: b.baseUrl, model: 'model-b' });
});

afterAll(async () => {
  await h.core.close();
  await a.close();
  await b.close();
});

beforeEach(() => {
  a.setDefault({ text: 'unscripted reply from a' });
  b.setDefault({ text: 'unscripted reply from b' });
});

async function send(text: string, conversationId?: string) {
  const id = conversationId ?? (await h.newConversation());
  const reply = nextReply(h.core, id);
  const started = await h.call('chat.send', { conversationId: id, text });
  return { id, started, reply };
}

describe('a streamed reply', () => {
  it('assembles exactly from role-only delta, content deltas, empty choices, usage and [DONE]', async () => {
    const tokens = ['Hel', 'lo', ', ', 'trav', 'el', 'ler', ' — ', 'ünï', 'cödé ', '✨', ' 日本', '語', '.', '\n', 'End'];
    a.script({ tokens, tokenDelayMs: 3, emptyChoicesEvery: 1 });
    const { id, started, reply } = await send('hello');
    // The command returns as soon as both messages exist; the reply is still streaming.
    const early = await h.call('conversation.get', { id });
    expect(early.messages.map((m) => m.role)).toEqual(['user', 'character']);
    expect(early.messages[0]!.alternatives[0]!.text).toBe('hello');
    expect(early.messages[1]!.id).toBe(started.replyMessageId);
    const r = await reply;
    expect(r.done).toMatchObject({ status: 'complete', provider: 'first', model: 'model-a', messageId: started.replyMessageId, alternativeId: started.alternativeId });
    expect(r.text).toBe(tokens.join(''));
    expect(r.deltas).toEqual(tokens);
    const { alt } = await storedAlternative(h.call, id, started.replyMessageId);
    expect(alt).toMatchObject({ text: tokens.join(''), status: 'complete', provider: 'first', model: 'model-a' });
    expect(alt.error).toBeUndefined();
    // The request asked for usage, so the fake sent its usage chunk (choices: []) before [DONE].
    expect(a.chatRequests().at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('stops mid-stream: the partial text is kept and marked stopped', async () => {
    a.script({ tokens: Array.from({ length: 200 }, (_, i) => `t${i} `), tokenDelayMs: 20 });
    const { id, started, reply } = await send('tell me a long story');
    await until(() => reply.deltas.length >= 5);
    await h.call('chat.stop', { conversationId: id });
    const r = await reply;
    expect(r.done.status).toBe('stopped');
    expect(r.deltas.length).toBeGreaterThanOrEqual(5);
    expect(r.deltas.length).toBeLessThan(200);
    const { alt } = await storedAlternative(h.call, id, started.replyMessageId);
    expect(alt.status).toBe('stopped');
    expect(alt.text).toBe(r.text);
    expect(b.chatRequests().length).toBe(0);
  });
});

describe('fallback before the first token', () => {
  const cases: [string, () => void][] = [
    ['HTTP 429', () => a.script({ error: { status: 429 } })],
    ['HTTP 500', () => a.script({ error: { status: 500 } })],
    ['HTTP 503', () => a.script({ error: { status: 503 } })],
    ['a first-token timeout', () => a.script({ text: 'too late', firstTokenDelayMs: Infinity })],
    ['a first-token timeout before headers', () => a.script({ text: 'too late', responseDelayMs: Infinity })],
    ['a connection cut before any token', () => a.script({ text: 'never', cutAfterTokens: 0 })],
  ];
  for (const [what, setUp] of cases) {
    it(`goes to the next provider on ${what} and records which one answered`, async () => {
      const before = { a: a.chatRequests().length, b: b.chatRequests().length };
      setUp();
      b.script({ text: 'answer from the second provider' });
      const { id, started, reply } = await send(`fallback on ${what}`);
      const r = await reply;
      expect(r.done).toMatchObject({ status: 'complete', provider: 'second', model: 'model-b' });
      expect(r.text).toBe('answer from the second provider');
      expect(a.chatRequests().length).toBe(before.a + 1);
      expect(b.chatRequests().length).toBe(before.b + 1);
      const { alt } = await storedAlternative(h.call, id, started.replyMessageId);
      expect(alt).toMatchObject({ status: 'complete', provider: 'second', model: 'model-b', text: 'answer from the second provider' });
    });
  }

  it('goes to the next provider when the connection is refused', async () => {
    await h.call('provider.update', { name: 'first', patch: { baseUrl: dead } });
    try {
      b.script({ text: 'b answers' });
      const { reply } = await send('refused');
      expect((await reply).done).toMatchObject({ status: 'complete', provider: 'second' });
    } finally {
      await h.call('provider.update', { name: 'first', patch: { baseUrl: a.baseUrl } });
    }
  });

  it('tries the conversation\'s preferred provider first', async () => {
    const id = await h.newConversation({ provider: 'second' });
    b.script({ text: 'preferred' });
    const before = a.chatRequests().length;
    const { reply } = await send('hi', id);
    expect((await reply).done).toMatchObject({ status: 'complete', provider: 'second' });
    expect(a.chatRequests().length).toBe(before);
  });

  it('does not fall back on a 401: the error names the provider and never the key', async () => {
    a.script({ error: { status: 401, message: `Incorrect API key provided: ${KEY_A}. You can find your API key at …` } });
    const before = b.chatRequests().length;
    const { id, started, reply } = await send('bad key');
    const r = await reply;
    expect(r.done.status).toBe('error');
    expect(r.done.error!.code).toBe('provider');
    expect(r.done.error!.message).toContain('first');
    expect(r.done.error!.message).toContain('401');
    expect(r.done.error!.message).not.toContain(KEY_A);
    expect(r.done.error!.message).not.toContain(KEY_A.slice(8, 20));
    expect(b.chatRequests().length).toBe(before);
    const c = await h.call('conversation.get', { id });
    expect(c.messages[0]!.alternatives[0]!.text).toBe('bad key');
    const { alt } = await storedAlternative(h.call, id, started.replyMessageId);
    expect(alt.status).toBe('error');
    expect(alt.error).not.toContain(KEY_A);
  });

  it('when every provider fails: the user message is kept and the error says who was tried and why', async () => {
    a.script({ error: { status: 503 } });
    b.script({ error: { status: 429 } });
    const { id, started, reply } = await send('anyone there?');
    const r = await reply;
    expect(r.done.status).toBe('error');
    expect(r.done.error!.code).toBe('provider');
    expect(r.done.error!.message).toMatch(/first \(HTTP 503[^)]*\).*second \(HTTP 429/);
    const c = await h.call('conversation.get', { id });
    expect(c.messages[0]!.alternatives[0]!.text).toBe('anyone there?');
    const { alt } = await storedAlternative(h.call, id, started.replyMessageId);
    expect(alt).toMatchObject({ status: 'error', text: '' });
    expect(alt.error).toBe(r.done.error!.message);
  });

  it('reports a network error when no provider could be reached', async () => {
    await h.call('provider.update', { name: 'first', patch: { baseUrl: dead } });
    await h.call('provider.update', { name: 'second', patch: { baseUrl: dead } });
    try {
      const { reply } = await send('hello?');
      const r = await reply;
      expect(r.done.error).toMatchObject({ code: 'network' });
      expect(r.done.error!.message).toContain('connection refused');
    } finally {
      await h.call('provider.update', { name: 'first', patch: { baseUrl: a.baseUrl } });
      await h.call('provider.update', { name: 'second', patch: { baseUrl: b.baseUrl } });
    }
  });
});

describe('failures after the first token keep what arrived and do not fall back', () => {
  const cases: [string, () => void, RegExp][] = [
    ['a provider error in the stream', () => a.script({ text: 'one two three four five', tokenDelayMs: 5, errorAfterTokens: 3, streamError: { message: 'upstream model crashed' } }), /first failed mid-reply: the provider reported an error: upstream model crashed/],
    ['a stall', () => a.script({ text: 'one two three four five', tokenDelayMs: 5, stallAfterTokens: 3, stallMs: Infinity }), /first failed mid-reply: the reply stalled for 3 s/],
    ['a connection cut', () => a.script({ text: 'one two three four five', tokenDelayMs: 5, cutAfterTokens: 3 }), /first failed mid-reply: the connection was cut/],
  ];
  for (const [what, setUp, message] of cases) {
    it(`on ${what}`, async () => {
      const before = b.chatRequests().length;
      setUp();
      const { id, started, reply } = await send(`mid-stream ${what}`);
      const r = await reply;
      expect(r.text).toBe('one two three ');
      expect(r.done.status).toBe('error');
      expect(r.done.provider).toBe('first');
      expect(r.done.error!.message).toMatch(message);
      expect(b.chatRequests().length).toBe(before);
      const { alt } = await storedAlternative(h.call, id, started.replyMessageId);
      expect(alt).toMatchObject({ status: 'error', text: 'one two three ', provider: 'first' });
      expect(alt.error).toMatch(message);
    });
  }
});

describe('the ledger names each failure in fixed words', () => {
  it('timeout, refused, stall, cut, provider error, HTTP status', async () => {
    const outcomes = async (setUp: () => void, n: number) => {
      setUp();
      const { reply } = await send('ledger outcome');
      await reply;
      return (await h.call('ledger.list', { limit: n })).map((e) => e.outcome);
    };
    expect(await outcomes(() => (a.script({ text: 'late', firstTokenDelayMs: Infinity }), b.script({ text: 'ok' })), 2)).toEqual(['ok', 'error: timeout before the first token']);
    expect(await outcomes(() => a.script({ text: 'a b c', stallAfterTokens: 1, stallMs: Infinity }), 1)).toEqual(['error: stalled']);
    expect(await outcomes(() => a.script({ text: 'a b c', cutAfterTokens: 1 }), 1)).toEqual(['error: the connection was cut mid-reply']);
    expect(await outcomes(() => a.script({ text: 'a b c', errorAfterTokens: 1, streamError: { message: 'secret detail' } }), 1)).toEqual(['error: provider error mid-reply']);
    expect(await outcomes(() => (a.script({ error: { status: 500 } }), b.script({ error: { status: 404 } })), 2)).toEqual(['error: HTTP 404', 'error: HTTP 500']);
  });
});

describe('deleting a conversation while it streams', () => {
  it('stops the stream, still ends it with chat.done, and writes nothing into the deleted record', async () => {
    a.script({ tokens: Array.from({ length: 300 }, (_, i) => `d${i} `), tokenDelayMs: 10 });
    const { id, reply } = await send('about to be deleted');
    await until(() => reply.deltas.length >= 3);
    await h.call('conversation.delete', { id });
    const r = await reply;
    expect(['stopped', 'complete']).toContain(r.done.status);
    expect(r.deltas.length).toBeLessThan(300);
    const gone = await h.core.invoke('conversation.get', { id });
    expect(gone.ok).toBe(false);
  });
});

describe('one reply at a time', () => {
  it('refuses a second send while a reply streams, and stop on an idle conversation is harmless', async () => {
    a.script({ text: 'slow reply here', tokenDelayMs: 100 });
    const { id, reply } = await send('first');
    const second = await h.core.invoke('chat.send', { conversationId: id, text: 'second' });
    expect(second.ok).toBe(false);
    if (!second.ok) expect(second.error.code).toBe('usage');
    await reply;
    await h.call('chat.stop', { conversationId: id });
    const c = await h.call('conversation.get', { id });
    expect(c.messages.length).toBe(2);
  });

  it('refuses to send without any provider, before writing anything', async () => {
    const other = await openChatHarness();
    try {
      const id = await other.newConversation();
      const r = await other.core.invoke('chat.send', { conversationId: id, text: 'hi' });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatchObject({ code: 'not_found' });
      expect((await other.call('conversation.get', { id })).messages).toEqual([]);
    } finally {
      await other.core.close();
    }
  });
});
