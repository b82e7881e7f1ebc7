/**
 * What the relay session tells its operator (docs/sync-protocol.md, "Logs": outcomes, types and sizes, never a
 * payload): every refusal is logged with its code and the connection it ended or answered; an internal failure
 * with the error's type and a bounded message; and once a connection has ended, nothing more is done or logged
 * for it (no timer of it fires later). Logs are read as the JSON lines pino writes (the test harness keeps them).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { RelayConnection, type ConnectOptions, type SocketLike } from '../../shared/sync/client.std.ts';
import type { RelayLimits } from '../../sync-server/limits.node.ts';
import { sqliteStorage } from '../../sync-server/storage/sqlite.node.ts';
import { tempDir } from '../support/files.node.ts';
import { connectDevice, enrollDevice, newAccount, randomId, relayRefusal as refusal } from '../support/relay-client.node.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';

const relays: TestRelay[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const r of relays.splice(0)) await r.close();
});
const start = async (limits: Partial<RelayLimits>, now?: () => number) => {
  const r = await startTestRelay({ limits, ...(now ? { now } : {}) });
  relays.push(r);
  return r;
};

interface Line {
  level: number;
  msg: string;
  conn?: string;
  [k: string]: unknown;
}
const lines = (r: TestRelay): Line[] => r.logs.map((l) => JSON.parse(l) as Line);
/** The log lines of refusals, optionally of one code. */
const refusals = (r: TestRelay, code?: string) => lines(r).filter((l) => (l.msg === 'refused' && (code === undefined || l.code === code || l.outcome === code)));

/** A client with its socket reachable, so the test can send hand-made frames or stop reading. */
async function client(url: string, onClose?: () => void) {
  let ws: WebSocket | undefined;
  const options: ConnectOptions = { socket: (u) => (ws = new WebSocket(u)) as unknown as SocketLike, onError: () => undefined, ...(onClose ? { onClose } : {}) };
  const c = await RelayConnection.connect(url, options);
  return { c, ws: ws! };
}

describe('relay session: what the operator is told', () => {
  it('logs each refusal with its code and outcome, tagged with the connection', async () => {
    const r = await start({ deviceBurst: 1, deviceRatePerSecond: 0.001 }, () => 1_000_000);
    const d = await enrollDevice(r.url, newAccount());
    const dev = await connectDevice(r.url, d, { onError: () => undefined });
    await dev.pull(0);
    void dev.pull(0).catch(() => undefined); // over the device's rate: refused without an answer to the request
    await expect.poll(() => refusals(r, 'rate_limited').length).toBe(1);
    const anon = await RelayConnection.connect(r.url);
    expect((await refusal(anon.pairTake(randomId()))).relayCode).toBe('not_found');
    const [limited] = refusals(r, 'rate_limited');
    const [notFound] = refusals(r, 'not_found');
    expect(limited).toMatchObject({ outcome: 'rate_limited', conn: expect.stringMatching(/^[0-9a-f]{12}$/) });
    expect(notFound).toMatchObject({ t: 'pairTake', code: 'not_found', fatal: false, conn: expect.stringMatching(/^[0-9a-f]{12}$/) });
    expect(notFound!.conn).not.toBe(limited!.conn);
    dev.close();
    anon.close();
  });

  it('logs each handled request at debug level with its type, frame size, outcome and how long it took', async () => {
    const r = await start({});
    const dev = await connectDevice(r.url, await enrollDevice(r.url, newAccount()));
    const t0 = performance.now();
    await dev.upload({ docId: randomId(), deviceSeq: 1, body: new Uint8Array(1_000) });
    const handled = () => lines(r).filter((l) => l.msg === 'handled' && l.t === 'upload');
    await expect.poll(() => handled().length).toBe(1);
    // The relay runs in this process: its clock is this one, so its figure fits inside the time measured here.
    const elapsed = performance.now() - t0;
    const line = handled()[0]!;
    expect(line).toMatchObject({ level: 20, outcome: 'ok', conn: expect.stringMatching(/^[0-9a-f]{12}$/) });
    expect(line.bytes).toBeGreaterThan(1_000);
    expect(line.ms).toBeGreaterThanOrEqual(0);
    expect(line.ms).toBeLessThanOrEqual(Math.ceil(elapsed));
    dev.close();
  });

  it('logs an internal failure as an error with its type and message, and the refusal it answered with', async () => {
    const storage = sqliteStorage(tempDir('relay-internal-log'));
    const r = await startTestRelay({ storage });
    relays.push(r);
    const dev = await connectDevice(r.url, await enrollDevice(r.url, newAccount()));
    await storage.close();
    expect((await refusal(dev.pull(0))).relayCode).toBe('internal');
    const failure = lines(r).find((l) => l.msg === 'internal error');
    expect(failure).toMatchObject({ level: 50, t: 'pull', error: { type: 'TypeError', message: expect.stringMatching(/not open/) } });
    expect(refusals(r, 'internal')).toMatchObject([{ t: 'pull', code: 'internal', conn: failure!.conn }]);
    dev.close();
  });

  it('logs a device dropped for not reading, with how much waited for it', async () => {
    const r = await start({});
    const d = await enrollDevice(r.url, newAccount());
    const { c, ws } = await client(r.url);
    await c.authenticate({ accountId: d.account.accountId, deviceId: d.deviceId, sign: d.keys.sign });
    await c.upload({ docId: randomId(), deviceSeq: 1, body: new Uint8Array(6 * 1024 * 1024) });
    ws.pause();
    for (let i = 0; i < 16; i++) void c.pull(0).catch(() => undefined);
    await expect.poll(() => lines(r).find((l) => l.outcome === 'slow_consumer')).toMatchObject({ msg: 'dropping connection', level: 40 });
    expect(lines(r).find((l) => l.outcome === 'slow_consumer')!.buffered).toBeGreaterThan(64 * 1024 * 1024);
    ws.terminate();
  });

  it('does nothing more for a connection once it has ended: none of its timers fires later', async () => {
    const r = await start({ authTimeoutMs: 1_000, idleTimeoutMs: 2_000 });
    // The enrolment's connection ran on real timers: wait until it has ended on both sides, or a busy machine can
    // let its real auth timer (1 s) fire before the relay reads the client's close, and log a timeout the clock
    // below never caused.
    let enrolled = false;
    const d = await enrollDevice(r.url, newAccount(), { onClose: () => (enrolled = true) });
    await expect.poll(() => enrolled).toBe(true);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    // Closed by the client: one before authenticating, one after.
    let closes = 0;
    const anon = await client(r.url, () => closes++);
    expect((await refusal(anon.c.pairTake(randomId()))).relayCode).toBe('not_found');
    const dev = await client(r.url, () => closes++);
    await dev.c.authenticate({ accountId: d.account.accountId, deviceId: d.deviceId, sign: d.keys.sign });
    // Closed by the relay (a text frame is fatal) while its peer has stopped reading, so the close is never answered.
    const cut = await client(r.url);
    cut.ws.pause();
    cut.ws.send('{"t":"hello"}');
    await expect.poll(() => refusals(r, 'bad_frame').length).toBe(1);
    anon.c.close();
    dev.c.close();
    await expect.poll(() => closes).toBe(2);
    const before = refusals(r).length;
    vi.advanceTimersByTime(10_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(refusals(r).length).toBe(before);
    expect(refusals(r, 'timeout')).toEqual([]);
    cut.ws.terminate();
  });
});
