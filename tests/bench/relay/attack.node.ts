/**
 * The relay under attack (issue 15), bounded and on loopback only: one relay process with its production limits;
 * an honest device pair of one account (127.0.0.1) makes live edits — A uploads a sealed, signed update, B gets the
 * push and checks it — first alone, then while the attacker process (attacker.node.ts, from 127.0.0.2–4) floods
 * connections and half-sent requests, enrols accounts and sends maximum-size frames with bad signatures.
 *
 * Reported: the honest p99 under attack beside its unloaded p99 from the same run (target ≤ 2×), the relay's peak
 * RSS beside its configured memory budget, and every answer the attacker got (each must be a clear refusal: an
 * error code, an HTTP status or a size close — never a silent drop). Everything stops by itself.
 *
 * Beside them, where the relay's and the honest client's event-loop threads spent the two phases (/proc schedstat):
 * their own CPU, and the time they were ready but waited for a core another process held — what says whether a
 * slow tail was the relay's work or the machine's. `MINDSTAGE_BENCH_TRACE=<dir>` also records every stall and GC
 * pause of the three processes and every edit's time (loop-trace.node.ts), to lay side by side.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultLimits } from '../../../sync-server/limits.node.ts';
import { testAddressLimits } from '../../support/relay-harness.node.ts';
import { connectDevice, enrollDevice, newAccount, randomId } from '../../support/relay-client.node.ts';
import { median, percentile, type BenchRow } from '../report.node.ts';
import { checkedPush, newSealKey, smallSealedUpdate } from './payloads.node.ts';
import { cpuSecondsOf, memoryOf, schedOf, startMindstageRelay } from './processes.node.ts';

const SUITE = 'relay attack';
const ATTACK_MS = 25_000;
/**
 * Unloaded edits, half before the attack and half after. Under attack the pair edits until the attacker has stopped
 * (~23 s, about 1,500 edits on a quiet machine), so that p99 is its 15 or so worst edits rather than 4, and every one is under
 * attack.
 */
const QUIET_EDITS = 1_200;
/** Pause between one edit's arrival and the next upload (an edit takes 3–5 ms end to end on a quiet machine). */
const GAP_MS = 10;
const TRACE_DIR = process.env['MINDSTAGE_BENCH_TRACE'];
const tracer = fileURLToPath(new URL('./loop-trace.node.ts', import.meta.url));
/** With MINDSTAGE_BENCH_TRACE the relay and the attacker load the tracer too (they inherit this environment). */
const traceEnv = (): void => {
  if (TRACE_DIR && !(process.env['NODE_OPTIONS'] ?? '').includes(tracer)) process.env['NODE_OPTIONS'] = `${process.env['NODE_OPTIONS'] ?? ''} --import ${tracer}`.trim();
};
/**
 * The attacker's scheduling priority (nice). On a real deployment its CPU is on other machines; here it shares the
 * relay's two cores, and masking and sending 16 MiB frames through 20 sockets costs it as much CPU as the relay
 * spends refusing them. At the default 19 its CPU yields to the relay and the honest client, so what is measured is
 * what the attack costs the relay; `MINDSTAGE_BENCH_ATTACKER_NICE=0` gives the earlier method (same priority).
 */
const ATTACKER_NICE = Number(process.env['MINDSTAGE_BENCH_ATTACKER_NICE'] ?? 19);
const nodeBin = fileURLToPath(new URL('../../../node_modules/.bin/node', import.meta.url));
const attackerScript = fileURLToPath(new URL('./attacker.node.ts', import.meta.url));

interface AttackReport {
  tried: Record<string, number>;
  answers: Record<string, number>;
  /** The attacker process's own CPU over its run (user + system). */
  cpuMs: number;
}

function runAttacker(url: string): Promise<AttackReport> {
  const child = spawn(nodeBin, ['--disable-warning=ExperimentalWarning', attackerScript, url, '127.0.0.2', String(ATTACK_MS), String(defaultLimits.maxFrameBytes)], { stdio: ['ignore', 'pipe', 'inherit'] });
  // See ATTACKER_NICE.
  if (ATTACKER_NICE) setPriority(child.pid!, ATTACKER_NICE);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const kill = setTimeout(() => child.kill('SIGKILL'), 2 * ATTACK_MS + 30_000);
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      clearTimeout(kill);
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as AttackReport);
      } catch {
        reject(new Error(`the attacker exited with ${code} and no report:\n${out.slice(0, 2000)}`));
      }
    }),
  );
}

export async function attack(): Promise<BenchRow[]> {
  traceEnv();
  if (TRACE_DIR) await import(tracer);
  const dataDir = mkdtempSync(join(tmpdir(), 'ms-bench-attack-'));
  // Production limits, per-address ones included: spawnRelay lifts those for tests, so they are set back here.
  const production = Object.keys(testAddressLimits).flatMap((k) => ['--limit', `${k}=${defaultLimits[k as keyof typeof testAddressLimits]}`]);
  const relay = await startMindstageRelay(dataDir, production);
  try {
    const account = newAccount();
    const a = await enrollDevice(relay.url, account);
    const b = await enrollDevice(relay.url, account);
    const seal = newSealKey();
    const docId = randomId();
    let arrived: ((at: number) => void) | null = null;
    const onPush = checkedPush(account.accountId, seal, (at) => arrived?.(at));
    const honestErrors: string[] = [];
    const ca = await connectDevice(relay.url, a, { onError: (e) => honestErrors.push(e.relayCode) });
    const cb = await connectDevice(relay.url, b, { onPush, onError: (e) => honestErrors.push(e.relayCode) });
    let seq = 0;
    /** [wall-clock start, ms, phase] of every edit, for MINDSTAGE_BENCH_TRACE. */
    const trace: [number, number, string][] = [];
    const edits = async (phase: string, n: number, until: () => boolean = () => false): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < n && !until(); i++) {
        const deviceSeq = ++seq;
        const body = smallSealedUpdate(seal, docId, deviceSeq);
        const got = new Promise<number>((resolve) => (arrived = resolve));
        const t = performance.now();
        await Promise.all([got, ca.upload({ docId, deviceSeq, body })]);
        out.push((await got) - t);
        trace.push([Math.round(performance.timeOrigin + t), out.at(-1)!, phase]);
        await new Promise((r) => setTimeout(r, GAP_MS));
      }
      return out;
    };
    /** Where the relay's and this process's event-loop threads spent a phase. */
    const threads = () => ({ at: performance.now(), relay: schedOf(relay.pid), honest: schedOf(process.pid) });
    const perSecond = (a: ReturnType<typeof threads>, b: ReturnType<typeof threads>, who: 'relay' | 'honest', what: 'cpuMs' | 'waitMs') => (b[who][what] - a[who][what]) / ((b.at - a.at) / 1000);
    const loadBefore = loadavg()[0]!;
    await edits('warm-up', 30);
    // Unloaded: half before the attack, half after it, so machine noise over the run is in the baseline too.
    const quietStart = threads();
    const quiet = await edits('unloaded', QUIET_EDITS / 2);
    const quietEnd = threads();
    const cpuBefore = cpuSecondsOf(relay.pid);
    let attackOver = false;
    const attackStart = performance.now();
    const attacker = runAttacker(relay.url).finally(() => (attackOver = true));
    await new Promise((r) => setTimeout(r, 2_000)); // let the flood and the enrolments get going
    const loadedStart = threads();
    const loaded = await edits('attack', Infinity, () => attackOver);
    const loadedEnd = threads();
    const report = await attacker;
    const attackSeconds = Math.round((performance.now() - attackStart) / 1000);
    const relayCpu = cpuSecondsOf(relay.pid) - cpuBefore;
    quiet.push(...(await edits('unloaded', QUIET_EDITS / 2))); // and the honest pair still works once the attacker is gone
    const mem = memoryOf(relay.pid);
    if (TRACE_DIR) writeFileSync(join(TRACE_DIR, 'edits.json'), JSON.stringify(trace));
    ca.close();
    cb.close();

    const quietP99 = percentile(quiet, 99);
    const loadedP99 = percentile(loaded, 99);
    const budgetMB = defaultLimits.memoryBudgetBytes / 1048576;
    // A RelayError 'closed' is a connection lost without a refusal frame: not a clear answer either.
    const unclearAnswer = /without a reason|accepted \(!\)|: closed( \(unsolicited\))?$/;
    const unclear = Object.entries(report.answers).filter(([k]) => unclearAnswer.test(k));
    const refusals = Object.entries(report.answers).filter(([k]) => !unclearAnswer.test(k) && !/account created|still open at the end/.test(k));
    const rows: BenchRow[] = [
      { suite: SUITE, name: `honest live edit under attack, p99 (${loaded.length} edits; unloaded: ${quiet.length})`, value: loadedP99, unit: 'ms', baselineName: 'same pair unloaded p99', baseline: quietP99, target: '≤ 2× unloaded p99', pass: loadedP99 <= 2 * quietP99 },
      { suite: SUITE, name: 'honest live edit under attack, median', value: median(loaded), unit: 'ms', baselineName: 'unloaded median', baseline: median(quiet) },
      { suite: SUITE, name: 'honest live edit under attack, p99.9', value: percentile(loaded, 99.9), unit: 'ms', baselineName: 'unloaded p99.9', baseline: percentile(quiet, 99.9) },
      // Per second of each phase (the unloaded one is the part before the attack).
      { suite: SUITE, name: 'relay event-loop thread: own CPU, ms per s, under attack', value: perSecond(loadedStart, loadedEnd, 'relay', 'cpuMs'), unit: 'ms', baselineName: 'unloaded', baseline: perSecond(quietStart, quietEnd, 'relay', 'cpuMs') },
      { suite: SUITE, name: 'relay event-loop thread: ready but waiting for a core, ms per s, under attack', value: perSecond(loadedStart, loadedEnd, 'relay', 'waitMs'), unit: 'ms', baselineName: 'unloaded', baseline: perSecond(quietStart, quietEnd, 'relay', 'waitMs') },
      { suite: SUITE, name: 'honest client thread: ready but waiting for a core, ms per s, under attack', value: perSecond(loadedStart, loadedEnd, 'honest', 'waitMs'), unit: 'ms', baselineName: 'unloaded', baseline: perSecond(quietStart, quietEnd, 'honest', 'waitMs') },
      { suite: SUITE, name: 'relay peak RSS (VmHWM) during the attack', value: mem.peakMB, unit: 'MB', baselineName: 'configured memory budget', baseline: budgetMB, target: '< budget', pass: mem.peakMB < budgetMB },
      { suite: SUITE, name: `relay CPU during the attack (${attackSeconds} s)`, value: relayCpu * 1000, unit: 'ms', target: 'reported' },
      { suite: SUITE, name: 'attacker process CPU (its own, same 2 cores)', value: report.cpuMs, unit: 'ms', target: 'reported' },
      // Other work on the machine moves both p99 figures; the 1-minute load average says how much there was.
      { suite: SUITE, name: 'machine load average (1 min; a count of runnable tasks), at the end', value: loadavg()[0]!, unit: 'count', baselineName: 'at the start', baseline: loadBefore },
      // At nice 19 on a machine other work keeps busy the attacker can be starved into a weaker attack; such a run
      // does not show what the full attack costs, so it says so.
      { suite: SUITE, name: 'attack at full strength: connections opened by the flood', value: report.tried['connections'] ?? 0, unit: 'count', target: '≥ 3,000', pass: (report.tried['connections'] ?? 0) >= 3_000 },
      { suite: SUITE, name: 'attacker answers that were not a clear refusal', value: unclear.reduce((n, [, v]) => n + v, 0), unit: 'count', target: '0', pass: unclear.length === 0 },
      { suite: SUITE, name: 'honest device refusals during the attack', value: honestErrors.length, unit: 'count', target: '0', pass: honestErrors.length === 0 },
    ];
    for (const [what, n] of Object.entries(report.tried)) rows.push({ suite: SUITE, name: `attacker tried: ${what}`, value: n, unit: 'count' });
    for (const [what, n] of [...refusals, ...unclear].sort()) rows.push({ suite: SUITE, name: `attacker got: ${what}`, value: n, unit: 'count' });
    return rows;
  } finally {
    await relay.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
