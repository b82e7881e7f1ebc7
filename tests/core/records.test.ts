/** The core API end to end on a real vault file: records, conversations, search, export and import. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCore, type Core } from '../../electron/core/core.node.ts';
import { callFor, type Call } from '../../electron/core/cli/context.node.ts';

let core: Core;
let call: Call;
const fail = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'no error';
  } catch (e) {
    return (e as { code: string }).code;
  }
};

beforeAll(async () => {
  core = await openCore({ dataDir: mkdtempSync(join(tmpdir(), 'ms-records-')) });
  call = callFor(core);
  await call('vault.create', { passphrase: 'records test' });
});
afterAll(() => core.close());

describe('records', () => {
  it('create, read, update and delete each kind', async () => {
    const { id: c } = await call('character.create', { name: 'Nyx', description: 'night', alternate_greetings: ['hi', 'hey'] });
    const { id: p } = await call('persona.create', { name: 'Me', description: 'a traveller' });
    const { id: s } = await call('scenario.create', { title: 'Harbor', setting: 'fog', characterIds: [c], personaId: p, openingMessages: ['The ship docks.'] });
    expect((await call('character.get', { id: c })).alternate_greetings).toEqual(['hi', 'hey']);
    await call('character.update', { id: c, patch: { name: 'Nyx II', personality: 'quiet' } });
    const got = await call('character.get', { id: c });
    expect([got.name, got.personality, got.description]).toEqual(['Nyx II', 'quiet', 'night']);
    expect((await call('scenario.get', { id: s })).characterIds).toEqual([c]);
    const titles = (await call('records.list', {})).map((e) => e.title).sort();
    expect(titles).toEqual(['Harbor', 'Me', 'Nyx II']);
    await call('persona.delete', { id: p });
    expect(await fail(call('persona.get', { id: p }))).toBe('not_found');
    expect((await call('records.list', { kind: 'persona' }))).toEqual([]);
    // A record of another kind is not found under the wrong command.
    expect(await fail(call('scenario.get', { id: c }))).toBe('not_found');
  });

  it('validates input at the boundary with clear messages', async () => {
    const r = await core.invoke('character.create', { name: 'x'.repeat(2000) });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ code: 'usage', message: expect.stringContaining('name') });
    const big = await core.invoke('character.create', { name: 'Big', description: 'x'.repeat(1_000_001) });
    expect(!big.ok && big.error.code).toBe('usage');
    const unknown = await core.invoke('no.such.command' as 'vault.status', {});
    expect(!unknown.ok && unknown.error.code).toBe('usage');
    expect(await fail(call('conversation.create', { characterIds: ['0'.repeat(32)] }))).toBe('not_found');
  });
});

describe('conversations', () => {
  it('messages, alternatives, edits, deletes and branches', async () => {
    const { id: c } = await call('character.create', { name: 'Echo' });
    const { id } = await call('conversation.create', { characterIds: [c], title: 'Cave' });
    const m1 = await call('conversation.addMessage', { id, role: 'user', text: 'Hello?' });
    const m2 = await call('conversation.addMessage', { id, role: 'character', text: 'Hello hello', authorId: c });
    const m3 = await call('conversation.addMessage', { id, role: 'narrator', text: 'It echoes.' });
    await call('conversation.editMessage', { id, messageId: m2.id, text: 'Hello... hello...' });
    await call('conversation.deleteMessage', { id, messageId: m3.id });
    let conv = await call('conversation.get', { id });
    expect(conv.messages.map((m) => m.alternatives[m.chosen]!.text)).toEqual(['Hello?', 'Hello... hello...']);
    expect(conv.messages[1]!.editedAt).toBeTypeOf('number');
    expect(await fail(call('conversation.chooseAlternative', { id, messageId: m1.id, index: 3 }))).toBe('usage');

    const { id: branch } = await call('conversation.branch', { id, messageId: m1.id });
    const b = await call('conversation.get', { id: branch });
    expect(b.messages.map((m) => m.id)).toEqual([m1.id]);
    expect(b.branchedFrom).toEqual({ conversationId: id, messageId: m1.id });
    // The branch is independent: writing to it leaves the original alone.
    await call('conversation.addMessage', { id: branch, role: 'user', text: 'Other path' });
    conv = await call('conversation.get', { id });
    expect(conv.messages).toHaveLength(2);
  });

  it('survive lock and unlock (everything was on disk, nothing only in memory)', async () => {
    const { id } = await call('conversation.create', { title: 'Persist' });
    for (let i = 0; i < 20; i++) await call('conversation.addMessage', { id, role: 'user', text: `line ${i}` });
    await call('vault.lock', {});
    expect(await fail(call('conversation.get', { id }))).toBe('locked');
    await call('vault.unlock', { passphrase: 'records test' });
    const conv = await call('conversation.get', { id });
    expect(conv.messages.map((m) => m.alternatives[0]!.text)).toEqual(Array.from({ length: 20 }, (_, i) => `line ${i}`));
  });
});

describe('search', () => {
  it('finds records and messages, case- and accent-insensitively', async () => {
    const { id: c } = await call('character.create', { name: 'Zoë', description: 'Keeper of the lighthouse' });
    const { id } = await call('conversation.create', { characterIds: [c], title: 'Shore' });
    const m = await call('conversation.addMessage', { id, role: 'user', text: 'Is the LIGHTHOUSE lit tonight?' });
    const hits = await call('search.query', { text: 'lighthouse' });
    expect(hits.some((h) => h.recordId === c && h.kind === 'character')).toBe(true);
    expect(hits.some((h) => h.recordId === id && h.messageId === m.id && h.excerpt.includes('LIGHTHOUSE'))).toBe(true);
    expect((await call('search.query', { text: 'zoe' })).some((h) => h.recordId === c)).toBe(true);
    expect(await call('search.query', { text: 'no such words anywhere' })).toEqual([]);
  });
});

describe('export and import', () => {
  it('round-trips into a fresh vault, unknown card fields included', async () => {
    const { id: c } = await call('character.create', {
      name: 'Card',
      extensions: { 'x-unknown-app': { nested: [1, 2, { deep: true }] }, depth_prompt: { depth: 4 } },
      card_extra: { top: { create_date: '2024-01-01' }, data: { custom_field: 'kept' } },
      character_book: { name: 'Book', entries: [{ keys: ['dragon'], content: 'Dragons are rare.', extensions: { foo: 1 } }], extensions: {} },
    });
    // A lorebook of its own and a conversation's author's note, variables and chat books travel too (issue 11).
    const { id: book } = await call('lorebook.create', { name: 'Coast', characterIds: [c], entries: [{ keys: ['sea'], content: 'Cold.', extensions: { position: 4, depth: 2, sticky: 3 } }] });
    const { id } = await call('conversation.create', { characterIds: [c], title: 'Export me', lorebookIds: [book], authorsNote: { text: 'Be brief.', depth: 2, role: 'user', every: 3 }, variables: { hp: '12' } });
    const m = await call('conversation.addMessage', { id, role: 'user', text: 'Hi' });
    await call('conversation.editMessage', { id, messageId: m.id, text: 'Hi there' });
    const { json } = await call('data.export', {});

    const other = await openCore({ dataDir: mkdtempSync(join(tmpdir(), 'ms-import-')) });
    const call2 = callFor(other);
    await call2('vault.create', { passphrase: 'other' });
    const { imported } = await call2('data.import', { json });
    const file = JSON.parse(json);
    expect(imported).toBe(file.characters.length + file.scenarios.length + file.personas.length + file.lorebooks.length + file.conversations.length);
    expect(await call2('lorebook.get', { id: book })).toEqual({ ...(await call('lorebook.get', { id: book })), updatedAt: expect.any(Number) });
    expect(await call2('character.get', { id: c })).toEqual(await call('character.get', { id: c }));
    expect(await call2('conversation.get', { id })).toEqual({ ...(await call('conversation.get', { id })), updatedAt: expect.any(Number) });
    const again = JSON.parse((await call2('data.export', {})).json);
    const first = JSON.parse(json);
    expect(again.characters.map(stripTimes)).toEqual(first.characters.map(stripTimes));
    // Importing the same file twice adds nothing.
    expect((await call2('data.import', { json })).imported).toBe(0);
    await other.close();
  });

  it('refuses malformed files and imports nothing from them', async () => {
    const before = (await call('records.list', {})).length;
    for (const bad of ['not json', '{"format":"other"}', JSON.stringify({ format: 'mindstage-export', version: 1, exportedAt: 'x', characters: [{ id: 'zz', name: 1 }] })]) {
      expect(await fail(call('data.import', { json: bad }))).toBe('usage');
    }
    expect(await fail(call('data.import', { json: JSON.stringify({ format: 'mindstage-export', version: 99, exportedAt: 'x' }) }))).toBe('unsupported');
    expect((await call('records.list', {})).length).toBe(before);
  });
});

function stripTimes(r: { updatedAt?: number }) {
  const { updatedAt: _u, ...rest } = r;
  return rest;
}

describe('idle lock', () => {
  it('locks after the configured idle time and tells clients why', async () => {
    const idle = await openCore({ dataDir: mkdtempSync(join(tmpdir(), 'ms-idle-')), idleCheckMs: 20 });
    const c = callFor(idle);
    await c('vault.create', { passphrase: 'idle' });
    const reasons: string[] = [];
    idle.on('vault.locked', (e) => reasons.push(e.reason));
    await c('settings.update', { idleLockMinutes: 1 });
    // Still active: no lock.
    await new Promise((r) => setTimeout(r, 100));
    expect((await c('vault.status', {})).unlocked).toBe(true);
    // Pretend a minute passed without activity.
    const realNow = Date.now;
    Date.now = () => realNow() + 61_000;
    try {
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      Date.now = realNow;
    }
    expect(reasons).toEqual(['idle']);
    expect((await c('vault.status', {})).unlocked).toBe(false);
    await idle.close();
  });
});

describe('providers', () => {
  it('an update changes only the fields it names', async () => {
    await call('provider.add', { name: 'local', baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3', apiKey: 'sk-keep', contextWindow: 32_000, maxTokens: 900, sampling: { temperature: 0.7 } });
    await call('provider.update', { name: 'local', patch: { baseUrl: 'http://127.0.0.1:1234/v1' } });
    expect((await call('provider.list', {})).find((p) => p.name === 'local')).toEqual({
      name: 'local',
      baseUrl: 'http://127.0.0.1:1234/v1',
      model: 'llama3',
      hasApiKey: true,
      contextWindow: 32_000,
      maxTokens: 900,
      sampling: { temperature: 0.7 },
      completion: 'chat',
    });
    await call('provider.update', { name: 'local', patch: { apiKey: null } });
    expect((await call('provider.list', {})).find((p) => p.name === 'local')?.hasApiKey).toBe(false);
    // Unknown fields are refused rather than ignored.
    const unknown = await core.invoke('provider.update', { name: 'local', patch: { colour: 'red' } as never });
    expect(unknown.ok ? 'no error' : unknown.error.code).toBe('usage');
  });
});
