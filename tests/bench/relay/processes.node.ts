/**
 * The servers the relay benchmarks talk to, each a real child process on loopback so its memory and CPU can be
 * read from /proc and the bench client's own work is not counted against it:
 *   - the Mindstage relay (`sync-server/main.node.ts`, SQLite in a temporary folder),
 *   - a plain `ws` broadcast server (ws-broadcast.node.ts), the baseline for latency and fan-out,
 *   - y-websocket's own server (@y/websocket-server, unmodified), the baseline for initial sync.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnRelay } from '../../support/relay-client.node.ts';
import { freePort } from '../../support/net.node.ts';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const nodeBin = fileURLToPath(new URL('../../../node_modules/.bin/node', import.meta.url));

export interface ServerProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  /** SIGTERM, then wait for the exit. */
  stop: () => Promise<void>;
}

const stopper = (child: ChildProcess) => async () => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
};

/**
 * The bench's devices all connect from 127.0.0.1, where a real deployment would see one address per household;
 * these lift only the per-address limits so 1,000 devices of 100 accounts can connect from one address.
 */
export const oneAddressForManyDevices = ['maxConnectionsPerAddress=5000', 'newAccountsPerAddressPerHour=100000', 'anonymousBurst=100000', 'anonymousRatePerSecond=100000', 'addressBytesBurst=1000000000', 'addressBytesPerSecond=1000000000'].flatMap((l) => ['--limit', l]);

export async function startMindstageRelay(dataDir: string, args: string[] = oneAddressForManyDevices): Promise<ServerProcess> {
  // Production defaults otherwise (log level info: connection events, never per-message lines).
  const r = await spawnRelay(['--data', dataDir, ...args]);
  // spawnRelay keeps every log line; a bench with 1,000 connections does not need them in memory.
  r.child.stdout!.on('data', () => void r.output.splice(0));
  return { url: r.url, pid: r.child.pid!, child: r.child, stop: stopper(r.child) };
}

async function spawnUntil(args: string[], env: Record<string, string>, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(nodeBin, args, { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start:\n${out}`)), 20_000);
    const onData = (d: Buffer) => {
      out += d.toString('utf8');
      const m = out.match(ready);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${out}`)));
  });
  // Keep draining so a chatty child never blocks on a full pipe.
  child.stdout!.removeAllListeners('data').resume();
  child.stderr!.removeAllListeners('data').resume();
  return { child, match };
}

export async function startWsBroadcast(): Promise<ServerProcess> {
  const script = fileURLToPath(new URL('./ws-broadcast.node.ts', import.meta.url));
  const { child, match } = await spawnUntil(['--disable-warning=ExperimentalWarning', script], {}, /listening (ws:\/\/\S+)/);
  return { url: match[1]!, pid: child.pid!, child, stop: stopper(child) };
}

/** y-websocket's server exactly as `npx y-websocket` runs it: documents in memory, no persistence. */
export async function startYWebsocketServer(): Promise<ServerProcess> {
  const port = await freePort();
  const script = fileURLToPath(new URL('../../../node_modules/@y/websocket-server/src/server.js', import.meta.url));
  const { child } = await spawnUntil([script], { HOST: '127.0.0.1', PORT: String(port) }, /running at/);
  return { url: `ws://127.0.0.1:${port}`, pid: child.pid!, child, stop: stopper(child) };
}

/** Resident and peak-resident memory of a process, in MB (from /proc/PID/status: VmRSS, VmHWM). */
export function memoryOf(pid: number): { rssMB: number; peakMB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN);
  return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
}

/** CPU seconds (user + system) a process has used so far (from /proc/PID/stat; clock ticks are 1/100 s on Linux). */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: state is field 3, so utime (14) and stime (15) are at 11 and 12 here.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * The main (event-loop) thread of a process, from /proc/PID/schedstat: ms it ran on a CPU and ms it was ready to run
 * but waited for one (the run queue). Waiting is time another process had the core: on this shared machine, the
 * part of an event-loop stall that is not the process's own work.
 */
export function schedOf(pid: number): { cpuMs: number; waitMs: number } {
  const [run = 0, wait = 0] = readFileSync(`/proc/${pid}/schedstat`, 'latin1').split(' ').map(Number);
  return { cpuMs: run / 1e6, waitMs: wait / 1e6 };
}
