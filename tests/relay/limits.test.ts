/**
 * Limits: request rate per device (token bucket), connections per account, storage per account, and the
 * retention sweep that deletes accounts inactive for longer than the configured period; pairing mailboxes expire.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RelayConnection, RelayError } from '../../shared/sync/client.std.ts';
import { defaultLimits } from '../../sync-server/limits.node.ts';
import { connectDevice, enrollDevice, newAccount, randomId } from '../support/relay-client.node.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';

const refusal = async (p: Promise<unknown>): Promise<RelayError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof RelayError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
};

let relay: TestRelay | null = null;
afterEach(async () => {
  await relay?.close();
  relay = null;
});

describe('relay limits', () => {
  it('defaults to two years of retention', () => {
    expect(defaultLimits.retentionMs).toBe(2 * 365 * 24 * 3600_000);
  });

  it('rate-limits each device with a token bucket, across its connections, and says when to retry', async () => {
    let clock = 1_000_000;
    relay = await startTestRelay({ now: () => clock, limits: { deviceBurst: 5, deviceRatePerSecond: 2 } });
    const d = await enrollDevice(relay.url, newAccount());
    const errors: RelayError[] = [];
    const c1 = await connectDevice(relay.url, d, { onError: (e) => errors.push(e) });
    const c2 = await connectDevice(relay.url, d, { onError: (e) => errors.push(e) });
    // Rate-limited frames are answered without a request id (their pulls never settle), so fire, and wait until each
    // of the eight frames has had its answer: a result or an error. Then count (a fixed wait instead would count an
    // answer that a busy machine delivered late as a refusal).
    let ok = 0;
    for (let i = 0; i < 8; i++) void (i % 2 ? c1 : c2).pull(0).then(() => ok++, () => {}); // the refused never settle, or reject at close
    await expect.poll(() => ok + errors.length).toBe(8);
    expect(ok).toBe(5);
    expect(errors.map((e) => e.relayCode)).toEqual(['rate_limited', 'rate_limited', 'rate_limited']);
    expect(errors[0]!.retryAfterMs).toBe(500);
    expect(c1.isOpen && c2.isOpen).toBe(true);
    clock += 1_000; // two tokens later
    await c1.pull(0);
    await c2.pull(0);
    await expect(Promise.race([c1.pull(0), new Promise((_, rej) => setTimeout(() => rej(new Error('no answer')), 500))])).rejects.toThrow('no answer');
    c1.close();
    c2.close();
  });

  it('limits connections per account', async () => {
    relay = await startTestRelay({ limits: { maxConnectionsPerAccount: 2 } });
    const account = newAccount();
    const d1 = await enrollDevice(relay.url, account);
    const d2 = await enrollDevice(relay.url, account);
    const a = await connectDevice(relay.url, d1);
    const b = await connectDevice(relay.url, d2);
    const third = await RelayConnection.connect(relay.url);
    const e = await refusal(third.authenticate({ accountId: account.accountId, deviceId: d1.deviceId, sign: d1.keys.sign }));
    expect(e.relayCode).toBe('too_many_connections');
    // Another account is not affected, and closing one connection makes room.
    const other = await connectDevice(relay.url, await enrollDevice(relay.url, newAccount()));
    a.close();
    await expect.poll(async () => {
      try {
        (await connectDevice(relay!.url, d1)).close();
        return true;
      } catch {
        return false;
      }
    }).toBe(true);
    b.close();
    other.close();
  });

  it('limits storage per account, and a snapshot that frees space is allowed', async () => {
    relay = await startTestRelay({ limits: { maxBytesPerAccount: 1_000 } });
    const d = await enrollDevice(relay.url, newAccount());
    const c = await connectDevice(relay.url, d);
    const doc = randomId();
    await c.upload({ docId: doc, deviceSeq: 1, body: new Uint8Array(800) });
    const e = await refusal(c.upload({ docId: doc, deviceSeq: 2, body: new Uint8Array(300) }));
    expect(e.relayCode).toBe('quota');
    expect(e.message).toMatch(/storage/);
    await c.snapshot({ docId: doc, deviceSeq: 2, body: new Uint8Array(900), covers: [{ deviceId: d.deviceId, from: 1, to: 1 }] });
    expect((await c.pullAll(0)).items.map((i) => i.kind)).toEqual(['snapshot']);
    c.close();
  });

  it('sweeps accounts inactive for longer than the retention period, and keeps active ones', async () => {
    const DAY = 24 * 3600_000;
    let clock = Date.UTC(2026, 0, 1);
    relay = await startTestRelay({ now: () => clock, limits: { retentionMs: 30 * DAY } });
    const idle = await enrollDevice(relay.url, newAccount());
    const active = await enrollDevice(relay.url, newAccount());
    const ci = await connectDevice(relay.url, idle);
    await ci.upload({ docId: randomId(), deviceSeq: 1, body: new Uint8Array(10) });
    ci.close();
    clock += 20 * DAY;
    (await connectDevice(relay.url, active)).close(); // authenticating counts as activity
    clock += 15 * DAY;
    expect(await relay.sweep()).toMatchObject({ accounts: 1 });
    const gone = await RelayConnection.connect(relay.url);
    expect((await refusal(gone.authenticate({ accountId: idle.account.accountId, deviceId: idle.deviceId, sign: idle.keys.sign }))).relayCode).toBe('unknown_account');
    (await connectDevice(relay.url, active)).close();
  });

  it('lets pairing mailboxes expire', async () => {
    let clock = 5_000_000;
    relay = await startTestRelay({ now: () => clock });
    const d = await enrollDevice(relay.url, newAccount());
    const c = await connectDevice(relay.url, d);
    const mailbox = randomId();
    await c.pairPut({ mailbox, body: new Uint8Array(40), ttlMs: 60_000 });
    clock += 61_000;
    const taker = await RelayConnection.connect(relay.url);
    expect((await refusal(taker.pairTake(mailbox))).relayCode).toBe('not_found');
    c.close();
    taker.close();
  });
});
