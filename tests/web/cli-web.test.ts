/**
 * `mindstage web`: the same browser mode as `npm start`, reachable from the CLI. It serves the vault named by
 * --data (here one made with `mindstage init`), and Ctrl-C stops it with exit code 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { tokenProtocol, WS_PROTOCOL } from '../../shared/transport/client.std.ts';

/** Trades a printed one-time address for a session, as the page does (POST /session from our Origin). */
async function sessionFor(url: URL): Promise<string> {
  const res = await fetch(`${url.origin}/session`, { method: 'POST', headers: { 'x-mindstage-token': url.hash.slice('#token='.length), origin: url.origin } });
  if (!res.ok) throw new Error(`session refused: ${res.status}`);
  return ((await res.json()) as { session: string }).session;
}
import { cliJson, cliPath, runCli } from '../support/cli.node.ts';
import { tempDir } from '../support/files.node.ts';

const children: ChildProcess[] = [];
afterAll(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

it('mindstage web serves the --data vault behind a token and stops on Ctrl-C', async () => {
  const rendererDir = join(tempDir('web-renderer'), 'renderer');
  mkdirSync(rendererDir, { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Mindstage</title>');
  const dataDir = join(tempDir('web-data'), 'vault');
  const env = { MINDSTAGE_PASSPHRASE: 'correct horse battery staple' };
  const { vaultId } = cliJson<{ vaultId: string }>(['--data', dataDir, 'init'], env);

  const child = spawn(cliPath, ['--data', dataDir, 'web', '--port', '0'], {
    env: { ...process.env, MINDSTAGE_RENDERER_DIR: rendererDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await expect.poll(() => out, { timeout: 120_000 }).toMatch(/#token=/);
  const url = new URL(out.match(/http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]+/)![0]);

  const ws = new WebSocket(`ws://${url.host}/ws`, [WS_PROTOCOL, tokenProtocol(await sessionFor(url))], { origin: url.origin });
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  const reply = new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))));
  ws.send(JSON.stringify({ id: 1, command: 'vault.status', input: {} }));
  // The vault made by `init` is the one served: it exists and is locked.
  expect(JSON.parse(await reply)).toEqual({ id: 1, result: { ok: true, value: { exists: true, unlocked: false, vaultId } } });
  ws.close();

  child.kill('SIGINT');
  expect(await exited).toBe(0);
});

it('mindstage web refuses a bad --port with exit code 2', () => {
  const r = runCli(['--data', join(tempDir('web-bad'), 'vault'), 'web', '--port', '99999']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/--port must be a number from 0 to 65535/);
});
