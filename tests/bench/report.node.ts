/**
 * Benchmark results: every figure sits beside a baseline measured in the same run, so a ratio survives a noisy
 * machine. Suites return rows; run.node.ts prints the table and writes bench-results/results.json.
 */
export interface BenchRow {
  suite: string;
  name: string;
  value: number;
  unit: 'ms' | 'MB' | 'B' | 'count';
  baselineName?: string;
  baseline?: number;
  /** Human-readable target from the issue, e.g. "< 150 ms and ≤ 3× baseline". */
  target?: string;
  pass?: boolean;
}

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export const median = (samples: number[]) => percentile(samples, 50);

/** Runs fn `n` times after `warmup` runs and returns the samples in ms. */
export async function sample(n: number, fn: () => unknown | Promise<unknown>, warmup = 2): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

export function formatTable(rows: BenchRow[]): string {
  const fmt = (v: number | undefined, unit: string) => (v === undefined ? '' : `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ${unit}`);
  const lines = rows.map((r) => [
    r.suite,
    r.name,
    fmt(r.value, r.unit),
    r.baselineName ? `${r.baselineName}: ${fmt(r.baseline, r.unit)}` : '',
    r.baseline ? `${(r.value / r.baseline).toFixed(2)}×` : '',
    r.target ?? '',
    r.pass === undefined ? '' : r.pass ? 'PASS' : 'FAIL',
  ]);
  const header = ['suite', 'measure', 'value', 'baseline (same run)', 'ratio', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [row(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(row)].join('\n');
}
