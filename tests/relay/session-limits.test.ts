/**
 * The relay session's connection plumbing (sync-server/session.node.ts up to the message handlers), as a client
 * sees it: the auth and idle timers, frame size limits, the pause of an address that spent its byte budget, the
 * slow-consumer cut-off, what happens to requests queued behind a fatal refusal, internal failures, and the
 * refusals a write can meet in storage. In-process relays; fake setTimeout where the relay waits, so nothing here
 * sleeps through a timeout.
 */
import type { Socket } from 'node:net';
import { setTimeout as realSleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { RelayError } from '../../shared/sync/client.std.ts';
import { RelayConnection, type ConnectOptions, type SocketLike } from '../../shared/sync/client.std.ts';
import { encodeFrame } from '../../shared/sync/frame.std.ts';
import { decodeRelayMessage, type RelayMessage } from '../../shared/sync/messages.std.ts';
import type { RelayLimits } from '../../sync-server/limits.node.ts';
import { sqliteStorage } from '../../sync-server/storage/sqlite.node.ts';
import { tempDir } from '../support/files.node.ts';
import { connectDevice, enrollDevice, newAccount, randomId, relayRefusal as refusal, removeFromList, type TestDevice } from '../support/relay-client.node.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';

const MiB = 1024 * 1024;
const relays: TestRelay[] = [];
const sockets: { close: () => void }[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const s of sockets.splice(0)) s.close();
  for (const r of relays.splice(0)) await r.close();
});

const start = async (limits: Partial<RelayLimits>, more: { now?: () => number; dataDir?: string } = {}) => {
  const r = await startTestRelay({ limits, ...more });
  relays.push(r);
  return r;
};
/** The relay's own timers (auth, idle, pause) run on this fake clock; sockets and vitest keep real time. */
const fakeTimers = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });

interface Watched {
  c: RelayConnection;
  ws: WebSocket;
  /** Refusals that answer no request (timeouts, pauses, revocation, frames sent by hand). */
  errors: RelayError[];
  closed: Promise<{ code: number; reason: string }>;
}
/** A protocol client whose socket the test can reach (to pause it or send hand-made frames). */
async function watched(url: string, device: TestDevice | null, localAddress = '127.0.0.1'): Promise<Watched> {
  let ws: WebSocket | undefined;
  const errors: RelayError[] = [];
  let onClose: (v: { code: number; reason: string }) => void = () => undefined;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClose = resolve));
  const options: ConnectOptions = {
    socket: (u) => (ws = new WebSocket(u, { localAddress })) as unknown as SocketLike,
    onError: (e) => errors.push(e),
    onClose: (code, reason) => onClose({ code, reason }),
  };
  const c = device ? await connectDevice(url, device, options) : await RelayConnection.connect(url, options);
  sockets.push(c);
  return { c, ws: ws!, errors, closed };
}

interface Raw {
  ws: WebSocket;
  messages: RelayMessage[];
  closed: Promise<{ code: number; reason: string }>;
}
/** A bare WebSocket that collects every frame the relay sends. */
async function raw(url: string, localAddress = '127.0.0.1'): Promise<Raw> {
  const ws = new WebSocket(url, { localAddress });
  const messages: RelayMessage[] = [];
  ws.on('message', (data) => {
    const d = decodeRelayMessage(new Uint8Array(data as Buffer));
    if (!d.ok) throw new Error(`relay sent an invalid frame: ${d.message}`);
    messages.push(d.message);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  sockets.push(ws);
  return { ws, messages, closed };
}
const errorAt = async (messages: RelayMessage[], i: number) => {
  await expect.poll(() => messages.length).toBeGreaterThan(i);
  const m = messages[i]!;
  if (m.t !== 'error') throw new Error(`expected an error frame, got ${m.t}`);
  return m;
};
/** Whether a promise has settled yet, read without waiting for it. */
const track = <T>(p: Promise<T>) => {
  const s = { settled: false, value: undefined as T | undefined };
  void p.then((v) => ((s.settled = true), (s.value = v)), () => (s.settled = true));
  return s;
};
/** A pairTake frame (sent by hand) of exactly `bytes` bytes: the mailbox blob fills it out. */
const pairTakeOf = (bytes: number, id = 900) => {
  // The header holds the blob's length, so its digits move the total: settle in a few steps.
  const of = (n: number) => encodeFrame({ t: 'pairTake', id, mailbox: new Uint8Array(n) });
  let n = bytes - of(0).length;
  let f = of(n);
  for (let i = 0; i < 4 && f.length !== bytes; i++) f = of((n += bytes - f.length));
  expect(f.length).toBe(bytes);
  return f;
};
const open = (w: Watched) => w.ws.readyState === WebSocket.OPEN;

describe('relay session: timers', () => {
  it('keeps an unauthenticated connection while it works, then closes it with a timeout refusal (1008)', async () => {
    const r = await start({ authTimeoutMs: 1_000 });
    const d = await enrollDevice(r.url, newAccount());
    fakeTimers();
    const silent = await raw(r.url);
    const anon = await watched(r.url, null);
    const dev = await watched(r.url, d);
    // Each request re-arms the timer: three spread over 2.4 s of a 1 s timeout keep it open.
    for (let i = 0; i < 3; i++) {
      vi.advanceTimersByTime(800);
      expect((await refusal(anon.c.pull(0))).relayCode).toBe('auth_required');
    }
    expect(anon.errors).toEqual([]);
    vi.advanceTimersByTime(1_000);
    expect(await anon.closed).toEqual({ code: 1008, reason: 'timeout' });
    expect(anon.errors.map((e) => [e.relayCode, e.message])).toEqual([['timeout', expect.stringMatching(/Authenticate promptly/)]]);
    // A connection that never sent anything was closed at its first timeout.
    expect(await silent.closed).toEqual({ code: 1008, reason: 'timeout' });
    expect(silent.messages).toMatchObject([{ t: 'error', code: 'timeout', fatal: true }]);
    // An authenticated connection is not on that timer.
    vi.advanceTimersByTime(5_000);
    expect((await dev.c.pull(0)).items).toEqual([]);
    expect(dev.errors).toEqual([]);
  });

  it('closes an authenticated connection only once it stops sending, and never an unauthenticated one for idling', async () => {
    const r = await start({ idleTimeoutMs: 1_000, authTimeoutMs: 5_000 });
    const d = await enrollDevice(r.url, newAccount());
    fakeTimers();
    const dev = await watched(r.url, d);
    const anon = await raw(r.url);
    anon.ws.send(encodeFrame({ t: 'pairTake', id: 1, mailbox: randomId() }));
    expect(await errorAt(anon.messages, 0)).toMatchObject({ code: 'not_found' });
    for (let i = 0; i < 3; i++) {
      vi.advanceTimersByTime(800);
      expect((await dev.c.pull(0)).items).toEqual([]);
    }
    expect(dev.errors).toEqual([]);
    // 2.4 s after its last frame, the anonymous connection is still open: only the auth timeout (5 s) applies to it.
    expect(anon.ws.readyState).toBe(WebSocket.OPEN);
    vi.advanceTimersByTime(1_000);
    expect(await dev.closed).toEqual({ code: 1008, reason: 'timeout' });
    expect(dev.errors.map((e) => [e.relayCode, e.message])).toEqual([['timeout', expect.stringMatching(/idle for too long/)]]);
    expect(anon.ws.readyState).toBe(WebSocket.OPEN);
    vi.advanceTimersByTime(3_000);
    expect(await anon.closed).toEqual({ code: 1008, reason: 'timeout' });
  });

  it('frees the account\'s connection slot when it closes a connection, without waiting for the peer to answer', async () => {
    const r = await start({ idleTimeoutMs: 1_000, maxConnectionsPerAccount: 1 });
    const d = await enrollDevice(r.url, newAccount());
    fakeTimers();
    const first = await watched(r.url, d);
    first.ws.pause(); // a peer that stops reading never answers the close
    vi.advanceTimersByTime(1_000);
    const second = await watched(r.url, d);
    expect((await second.c.pull(0)).items).toEqual([]);
    first.ws.terminate();
  });
});

describe('relay session: frames', () => {
  it('reads a frame of exactly the limit, refuses one byte more in plain words, and keeps the connection', async () => {
    const r = await start({ anonymousMaxFrameBytes: 1_024, maxFrameBytes: 4_096, maxHeaderBytes: 512 });
    const anon = await raw(r.url);
    anon.ws.send(pairTakeOf(1_024));
    // Read and decoded (the mailbox has the wrong length), not refused for its size.
    expect(await errorAt(anon.messages, 0)).toMatchObject({ code: 'bad_frame', id: 900, fatal: false });
    anon.ws.send(pairTakeOf(1_025));
    expect(await errorAt(anon.messages, 1)).toEqual({ t: 'error', id: null, code: 'too_large', fatal: false, message: 'Frame of 1025 bytes is over the limit of 1024 before authenticating.' });
    // A header over maxHeaderBytes, in a frame under the size limit: refused as too large, not read.
    anon.ws.send(encodeFrame({ t: 'pairTake', id: 901, mailbox: randomId(), padding: 'x'.repeat(600) }));
    expect(await errorAt(anon.messages, 2)).toMatchObject({ code: 'too_large', id: null, fatal: false, message: expect.stringMatching(/header of \d+ bytes/) });
    expect(anon.ws.readyState).toBe(WebSocket.OPEN);

    const dev = await watched(r.url, await enrollDevice(r.url, newAccount()));
    dev.ws.send(pairTakeOf(4_096));
    dev.ws.send(pairTakeOf(4_097));
    await expect.poll(() => dev.errors.length).toBe(2);
    expect(dev.errors.map((e) => e.relayCode)).toEqual(['bad_frame', 'too_large']);
    expect(dev.errors[1]!.message).toBe('The sync relay refused: Frame of 4097 bytes is over the limit of 4096.');
    expect((await dev.c.pull(0)).items).toEqual([]);
  });

  it('does not handle requests queued behind a fatal refusal: a pairing blob behind them stays for its owner', async () => {
    const r = await start({});
    const d = await enrollDevice(r.url, newAccount());
    const owner = await watched(r.url, d);
    const mailbox = randomId();
    const body = randomId();
    await owner.c.pairPut({ mailbox, body, ttlMs: 60_000 });
    const a = await raw(r.url);
    // One TCP write holding both frames, so the second is queued before the first is handled.
    const socket = (a.ws as unknown as { _socket: Socket })._socket;
    socket.cork();
    a.ws.send(encodeFrame({ t: 'hello', id: 1, protocol: 99, accountId: d.account.accountId, deviceId: d.deviceId }));
    a.ws.send(encodeFrame({ t: 'pairTake', id: 2, mailbox }));
    socket.uncork();
    expect(await errorAt(a.messages, 0)).toMatchObject({ id: 1, code: 'unsupported', fatal: true });
    expect(await a.closed).toEqual({ code: 1008, reason: 'unsupported' });
    expect(a.messages).toHaveLength(1);
    const taker = await watched(r.url, null);
    expect(await taker.c.pairTake(mailbox)).toEqual(body);
  });

  it('ignores frames that arrive after a fatal refusal: they cost the address none of its anonymous requests', async () => {
    const r = await start({ anonymousBurst: 3, anonymousRatePerSecond: 1 }, { now: () => 1_000_000 });
    const a = await raw(r.url);
    const socket = (a.ws as unknown as { _socket: Socket })._socket;
    socket.cork();
    a.ws.send('{"t":"hello"}'); // a text frame: refused, connection closed
    for (let i = 0; i < 5; i++) a.ws.send(encodeFrame({ t: 'pairTake', id: i + 1, mailbox: randomId() }));
    socket.uncork();
    expect(await a.closed).toEqual({ code: 1008, reason: 'bad_frame' });
    expect(a.messages).toMatchObject([{ code: 'bad_frame', fatal: true }]);
    const b = await raw(r.url);
    for (let i = 0; i < 3; i++) {
      b.ws.send(encodeFrame({ t: 'pairTake', id: i + 1, mailbox: randomId() }));
      expect(await errorAt(b.messages, i)).toMatchObject({ id: i + 1, code: 'not_found' });
    }
  });

  it('answers a request the relay failed on with an internal refusal, and keeps the connection', async () => {
    const storage = sqliteStorage(tempDir('relay-internal'));
    const r = await startTestRelay({ storage });
    relays.push(r);
    const dev = await watched(r.url, await enrollDevice(r.url, newAccount()));
    await storage.close(); // the database goes away under the relay
    for (let i = 0; i < 2; i++) {
      const e = await refusal(dev.c.pull(0));
      expect(e.relayCode).toBe('internal');
      expect(e.message).toMatch(/failed to handle this request; nothing was stored/);
    }
    expect(dev.c.isOpen).toBe(true);
    expect(open(dev)).toBe(true);
  });
});

describe('relay session: the byte budget of an address', () => {
  it('pauses an address\'s authenticated connections, says so once per pause, and reads full-size frames again after', async () => {
    let clock = 1_000_000;
    const r = await start({ addressBytesBurst: 64 * 1024, addressBytesPerSecond: 1024, badSignaturePenalty: 16, anonymousMaxFrameBytes: 16 * 1024 }, { now: () => clock });
    const d = await enrollDevice(r.url, newAccount());
    const d2 = await enrollDevice(r.url, newAccount());
    const honest = await enrollDevice(r.url, newAccount(), { socket: (u) => new WebSocket(u, { localAddress: '127.0.0.2' }) as unknown as SocketLike });
    fakeTimers();
    const c = await watched(r.url, d);
    const anon = await raw(r.url);
    // A forged item: its penalty puts the address about 70 s into debt.
    const forged = await refusal(c.c.request({ t: 'upload', docId: randomId(), deviceId: d.deviceId, deviceSeq: 1, body: new Uint8Array(8 * 1024), sig: new Uint8Array(64) }));
    expect(forged.relayCode).toBe('auth_failed');
    await expect.poll(() => c.errors.length).toBe(1);
    const wait = c.errors[0]!.retryAfterMs!;
    expect(c.errors[0]).toMatchObject({ relayCode: 'rate_limited', message: expect.stringMatching(/Too much data from your network address/) });
    expect(wait).toBeGreaterThan(60_000);
    // Paused: a request sent now is not read.
    const pull = track(c.c.pull(0));
    // Connections of the address that have not authenticated have their own limits and are not paused.
    anon.ws.send(encodeFrame({ t: 'pairTake', id: 1, mailbox: randomId() }));
    expect(await errorAt(anon.messages, 0)).toMatchObject({ code: 'not_found' });
    // Another device of the address, connected during the pause: its first frame deepens the debt (by ~2 s) and
    // pauses it too; the connection already paused is not told twice.
    const c2 = await watched(r.url, d2);
    expect((await c2.c.upload({ docId: randomId(), deviceSeq: 1, body: new Uint8Array(2_000) })).serverSeq).toBe(1);
    await expect.poll(() => c2.errors.map((e) => e.relayCode)).toEqual(['rate_limited']);
    const wait2 = c2.errors[0]!.retryAfterMs!;
    expect(wait2).toBeGreaterThan(wait + 1_000);
    expect(c.errors).toHaveLength(1);
    // The first pause's end has passed, but the pause was extended: still nothing read.
    vi.advanceTimersByTime(wait + 10);
    await realSleep(300);
    expect(pull.settled).toBe(false);
    clock += wait2;
    vi.advanceTimersByTime(wait2 - wait);
    await expect.poll(() => pull.settled).toBe(true);
    expect(pull.value).toMatchObject({ t: 'items' });
    // Resumed with full-size frames: 200 kB (over three times the anonymous limit) is read, slowed by a second
    // pause, announced again, and stored.
    const big = track(c.c.upload({ docId: randomId(), deviceSeq: 2, body: new Uint8Array(200 * 1024) }));
    await expect.poll(() => c.errors.length).toBe(2);
    // The budget (64 kB) is smaller than the frame: each socket read past it pauses again, each pause announced.
    for (let seen = 1; !big.settled; ) {
      await expect.poll(() => big.settled || c.errors.length > seen).toBe(true);
      if (big.settled) break;
      const e = c.errors[seen++]!;
      expect(e).toMatchObject({ relayCode: 'rate_limited', message: expect.stringMatching(/Too much data/) });
      clock += e.retryAfterMs!;
      vi.advanceTimersByTime(e.retryAfterMs!);
    }
    expect(big.value).toMatchObject({ t: 'ack', serverSeq: 1 });
    // Another address was never slowed.
    const h = await watched(r.url, honest, '127.0.0.2');
    expect((await h.c.upload({ docId: randomId(), deviceSeq: 1, body: new Uint8Array(4_000) })).serverSeq).toBe(1);
    expect(h.errors).toEqual([]);
  });

  it('does not charge bytes sent before authenticating to the address\'s budget', async () => {
    const r = await start({ addressBytesBurst: 16 * 1024, addressBytesPerSecond: 1024 }, { now: () => 1_000_000 });
    const dev = await watched(r.url, await enrollDevice(r.url, newAccount()));
    const anon = await raw(r.url);
    for (let i = 0; i < 4; i++) anon.ws.send(pairTakeOf(6_000, i));
    await expect.poll(() => anon.messages.length).toBe(4);
    expect((await dev.c.pull(0)).items).toEqual([]);
    expect(dev.errors).toEqual([]);
  });
});

describe('relay session: slow consumers', () => {
  it('delivers pipelined large answers, and drops a device that stops reading once 64 MiB wait for it (1013)', async () => {
    const r = await start({});
    const dev = await watched(r.url, await enrollDevice(r.url, newAccount()));
    await dev.c.upload({ docId: randomId(), deviceSeq: 1, body: new Uint8Array(6 * MiB) });
    // Reading normally, several MiB waiting in the socket at once is normal.
    const answers = await Promise.all([0, 1, 2].map(() => dev.c.pull(0)));
    expect(answers.map((a) => a.items.length)).toEqual([1, 1, 1]);
    dev.ws.pause();
    const outcomes = Array.from({ length: 16 }, () => dev.c.pull(0).then(() => 'answered', (e: RelayError) => e.relayCode));
    await expect.poll(() => r.logs.some((l) => l.includes('slow_consumer'))).toBe(true);
    dev.ws.resume();
    expect(await dev.closed).toEqual({ code: 1013, reason: 'slow consumer' });
    const got = await Promise.all(outcomes);
    expect(got).toContain('answered');
    expect(got).toContain('closed');
    expect(got.filter((o) => o === 'answered').length).toBeLessThan(16);
  });
});

describe('relay session: write refusals from storage', () => {
  it('refuses replays, conflicts and writes to deleted documents in plain words, and keeps the connection', async () => {
    const r = await start({});
    const dev = await watched(r.url, await enrollDevice(r.url, newAccount()));
    const doc = randomId();
    await dev.c.upload({ docId: doc, deviceSeq: 2, body: new Uint8Array([1]) });
    const replay = await refusal(dev.c.upload({ docId: randomId(), deviceSeq: 1, body: new Uint8Array([2]) }));
    expect([replay.relayCode, replay.message]).toEqual(['replay', expect.stringMatching(/already used a higher sequence number/)]);
    const conflict = await refusal(dev.c.upload({ docId: doc, deviceSeq: 2, body: new Uint8Array([3]) }));
    expect([conflict.relayCode, conflict.message]).toEqual(['conflict', expect.stringMatching(/different content under this sequence number/)]);
    await dev.c.tombstone({ docId: doc, deviceSeq: 3 });
    const deleted = await refusal(dev.c.upload({ docId: doc, deviceSeq: 4, body: new Uint8Array([4]) }));
    expect([deleted.relayCode, deleted.message]).toEqual(['deleted', expect.stringMatching(/document was deleted/)]);
    expect(open(dev)).toBe(true);
    expect((await dev.c.pull(0)).items.map((i) => i.kind)).toEqual(['tombstone']);
  });

  it('refuses a snapshot that does not fit the account in plain words, and keeps the connection', async () => {
    const r = await start({ maxBytesPerAccount: 1_000 });
    const d = await enrollDevice(r.url, newAccount());
    const dev = await watched(r.url, d);
    const doc = randomId();
    await dev.c.upload({ docId: doc, deviceSeq: 1, body: new Uint8Array(800) });
    // A snapshot passes the cheap check (it may free space); storage finds it frees nothing and refuses it.
    const e = await refusal(dev.c.snapshot({ docId: doc, deviceSeq: 2, body: new Uint8Array(900), covers: [{ deviceId: d.deviceId, from: 5, to: 5 }] }));
    expect([e.relayCode, e.message]).toEqual(['quota', expect.stringMatching(/used all the storage this relay allows/)]);
    expect(open(dev)).toBe(true);
    expect((await dev.c.pull(0)).items.map((i) => i.body?.length)).toEqual([800]);
  });

  it('refuses a device no longer in an account made again under the same id (another relay swept it), and closes', async () => {
    const DAY = 24 * 3600_000;
    let clock = Date.UTC(2026, 0, 1);
    const a = await start({ retentionMs: 30 * DAY }, { now: () => clock });
    const b = await start({ retentionMs: 30 * DAY }, { now: () => clock, dataDir: a.dataDir });
    const account = newAccount();
    const old = await enrollDevice(a.url, account);
    const onB = await watched(b.url, old);
    clock += 31 * DAY;
    expect(await a.sweep()).toMatchObject({ accounts: 1 });
    account.list = null;
    account.members = [];
    await enrollDevice(a.url, account);
    const e = await refusal(onB.c.upload({ docId: randomId(), deviceSeq: 1, body: new Uint8Array(10) }));
    expect([e.relayCode, e.message]).toEqual(['unknown_device', expect.stringMatching(/not enrolled in the account/)]);
    expect(await onB.closed).toEqual({ code: 1008, reason: 'unknown_device' });
  });

  it('tells a device whose account was swept while connected that it is gone, and closes the connection', async () => {
    const DAY = 24 * 3600_000;
    let clock = Date.UTC(2026, 0, 1);
    const r = await start({ retentionMs: 30 * DAY }, { now: () => clock });
    const dev = await watched(r.url, await enrollDevice(r.url, newAccount()));
    clock += 31 * DAY;
    expect(await r.sweep()).toMatchObject({ accounts: 1 });
    const e = await refusal(dev.c.upload({ docId: randomId(), deviceSeq: 1, body: new Uint8Array(10) }));
    expect([e.relayCode, e.message]).toEqual(['unknown_account', expect.stringMatching(/does not exist on this relay \(any more\)/)]);
    expect(await dev.closed).toEqual({ code: 1008, reason: 'unknown_account' });
  });

  it('cuts off a removed device: live on the relay that took the new list, at its next write on another sharing the storage', async () => {
    const a = await start({});
    const b = await start({}, { dataDir: a.dataDir });
    const account = newAccount();
    const d1 = await enrollDevice(a.url, account);
    const d2 = await enrollDevice(a.url, account);
    const onA = await watched(a.url, d2);
    const onB = await watched(b.url, d2);
    await removeFromList(a.url, account, d2.deviceId, d1.keys);
    expect(await onA.closed).toEqual({ code: 1008, reason: 'revoked' });
    expect(onA.errors.map((e) => [e.relayCode, e.message])).toEqual([['revoked', expect.stringMatching(/removed from the account/)]]);
    // Relay b shares the database but not a's live events (SQLite): its connection learns at the write.
    const e = await refusal(onB.c.upload({ docId: randomId(), deviceSeq: 1, body: new Uint8Array(10) }));
    expect([e.relayCode, e.message]).toEqual(['revoked', expect.stringMatching(/removed from the account/)]);
    expect(await onB.closed).toEqual({ code: 1008, reason: 'revoked' });
    const c1 = await connectDevice(a.url, d1);
    sockets.push(c1);
    expect((await c1.pull(0)).items).toEqual([]);
  });
});
