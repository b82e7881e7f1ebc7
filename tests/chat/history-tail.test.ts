/**
 * A reply reads only the newest part of a long conversation (issue 9), and the prompt it builds is the one the
 * whole history gives: with a small context (older segments are never decoded), with a context that takes every
 * message (older segments are read as needed), with a lorebook that scans further back than the first read, and
 * for a regeneration of an old message. Segments of 50 messages so 1,200 messages make 24 of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCore } from '../../electron/core/core.node.ts';
import { callFor } from '../../electron/core/cli/context.node.ts';
import { fitPrompt, loadContext, nextSpeaker, promptBase, toHistory, type ChatContext } from '../../electron/core/chat/context.node.ts';
import { ConversationTail, FIRST_READ } from '../../electron/core/chat/history.node.ts';
import { buildPrompt } from '../../electron/core/chat/prompt.std.ts';
import { segmentRef } from '../../electron/core/docs/conversations.node.ts';
import { openDb } from '../../electron/core/store/db.node.ts';
import { createSqliteStorage } from '../../electron/core/store/sqlite-storage.node.ts';
import { unlockVault } from '../../electron/core/vault/vault.node.ts';
import { openSession, type VaultSession } from '../../electron/core/session.node.ts';
import type { Db } from '../../electron/core/store/db.node.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';
import { tempDir } from '../support/files.node.ts';
import { PASS } from './harness.node.ts';

const N = 1_200;
const SEG = 50;
const dir = tempDir('tail');
let ai: FakeOpenAI;
let conv = '';
let old = '';
let db: Db;
let s: VaultSession;

const text = (i: number) => `Message ${i}: ${'the tide comes in and goes out again '.repeat(1 + (i % 5))}${i === N - 300 ? ' The lantern is lit.' : ''}`.trim();

beforeAll(async () => {
  process.env['MINDSTAGE_TEST_SEGMENT_SIZE'] = String(SEG);
  ai = await startFakeOpenAI();
  const core = await openCore({ dataDir: dir });
  const call = callFor(core);
  await call('vault.create', { passphrase: PASS });
  const { id: mira } = await call('character.create', {
    name: 'Mira',
    description: '{{char}} keeps the lighthouse.',
    // Scans 400 messages back: further than the first read, so the tail must grow for the lantern entry.
    character_book: { scan_depth: 400, entries: [{ keys: ['lantern'], content: 'The lantern burns whale oil.', name: 'Lantern' }] },
  });
  conv = (await call('conversation.create', { title: 'long', characterIds: [mira] })).id;
  for (let i = 0; i < N; i++) {
    const m = await call('conversation.addMessage', { id: conv, role: i % 2 ? 'character' : 'user', text: text(i), ...(i % 2 ? { authorId: mira } : {}) });
    if (i === 101) old = m.id;
  }
  await core.close();
  db = openDb(dir, { create: false });
  const storage = createSqliteStorage(db);
  s = openSession(storage, unlockVault(storage, PASS));
});

afterAll(async () => {
  s?.close();
  db?.close();
  delete process.env['MINDSTAGE_TEST_SEGMENT_SIZE'];
  await ai.close();
});

const provider = (contextWindow: number) => ({ contextWindow, maxTokens: 256, model: 'gpt-4o-mini' });

/** The prompt from the whole history, as before tails: every message read. */
function wholePrompt(ctx: ChatContext, p: ReturnType<typeof provider>, upTo?: number) {
  const whole: ChatContext = { ...ctx, tail: new ConversationTail(s, conv, N * 2) };
  expect(whole.tail.messages).toHaveLength(N);
  const messages = whole.tail.messages.slice(0, upTo);
  const base = promptBase(whole, nextSpeaker(whole, undefined, messages.length), toHistory(whole, messages), 'reply');
  return buildPrompt({ ...base, ...p });
}

function tailPrompt(ctx: ChatContext, p: ReturnType<typeof provider>, upTo?: number) {
  const messages = ctx.tail.messages.slice(0, upTo);
  const base = promptBase(ctx, nextSpeaker(ctx, undefined, messages.length), toHistory(ctx, messages), 'reply');
  return fitPrompt(ctx, base, base.history, (history) => buildPrompt({ ...base, history, ...p }));
}

const segmentOpen = (k: number) => s.repo.isOpen(segmentRef(s.vault.subkey('idHash'), conv, k));

describe('a reply reads the tail of a long conversation', () => {
  it('with a small context: the same prompt as from the whole history, and the oldest segments stay on disk', () => {
    s.repo.trim('segment', 0);
    const ctx = loadContext(s, conv);
    expect(ctx.tail.messages).toHaveLength(FIRST_READ);
    expect(ctx.tail.unread).toBe(N - FIRST_READ);
    const got = tailPrompt(ctx, provider(4_096));
    // Nothing before the lantern's scan reach was decoded: the first segments were never opened.
    for (let k = 0; k < (N - 401) / SEG - 1; k++) expect(segmentOpen(k)).toBe(false);
    const want = wholePrompt(ctx, provider(4_096));
    expect(got.messages).toEqual(want.messages);
    expect(got.loreIncluded).toEqual(['Lantern']);
    expect(got.historyIncluded).toBe(want.historyIncluded);
    expect(got.historyDropped).toBe(want.historyDropped);
    expect(got.historyIncluded).toBeLessThan(FIRST_READ);
  });

  it('with a context that holds everything: older segments are read until every message is in', () => {
    const ctx = loadContext(s, conv);
    const got = tailPrompt(ctx, provider(400_000));
    const want = wholePrompt(ctx, provider(400_000));
    expect(got.historyIncluded).toBe(N);
    expect(got.messages).toEqual(want.messages);
    expect(got.historyDropped).toBe(0);
    expect(ctx.tail.unread).toBe(0);
  });

  it('a context between the two: older messages are read in steps and the cut falls where the whole history puts it', () => {
    const ctx = loadContext(s, conv);
    const got = tailPrompt(ctx, provider(20_000));
    const want = wholePrompt(ctx, provider(20_000));
    expect(got.historyIncluded).toBeGreaterThan(FIRST_READ);
    expect(got.historyIncluded).toBeLessThan(N);
    expect(got.messages).toEqual(want.messages);
    expect(got.historyDropped).toBe(want.historyDropped);
  });

  it('regenerating an old message reads the messages before it, not the newest', () => {
    const target = s.conversations.message(conv, old)!;
    const ctx = loadContext(s, conv, target);
    expect(ctx.tail.messages.at(-1)!.id).toBe(old);
    expect(ctx.tail.messages).toHaveLength(102);
    const index = ctx.tail.messages.length - 1;
    const got = tailPrompt(ctx, provider(4_096), index);
    const want = wholePrompt(ctx, provider(4_096), 101);
    expect(got.messages).toEqual(want.messages);
  });
});
