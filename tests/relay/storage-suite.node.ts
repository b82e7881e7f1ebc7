/**
 * The one test suite every RelayStorage implementation must pass (memory, SQLite, PostgreSQL). Call
 * runRelayStorageTests from a *.test.ts with a factory that returns a fresh, empty storage.
 */
import { describe, expect, it } from 'vitest';
import type { DeviceList, WipeMarker } from '../../shared/sync/messages.std.ts';
import type { NewItem, RelayEvent, RelayStorage } from '../../sync-server/storage/types.node.ts';

const id = (n: number, fill = 0) => {
  const b = new Uint8Array(32).fill(fill);
  b[0] = n;
  return b;
};
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const sig = (n: number) => new Uint8Array(64).fill(n % 256);

const A = id(1, 0xaa);
const B = id(2, 0xbb);
const D1 = id(1, 0xd1);
const D2 = id(2, 0xd2);
const DOC1 = id(1, 0x01);
const DOC2 = id(2, 0x02);
const QUOTA = 1_000_000;
const T0 = 1_700_000_000_000;

const update = (deviceId: Uint8Array, deviceSeq: number, docId = DOC1, body = `u${deviceSeq}`): NewItem => ({
  kind: 'update', docId, deviceId, deviceSeq, body: bytes(body), covers: [], sig: sig(deviceSeq),
});
const enroll = (s: RelayStorage, accountId: Uint8Array, deviceId: Uint8Array, now = T0) =>
  s.enroll(accountId, { deviceId, enrolledAt: now, enrollSig: sig(7) }, now);
const marker = (accountId: Uint8Array): WipeMarker => ({ accountId, issuedAt: T0 + 5, authority: 'relay.test:1', signer: D1, sig: sig(9) });
/** A device-list version; storage checks only the version order and its effect on device rows (signatures are the relay's). */
const list = (accountId: Uint8Array, version: number, devices: Uint8Array[], recovery: Uint8Array | null = null): DeviceList => ({
  accountId, version, prev: sig(version - 1), devices, recovery, issuedAt: T0 + version, signer: D1, sig: sig(100 + version),
});

async function ok(s: RelayStorage, accountId: Uint8Array, item: NewItem, quota = QUOTA) {
  const r = await s.write(accountId, item, quota);
  if (!r.ok) throw new Error(`write refused: ${r.reason}`);
  return r;
}

export function runRelayStorageTests(name: string, make: () => Promise<RelayStorage>): void {
  describe(`RelayStorage: ${name}`, () => {
    const withStorage = (title: string, fn: (s: RelayStorage) => Promise<void>) =>
      it(title, async () => {
        const s = await make();
        try {
          await fn(s);
        } finally {
          await s.close();
        }
      });

    withStorage('creates the relay seed once and keeps it', async (s) => {
      const first = await s.relaySeed(() => id(5, 5));
      expect(hex(first)).toBe(hex(id(5, 5)));
      expect(hex(await s.relaySeed(() => id(6, 6)))).toBe(hex(id(5, 5)));
    });

    withStorage('creates an account on first enrollment and lists its devices', async (s) => {
      expect(await s.account(A)).toBeNull();
      expect(await enroll(s, A, D1)).toBe('enrolled');
      expect(await enroll(s, A, D1)).toBe('already');
      expect(await enroll(s, A, D2, T0 + 1)).toBe('enrolled');
      expect(await s.account(A)).toMatchObject({ head: 0, bytesUsed: 0, createdAt: T0 });
      const devices = await s.devices(A);
      expect(devices.map((d) => hex(d.deviceId))).toEqual([hex(D1), hex(D2)]);
      expect(devices[0]).toMatchObject({ enrolledAt: T0, revokedAt: null, lastSeq: 0 });
      expect(hex(devices[0]!.enrollSig)).toBe(hex(sig(7)));
      expect(await s.devices(B)).toEqual([]);
    });

    withStorage('keeps the device-list chain, applies each version to the device rows, and refuses stale versions and readmissions', async (s) => {
      expect(await s.deviceLists(A)).toEqual([]);
      expect(await s.putDeviceList(A, list(A, 2, [D1]), T0)).toEqual({ ok: false, reason: 'stale' });
      expect(await s.account(A)).toBeNull();
      expect(await s.putDeviceList(A, list(A, 1, [D1], D2), T0)).toEqual({ ok: true, removed: [] });
      expect(await s.account(A)).toMatchObject({ createdAt: T0, head: 0 });
      expect(await s.putDeviceList(A, list(A, 1, [D1]), T0)).toEqual({ ok: false, reason: 'stale' });
      expect(await s.device(A, D1)).toMatchObject({ enrolledAt: T0 + 1, revokedAt: null, lastSeq: 0 });
      const D3 = id(3, 0xd3);
      expect(await s.putDeviceList(A, list(A, 2, [D1, D3]), T0 + 10)).toEqual({ ok: true, removed: [] });
      const r = await s.putDeviceList(A, list(A, 3, [D3]), T0 + 20);
      expect(r.ok && r.removed.map(hex)).toEqual([hex(D1)]);
      expect(await s.device(A, D1)).toMatchObject({ revokedAt: T0 + 20 });
      expect((await s.write(A, update(D1, 1), QUOTA))).toEqual({ ok: false, reason: 'revoked' });
      await ok(s, A, update(D3, 1));
      // A removed device stays removed; the stored chain is unchanged by refusals.
      expect(await s.putDeviceList(A, list(A, 4, [D1, D3]), T0 + 30)).toEqual({ ok: false, reason: 'revoked' });
      const chain = await s.deviceLists(A);
      expect(chain.map((l) => [l.version, l.devices.map(hex), l.recovery && hex(l.recovery), hex(l.sig)])).toEqual([
        [1, [hex(D1)], hex(D2), hex(sig(101))],
        [2, [hex(D1), hex(D3)], null, hex(sig(102))],
        [3, [hex(D3)], null, hex(sig(103))],
      ]);
      // A device removed earlier and still absent is not removed again: its removal time stays, nothing is announced.
      expect(await s.putDeviceList(A, list(A, 4, [D3]), T0 + 40)).toEqual({ ok: true, removed: [] });
      expect(await s.device(A, D1)).toMatchObject({ revokedAt: T0 + 20 });
      // Another account is untouched; a v1 account (enrolled rows, no list) migrates with version 1.
      expect(await s.deviceLists(B)).toEqual([]);
      await enroll(s, B, D1);
      await enroll(s, B, D2);
      const m = await s.putDeviceList(B, list(B, 1, [D2]), T0 + 40);
      expect(m.ok && m.removed.map(hex)).toEqual([hex(D1)]);
      expect(await s.device(B, D1)).toMatchObject({ revokedAt: T0 + 40 });
      // Wiping takes the chain with it, and a wiped account takes no new list.
      await s.wipe(marker(A), T0 + 50);
      expect(await s.deviceLists(A)).toEqual([]);
      expect(await s.putDeviceList(A, list(A, 1, [D1]), T0 + 60)).toEqual({ ok: false, reason: 'wiped' });
      expect(hex((await s.wipeRecord(A))!.marker.signer)).toBe(hex(D1));
    });

    withStorage('reports an account\'s usage: what it holds now by kind and bytes, and its active devices', async (s) => {
      expect(await s.usage(A)).toBeNull();
      await enroll(s, A, D1);
      await enroll(s, A, D2);
      await enroll(s, B, D1);
      expect(await s.usage(A)).toEqual({ updates: 0, snapshots: 0, tombstones: 0, bytes: 0, devices: 2 });
      await ok(s, A, update(D1, 1, DOC1, 'aaaa'));
      await ok(s, A, update(D1, 2, DOC1, 'bb'));
      await ok(s, A, update(D1, 3, DOC2, 'ccc'));
      await ok(s, B, update(D1, 1, DOC1, 'other account'));
      expect(await s.usage(A)).toEqual({ updates: 3, snapshots: 0, tombstones: 0, bytes: 9, devices: 2 });
      // A snapshot prunes what it covers; a tombstone takes its document's blobs; a removed device no longer counts.
      await ok(s, A, { kind: 'snapshot', docId: DOC1, deviceId: D2, deviceSeq: 1, body: bytes('snapshot'), sig: sig(201), covers: [{ deviceId: D1, from: 1, to: 2 }] });
      expect(await s.usage(A)).toEqual({ updates: 1, snapshots: 1, tombstones: 0, bytes: 11, devices: 2 });
      await ok(s, A, { kind: 'tombstone', docId: DOC2, deviceId: D2, deviceSeq: 2, sig: sig(202), covers: [] });
      await s.revoke(A, D1, T0 + 1);
      expect(await s.usage(A)).toEqual({ updates: 0, snapshots: 1, tombstones: 1, bytes: 8, devices: 1 });
      expect(await s.usage(B)).toEqual({ updates: 1, snapshots: 0, tombstones: 0, bytes: 13, devices: 1 });
      await s.wipe(marker(A), T0 + 2);
      expect(await s.usage(A)).toBeNull();
    });

    withStorage('numbers items per account without gaps and reads them after a cursor', async (s) => {
      await enroll(s, A, D1);
      await enroll(s, B, D1);
      for (let i = 1; i <= 5; i++) expect((await ok(s, A, update(D1, i))).item.serverSeq).toBe(i);
      expect((await ok(s, B, update(D1, 1))).item.serverSeq).toBe(1);
      const after2 = await s.itemsAfter(A, 2, 100, 1e9);
      expect(after2.map((i) => [i.serverSeq, i.deviceSeq, text(i.body)])).toEqual([[3, 3, 'u3'], [4, 4, 'u4'], [5, 5, 'u5']]);
      expect(hex(after2[0]!.docId)).toBe(hex(DOC1));
      expect(hex(after2[0]!.sig)).toBe(hex(sig(3)));
      expect((await s.itemsAfter(A, 0, 2, 1e9)).map((i) => i.serverSeq)).toEqual([1, 2]);
      // The byte limit stops a page early but always returns at least one item.
      expect((await s.itemsAfter(A, 0, 100, 5)).map((i) => i.serverSeq)).toEqual([1, 2]);
      expect((await s.itemsAfter(A, 0, 100, 1)).map((i) => i.serverSeq)).toEqual([1]);
      expect(await s.itemsAfter(A, 5, 100, 1e9)).toEqual([]);
      expect(await s.account(A)).toMatchObject({ head: 5, bytesUsed: 10 });
      expect((await s.device(A, D1))?.lastSeq).toBe(5);
    });

    withStorage('answers a resent item with the stored one, and refuses replays and conflicts', async (s) => {
      await enroll(s, A, D1);
      await ok(s, A, update(D1, 1));
      await ok(s, A, update(D1, 2));
      const again = await ok(s, A, update(D1, 1));
      expect(again).toMatchObject({ duplicate: true });
      expect(again.item.serverSeq).toBe(1);
      expect(await s.write(A, { ...update(D1, 2), sig: sig(99) }, QUOTA)).toEqual({ ok: false, reason: 'conflict' });
      expect(await s.write(A, update(D1, 3, DOC1, 'x'), QUOTA)).toMatchObject({ ok: true, duplicate: false });
      // Sequence numbers only rise: a gap is fine, going back is a replay.
      expect((await ok(s, A, update(D1, 10))).item.serverSeq).toBe(4);
      const back = { ...update(D1, 7), sig: sig(77) };
      expect(await s.write(A, back, QUOTA)).toEqual({ ok: false, reason: 'replay' });
      expect((await s.account(A))?.head).toBe(4);
    });

    withStorage('refuses unknown accounts, unknown devices and removed devices', async (s) => {
      expect(await s.write(A, update(D1, 1), QUOTA)).toEqual({ ok: false, reason: 'unknown_account' });
      await enroll(s, A, D1);
      expect(await s.write(A, update(D2, 1), QUOTA)).toEqual({ ok: false, reason: 'unknown_device' });
      expect(await s.revoke(A, D1, T0 + 1)).toBe('revoked');
      expect(await s.revoke(A, D1, T0 + 2)).toBe('already');
      expect(await s.revoke(A, D2, T0 + 2)).toBe('not_found');
      expect((await s.device(A, D1))?.revokedAt).toBe(T0 + 1);
      expect(await s.write(A, update(D1, 1), QUOTA)).toEqual({ ok: false, reason: 'revoked' });
      expect(await enroll(s, A, D1)).toBe('revoked');
    });

    withStorage('a snapshot prunes exactly the items it names, in its own document only', async (s) => {
      await enroll(s, A, D1);
      await enroll(s, A, D2);
      for (let i = 1; i <= 4; i++) await ok(s, A, update(D1, i)); // server 1-4
      await ok(s, A, update(D2, 1)); // 5
      await ok(s, A, update(D2, 2)); // 6
      await ok(s, A, update(D1, 5, DOC2)); // 7: other document, inside the named range
      const snap = await ok(s, A, {
        kind: 'snapshot', docId: DOC1, deviceId: D2, deviceSeq: 3, body: bytes('snap'), sig: sig(103),
        covers: [{ deviceId: D1, from: 1, to: 5 }, { deviceId: D2, from: 1, to: 1 }],
      });
      expect(snap.removed).toBe(5);
      expect(snap.item.serverSeq).toBe(8);
      const left = await s.itemsAfter(A, 0, 100, 1e9);
      expect(left.map((i) => [i.serverSeq, i.kind])).toEqual([[6, 'update'], [7, 'update'], [8, 'snapshot']]);
      expect(left[2]!.covers.map((c) => [hex(c.deviceId), c.from, c.to])).toEqual([[hex(D1), 1, 5], [hex(D2), 1, 1]]);
      expect((await s.account(A))?.bytesUsed).toBe(2 + 2 + 4);
      // A later snapshot may cover an earlier one.
      const snap2 = await ok(s, A, { kind: 'snapshot', docId: DOC1, deviceId: D1, deviceSeq: 6, body: bytes('s2'), sig: sig(106), covers: [{ deviceId: D2, from: 2, to: 3 }] });
      expect(snap2.removed).toBe(2);
      expect((await s.itemsAfter(A, 0, 100, 1e9)).map((i) => i.serverSeq)).toEqual([7, 9]);
    });

    withStorage('a snapshot prunes only the ranges it names: items of the same device below or above them stay', async (s) => {
      await enroll(s, A, D1);
      for (let n = 1; n <= 4; n++) await ok(s, A, update(D1, n));
      const snap = await ok(s, A, { kind: 'snapshot', docId: DOC1, deviceId: D1, deviceSeq: 5, body: bytes('s'), sig: sig(105), covers: [{ deviceId: D1, from: 2, to: 3 }] });
      expect(snap.removed).toBe(2);
      expect((await s.itemsAfter(A, 0, 100, 1e9)).map((i) => [i.serverSeq, i.deviceSeq])).toEqual([[1, 1], [4, 4], [5, 5]]);
    });

    withStorage('a tombstone removes every blob of its document and stays', async (s) => {
      await enroll(s, A, D1);
      await enroll(s, A, D2);
      await ok(s, A, update(D1, 1));
      await ok(s, A, update(D2, 1));
      await ok(s, A, { kind: 'snapshot', docId: DOC1, deviceId: D1, deviceSeq: 2, body: bytes('snap'), sig: sig(2), covers: [{ deviceId: D1, from: 1, to: 1 }] });
      await ok(s, A, update(D1, 3, DOC2, 'keep'));
      const t = await ok(s, A, { kind: 'tombstone', docId: DOC1, deviceId: D2, deviceSeq: 2, covers: [], sig: sig(202) });
      expect(t.removed).toBe(2);
      const left = await s.itemsAfter(A, 0, 100, 1e9);
      expect(left.map((i) => [i.kind, hex(i.docId).slice(0, 2)])).toEqual([['update', '02'], ['tombstone', '01']]);
      expect(left[1]!.body).toBeUndefined();
      expect((await s.account(A))?.bytesUsed).toBe(4);
      expect(await s.write(A, update(D1, 4), QUOTA)).toEqual({ ok: false, reason: 'deleted' });
      expect(await s.write(A, { kind: 'tombstone', docId: DOC1, deviceId: D1, deviceSeq: 5, covers: [], sig: sig(5) }, QUOTA)).toEqual({ ok: false, reason: 'deleted' });
    });

    withStorage('enforces the storage quota, counting what a snapshot frees', async (s) => {
      await enroll(s, A, D1);
      await ok(s, A, update(D1, 1, DOC1, 'x'.repeat(60)), 100);
      expect(await s.write(A, update(D1, 2, DOC1, 'y'.repeat(50)), 100)).toEqual({ ok: false, reason: 'quota' });
      // A refused write consumes nothing: the same sequence number can be used again.
      expect((await s.device(A, D1))?.lastSeq).toBe(1);
      await ok(s, A, { kind: 'snapshot', docId: DOC1, deviceId: D1, deviceSeq: 2, body: bytes('z'.repeat(90)), sig: sig(2), covers: [{ deviceId: D1, from: 1, to: 1 }] }, 100);
      expect((await s.account(A))?.bytesUsed).toBe(90);
      // Tombstones carry no body and are never refused for space.
      await ok(s, A, { kind: 'tombstone', docId: DOC1, deviceId: D1, deviceSeq: 3, covers: [], sig: sig(3) }, 100);
      expect((await s.account(A))?.bytesUsed).toBe(0);
    });

    withStorage('wipes every row of one account, keeps the marker, and stays wiped', async (s) => {
      await enroll(s, A, D1);
      await enroll(s, A, D2);
      await enroll(s, B, D1);
      await ok(s, A, update(D1, 1));
      await ok(s, A, update(D1, 2));
      await ok(s, A, { kind: 'snapshot', docId: DOC1, deviceId: D2, deviceSeq: 1, body: bytes('snap'), sig: sig(101), covers: [{ deviceId: D1, from: 1, to: 1 }] });
      await ok(s, A, { kind: 'tombstone', docId: DOC2, deviceId: D2, deviceSeq: 2, covers: [], sig: sig(102) });
      await ok(s, B, update(D1, 1));
      expect(await s.putPairing(A, id(9, 9), bytes('pair'), T0 + 60_000, QUOTA)).toBe('stored');
      const w = await s.wipe(marker(A), T0 + 10);
      if (w === 'unknown_account') throw new Error('expected a wipe');
      expect(w.counts).toEqual({ updates: 1, snapshots: 1, tombstones: 1, devices: 2, pairings: 1, bytes: 2 + 4 + 4 });
      expect(w.wipedAt).toBe(T0 + 10);
      // The relay signs its receipt over the marker the storage hands back.
      const m = w.marker;
      expect({ ...m, accountId: hex(m.accountId), signer: hex(m.signer), sig: hex(m.sig) }).toEqual({ ...marker(A), accountId: hex(A), signer: hex(D1), sig: hex(sig(9)) });
      expect(await s.account(A)).toBeNull();
      expect(await s.devices(A)).toEqual([]);
      expect(await s.itemsAfter(A, 0, 100, 1e9)).toEqual([]);
      expect(await s.takePairing(id(9, 9), T0)).toBeNull();
      const rec = await s.wipeRecord(A);
      expect(rec?.marker.authority).toBe('relay.test:1');
      expect(hex(rec!.marker.sig)).toBe(hex(sig(9)));
      expect(rec?.counts).toEqual(w.counts);
      // Repeating the wipe returns the first record; the account cannot come back.
      const again = await s.wipe({ ...marker(A), issuedAt: T0 + 99 }, T0 + 100);
      expect(again !== 'unknown_account' && again.wipedAt).toBe(T0 + 10);
      expect(await enroll(s, A, D1)).toBe('wiped');
      // Other accounts are untouched.
      expect((await s.itemsAfter(B, 0, 100, 1e9)).length).toBe(1);
      expect(await s.wipe(marker(id(3, 3)), T0)).toBe('unknown_account');
      expect(await s.wipeRecord(B)).toBeNull();
    });

    withStorage('pairing mailboxes are read once, expire, and count against the quota', async (s) => {
      await enroll(s, A, D1);
      const M = id(4, 4);
      expect(await s.putPairing(B, M, bytes('x'), T0 + 1000, QUOTA)).toBe('unknown_account');
      expect(await s.putPairing(A, M, bytes('ciphertext'), T0 + 1000, QUOTA)).toBe('stored');
      expect(await s.putPairing(A, M, bytes('other'), T0 + 1000, QUOTA)).toBe('exists');
      expect(text((await s.takePairing(M, T0 + 10)) ?? undefined)).toBe('ciphertext');
      expect(await s.takePairing(M, T0 + 10)).toBeNull();
      expect(await s.putPairing(A, id(5, 5), bytes('late'), T0 + 1000, QUOTA)).toBe('stored');
      expect(await s.takePairing(id(5, 5), T0 + 1000)).toBeNull();
      expect(await s.putPairing(A, id(6, 6), bytes('x'.repeat(20)), T0 + 1000, 10)).toBe('quota');
    });

    withStorage('the retention sweep removes inactive accounts, expired mailboxes and old markers', async (s) => {
      await enroll(s, A, D1, T0);
      await enroll(s, B, D1, T0);
      await ok(s, A, update(D1, 1));
      await s.touch(B, T0 + 5_000);
      await s.putPairing(B, id(7, 7), bytes('p'), T0 + 1_000, QUOTA);
      await enroll(s, id(3, 3), D1, T0);
      await s.wipe(marker(id(3, 3)), T0 + 100);
      const r = await s.sweep(T0 + 2_000, T0 + 1_000, T0 + 1_000);
      expect(r).toEqual({ accounts: 1, pairings: 1, markers: 1 });
      expect(await s.account(A)).toBeNull();
      expect(await s.itemsAfter(A, 0, 10, 1e9)).toEqual([]);
      expect(await s.devices(A)).toEqual([]);
      expect(await s.account(B)).not.toBeNull();
      expect(await s.wipeRecord(id(3, 3))).toBeNull();
      expect(await s.sweep(T0 + 2_000, T0 + 1_000, T0 + 1_000)).toEqual({ accounts: 0, pairings: 0, markers: 0 });
    });

    withStorage('hands back what it stored, byte for byte, and counts the bytes it holds (items and waiting pairings)', async (s) => {
      expect(await s.totalBytes()).toBe(0);
      await enroll(s, A, D1, T0);
      await enroll(s, A, D2, T0 + 7);
      await enroll(s, B, D1);
      expect(await s.account(A)).toMatchObject({ createdAt: T0, lastActiveAt: T0 + 7 });
      const r = await ok(s, A, { kind: 'snapshot', docId: DOC2, deviceId: D1, deviceSeq: 1, body: bytes('body'), sig: sig(31), covers: [{ deviceId: D2, from: 1, to: 3 }] });
      expect({ ...r.item, docId: hex(r.item.docId), deviceId: hex(r.item.deviceId), body: text(r.item.body), sig: hex(r.item.sig), covers: r.item.covers.map((c) => ({ ...c, deviceId: hex(c.deviceId) })) }).toEqual({
        kind: 'snapshot', serverSeq: 1, docId: hex(DOC2), deviceId: hex(D1), deviceSeq: 1, body: 'body', sig: hex(sig(31)), covers: [{ deviceId: hex(D2), from: 1, to: 3 }],
      });
      await ok(s, B, update(D1, 1, DOC1, 'abc'));
      await s.putPairing(A, id(8, 8), bytes('pairing'), T0 + 1000, QUOTA);
      expect(await s.totalBytes()).toBe(4 + 3 + 7);
      expect((await s.putDeviceList(A, list(A, 1, [D1, D2]), T0 + 20)).ok).toBe(true);
      expect((await s.account(A))?.lastActiveAt).toBe(T0 + 20);
    });

    withStorage('quota: a write or a pairing that reaches the limit exactly fits; waiting pairings count; a tombstone is never refused, even over quota', async (s) => {
      await enroll(s, A, D1);
      await ok(s, A, update(D1, 1, DOC1, 'x'.repeat(40)), 100);
      await ok(s, A, update(D1, 2, DOC2, 'y'.repeat(60)), 100);
      expect((await s.account(A))?.bytesUsed).toBe(100);
      // The quota was lowered meanwhile: deleting a document still goes through.
      await ok(s, A, { kind: 'tombstone', docId: DOC1, deviceId: D1, deviceSeq: 3, covers: [], sig: sig(3) }, 10);
      expect((await s.account(A))?.bytesUsed).toBe(60);
      expect(await s.putPairing(A, id(4, 4), bytes('p'.repeat(30)), T0 + 1000, 100)).toBe('stored');
      expect(await s.putPairing(A, id(5, 5), bytes('q'.repeat(11)), T0 + 1000, 100)).toBe('quota');
      expect(await s.putPairing(A, id(5, 5), bytes('q'.repeat(10)), T0 + 1000, 100)).toBe('stored');
    });

    withStorage('a page cut by the byte limit ends on the limit exactly; an item number pruned by another device\'s snapshot stays used', async (s) => {
      await enroll(s, A, D1);
      await enroll(s, A, D2);
      for (let i = 1; i <= 3; i++) await ok(s, A, update(D1, i));
      expect((await s.itemsAfter(A, 0, 100, 4)).map((i) => i.serverSeq)).toEqual([1, 2]);
      expect((await s.itemsAfter(A, 0, 100, 3)).map((i) => i.serverSeq)).toEqual([1]);
      await ok(s, A, { kind: 'snapshot', docId: DOC1, deviceId: D2, deviceSeq: 1, body: bytes('s'), sig: sig(41), covers: [{ deviceId: D1, from: 1, to: 3 }] });
      expect(await s.write(A, { ...update(D1, 3), sig: sig(43) }, QUOTA)).toEqual({ ok: false, reason: 'replay' });
    });

    withStorage('a wipe answers with its record only, counting snapshots and tombstones apart', async (s) => {
      await enroll(s, A, D1);
      await ok(s, A, { kind: 'snapshot', docId: DOC1, deviceId: D1, deviceSeq: 1, body: bytes('one'), sig: sig(51), covers: [] });
      await ok(s, A, { kind: 'snapshot', docId: DOC2, deviceId: D1, deviceSeq: 2, body: bytes('two'), sig: sig(52), covers: [] });
      await ok(s, A, { kind: 'tombstone', docId: id(3, 3), deviceId: D1, deviceSeq: 3, covers: [], sig: sig(53) });
      const w = await s.wipe(marker(A), T0 + 10);
      if (w === 'unknown_account') throw new Error('expected a wipe');
      expect(Object.keys(w).sort()).toEqual(['counts', 'marker', 'wipedAt']);
      expect(w.counts).toEqual({ updates: 0, snapshots: 2, tombstones: 1, devices: 1, pairings: 0, bytes: 6 });
      const again = await s.wipe(marker(A), T0 + 20);
      expect(again !== 'unknown_account' && Object.keys(again).sort()).toEqual(['counts', 'marker', 'wipedAt']);
    });

    withStorage('delivers published events to subscribers until they unsubscribe', async (s) => {
      const seen: RelayEvent[] = [];
      const off = s.subscribe((e) => seen.push(e));
      await s.publish({ type: 'revoked', accountId: A, deviceId: D1, origin: 'c1' });
      await s.publish({ type: 'wiped', accountId: B, origin: 'c2' });
      off();
      await s.publish({ type: 'wiped', accountId: A, origin: 'c3' });
      expect(seen.map((e) => [e.type, hex(e.accountId).slice(0, 2), e.origin])).toEqual([['revoked', '01', 'c1'], ['wiped', '02', 'c2']]);
    });
  });
}
