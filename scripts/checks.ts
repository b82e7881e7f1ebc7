/**
 * `npm test`'s first step: the type-check and the lint, at the same time. Each runs on one thread (about 35 s and
 * 27 s of CPU here), so on two cores together they take as long as the longer one instead of the sum; the test
 * run only starts after both. Each tool's output is printed whole once it ends; the exit code is non-zero when
 * either failed.
 */
import { spawn } from 'node:child_process';

const run = (script: string) =>
  new Promise<{ script: string; code: number; output: string }>((resolve) => {
    const child = spawn('npm', ['run', '--silent', script], { stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (e) => resolve({ script, code: 1, output: `${output}${String(e)}\n` }));
    child.on('close', (code, signal) => resolve({ script, code: code ?? 1, output: signal ? `${output}killed by ${signal}\n` : output }));
  });

const results = await Promise.all([run('typecheck'), run('lint')]);
for (const r of results) process.stdout.write(`> npm run ${r.script}: ${r.code === 0 ? 'passed' : `failed (exit ${r.code})`}\n${r.output}`);
process.exit(results.every((r) => r.code === 0) ? 0 : 1);
