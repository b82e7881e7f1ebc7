/**
 * The limits a relay on the public internet needs (issue 15): each test shows the refusal happening with a clear
 * error, and an honest client — from another address where the limit is per address — still working. Addresses:
 * the "attacker" connects from 127.0.0.1, the honest party from 127.0.0.2 (see fromAddress).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RelayConnection, RelayError } from '../../shared/sync/client.std.ts';
import { encodeFrame } from '../../shared/sync/frame.std.ts';
import { decodeRelayMessage, type RelayMessage } from '../../shared/sync/messages.std.ts';
import { addressKey } from '../../sync-server/guard.node.ts';
import type { RelayLimits } from '../../sync-server/limits.node.ts';
import { connectDevice, enrollDevice, fromAddress, newAccount, randomId, relayRefusal } from '../support/relay-client.node.ts';
import { startTestRelay, testAddressLimits, type TestRelay } from '../support/relay-harness.node.ts';

const honest = fromAddress('127.0.0.2');

let relay: TestRelay | null = null;
const open: { close: () => void }[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  await relay?.close();
  relay = null;
});

/** A relay with production per-address limits except those given (the harness lifts them for other tests). */
const start = async (limits: Partial<RelayLimits>, now?: () => number) => {
  const production = Object.fromEntries(Object.keys(testAddressLimits).map((k) => [k, undefined]));
  const defaults = (await import('../../sync-server/limits.node.ts')).defaultLimits;
  const restored = Object.fromEntries(Object.keys(production).map((k) => [k, defaults[k as keyof RelayLimits]]));
  relay = await startTestRelay({ limits: { ...restored, ...limits }, ...(now ? { now } : {}) });
  return relay;
};

const refusal = relayRefusal;

interface Raw {
  ws: WebSocket;
  messages: RelayMessage[];
  closed: Promise<number>;
}
async function raw(url: string, localAddress = '127.0.0.1'): Promise<Raw> {
  const ws = new WebSocket(url, { localAddress });
  const messages: RelayMessage[] = [];
  ws.on('message', (data) => {
    const d = decodeRelayMessage(new Uint8Array(data as Buffer));
    if (d.ok) messages.push(d.message);
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  open.push(ws);
  return { ws, messages, closed };
}
const firstError = async (r: Raw) => {
  await expect.poll(() => r.messages.length).toBeGreaterThan(0);
  const m = r.messages[0]!;
  if (m.t !== 'error') throw new Error(`expected an error frame, got ${m.t}`);
  return m;
};

/** The honest party: a fresh account from 127.0.0.2 that uploads and reads back. */
async function honestSync(url: string) {
  const d = await enrollDevice(url, newAccount(), honest);
  const c = await connectDevice(url, d, honest);
  open.push(c);
  await c.upload({ docId: randomId(), deviceSeq: 1, body: new Uint8Array(100) });
  expect((await c.pullAll(0)).items).toHaveLength(1);
  c.close();
}

describe('public relay limits', () => {
  it('counts IPv4 addresses singly and IPv6 by /64', () => {
    expect(addressKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(addressKey('2001:db8:0:1:aaaa::1')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:db8::1')).toBe(addressKey('2001:0db8:0000:0000:ffff::2'));
    expect(addressKey('2001:db8:0:2::1')).not.toBe(addressKey('2001:db8:0:1::1'));
  });

  it('limits connections per address with a clear refusal; other addresses still connect', async () => {
    const r = await start({ maxConnectionsPerAddress: 3 });
    for (let i = 0; i < 3; i++) await raw(r.url);
    const fourth = await raw(r.url);
    expect(await firstError(fourth)).toMatchObject({ code: 'too_many_connections', fatal: true, message: expect.stringMatching(/your network address/) });
    expect(await fourth.closed).toBe(1008);
    // The protocol client fails the waiting request with that refusal (not a bare "connection closed"), so the app
    // can say why; before, an unsolicited fatal error reached only onError and the request saw the close.
    const e = await refusal(RelayConnection.connect(r.url).then((c) => (open.push(c), c.pairTake(randomId()))));
    expect(e.relayCode).toBe('too_many_connections');
    expect(e.message).toMatch(/your network address/);
    await honestSync(r.url);
  });

  it('limits connections in total', async () => {
    const r = await start({ maxConnections: 2 });
    await raw(r.url);
    await raw(r.url, '127.0.0.3');
    const third = await raw(r.url, '127.0.0.4');
    expect(await firstError(third)).toMatchObject({ code: 'too_many_connections', message: expect.stringMatching(/too busy for more connections/) });
    // Plain HTTP over the limit gets a JSON answer, not a silent drop.
    const res = await fetch(`${r.url.replace('ws:', 'http:')}/health`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: 'too_many_connections' });
  });

  it('closes half-sent HTTP requests and silent sockets', async () => {
    const r = await start({ headersTimeoutMs: 500 });
    const port = Number(new URL(r.url).port);
    const connect = () =>
      new Promise<Socket>((resolve, reject) => {
        const s = netConnect({ host: '127.0.0.1', port }, () => resolve(s));
        s.once('error', reject);
      });
    const half = await connect();
    half.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    const silent = await connect();
    // resume(): read (and drop) the relay's 408 so the socket can reach its end.
    const ended = (s: Socket) => new Promise<void>((resolve) => s.resume().once('close', () => resolve()));
    await Promise.all([ended(half), ended(silent)]);
    await honestSync(r.url);
  });

  it('keeps the anonymous rate limit per address across reconnects', async () => {
    const clock = 1_000_000;
    const r = await start({ anonymousBurst: 3, anonymousRatePerSecond: 1 }, () => clock);
    for (let i = 0; i < 3; i++) {
      const c = await raw(r.url);
      c.ws.send(encodeFrame({ t: 'pairTake', id: 1, mailbox: randomId() }));
      expect(await firstError(c)).toMatchObject({ code: 'not_found' });
      c.ws.close();
    }
    const again = await raw(r.url);
    again.ws.send(encodeFrame({ t: 'pairTake', id: 1, mailbox: randomId() }));
    expect(await firstError(again)).toMatchObject({ code: 'rate_limited', retryAfterMs: 1000, message: expect.stringMatching(/slow down/) });
    await honestSync(r.url);
  });

  it('limits new accounts per address per hour; more devices for an existing account still enrol', async () => {
    let clock = 1_000_000;
    const r = await start({ newAccountsPerAddressPerHour: 2 }, () => clock);
    const first = newAccount();
    await enrollDevice(r.url, first);
    await enrollDevice(r.url, newAccount());
    const e = await refusal(enrollDevice(r.url, newAccount()));
    expect(e.relayCode).toBe('rate_limited');
    expect(e.message).toMatch(/Too many new accounts .* from your network address/);
    expect(e.retryAfterMs).toBeGreaterThan(0);
    await enrollDevice(r.url, first); // a second device of an account that exists is not a new account
    await honestSync(r.url);
    clock += 3600_000;
    await enrollDevice(r.url, newAccount());
  });

  it('limits storage in total, refusing the update before checking its signature', async () => {
    const r = await start({ maxBytesTotal: 2_000 });
    const a = await connectDevice(r.url, await enrollDevice(r.url, newAccount()));
    open.push(a);
    await a.upload({ docId: randomId(), deviceSeq: 1, body: new Uint8Array(1_500) });
    const b = await enrollDevice(r.url, newAccount(), honest);
    const cb = await connectDevice(r.url, b, honest);
    open.push(cb);
    // A garbage signature, yet the answer is quota: the cheap check ran first and nothing was hashed.
    const full = await refusal(cb.request({ t: 'upload', docId: randomId(), deviceId: b.deviceId, deviceSeq: 1, body: new Uint8Array(600), sig: new Uint8Array(64) }));
    expect(full.relayCode).toBe('quota');
    expect(full.message).toMatch(/relay is full/);
    await cb.upload({ docId: randomId(), deviceSeq: 2, body: new Uint8Array(500) });
    expect((await refusal(enrollDevice(r.url, newAccount(), honest))).relayCode).toBe('quota');
  });

  it('gates new accounts behind invite tokens when configured', async () => {
    const r = await start({ inviteTokens: ['friends-of-the-relay'] });
    const account = newAccount();
    const e = await refusal(enrollDevice(r.url, account));
    expect(e.relayCode).toBe('invite_required');
    expect(e.message).toMatch(/invite/);
    expect((await refusal(enrollDevice(`${r.url}/?invite=wrong`, account))).relayCode).toBe('invite_required');
    const d = await enrollDevice(`${r.url}/?invite=friends-of-the-relay`, account);
    await enrollDevice(r.url, account); // the account exists: its next device needs no invite
    const c = await connectDevice(r.url, d);
    open.push(c);
    await c.upload({ docId: randomId(), deviceSeq: 1, body: new Uint8Array(10) });
  });

  it('reads only small frames before authentication, full-size ones after', async () => {
    const r = await start({ anonymousMaxFrameBytes: 1_024, maxFrameBytes: 64 * 1024 });
    const anon = await raw(r.url);
    anon.ws.send(encodeFrame({ t: 'pairTake', id: 1, mailbox: new Uint8Array(2_000) }));
    expect(await firstError(anon)).toMatchObject({ code: 'too_large', message: expect.stringMatching(/before authenticating/) });
    const far = await raw(r.url);
    far.ws.send(Buffer.alloc(256 * 1024)); // far over: cut at the socket layer without being read
    expect(await far.closed).toBe(1009);
    const c = await connectDevice(r.url, await enrollDevice(r.url, newAccount()));
    open.push(c);
    await c.upload({ docId: randomId(), deviceSeq: 1, body: new Uint8Array(32 * 1024) });
  });

  it('makes forged bodies expensive for their sender: its address is throttled, others are not', async () => {
    const r = await start({ addressBytesBurst: 256 * 1024, addressBytesPerSecond: 1024, badSignaturePenalty: 16 });
    const d = await enrollDevice(r.url, newAccount());
    const errors: RelayError[] = [];
    const c = await connectDevice(r.url, d, { onError: (e) => errors.push(e) });
    open.push(c);
    await c.upload({ docId: randomId(), deviceSeq: 1, body: new Uint8Array(1_000) });
    const forged = await refusal(c.request({ t: 'upload', docId: randomId(), deviceId: d.deviceId, deviceSeq: 2, body: new Uint8Array(20_000), sig: new Uint8Array(64) }));
    expect(forged.relayCode).toBe('auth_failed');
    // 16 × 20 kB is over the address's budget: its next frame is refused unread, with a time to come back.
    void c.upload({ docId: randomId(), deviceSeq: 3, body: new Uint8Array(10) }).catch(() => undefined);
    await expect.poll(() => errors.map((e) => e.relayCode)).toContain('rate_limited');
    expect(errors[0]!.retryAfterMs).toBeGreaterThan(1_000);
    expect(errors[0]!.message).toMatch(/Too much data from your network address/);
    await honestSync(r.url);
  });

  it('counts an address\'s bytes as they arrive: a frame larger than the budget left is slowed mid-frame, then stored', async () => {
    const r = await start({ addressBytesBurst: 256 * 1024, addressBytesPerSecond: 1024 * 1024 });
    const d = await enrollDevice(r.url, newAccount());
    const errors: RelayError[] = [];
    const c = await connectDevice(r.url, d, { onError: (e) => errors.push(e) });
    open.push(c);
    // 1.5 MB against 256 kB left: the socket stops being read once the budget is spent and resumes as it refills.
    const ack = await c.upload({ docId: randomId(), deviceSeq: 1, body: new Uint8Array(1_500_000) });
    expect(ack.serverSeq).toBe(1);
    expect(errors.map((e) => e.relayCode)).toContain('rate_limited');
    expect(errors.find((e) => e.relayCode === 'rate_limited')!.message).toMatch(/Too much data from your network address/);
  });

  it('refuses a large frame already read when its address is paying for a forged one, before verifying it', async () => {
    // A forged 2 MB body and a 70 kB one right behind it: both are read while the address has budget; the first is
    // verified (off the event loop) and its penalty puts the address in debt, so the second is answered rate_limited
    // unhashed.
    const r = await start({ addressBytesBurst: 4 * 1024 * 1024, addressBytesPerSecond: 1024, badSignaturePenalty: 16 });
    const d = await enrollDevice(r.url, newAccount());
    const c = await connectDevice(r.url, d, { onError: () => undefined });
    open.push(c);
    const forged = (seq: number, bytes: number) => refusal(c.request({ t: 'upload', docId: randomId(), deviceId: d.deviceId, deviceSeq: seq, body: new Uint8Array(bytes), sig: new Uint8Array(64).fill(seq) }));
    const [first, second] = await Promise.all([forged(1, 2_000_000), forged(2, 70_000)]);
    expect(first.relayCode).toBe('auth_failed');
    expect(second.relayCode).toBe('rate_limited');
    expect(second.retryAfterMs).toBeGreaterThan(1_000);
    expect(second.message).toMatch(/Too much data from your network address/);
    await honestSync(r.url);
  });

  it('closes an authenticated connection that stays idle', async () => {
    const r = await start({ idleTimeoutMs: 300 });
    const errors: RelayError[] = [];
    let closed = false;
    const c = await connectDevice(r.url, await enrollDevice(r.url, newAccount()), { onError: (e) => errors.push(e), onClose: () => (closed = true) });
    await expect.poll(() => closed).toBe(true);
    expect(errors.map((e) => e.relayCode)).toEqual(['timeout']);
    expect(errors[0]!.message).toMatch(/idle for too long/);
    c.close();
  });

  it('turns every limit into the app error shape, in plain words without protocol codes', () => {
    for (const code of ['rate_limited', 'too_many_connections', 'quota', 'invite_required', 'too_large', 'timeout'] as const) {
      const e = new RelayError(code, 'Too many connections from your network address.');
      expect(['network', 'usage']).toContain(e.code);
      expect(e.message).not.toContain(code);
    }
  });
});
