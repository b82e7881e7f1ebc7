/**
 * Fan-out under load: one relay process holding 1,000 authenticated devices (100 accounts × 10), while 200 of them
 * (2 per account) each upload one ~200-byte sealed update a second for 20 s. Each update is pushed live to the 9
 * other devices of its account: latency is measured from the sender's `send` to each receiver's arrival, all in
 * this one process (one clock). The relay's memory comes from /proc/PID/status, its CPU from /proc/PID/stat.
 *
 * Baseline: the same 1,000 sockets and the same frames through a plain `ws` broadcast server (ws-broadcast.node.ts).
 *
 * The bench client is one Node process driving 1,000 sockets; its CPU time, event-loop delay and send lag (actual
 * minus scheduled send time) are reported so a client-side bottleneck shows instead of being blamed on the relay.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { RelayConnection } from '../../../shared/sync/client.std.ts';
import { newKeys, sodium } from '../../support/relay-client.node.ts';
import { median, percentile, type BenchRow } from '../report.node.ts';
import { headerOf, LightSocket, pool, type DeviceKeys } from './light-client.node.ts';
import { newSealKey, smallSealedUpdate, uploadFrame } from './payloads.node.ts';
import { cpuSecondsOf, memoryOf, startMindstageRelay, startWsBroadcast, type ServerProcess } from './processes.node.ts';

export interface FanoutOptions {
  accounts: number;
  devicesPerAccount: number;
  sendersPerAccount: number;
  seconds: number;
}
export const defaultFanout: FanoutOptions = { accounts: 100, devicesPerAccount: 10, sendersPerAccount: 2, seconds: 20 };

/** deviceSeq = sender × SEQ_SPAN + n + 1 names the update from the frame header alone (gaps are allowed). */
const SEQ_SPAN = 100_000;

interface Account {
  keys: ReturnType<typeof newKeys>;
  devices: DeviceKeys[];
  docId: Uint8Array;
}

interface LoadResult {
  latencies: Float64Array;
  delivered: number;
  expected: number;
  acks: number;
  errors: Map<string, number>;
  serverPeakMB: number;
  serverIdleMB: number;
  serverCpuPerSecond: number;
  clientCpuPerSecond: number;
  clientLoopDelayP99: number;
  sendLagP99: number;
  connectMs: number;
}

function makeAccounts(o: FanoutOptions): Account[] {
  return Array.from({ length: o.accounts }, () => {
    const keys = newKeys();
    const devices = Array.from({ length: o.devicesPerAccount }, () => {
      const d = newKeys();
      return { accountId: keys.publicKey, deviceId: d.publicKey, secretKey: d.secretKey };
    });
    return { keys, devices, docId: sodium.randombytes_buf(32) };
  });
}

async function runLoad(server: ServerProcess, kind: 'relay' | 'baseline', accounts: Account[], frames: Uint8Array[][], o: FanoutOptions): Promise<LoadResult> {
  const idle = memoryOf(server.pid).rssMB;
  const t0 = performance.now();
  // Every device connects (and, on the relay, authenticates with its own key).
  const all = accounts.flatMap((a, ai) => a.devices.map((d, di) => ({ a: ai, di, d })));
  const sockets = await pool(all, 50, async ({ a, d }) => {
    const url = kind === 'relay' ? server.url : `${server.url}/account-${a}`;
    const s = await LightSocket.open(url);
    if (kind === 'relay') await s.authenticate(server.url, d);
    return s;
  });
  const connectMs = performance.now() - t0;

  const senders = accounts.length * o.sendersPerAccount;
  const sentAt = new Float64Array(senders * o.seconds);
  const expected = senders * o.seconds * (o.devicesPerAccount - 1);
  const latencies = new Float64Array(expected);
  let delivered = 0;
  let acks = 0;
  const errors = new Map<string, number>();
  const onFrame = (frame: Buffer, at: number) => {
    const h = headerOf(frame);
    if (!h) {
      acks++; // the baseline server's 1-byte acknowledgement
      return;
    }
    if (h.t === 'ack') return void acks++;
    if (h.t === 'error') return void errors.set(h.code ?? '?', (errors.get(h.code ?? '?') ?? 0) + 1);
    const seq = h.t === 'push' ? h.item?.deviceSeq : h.t === 'upload' ? h.deviceSeq : undefined;
    if (seq === undefined) return;
    const s = Math.floor((seq - 1) / SEQ_SPAN);
    const n = (seq - 1) % SEQ_SPAN;
    if (delivered < expected) latencies[delivered++] = at - sentAt[s * o.seconds + n]!;
  };
  for (const s of sockets) s.onFrame = onFrame;

  // The schedule: sender s sends its n-th update at start + n s + s/senders s, so sends are spread evenly.
  const senderSocket = (s: number) => sockets[Math.floor(s / o.sendersPerAccount) * o.devicesPerAccount + (s % o.sendersPerAccount)]!;
  const events: { at: number; s: number; n: number }[] = [];
  for (let n = 0; n < o.seconds; n++) for (let s = 0; s < senders; s++) events.push({ at: n * 1000 + (s / senders) * 1000, s, n });
  const lags: number[] = [];
  let peak = idle;
  const rssTimer = setInterval(() => (peak = Math.max(peak, memoryOf(server.pid).rssMB)), 250);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const serverCpu0 = cpuSecondsOf(server.pid);
  const start = performance.now() + 50;
  await new Promise<void>((resolve) => {
    let next = 0;
    const tick = () => {
      const now = performance.now();
      while (next < events.length && start + events[next]!.at <= now) {
        const e = events[next++]!;
        lags.push(performance.now() - (start + e.at));
        sentAt[e.s * o.seconds + e.n] = performance.now();
        senderSocket(e.s).send(frames[e.s]![e.n]!);
      }
      if (next < events.length) setTimeout(tick, Math.max(0, start + events[next]!.at - performance.now()));
      else resolve();
    };
    setTimeout(tick, 50);
  });
  const loadEnd = performance.now();
  const deadline = loadEnd + 10_000;
  while ((delivered < expected || acks < senders * o.seconds) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const wall = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const serverCpu = cpuSecondsOf(server.pid) - serverCpu0;
  loop.disable();
  clearInterval(rssTimer);
  const mem = memoryOf(server.pid);
  for (const s of sockets) s.close();
  return {
    latencies: latencies.subarray(0, delivered),
    delivered,
    expected,
    acks,
    errors,
    serverPeakMB: Math.max(peak, mem.peakMB),
    serverIdleMB: idle,
    serverCpuPerSecond: (serverCpu / wall) * 1000,
    clientCpuPerSecond: ((cpu.user + cpu.system) / 1000 / wall),
    clientLoopDelayP99: loop.percentile(99) / 1e6,
    sendLagP99: percentile(lags, 99),
    connectMs,
  };
}

export async function fanout(o: FanoutOptions = defaultFanout): Promise<BenchRow[]> {
  const SUITE = 'relay';
  const devices = o.accounts * o.devicesPerAccount;
  const senders = o.accounts * o.sendersPerAccount;
  const accounts = makeAccounts(o);
  const seal = newSealKey();
  // Pre-sealed, pre-signed frames: the client's CPU goes to sockets, not to crypto, during the timed window.
  const frames = accounts.flatMap((a, ai) =>
    Array.from({ length: o.sendersPerAccount }, (_, k) => {
      const s = ai * o.sendersPerAccount + k;
      const device = a.devices[k]!;
      return Array.from({ length: o.seconds }, (_, n) => {
        const deviceSeq = s * SEQ_SPAN + n + 1;
        return uploadFrame(device, { id: 100 + n, docId: a.docId, deviceSeq, body: smallSealedUpdate(seal, a.docId, deviceSeq) });
      });
    }),
  );

  const dataDir = mkdtempSync(join(tmpdir(), 'ms-bench-fanout-'));
  let relayResult: LoadResult;
  let baseResult: LoadResult;
  try {
    const relay = await startMindstageRelay(dataDir);
    try {
      // Each account's device list, version 1 signed by its account key: one short connection per account.
      await pool(accounts, 10, async (a) => {
        const c = await RelayConnection.connect(relay.url);
        try {
          const devices = a.devices.map((d) => d.deviceId).sort((x, y) => Buffer.compare(x, y));
          await c.setDevices({ accountId: a.keys.publicKey, version: 1, prev: new Uint8Array(64), devices, recovery: null, signer: a.keys.publicKey, sign: a.keys.sign });
        } finally {
          c.close();
        }
      });
      relayResult = await runLoad(relay, 'relay', accounts, frames, o);
    } finally {
      await relay.stop();
    }
    const base = await startWsBroadcast();
    try {
      baseResult = await runLoad(base, 'baseline', accounts, frames, o);
    } finally {
      await base.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }

  const r = relayResult;
  const b = baseResult;
  const errors = [...r.errors].map(([k, v]) => `${k}×${v}`).join(', ');
  const label = `${devices.toLocaleString('en')} devices, ${senders} sending 1/s for ${o.seconds} s`;
  const p99 = percentile([...r.latencies], 99);
  return [
    {
      suite: SUITE,
      name: `fan-out latency p99 (${label})`,
      value: p99,
      unit: 'ms',
      baselineName: 'plain ws broadcast p99',
      baseline: percentile([...b.latencies], 99),
      target: '< 250 ms',
      pass: p99 < 250 && r.delivered === r.expected,
    },
    { suite: SUITE, name: 'fan-out latency median', value: median([...r.latencies]), unit: 'ms', baselineName: 'plain ws broadcast median', baseline: median([...b.latencies]) },
    {
      suite: SUITE,
      name: `live pushes delivered${errors ? ` (refusals: ${errors})` : ''}`,
      value: r.delivered,
      unit: 'count',
      baselineName: 'plain ws broadcast',
      baseline: b.delivered,
      target: `all ${r.expected.toLocaleString('en')}, every upload acknowledged`,
      pass: r.delivered === r.expected && r.acks === senders * o.seconds && r.errors.size === 0,
    },
    {
      suite: SUITE,
      name: `relay process peak RSS (${devices.toLocaleString('en')} devices under load)`,
      value: r.serverPeakMB,
      unit: 'MB',
      baselineName: 'plain ws broadcast process',
      baseline: b.serverPeakMB,
      target: '< 500 MB',
      pass: r.serverPeakMB < 500,
    },
    { suite: SUITE, name: 'relay process RSS before connections', value: r.serverIdleMB, unit: 'MB', baselineName: 'plain ws broadcast process', baseline: b.serverIdleMB },
    { suite: SUITE, name: 'relay CPU per second of load (1000 ms = one core)', value: r.serverCpuPerSecond, unit: 'ms', baselineName: 'plain ws broadcast', baseline: b.serverCpuPerSecond },
    { suite: SUITE, name: `connect + authenticate ${devices.toLocaleString('en')} devices`, value: r.connectMs, unit: 'ms', baselineName: 'plain ws connect', baseline: b.connectMs },
    { suite: SUITE, name: 'bench client CPU per second of load (relay run)', value: r.clientCpuPerSecond, unit: 'ms', baselineName: 'baseline run', baseline: b.clientCpuPerSecond },
    { suite: SUITE, name: 'bench client send lag p99 (relay run)', value: r.sendLagP99, unit: 'ms', baselineName: 'baseline run', baseline: b.sendLagP99 },
    { suite: SUITE, name: 'bench client event-loop delay p99 (relay run)', value: r.clientLoopDelayP99, unit: 'ms', baselineName: 'baseline run', baseline: b.clientLoopDelayP99 },
  ];
}
