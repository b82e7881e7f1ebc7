/**
 * `mindstage relay`: the real CLI (bin/mindstage) starts the relay in the foreground on the --data folder, prints
 * its URL, serves /health and the protocol, and stops cleanly (exit 0) on SIGTERM and SIGINT — cleanly enough that
 * a second run on the same folder finds the account, the device and the relay key the first one stored.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { cliPath, runCli } from '../support/cli.node.ts';
import { tempDir } from '../support/files.node.ts';
import { connectDevice, enrollDevice, newAccount } from '../support/relay-client.node.ts';

const children: ChildProcess[] = [];
afterAll(() => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL')));

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function start(args: string[]): Running {
  const child = spawn(cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

const health = async (url: string) => (await fetch(`${url.replace(/^ws/, 'http')}/health`)).json() as Promise<{ ok: boolean; relayKey: string; storage: string }>;

it('mindstage relay runs on --data, prints its URL, serves /health and the protocol, and exits 0 on SIGTERM', async () => {
  const dataDir = join(tempDir('cli-relay'), 'relay');
  const first = start(['relay', '--port', '0', '--data', dataDir]);
  await expect.poll(first.stdout, { timeout: 120_000 }).toMatch(/listening on ws:\/\/127\.0\.0\.1:\d+/);
  const url = first.stdout().match(/ws:\/\/127\.0\.0\.1:\d+/)![0];
  expect(Number(new URL(url).port)).toBeGreaterThan(0);

  const h = await health(url);
  expect(h).toMatchObject({ ok: true, storage: 'sqlite' });
  expect(h.relayKey).toMatch(/^[0-9a-f]{64}$/);
  // Its database lives in the folder given, owner-only.
  expect(statSync(join(dataDir, 'relay.sqlite')).mode & 0o077).toBe(0);

  const account = newAccount();
  const device = await enrollDevice(url, account);
  (await connectDevice(url, device)).close();
  // Logs go to stderr as JSON lines, so stdout stays the one line a script reads.
  expect(first.stderr()).toMatch(/"msg":"relay listening"/);

  first.child.kill('SIGTERM');
  expect(await first.exited).toBe(0);
  expect(first.stderr()).toMatch(/"msg":"relay closed"/);
  expect(existsSync(join(dataDir, 'relay.sqlite-wal')) ? statSync(join(dataDir, 'relay.sqlite-wal')).size : 0).toBe(0);

  // Same folder again, --data after the subcommand or before it: same relay key, and the enrolled device is known.
  const second = start(['--json', '--data', dataDir, 'relay', '--port', '0', '--log-level', 'warn']);
  await expect.poll(second.stdout, { timeout: 120_000 }).toMatch(/\n$/);
  const printed = JSON.parse(second.stdout()) as { url: string; relayKey: string; storage: string };
  expect(printed).toMatchObject({ relayKey: h.relayKey, storage: 'sqlite' });
  expect((await health(printed.url)).relayKey).toBe(h.relayKey);
  const again = await connectDevice(printed.url, device);
  again.close();
  expect(second.stderr()).not.toMatch(/"level":30/);

  second.child.kill('SIGINT');
  expect(await second.exited).toBe(0);
});

it('mindstage relay refuses a bad --port or --log-level with exit code 2', () => {
  const dataDir = join(tempDir('cli-relay-bad'), 'relay');
  const port = runCli(['relay', '--data', dataDir, '--port', '99999']);
  expect(port.code).toBe(2);
  expect(port.stderr).toMatch(/--port must be a number from 0 to 65535/);
  const level = runCli(['relay', '--data', dataDir, '--port', '0', '--log-level', 'loud']);
  expect(level.code).toBe(2);
  expect(level.stderr).toMatch(/--log-level must be one of/);
  expect(existsSync(join(dataDir, 'relay.sqlite'))).toBe(false);
});

it('mindstage relay says plainly when its port is taken (exit 5)', async () => {
  const dataDir = join(tempDir('cli-relay-busy'), 'relay');
  const first = start(['relay', '--port', '0', '--data', dataDir, '--log-level', 'warn']);
  await expect.poll(first.stdout, { timeout: 120_000 }).toMatch(/listening on ws:\/\/127\.0\.0\.1:\d+/);
  const port = new URL(first.stdout().match(/ws:\/\/127\.0\.0\.1:\d+/)![0]).port;
  const busy = runCli(['relay', '--port', port, '--data', join(tempDir('cli-relay-busy2'), 'relay')]);
  expect(busy.code).toBe(5);
  expect(busy.stderr).toMatch(/could not start: the port is in use/);
  first.child.kill('SIGTERM');
  expect(await first.exited).toBe(0);
});
