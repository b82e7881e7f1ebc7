/**
 * Issue 4 performance (docs/sync-protocol.md, "Benchmarks"): live edit latency, fan-out to 1,000 connected devices
 * with the relay's memory, and initial sync of a 100,000-message vault — each beside a baseline from the same run
 * (a plain `ws` broadcast server; y-websocket's own server for initial sync), and the relay under attack (issue 15:
 * the honest p99 beside its unloaded p99). Servers run as child processes.
 *
 * `MINDSTAGE_BENCH_RELAY=latency,fanout,initial,attack` picks parts (default: all).
 */
import type { BenchRow } from './report.node.ts';
import { attack } from './relay/attack.node.ts';
import { fanout } from './relay/fanout.node.ts';
import { initialSync } from './relay/initial-sync.node.ts';
import { latency } from './relay/latency.node.ts';

const parts: Record<string, () => Promise<BenchRow[]>> = {
  latency: () => latency(),
  fanout: () => fanout(),
  initial: () => initialSync(),
  attack: () => attack(),
};

export async function run(): Promise<BenchRow[]> {
  const wanted = (process.env['MINDSTAGE_BENCH_RELAY'] ?? '').split(',').filter(Boolean);
  const unknown = wanted.filter((w) => !(w in parts));
  if (unknown.length) throw new Error(`MINDSTAGE_BENCH_RELAY: unknown part(s) ${unknown.join(', ')}; known: ${Object.keys(parts).join(', ')}`);
  const rows: BenchRow[] = [];
  for (const [name, part] of Object.entries(parts)) {
    if (wanted.length && !wanted.includes(name)) continue;
    const t = performance.now();
    process.stderr.write(`  relay: ${name}…\n`);
    rows.push(...(await part()));
    process.stderr.write(`  relay: ${name} done in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  }
  return rows;
}
