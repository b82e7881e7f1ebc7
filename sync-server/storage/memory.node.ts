/** In-memory relay storage: the reference implementation of the interface, for tests and throwaway relays. */
import { memoryGallery } from './gallery-memory.node.ts';
import type { DeviceList, WipeMarker } from '../../shared/sync/messages.std.ts';
import { equalBytes } from '../../shared/sync/signing.std.ts';
import { addKindCount, copy, covered, hex, listChange, listFromJson, listToJson, LocalBus, zeroCounts } from './common.node.ts';
import type { AccountRow, DeviceRow, NewItem, RelayEvent, RelayStorage, StoredItem, StoredWipe, SweepResult, WriteOutcome } from './types.node.ts';

interface Account {
  row: AccountRow;
  devices: Map<string, DeviceRow>;
  /** serverSeq → item; insertion order is serverSeq order because sequence numbers only grow. */
  items: Map<number, StoredItem>;
  lists: DeviceList[];
}

export function memoryStorage(): RelayStorage {
  let seed: Uint8Array | null = null;
  const accounts = new Map<string, Account>();
  const wipes = new Map<string, StoredWipe>();
  const pairings = new Map<string, { account: string; body: Uint8Array; expiresAt: number }>();
  const bus = new LocalBus();

  const findItem = (a: Account, deviceId: Uint8Array, deviceSeq: number): StoredItem | undefined => {
    for (const it of a.items.values()) if (it.deviceSeq === deviceSeq && equalBytes(it.deviceId, deviceId)) return it;
    return undefined;
  };

  const newAccount = (now: number): Account => ({ row: { createdAt: now, lastActiveAt: now, head: 0, bytesUsed: 0 }, devices: new Map(), items: new Map(), lists: [] });

  const storage: RelayStorage = {
    kind: 'memory',
    gallery: memoryGallery(),

    async relaySeed(create) {
      seed ??= copy(create());
      return seed;
    },

    async enroll(accountId, device, now) {
      const key = hex(accountId);
      if (wipes.has(key)) return 'wiped';
      let a = accounts.get(key);
      if (!a) {
        a = newAccount(now);
        accounts.set(key, a);
      }
      const existing = a.devices.get(hex(device.deviceId));
      if (existing) return existing.revokedAt === null ? 'already' : 'revoked';
      a.devices.set(hex(device.deviceId), { deviceId: copy(device.deviceId), enrolledAt: device.enrolledAt, enrollSig: copy(device.enrollSig), revokedAt: null, lastSeq: 0 });
      a.row.lastActiveAt = now;
      return 'enrolled';
    },

    async account(accountId) {
      const a = accounts.get(hex(accountId));
      return a ? { ...a.row } : null;
    },

    async usage(accountId) {
      const a = accounts.get(hex(accountId));
      if (!a) return null;
      const u = { updates: 0, snapshots: 0, tombstones: 0, bytes: 0, devices: 0 };
      for (const it of a.items.values()) addKindCount(u, it.kind, 1, it.body?.length ?? 0);
      for (const d of a.devices.values()) if (d.revokedAt === null) u.devices++;
      return u;
    },

    async totalBytes() {
      let n = 0;
      for (const a of accounts.values()) n += a.row.bytesUsed;
      for (const p of pairings.values()) n += p.body.length;
      return n;
    },

    async device(accountId, deviceId) {
      const d = accounts.get(hex(accountId))?.devices.get(hex(deviceId));
      return d ? { ...d } : null;
    },

    async devices(accountId) {
      const a = accounts.get(hex(accountId));
      return a ? [...a.devices.values()].map((d) => ({ ...d })).sort((x, y) => x.enrolledAt - y.enrolledAt) : [];
    },

    async revoke(accountId, deviceId, now) {
      const d = accounts.get(hex(accountId))?.devices.get(hex(deviceId));
      if (!d) return 'not_found';
      if (d.revokedAt !== null) return 'already';
      d.revokedAt = now;
      return 'revoked';
    },

    async deviceLists(accountId) {
      return (accounts.get(hex(accountId))?.lists ?? []).map((l) => listFromJson(listToJson(l)));
    },

    async putDeviceList(accountId, list, now) {
      const key = hex(accountId);
      if (wipes.has(key)) return { ok: false, reason: 'wiped' };
      const existing = accounts.get(key);
      if ((existing?.lists.length ?? 0) !== list.version - 1 || (!existing && list.version !== 1)) return { ok: false, reason: 'stale' };
      const a = existing ?? newAccount(now);
      const change = listChange(list, [...a.devices.values()]);
      if (change.readmits) return { ok: false, reason: 'revoked' };
      accounts.set(key, a);
      a.lists.push(listFromJson(listToJson(list)));
      for (const d of change.added) a.devices.set(hex(d), { deviceId: copy(d), enrolledAt: list.issuedAt, enrollSig: copy(list.sig), revokedAt: null, lastSeq: 0 });
      for (const d of change.removed) a.devices.get(hex(d))!.revokedAt = now;
      a.row.lastActiveAt = Math.max(a.row.lastActiveAt, now);
      return { ok: true, removed: change.removed.map(copy) };
    },

    async touch(accountId, now) {
      const a = accounts.get(hex(accountId));
      if (a) a.row.lastActiveAt = Math.max(a.row.lastActiveAt, now);
    },

    async write(accountId, item: NewItem, quotaBytes): Promise<WriteOutcome> {
      const a = accounts.get(hex(accountId));
      if (!a) return { ok: false, reason: 'unknown_account' };
      const dev = a.devices.get(hex(item.deviceId));
      if (!dev) return { ok: false, reason: 'unknown_device' };
      if (dev.revokedAt !== null) return { ok: false, reason: 'revoked' };
      const existing = findItem(a, item.deviceId, item.deviceSeq);
      if (existing) return equalBytes(existing.sig, item.sig) ? { ok: true, item: existing, duplicate: true, removed: 0 } : { ok: false, reason: 'conflict' };
      if (item.deviceSeq <= dev.lastSeq) return { ok: false, reason: 'replay' };
      const inDoc = [...a.items.values()].filter((it) => equalBytes(it.docId, item.docId));
      if (inDoc.some((it) => it.kind === 'tombstone')) return { ok: false, reason: 'deleted' };
      const pruned =
        item.kind === 'tombstone' ? inDoc : item.kind === 'snapshot' ? inDoc.filter((it) => covered(item.covers, it.deviceId, it.deviceSeq)) : [];
      const prunedBytes = pruned.reduce((n, it) => n + (it.body?.length ?? 0), 0);
      const bodyBytes = item.body?.length ?? 0;
      const bytesUsed = a.row.bytesUsed - prunedBytes + bodyBytes;
      if (bodyBytes > 0 && bytesUsed > quotaBytes) return { ok: false, reason: 'quota' };
      for (const it of pruned) a.items.delete(it.serverSeq);
      const stored: StoredItem = {
        kind: item.kind,
        serverSeq: ++a.row.head,
        docId: copy(item.docId),
        deviceId: copy(item.deviceId),
        deviceSeq: item.deviceSeq,
        ...(item.body ? { body: copy(item.body) } : {}),
        covers: item.covers.map((c) => ({ ...c, deviceId: copy(c.deviceId) })),
        sig: copy(item.sig),
      };
      a.items.set(stored.serverSeq, stored);
      dev.lastSeq = item.deviceSeq;
      a.row.bytesUsed = bytesUsed;
      return { ok: true, item: stored, duplicate: false, removed: pruned.length };
    },

    async itemsAfter(accountId, after, limit, maxBytes) {
      const a = accounts.get(hex(accountId));
      const out: StoredItem[] = [];
      if (!a) return out;
      let bytes = 0;
      for (const it of a.items.values()) {
        if (it.serverSeq <= after) continue;
        if (out.length >= limit || (out.length > 0 && bytes + (it.body?.length ?? 0) > maxBytes)) break;
        out.push(it);
        bytes += it.body?.length ?? 0;
      }
      return out;
    },

    async wipe(marker: WipeMarker, now) {
      const key = hex(marker.accountId);
      const done = wipes.get(key);
      if (done) return done;
      const a = accounts.get(key);
      if (!a) return 'unknown_account';
      const counts = zeroCounts();
      for (const it of a.items.values()) {
        counts[it.kind === 'update' ? 'updates' : it.kind === 'snapshot' ? 'snapshots' : 'tombstones']++;
        counts.bytes += it.body?.length ?? 0;
      }
      counts.devices = a.devices.size;
      for (const [m, p] of pairings) {
        if (p.account !== key) continue;
        counts.pairings++;
        counts.bytes += p.body.length;
        pairings.delete(m);
      }
      accounts.delete(key);
      const record: StoredWipe = { marker: { ...marker, accountId: copy(marker.accountId), signer: copy(marker.signer), sig: copy(marker.sig) }, wipedAt: now, counts };
      wipes.set(key, record);
      return record;
    },

    async wipeRecord(accountId) {
      return wipes.get(hex(accountId)) ?? null;
    },

    async putPairing(accountId, mailbox, body, expiresAt, quotaBytes) {
      const key = hex(accountId);
      const a = accounts.get(key);
      if (!a) return 'unknown_account';
      if (pairings.has(hex(mailbox))) return 'exists';
      let waiting = 0;
      for (const p of pairings.values()) if (p.account === key) waiting += p.body.length;
      if (a.row.bytesUsed + waiting + body.length > quotaBytes) return 'quota';
      pairings.set(hex(mailbox), { account: key, body: copy(body), expiresAt });
      return 'stored';
    },

    async takePairing(mailbox, now) {
      const p = pairings.get(hex(mailbox));
      if (!p) return null;
      pairings.delete(hex(mailbox));
      return p.expiresAt > now ? p.body : null;
    },

    async sweep(now, inactiveBefore, markersBefore): Promise<SweepResult> {
      const r: SweepResult = { accounts: 0, pairings: 0, markers: 0 };
      for (const [key, a] of accounts) {
        if (a.row.lastActiveAt >= inactiveBefore) continue;
        accounts.delete(key);
        r.accounts++;
        for (const [m, p] of pairings) if (p.account === key) pairings.delete(m);
      }
      for (const [m, p] of pairings) {
        if (p.expiresAt > now) continue;
        pairings.delete(m);
        r.pairings++;
      }
      for (const [key, w] of wipes) {
        if (w.wipedAt >= markersBefore) continue;
        wipes.delete(key);
        r.markers++;
      }
      return r;
    },

    async publish(event: RelayEvent) {
      bus.emit(event);
    },
    subscribe: (listener) => bus.subscribe(listener),
    async close() {},
  };
  return storage;
}
