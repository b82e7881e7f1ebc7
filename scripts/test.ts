/**
 * `npm test`: the type-check and the lint (scripts/checks.ts) and vitest, all started at once. The checks run at
 * the lowest CPU priority, so they take only what vitest leaves idle (it waits on Chromium, child processes and
 * timers) instead of holding the test run back for their ~40 s; on a busy machine they finish after it, as before.
 * vitest's output streams as it runs; the checks' output is printed once everything has ended. Arguments after
 * `npm test --` go to vitest. The exit code is non-zero when either failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const windows = process.platform === 'win32';
const node = [process.execPath, '--disable-warning=ExperimentalWarning'];
// `nice` is there on Linux and macOS; Windows has no such command, and the checks then run at normal priority.
const checks = windows ? node : ['nice', '-n', '19', ...node];

function run(cmd: string[], output: 'inherit' | 'collect'): { child: ChildProcess; done: Promise<{ code: number; output: string }> } {
  const child = spawn(cmd[0]!, cmd.slice(1), { stdio: output === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const done = new Promise<{ code: number; output: string }>((resolve) => {
    child.on('error', (e) => resolve({ code: 1, output: `${text}${String(e)}\n` }));
    child.on('close', (code, signal) => resolve({ code: code ?? 1, output: signal ? `${text}killed by ${signal}\n` : text }));
  });
  return { child, done };
}

const vitestBin = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const typeAndLint = run([...checks, fileURLToPath(new URL('./checks.ts', import.meta.url))], 'collect');
const tests = run([...node, vitestBin, 'run', ...process.argv.slice(2)], 'inherit');

// Ctrl-C reaches both children through the terminal's process group; a plain kill of this process is passed on.
for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    typeAndLint.child.kill(signal);
    tests.child.kill(signal);
  });
}

const [vitest, checked] = await Promise.all([tests.done, typeAndLint.done]);
process.stdout.write(`\n${checked.output}`);
process.stdout.write(`npm test: tests ${vitest.code === 0 ? 'passed' : `failed (exit ${vitest.code})`}; type-check and lint ${checked.code === 0 ? 'passed' : 'failed'}\n`);
process.exit(vitest.code === 0 && checked.code === 0 ? 0 : 1);
