/**
 * The chat CLI end to end against the fake provider: `chat ID TEXT` streams the reply to stdout (a real process
 * through bin/mindstage, asynchronously: the fake provider lives in this process), regenerate and continue,
 * `ledger` as a table and as JSON, and exit 5 when no provider answers — with the user's message kept. Everything
 * but the streaming runs the program in this process (runCliHere): those tests are about output and exit codes.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, runCliHere, type CliResult } from '../support/cli.node.ts';
import { tempDir } from '../support/files.node.ts';
import { closedBaseUrl, startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.node.ts';

const PASS = 'chat cli passphrase';
const KEY = 'sk-cli-test-0123456789abcdef';
let dir: string;
let ai: FakeOpenAI;
let conversation = '';

function spawned(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cliPath, ['--data', dir, ...args], { env: { ...process.env, MINDSTAGE_PASSPHRASE: PASS, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

const ms = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
  runCliHere(['--data', dir, ...args], { env: { MINDSTAGE_PASSPHRASE: PASS, ...env } });

async function json<T>(args: string[], env?: Record<string, string>): Promise<T> {
  const r = await ms(['--json', ...args], env);
  if (r.code !== 0) throw new Error(`mindstage ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

beforeAll(async () => {
  dir = tempDir('chat-cli');
  ai = await startFakeOpenAI({ requireApiKey: KEY });
  await json(['init']);
  const { id: character } = await json<{ id: string }>(['character', 'create', '--name', 'Aria', '--description', 'A bard']);
  conversation = (await json<{ id: string }>(['conversation', 'create', '--character', character, '--title', 'cli'])).id;
  const added = await ms(['provider', 'add', '--name', 'fake', '--base-url', ai.baseUrl, '--model', 'fake-model', '--api-key-env', 'FAKE_KEY', '--context-window', '4096', '--max-tokens', '256'], { FAKE_KEY: KEY });
  expect(added.code).toBe(0);
});

afterAll(async () => {
  await ai.close();
});

describe('mindstage chat', () => {
  it('streams the reply to stdout', async () => {
    ai.script({ tokens: ['Welcome ', 'to the ', 'inn, ', 'traveller.'], tokenDelayMs: 5 });
    const r = await spawned(['chat', conversation, 'Good evening!']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Welcome to the inn, traveller.\n');
    expect(ai.chatRequests().at(-1)!.headers['authorization']).toBe(`Bearer ${KEY}`);
  });

  it('regenerates and continues, with --json', async () => {
    ai.script({ text: 'Another welcome.' });
    const regen = await json<{ status: string; text: string; provider: string }>(['chat', 'regenerate', conversation]);
    expect(regen).toMatchObject({ status: 'complete', text: 'Another welcome.', provider: 'fake' });
    ai.script({ text: ' Sit by the fire.' });
    const cont = await ms(['chat', 'continue', conversation]);
    expect(cont.code).toBe(0);
    expect(cont.stdout).toBe(' Sit by the fire.\n');
    const c = await json<{ messages: { role: string; chosen: number; alternatives: { text: string }[] }[] }>(['conversation', 'show', conversation]);
    expect(c.messages).toHaveLength(2);
    expect(c.messages[1]!.alternatives.map((a) => a.text)).toEqual(['Welcome to the inn, traveller.', 'Another welcome. Sit by the fire.']);
    expect(c.messages[1]!.chosen).toBe(1);
  });

  it('exits 5 when every provider fails, and keeps the user message', async () => {
    const dead = await closedBaseUrl();
    expect((await ms(['provider', 'add', '--name', 'down', '--base-url', dead, '--model', 'm'])).code).toBe(0);
    expect((await ms(['provider', 'order', 'down', 'fake'])).code).toBe(0);
    ai.script({ error: { status: 503 } });
    const r = await ms(['chat', conversation, 'Is anyone there?']);
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/down \(connection refused\).*fake \(HTTP 503/);
    expect(r.stderr).not.toContain(KEY);
    const c = await json<{ messages: { role: string; alternatives: { text: string; status: string }[] }[] }>(['conversation', 'show', conversation]);
    expect(c.messages.at(-2)).toMatchObject({ role: 'user', alternatives: [{ text: 'Is anyone there?' }] });
    expect(c.messages.at(-1)!.alternatives[0]).toMatchObject({ status: 'error', text: '' });

    ai.script({ error: { status: 500 } });
    const asJson = await ms(['--json', 'chat', conversation, 'Still nobody?']);
    expect(asJson.code).toBe(5);
    expect(JSON.parse(asJson.stderr.trim().split('\n').at(-1)!)).toMatchObject({ error: { code: 'provider' } });
    expect((await ms(['provider', 'remove', 'down'])).code).toBe(0);
  });

  it('ledger lists every request, as a table and as JSON', async () => {
    const entries = await json<{ host: string; purpose: string; status: number | null; outcome: string; bytesOut: number }[]>(['ledger']);
    const host = new URL(ai.baseUrl).host;
    expect(entries.filter((e) => e.host === host && e.outcome === 'ok').length).toBe(3);
    expect(entries.some((e) => e.outcome === 'error: connection refused' && e.status === null)).toBe(true);
    expect(entries.some((e) => e.outcome === 'error: HTTP 503' && e.status === 503)).toBe(true);
    const table = await ms(['ledger', '--limit', '2']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^time \(UTC\)\s+purpose\s+host\s+status\s+bytes out\s+bytes in\s+outcome$/);
    expect(lines).toHaveLength(3);
    expect(table.stdout).not.toContain('Good evening');
  });

  it('chat impersonate prints the turn the AI suggests for the user and stores nothing', async () => {
    const before = (await json<{ messages: unknown[] }>(['conversation', 'show', conversation])).messages.length;
    ai.script({ text: 'I would like a room for the night.' });
    const r = await ms(['chat', 'impersonate', conversation]);
    expect([r.code, r.stdout], r.stderr).toEqual([0, 'I would like a room for the night.\n']);
    expect((await json<{ messages: unknown[] }>(['conversation', 'show', conversation])).messages.length).toBe(before);
  });
});
