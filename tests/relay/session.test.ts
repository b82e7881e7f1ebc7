/**
 * The relay session's handlers (sync-server/session.node.ts), in process on memory storage with real keys: each
 * refusal's code, its plain words and whether it ends the connection (a fatal refusal closes it; any other leaves it
 * answering); a device's standing checked again between hello and auth; the recovery authority's narrow rights;
 * pull pages; pairing; the hourly activity mark; and what a connected device meets when another relay instance
 * sharing the storage removed its device or wiped its account before the notice arrived (written straight to the
 * storage, as that instance would).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectOptions, RelayConnection, RelayError } from '../../shared/sync/client.std.ts';
import { PROTOCOL_VERSION, type DeviceList, type RelayMessageOf } from '../../shared/sync/messages.std.ts';
import { authStatement, deviceListStatement, enrollStatement, itemStatement, relayAuthority, wipeStatement } from '../../shared/sync/signing.std.ts';
import { relayIdentity } from '../../sync-server/crypto.node.ts';
import type { RelayLimits } from '../../sync-server/limits.node.ts';
import { memoryStorage } from '../../sync-server/storage/memory.node.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';
import { enrollDevice, newAccount, newKeys, pushCollector, randomId, relayRefusal, removeFromList, type KeyPair, type TestAccount, type TestDevice, type WatchedConnection, watchConnection, watchDevice } from '../support/relay-client.node.ts';

/** The relay's clock, moved by the tests (token buckets only ever see it stand still or move forward). */
let clock = Date.now();
const relays: TestRelay[] = [];
const start = async (limits: Partial<RelayLimits> = {}) => {
  const r = await startTestRelay({ storage: memoryStorage(), now: () => clock, limits });
  relays.push(r);
  return r;
};
let relay: TestRelay;
beforeAll(async () => {
  relay = await start();
});
afterAll(async () => {
  for (const r of relays) await r.close();
});

type Conn = WatchedConnection;
const open = (url = relay.url, options: ConnectOptions = {}) => watchConnection(url, options);
const signedIn = (d: Pick<TestDevice, 'account' | 'keys' | 'deviceId'>, url = relay.url, options: ConnectOptions = {}) => watchDevice(url, d, options);

/** Asserts the refusal `p` ends in: its code and words, and that the relay closed the connection (fatal) or still answers on it. */
async function refused(conn: Conn, p: Promise<unknown>, code: string, words: RegExp, fatal: boolean): Promise<RelayError> {
  const e = await relayRefusal(p);
  expect(e.relayCode).toBe(code);
  expect(e.message).toMatch(words);
  // The close reason names the refusal: an unauthenticated connection left open is closed later by the auth timer
  // with the same code 1008, but reason "timeout".
  if (fatal) {
    await expect.poll(() => conn.closed).not.toBeNull();
    expect(conn.closed).toEqual({ code: 1008, reason: code });
  } else {
    expect((await relayRefusal(conn.c.pairTake(randomId()))).relayCode).toBe('not_found');
  }
  return e;
}

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');
/** The account's next device-list version, signed by `by` (not sent). */
function nextList(account: TestAccount, members: KeyPair[], by: KeyPair, recovery: Uint8Array | null = account.list?.recovery ?? null): DeviceList {
  const sorted = [...members].sort((a, b) => hexOf(a.publicKey).localeCompare(hexOf(b.publicKey)));
  const unsigned = { accountId: account.accountId, version: (account.list?.version ?? 0) + 1, prev: account.list?.sig ?? new Uint8Array(64), devices: sorted.map((m) => m.publicKey), recovery, issuedAt: clock, signer: by.publicKey };
  const list = { ...unsigned, sig: by.sign(deviceListStatement(unsigned)) as Uint8Array };
  account.list = list;
  account.members = sorted;
  return list;
}
/** An upload request naming and signed by `signer` (sent with request(), so it need not be the connection's device). */
const uploadBy = (account: TestAccount, signer: KeyPair, deviceSeq: number, body = new Uint8Array(8)) => {
  const docId = randomId();
  const sig = signer.sign(itemStatement({ kind: 'update', accountId: account.accountId, docId, deviceId: signer.publicKey, deviceSeq, body, covers: [] })) as Uint8Array;
  return { t: 'upload' as const, docId, deviceId: signer.publicKey, deviceSeq, body, sig };
};
const hello = (c: RelayConnection, d: TestDevice, protocol = PROTOCOL_VERSION) =>
  c.request({ t: 'hello', protocol, accountId: d.account.accountId, deviceId: d.deviceId }) as Promise<RelayMessageOf<'challenge'>>;
const answer = (c: RelayConnection, d: TestDevice, ch: RelayMessageOf<'challenge'>) =>
  c.request({ t: 'auth', sig: d.keys.sign(authStatement({ nonce: ch.nonce, accountId: d.account.accountId, deviceId: d.deviceId, authority: c.authority })) as Uint8Array });

describe('hello and auth', () => {
  it('challenges with a fresh nonce, the relay key and the authority the device dialled', async () => {
    const d = await enrollDevice(relay.url, newAccount());
    const [a, b] = [await open(), await open()];
    const [x, y] = [await hello(a.c, d), await hello(b.c, d)];
    for (const ch of [x, y]) expect({ key: hexOf(ch.relayKey), authority: ch.authority, n: ch.nonce.length }).toEqual({ key: hexOf(relay.relayKey), authority: relayAuthority(relay.url), n: 32 });
    expect(hexOf(x.nonce)).not.toBe(hexOf(y.nonce));
    a.c.close();
    b.c.close();
  });

  it('refuses hello in words and closes: another protocol, an unknown account or device, a removed device, a second hello', async () => {
    const account = newAccount();
    const d1 = await enrollDevice(relay.url, account);
    const d2 = await enrollDevice(relay.url, account);
    await removeFromList(relay.url, account, d2.deviceId, d1.keys);
    const strangerKeys = newKeys();
    const stranger = { account, keys: strangerKeys, deviceId: strangerKeys.publicKey };
    let conn = await open();
    await refused(conn, hello(conn.c, d1, PROTOCOL_VERSION + 1), 'unsupported', new RegExp(`speaks protocol ${PROTOCOL_VERSION}, not ${PROTOCOL_VERSION + 1}`), true);
    conn = await open();
    await refused(conn, hello(conn.c, { ...d1, account: newAccount() }), 'unknown_account', /does not exist on this relay; enroll a device first/, true);
    conn = await open();
    await refused(conn, hello(conn.c, stranger), 'unknown_device', /not enrolled in the account/, true);
    conn = await open();
    await refused(conn, hello(conn.c, d2), 'revoked', /removed from the account/, true);
    conn = await open();
    await hello(conn.c, d1);
    await refused(conn, hello(conn.c, d1), 'auth_failed', /once per connection/, true);
  });

  it('refuses auth in words and closes: no challenge outstanding, a wrong signature, a device removed since its hello', async () => {
    const account = newAccount();
    const d1 = await enrollDevice(relay.url, account);
    const d2 = await enrollDevice(relay.url, account);
    let conn = await open();
    await refused(conn, conn.c.request({ t: 'auth', sig: new Uint8Array(64) }), 'auth_failed', /No challenge is outstanding/, true);
    conn = await open();
    await hello(conn.c, d1);
    await refused(conn, conn.c.request({ t: 'auth', sig: newKeys().sign(new Uint8Array(8)) as Uint8Array }), 'auth_failed', /does not verify with this device key for this relay/, true);
    // The relay's log says why, with the account's tag, never its id.
    const { tag } = relayIdentity(await relay.storage.relaySeed(() => new Uint8Array(32)));
    const logged = relay.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === 'auth' && l['outcome'] === 'bad_signature');
    expect(logged).toContainEqual(expect.objectContaining({ acct: tag(account.accountId), dev: tag(d1.deviceId) }));

    // d2 says hello while on the list, is removed, then answers its challenge correctly: refused all the same.
    conn = await open();
    const ch = await hello(conn.c, d2);
    await removeFromList(relay.url, account, d2.deviceId, d1.keys);
    await refused(conn, answer(conn.c, d2, ch), 'revoked', /removed from the account/, true);
  });

  it('welcomes with the account head and the relay time, and counts the sign-in as activity', async () => {
    const d = await enrollDevice(relay.url, newAccount());
    const first = await signedIn(d);
    for (let i = 1; i <= 2; i++) await first.c.upload({ docId: randomId(), deviceSeq: i, body: new Uint8Array(4) });
    clock += 5 * 60_000;
    const conn = await open();
    const welcome = await conn.c.authenticate({ accountId: d.account.accountId, deviceId: d.deviceId, sign: d.keys.sign });
    expect({ head: welcome.head, serverTime: welcome.serverTime }).toEqual({ head: 2, serverTime: clock });
    expect((await relay.storage.account(d.account.accountId))?.lastActiveAt).toBe(clock);
    first.c.close();
    conn.c.close();
  });

  it('refuses device operations before sign-in in words, keeping the connection', async () => {
    const conn = await open();
    await refused(conn, conn.c.pull(0), 'auth_required', /Authenticate this device first \(hello, then auth\)/, false);
    await refused(conn, conn.c.usage(), 'auth_required', /Authenticate this device first/, false);
    conn.c.close();
  });

  it('starts the idle clock at sign-in: a device that says nothing after auth is disconnected', async () => {
    const quick = await start({ idleTimeoutMs: 300 });
    const d = await enrollDevice(quick.url, newAccount());
    const errors: RelayError[] = [];
    const conn = await signedIn(d, quick.url, { onError: (e) => errors.push(e) });
    await expect.poll(() => conn.closed?.code).toBe(1008);
    expect(errors.map((e) => e.relayCode)).toEqual(['timeout']);
  });

  it('refuses a connection over the account\'s limit in words, and closes it; the first one keeps working', async () => {
    const one = await start({ maxConnectionsPerAccount: 1 });
    const d = await enrollDevice(one.url, newAccount());
    const first = await signedIn(d, one.url);
    const second = await open(one.url);
    await refused(second, second.c.authenticate({ accountId: d.account.accountId, deviceId: d.deviceId, sign: d.keys.sign }), 'too_many_connections', /too many open connections/, true);
    expect((await first.c.pull(0)).items).toEqual([]);
    first.c.close();
  });
});

describe('the recovery authority', () => {
  it('may read the list and the usage and sign the next version, but not write, pull or pair', async () => {
    const account = newAccount();
    const d1 = await enrollDevice(relay.url, account);
    const recovery = newKeys();
    const setup = await open();
    await setup.c.sendDevices(nextList(account, [d1.keys], d1.keys, recovery.publicKey));
    const r = await signedIn({ account, deviceId: recovery.publicKey, keys: recovery });
    expect((await r.c.devices()).lists.map((l) => l.version)).toEqual([1, 2]);
    expect(await r.c.usage()).toMatchObject({ updates: 0, devices: 1 });
    const only = /recovery key may only add a device to the list; it cannot sync/;
    await refused(r, r.c.request(uploadBy(account, recovery, 1)), 'auth_failed', only, false);
    await refused(r, r.c.pull(0), 'auth_failed', only, false);
    await refused(r, r.c.request({ t: 'pairPut', mailbox: randomId(), body: new Uint8Array(8), ttlMs: 60_000 }), 'auth_failed', only, false);
    const d2 = newKeys();
    await r.c.sendDevices(nextList(account, [d1.keys, d2], recovery));
    expect((await r.c.devices()).lists.map((l) => l.version)).toEqual([1, 2, 3]);
    // Once the current version names no recovery key, the old one is nobody, whatever an earlier version said.
    await r.c.sendDevices(nextList(account, [d1.keys, d2], d1.keys, null));
    const gone = await open();
    await refused(gone, hello(gone.c, { account, keys: recovery, deviceId: recovery.publicKey }), 'unknown_device', /not enrolled in the account/, true);
    setup.c.close();
    r.c.close();
  });
});

describe('device lists', () => {
  it('refuses versions in words, keeping the connection: a removed signer, a stranger, a skipped version, a forged signature, a removed device put back', async () => {
    const account = newAccount();
    const d1 = await enrollDevice(relay.url, account);
    const d2 = await enrollDevice(relay.url, account);
    await removeFromList(relay.url, account, d2.deviceId, d1.keys);
    const conn = await open();
    const stranger = newKeys();
    const v = account.list!.version;
    const send = (l: DeviceList) => conn.c.sendDevices(l);
    const base = { ...account, list: account.list, members: account.members };
    const attempt = (members: KeyPair[], by: KeyPair) => nextList({ ...base }, members, by);
    await refused(conn, send(attempt([d1.keys, d2.keys], d2.keys)), 'revoked', /removed from the account; it cannot change the device list/, false);
    await refused(conn, send(attempt([d1.keys, stranger], stranger)), 'auth_failed', /not signed by a device on the account's current list/, false);
    await refused(conn, send({ ...attempt([d1.keys], d1.keys), version: v + 2 }), 'conflict', new RegExp(`at version ${v}; fetch it and sign the next version`), false);
    await refused(conn, send({ ...attempt([d1.keys, stranger], d1.keys), sig: stranger.sign(new Uint8Array(1)) as Uint8Array }), 'auth_failed', /The device list was refused: its signature does not verify/, false);
    await refused(conn, send(attempt([d1.keys, d2.keys], d1.keys)), 'revoked', /removed device cannot be added again; make a new device key/, false);
    // Each refusal is logged with the account's tag and what stood in the way.
    const outcomes = relay.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === 'set devices' && l['v'] === v + 1).map((l) => l['outcome']);
    expect(outcomes).toEqual(expect.arrayContaining(['revoked', 'unknown']));
    const { tag } = relayIdentity(await relay.storage.relaySeed(() => new Uint8Array(32)));
    expect(relay.logs.map((l) => JSON.parse(l) as Record<string, unknown>)).toContainEqual(expect.objectContaining({ msg: 'set devices', acct: tag(account.accountId), v, outcome: 'stored', removed: 1 }));
    conn.c.close();
  });

  it('checks the invite before any signature when a list version would create an account', async () => {
    const gated = await start({ inviteTokens: ['let-me-in'] });
    const account = newAccount();
    const genesis = nextList(account, [newKeys()], account.keys);
    const conn = await open(gated.url);
    await refused(conn, conn.c.sendDevices({ ...genesis, sig: new Uint8Array(64) }), 'invite_required', /only with an invite/, false);
    const invited = await open(`${gated.url}?invite=let-me-in`);
    await invited.c.sendDevices(genesis);
    for (const c of [conn, invited]) c.c.close();
  });

  it('migrates a v1 account once, over a connection of one of its active devices, listing exactly its active devices', async () => {
    const account = newAccount();
    const [a, b, old] = [newKeys(), newKeys(), newKeys()];
    for (const k of [a, b, old]) {
      const enroll = { accountId: account.accountId, deviceId: k.publicKey, enrolledAt: clock };
      await relay.storage.enroll(account.accountId, { ...enroll, enrollSig: account.keys.sign(enrollStatement(enroll)) as Uint8Array }, clock);
    }
    await relay.storage.revoke(account.accountId, old.publicKey, clock);
    const devA = { account, keys: a, deviceId: a.publicKey };
    const connA = await signedIn(devA);
    // Not migrated yet: the enrolled rows, removed ones included, so a device can sign version 1 from them.
    const { lists, legacy } = await connA.c.devices();
    expect(lists).toEqual([]);
    expect(legacy.map((d) => [hexOf(d.deviceId), d.revokedAt === null, 'lastSeq' in d]).sort()).toEqual([[hexOf(a.publicKey), true, false], [hexOf(b.publicKey), true, false], [hexOf(old.publicKey), false, false]].sort());

    const genesis = (members: KeyPair[]) => nextList({ ...account, list: null, members: [] }, members, account.keys);
    // Anyone holding the account key (a removed device kept it), but not over a connection of an active device.
    const anon = await open();
    await refused(anon, anon.c.sendDevices(genesis([a, b])), 'auth_failed', /needs a connection of one of its devices/, false);
    // Nor over a device's connection to another account.
    const other = await signedIn(await enrollDevice(relay.url, newAccount()));
    await refused(other, other.c.sendDevices(genesis([a, b])), 'auth_failed', /needs a connection of one of its devices/, false);
    // Exactly the active devices: not fewer, not another in place of one, not the removed one too.
    for (const wrong of [[a], [a, newKeys()], [a, b, old]]) {
      await refused(connA, connA.c.sendDevices(genesis(wrong)), 'conflict', /must list exactly its active devices/, false);
    }
    await connA.c.sendDevices(genesis([a, b]));
    const after = await connA.c.devices();
    expect({ versions: after.lists.map((l) => l.version), legacy: after.legacy }).toEqual({ versions: [1], legacy: [] });
    for (const c of [connA, anon, other]) c.c.close();
  });
});

describe('items', () => {
  it('refuses a forged tombstone in words, keeping the connection', async () => {
    const d = await enrollDevice(relay.url, newAccount());
    const conn = await signedIn(d);
    await refused(conn, conn.c.request({ t: 'tombstone', docId: randomId(), deviceId: d.deviceId, deviceSeq: 1, sig: new Uint8Array(64) }), 'auth_failed', /item signature does not verify/, false);
    conn.c.close();
  });

  it('refuses what the storage refuses in words, keeping the connection: a replay, a conflict, a deleted document', async () => {
    const d = await enrollDevice(relay.url, newAccount());
    const conn = await signedIn(d);
    const doc = randomId();
    await conn.c.upload({ docId: doc, deviceSeq: 2, body: new Uint8Array([1]) });
    await refused(conn, conn.c.upload({ docId: doc, deviceSeq: 2, body: new Uint8Array([2]) }), 'conflict', /already stored different content under this sequence number/, false);
    await refused(conn, conn.c.upload({ docId: doc, deviceSeq: 1, body: new Uint8Array([3]) }), 'replay', /already used a higher sequence number/, false);
    await conn.c.tombstone({ docId: doc, deviceSeq: 3 });
    await refused(conn, conn.c.upload({ docId: doc, deviceSeq: 4, body: new Uint8Array([4]) }), 'deleted', /was deleted \(it has a tombstone\)/, false);
    conn.c.close();
  });

  it('a device removed through another relay instance is refused its next write, in words, and disconnected', async () => {
    const account = newAccount();
    const d1 = await enrollDevice(relay.url, account);
    const d2 = await enrollDevice(relay.url, account);
    const conn = await signedIn(d2);
    const r = await relay.storage.putDeviceList(account.accountId, nextList(account, [d1.keys], d1.keys), clock);
    expect(r.ok).toBe(true);
    await refused(conn, conn.c.upload({ docId: randomId(), deviceSeq: 1, body: new Uint8Array(4) }), 'revoked', /removed from the account/, true);
  });

  it('an account wiped through another relay instance: usage, pairing and writes say so; pairing and writes end the connection', async () => {
    const account = newAccount();
    const d = await enrollDevice(relay.url, account);
    const [x, y, z] = [await signedIn(d), await signedIn(d), await signedIn(d)];
    const unsigned = { accountId: account.accountId, issuedAt: clock, authority: relayAuthority(relay.url), signer: d.deviceId };
    expect(await relay.storage.wipe({ ...unsigned, sig: d.keys.sign(wipeStatement(unsigned)) as Uint8Array }, clock)).not.toBe('unknown_account');
    await refused(x, x.c.usage(), 'unknown_account', /holds nothing on this relay/, false);
    expect(await x.c.pull(0)).toMatchObject({ items: [], head: 0, more: false });
    await refused(y, y.c.pairPut({ mailbox: randomId(), body: new Uint8Array(8), ttlMs: 60_000 }), 'unknown_account', /does not exist on this relay \(any more\)/, true);
    await refused(z, z.c.upload({ docId: randomId(), deviceSeq: 1, body: new Uint8Array(4) }), 'unknown_account', /does not exist on this relay \(any more\)/, true);
    x.c.close();
  });

  it('counts a stored item toward the relay\'s total once, and pushes it once: a resent item is neither counted nor pushed again', async () => {
    const small = await start({ maxBytesTotal: 250 });
    const account = newAccount();
    const d1 = await enrollDevice(small.url, account);
    const d2 = await enrollDevice(small.url, account);
    const live = pushCollector();
    const writer = await signedIn(d1, small.url);
    const reader = await signedIn(d2, small.url, live.options);
    const item = { docId: randomId(), deviceSeq: 1, body: new Uint8Array(100) };
    await writer.c.upload(item);
    expect((await live.next(1)).map((i) => i.serverSeq)).toEqual([1]);
    for (let i = 0; i < 2; i++) expect(await writer.c.upload(item)).toMatchObject({ serverSeq: 1, duplicate: true });
    await expect(live.next(1, 300)).rejects.toThrow(/expected 1 pushed/);
    // 100 + 100 fits in 250; a third 100 does not.
    await writer.c.upload({ docId: randomId(), deviceSeq: 2, body: new Uint8Array(100) });
    await refused(writer, writer.c.upload({ docId: randomId(), deviceSeq: 3, body: new Uint8Array(100) }), 'quota', /relay is full/, false);
    writer.c.close();
    reader.c.close();
  });

  it('refuses a large item unverified while its address pays for a forged one, however genuine; verifies it otherwise', async () => {
    // The relay's clock stands still here, so the debt never shrinks; the socket, paused for each debt, resumes after
    // a real 2 s or so and reads on.
    const r = await start({ addressBytesBurst: 4 * 1024 * 1024, addressBytesPerSecond: 16 * 1024 * 1024, badSignaturePenalty: 16 });
    const d = await enrollDevice(r.url, newAccount());
    const conn = await signedIn(d, r.url, { onError: () => undefined });
    const large = (seq: number) => uploadBy(d.account, d.keys, seq, new Uint8Array(64 * 1024).fill(seq));
    // Exactly the size from which items count as large, and signed: stored while the address owes nothing.
    expect((await conn.c.request(large(1))).t).toBe('ack');
    // A forged 2 MB body and a genuine large one right behind it, both read while the address had budget: the
    // forgery's penalty (16 × its size) puts the address in debt, so the second is refused without being verified.
    const forged = { ...uploadBy(d.account, d.keys, 2, new Uint8Array(2_000_000)), sig: new Uint8Array(64).fill(1) };
    const small = uploadBy(d.account, d.keys, 4, new Uint8Array(64 * 1024 - 1));
    const [first, second, third] = await Promise.all([relayRefusal(conn.c.request(forged)), relayRefusal(conn.c.request(large(3))), conn.c.request(small)]);
    // A small item costs one cheap verification: it is still verified and stored.
    expect(third.t).toBe('ack');
    expect({ code: first.relayCode, message: first.message }).toEqual({ code: 'auth_failed', message: expect.stringMatching(/item signature does not verify with this device key/) });
    expect({ code: second.relayCode, message: second.message }).toEqual({ code: 'rate_limited', message: expect.stringMatching(/Too much data from your network address/) });
    expect(second.retryAfterMs).toBeGreaterThan(1_000);
    // Slowed down, not cut off: once the pause is over the connection answers again.
    expect((await relayRefusal(conn.c.pairTake(randomId()))).relayCode).toBe('not_found');
    conn.c.close();
  });

  it('marks the account active on a write once more than an hour has passed since the last mark', async () => {
    const d = await enrollDevice(relay.url, newAccount());
    const conn = await signedIn(d);
    const signedInAt = clock;
    const active = async () => (await relay.storage.account(d.account.accountId))!.lastActiveAt;
    const write = (seq: number) => conn.c.upload({ docId: randomId(), deviceSeq: seq, body: new Uint8Array(4) });
    clock += 3600_000;
    await write(1);
    expect(await active()).toBe(signedInAt);
    clock += 1;
    await write(2);
    expect(await active()).toBe(clock);
    const markedAt = clock;
    clock += 60_000;
    await write(3);
    expect(await active()).toBe(markedAt);
    conn.c.close();
  });
});

describe('pull pages', () => {
  const fill = async (r: TestRelay, n: number, bytes: number) => {
    const conn = await signedIn(await enrollDevice(r.url, newAccount()), r.url);
    for (let i = 1; i <= n; i++) await conn.c.upload({ docId: randomId(), deviceSeq: i, body: new Uint8Array(bytes) });
    return conn;
  };
  const page = (p: RelayMessageOf<'items'>) => ({ seqs: p.items.map((i) => i.serverSeq), head: p.head, more: p.more });

  it('says more while items follow: a page cut short by the byte limit, a full page even when it ends at the head', async () => {
    const bytes = await fill(await start({ pullMaxItems: 3, pullMaxBytes: 250 }), 5, 100);
    expect(page(await bytes.c.pull(0))).toEqual({ seqs: [1, 2], head: 5, more: true });
    expect(page(await bytes.c.pull(2))).toEqual({ seqs: [3, 4], head: 5, more: true });
    expect(page(await bytes.c.pull(4))).toEqual({ seqs: [5], head: 5, more: false });
    // A full page cannot tell whether items committed during the pull follow it: it says more.
    const count = await fill(await start({ pullMaxItems: 3 }), 3, 8);
    expect(page(await count.c.pull(0))).toEqual({ seqs: [1, 2, 3], head: 3, more: true });
    expect(page(await count.c.pull(3))).toEqual({ seqs: [], head: 3, more: false });
    // The relay's page size bounds what a device asks for, both ways.
    expect(page(await count.c.pull(0, 1000))).toMatchObject({ seqs: [1, 2, 3] });
    expect(page(await count.c.pull(0, 1))).toMatchObject({ seqs: [1], more: true });
    bytes.c.close();
    count.c.close();
  });

  it('says no more on a short page that ends at the head', async () => {
    const conn = await fill(relay, 3, 8);
    expect(page(await conn.c.pull(0))).toEqual({ seqs: [1, 2, 3], head: 3, more: false });
    conn.c.close();
  });
});

describe('pairing', () => {
  it('refuses in words, keeping the connection: a mailbox in use, an account out of storage, a code taken or unknown', async () => {
    const tight = await start({ maxBytesPerAccount: 1000 });
    const conn = await signedIn(await enrollDevice(tight.url, newAccount()), tight.url);
    const mailbox = randomId();
    await conn.c.pairPut({ mailbox, body: new Uint8Array(600), ttlMs: 60_000 });
    await refused(conn, conn.c.pairPut({ mailbox, body: new Uint8Array(8), ttlMs: 60_000 }), 'exists', /mailbox is already in use; make a new code/, false);
    await refused(conn, conn.c.pairPut({ mailbox: randomId(), body: new Uint8Array(600), ttlMs: 60_000 }), 'quota', /used all the storage this relay allows/, false);
    expect((await conn.c.pairTake(mailbox)).length).toBe(600);
    await refused(conn, conn.c.pairTake(mailbox), 'not_found', /No such pairing code, or it expired or was already used/, false);
    conn.c.close();
  });
});

describe('the log', () => {
  it('records what each request came to by tags of the ids, types, sizes and outcomes (docs/sync-protocol.md "Logs"), never an id', async () => {
    const d = await enrollDevice(relay.url, newAccount());
    const from = relay.logs.length;
    const conn = await signedIn(d);
    const mailbox = randomId();
    await conn.c.pairPut({ mailbox, body: new Uint8Array(40), ttlMs: 60_000 });
    await relayRefusal(conn.c.pairPut({ mailbox, body: new Uint8Array(40), ttlMs: 60_000 }));
    await conn.c.pairTake(mailbox);
    await conn.c.upload({ docId: randomId(), deviceSeq: 1, body: new Uint8Array(24) });
    conn.c.close();
    const lines = relay.logs.slice(from);
    const { tag } = relayIdentity(await relay.storage.relaySeed(() => new Uint8Array(32)));
    const who = { acct: tag(d.account.accountId), dev: tag(d.deviceId) };
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual(expect.arrayContaining([
      expect.objectContaining({ msg: 'auth', outcome: 'ok', ...who }),
      expect.objectContaining({ msg: 'pairing', t: 'pairPut', bytes: 40, outcome: 'stored', ...who }),
      expect.objectContaining({ msg: 'pairing', t: 'pairPut', bytes: 40, outcome: 'exists', ...who }),
      expect.objectContaining({ msg: 'pairing', t: 'pairTake', bytes: 40, outcome: 'taken', ...who }),
      expect.objectContaining({ msg: 'stored', t: 'upload', bytes: 24, seq: 1, duplicate: false, removed: 0, ...who }),
    ]));
    for (const id of [d.account.accountId, d.deviceId, mailbox]) expect(lines.join('\n')).not.toContain(hexOf(id));
  });
});
