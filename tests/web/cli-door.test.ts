/**
 * The CLI while browser mode holds the data folder (issue 9): a real `mindstage web` process runs on the vault and
 * `mindstage …` commands work through its core's door instead of refusing with `busy` — what one writes the other
 * sees, the vault the app had locked is locked again afterwards, and the door's rules hold: its file is the user's
 * alone, a wrong secret or a web page's Origin is refused, and when the app stops the CLI opens the folder itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { tokenProtocol, WS_PROTOCOL } from '../../shared/transport/client.std.ts';
import { DOOR_FILE, DOOR_PATH, type DoorInfo } from '../../electron/core/web/door.node.ts';
import { cliJson, cliPath, runCli, runCliAsync } from '../support/cli.node.ts';
import { tempDir } from '../support/files.node.ts';
import { startFakeOpenAI } from '../support/fake-openai.node.ts';

const env = { MINDSTAGE_PASSPHRASE: 'door test passphrase' };
const children: ChildProcess[] = [];
let dataDir = '';
let app: ChildProcess;
let exited: Promise<number | null>;
let out = '';
const door = () => JSON.parse(readFileSync(join(dataDir, DOOR_FILE), 'utf8')) as DoorInfo;

/** Opens a WebSocket to the door as a client of our choosing would; resolves with the HTTP status or 'open'. */
function knock(info: DoorInfo, options: { token?: string; origin?: string; path?: string } = {}): Promise<number | 'open'> {
  const ws = new WebSocket(`ws://127.0.0.1:${info.port}${options.path ?? DOOR_PATH}`, [WS_PROTOCOL, tokenProtocol(options.token ?? info.token)], options.origin ? { origin: options.origin } : {});
  return new Promise((resolve) => {
    ws.once('open', () => (ws.close(), resolve('open')));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(0));
  });
}

beforeAll(async () => {
  const rendererDir = join(tempDir('door-renderer'), 'renderer');
  mkdirSync(rendererDir, { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Mindstage</title>');
  dataDir = join(tempDir('door-data'), 'vault');
  cliJson(['--data', dataDir, 'init'], env);
  app = spawn(cliPath, ['--data', dataDir, 'web', '--port', '0'], { env: { ...process.env, MINDSTAGE_RENDERER_DIR: rendererDir }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(app);
  app.stdout!.on('data', (d) => (out += d));
  app.stderr!.on('data', (d) => (out += d));
  exited = new Promise((resolve) => app.on('exit', (code) => resolve(code)));
  for (const t0 = Date.now(); !/#token=/.test(out); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() - t0 > 240_000 || app.exitCode !== null) throw new Error(`mindstage web did not start: ${out}`);
  }
});

afterAll(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

describe('the CLI while browser mode holds the folder', () => {
  it('works through the running core, and leaves its vault locked as it found it', async () => {
    const info = door();
    expect(info.pid).toBe(app.pid);
    expect(statSync(join(dataDir, DOOR_FILE)).mode & 0o777).toBe(0o600);

    const { id } = cliJson<{ id: string }>(['--data', dataDir, 'character', 'create', '--name', 'Wren'], env);
    // The app's core holds the folder lock now (the first command opened its store): a local open would be busy.
    expect(readFileSync(join(dataDir, 'mindstage.lock'), 'utf8').trim()).toBe(String(app.pid));
    const list = cliJson<{ id: string; title: string }[]>(['--data', dataDir, 'character', 'list'], env);
    expect(list.map((c) => c.id)).toContain(id);
    const conv = cliJson<{ id: string }>(['--data', dataDir, 'conversation', 'create', '--title', 'Door chat', '--character', id], env).id;
    expect(cliJson<{ id: string }[]>(['--data', dataDir, 'conversation', 'list'], env).map((c) => c.id)).toContain(conv);

    // The app's own view (a browser-mode client would see the same core): the record exists, the vault is locked.
    const status = await new Promise<unknown>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${info.port}${DOOR_PATH}`, [WS_PROTOCOL, tokenProtocol(info.token)]);
      ws.once('open', () => ws.send(JSON.stringify({ id: 1, command: 'vault.status', input: {} })));
      ws.once('message', (d) => (ws.close(), resolve(JSON.parse(String(d)))));
      ws.once('error', reject);
    });
    expect(status).toMatchObject({ id: 1, result: { ok: true, value: { exists: true, unlocked: false } } });
  });

  it('chats through the running core: the reply streams to the CLI as the core\'s events', async () => {
    const ai = await startFakeOpenAI({ model: 'fake-model' });
    try {
      ai.script({ tokens: ['The ', 'lamp ', 'is ', 'lit.'], tokenDelayMs: 5 });
      expect(runCli(['--data', dataDir, 'provider', 'add', '--name', 'fake', '--base-url', ai.baseUrl, '--model', 'fake-model'], { env }).code).toBe(0);
      const [character] = cliJson<{ id: string }[]>(['--data', dataDir, 'character', 'list'], env);
      const conv = cliJson<{ id: string }>(['--data', dataDir, 'conversation', 'create', '--title', 'Lamp', '--character', character!.id], env).id;
      // Asynchronously: the fake provider answers from this process while the CLI waits.
      const r = await runCliAsync(['--data', dataDir, 'chat', conv, 'Is the lamp lit?'], env);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('The lamp is lit.');
      expect(ai.chatRequests()).toHaveLength(1);
    } finally {
      await ai.close();
    }
  });

  it('a wrong passphrase over the door is refused like a local one', () => {
    const r = runCli(['--data', dataDir, 'character', 'list'], { env: { MINDSTAGE_PASSPHRASE: 'not the passphrase' } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/passphrase/i);
  });

  it('refuses a wrong secret, a web page (any Origin), another path and another Host', async () => {
    const info = door();
    expect(await knock(info)).toBe('open');
    expect(await knock(info, { token: 'x'.repeat(43) })).toBe(401);
    expect(await knock(info, { origin: `http://127.0.0.1:${info.port}` })).toBe(403);
    expect(await knock(info, { path: '/ws' })).toBe(404);
    const wrongHost = new WebSocket(`ws://localhost:${info.port}${DOOR_PATH}`, [WS_PROTOCOL, tokenProtocol(info.token)]);
    expect(await new Promise((resolve) => (wrongHost.once('unexpected-response', (_q, res) => resolve(res.statusCode)), wrongHost.once('open', () => resolve('open')), wrongHost.once('error', () => resolve(0))))).toBe(421);

    // A CLI holding a door file with the wrong secret is told the folder is busy, and changes nothing.
    const saved = readFileSync(join(dataDir, DOOR_FILE), 'utf8');
    writeFileSync(join(dataDir, DOOR_FILE), JSON.stringify({ ...info, token: 'y'.repeat(43) }), { mode: 0o600 });
    const r = runCli(['--json', '--data', dataDir, 'character', 'create', '--name', 'Intruder'], { env });
    writeFileSync(join(dataDir, DOOR_FILE), saved, { mode: 0o600 });
    expect(r.code).not.toBe(0);
    expect(JSON.parse(r.stderr.trim().split('\n').at(-1)!)).toMatchObject({ error: { code: 'busy' } });
    expect(cliJson<{ title: string }[]>(['--data', dataDir, 'character', 'list'], env).map((c) => c.title)).not.toContain('Intruder');
  });

  it('once the app stops, its door is gone and the CLI opens the folder itself', async () => {
    app.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(existsSync(join(dataDir, DOOR_FILE))).toBe(false);
    expect(cliJson<{ title: string }[]>(['--data', dataDir, 'character', 'list'], env).map((c) => c.title)).toEqual(['Wren']);
  });
});
