/**
 * Group chats from the CLI against the fake provider: a new group chat opens with each member's greeting (group-only
 * greetings first, macros per member) as `conversation show` prints it; `chat` lets the group's order choose who
 * answers (natural: the named; list: everyone; manual: nobody), `--order`/`--auto` for one turn, `conversation set
 * --order/--auto` kept in the chat; `chat auto` carries on without the user; Ctrl-C (a real process and a real
 * SIGINT) stops the reply in progress, keeps its text and lets nobody else speak.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, runCliHere, type CliResult } from '../support/cli.node.ts';
import { tempDir } from '../support/files.node.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';

const PASS = 'group cli passphrase';
let dir: string;
let ai: FakeOpenAI;
let chat = '';
const ids: Record<string, string> = {};

const ms = (args: string[]): Promise<CliResult> => runCliHere(['--data', dir, ...args], { env: { MINDSTAGE_PASSPHRASE: PASS } });
async function json<T>(args: string[]): Promise<T> {
  const r = await ms(['--json', ...args]);
  if (r.code !== 0) throw new Error(`mindstage ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
interface Shown { group?: unknown; messages: { role: string; authorId?: string; alternatives: { text: string; status?: string }[]; chosen: number }[] }
const show = () => json<Shown>(['conversation', 'show', chat]);
const speakers = async () => (await show()).messages.filter((m) => m.role === 'character').map((m) => Object.entries(ids).find(([, id]) => id === m.authorId)?.[0]);

/** A V2 card (so the test can set `extensions.talkativeness`, which has no flag). */
function card(name: string, fields: Record<string, unknown>): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ spec: 'chara_card_v2', spec_version: '2.0', data: { name, description: '', personality: '', scenario: '', first_mes: '', mes_example: '', extensions: { talkativeness: '0' }, ...fields } }));
  return file;
}

beforeAll(async () => {
  dir = tempDir('group-cli');
  ai = await startFakeOpenAI();
  await json(['init']);
  expect((await ms(['provider', 'add', '--name', 'fake', '--base-url', ai.baseUrl, '--model', 'fake-model'])).code).toBe(0);
  // Nobody volunteers (talkativeness 0): in natural order only the named answer.
  ids['Ada'] = (await json<{ id: string }>(['character', 'import', card('Ada', { first_mes: '{{char}} bows to {{user}}.' })])).id;
  ids['Bram'] = (await json<{ id: string }>(['character', 'import', card('Bram', { first_mes: 'Just {{char}}.', group_only_greetings: ['{{char}} greets the whole table, {{user}} first.'] })])).id;
  ids['Cora'] = (await json<{ id: string }>(['character', 'import', card('Cora', {})])).id;
  const persona = (await json<{ id: string }>(['persona', 'create', '--name', 'Sam'])).id;
  chat = (await json<{ id: string }>(['conversation', 'create', '--character', ids['Ada']!, '--character', ids['Bram']!, '--character', ids['Cora']!, '--persona', persona, '--title', 'Council'])).id;
  ai.setDefault({ text: 'Noted.' });
});

afterAll(async () => {
  await ai.close();
});

describe('group chats in the CLI', () => {
  it('a new group chat opens with each member\'s greeting, macros for that member', async () => {
    const r = await ms(['conversation', 'show', chat]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^\[[^\]]+\] character Ada: Ada bows to Sam\.$/);
    expect(lines[2]).toMatch(/^\[[^\]]+\] character Bram \(1\/2\): Bram greets the whole table, Sam first\.$/);
  });

  it('natural order: only the named answer; --order list: everyone, in order', async () => {
    const named = await ms(['chat', chat, 'Cora, what news?']);
    expect([named.code, named.stdout, named.stderr]).toEqual([0, 'Cora: Noted.\n', '']);
    expect(await speakers()).toEqual(['Ada', 'Bram', 'Cora']); // two greetings, then Cora
    const all = await ms(['chat', chat, 'And the rest of you?', '--order', 'list']);
    expect(all.code).toBe(0);
    expect(all.stdout).toBe('Ada: Noted.\nBram: Noted.\nCora: Noted.\n');
    const users = (await show()).messages.filter((m) => m.role === 'user').map((m) => m.alternatives[0]!.text);
    expect(users).toEqual(['Cora, what news?', 'And the rest of you?']);
  });

  it('manual order keeps the message and lets nobody answer until asked', async () => {
    expect((await ms(['conversation', 'set', chat, '--order', 'manual'])).code).toBe(0);
    const before = (await show()).messages.length;
    const r = await ms(['chat', chat, 'Hm.']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/Nobody answers on their own \(manual order\)/);
    const after = (await show()).messages;
    expect(after.length).toBe(before + 1);
    expect(after.at(-1)).toMatchObject({ role: 'user', alternatives: [{ text: 'Hm.' }] });
    const asked = await ms(['chat', chat, 'Bram?', '--character', ids['Bram']!]);
    expect([asked.code, asked.stdout]).toEqual([0, 'Noted.\n']);
  });

  it('auto mode: after the turn the characters answer each other for the set rounds', async () => {
    expect((await ms(['conversation', 'set', chat, '--order', 'list', '--auto', '2'])).code).toBe(0);
    expect((await show()).group).toEqual({ order: 'list', muted: [], auto: true, autoTurns: 2 });
    const before = (await speakers()).length;
    const requests = ai.chatRequests().length;
    const r = await ms(['chat', chat, 'Discuss.']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    // The turn (everyone) and two auto rounds (everyone again, list order).
    expect((await speakers()).slice(before)).toEqual(['Ada', 'Bram', 'Cora', 'Ada', 'Bram', 'Cora', 'Ada', 'Bram', 'Cora']);
    expect(ai.chatRequests().length - requests).toBe(9);
    expect((await show()).messages.filter((m) => m.alternatives[0]!.text === 'Discuss.')).toHaveLength(1);
  });

  it('--json prints one line per reply, with who spoke', async () => {
    const r = await ms(['--json', 'chat', chat, 'Ada, briefly.', '--order', 'natural', '--auto', '0']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { characterId: string; status: string; text: string });
    expect(lines).toEqual([expect.objectContaining({ characterId: ids['Ada'], status: 'complete', text: 'Noted.' })]);
  });

  it('chat auto carries on without the user; natural order never lets the last speaker answer itself', async () => {
    const before = (await show()).messages.length;
    const r = await ms(['chat', 'auto', chat, '--rounds', '1', '--order', 'natural']);
    expect(r.code).toBe(0);
    const after = (await show()).messages;
    expect(after.length).toBe(before + 1);
    expect(after.at(-1)!.role).toBe('character');
    expect(after.at(-1)!.authorId).not.toBe(ids['Ada']);
    const bad = await ms(['chat', 'auto', chat, '--rounds', '99']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Rounds must be a whole number from 0 to 50/);
  });

  it('Ctrl-C stops the reply in progress, keeps its text, and nobody else speaks', async () => {
    ai.setDefault({ tokens: Array.from({ length: 200 }, (_, i) => `w${i} `), tokenDelayMs: 40 });
    const before = (await show()).messages.length;
    const child = spawn(cliPath, ['--data', dir, 'chat', chat, 'Talk at length.', '--order', 'list', '--auto', '3'], { env: { ...process.env, MINDSTAGE_PASSPHRASE: PASS }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (/w3 /.test(stdout)) resolve();
      });
      // A CLI that ends before it streams fails here, with what it said, instead of leaving the test to time out.
      child.on('close', (code) => reject(new Error(`the CLI exited ${code} before streaming:\n${stdout}\n${stderr}`)));
    });
    child.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(stdout).toMatch(/^Ada: w0 w1 w2 w3 /);
    expect(stdout).not.toContain('Bram:');
    expect(stderr).toMatch(/Stopped; the text so far is kept/);
    ai.setDefault({ text: 'Noted.' });
    const after = (await show()).messages;
    expect(after.length).toBe(before + 2); // the user's message and Ada's stopped reply, nothing after
    expect(after.at(-1)).toMatchObject({ role: 'character', authorId: ids['Ada'] });
    expect(after.at(-1)!.alternatives[0]!.status).toBe('stopped');
    expect(after.at(-1)!.alternatives[0]!.text).toMatch(/^w0 w1 w2 w3 /);
  });
});
