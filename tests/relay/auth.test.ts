/**
 * Challenge-response authentication: success, and every way it must fail (each with a clear refusal and the
 * connection closed), while the relay goes on serving everyone else.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RelayConnection, RelayError } from '../../shared/sync/client.std.ts';
import { PROTOCOL_VERSION, type RelayMessageOf } from '../../shared/sync/messages.std.ts';
import { authStatement, itemStatement } from '../../shared/sync/signing.std.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';
import { connectDevice, enrollDevice, newAccount, newKeys, randomId, type TestDevice } from '../support/relay-client.node.ts';

let relay: TestRelay;
let device: TestDevice;
beforeAll(async () => {
  relay = await startTestRelay();
  device = await enrollDevice(relay.url, newAccount());
});
afterAll(async () => {
  await relay?.close();
});

const refusal = async (p: Promise<unknown>): Promise<RelayError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof RelayError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
};

/** Opens a connection that reports when the relay closes it. */
async function open() {
  const state = { closed: false };
  const c = await RelayConnection.connect(relay.url, { onClose: () => (state.closed = true) });
  return { c, state };
}

async function hello(c: RelayConnection, d: TestDevice, protocol = PROTOCOL_VERSION) {
  return (await c.request({ t: 'hello', protocol, accountId: d.account.accountId, deviceId: d.deviceId })) as RelayMessageOf<'challenge'>;
}

describe('relay authentication', () => {
  it('admits an enrolled device that signs the challenge, and tells it the head and the relay key', async () => {
    const c = await connectDevice(relay.url, device);
    expect(c.relayKey && Buffer.from(c.relayKey).equals(Buffer.from(relay.relayKey))).toBe(true);
    expect((await c.pull(0)).head).toBe(0);
    c.close();
  });

  const failures: [string, (c: RelayConnection) => Promise<unknown>, string][] = [
    ['an unknown account', (c) => c.authenticate({ accountId: randomId(), deviceId: device.deviceId, sign: device.keys.sign }), 'unknown_account'],
    ['an unknown device', (c) => { const k = newKeys(); return c.authenticate({ accountId: device.account.accountId, deviceId: k.publicKey, sign: k.sign }); }, 'unknown_device'],
    ['a signature by another key', (c) => c.authenticate({ accountId: device.account.accountId, deviceId: device.deviceId, sign: newKeys().sign }), 'auth_failed'],
    ['a signature by the account key instead of the device key', (c) => c.authenticate({ accountId: device.account.accountId, deviceId: device.deviceId, sign: device.account.keys.sign }), 'auth_failed'],
    ['a signature made for another relay', async (c) => {
      const ch = await hello(c, device);
      const sig = device.keys.sign(authStatement({ nonce: ch.nonce, accountId: device.account.accountId, deviceId: device.deviceId, authority: 'other-relay.example:443' }));
      return c.request({ t: 'auth', sig: sig as Uint8Array });
    }, 'auth_failed'],
    ['auth without hello', (c) => c.request({ t: 'auth', sig: new Uint8Array(64) }), 'auth_failed'],
    ['an unsupported protocol version', (c) => hello(c, device, PROTOCOL_VERSION + 1), 'unsupported'],
  ];
  for (const [what, attempt, code] of failures) {
    it(`refuses ${what} and closes the connection`, async () => {
      const { c, state } = await open();
      const e = await refusal(attempt(c));
      expect(e.relayCode).toBe(code);
      expect(e.message.length).toBeGreaterThan(20);
      await expect.poll(() => state.closed).toBe(true);
    });
  }

  it('refuses a replayed challenge answer on a new connection, and a second answer on the same one', async () => {
    let captured: Uint8Array | null = null;
    const first = await RelayConnection.connect(relay.url);
    await first.authenticate({
      accountId: device.account.accountId,
      deviceId: device.deviceId,
      sign: (m) => (captured = device.keys.sign(m) as Uint8Array),
    });
    // The same answer again on the same connection: the challenge was used up.
    expect((await refusal(first.request({ t: 'auth', sig: captured! }))).relayCode).toBe('auth_failed');

    const { c, state } = await open();
    await hello(c, device);
    expect((await refusal(c.request({ t: 'auth', sig: captured! }))).relayCode).toBe('auth_failed');
    await expect.poll(() => state.closed).toBe(true);
  });

  it('refuses device operations before authentication, without closing', async () => {
    const { c, state } = await open();
    const e = await refusal(c.request({ t: 'upload', docId: randomId(), deviceId: device.deviceId, deviceSeq: 1, body: new Uint8Array(4), sig: new Uint8Array(64) }));
    expect(e.relayCode).toBe('auth_required');
    expect((await refusal(c.request({ t: 'pull', after: 0 }))).relayCode).toBe('auth_required');
    expect(state.closed).toBe(false);
    c.close();
  });

  it('refuses device-list versions not signed by a device on the current list (or, for version 1, the account key)', async () => {
    const { c } = await open();
    const k = newKeys();
    const account = device.account;
    const next = { accountId: account.accountId, version: 2, prev: account.list!.sig, devices: [device.deviceId, k.publicKey].sort((x, y) => Buffer.compare(x, y)), recovery: null };
    // A stranger, and the account key itself (it only ever signs version 1): refused.
    expect((await refusal(c.setDevices({ ...next, signer: k.publicKey, sign: k.sign }))).relayCode).toBe('auth_failed');
    expect((await refusal(c.setDevices({ ...next, signer: account.accountId, sign: account.keys.sign }))).relayCode).toBe('auth_failed');
    expect((await refusal(c.setDevices({ ...next, version: 1, prev: new Uint8Array(64), signer: account.accountId, sign: account.keys.sign }))).relayCode).toBe('auth_failed');
    // A signer on the list, but a forged signature.
    expect((await refusal(c.setDevices({ ...next, signer: device.deviceId, sign: k.sign }))).relayCode).toBe('auth_failed');
    // Version 1 of a new account must be signed by its own key.
    const other = newKeys();
    expect((await refusal(c.setDevices({ accountId: other.publicKey, version: 1, prev: new Uint8Array(64), devices: [k.publicKey], recovery: null, signer: k.publicKey, sign: k.sign }))).relayCode).toBe('auth_failed');
    c.close();
  });

  it('closes connections that never authenticate', async () => {
    const quick = await startTestRelay({ limits: { authTimeoutMs: 200 } });
    const errors: RelayError[] = [];
    let closed = false;
    await RelayConnection.connect(quick.url, { onError: (e) => errors.push(e), onClose: () => (closed = true) });
    await expect.poll(() => closed).toBe(true);
    expect(errors.map((e) => e.relayCode)).toEqual(['timeout']);
    await quick.close();
  });

  it('keeps an unauthenticated connection that is working, and closes it once it falls idle', async () => {
    const quick = await startTestRelay({ limits: { authTimeoutMs: 1_500 } });
    // The relay's timers run on a clock the test moves: on real timers, a process the machine did not schedule for
    // 1.3 s between two requests (load 8 on two cores) let the timeout fire before the relay read the next request.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let closed = false;
      const c = await RelayConnection.connect(quick.url, { onClose: () => (closed = true) });
      // Requests spread over more than twice the timeout, 250 ms apart: each one re-arms it (an answer, not a closed
      // socket).
      for (let elapsed = 0; elapsed < 4_000; elapsed += 250) {
        expect((await refusal(c.pull(0))).relayCode).toBe('auth_required');
        vi.advanceTimersByTime(250);
      }
      await new Promise((r) => setImmediate(r));
      expect(closed).toBe(false);
      vi.advanceTimersByTime(1_500);
      await expect.poll(() => closed).toBe(true);
    } finally {
      vi.useRealTimers();
    }
    await quick.close();
  });

  it('refuses a second hello on one connection, and closes it', async () => {
    const { c, state } = await open();
    await hello(c, device);
    expect((await refusal(hello(c, device))).relayCode).toBe('auth_failed');
    await expect.poll(() => state.closed).toBe(true);
  });

  it('refuses an item naming another device of the account, even signed by that device; stores nothing', async () => {
    const second = await enrollDevice(relay.url, device.account);
    const c = await connectDevice(relay.url, device);
    const head = (await c.pull(0)).head;
    const docId = randomId();
    const body = new Uint8Array(16).fill(7);
    const sig = second.keys.sign(itemStatement({ kind: 'update', accountId: device.account.accountId, docId, deviceId: second.deviceId, deviceSeq: 1, body, covers: [] })) as Uint8Array;
    const e = await refusal(c.request({ t: 'upload', docId, deviceId: second.deviceId, deviceSeq: 1, body, sig }));
    expect(e.relayCode).toBe('auth_failed');
    expect(e.message).toMatch(/name the device that authenticated/);
    expect((await c.pull(0)).head).toBe(head);
    c.close();
  });

  it('pages a pull: more is set while items remain after the page, and not on the last page', async () => {
    const small = await startTestRelay({ limits: { pullMaxItems: 2 } });
    const d = await enrollDevice(small.url, newAccount());
    const c = await connectDevice(small.url, d);
    for (let i = 1; i <= 3; i++) await c.upload({ docId: randomId(), deviceSeq: i, body: new Uint8Array(8) });
    const first = await c.pull(0);
    expect({ n: first.items.length, head: first.head, more: first.more }).toEqual({ n: 2, head: 3, more: true });
    const last = await c.pull(first.items.at(-1)!.serverSeq);
    expect({ n: last.items.length, more: last.more }).toEqual({ n: 1, more: false });
    expect(await c.pull(3)).toMatchObject({ items: [], head: 3, more: false });
    c.close();
    await small.close();
  });

  it('keeps serving after all of that', async () => {
    const other = await enrollDevice(relay.url, newAccount());
    const c = await connectDevice(relay.url, other);
    expect((await c.upload({ docId: randomId(), deviceSeq: 1, body: new Uint8Array(8) })).serverSeq).toBe(1);
    c.close();
  });
});
