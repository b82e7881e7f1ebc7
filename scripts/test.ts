/**
 * `npm test`: the type-check, the lint and vitest, all started at once. The type-check and the lint are each
 * single-threaded (~35 s and ~27 s of CPU) and run at the lowest CPU priority, so they take only what vitest leaves
 * idle (it waits on Chromium, child processes and timers) instead of holding the test run back; on a busy machine
 * they finish after it. vitest's output streams as it runs; theirs is printed, whole, once everything has ended.
 * Arguments after `npm test --` go to vitest. The exit code is non-zero when any of them failed.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const windows = process.platform === 'win32';
// `nice` is there on Linux and macOS; Windows has no such command, and the checks then run at normal priority.
const lowPriority = windows ? [] : ['nice', '-n', '19'];

interface Ended {
  name: string;
  code: number;
  output: string;
}

function run(name: string, cmd: string[], output: 'inherit' | 'collect') {
  const child = spawn(cmd[0]!, cmd.slice(1), { stdio: output === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'], shell: windows && cmd[0] === 'npm' });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const done = new Promise<Ended>((resolve) => {
    child.on('error', (e) => resolve({ name, code: 1, output: `${text}${String(e)}\n` }));
    child.on('close', (code, signal) => resolve({ name, code: code ?? 1, output: signal ? `${text}killed by ${signal}\n` : text }));
  });
  return { child, done };
}

const vitestBin = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const runs = [
  run('tests', [process.execPath, '--disable-warning=ExperimentalWarning', vitestBin, 'run', ...process.argv.slice(2)], 'inherit'),
  run('typecheck', [...lowPriority, 'npm', 'run', '--silent', 'typecheck'], 'collect'),
  run('lint', [...lowPriority, 'npm', 'run', '--silent', 'lint'], 'collect'),
];

// Ctrl-C reaches every child through the terminal's process group; a plain kill of this process is passed on.
for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.on(signal, () => runs.forEach((r) => r.child.kill(signal)));

const ended = await Promise.all(runs.map((r) => r.done));
for (const r of ended.slice(1)) process.stdout.write(`\n> npm run ${r.name}: ${r.code === 0 ? 'passed' : `failed (exit ${r.code})`}\n${r.output}`);
process.stdout.write(`npm test: ${ended.map((r) => `${r.name} ${r.code === 0 ? 'passed' : 'failed'}`).join(', ')}\n`);
process.exit(ended.every((r) => r.code === 0) ? 0 : 1);
