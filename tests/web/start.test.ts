/**
 * `npm start` (scripts/start.ts) on a machine without the Electron binary: it says so, starts browser mode on the
 * data folder, prints a working URL, and stops cleanly on Ctrl-C. Bad options get a usage error and exit code 2.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { findElectronBinary } from '../../electron/main/locate.node.ts';
import { tokenProtocol, WS_PROTOCOL } from '../../shared/transport/client.std.ts';

/** Trades a printed one-time address for a session, as the page does (POST /session from our Origin). */
async function sessionFor(url: URL): Promise<string> {
  const res = await fetch(`${url.origin}/session`, { method: 'POST', headers: { 'x-mindstage-token': url.hash.slice('#token='.length), origin: url.origin } });
  if (!res.ok) throw new Error(`session refused: ${res.status}`);
  return ((await res.json()) as { session: string }).session;
}
import { tempDir } from '../support/files.node.ts';

const repo = join(import.meta.dirname, '../..');
const electron = findElectronBinary();
const children: ChildProcess[] = [];
afterAll(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

function start(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['scripts/start.ts', ...args], { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

describe.skipIf(electron.found)(`npm start without Electron${electron.found ? ' (skipped: Electron is installed here, so npm start launches it)' : ''}`, () => {
  it('starts browser mode, says why, and prints a URL whose token opens the core', async () => {
    const rendererDir = join(tempDir('start-renderer'), 'renderer');
    mkdirSync(rendererDir, { recursive: true });
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Mindstage</title>');
    const dataDir = join(tempDir('start-data'), 'vault');
    const run = start(['--data', dataDir], { MINDSTAGE_RENDERER_DIR: rendererDir });
    await expect.poll(run.output, { timeout: 120_000 }).toMatch(/#token=/);
    expect(run.output()).toContain('Electron is not installed here; starting browser mode');
    const url = new URL(run.output().match(/http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]+/)![0]);
    expect(url.hash.slice('#token='.length)).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Mindstage</title>');

    const ws = new WebSocket(`ws://${url.host}/ws`, [WS_PROTOCOL, tokenProtocol(await sessionFor(url))], { origin: url.origin });
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    const reply = new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))));
    ws.send(JSON.stringify({ id: 1, command: 'vault.status', input: {} }));
    expect(JSON.parse(await reply)).toEqual({ id: 1, result: { ok: true, value: { exists: false, unlocked: false } } });
    ws.close();

    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
  });

  it('refuses a bad --port with a usage error', async () => {
    const run = start(['--port', 'eighty'], { MINDSTAGE_DATA: join(tempDir('start-bad'), 'vault') });
    expect(await run.exited).toBe(2);
    expect(run.output()).toMatch(/--port must be a number from 0 to 65535/);
  });
});
