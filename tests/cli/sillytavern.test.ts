/**
 * The SillyTavern CLI spellings scripts rely on (issue: "Coming from SillyTavern"): `import <path>` told apart by
 * content with `--json` in the documented shape, `conversation export --format … [--out]`, `conversation show`
 * marking swipes and reasoning, and `preset add/list/remove` with `provider add --preset`, `conversation
 * create/set --preset`.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseStChat } from '../../electron/core/sillytavern/chat.std.ts';
import { cliJsonHere, runCliHere } from '../support/cli.node.ts';
import { tempDir } from '../support/files.node.ts';
import { soloChatPath, stUserFolder } from '../support/sillytavern.node.ts';

const env = { MINDSTAGE_PASSPHRASE: 'st cli' };
let dir: string;
// In this process (runCliHere): the same program, output and exit codes as bin/mindstage, without a Node start and
// an Argon2id per command; tests/cli/start.test.ts and cli.test.ts run the real launcher.
const ms = (...args: string[]) => runCliHere(['--data', dir, ...args], { env });
const json = <T>(...args: string[]) => cliJsonHere<T>(['--data', dir, ...args], env);

beforeAll(async () => {
  dir = tempDir('st-cli');
  expect((await ms('init')).code).toBe(0);
});

describe('mindstage import (SillyTavern)', () => {
  it('a user folder: --json prints exactly the documented report; twice adds nothing', async () => {
    const folder = stUserFolder();
    const first = await ms('--json', 'import', folder);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ imported: { conversations: 2, characters: 3, lorebooks: 1, presets: 4, personas: 2 }, skipped: [] });
    const again = await json<{ imported: Record<string, number>; skipped: { path: string; reason: string }[] }>('import', folder);
    expect(Object.values(again.imported)).toEqual([0, 0, 0, 0, 0]);
    expect(again.skipped.length).toBeGreaterThan(0);
  }, 300_000);

  it('a lone chat with --character; a truncated one is refused with the line, exit 2, nothing added', async () => {
    const { id } = await json<{ id: string }>('character', 'create', '--name', 'Vessel');
    const lone = join(tempDir('st-cli-lone'), 'chat.jsonl');
    writeFileSync(lone, readFileSync(soloChatPath, 'utf8').replace('"note_depth":4', '"note_depth":9'));
    expect((await json<{ imported: { conversations: number } }>('import', lone, '--character', id)).imported.conversations).toBe(1);
    const before = (await json<unknown[]>('conversation', 'list')).length;
    const cut = join(tempDir('st-cli-cut'), 'cut.jsonl');
    writeFileSync(cut, readFileSync(soloChatPath, 'utf8').slice(0, 900));
    const r = await ms('import', cut);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cut\.jsonl: line \d+ is not complete JSON: the file looks cut off/);
    expect((await json<unknown[]>('conversation', 'list')).length).toBe(before);
  }, 300_000);
});

describe('mindstage conversation show / export', () => {
  it('show marks swipes and reasoning; export writes .jsonl to stdout or --out (0600), Markdown and text', async () => {
    const conv = (await json<{ id: string; title: string }[]>('conversation', 'list')).find((c) => c.title.startsWith('Seraphina —'))!;
    const shown = (await ms('conversation', 'show', conv.id)).stdout;
    expect(shown).toMatch(/character \(2\/3\): \*Seraphina tends/);
    expect(shown).toMatch(/character \(1\/2\) \[reasoning\]: In the Eldoria forest/);
    const stdout = await ms('conversation', 'export', conv.id, '--format', 'sillytavern');
    expect(stdout.code, stdout.stderr).toBe(0);
    const chat = parseStChat(stdout.stdout);
    expect(chat.header).toMatchObject({ user_name: 'Aldric', character_name: 'Seraphina' });
    expect(chat.messages.map((m) => m.mes)).toEqual(parseStChat(readFileSync(soloChatPath, 'utf8')).messages.map((m) => m.mes));
    const out = join(tempDir('st-cli-out'), 'chat.md');
    expect((await ms('conversation', 'export', conv.id, '--format', 'markdown', '--out', out)).code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, 'utf8')).toContain('<summary>Thinking</summary>');
    expect((await ms('conversation', 'export', conv.id, '--format', 'text')).stdout).toContain('Aldric: Где я?');
    expect((await ms('conversation', 'export', conv.id, '--format', 'html')).code).toBe(2);
  }, 300_000);
});

describe('mindstage preset', () => {
  it('add with every flag, list, attach to a provider and a conversation, remove', async () => {
    const add = await ms('preset', 'add', '--name', 'Wild', '--temperature', '1.2', '--top-p', '0.9', '--top-k', '50', '--min-p', '0.1', '--repetition-penalty', '1.05',
      '--frequency-penalty', '0.5', '--presence-penalty', '0.4', '--seed', '3', '--max-tokens', '222', '--stop', '###', '--stop', '\nYou:', '--reasoning-effort', 'high');
    expect(add.code, add.stderr).toBe(0);
    const wild = (await json<{ name: string; sampling: unknown }[]>('preset', 'list')).find((p) => p.name === 'Wild');
    expect(wild?.sampling).toEqual({ temperature: 1.2, top_p: 0.9, top_k: 50, min_p: 0.1, repetition_penalty: 1.05, frequency_penalty: 0.5, presence_penalty: 0.4, seed: 3, max_tokens: 222, stop: ['###', '\nYou:'], reasoning_effort: 'high' });
    expect((await ms('preset', 'add', '--name', 'Bad', '--top-k', '1.5')).code).toBe(2);
    expect((await ms('provider', 'add', '--name', 'local', '--base-url', 'http://127.0.0.1:9/v1', '--model', 'm', '--preset', 'Wild')).code).toBe(0);
    expect((await json<{ preset?: string }[]>('provider', 'list'))[0]?.preset).toBe('Wild');
    const character = (await json<{ id: string }[]>('character', 'list'))[0]!.id;
    const { id } = await json<{ id: string }>('conversation', 'create', '--character', character, '--preset', 'Creative');
    expect((await json<{ preset?: string }>('conversation', 'show', id)).preset).toBe('Creative');
    expect((await ms('conversation', 'set', id, '--preset', 'Wild')).code).toBe(0);
    expect((await json<{ preset?: string }>('conversation', 'show', id)).preset).toBe('Wild');
    expect((await ms('conversation', 'set', id, '--preset', 'Missing')).code).toBe(6);
    expect((await ms('preset', 'remove', 'Precise')).code).toBe(0);
    expect((await json<{ name: string }[]>('preset', 'list')).map((p) => p.name)).toEqual(['Creative', 'Wild']);
  }, 300_000);
});

describe('mindstage prompt', () => {
  type Inspection = {
    messages: { role: string; content: string; tokens: number; part: string }[];
    lore: { entry: string; reason: string }[];
    budget: { used: number; tokenizer: string; provider: string | null; model: string; estimate: boolean; historyIncluded: number };
    text?: { instruct: string; prompt: string; stop: string[] };
  };
  it('prints the next reply\'s prompt part by part; --json in the documented shape; text completion shows the one prompt', async () => {
    const conv = (await json<{ id: string; title: string }[]>('conversation', 'list')).find((c) => c.title.startsWith('Seraphina —'))!;
    const p = await json<Inspection>('prompt', conv.id);
    expect(Object.keys(p).sort()).toEqual(['budget', 'lore', 'messages']);
    expect(p.messages[0]).toMatchObject({ role: 'system', part: 'main' });
    expect(p.messages.every((m) => Object.keys(m).sort().join() === 'content,part,role,tokens')).toBe(true);
    // The newest message of the chat (its chosen swipe) is the last history message sent.
    const shown = parseStChat(readFileSync(soloChatPath, 'utf8')).messages.at(-1)!.mes;
    expect(p.messages.filter((m) => m.part === 'history').at(-1)!.content).toContain(shown.slice(0, 30));
    expect(p.budget).toMatchObject({ provider: 'local', model: 'm', estimate: true });
    expect(p.budget.used).toBe(p.messages.reduce((n, m) => n + m.tokens, 0) + 3);
    const human = await ms('prompt', conv.id);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^${p.budget.used} of \\d+ tokens .*estimated for local · m`));
    expect(human.stdout).toContain('--- main · system · ');

    expect((await ms('provider', 'add', '--name', 'llama', '--base-url', 'http://127.0.0.1:9/v1', '--model', 'Meta-Llama-3-8B-Instruct', '--text-completion')).code).toBe(0);
    expect((await ms('provider', 'order', 'llama', 'local')).code).toBe(0);
    const t = await json<Inspection>('prompt', conv.id);
    expect(t.text?.instruct).toBe('Llama 3 Instruct');
    expect(t.text!.prompt.startsWith('<|start_header_id|>system<|end_header_id|>\n\n')).toBe(true);
    expect(t.budget).toMatchObject({ tokenizer: 'llama3', estimate: false });
    const { countWith, loadTokenizerFor } = await import('../../electron/core/chat/tokens.std.ts');
    await loadTokenizerFor('llama3');
    expect(t.budget.used).toBe(countWith('llama3', t.text!.prompt));
    expect((await ms('prompt', conv.id)).stdout).toContain('text completion: Llama 3 Instruct instruct, Llama 3 Instruct context');
    expect((await ms('prompt', 'no-such-conversation')).code).not.toBe(0);
    // A past reply (the third message, Seraphina's answer): only the history before it.
    const third = (await json<{ messages: { id: string }[] }>('conversation', 'show', conv.id)).messages[2]!.id;
    const past = await json<Inspection>('prompt', conv.id, '--message', third);
    expect(past.budget.historyIncluded).toBe(2);
    expect(past.text!.prompt.endsWith('<|start_header_id|>assistant<|end_header_id|>\n\nSeraphina:')).toBe(true);
  }, 300_000);
});
