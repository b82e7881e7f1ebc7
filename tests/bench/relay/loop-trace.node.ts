/**
 * A diagnostic preload for the attack bench (`MINDSTAGE_BENCH_TRACE=<dir>`, attack.node.ts): in each process it is
 * loaded into (relay, bench, attacker) it records every event-loop stall over 2 ms with its wall-clock time, split
 * into the main thread's own CPU and its run-queue wait (/proc/thread-self/schedstat), and every garbage-collector
 * pause over 1 ms; written to <dir>/<script>-<pid>.json at exit, to be laid against the honest edits' times
 * (<dir>/edits.json). Not loaded otherwise: reading /proc every 2 ms is itself work.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';

const dir = process.env['MINDSTAGE_BENCH_TRACE'];
if (dir) {
  const name = (process.argv[1] ?? 'node').split('/').pop()!;
  const t0 = performance.timeOrigin;
  /** [wall ms when the timer was due, stall ms, own CPU ms, run-queue wait ms] */
  const stalls: number[][] = [];
  /** [wall ms, pause ms, kind (1 scavenge, 4 mark-sweep, 8 incremental)] */
  const gcs: number[][] = [];
  const PERIOD_MS = 2;
  const sched = () => readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ').map(Number);
  let last = sched();
  let due = performance.now() + PERIOD_MS;
  const tick = () => {
    const now = performance.now();
    const s = sched();
    if (now - due > 2) stalls.push([Math.round(t0 + due), now - due, (s[0]! - last[0]!) / 1e6, (s[1]! - last[1]!) / 1e6].map((v) => Math.round(v * 10) / 10));
    last = s;
    due = now + PERIOD_MS;
    setTimeout(tick, PERIOD_MS).unref();
  };
  setTimeout(tick, PERIOD_MS).unref();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.duration > 1) gcs.push([Math.round(t0 + e.startTime), Math.round(e.duration * 10) / 10, (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0]);
  }).observe({ entryTypes: ['gc'] });
  process.on('exit', () => writeFileSync(`${dir}/${name}-${process.pid}.json`, JSON.stringify({ name, stalls, gcs })));
}
