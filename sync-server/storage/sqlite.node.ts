/**
 * Relay storage in one SQLite file (better-sqlite3): the default, for a single relay process with zero setup.
 *
 * - WAL with synchronous=FULL: an acknowledgement is only sent after the commit is on disk, so a killed relay (or
 *   a lost machine) never forgets an update it acknowledged.
 * - secure_delete=ON, and a WAL checkpoint (TRUNCATE) after wipes and sweeps: deleted ciphertext is overwritten
 *   instead of lingering in free pages or old WAL frames, so "the relay holds no file content for the account" is
 *   true of the bytes on disk, not just of the rows.
 * - better-sqlite3 is synchronous, so each method runs as one uninterrupted transaction in this process.
 */
import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceList, WipeCounts, WipeMarker } from '../../shared/sync/messages.std.ts';
import { addKindCount, copy, covered, coversFromJson, coversToJson, listChange, listFromJson, listToJson, LocalBus, u8, zeroCounts } from './common.node.ts';
import { sqliteGallery } from './gallery-sqlite.node.ts';
import type { AccountRow, DeviceRow, NewItem, RelayStorage, StoredItem, StoredWipe, WriteOutcome } from './types.node.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS relay_meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
  account_id BLOB PRIMARY KEY, created_at INTEGER NOT NULL, last_active_at INTEGER NOT NULL,
  head INTEGER NOT NULL, bytes_used INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS accounts_active ON accounts (last_active_at);
CREATE TABLE IF NOT EXISTS devices (
  account_id BLOB NOT NULL, device_id BLOB NOT NULL, enrolled_at INTEGER NOT NULL, enroll_sig BLOB NOT NULL,
  revoked_at INTEGER, last_seq INTEGER NOT NULL, PRIMARY KEY (account_id, device_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS items (
  account_id BLOB NOT NULL, server_seq INTEGER NOT NULL, kind TEXT NOT NULL, doc_id BLOB NOT NULL,
  device_id BLOB NOT NULL, device_seq INTEGER NOT NULL, body BLOB, covers TEXT NOT NULL, sig BLOB NOT NULL,
  PRIMARY KEY (account_id, server_seq));
CREATE UNIQUE INDEX IF NOT EXISTS items_device ON items (account_id, device_id, device_seq);
CREATE INDEX IF NOT EXISTS items_doc ON items (account_id, doc_id);
CREATE INDEX IF NOT EXISTS items_doc_kind ON items (account_id, doc_id, kind);
CREATE TABLE IF NOT EXISTS pairings (
  mailbox BLOB PRIMARY KEY, account_id BLOB NOT NULL, body BLOB NOT NULL, expires_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS pairings_account ON pairings (account_id);
CREATE TABLE IF NOT EXISTS wipes (
  account_id BLOB PRIMARY KEY, issued_at INTEGER NOT NULL, authority TEXT NOT NULL, sig BLOB NOT NULL,
  wiped_at INTEGER NOT NULL, counts TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS device_lists (
  account_id BLOB NOT NULL, version INTEGER NOT NULL, list TEXT NOT NULL, PRIMARY KEY (account_id, version)) WITHOUT ROWID;
`;

/** Relay databases made before device lists: their wipes table has no signer column (such markers were signed by the account key). */
const addWipeSigner = (db: Database.Database) => {
  const cols = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('wipes')").all();
  if (!cols.some((c) => c.name === 'signer')) db.exec('ALTER TABLE wipes ADD COLUMN signer BLOB');
};

interface ItemRow {
  server_seq: number;
  kind: StoredItem['kind'];
  doc_id: Uint8Array;
  device_id: Uint8Array;
  device_seq: number;
  body: Uint8Array | null;
  covers: string;
  sig: Uint8Array;
}

const toItem = (r: ItemRow): StoredItem => ({
  kind: r.kind,
  serverSeq: r.server_seq,
  docId: u8(r.doc_id),
  deviceId: u8(r.device_id),
  deviceSeq: r.device_seq,
  ...(r.body ? { body: u8(r.body) } : {}),
  covers: coversFromJson(r.covers),
  sig: u8(r.sig),
});

interface DeviceSqlRow {
  device_id: Uint8Array;
  enrolled_at: number;
  enroll_sig: Uint8Array;
  revoked_at: number | null;
  last_seq: number;
}
const toDevice = (r: DeviceSqlRow): DeviceRow => ({ deviceId: u8(r.device_id), enrolledAt: r.enrolled_at, enrollSig: u8(r.enroll_sig), revokedAt: r.revoked_at, lastSeq: r.last_seq });

interface WipeSqlRow {
  account_id: Uint8Array;
  issued_at: number;
  authority: string;
  sig: Uint8Array;
  signer: Uint8Array | null;
  wiped_at: number;
  counts: string;
}
const toWipe = (r: WipeSqlRow): StoredWipe => ({
  // A wipe stored before device lists was signed by the account key: its signer is the account id.
  marker: { accountId: u8(r.account_id), issuedAt: r.issued_at, authority: r.authority, signer: u8(r.signer ?? r.account_id), sig: u8(r.sig) },
  wipedAt: r.wiped_at,
  counts: JSON.parse(r.counts) as WipeCounts,
});

export const SQLITE_FILE = 'relay.sqlite';

export function sqliteStorage(dataDir: string): RelayStorage {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, SQLITE_FILE);
  // Owner-only from the first byte: SQLite gives the WAL and SHM files the database file's permissions.
  closeSync(openSync(file, 'a', 0o600));
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('secure_delete = ON');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  addWipeSigner(db);
  const bus = new LocalBus();

  const q = {
    totalBytes: db.prepare<[], { n: number }>('SELECT (SELECT coalesce(sum(bytes_used), 0) FROM accounts) + (SELECT coalesce(sum(length(body)), 0) FROM pairings) AS n'),
    meta: db.prepare<[string], { value: Uint8Array }>('SELECT value FROM relay_meta WHERE key = ?'),
    putMeta: db.prepare('INSERT OR IGNORE INTO relay_meta (key, value) VALUES (?, ?)'),
    account: db.prepare<[Uint8Array], { created_at: number; last_active_at: number; head: number; bytes_used: number }>(
      'SELECT created_at, last_active_at, head, bytes_used FROM accounts WHERE account_id = ?',
    ),
    insertAccount: db.prepare('INSERT INTO accounts (account_id, created_at, last_active_at, head, bytes_used) VALUES (?, ?, ?, 0, 0)'),
    touch: db.prepare('UPDATE accounts SET last_active_at = max(last_active_at, ?) WHERE account_id = ?'),
    device: db.prepare<[Uint8Array, Uint8Array], DeviceSqlRow>('SELECT * FROM devices WHERE account_id = ? AND device_id = ?'),
    devices: db.prepare<[Uint8Array], DeviceSqlRow>('SELECT * FROM devices WHERE account_id = ? ORDER BY enrolled_at, device_id'),
    insertDevice: db.prepare('INSERT INTO devices (account_id, device_id, enrolled_at, enroll_sig, revoked_at, last_seq) VALUES (?, ?, ?, ?, NULL, 0)'),
    revoke: db.prepare('UPDATE devices SET revoked_at = ? WHERE account_id = ? AND device_id = ?'),
    setLastSeq: db.prepare('UPDATE devices SET last_seq = ? WHERE account_id = ? AND device_id = ?'),
    byDeviceSeq: db.prepare<[Uint8Array, Uint8Array, number], ItemRow>('SELECT * FROM items WHERE account_id = ? AND device_id = ? AND device_seq = ?'),
    inDoc: db.prepare<[Uint8Array, Uint8Array], { server_seq: number; kind: string; device_id: Uint8Array; device_seq: number; size: number }>(
      'SELECT server_seq, kind, device_id, device_seq, coalesce(length(body), 0) AS size FROM items WHERE account_id = ? AND doc_id = ?',
    ),
    deleted: db.prepare<[Uint8Array, Uint8Array], number>("SELECT 1 FROM items WHERE account_id = ? AND doc_id = ? AND kind = 'tombstone' LIMIT 1").pluck(),
    deleteItem: db.prepare('DELETE FROM items WHERE account_id = ? AND server_seq = ?'),
    insertItem: db.prepare(
      'INSERT INTO items (account_id, server_seq, kind, doc_id, device_id, device_seq, body, covers, sig) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    setUsage: db.prepare('UPDATE accounts SET head = ?, bytes_used = ? WHERE account_id = ?'),
    after: db.prepare<[Uint8Array, number, number], ItemRow>('SELECT * FROM items WHERE account_id = ? AND server_seq > ? ORDER BY server_seq LIMIT ?'),
    wipeRow: db.prepare<[Uint8Array], WipeSqlRow>('SELECT * FROM wipes WHERE account_id = ?'),
    countItems: db.prepare<[Uint8Array], { kind: string; n: number; bytes: number }>(
      'SELECT kind, count(*) AS n, coalesce(sum(length(body)), 0) AS bytes FROM items WHERE account_id = ? GROUP BY kind',
    ),
    countDevices: db.prepare<[Uint8Array], { n: number }>('SELECT count(*) AS n FROM devices WHERE account_id = ?'),
    countActiveDevices: db.prepare<[Uint8Array], { n: number }>('SELECT count(*) AS n FROM devices WHERE account_id = ? AND revoked_at IS NULL'),
    countPairings: db.prepare<[Uint8Array], { n: number; bytes: number }>(
      'SELECT count(*) AS n, coalesce(sum(length(body)), 0) AS bytes FROM pairings WHERE account_id = ?',
    ),
    insertWipe: db.prepare('INSERT INTO wipes (account_id, issued_at, authority, sig, wiped_at, counts, signer) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    lists: db.prepare<[Uint8Array], { list: string }>('SELECT list FROM device_lists WHERE account_id = ? ORDER BY version'),
    listCount: db.prepare<[Uint8Array], { n: number }>('SELECT count(*) AS n FROM device_lists WHERE account_id = ?'),
    insertList: db.prepare('INSERT INTO device_lists (account_id, version, list) VALUES (?, ?, ?)'),
    pairing: db.prepare<[Uint8Array], { body: Uint8Array; expires_at: number }>('SELECT body, expires_at FROM pairings WHERE mailbox = ?'),
    insertPairing: db.prepare('INSERT INTO pairings (mailbox, account_id, body, expires_at) VALUES (?, ?, ?, ?)'),
    deletePairing: db.prepare('DELETE FROM pairings WHERE mailbox = ?'),
  };

  const deleteAccountRows = (accountId: Uint8Array) => {
    for (const table of ['items', 'devices', 'device_lists', 'pairings', 'accounts']) db.prepare(`DELETE FROM ${table} WHERE account_id = ?`).run(accountId);
  };

  const write = db.transaction((accountId: Uint8Array, item: NewItem, quotaBytes: number): WriteOutcome => {
    const acct = q.account.get(accountId);
    if (!acct) return { ok: false, reason: 'unknown_account' };
    const dev = q.device.get(accountId, item.deviceId);
    if (!dev) return { ok: false, reason: 'unknown_device' };
    if (dev.revoked_at !== null) return { ok: false, reason: 'revoked' };
    const existing = q.byDeviceSeq.get(accountId, item.deviceId, item.deviceSeq);
    if (existing) {
      return Buffer.compare(existing.sig, item.sig) === 0 ? { ok: true, item: toItem(existing), duplicate: true, removed: 0 } : { ok: false, reason: 'conflict' };
    }
    if (item.deviceSeq <= dev.last_seq) return { ok: false, reason: 'replay' };
    // An update prunes nothing, so it needs only "is the document deleted" (one index probe), not every row of the
    // document: reading them all made each live edit cost more as its document grew.
    if (q.deleted.get(accountId, item.docId) !== undefined) return { ok: false, reason: 'deleted' };
    const inDoc = item.kind === 'update' ? [] : q.inDoc.all(accountId, item.docId);
    const pruned = item.kind === 'tombstone' ? inDoc : item.kind === 'snapshot' ? inDoc.filter((r) => covered(item.covers, r.device_id, r.device_seq)) : [];
    const bodyBytes = item.body?.length ?? 0;
    const bytesUsed = acct.bytes_used - pruned.reduce((n, r) => n + r.size, 0) + bodyBytes;
    if (bodyBytes > 0 && bytesUsed > quotaBytes) return { ok: false, reason: 'quota' };
    for (const r of pruned) q.deleteItem.run(accountId, r.server_seq);
    const serverSeq = acct.head + 1;
    q.insertItem.run(accountId, serverSeq, item.kind, item.docId, item.deviceId, item.deviceSeq, item.body ?? null, coversToJson(item.covers), item.sig);
    q.setLastSeq.run(item.deviceSeq, accountId, item.deviceId);
    q.setUsage.run(serverSeq, bytesUsed, accountId);
    const stored: StoredItem = {
      kind: item.kind,
      serverSeq,
      docId: copy(item.docId),
      deviceId: copy(item.deviceId),
      deviceSeq: item.deviceSeq,
      ...(item.body ? { body: copy(item.body) } : {}),
      covers: item.covers.map((c) => ({ ...c, deviceId: copy(c.deviceId) })),
      sig: copy(item.sig),
    };
    return { ok: true, item: stored, duplicate: false, removed: pruned.length };
  });

  const wipe = db.transaction((marker: WipeMarker, now: number): StoredWipe | 'unknown_account' => {
    const done = q.wipeRow.get(marker.accountId);
    if (done) return toWipe(done);
    if (!q.account.get(marker.accountId)) return 'unknown_account';
    const counts = zeroCounts();
    for (const r of q.countItems.all(marker.accountId)) {
      counts[r.kind === 'update' ? 'updates' : r.kind === 'snapshot' ? 'snapshots' : 'tombstones'] = r.n;
      counts.bytes += r.bytes;
    }
    counts.devices = q.countDevices.get(marker.accountId)!.n;
    const p = q.countPairings.get(marker.accountId)!;
    counts.pairings = p.n;
    counts.bytes += p.bytes;
    deleteAccountRows(marker.accountId);
    q.insertWipe.run(marker.accountId, marker.issuedAt, marker.authority, marker.sig, now, JSON.stringify(counts), marker.signer);
    return { marker: { ...marker, accountId: copy(marker.accountId), signer: copy(marker.signer), sig: copy(marker.sig) }, wipedAt: now, counts };
  });

  const putList = db.transaction((accountId: Uint8Array, list: DeviceList, now: number) => {
    if (q.wipeRow.get(accountId)) return { ok: false, reason: 'wiped' } as const;
    const exists = q.account.get(accountId) !== undefined;
    if (q.listCount.get(accountId)!.n !== list.version - 1 || (!exists && list.version !== 1)) return { ok: false, reason: 'stale' } as const;
    const change = listChange(list, q.devices.all(accountId).map(toDevice));
    if (change.readmits) return { ok: false, reason: 'revoked' } as const;
    if (!exists) q.insertAccount.run(accountId, now, now);
    q.insertList.run(accountId, list.version, listToJson(list));
    for (const d of change.added) q.insertDevice.run(accountId, d, list.issuedAt, list.sig);
    for (const d of change.removed) q.revoke.run(now, accountId, d);
    q.touch.run(now, accountId);
    return { ok: true, removed: change.removed.map(copy) } as const;
  });

  const checkpoint = () => db.pragma('wal_checkpoint(TRUNCATE)');

  return {
    kind: 'sqlite',
    gallery: sqliteGallery(db),

    async relaySeed(create) {
      const row = q.meta.get('ed25519_seed');
      if (row) return u8(row.value);
      q.putMeta.run('ed25519_seed', create());
      return u8(q.meta.get('ed25519_seed')!.value);
    },

    enroll: async (accountId, device, now) =>
      db.transaction(() => {
        if (q.wipeRow.get(accountId)) return 'wiped' as const;
        if (!q.account.get(accountId)) q.insertAccount.run(accountId, now, now);
        const existing = q.device.get(accountId, device.deviceId);
        if (existing) return existing.revoked_at === null ? ('already' as const) : ('revoked' as const);
        q.insertDevice.run(accountId, device.deviceId, device.enrolledAt, device.enrollSig);
        q.touch.run(now, accountId);
        return 'enrolled' as const;
      }).immediate(),

    async account(accountId): Promise<AccountRow | null> {
      const r = q.account.get(accountId);
      return r ? { createdAt: r.created_at, lastActiveAt: r.last_active_at, head: r.head, bytesUsed: r.bytes_used } : null;
    },

    async usage(accountId) {
      return db.transaction(() => {
        if (!q.account.get(accountId)) return null;
        const u = { updates: 0, snapshots: 0, tombstones: 0, bytes: 0, devices: q.countActiveDevices.get(accountId)!.n };
        for (const r of q.countItems.all(accountId)) addKindCount(u, r.kind, r.n, r.bytes);
        return u;
      })();
    },

    async totalBytes() {
      return q.totalBytes.get()!.n;
    },

    async device(accountId, deviceId) {
      const r = q.device.get(accountId, deviceId);
      return r ? toDevice(r) : null;
    },

    devices: async (accountId) => q.devices.all(accountId).map(toDevice),

    revoke: async (accountId, deviceId, now) =>
      db.transaction(() => {
        const r = q.device.get(accountId, deviceId);
        if (!r) return 'not_found' as const;
        if (r.revoked_at !== null) return 'already' as const;
        q.revoke.run(now, accountId, deviceId);
        return 'revoked' as const;
      }).immediate(),

    deviceLists: async (accountId) => q.lists.all(accountId).map((r) => listFromJson(r.list)),
    putDeviceList: async (accountId, list, now) => putList.immediate(accountId, list, now),

    async touch(accountId, now) {
      q.touch.run(now, accountId);
    },

    write: async (accountId, item, quotaBytes) => write.immediate(accountId, item, quotaBytes),

    async itemsAfter(accountId, after, limit, maxBytes) {
      const out: StoredItem[] = [];
      let bytes = 0;
      // Stream rather than .all(): a pull stops at maxBytes long before reading every remaining row.
      for (const r of q.after.iterate(accountId, after, limit)) {
        const size = r.body?.length ?? 0;
        if (out.length > 0 && bytes + size > maxBytes) break;
        out.push(toItem(r));
        bytes += size;
      }
      return out;
    },

    async wipe(marker, now) {
      const r = wipe.immediate(marker, now);
      checkpoint();
      return r;
    },

    async wipeRecord(accountId) {
      const r = q.wipeRow.get(accountId);
      return r ? toWipe(r) : null;
    },

    putPairing: async (accountId, mailbox, body, expiresAt, quotaBytes) =>
      db.transaction(() => {
        const acct = q.account.get(accountId);
        if (!acct) return 'unknown_account' as const;
        if (q.pairing.get(mailbox)) return 'exists' as const;
        if (acct.bytes_used + q.countPairings.get(accountId)!.bytes + body.length > quotaBytes) return 'quota' as const;
        q.insertPairing.run(mailbox, accountId, body, expiresAt);
        return 'stored' as const;
      }).immediate(),

    takePairing: async (mailbox, now) =>
      db.transaction(() => {
        const r = q.pairing.get(mailbox);
        if (!r) return null;
        q.deletePairing.run(mailbox);
        return r.expires_at > now ? copy(r.body) : null;
      }).immediate(),

    async sweep(now, inactiveBefore, markersBefore) {
      const result = db.transaction(() => {
        const stale = db.prepare<[number], { account_id: Uint8Array }>('SELECT account_id FROM accounts WHERE last_active_at < ?').all(inactiveBefore);
        for (const { account_id } of stale) deleteAccountRows(account_id);
        const pairings = db.prepare('DELETE FROM pairings WHERE expires_at <= ?').run(now).changes;
        const markers = db.prepare('DELETE FROM wipes WHERE wiped_at < ?').run(markersBefore).changes;
        return { accounts: stale.length, pairings, markers };
      }).immediate();
      if (result.accounts + result.pairings + result.markers > 0) checkpoint();
      return result;
    },

    async publish(event) {
      bus.emit(event);
    },
    subscribe: (listener) => bus.subscribe(listener),

    async close() {
      if (db.open) db.close();
    },
  };
}
