/**
 * SillyTavern import and export on a real vault, with files written in SillyTavern's own format
 * (tests/fixtures/sillytavern/README.md says which SillyTavern source each follows) and real character cards.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCore, type Core } from '../../electron/core/core.node.ts';
import { callFor, type Call } from '../../electron/core/cli/context.node.ts';
import { readImportPath } from '../../electron/core/sillytavern/read-path.node.ts';
import { parseStChat, swipesOf } from '../../electron/core/sillytavern/chat.std.ts';
import type { Conversation } from '../../shared/domain.std.ts';
import { tempDir } from '../support/files.node.ts';

import { groupChatPath, soloChatPath, stUserFolder } from '../support/sillytavern.node.ts';

let core: Core;
let call: Call;
const progress: { done: number; total: number }[] = [];

beforeAll(async () => {
  core = await openCore({ dataDir: tempDir('st-core') });
  call = callFor(core);
  await call('vault.create', { passphrase: 'sillytavern test' });
  core.on('import.progress', (p) => progress.push(p));
});
afterAll(() => core.close());

const importPath = (path: string, characterId?: string) => {
  const { files, skipped } = readImportPath(path);
  return call('import.files', { files, ...(characterId ? { characterId } : {}) }).then((r) => ({ ...r, skipped: [...skipped, ...r.skipped] }));
};

/** Conversations by title; the first imported wins when copies share a title. */
async function conversationsByTitle(): Promise<Map<string, Conversation>> {
  const out = new Map<string, Conversation>();
  const entries = (await call('records.list', { kind: 'conversation' })).sort((a, b) => a.createdAt - b.createdAt);
  for (const e of entries) if (!out.has(e.title)) out.set(e.title, await call('conversation.get', { id: e.id }));
  return out;
}
const allConversations = async () => Promise.all((await call('records.list', { kind: 'conversation' })).map((e) => call('conversation.get', { id: e.id })));

/** The fields a SillyTavern user sees of a message: who, what, the swipes and the shown one, the reasoning. */
function stView(line: Record<string, unknown>) {
  const m = line as unknown as Parameters<typeof swipesOf>[0];
  const { swipes, chosen } = swipesOf(m);
  return { name: m.name, is_user: Boolean(m.is_user), mes: m.mes, swipes: swipes.map((s) => s.text), chosen, reasoning: swipes.map((s) => s.reasoning ?? null) };
}

describe('SillyTavern import', () => {
  let folder: string;
  it('imports a whole user folder: characters, solo and group chats with swipes and reasoning, worlds, presets, templates, personas', async () => {
    folder = stUserFolder();
    progress.length = 0;
    const report = await importPath(folder);
    // Presets: two sampler presets, an instruct and a context template.
    expect(report.imported).toEqual({ conversations: 2, characters: 3, lorebooks: 1, presets: 4, personas: 2 });
    expect(report.skipped).toEqual([]);
    expect(progress.at(-1)).toEqual({ done: progress.at(-1)!.total, total: progress.at(-1)!.total });
    expect(progress.length).toBeGreaterThanOrEqual(8);

    const characters = new Map((await call('records.list', { kind: 'character' })).map((e) => [e.title, e.id]));
    expect([...characters.keys()].sort()).toEqual(['Default-chan', 'Seraphina', 'Wandering Bard']);
    const personas = new Map((await call('records.list', { kind: 'persona' })).map((e) => [e.title, e.id]));
    const aldric = await call('persona.get', { id: personas.get('Aldric')! });
    expect(aldric.description).toBe('A knight who lost his way. Speaks русский and 中文.');
    expect(aldric.avatar_asset).toBeDefined();

    const convs = await conversationsByTitle();
    const solo = convs.get('Seraphina — 2024-9-28 @01h 02m 36s 123ms')!;
    expect(solo.characterIds).toEqual([characters.get('Seraphina')]);
    expect(solo.personaId).toBe(personas.get('Aldric'));
    expect(solo.sillytavern?.chatMetadata).toMatchObject({ note_prompt: 'Seraphina is wary of strangers.', note_depth: 4, variables: { trust: '3' } });
    // Every message, swipe, chosen swipe and reasoning, compared with the file itself.
    const file = parseStChat(readFileSync(soloChatPath, 'utf8'));
    expect(solo.messages).toHaveLength(file.messages.length);
    solo.messages.forEach((m, i) => {
      const want = stView(file.messages[i] as never);
      expect(m.alternatives.map((a) => a.text)).toEqual(want.swipes);
      expect(m.chosen).toBe(want.chosen);
      expect(m.alternatives.map((a) => a.reasoning ?? null)).toEqual(want.reasoning);
      expect(m.role).toBe(want.is_user ? 'user' : i === 3 ? 'narrator' : 'character');
    });
    expect(solo.messages[1]!.authorId).toBe(personas.get('Aldric'));
    expect(solo.messages[1]!.alternatives[0]!.text).toBe('Где я? 我在哪里？ — Wo bin ich? 🌲');
    expect(new Date(solo.messages[0]!.createdAt).getMinutes()).toBe(2);
    expect(new Date(solo.messages[4]!.createdAt).getHours()).toBe(13);

    const group = convs.get('The Glade')!;
    expect(group.characterIds).toEqual([characters.get('Seraphina'), characters.get('Default-chan'), characters.get('Wandering Bard')]);
    expect(group.messages.map((m) => m.authorId)).toEqual([characters.get('Seraphina'), personas.get('Aldric'), characters.get('Default-chan'), characters.get('Wandering Bard')]);
    expect(group.messages[2]!.chosen).toBe(1);
    expect(group.messages[2]!.alternatives[1]!.reasoning).toBe('Introduce myself.');
    expect(group.sillytavern?.chatMetadata).toEqual({ note_prompt: 'Keep replies short.', note_depth: 2 });

    const presets = await call('preset.list', {});
    expect(presets).toEqual([
      { name: 'Creative', sampling: { temperature: 1.1, top_p: 0.95, frequency_penalty: 0.2, presence_penalty: 0.1, seed: 42, max_tokens: 400 } },
      { name: 'Precise', sampling: { temperature: 0.7, top_p: 0.5, top_k: 40, min_p: 0.05, repetition_penalty: 1.2, frequency_penalty: 0, presence_penalty: 0 } },
    ]);
    const templates = await call('template.list', {});
    expect(templates.instruct).toContainEqual({ name: 'Llama 3 Roleplay', builtin: false });
    expect(templates.context).toContainEqual({ name: 'Llama 3 Roleplay', builtin: false });
    // A World Info book is a lorebook of its own (not a scenario holding it).
    expect(await call('records.list', { kind: 'scenario' })).toEqual([]);
    const books = await call('records.list', { kind: 'lorebook' });
    const world = await call('lorebook.get', { id: books[0]!.id });
    expect(world.name).toBe('Eldoria');
    expect(world.entries.map((e) => [e.keys, e.secondary_keys, e.content, e.position])).toEqual([
      [['Eldoria', 'forest'], [], 'Eldoria is an ancient forest guarded by Seraphina.', 'before_char'],
      [['狼', 'wolf'], ['howl'], 'Shadow wolves hunt at dusk.', 'after_char'],
    ]);
  });

  it('an imported instruct and context template format a text-completion provider\'s prompt, chosen by the model name', async () => {
    // Never contacted: the inspector builds the prompt without sending it.
    await call('provider.add', { name: 'local', baseUrl: 'http://127.0.0.1:9/v1', model: 'roleplay-llama-8b.Q4_K_M', completion: 'text' });
    const solo = (await conversationsByTitle()).get('Seraphina — 2024-9-28 @01h 02m 36s 123ms')!;
    const p = await call('chat.prompt', { conversationId: solo.id });
    expect(p.text).toMatchObject({ instruct: 'Llama 3 Roleplay', context: 'Llama 3 Roleplay' });
    expect(p.text!.prompt).toContain('<|eot_id|>[Start a new chat]\n<|start_header_id|>assistant<|end_header_id|>\n\n*Seraphina tends to your wounds.*');
    expect(p.text!.prompt).not.toMatch(/<\|end_header_id\|>\n\n(Seraphina|Aldric): /);
    expect(p.text!.stop).toContain('\n[Start a new chat]');
    await call('provider.remove', { name: 'local' });
  });

  it('importing the same folder again adds nothing', async () => {
    const before = (await call('records.list', {})).length;
    const report = await importPath(folder);
    expect(report.imported).toEqual({ conversations: 0, characters: 0, lorebooks: 0, presets: 0, personas: 0 });
    expect(report.skipped.map((s) => s.reason).every((r) => /already (imported|exists)/.test(r))).toBe(true);
    expect((await call('records.list', {})).length).toBe(before);
  });

  it('a lone chat attaches to --character, or to a character of the same name, or to a new one', async () => {
    const dir = tempDir('st-lone');
    const text = readFileSync(soloChatPath, 'utf8');
    const { id: other } = await call('character.create', { name: 'Someone Else' });
    writeFileSync(join(dir, 'a.jsonl'), `${text}\n`);
    const attached = await importPath(join(dir, 'a.jsonl'), other);
    expect(attached.imported.conversations).toBe(1);
    const convs = (await allConversations()).filter((c) => c.characterIds.includes(other));
    expect(convs).toHaveLength(1);
    // Renamed copy: matched by the header's character_name to the Seraphina already imported.
    writeFileSync(join(dir, 'b.jsonl'), text.replace('"note_depth":4', '"note_depth":5'));
    const seraphina = (await call('records.list', { kind: 'character' })).filter((e) => e.title === 'Seraphina');
    expect((await importPath(join(dir, 'b.jsonl'))).imported).toMatchObject({ conversations: 1, characters: 0 });
    expect((await call('records.list', { kind: 'character' })).filter((e) => e.title === 'Seraphina')).toEqual(seraphina);
    writeFileSync(join(dir, 'c.jsonl'), text.replaceAll('Seraphina', 'Lyra'));
    expect((await importPath(join(dir, 'c.jsonl'))).imported).toMatchObject({ conversations: 1, characters: 1 });
  });

  it('bad input: truncated chat, unreadable and undecodable files, bad preset values, templates — reported, the rest imported, nothing half-written', async () => {
    const dir = join(tempDir('st-bad'), 'mixed');
    mkdirSync(join(dir, 'chats/Nyx'), { recursive: true });
    mkdirSync(join(dir, 'OpenAI Settings'));
    const good = readFileSync(soloChatPath, 'utf8').replaceAll('Seraphina', 'Nyx');
    writeFileSync(join(dir, 'chats/Nyx/good.jsonl'), good);
    writeFileSync(join(dir, 'chats/Nyx/truncated.jsonl'), good.replaceAll('Nyx', 'Cut').slice(0, good.length - 40));
    writeFileSync(join(dir, 'chats/Nyx/binary.jsonl'), Buffer.from([0xff, 0xfe, 0x00, 0x81]));
    symlinkSync(join(dir, 'gone.jsonl'), join(dir, 'chats/Nyx/dangling.jsonl'));
    writeFileSync(join(dir, 'OpenAI Settings/Hot.json'), JSON.stringify({ temperature: 'very hot', unknown_key: 1, prompts: [] }));
    writeFileSync(join(dir, 'OpenAI Settings/Odd.json'), JSON.stringify({ temperature: 0.5, some_future_key: { nested: true }, another: 'x' }));
    writeFileSync(join(dir, 'ChatML.json'), JSON.stringify({ input_sequence: 5, output_sequence: '<|im_start|>assistant', name: 'ChatML' }));
    writeFileSync(join(dir, 'notes.json'), JSON.stringify({ hello: 'world' }));
    const before = await call('records.list', {});
    const report = await importPath(dir);
    expect(report.imported).toMatchObject({ conversations: 1, presets: 1 });
    const reasons = Object.fromEntries(report.skipped.map((s) => [s.path.split('/').pop(), s.reason]));
    expect(reasons['truncated.jsonl']).toMatch(/line 6 is not complete JSON: the file looks cut off/);
    expect(reasons['binary.jsonl']).toMatch(/not UTF-8 text/);
    expect(reasons['dangling.jsonl']).toMatch(/cannot be read/);
    expect(reasons['Hot.json']).toMatch(/"temperature" is invalid/);
    expect(reasons['ChatML.json']).toMatch(/"input_sequence" is not a text/);
    expect(reasons['notes.json']).toMatch(/not a SillyTavern/);
    expect(Object.keys(reasons).sort()).toEqual(['ChatML.json', 'Hot.json', 'binary.jsonl', 'dangling.jsonl', 'notes.json', 'truncated.jsonl']);
    // Exactly the good chat (and the character it named) was added: no trace of the truncated one.
    const added = (await call('records.list', {})).filter((e) => !before.some((b) => b.id === e.id)).map((e) => e.title).sort();
    expect(added).toEqual(['Nyx', 'Nyx — 2024-9-28 @01h 02m 36s 123ms']);
    expect((await call('preset.list', {})).find((p) => p.name === 'Odd')?.sampling).toEqual({ temperature: 0.5 });
  });
});

describe('SillyTavern export', () => {
  it('a conversation exported as .jsonl gives back the same messages, swipes, chosen swipes and reasoning', async () => {
    const convs = await conversationsByTitle();
    for (const [title, path] of [['Seraphina — 2024-9-28 @01h 02m 36s 123ms', soloChatPath], ['The Glade', groupChatPath]] as const) {
      const c = convs.get(title)!;
      const { text, fileName } = await call('conversation.exportAs', { id: c.id, format: 'sillytavern' });
      expect(fileName).toMatch(/\.jsonl$/);
      const exported = parseStChat(text);
      const original = parseStChat(readFileSync(path, 'utf8'));
      expect(exported.messages.map((m) => stView(m as never))).toEqual(original.messages.map((m) => stView(m as never)));
      expect(exported.header).toMatchObject({ user_name: 'Aldric', character_name: 'Seraphina' });
      if (original.header) expect(exported.header).toEqual(original.header);
      // Re-imported, the export is a new chat with the same content.
      const dir = tempDir('st-roundtrip');
      writeFileSync(join(dir, 'again.jsonl'), text);
      expect((await importPath(join(dir, 'again.jsonl'))).imported.conversations).toBe(1);
    }
  });

  it('Markdown and plain text carry every shown message with its speaker; reasoning only in Markdown, collapsed', async () => {
    const c = (await conversationsByTitle()).get('Seraphina — 2024-9-28 @01h 02m 36s 123ms')!;
    const md = (await call('conversation.exportAs', { id: c.id, format: 'markdown' })).text;
    const txt = (await call('conversation.exportAs', { id: c.id, format: 'text' })).text;
    expect(md).toContain('**Aldric**');
    expect(md).toContain('<details><summary>Thinking</summary>\n\nThe traveller asks where they are, in three languages. Answer simply.');
    expect(txt).toContain('Aldric: Где я? 我在哪里？ — Wo bin ich? 🌲');
    expect(txt).toContain("Seraphina: *Seraphina tends to your wounds.* You're safe here, {{user}}.");
    expect(txt).toContain('Narrator: A distant howl echoes through the trees.');
    expect(txt).not.toContain('three languages');
  });
});
