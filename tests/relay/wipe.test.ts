/**
 * Account wipe: the relay deletes every row (and, with SQLite, every byte on disk) of the account, answers with a
 * receipt signed by its own key, keeps a marker signed by the account key that other devices verify, and refuses
 * forged wipes. Run against SQLite (the default) and a real PostgreSQL.
 */
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayConnection, RelayError } from '../../shared/sync/client.std.ts';
import type { WipeMarker } from '../../shared/sync/messages.std.ts';
import { relayAuthority, verifyWipeMarker, verifyWipeReceipt, wipeStatement } from '../../shared/sync/signing.std.ts';
import { SQLITE_FILE } from '../../sync-server/storage/sqlite.node.ts';
import { listFiles } from '../support/files.node.ts';
import { postgresUnavailable, startPostgres, type PgCluster } from '../support/postgres.node.ts';
import { connectDevice, enrollDevice, newAccount, newKeys, randomId, sodium, verify, wipeAccount, type TestAccount } from '../support/relay-client.node.ts';
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

interface Scenario {
  account: TestAccount;
  /** Every byte string the account stored: none may survive the wipe. */
  stored: Uint8Array[];
  survivorBody: Uint8Array;
}

/** Runs the whole wipe story on a relay and returns what the storage checks need. */
async function wipeStory(relay: TestRelay): Promise<Scenario> {
  const account = newAccount();
  const d1 = await enrollDevice(relay.url, account);
  const d2 = await enrollDevice(relay.url, account);
  const d3 = await enrollDevice(relay.url, account);
  const c1 = await connectDevice(relay.url, d1);
  // d1 signs the wipe, and the marker the relay keeps names its signer; the other device ids must go.
  const stored: Uint8Array[] = [d2.deviceId, d3.deviceId];
  const docs = [randomId(), randomId(), randomId()];
  stored.push(...docs);
  let seq = 0;
  for (const doc of docs) {
    for (let i = 0; i < 4; i++) {
      const body = sodium.randombytes_buf(200 + i);
      stored.push(body);
      await c1.upload({ docId: doc, deviceSeq: ++seq, body });
    }
  }
  const snapshotBody = sodium.randombytes_buf(300);
  stored.push(snapshotBody);
  await c1.snapshot({ docId: docs[0]!, deviceSeq: ++seq, body: snapshotBody, covers: [{ deviceId: d1.deviceId, from: 1, to: 2 }] });
  await c1.tombstone({ docId: docs[1]!, deviceSeq: seq + 1 });
  const pairing = sodium.randombytes_buf(120);
  stored.push(pairing);
  await c1.pairPut({ mailbox: randomId(), body: pairing, ttlMs: 600_000 });

  // Someone else's data must survive.
  const bystander = await enrollDevice(relay.url, newAccount());
  const cb = await connectDevice(relay.url, bystander);
  const survivorBody = sodium.randombytes_buf(64);
  await cb.upload({ docId: randomId(), deviceSeq: 1, body: survivorBody });

  // Forged wipes change nothing.
  const anon = await RelayConnection.connect(relay.url);
  // Not on the list (the account key included: it only ever signs version 1 of the list).
  expect((await refusal(anon.wipe({ accountId: account.accountId, signer: account.accountId, sign: account.keys.sign }))).relayCode).toBe('auth_failed');
  const stranger = newKeys();
  expect((await refusal(anon.wipe({ accountId: account.accountId, signer: stranger.publicKey, sign: stranger.sign }))).relayCode).toBe('auth_failed');
  // On the list, but the signature is someone else's.
  expect((await refusal(anon.wipe({ accountId: account.accountId, signer: d1.deviceId, sign: stranger.sign }))).relayCode).toBe('auth_failed');
  const elsewhere = { accountId: account.accountId, issuedAt: Date.now(), authority: 'other-relay.example:443', signer: d1.deviceId };
  const misaddressed = await refusal(anon.sendWipe({ ...elsewhere, sig: d1.keys.sign(wipeStatement(elsewhere)) as Uint8Array }));
  expect(misaddressed.relayCode).toBe('auth_failed');
  expect((await c1.pull(0)).items.length).toBeGreaterThan(0);

  // A second device is online and gets told.
  let liveMarker: WipeMarker | null = null;
  let d2Closed = false;
  await connectDevice(relay.url, d2, { onWiped: (m) => (liveMarker = m), onClose: () => (d2Closed = true) });

  const { receipt, marker } = await wipeAccount(c1, account, d1.keys);
  const relayKey = c1.relayKey!;
  expect(Buffer.from(relayKey).equals(Buffer.from(relay.relayKey))).toBe(true);
  expect(verifyWipeReceipt(verify, receipt, { accountId: account.accountId, relayKey, marker })).toBe(true);
  // 12 updates, 2 pruned by the snapshot and 4 by the tombstone; bytes: doc 0's last two updates and its
  // snapshot, doc 2's four updates, the pairing blob.
  expect(receipt.counts).toEqual({ updates: 6, snapshots: 1, tombstones: 1, devices: 3, pairings: 1, bytes: 202 + 203 + 300 + (200 + 201 + 202 + 203) + 120 });
  // A receipt altered in any way, or checked against another relay key, does not verify.
  expect(verifyWipeReceipt(verify, { ...receipt, counts: { ...receipt.counts, updates: 9 } }, { accountId: account.accountId, relayKey, marker })).toBe(false);
  expect(verifyWipeReceipt(verify, receipt, { accountId: account.accountId, relayKey: newKeys().publicKey, marker })).toBe(false);

  // The online device got the marker and was disconnected; it verifies.
  await expect.poll(() => d2Closed).toBe(true);
  const expected = { accountId: account.accountId, authority: relayAuthority(relay.url), list: account.list! };
  expect(liveMarker && verifyWipeMarker(verify, liveMarker, expected)).toBe(true);

  // A device that connects later is handed the marker instead of a session.
  const late = await RelayConnection.connect(relay.url);
  const e = await refusal(late.authenticate({ accountId: account.accountId, deviceId: d3.deviceId, sign: d3.keys.sign }));
  expect(e.relayCode).toBe('wiped');
  expect(verifyWipeMarker(verify, e.marker!, expected)).toBe(true);
  // Forged markers are refused by the devices' check.
  const forgedBy = newKeys();
  const forged = { ...e.marker!, sig: forgedBy.sign(wipeStatement(e.marker!)) as Uint8Array };
  expect(verifyWipeMarker(verify, forged, expected)).toBe(false);
  expect(verifyWipeMarker(verify, { ...e.marker!, issuedAt: e.marker!.issuedAt + 1 }, expected)).toBe(false);
  expect(verifyWipeMarker(verify, e.marker!, { ...expected, authority: 'other-relay.example:443' })).toBe(false);
  expect(verifyWipeMarker(verify, { ...forged, accountId: forgedBy.publicKey, sig: forgedBy.sign(wipeStatement({ ...forged, accountId: forgedBy.publicKey })) as Uint8Array }, expected)).toBe(false);
  // A marker signed by a key not on the list the device verified (a removed device's, say) is refused too.
  const bySelf = { ...e.marker!, signer: forgedBy.publicKey };
  expect(verifyWipeMarker(verify, { ...bySelf, sig: forgedBy.sign(wipeStatement(bySelf)) as Uint8Array }, expected)).toBe(false);
  expect(verifyWipeMarker(verify, e.marker!, { ...expected, list: { devices: [d2.deviceId], recovery: null } })).toBe(false);

  // Repeating the wipe (a lost answer) gets the same receipt; the account cannot be revived.
  const again = await RelayConnection.connect(relay.url);
  const repeat = await again.sendWipe(marker);
  expect(repeat.receipt.counts).toEqual(receipt.counts);
  expect(repeat.receipt.wipedAt).toBe(receipt.wipedAt);
  const revive = { accountId: account.accountId, version: 1, prev: new Uint8Array(64), devices: [newKeys().publicKey], recovery: null, signer: account.accountId, sign: account.keys.sign };
  expect((await refusal(again.setDevices(revive))).relayCode).toBe('wiped');

  expect((await cb.pullAll(0)).items.map((i) => Buffer.from(i.body!).equals(Buffer.from(survivorBody)))).toEqual([true]);
  for (const c of [c1, cb, anon, late, again]) c.close();
  return { account, stored, survivorBody };
}

describe('wipe on SQLite', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await startTestRelay();
  });
  afterAll(async () => {
    await relay?.close();
  });

  it('leaves no row and no byte of the account in any file, only the signed marker', async () => {
    const { account, stored, survivorBody } = await wipeStory(relay);
    const db = new Database(join(relay.dataDir, SQLITE_FILE), { readonly: true });
    for (const table of ['accounts', 'devices', 'items', 'pairings']) {
      expect(db.prepare(`SELECT count(*) AS n FROM ${table} WHERE account_id = ?`).get(account.accountId), table).toEqual({ n: 0 });
    }
    expect(db.prepare('SELECT count(*) AS n FROM wipes WHERE account_id = ?').get(account.accountId)).toEqual({ n: 1 });
    db.close();
    const files = listFiles(relay.dataDir);
    expect(files.some((f) => f.endsWith(SQLITE_FILE))).toBe(true);
    const contents = files.map((f) => readFileSync(f));
    // Control: the scan finds what is there.
    expect(contents.some((c) => c.includes(Buffer.from(survivorBody)))).toBe(true);
    for (const bytes of stored) expect(contents.some((c) => c.includes(Buffer.from(bytes)))).toBe(false);
  });
});

const skipPg = postgresUnavailable();
describe.skipIf(skipPg !== null)(`wipe on PostgreSQL${skipPg ? ` (skipped: ${skipPg})` : ''}`, () => {
  let cluster: PgCluster;
  let url: string;
  let relay: TestRelay;
  beforeAll(async () => {
    cluster = await startPostgres();
    url = await cluster.createDatabase('wipe');
    relay = await startTestRelay({ postgresUrl: url });
  });
  afterAll(async () => {
    await relay?.close();
    await cluster?.stop();
  });

  it('leaves no row of the account in any table, only the signed marker', async () => {
    const { account } = await wipeStory(relay);
    const id = Buffer.from(account.accountId);
    for (const table of ['accounts', 'devices', 'items', 'pairings']) {
      expect(await cluster.query(url, `SELECT count(*)::int AS n FROM ${table} WHERE account_id = $1`, [id]), table).toEqual([{ n: 0 }]);
    }
    expect(await cluster.query(url, 'SELECT count(*)::int AS n FROM wipes WHERE account_id = $1', [id])).toEqual([{ n: 1 }]);
  });

  it('vacuums after a wipe, so the deleted ciphertext does not wait in dead rows for autovacuum', async () => {
    const vacuums = async () => (await cluster.query<{ n: number }>(url, "SELECT coalesce(sum(vacuum_count), 0)::int AS n FROM pg_stat_user_tables WHERE relname IN ('items', 'pairings')"))[0]!.n;
    // Dead rows are counted in the table pages themselves (pgstattuple reads them), not taken from the statistics
    // views: a backend reports its deletions up to a second (idle: ten) after its transaction, so under load the
    // wipe's deletions could be counted after the vacuum had already removed them, and n_dead_tup read 6.
    await cluster.query(url, 'CREATE EXTENSION IF NOT EXISTS pgstattuple');
    const dead = async () => (await cluster.query<{ n: number }>(url, "SELECT ((SELECT dead_tuple_count FROM pgstattuple('items')) + (SELECT dead_tuple_count FROM pgstattuple('pairings')))::int AS n"))[0]!.n;
    const before = await vacuums();
    await wipeStory(relay);
    await expect.poll(vacuums).toBeGreaterThanOrEqual(before + 2);
    expect(await dead()).toBe(0);
  });
});
