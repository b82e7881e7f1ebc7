/**
 * `mindstage memory show|set|summarize` and the memory in `prompt --json`, against the fake provider (the program
 * runs in this process: these tests are about output and exit codes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliHere, type CliResult } from '../support/cli.node.ts';
import { tempDir } from '../support/files.node.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';

const PASS = 'memory cli passphrase';
let dir: string;
let ai: FakeOpenAI;
let conversation = '';

const ms = (args: string[]): Promise<CliResult> => runCliHere(['--data', dir, ...args], { env: { MINDSTAGE_PASSPHRASE: PASS } });
async function json<T>(args: string[]): Promise<T> {
  const r = await ms(['--json', ...args]);
  if (r.code !== 0) throw new Error(`mindstage ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

beforeAll(async () => {
  dir = tempDir('memory-cli');
  ai = await startFakeOpenAI();
  await json(['init']);
  const { id: character } = await json<{ id: string }>(['character', 'create', '--name', 'Aria', '--description', 'A bard']);
  conversation = (await json<{ id: string }>(['conversation', 'create', '--character', character, '--title', 'cli', '--no-greeting'])).id;
  expect((await ms(['provider', 'add', '--name', 'fake', '--base-url', ai.baseUrl, '--model', 'fake-model'])).code).toBe(0);
  for (const text of ['We met at the inn.', 'The bard sang of the sea.']) expect((await ms(['conversation', 'add-message', conversation, '--role', 'user', '--text', text])).code).toBe(0);
});
afterAll(async () => {
  await ai.close();
});

describe('mindstage memory', () => {
  it('summarize, show, set, and the inspector lists it', async () => {
    ai.script({ text: 'They met at the inn; the bard sang.' });
    const r = await ms(['memory', 'summarize', conversation]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Summarised 2 messages with fake\./);
    expect(r.stdout).toContain('They met at the inn; the bard sang.');

    const shown = await ms(['memory', 'show', conversation]);
    expect(shown.stdout).toMatch(/memory on, updated automatically, inserted after the character\ncovers 2 of 2 messages; summarised on request/);

    const set = await json<{ text: string; position: string; depth: number; role: string; madeBy: string }>(['memory', 'set', conversation, '--text', 'Edited.', '--position', 'depth', '--depth', '1', '--role', 'user']);
    expect(set).toMatchObject({ text: 'Edited.', position: 'depth', depth: 1, role: 'user', madeBy: 'edited' });
    const p = await json<{ messages: { role: string; content: string; part: string }[]; memory: { position: string; depth: number; reason: string } }>(['prompt', conversation]);
    expect(p.memory).toMatchObject({ position: 'depth', depth: 1, reason: expect.stringMatching(/^memory: summary of the first 2 messages, written or edited by the user/) });
    expect(p.messages.find((m) => m.part === 'memory')).toEqual({ role: 'user', content: '[Summary: Edited.]', tokens: expect.any(Number), part: 'memory' });

    expect((await json<{ enabled: boolean }>(['memory', 'set', conversation, '--enabled', 'false'])).enabled).toBe(false);
    expect((await json<{ memory?: unknown }>(['prompt', conversation])).memory).toBeUndefined();
  });

  it('refuses bad input with a usage error and changes nothing', async () => {
    const bad = await ms(['memory', 'set', conversation, '--enabled', 'maybe']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--enabled must be true or false/);
    expect((await ms(['memory', 'set', conversation])).stderr).toMatch(/Nothing to change/);
    const nothing = await ms(['memory', 'summarize', conversation]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/already covers every message/);
    expect((await json<{ text: string }>(['memory', 'show', conversation])).text).toBe('Edited.');
  });
});
