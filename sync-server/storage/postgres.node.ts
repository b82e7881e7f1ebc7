/**
 * Relay storage in PostgreSQL (pg), for running several relay instances behind one address.
 *
 * - Every write locks its account row (SELECT … FOR UPDATE), so server sequence numbers are assigned and committed
 *   in one order across instances: a device pulling "after cursor N" can never miss an item that commits later with
 *   a lower number.
 * - Live fan-out between instances goes through PostgreSQL itself: publish() NOTIFYs a tiny payload (instance,
 *   event type, account, sequence number — never content; NOTIFY payloads are capped at 8 kB anyway) and each
 *   instance LISTENs on a dedicated connection, reads the item back and hands it to its own connections.
 */
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import type { DeviceList, WipeCounts, WipeMarker } from '../../shared/sync/messages.std.ts';
import { addKindCount, copy, covered, coversFromJson, coversToJson, hex, listChange, listFromJson, listToJson, LocalBus, u8, unhex, zeroCounts } from './common.node.ts';
import { GALLERY_PG_SCHEMA, postgresGallery } from './gallery-postgres.node.ts';
import { inTransaction } from './pg-tx.node.ts';
import type { DeviceRow, NewItem, RelayEvent, RelayStorage, StoredItem, StoredWipe, WriteOutcome } from './types.node.ts';

const CHANNEL = 'mindstage_relay';
const SCHEMA_LOCK = 0x6d737472; // advisory lock id: two instances starting together must not race on CREATE TABLE

const SCHEMA = `
CREATE TABLE IF NOT EXISTS relay_meta (key text PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
  account_id bytea PRIMARY KEY, created_at bigint NOT NULL, last_active_at bigint NOT NULL,
  head bigint NOT NULL, bytes_used bigint NOT NULL);
CREATE INDEX IF NOT EXISTS accounts_active ON accounts (last_active_at);
CREATE TABLE IF NOT EXISTS devices (
  account_id bytea NOT NULL, device_id bytea NOT NULL, enrolled_at bigint NOT NULL, enroll_sig bytea NOT NULL,
  revoked_at bigint, last_seq bigint NOT NULL, PRIMARY KEY (account_id, device_id));
CREATE TABLE IF NOT EXISTS items (
  account_id bytea NOT NULL, server_seq bigint NOT NULL, kind text NOT NULL, doc_id bytea NOT NULL,
  device_id bytea NOT NULL, device_seq bigint NOT NULL, body bytea, covers text NOT NULL, sig bytea NOT NULL,
  PRIMARY KEY (account_id, server_seq));
CREATE UNIQUE INDEX IF NOT EXISTS items_device ON items (account_id, device_id, device_seq);
CREATE INDEX IF NOT EXISTS items_doc ON items (account_id, doc_id);
CREATE INDEX IF NOT EXISTS items_doc_kind ON items (account_id, doc_id, kind);
CREATE TABLE IF NOT EXISTS pairings (
  mailbox bytea PRIMARY KEY, account_id bytea NOT NULL, body bytea NOT NULL, expires_at bigint NOT NULL);
CREATE INDEX IF NOT EXISTS pairings_account ON pairings (account_id);
CREATE TABLE IF NOT EXISTS wipes (
  account_id bytea PRIMARY KEY, issued_at bigint NOT NULL, authority text NOT NULL, sig bytea NOT NULL,
  wiped_at bigint NOT NULL, counts text NOT NULL);
ALTER TABLE wipes ADD COLUMN IF NOT EXISTS signer bytea;
CREATE TABLE IF NOT EXISTS device_lists (
  account_id bytea NOT NULL, version bigint NOT NULL, list text NOT NULL, PRIMARY KEY (account_id, version));
`;

/** bigint (int8) and count(*) come back as strings by default; every value we store fits a double exactly. */
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

interface ItemRow {
  server_seq: number;
  kind: StoredItem['kind'];
  doc_id: Buffer;
  device_id: Buffer;
  device_seq: number;
  body: Buffer | null;
  covers: string;
  sig: Buffer;
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
const toDevice = (r: { device_id: Buffer; enrolled_at: number; enroll_sig: Buffer; revoked_at: number | null; last_seq: number }): DeviceRow => ({
  deviceId: u8(r.device_id),
  enrolledAt: r.enrolled_at,
  enrollSig: u8(r.enroll_sig),
  revokedAt: r.revoked_at,
  lastSeq: r.last_seq,
});
const toWipe = (r: { account_id: Buffer; issued_at: number; authority: string; sig: Buffer; signer: Buffer | null; wiped_at: number; counts: string }): StoredWipe => ({
  // A wipe stored before device lists was signed by the account key: its signer is the account id.
  marker: { accountId: u8(r.account_id), issuedAt: r.issued_at, authority: r.authority, signer: u8(r.signer ?? r.account_id), sig: u8(r.sig) },
  wipedAt: r.wiped_at,
  counts: JSON.parse(r.counts) as WipeCounts,
});

interface Notice {
  i: string; // instance
  t: RelayEvent['type'];
  a: string; // account id (a public key), hex
  s?: number;
  d?: string;
  o: string;
}

export interface PostgresStorageOptions {
  /** Called when the LISTEN connection fails; the storage reconnects on its own. */
  onError?: (error: unknown) => void;
}

export async function postgresStorage(connectionString: string, options: PostgresStorageOptions = {}): Promise<RelayStorage> {
  const pool = new pg.Pool({ connectionString, types, max: 8 });
  pool.on('error', (e) => options.onError?.(e));
  const instance = randomUUID();
  const bus = new LocalBus();
  let closed = false;

  {
    const c = await pool.connect();
    try {
      await c.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK]);
      await c.query(SCHEMA);
      await c.query(GALLERY_PG_SCHEMA);
    } finally {
      await c.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK]).catch(() => undefined);
      c.release();
    }
  }

  const tx = <T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> => inTransaction(pool, fn);
  const lockAccount = async (c: pg.PoolClient, accountId: Uint8Array) =>
    (await c.query<{ head: number; bytes_used: number }>('SELECT head, bytes_used FROM accounts WHERE account_id = $1 FOR UPDATE', [buf(accountId)])).rows[0];
  const one = async <R extends pg.QueryResultRow>(text: string, values: unknown[]) => (await pool.query<R>(text, values)).rows[0];

  // ---- cross-instance fan-out ----------------------------------------------------------------------------------
  let listener: pg.Client | null = null;
  let delivery = Promise.resolve(); // notices are turned into events one at a time, in the order they arrived
  const onNotice = async (n: Notice) => {
    const accountId = unhex(n.a);
    if (n.t === 'item' && n.s !== undefined) {
      const [item] = await storage.itemsAfter(accountId, n.s - 1, 1, Number.MAX_SAFE_INTEGER);
      // A snapshot or tombstone may already have pruned it; devices catch up by pulling.
      if (item && item.serverSeq === n.s) bus.emit({ type: 'item', accountId, serverSeq: n.s, origin: n.o, item });
    } else if (n.t === 'revoked' && n.d) bus.emit({ type: 'revoked', accountId, deviceId: unhex(n.d), origin: n.o });
    else if (n.t === 'wiped') bus.emit({ type: 'wiped', accountId, origin: n.o });
  };
  const listen = async (): Promise<void> => {
    const c = new pg.Client({ connectionString, types });
    c.on('notification', (msg) => {
      if (msg.channel !== CHANNEL || !msg.payload) return;
      let n: Notice;
      try {
        n = JSON.parse(msg.payload) as Notice;
      } catch {
        return;
      }
      if (n.i === instance) return; // already delivered locally by publish()
      delivery = delivery.then(() => onNotice(n)).catch((e: unknown) => options.onError?.(e));
    });
    c.on('error', (e) => {
      if (listener !== c) return; // while connecting, connect() or LISTEN rejects with the same error
      options.onError?.(e);
      listener = null;
      c.end().catch(() => undefined);
      setTimeout(reconnect, 1_000).unref();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANNEL}`);
    } catch (e) {
      c.end().catch(() => undefined);
      throw e;
    }
    listener = c;
  };
  // The last reconnect is kept so close() can wait for it and end what it opened: closing during the second before
  // a reconnect, or while it connects, must not leave a listening connection behind. A reconnect after close() does
  // nothing, so the timers need not check.
  let reconnecting: Promise<void> | undefined;
  const reconnect = () => {
    if (closed) return;
    reconnecting = listen().catch((e: unknown) => {
      options.onError?.(e);
      setTimeout(reconnect, 1_000).unref(); // the database may be back in a second
    });
  };
  await listen();

  const storage: RelayStorage = {
    kind: 'postgres',
    gallery: postgresGallery(pool),

    async relaySeed(create) {
      await pool.query('INSERT INTO relay_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', ['ed25519_seed', buf(create())]);
      return u8((await one<{ value: Buffer }>('SELECT value FROM relay_meta WHERE key = $1', ['ed25519_seed']))!.value);
    },

    enroll: (accountId, device, now) =>
      tx(async (c) => {
        const a = buf(accountId);
        if ((await c.query('SELECT 1 FROM wipes WHERE account_id = $1', [a])).rowCount) return 'wiped' as const;
        await c.query('INSERT INTO accounts VALUES ($1, $2, $2, 0, 0) ON CONFLICT (account_id) DO NOTHING', [a, now]);
        if (!(await lockAccount(c, accountId))) return 'wiped' as const; // wiped while we waited for the lock
        const d = await c.query<{ revoked_at: number | null }>('SELECT revoked_at FROM devices WHERE account_id = $1 AND device_id = $2', [a, buf(device.deviceId)]);
        if (d.rows[0]) return d.rows[0].revoked_at === null ? ('already' as const) : ('revoked' as const);
        await c.query('INSERT INTO devices VALUES ($1, $2, $3, $4, NULL, 0)', [a, buf(device.deviceId), device.enrolledAt, buf(device.enrollSig)]);
        await c.query('UPDATE accounts SET last_active_at = greatest(last_active_at, $2) WHERE account_id = $1', [a, now]);
        return 'enrolled' as const;
      }),

    async account(accountId) {
      const r = await one<{ created_at: number; last_active_at: number; head: number; bytes_used: number }>('SELECT * FROM accounts WHERE account_id = $1', [buf(accountId)]);
      return r ? { createdAt: r.created_at, lastActiveAt: r.last_active_at, head: r.head, bytesUsed: r.bytes_used } : null;
    },

    usage: (accountId) =>
      tx(async (c) => {
        const a = buf(accountId);
        if (!(await c.query('SELECT 1 FROM accounts WHERE account_id = $1', [a])).rowCount) return null;
        const devices = await c.query<{ n: string }>('SELECT count(*) AS n FROM devices WHERE account_id = $1 AND revoked_at IS NULL', [a]);
        const u = { updates: 0, snapshots: 0, tombstones: 0, bytes: 0, devices: Number(devices.rows[0]!.n) };
        const rows = await c.query<{ kind: string; n: string; bytes: string }>(
          'SELECT kind, count(*) AS n, coalesce(sum(length(body)), 0)::bigint AS bytes FROM items WHERE account_id = $1 GROUP BY kind', [a],
        );
        for (const r of rows.rows) addKindCount(u, r.kind, Number(r.n), Number(r.bytes));
        return u;
      }),

    async totalBytes() {
      const r = await one<{ n: string }>('SELECT (SELECT coalesce(sum(bytes_used), 0) FROM accounts) + (SELECT coalesce(sum(length(body)), 0) FROM pairings) AS n', []);
      return Number(r?.n ?? 0);
    },

    async device(accountId, deviceId) {
      const r = await one<Parameters<typeof toDevice>[0]>('SELECT * FROM devices WHERE account_id = $1 AND device_id = $2', [buf(accountId), buf(deviceId)]);
      return r ? toDevice(r) : null;
    },

    devices: async (accountId) =>
      (await pool.query<Parameters<typeof toDevice>[0]>('SELECT * FROM devices WHERE account_id = $1 ORDER BY enrolled_at, device_id', [buf(accountId)])).rows.map(toDevice),

    async revoke(accountId, deviceId, now) {
      const r = await pool.query<{ revoked_at: number }>(
        `UPDATE devices SET revoked_at = coalesce(revoked_at, $3) WHERE account_id = $1 AND device_id = $2
         RETURNING revoked_at`,
        [buf(accountId), buf(deviceId), now],
      );
      if (!r.rows[0]) return 'not_found';
      return r.rows[0].revoked_at === now ? 'revoked' : 'already';
    },

    deviceLists: async (accountId) =>
      (await pool.query<{ list: string }>('SELECT list FROM device_lists WHERE account_id = $1 ORDER BY version', [buf(accountId)])).rows.map((r) => listFromJson(r.list)),

    putDeviceList: (accountId, list: DeviceList, now) =>
      tx(async (c) => {
        const a = buf(accountId);
        if ((await c.query('SELECT 1 FROM wipes WHERE account_id = $1', [a])).rowCount) return { ok: false, reason: 'wiped' } as const;
        if (list.version === 1) await c.query('INSERT INTO accounts VALUES ($1, $2, $2, 0, 0) ON CONFLICT (account_id) DO NOTHING', [a, now]);
        if (!(await lockAccount(c, accountId))) return { ok: false, reason: list.version === 1 ? 'wiped' : 'stale' } as const;
        const n = (await c.query<{ n: number }>('SELECT count(*) AS n FROM device_lists WHERE account_id = $1', [a])).rows[0]!.n;
        if (n !== list.version - 1) return { ok: false, reason: 'stale' } as const;
        const rows = (await c.query<Parameters<typeof toDevice>[0]>('SELECT * FROM devices WHERE account_id = $1', [a])).rows.map(toDevice);
        const change = listChange(list, rows);
        if (change.readmits) return { ok: false, reason: 'revoked' } as const;
        await c.query('INSERT INTO device_lists VALUES ($1, $2, $3)', [a, list.version, listToJson(list)]);
        for (const d of change.added) await c.query('INSERT INTO devices VALUES ($1, $2, $3, $4, NULL, 0)', [a, buf(d), list.issuedAt, buf(list.sig)]);
        if (change.removed.length > 0) await c.query('UPDATE devices SET revoked_at = $2 WHERE account_id = $1 AND device_id = ANY($3::bytea[])', [a, now, change.removed.map(buf)]);
        await c.query('UPDATE accounts SET last_active_at = greatest(last_active_at, $2) WHERE account_id = $1', [a, now]);
        return { ok: true, removed: change.removed.map(copy) } as const;
      }),

    async touch(accountId, now) {
      await pool.query('UPDATE accounts SET last_active_at = greatest(last_active_at, $2) WHERE account_id = $1', [buf(accountId), now]);
    },

    write: (accountId, item: NewItem, quotaBytes) =>
      tx(async (c): Promise<WriteOutcome> => {
        const a = buf(accountId);
        const acct = await lockAccount(c, accountId);
        if (!acct) return { ok: false, reason: 'unknown_account' };
        const dev = (await c.query<{ revoked_at: number | null; last_seq: number }>('SELECT revoked_at, last_seq FROM devices WHERE account_id = $1 AND device_id = $2', [a, buf(item.deviceId)])).rows[0];
        if (!dev) return { ok: false, reason: 'unknown_device' };
        if (dev.revoked_at !== null) return { ok: false, reason: 'revoked' };
        const existing = (await c.query<ItemRow>('SELECT * FROM items WHERE account_id = $1 AND device_id = $2 AND device_seq = $3', [a, buf(item.deviceId), item.deviceSeq])).rows[0];
        if (existing) return existing.sig.equals(buf(item.sig)) ? { ok: true, item: toItem(existing), duplicate: true, removed: 0 } : { ok: false, reason: 'conflict' };
        if (item.deviceSeq <= dev.last_seq) return { ok: false, reason: 'replay' };
        // An update prunes nothing: it needs only "is the document deleted", not every row of the document.
        if ((await c.query("SELECT 1 FROM items WHERE account_id = $1 AND doc_id = $2 AND kind = 'tombstone' LIMIT 1", [a, buf(item.docId)])).rowCount) {
          return { ok: false, reason: 'deleted' };
        }
        const inDoc =
          item.kind === 'update'
            ? []
            : (
                await c.query<{ server_seq: number; kind: string; device_id: Buffer; device_seq: number; size: number }>(
                  'SELECT server_seq, kind, device_id, device_seq, coalesce(length(body), 0) AS size FROM items WHERE account_id = $1 AND doc_id = $2',
                  [a, buf(item.docId)],
                )
              ).rows;
        const pruned = item.kind === 'tombstone' ? inDoc : item.kind === 'snapshot' ? inDoc.filter((r) => covered(item.covers, r.device_id, r.device_seq)) : [];
        const bodyBytes = item.body?.length ?? 0;
        const bytesUsed = acct.bytes_used - pruned.reduce((n, r) => n + r.size, 0) + bodyBytes;
        if (bodyBytes > 0 && bytesUsed > quotaBytes) return { ok: false, reason: 'quota' };
        if (pruned.length > 0) await c.query('DELETE FROM items WHERE account_id = $1 AND server_seq = ANY($2::bigint[])', [a, pruned.map((r) => r.server_seq)]);
        const serverSeq = acct.head + 1;
        await c.query('INSERT INTO items VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [
          a, serverSeq, item.kind, buf(item.docId), buf(item.deviceId), item.deviceSeq, item.body ? buf(item.body) : null, coversToJson(item.covers), buf(item.sig),
        ]);
        await c.query('UPDATE devices SET last_seq = $3 WHERE account_id = $1 AND device_id = $2', [a, buf(item.deviceId), item.deviceSeq]);
        await c.query('UPDATE accounts SET head = $2, bytes_used = $3 WHERE account_id = $1', [a, serverSeq, bytesUsed]);
        const stored: StoredItem = {
          kind: item.kind, serverSeq, docId: copy(item.docId), deviceId: copy(item.deviceId), deviceSeq: item.deviceSeq,
          ...(item.body ? { body: copy(item.body) } : {}),
          covers: item.covers.map((cv) => ({ ...cv, deviceId: copy(cv.deviceId) })), sig: copy(item.sig),
        };
        return { ok: true, item: stored, duplicate: false, removed: pruned.length };
      }),

    async itemsAfter(accountId, after, limit, maxBytes) {
      // Sizes first, bodies second: a pull that stops at maxBytes must not drag every remaining body over the wire.
      const sizes = (await pool.query<{ server_seq: number; size: number }>(
        'SELECT server_seq, coalesce(length(body), 0) AS size FROM items WHERE account_id = $1 AND server_seq > $2 ORDER BY server_seq LIMIT $3',
        [buf(accountId), after, limit],
      )).rows;
      let bytes = 0;
      let n = 0;
      for (const s of sizes) {
        if (n > 0 && bytes + s.size > maxBytes) break;
        bytes += s.size;
        n++;
      }
      if (n === 0) return [];
      const rows = await pool.query<ItemRow>('SELECT * FROM items WHERE account_id = $1 AND server_seq > $2 AND server_seq <= $3 ORDER BY server_seq', [
        buf(accountId), after, sizes[n - 1]!.server_seq,
      ]);
      return rows.rows.map(toItem);
    },

    wipe: async (marker: WipeMarker, now) => {
      const r = await tx(async (c) => {
        const a = buf(marker.accountId);
        const acct = await lockAccount(c, marker.accountId);
        const done = (await c.query<Parameters<typeof toWipe>[0]>('SELECT * FROM wipes WHERE account_id = $1', [a])).rows[0];
        if (done) return toWipe(done);
        if (!acct) return 'unknown_account' as const;
        const counts = zeroCounts();
        for (const r of (await c.query<{ kind: string; n: number; bytes: number }>(
          'SELECT kind, count(*) AS n, coalesce(sum(length(body)), 0)::bigint AS bytes FROM items WHERE account_id = $1 GROUP BY kind', [a],
        )).rows) {
          counts[r.kind === 'update' ? 'updates' : r.kind === 'snapshot' ? 'snapshots' : 'tombstones'] = r.n;
          counts.bytes += r.bytes;
        }
        counts.devices = (await c.query('DELETE FROM devices WHERE account_id = $1', [a])).rowCount ?? 0;
        const p = (await c.query<{ size: number }>('DELETE FROM pairings WHERE account_id = $1 RETURNING length(body) AS size', [a])).rows;
        counts.pairings = p.length;
        counts.bytes += p.reduce((n, r) => n + r.size, 0);
        await c.query('DELETE FROM items WHERE account_id = $1', [a]);
        await c.query('DELETE FROM device_lists WHERE account_id = $1', [a]);
        await c.query('DELETE FROM accounts WHERE account_id = $1', [a]);
        await c.query('INSERT INTO wipes (account_id, issued_at, authority, sig, wiped_at, counts, signer) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
          a, marker.issuedAt, marker.authority, buf(marker.sig), now, JSON.stringify(counts), buf(marker.signer),
        ]);
        return { marker: { ...marker, accountId: copy(marker.accountId), signer: copy(marker.signer), sig: copy(marker.sig) }, wipedAt: now, counts, fresh: true };
      });
      if (r === 'unknown_account') return r;
      if ('fresh' in r) {
        // Deleted rows stay in their pages until VACUUM reclaims them; run it now (outside the transaction, as it
        // must be) so the wiped ciphertext does not linger for autovacuum's next visit. Best effort: the wipe is
        // committed either way.
        await pool.query('VACUUM items, pairings, devices, device_lists, accounts').catch((e: unknown) => options.onError?.(e));
        const { fresh: _fresh, ...done } = r;
        return done;
      }
      return r;
    },

    async wipeRecord(accountId) {
      const r = await one<Parameters<typeof toWipe>[0]>('SELECT * FROM wipes WHERE account_id = $1', [buf(accountId)]);
      return r ? toWipe(r) : null;
    },

    putPairing: (accountId, mailbox, body, expiresAt, quotaBytes) =>
      tx(async (c) => {
        const acct = await lockAccount(c, accountId);
        if (!acct) return 'unknown_account' as const;
        const waiting = (await c.query<{ bytes: number }>('SELECT coalesce(sum(length(body)), 0)::bigint AS bytes FROM pairings WHERE account_id = $1', [buf(accountId)])).rows[0]!.bytes;
        if (acct.bytes_used + waiting + body.length > quotaBytes) return 'quota' as const;
        const r = await c.query('INSERT INTO pairings VALUES ($1, $2, $3, $4) ON CONFLICT (mailbox) DO NOTHING', [buf(mailbox), buf(accountId), buf(body), expiresAt]);
        return r.rowCount ? ('stored' as const) : ('exists' as const);
      }),

    async takePairing(mailbox, now) {
      const r = await one<{ body: Buffer; expires_at: number }>('DELETE FROM pairings WHERE mailbox = $1 RETURNING body, expires_at', [buf(mailbox)]);
      return r && r.expires_at > now ? u8(r.body) : null;
    },

    sweep: (now, inactiveBefore, markersBefore) =>
      tx(async (c) => {
        const stale = (await c.query<{ account_id: Buffer }>('DELETE FROM accounts WHERE last_active_at < $1 RETURNING account_id', [inactiveBefore])).rows.map((r) => r.account_id);
        if (stale.length > 0) for (const t of ['items', 'devices', 'device_lists', 'pairings']) await c.query(`DELETE FROM ${t} WHERE account_id = ANY($1::bytea[])`, [stale]);
        const pairings = (await c.query('DELETE FROM pairings WHERE expires_at <= $1', [now])).rowCount ?? 0;
        const markers = (await c.query('DELETE FROM wipes WHERE wiped_at < $1', [markersBefore])).rowCount ?? 0;
        return { accounts: stale.length, pairings, markers };
      }),

    async publish(event) {
      bus.emit(event);
      const n: Notice = { i: instance, t: event.type, a: hex(event.accountId), o: event.origin };
      if (event.type === 'item') n.s = event.serverSeq;
      if (event.type === 'revoked') n.d = hex(event.deviceId);
      await pool.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify(n)]);
    },
    subscribe: (l) => bus.subscribe(l),

    async close() {
      closed = true;
      await reconnecting;
      await listener?.end().catch(() => undefined);
      await pool.end();
    },
  };
  return storage;
}
