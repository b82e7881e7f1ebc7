/**
 * What leaves the device, and what stays on it. The fake provider records every request: bodies carry the card's
 * fields in the documented order, only the lorebook entries whose keys were mentioned, history trimmed to budget,
 * and no identity (no `user` field, no ids, no identity headers — even with the openai SDK's environment variables
 * set). Every request is in the ledger, which holds no content. Locking mid-stream stops cleanly and nothing is
 * written after the lock. API keys and message text never reach a file or a log — including after provider errors.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countTokens } from '../../electron/core/chat/prompt.std.ts';
import { findSecrets, listFiles, tempDir } from '../support/files.node.ts';
import { startFakeOpenAI, type FakeOpenAI, type RecordedRequest } from '../support/fake-openai.node.ts';
import { PASS, nextReply, openChatHarness, until, useShortTimeouts, type ChatHarness } from './harness.node.ts';

const run = randomBytes(5).toString('hex');
const canaries: string[] = [];
const c = (what: string) => {
  const s = `CANARY-${what}-${run}`;
  canaries.push(s);
  return s;
};
const API_KEY = `sk-proj-${randomBytes(18).toString('hex')}`;
const ENV_KEY = `sk-env-${randomBytes(12).toString('hex')}`;
canaries.push(API_KEY);

let h: ChatHarness;
let ai: FakeOpenAI;
let vaultId = '';
const logged: string[] = [];
const restore: (() => void)[] = [];

function captureLogs(): void {
  for (const name of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[name];
    console[name] = (...args: unknown[]) => {
      logged.push(args.map(String).join(' '));
      original.apply(console, args);
    };
    restore.push(() => (console[name] = original));
  }
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream);
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      logged.push(String(chunk));
      return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    restore.push(() => (stream.write = original));
  }
}

beforeAll(async () => {
  captureLogs();
  // What the openai SDK would pick up from the environment by itself: none of it may reach a provider.
  Object.assign(process.env, { OPENAI_API_KEY: ENV_KEY, OPENAI_ORG_ID: 'org-from-env', OPENAI_PROJECT_ID: 'proj-from-env', OPENAI_CUSTOM_HEADERS: 'X-From-Env: leaked', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_LOG: 'debug' });
  useShortTimeouts({ stallMs: 5_000 });
  h = await openChatHarness(tempDir('chat-privacy'));
  vaultId = (await h.call('vault.status', {})).vaultId ?? '';
  ai = await startFakeOpenAI({ model: 'gpt-4o-mini' });
  await h.call('provider.add', { name: 'keyed', baseUrl: ai.baseUrl, model: 'gpt-4o-mini', apiKey: API_KEY, sampling: { temperature: 0.8, top_p: 0.9 } });
});

afterAll(async () => {
  await h.core.close();
  await ai.close();
  for (const r of restore) r();
  for (const k of ['OPENAI_API_KEY', 'OPENAI_ORG_ID', 'OPENAI_PROJECT_ID', 'OPENAI_CUSTOM_HEADERS', 'OPENAI_BASE_URL', 'OPENAI_LOG']) delete process.env[k];
});

const bodyOf = (r: RecordedRequest) => r.body as { messages: { role: string; content: string }[]; [k: string]: unknown };

async function sendAndWait(conversationId: string, text: string) {
  const reply = nextReply(h.core, conversationId);
  const started = await h.call('chat.send', { conversationId, text });
  return { started, ...(await reply) };
}

describe('the request body', () => {
  it('has the card fields in the documented order, only keyed lore, and the history trimmed to the budget', async () => {
    const { id: character } = await h.call('character.create', {
      name: 'Mira',
      system_prompt: `{{original}} ${c('system')}`,
      description: `{{char}} keeps the lighthouse. ${c('description')}`,
      personality: c('personality'),
      scenario: c('card-scenario'),
      mes_example: `<START>\n{{user}}: hi\n{{char}}: ${c('example')}`,
      post_history_instructions: c('post-history'),
      character_book: {
        entries: [
          { keys: ['lantern'], content: c('lore-lantern'), name: 'lantern' },
          { keys: ['dragon'], content: c('lore-dragon'), name: 'dragon' },
        ],
      },
    });
    const { id: persona } = await h.call('persona.create', { name: 'Sam', description: c('persona') });
    const { id: scenario } = await h.call('scenario.create', { title: 'Coast', setting: c('setting'), characterIds: [character] });
    const { id } = await h.call('conversation.create', { title: 't', characterIds: [character], personaId: persona, scenarioId: scenario });
    // 150 older messages of ~60 tokens each: far more than fits in 4096 − 512.
    for (let i = 0; i < 150; i++) {
      await h.call('conversation.addMessage', { id, role: i % 2 ? 'character' : 'user', authorId: i % 2 ? character : persona, text: `old message ${i} ${'word '.repeat(50)}` });
    }
    await h.call('provider.update', { name: 'keyed', patch: { contextWindow: 4096, maxTokens: 512, sampling: { temperature: 0.8, top_p: 0.9 } } });
    ai.script({ text: 'The lantern glows.' });
    const r = await sendAndWait(id, `Where is the lantern? ${c('user-message')}`);
    expect(r.done.status).toBe('complete');

    const req = ai.chatRequests().at(-1)!;
    const body = bodyOf(req);
    const all = body.messages.map((m) => m.content).join('\n\n');
    const order = ['system', 'description', 'personality', 'card-scenario', 'setting', 'persona', 'example', 'old message 149', 'user-message', 'post-history'].map((k) =>
      all.indexOf(k.startsWith('old') ? k : `CANARY-${k}-${run}`),
    );
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((x, y) => x - y)).toEqual(order);
    expect(all).toContain("Write Mira's next reply");
    expect(all).toContain(`CANARY-lore-lantern-${run}`);
    expect(all).not.toContain(`CANARY-lore-dragon-${run}`);
    // Trimmed from the oldest: the newest history is there, the oldest is not, and it fits the budget.
    expect(all).not.toContain('old message 0 ');
    const tokens = body.messages.reduce((n, m) => n + countTokens(m.content, 'gpt-4o-mini') + 3, 3);
    expect(tokens).toBeLessThanOrEqual(4096 - 512);
    expect(tokens).toBeGreaterThan(4096 - 512 - 200);
    expect(body.messages.at(-1)).toEqual({ role: 'system', content: `CANARY-post-history-${run}` });
    await h.call('provider.update', { name: 'keyed', patch: { contextWindow: 128_000, maxTokens: 512, sampling: { temperature: 0.8, top_p: 0.9 } } });
  });

  it('carries only the prompt and sampling settings: no user field, no ids, no identity headers', async () => {
    const id = await h.newConversation();
    await sendAndWait(id, 'hello');
    const req = ai.chatRequests().at(-1)!;
    const body = bodyOf(req);
    expect(Object.keys(body).sort()).toEqual(['max_tokens', 'messages', 'model', 'stream', 'stream_options', 'temperature', 'top_p']);
    expect(body).toMatchObject({ model: 'gpt-4o-mini', temperature: 0.8, top_p: 0.9, max_tokens: 512, stream: true, stream_options: { include_usage: true } });
    for (const m of body.messages) expect(Object.keys(m).sort()).toEqual(['content', 'role']);
    for (const secret of [vaultId, id, h.characterId]) expect(req.rawBody).not.toContain(secret);

    expect(Object.keys(req.headers).sort()).toEqual(['accept', 'authorization', 'connection', 'content-length', 'content-type', 'host']);
    expect(req.headers['authorization']).toBe(`Bearer ${API_KEY}`);
    const headerText = JSON.stringify(req.headers).toLowerCase();
    for (const leak of ['stainless', 'user-agent', 'openai', 'node', process.platform, process.arch, 'org-from-env', 'proj-from-env', 'x-from-env', ENV_KEY.toLowerCase()]) {
      expect(headerText).not.toContain(leak);
    }
    expect(req.path).toBe('/v1/chat/completions');
  });

  it('sends no Authorization header to a provider without a key (never the environment\'s)', async () => {
    const local = await startFakeOpenAI();
    try {
      await h.call('provider.add', { name: 'local', baseUrl: local.baseUrl, model: 'llama' });
      const id = await h.newConversation({ provider: 'local' });
      await sendAndWait(id, 'hi');
      const req = local.chatRequests().at(-1)!;
      expect(Object.keys(req.headers).sort()).toEqual(['accept', 'connection', 'content-length', 'content-type', 'host']);
    } finally {
      await h.call('provider.remove', { name: 'local' });
      await local.close();
    }
  });
});

describe('the ledger', () => {
  it('records every request with host, purpose, bytes and outcome, and no content', async () => {
    const before = (await h.call('ledger.list', { limit: 100_000 })).length;
    const startedAt = Date.now();
    const id = await h.newConversation();
    ai.script({ error: { status: 429 } });
    // The provider's error text reaches the app (control) — and must go no further than the reply's error.
    expect((await sendAndWait(id, c('ledger-message'))).done.error?.message).toContain(ai.errorCanary);
    ai.script({ text: c('ledger-reply') });
    await sendAndWait(id, 'again');
    const test = await h.call('provider.test', { name: 'keyed' });
    expect(test.ok).toBe(true);
    const entries = await h.call('ledger.list', { limit: 100_000 });
    expect(entries.length).toBe(before + 3);
    const [t, ok, limited] = entries;
    const host = new URL(ai.baseUrl).host;
    expect(t).toMatchObject({ host, purpose: 'test', status: 200, outcome: 'ok' });
    expect(ok).toMatchObject({ host, purpose: 'chat', status: 200, outcome: 'ok' });
    expect(limited).toMatchObject({ host, purpose: 'chat', status: 429, outcome: 'error: HTTP 429' });
    for (const e of [t!, ok!, limited!]) {
      expect(e.bytesOut).toBeGreaterThan(100);
      expect(e.bytesIn).toBeGreaterThan(50);
      // When the request was made: inside this test, however long a loaded machine made it take.
      expect(e.at).toBeGreaterThanOrEqual(startedAt);
      expect(e.at).toBeLessThanOrEqual(Date.now());
      expect(Object.keys(e).sort()).toEqual(['at', 'bytesIn', 'bytesOut', 'host', 'outcome', 'purpose', 'status']);
    }
    const text = JSON.stringify(entries);
    for (const secret of [...canaries, API_KEY, 'hello', 'Mira', ai.errorCanary]) expect(text).not.toContain(secret);
  });
});

describe('locking the vault while a reply streams', () => {
  it('saves the text so far as stopped, records the request, aborts, and writes nothing after the lock', async () => {
    const id = await h.newConversation();
    ai.script({ tokens: Array.from({ length: 400 }, (_, i) => `w${i} `), tokenDelayMs: 15 });
    const reply = nextReply(h.core, id);
    const started = await h.call('chat.send', { conversationId: id, text: 'stream for a while' });
    await until(() => reply.deltas.length >= 10);
    const connections = ai.chatRequests().length;
    await h.call('vault.lock', {});
    const r = await reply;
    expect(r.done.status).toBe('stopped');
    expect(r.done.error?.code).toBe('locked');
    const atLock = r.text;

    const snapshot = () => listFiles(h.dir).map((f) => `${f}:${createHash('sha256').update(readFileSync(f)).digest('hex')}`).sort().join('\n');
    const afterLock = snapshot();
    await new Promise((res) => setTimeout(res, 600));
    expect(snapshot()).toBe(afterLock);
    expect(ai.chatRequests().length).toBe(connections);

    await h.call('vault.unlock', { passphrase: PASS });
    const conv = await h.call('conversation.get', { id });
    const alt = conv.messages.find((m) => m.id === started.replyMessageId)!.alternatives[0]!;
    expect(alt.status).toBe('stopped');
    expect(alt.text).toBe(atLock);
    expect(atLock.length).toBeGreaterThan(0);
    const ledger = await h.call('ledger.list', { limit: 1 });
    expect(ledger[0]).toMatchObject({ purpose: 'chat', outcome: 'stopped: vault locked', status: 200 });
  });
});

describe('nothing plaintext on disk or in logs', () => {
  it('after replies, provider errors that echo the key, and a mid-stream error', async () => {
    const id = await h.newConversation();
    ai.script({ error: { status: 401, message: `Incorrect API key provided: ${API_KEY}. ${c('error-body')}` } });
    const failed = await sendAndWait(id, c('message-before-error'));
    expect(failed.done.status).toBe('error');
    expect(failed.done.error!.message).not.toContain(API_KEY);
    ai.script({ tokens: [c('reply-part-1'), ' ', c('reply-part-2')], errorAfterTokens: 2, streamError: { message: `boom ${API_KEY}` } });
    const partial = await sendAndWait(id, c('message-mid-error'));
    expect(partial.done.status).toBe('error');
    expect(partial.done.error!.message).not.toContain(API_KEY);
    ai.script({ text: `${c('reply-ok')} fine` });
    await sendAndWait(id, c('message-ok'));

    // Control: the scan finds a canary where one is.
    const control = tempDir('chat-control');
    writeFileSync(join(control, 'x'), Buffer.from(`..${canaries.at(-1)}..`, 'utf16le'));
    expect(findSecrets(control, canaries).length).toBe(1);

    expect(findSecrets(h.dir, canaries)).toEqual([]);
    await h.core.close();
    expect(findSecrets(h.dir, canaries)).toEqual([]);
    const logText = logged.join('\n');
    for (const s of canaries) expect(logText).not.toContain(s);
    // Reopen for afterAll.
    h = await reopen();
  });
});

async function reopen(): Promise<ChatHarness> {
  const { openCore } = await import('../../electron/core/core.node.ts');
  const { callFor } = await import('../../electron/core/cli/context.node.ts');
  const core = await openCore({ dataDir: h.dir });
  return { ...h, core, call: callFor(core) };
}
