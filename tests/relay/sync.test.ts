/**
 * Upload, acknowledgement, download after a cursor, live push to the account's other devices, snapshots pruning
 * only what they name, tombstones, device listing and removal, pairing mailboxes — against a real relay on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayConnection, RelayError } from '../../shared/sync/client.std.ts';
import { itemStatement, verifyDeviceChain } from '../../shared/sync/signing.std.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';
import { connectDevice, enrollDevice, newAccount, pushCollector, randomId, removeFromList, verify, wipeAccount } from '../support/relay-client.node.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const refusal = async (p: Promise<unknown>): Promise<RelayError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof RelayError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
};

let relay: TestRelay;
beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(async () => {
  await relay?.close();
});

/** Two devices of a new account, both connected; the second collects live pushes. */
async function twoDevices() {
  const account = newAccount();
  const d1 = await enrollDevice(relay.url, account);
  const d2 = await enrollDevice(relay.url, account);
  const live = pushCollector();
  const c1 = await connectDevice(relay.url, d1);
  const c2 = await connectDevice(relay.url, d2, live.options);
  return { account, d1, d2, live, c1, c2, doc: randomId() };
}

describe('relay sync', () => {
  it('acknowledges uploads with server sequence numbers, serves them after a cursor and pushes them live', async () => {
    const { account, d1, live, c1, c2, doc } = await twoDevices();
    const acks = [];
    for (let i = 1; i <= 3; i++) acks.push(await c1.upload({ docId: doc, deviceSeq: i, body: bytes(`envelope-${i}`) }));
    expect(acks.map((a) => [a.serverSeq, a.duplicate])).toEqual([[1, false], [2, false], [3, false]]);

    const pushed = await live.next(3);
    expect(pushed.map((p) => [p.serverSeq, p.deviceSeq, new TextDecoder().decode(p.body)])).toEqual([[1, 1, 'envelope-1'], [2, 2, 'envelope-2'], [3, 3, 'envelope-3']]);
    // What a device receives is signed by the device that wrote it, for this account and document.
    const p = pushed[0]!;
    expect(verify(p.sig, itemStatement({ kind: 'update', accountId: account.accountId, docId: p.docId, deviceId: p.deviceId, deviceSeq: p.deviceSeq, body: p.body }), d1.deviceId)).toBe(true);
    expect(hex(p.deviceId)).toBe(hex(d1.deviceId));

    const page = await c2.pull(1);
    expect(page.items.map((i) => i.serverSeq)).toEqual([2, 3]);
    expect(page).toMatchObject({ head: 3, more: false });
    const limited = await c2.pull(0, 2);
    expect(limited.items.map((i) => i.serverSeq)).toEqual([1, 2]);
    expect(limited.more).toBe(true);
    expect((await c2.pullAll(0)).cursor).toBe(3);

    // The uploader does not get its own items pushed back.
    await c2.upload({ docId: doc, deviceSeq: 1, body: bytes('from-2') });
    const back = pushCollector();
    const c3 = await connectDevice(relay.url, d1, back.options);
    await c2.upload({ docId: doc, deviceSeq: 2, body: bytes('from-2b') });
    expect((await back.next(1))[0]!.serverSeq).toBe(5);
    await expect(live.next(1, 300)).rejects.toThrow(/expected 1 pushed/);
    c1.close();
    c2.close();
    c3.close();
  });

  it('answers a resent upload with the first acknowledgement and refuses replays and conflicts', async () => {
    const account = newAccount();
    const d = await enrollDevice(relay.url, account);
    const c = await connectDevice(relay.url, d);
    const doc = randomId();
    const first = await c.upload({ docId: doc, deviceSeq: 1, body: bytes('a') });
    const again = await c.upload({ docId: doc, deviceSeq: 1, body: bytes('a') });
    expect(again).toMatchObject({ serverSeq: first.serverSeq, duplicate: true });
    expect((await refusal(c.upload({ docId: doc, deviceSeq: 1, body: bytes('different') }))).relayCode).toBe('conflict');
    await c.upload({ docId: doc, deviceSeq: 5, body: bytes('b') });
    const replay = await refusal(c.upload({ docId: doc, deviceSeq: 3, body: bytes('c') }));
    expect(replay.relayCode).toBe('replay');
    expect(replay.code).toBe('exists');
    expect((await c.pullAll(0)).items).toHaveLength(2);
    c.close();
  });

  it('a snapshot prunes only the updates it names; a tombstone removes every blob of its document', async () => {
    const account = newAccount();
    const d1 = await enrollDevice(relay.url, account);
    const d2 = await enrollDevice(relay.url, account);
    const c1 = await connectDevice(relay.url, d1);
    const c2 = await connectDevice(relay.url, d2);
    const doc = randomId();
    const other = randomId();
    for (let i = 1; i <= 4; i++) await c1.upload({ docId: doc, deviceSeq: i, body: bytes(`u${i}`) });
    await c2.upload({ docId: doc, deviceSeq: 1, body: bytes('v1') });
    await c1.upload({ docId: other, deviceSeq: 5, body: bytes('other') });
    const snap = await c2.snapshot({ docId: doc, deviceSeq: 2, body: bytes('snapshot'), covers: [{ deviceId: d1.deviceId, from: 1, to: 3 }] });
    expect(snap.removed).toBe(3);
    const after = await c1.pullAll(0);
    expect(after.items.map((i) => [i.kind, new TextDecoder().decode(i.body)])).toEqual([
      ['update', 'u4'], ['update', 'v1'], ['update', 'other'], ['snapshot', 'snapshot'],
    ]);
    expect(after.items[3]!.covers.map((c) => [hex(c.deviceId), c.from, c.to])).toEqual([[hex(d1.deviceId), 1, 3]]);

    const tomb = await c1.tombstone({ docId: doc, deviceSeq: 6 });
    expect(tomb.removed).toBe(3);
    const final = await c2.pullAll(0);
    expect(final.items.map((i) => [i.kind, hex(i.docId) === hex(doc)])).toEqual([['update', false], ['tombstone', true]]);
    expect(verify(final.items[1]!.sig, itemStatement({ kind: 'tombstone', accountId: account.accountId, docId: doc, deviceId: d1.deviceId, deviceSeq: 6 }), d1.deviceId)).toBe(true);
    const deleted = await refusal(c2.upload({ docId: doc, deviceSeq: 3, body: bytes('late') }));
    expect(deleted.relayCode).toBe('deleted');
    c1.close();
    c2.close();
  });

  it('stores large items verified on the relay\'s verifier thread exactly as signed, and pushes them whole', async () => {
    // From 64 KiB on, the body's memory travels to the verifier thread and back; every byte field must survive that.
    const { account, d1, d2, live, c1, c2, doc } = await twoDevices();
    const big = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
    await c1.upload({ docId: doc, deviceSeq: 1, body: big(70_000, 1) });
    await c1.upload({ docId: doc, deviceSeq: 2, body: big(3 * 1024 * 1024, 2) });
    const snap = await c2.snapshot({ docId: doc, deviceSeq: 1, body: big(200_000, 3), covers: [{ deviceId: d1.deviceId, from: 1, to: 1 }] });
    expect(snap.removed).toBe(1);
    const items = (await c1.pullAll(0)).items;
    expect(items.map((i) => [i.kind, hex(i.docId) === hex(doc), hex(i.deviceId), i.deviceSeq, hex(i.body!) === hex(i.kind === 'snapshot' ? big(200_000, 3) : big(3 * 1024 * 1024, 2))])).toEqual([
      ['update', true, hex(d1.deviceId), 2, true],
      ['snapshot', true, hex(d2.deviceId), 1, true],
    ]);
    expect(items[1]!.covers.map((c) => [hex(c.deviceId), c.from, c.to])).toEqual([[hex(d1.deviceId), 1, 1]]);
    // What the relay stored still carries each device's own signature over exactly these bytes.
    for (const i of items) expect(verify(i.sig, itemStatement({ kind: i.kind, accountId: account.accountId, docId: i.docId, deviceId: i.deviceId, deviceSeq: i.deviceSeq, body: i.body, covers: i.covers }), i.deviceId)).toBe(true);
    expect((await live.next(2)).map((i) => hex(i.body!) === hex(i.deviceSeq === 1 ? big(70_000, 1) : big(3 * 1024 * 1024, 2)))).toEqual([true, true]);
    c1.close();
    c2.close();
  });

  it('serves the signed device-list chain; a removed device is cut off and cannot come back, sign what it may', async () => {
    const account = newAccount();
    const d1 = await enrollDevice(relay.url, account);
    const d2 = await enrollDevice(relay.url, account);
    const c1 = await connectDevice(relay.url, d1);
    const errors: RelayError[] = [];
    let closed = false;
    const c2 = await connectDevice(relay.url, d2, { onError: (e) => errors.push(e), onClose: () => (closed = true) });
    const { lists, legacy } = await c1.devices();
    expect(legacy).toEqual([]);
    expect(lists.map((l) => l.version)).toEqual([1, 2]);
    expect(verifyDeviceChain(verify, account.accountId, lists)).toMatchObject({ ok: true });
    expect(lists[1]!.devices.map(hex).sort()).toEqual([hex(d1.deviceId), hex(d2.deviceId)].sort());

    // d2 may not remove d1 by signing a stale version, and nobody may skip a version.
    const v2 = account.list!;
    const anon = await RelayConnection.connect(relay.url);
    const skip = { accountId: account.accountId, version: 4, prev: v2.sig, devices: [d1.deviceId], recovery: null };
    expect((await refusal(anon.setDevices({ ...skip, signer: d1.deviceId, sign: d1.keys.sign }))).relayCode).toBe('conflict');
    await removeFromList(relay.url, account, d2.deviceId, d1.keys);
    await expect.poll(() => closed).toBe(true);
    expect(c2.isOpen).toBe(false);
    expect(errors.map((e) => e.relayCode)).toEqual(['revoked']);
    const back = await RelayConnection.connect(relay.url);
    expect((await refusal(back.authenticate({ accountId: account.accountId, deviceId: d2.deviceId, sign: d2.keys.sign }))).relayCode).toBe('revoked');
    // Whatever it signs with — its own key or the account key — the removed device cannot change the list…
    const v3 = account.list!;
    const readd = { accountId: account.accountId, version: 4, prev: v3.sig, devices: [d1.deviceId, d2.deviceId].sort((x, y) => Buffer.compare(x, y)), recovery: null };
    expect((await refusal(anon.setDevices({ ...readd, signer: d2.deviceId, sign: d2.keys.sign }))).relayCode).toBe('revoked');
    expect((await refusal(anon.setDevices({ ...readd, signer: account.accountId, sign: account.keys.sign }))).relayCode).toBe('auth_failed');
    expect((await refusal(anon.setDevices({ ...readd, version: 1, prev: new Uint8Array(64), signer: account.accountId, sign: account.keys.sign }))).relayCode).toBe('auth_failed');
    // …nor wipe the account; and a device on the list cannot bring it back either.
    expect((await refusal(wipeAccount(anon, account, d2.keys))).relayCode).toBe('revoked');
    expect((await refusal(anon.wipe({ accountId: account.accountId, signer: account.accountId, sign: account.keys.sign }))).relayCode).toBe('auth_failed');
    expect((await refusal(anon.setDevices({ ...readd, signer: d1.deviceId, sign: d1.keys.sign }))).relayCode).toBe('revoked');
    expect((await c1.devices()).lists).toHaveLength(3);
    anon.close();
    c1.close();
  });

  it('forwards a pairing blob once, to whoever holds the mailbox id, until it expires', async () => {
    const account = newAccount();
    const d1 = await enrollDevice(relay.url, account);
    const c1 = await connectDevice(relay.url, d1);
    const mailbox = randomId();
    const blob = randomId();
    await c1.pairPut({ mailbox, body: blob, ttlMs: 60_000 });
    expect((await refusal(c1.pairPut({ mailbox, body: blob, ttlMs: 60_000 }))).relayCode).toBe('exists');
    const newcomer = await RelayConnection.connect(relay.url);
    expect(hex(await newcomer.pairTake(mailbox))).toBe(hex(blob));
    expect((await refusal(newcomer.pairTake(mailbox))).relayCode).toBe('not_found');
    // Putting needs an authenticated device.
    expect((await refusal(newcomer.pairPut({ mailbox: randomId(), body: blob, ttlMs: 60_000 }))).relayCode).toBe('auth_required');
    newcomer.close();
    c1.close();
  });
});
