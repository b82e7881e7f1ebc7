/**
 * What only the PostgreSQL relay storage does (sync-server/storage/postgres.node.ts), beyond the shared suite: two
 * instances on one database (schema set up under an advisory lock, one relay identity), fan-out through
 * LISTEN/NOTIFY (items read back, pruned ones skipped, removals and wipes, notices that are not ours ignored), the
 * listener reconnecting after its connection is killed, errors reported through onError, and close() letting go of
 * every connection. Found by mutation testing (docs/testing.md, "relay storage on PostgreSQL").
 */
import { expect, it } from 'vitest';
import type { RelayEvent, RelayStorage } from '../../sync-server/storage/types.node.ts';
import { postgresStorage } from '../../sync-server/storage/postgres.node.ts';
import { postgresSuite, queryOnce as query } from '../support/postgres.node.ts';

const id = (n: number, fill: number) => {
  const b = new Uint8Array(32).fill(fill);
  b[0] = n;
  return b;
};
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const A = id(1, 0xaa);
const D1 = id(1, 0xd1);
const D2 = id(2, 0xd2);
const DOC = id(1, 0x01);
const T0 = 1_700_000_000_000;
const sig = (n: number) => new Uint8Array(64).fill(n);
const update = (deviceSeq: number, body: string) => ({ kind: 'update' as const, docId: DOC, deviceId: D1, deviceSeq, body: new TextEncoder().encode(body), covers: [], sig: sig(deviceSeq) });

/** Everything a storage's subscribers receive, as comparable rows. */
function collect(s: RelayStorage) {
  const seen: RelayEvent[] = [];
  s.subscribe((e) => seen.push(e));
  const rows = () =>
    seen.map((e) => [e.type, hex(e.accountId).slice(0, 4), e.origin, e.type === 'item' ? [e.serverSeq, new TextDecoder().decode(e.item?.body)] : e.type === 'revoked' ? hex(e.deviceId).slice(0, 4) : null]);
  return { seen, rows };
}

postgresSuite('PgRelayStorage', (newDatabase) => {
  const connectionsTo = async (url: string) =>
    (await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()'))[0]!.n;
  const terminateAll = (url: string) =>
    query(url, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
  const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** Publishes until the reader's listener hears one: it reconnects about a second after losing its connection. */
  const heardAgain = async (writer: RelayStorage, theirs: ReturnType<typeof collect>) => {
    let n = 0;
    await expect
      .poll(async () => {
        await writer.publish({ type: 'wiped', accountId: A, origin: `c${++n}` });
        return theirs.rows().length;
      }, { interval: 500 })
      .toBeGreaterThan(0);
  };

  it('two instances on one database: the second starts after the first (the schema lock is released), both keep one identity, and kind says postgres', async () => {
    const url = await newDatabase();
    const one = await postgresStorage(url);
    // Set up and unlocked: an idle pooled connection still holding the lock would stall the next instance until the
    // pool closed it.
    expect(await query(url, "SELECT 1 FROM pg_locks WHERE locktype = 'advisory'")).toEqual([]);
    const two = await postgresStorage(url);
    try {
      expect(one.kind).toBe('postgres');
      const seed = await one.relaySeed(() => id(5, 5));
      expect(hex(await two.relaySeed(() => id(6, 6)))).toBe(hex(seed));
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('fans out between instances: an item read back from the database, not one pruned before it was read; removals and wipes; each event once on its own instance', async () => {
    const url = await newDatabase();
    const writer = await postgresStorage(url);
    const reader = await postgresStorage(url);
    try {
      const mine = collect(writer);
      const theirs = collect(reader);
      await writer.enroll(A, { deviceId: D1, enrolledAt: T0, enrollSig: sig(7) }, T0);
      await writer.enroll(A, { deviceId: D2, enrolledAt: T0, enrollSig: sig(7) }, T0);
      const first = await writer.write(A, update(1, 'first'), 1e6);
      const second = await writer.write(A, update(2, 'second'), 1e6);
      if (!first.ok || !second.ok) throw new Error('write refused');
      // The first item is pruned by a snapshot before the notice for it is published: nothing to hand on.
      await writer.write(A, { kind: 'snapshot', docId: DOC, deviceId: D2, deviceSeq: 1, body: new Uint8Array(3), sig: sig(9), covers: [{ deviceId: D1, from: 1, to: 1 }] }, 1e6);
      await writer.publish({ type: 'item', accountId: A, serverSeq: first.item.serverSeq, origin: 'c1', item: first.item });
      await writer.publish({ type: 'item', accountId: A, serverSeq: second.item.serverSeq, origin: 'c2', item: second.item });
      await writer.publish({ type: 'revoked', accountId: A, deviceId: D2, origin: 'c3' });
      await writer.publish({ type: 'wiped', accountId: A, origin: 'c4' });
      const expected = [
        ['item', '01aa', 'c2', [2, 'second']],
        ['revoked', '01aa', 'c3', '02d2'],
        ['wiped', '01aa', 'c4', null],
      ];
      await expect.poll(() => theirs.rows()).toEqual(expected);
      expect(mine.rows()).toEqual([['item', '01aa', 'c1', [1, 'first']], ...expected]);
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  it('ignores a notice that is not JSON, reports one that fails through onError, and keeps delivering', async () => {
    const url = await newDatabase();
    const errors: unknown[] = [];
    const writer = await postgresStorage(url);
    const reader = await postgresStorage(url, { onError: (e) => errors.push(e) });
    try {
      const theirs = collect(reader);
      await query(url, "SELECT pg_notify('mindstage_relay', 'not json')");
      // An item notice whose number is not a number: reading it back fails.
      await query(url, 'SELECT pg_notify($1, $2)', ['mindstage_relay', JSON.stringify({ i: 'elsewhere', t: 'item', a: hex(A), s: 'x', o: 'c0' })]);
      await writer.publish({ type: 'wiped', accountId: A, origin: 'c5' });
      await expect.poll(() => theirs.rows()).toEqual([['wiped', '01aa', 'c5', null]]);
      expect(errors).toHaveLength(1);
      expect(String(errors[0])).toMatch(/bigint|invalid input/i);
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  it('reconnects its listener after its connections are killed (reporting each, the pool\'s too), and close() lets go of every connection', async () => {
    const url = await newDatabase();
    const errors: unknown[] = [];
    const writer = await postgresStorage(url);
    const reader = await postgresStorage(url, { onError: (e) => errors.push(e) });
    const theirs = collect(reader);
    try {
      // Every connection of both instances: the listeners and the pools' idle connections (each reported).
      await terminateAll(url);
      await expect.poll(() => errors.length).toBeGreaterThanOrEqual(2);
      expect(errors.map(String).join('\n')).toMatch(/terminat/i);
      await heardAgain(writer, theirs);
    } finally {
      await writer.close();
      await reader.close();
    }
    // A backend leaves pg_stat_activity a moment after its client hangs up (it exits on its own schedule), so this
    // waits for the count to reach zero; a connection close() kept open would keep it above zero for good.
    await expect.poll(() => connectionsTo(url)).toBe(0);
  });

  it('closed in the second before its listener reconnects, it opens nothing afterwards', async () => {
    const url = await newDatabase();
    const errors: unknown[] = [];
    const s = await postgresStorage(url, { onError: (e) => errors.push(e) });
    await terminateAll(url);
    await expect.poll(() => errors.length).toBeGreaterThan(0);
    await s.close();
    // Past the reconnect's delay: a timer that ignored close() would have opened a listening connection by now.
    await settle(2_000);
    await expect.poll(() => connectionsTo(url)).toBe(0);
  });

  it('keeps trying while the database refuses connections, and listens again once it accepts them', async () => {
    const url = await newDatabase();
    const name = new URL(url).pathname.slice(1);
    const admin = url.replace(/\/[^/]+$/, '/postgres');
    const errors: unknown[] = [];
    const writer = await postgresStorage(url);
    const reader = await postgresStorage(url, { onError: (e) => errors.push(e) });
    const theirs = collect(reader);
    try {
      await query(admin, `ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
      await query(admin, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      // The lost connection, then at least two refused reconnects.
      await expect.poll(() => errors.length).toBeGreaterThanOrEqual(3);
      expect(errors.slice(1).map(String).join('\n')).toMatch(/not currently accepting connections/i);
      await query(admin, `ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
      await heardAgain(writer, theirs);
    } finally {
      await query(admin, `ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
      await writer.close();
      await reader.close();
    }
    await expect.poll(() => connectionsTo(url)).toBe(0);
  });
});
