/**
 * A SillyTavern chat's own lorebook (chat_metadata.world_info, the book's file name; world-info.js METADATA_KEY)
 * on import: attached when the same import or the vault has a book of that name; otherwise the import report
 * says so, the name is kept, and the book is attached when a World Info file of that name is imported later.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCore, type Core } from '../../electron/core/core.node.ts';
import { callFor, type Call } from '../../electron/core/cli/context.node.ts';
import { tempDir } from '../support/files.node.ts';

let core: Core;
let call: Call;

beforeAll(async () => {
  core = await openCore({ dataDir: tempDir('st-chat-lore') });
  call = callFor(core);
  await call('vault.create', { passphrase: 'sillytavern chat lore' });
});
afterAll(() => core.close());

const b64 = (s: string) => Buffer.from(s).toString('base64');
/** A chat file as SillyTavern writes it: the header line (with chat_metadata), then messages. */
const chatFile = (book: string | undefined, say: string) =>
  [
    { user_name: 'Alex', character_name: 'Mira', create_date: '2025-01-02@10h11m12s', chat_metadata: { ...(book ? { world_info: book } : {}), note_prompt: '' } },
    { name: 'Mira', is_user: false, mes: say, send_date: '2025-01-02@10h11m13s' },
  ]
    .map((l) => JSON.stringify(l))
    .join('\n');
const worldFile = (key: string) => JSON.stringify({ entries: { '0': { uid: 0, key: [key], keysecondary: [], content: `About ${key}.`, comment: key, order: 100, position: 0, disable: false } } });
const conversationWith = async (text: string) => {
  for (const e of await call('records.list', { kind: 'conversation' })) {
    const c = await call('conversation.get', { id: e.id });
    if (c.messages[0]?.alternatives[0]?.text === text) return c;
  }
  throw new Error(`no conversation says "${text}"`);
};

describe('a SillyTavern chat\'s lorebook on import', () => {
  it('is attached when the same import brings a book of that name', async () => {
    const report = await call('import.files', {
      files: [
        { path: 'user/chats/Mira/chat one.jsonl', bytesBase64: b64(chatFile('Harbour Lore', 'One.')) },
        { path: 'user/worlds/Harbour Lore.json', bytesBase64: b64(worldFile('harbour')) },
      ],
    });
    expect(report.imported).toMatchObject({ conversations: 1, lorebooks: 1 });
    expect(report.notes).toBeUndefined();
    const book = (await call('records.list', { kind: 'lorebook' })).find((e) => e.title === 'Harbour Lore')!;
    const c = await conversationWith('One.');
    expect(c.lorebookIds).toEqual([book.id]);
    expect(c.sillytavern?.chatMetadata?.['world_info']).toBe('Harbour Lore');
  });

  it('is attached when the vault already has it (by name, ignoring case)', async () => {
    const report = await call('import.files', { files: [{ path: 'chat two.jsonl', bytesBase64: b64(chatFile('harbour lore', 'Two.')) }] });
    expect(report.notes).toBeUndefined();
    const book = (await call('records.list', { kind: 'lorebook' })).find((e) => e.title === 'Harbour Lore')!;
    expect((await conversationWith('Two.')).lorebookIds).toEqual([book.id]);
  });

  it('when missing: the report says so, the name is kept, and a later import of the book attaches it', async () => {
    const report = await call('import.files', { files: [{ path: 'chat three.jsonl', bytesBase64: b64(chatFile('Deep Woods', 'Three.')) }, { path: 'chat four.jsonl', bytesBase64: b64(chatFile(undefined, 'Four.')) }] });
    expect(report.imported.conversations).toBe(2);
    expect(report.notes).toEqual([{ path: 'chat three.jsonl', note: 'its lorebook "Deep Woods" was not found; it will be attached when a lorebook of that name is imported.' }]);
    const before = await conversationWith('Three.');
    expect(before.lorebookIds).toBeUndefined();
    expect(before.sillytavern?.chatMetadata?.['world_info']).toBe('Deep Woods');

    const later = await call('import.files', { files: [{ path: 'worlds/Deep Woods.json', bytesBase64: b64(worldFile('woods')) }] });
    expect(later.imported.lorebooks).toBe(1);
    const woods = (await call('records.list', { kind: 'lorebook' })).find((e) => e.title === 'Deep Woods')!;
    expect((await conversationWith('Three.')).lorebookIds).toEqual([woods.id]);
    expect((await conversationWith('Four.')).lorebookIds).toBeUndefined();
  });
});
