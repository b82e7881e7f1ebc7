/**
 * `npm run bench`: runs every benchmark suite, prints one table, and writes bench-results/results.json.
 * Pass suite names to run only those (e.g. `npm run bench -- storage`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { formatTable, type BenchRow } from './report.node.ts';

const suites: Record<string, () => Promise<{ run: () => Promise<BenchRow[]> }>> = {
  storage: () => import('./storage.bench.node.ts'),
  prompt: () => import('./prompt.bench.node.ts'),
  relay: () => import('./relay.bench.node.ts'),
  chat: () => import('./chat.bench.node.ts'),
  cli: () => import('./cli.bench.node.ts'),
  ui: () => import('./ui.bench.node.ts'),
  import: () => import('./import.bench.node.ts'),
  regex: () => import('./regex.bench.node.ts'),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const rows: BenchRow[] = [];
for (const [name, load] of Object.entries(suites)) {
  if (wanted.length && !wanted.includes(name)) continue;
  process.stderr.write(`running ${name}…\n`);
  rows.push(...(await (await load()).run()));
}
console.log(formatTable(rows));
mkdirSync('bench-results', { recursive: true });
const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGB: Math.round(totalmem() / 2 ** 30), node: process.version };
writeFileSync('bench-results/results.json', `${JSON.stringify({ at: new Date().toISOString(), machine, rows }, null, 2)}\n`);
console.log('\nwritten to bench-results/results.json');
