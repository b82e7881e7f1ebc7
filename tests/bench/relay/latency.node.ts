/**
 * Live edit latency, device → relay → device: two authenticated devices of one account on loopback, each with the
 * real protocol client (RelayConnection). A uploads a ~200-byte sealed update (signing it as it sends); the clock
 * stops when B has received the live push, checked A's signature and opened the envelope — what a device must do
 * before it may apply anything. One update at a time (the next waits for the push and for A's acknowledgement).
 *
 * Baseline: the same bytes from one WebSocket to another through a plain `ws` broadcast server, same sockets
 * (Node's WebSocket), same loopback, same run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDevice, enrollDevice, newAccount, randomId } from '../../support/relay-client.node.ts';
import { median, percentile, type BenchRow } from '../report.node.ts';
import { checkedPush, newSealKey, smallSealedUpdate } from './payloads.node.ts';
import { startMindstageRelay, startWsBroadcast } from './processes.node.ts';

const SUITE = 'relay';

async function relayRoundTrips(samples: number, warmup: number): Promise<{ push: number[]; ack: number[]; bytes: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ms-bench-latency-'));
  const relay = await startMindstageRelay(dataDir);
  try {
    const account = newAccount();
    const a = await enrollDevice(relay.url, account);
    const b = await enrollDevice(relay.url, account);
    const seal = newSealKey();
    const docId = randomId();
    let arrived: ((at: number) => void) | null = null;
    const onPush = checkedPush(account.accountId, seal, (at) => arrived?.(at));
    const ca = await connectDevice(relay.url, a);
    const cb = await connectDevice(relay.url, b, { onPush });
    const push: number[] = [];
    const ack: number[] = [];
    let bytes = 0;
    for (let i = 0; i < warmup + samples; i++) {
      const deviceSeq = i + 1;
      const body = smallSealedUpdate(seal, docId, deviceSeq);
      bytes = body.length;
      const got = new Promise<number>((resolve) => (arrived = resolve));
      const t = performance.now();
      const acked = ca.upload({ docId, deviceSeq, body }).then(() => performance.now());
      const [pushedAt, ackedAt] = await Promise.all([got, acked]);
      if (i >= warmup) {
        push.push(pushedAt - t);
        ack.push(ackedAt - t);
      }
    }
    ca.close();
    cb.close();
    return { push, ack, bytes };
  } finally {
    await relay.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function baselineRoundTrips(samples: number, warmup: number): Promise<{ push: number[]; ack: number[] }> {
  const server = await startWsBroadcast();
  try {
    const open = (url: string) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(url);
        ws.binaryType = 'arraybuffer';
        ws.onopen = () => resolve(ws);
        ws.onerror = () => reject(new Error('baseline socket failed'));
      });
    const wa = await open(`${server.url}/room`);
    const wb = await open(`${server.url}/room`);
    const seal = newSealKey();
    const docId = randomId();
    let arrived: ((at: number) => void) | null = null;
    let acked: ((at: number) => void) | null = null;
    wb.onmessage = () => arrived?.(performance.now());
    wa.onmessage = () => acked?.(performance.now());
    const push: number[] = [];
    const ack: number[] = [];
    for (let i = 0; i < warmup + samples; i++) {
      const body = smallSealedUpdate(seal, docId, i + 1);
      const got = new Promise<number>((resolve) => (arrived = resolve));
      const ok = new Promise<number>((resolve) => (acked = resolve));
      const t = performance.now();
      wa.send(body as Uint8Array<ArrayBuffer>);
      const [pushedAt, ackedAt] = await Promise.all([got, ok]);
      if (i >= warmup) {
        push.push(pushedAt - t);
        ack.push(ackedAt - t);
      }
    }
    wa.close();
    wb.close();
    return { push, ack };
  } finally {
    await server.stop();
  }
}

export async function latency(samples = 500, warmup = 30): Promise<BenchRow[]> {
  const relay = await relayRoundTrips(samples, warmup);
  const base = await baselineRoundTrips(samples, warmup);
  const m = median(relay.push);
  return [
    {
      suite: SUITE,
      name: `live edit latency A → relay → B, median (${relay.bytes}-byte sealed update, ${samples} edits)`,
      value: m,
      unit: 'ms',
      baselineName: 'plain ws broadcast',
      baseline: median(base.push),
      target: '< 50 ms',
      pass: m < 50,
    },
    { suite: SUITE, name: 'live edit latency A → relay → B, p99', value: percentile(relay.push, 99), unit: 'ms', baselineName: 'plain ws broadcast p99', baseline: percentile(base.push, 99) },
    { suite: SUITE, name: 'upload acknowledged (stored, fsync), median', value: median(relay.ack), unit: 'ms', baselineName: 'plain ws ack', baseline: median(base.ack) },
  ];
}
