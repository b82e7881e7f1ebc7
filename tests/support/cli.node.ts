/** Runs the real CLI (bin/mindstage) as a user would, in a child process. */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { kekMemo } from './kek-memo.node.ts';

export const cliPath = fileURLToPath(new URL('../../bin/mindstage', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { env?: Record<string, string | undefined>; input?: string } = {}): CliResult {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const r = spawnSync(cliPath, args, { env: env as NodeJS.ProcessEnv, input: options.input ?? '', encoding: 'utf8', timeout: 240_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs the real CLI without blocking this process's event loop: for tests whose other side (the fake provider, a
 * server) lives in this process and must answer while the CLI waits.
 */
export function runCliAsync(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cliPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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

/** Runs the CLI with --json and parses stdout; throws with stderr if it failed. */
export function cliJson<T = unknown>(args: string[], env?: Record<string, string | undefined>): T {
  const r = runCli(['--json', ...args], { env });
  if (r.code !== 0) throw new Error(`mindstage ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/**
 * Runs the CLI's program function in this process: the same commander program, output and exit codes as
 * bin/mindstage, without a Node start per call. For tests about output and exit codes; what only a real process
 * shows (the launcher, stdin, signals) stays with runCli. Calls run one at a time: they borrow process.env and
 * the process's stdout/stderr writes while they run.
 */
let queue: Promise<unknown> = Promise.resolve();
// Argon2id once per passphrase and vault header in this test file, as the tamper tests do: every command of a real
// process derives it (runCli above, and tests/cli/start.test.ts), and cli/kek-ahead.test.ts tests that derivation.
const kekAhead = kekMemo();

export function runCliHere(
  args: string[],
  options: { env?: Record<string, string | undefined>; run?: (args: string[]) => Promise<number> } = {},
): Promise<CliResult> {
  const next = queue.then(() => runNow(args, options.env ?? {}, options.run));
  queue = next.catch(() => {});
  return next;
}

async function runNow(args: string[], env: Record<string, string | undefined>, run?: (args: string[]) => Promise<number>): Promise<CliResult> {
  const { runCli } = await import('../../electron/core/cli/program.node.ts');
  const program = run ?? ((a: string[]) => runCli(a, { kekAhead }));
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const setEnv = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  const out = { stdout: '', stderr: '' };
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  const capture = (stream: 'stdout' | 'stderr') =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      out[stream] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    }) as typeof process.stdout.write;
  setEnv(env);
  process.stdout.write = capture('stdout');
  process.stderr.write = capture('stderr');
  try {
    const code = await program(args);
    return { code, ...out };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    setEnv(saved);
  }
}

/** runCliHere with --json, stdout parsed; throws with stderr if it failed. */
export async function cliJsonHere<T = unknown>(args: string[], env?: Record<string, string | undefined>): Promise<T> {
  const r = await runCliHere(['--json', ...args], { env });
  if (r.code !== 0) throw new Error(`mindstage ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
