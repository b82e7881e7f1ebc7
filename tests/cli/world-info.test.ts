/**
 * Issue 11's CLI spellings: `conversation create` opens with the greeting (macros shown with the persona's and
 * character's names, rolls in range and the same after a reload — every CLI call opens the vault afresh — and the
 * same as the prompt sends), `--no-greeting`, `conversation set --authors-note`, and the `lorebook` group with
 * `prompt --json` naming each fired entry and why.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliJsonHere, runCliHere } from '../support/cli.node.ts';
import { tempDir } from '../support/files.node.ts';

const env = { MINDSTAGE_PASSPHRASE: 'wi cli' };
let dir: string;
let character = '';
let persona = '';
const ms = (...args: string[]) => runCliHere(['--data', dir, ...args], { env });
const json = <T>(...args: string[]) => cliJsonHere<T>(['--data', dir, ...args], env);

interface Shown {
  messages: { id: string; alternatives: { text: string }[]; chosen: number }[];
  shown: { id: string; text: string }[];
}
interface Inspection {
  messages: { role: string; content: string; part: string }[];
  lore: { entry: string; reason: string; book: string; position: string; depth?: number }[];
}

beforeAll(async () => {
  dir = tempDir('wi-cli');
  expect((await ms('init')).code).toBe(0);
  character = (
    await json<{ id: string }>(
      'character', 'create', '--name', 'Mira',
      '--first-message', 'Ah, {{user}}. I am {{char}}. You rolled {{roll:1d20}} and the sky is {{random:red,green,blue}}.',
      '--alternate-greeting', 'Welcome back, {{user}}.',
    )
  ).id;
  persona = (await json<{ id: string }>('persona', 'create', '--name', 'Alex')).id;
});

describe('conversation create / show', () => {
  it('opens with the greeting (alternates as its swipes) and shows it with the names filled in, the same after a reload', async () => {
    const { id } = await json<{ id: string }>('conversation', 'create', '--character', character, '--persona', persona);
    const first = await json<Shown>('conversation', 'show', id);
    expect(first.messages).toHaveLength(1);
    expect(first.messages[0]!.alternatives.map((a) => a.text)).toEqual([
      'Ah, {{user}}. I am {{char}}. You rolled {{roll:1d20}} and the sky is {{random:red,green,blue}}.',
      'Welcome back, {{user}}.',
    ]);
    const text = first.shown[0]!.text;
    const m = /^Ah, Alex\. I am Mira\. You rolled (\d+) and the sky is (red|green|blue)\.$/.exec(text);
    expect(m, text).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(1);
    expect(Number(m![1])).toBeLessThanOrEqual(20);
    // A new process reads the vault again: the roll and the colour stay.
    expect((await json<Shown>('conversation', 'show', id)).shown[0]!.text).toBe(text);
    const plain = await ms('conversation', 'show', id);
    expect(plain.stdout).toContain(text);
    expect(plain.stdout).not.toContain('{{');
    // What the model is sent is what the user sees.
    const p = await json<Inspection>('prompt', id);
    expect(p.messages.find((x) => x.part === 'history')!.content).toBe(text);
  });

  it('--no-greeting starts empty', async () => {
    const { id } = await json<{ id: string }>('conversation', 'create', '--character', character, '--no-greeting');
    expect((await json<Shown>('conversation', 'show', id)).messages).toEqual([]);
  });
});

describe("conversation set --authors-note", () => {
  it('puts the note into the prompt at its depth and role, and refuses a bad depth', async () => {
    const { id } = await json<{ id: string }>('conversation', 'create', '--character', character, '--persona', persona);
    await json('conversation', 'add-message', id, '--role', 'user', '--text', 'Hello.');
    await json('conversation', 'set', id, '--authors-note', 'Keep {{char}} terse.', '--an-depth', '1', '--an-role', 'user');
    const p = await json<Inspection>('prompt', id);
    const at = p.messages.findIndex((x) => x.part === 'authors-note');
    expect(p.messages[at]).toMatchObject({ role: 'user', content: 'Keep Mira terse.' });
    expect(p.messages[at + 1]).toMatchObject({ part: 'history', content: 'Hello.' });
    const bad = await ms('conversation', 'set', id, '--an-depth', '-3');
    expect(bad.code).toBe(2);
    await json('conversation', 'set', id, '--an-every', '0');
    expect((await json<Inspection>('prompt', id)).messages.some((x) => x.part === 'authors-note')).toBe(false);
  });
});

describe('lorebook', () => {
  it('creates, fills, attaches, lists and exports a book; the prompt names each fired entry and why', async () => {
    const { id: book } = await json<{ id: string }>('lorebook', 'create', '--name', 'Coast');
    await json('lorebook', 'entry', 'add', book, '--keys', 'kraken,leviathan', '--name', 'Kraken', '--content', 'The kraken sleeps under the bay.');
    await json('lorebook', 'entry', 'add', book, '--keys', 'storm', '--secondary', 'night', '--logic', 'and_all', '--position', 'depth', '--depth', '0', '--role', 'system', '--name', 'Night storm', '--content', 'Storms at night sink ships.');
    await json('lorebook', 'entry', 'add', book, '--constant', '--sticky', '2', '--group', 'weather', '--weight', '5', '--probability', '100', '--name', 'Always', '--content', 'The sea is cold.');
    const bad = await ms('lorebook', 'entry', 'add', book, '--keys', 'x', '--depth', '3', '--content', 'c');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--position depth');

    const { id } = await json<{ id: string }>('conversation', 'create', '--character', character, '--no-greeting');
    await json('lorebook', 'attach', book, '--conversation', id);
    await json('conversation', 'add-message', id, '--role', 'user', '--text', 'A storm at night, and the leviathan stirs.');
    const p = await json<Inspection>('prompt', id);
    expect(p.lore).toEqual(
      expect.arrayContaining([
        { entry: 'Kraken', reason: 'key "leviathan"', book, position: 'before_char' },
        { entry: 'Night storm', reason: 'key "storm", secondary AND ALL ("night")', book, position: 'depth', depth: 0 },
        { entry: 'Always', reason: 'constant', book, position: 'before_char' },
      ]),
    );
    expect(p.messages.at(-1)).toMatchObject({ role: 'system', content: 'Storms at night sink ships.', part: 'lore' });

    const list = await json<{ id: string; name: string; entries: number; global: boolean }[]>('lorebook', 'list');
    expect(list).toContainEqual(expect.objectContaining({ id: book, name: 'Coast', entries: 3, global: false }));
    await json('lorebook', 'attach', book, '--global');
    expect((await json<{ id: string; global: boolean }[]>('lorebook', 'list')).find((b) => b.id === book)!.global).toBe(true);

    const out = join(tempDir('wi-out'), 'coast.json');
    await json('lorebook', 'export', book, '--out', out);
    const world = JSON.parse(readFileSync(out, 'utf8')) as { entries: Record<string, { key: string[]; position: number; depth: number; sticky: number; group: string; groupWeight: number }> };
    expect(Object.values(world.entries).map((e) => [e.key, e.position, e.depth])).toEqual([
      [['kraken', 'leviathan'], 0, 4],
      [['storm'], 4, 0],
      [[], 0, 4],
    ]);
    expect(world.entries['2']).toMatchObject({ sticky: 2, group: 'weather', groupWeight: 5 });
    const again = await json<{ id: string; entries: number }>('lorebook', 'import', out);
    expect(again.entries).toBe(3);
  });
});
