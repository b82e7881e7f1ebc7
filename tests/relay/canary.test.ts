/**
 * The relay only ever holds ciphertext, and its logs hold no payloads at all. Canary strings are encrypted on the
 * "device" (XChaCha20-Poly1305 under a key the relay never sees) and travel as updates, snapshots and pairing
 * blobs; afterwards no file under the relay's data folder, no line of its logs (a real child process at debug level)
 * and no file of the PostgreSQL cluster holds a canary in any encoding. Logs also never contain the ciphertext
 * itself or whole ids. A control body sent unencrypted proves the file scan finds what is there.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayConnection } from '../../shared/sync/client.std.ts';
import { encodedForms, findSecrets, tempDir } from '../support/files.node.ts';
import { postgresUnavailable, startPostgres, type PgCluster } from '../support/postgres.node.ts';
import { connectDevice, enrollDevice, newAccount, randomId, sodium, spawnRelay, type RelayProcess } from '../support/relay-client.node.ts';
import { startTestRelay } from '../support/relay-harness.node.ts';

const run = randomBytes(6).toString('hex');
const canaries = ['message', 'title', 'character-name', 'snapshot', 'pairing'].map((w) => `CANARY-${w}-${run}`);
const control = `CONTROL-plaintext-${run}`;
const key = sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
const seal = (text: string): Uint8Array => {
  const nonce = sodium.randombytes_buf(24);
  const ct = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(new TextEncoder().encode(text.repeat(3)), null, null, nonce, key);
  const out = new Uint8Array(24 + ct.length);
  out.set(nonce);
  out.set(ct, 24);
  return out;
};

/** Drives one account through everything that carries content; returns every ciphertext and id it sent. */
async function exercise(url: string) {
  const account = newAccount();
  const d1 = await enrollDevice(url, account);
  const d2 = await enrollDevice(url, account);
  const c1 = await connectDevice(url, d1);
  const c2 = await connectDevice(url, d2);
  const sent: Uint8Array[] = [];
  const ids: Uint8Array[] = [account.accountId, d1.deviceId, d2.deviceId];
  const doc = randomId();
  ids.push(doc);
  let seq = 0;
  for (const c of canaries.slice(0, 3)) {
    const body = seal(c);
    sent.push(body);
    await c1.upload({ docId: doc, deviceSeq: ++seq, body });
  }
  const snap = seal(canaries[3]!);
  sent.push(snap);
  await c1.snapshot({ docId: doc, deviceSeq: seq + 1, body: snap, covers: [{ deviceId: d1.deviceId, from: 1, to: 2 }] });
  const mailbox = randomId();
  ids.push(mailbox);
  const pairing = seal(canaries[4]!);
  sent.push(pairing);
  await c1.pairPut({ mailbox, body: pairing, ttlMs: 600_000 });
  await c2.pullAll(0);
  const newcomer = await RelayConnection.connect(url);
  await newcomer.pairTake(mailbox);
  // The control: plaintext the relay stores as it would any opaque body.
  await c2.upload({ docId: randomId(), deviceSeq: 1, body: new TextEncoder().encode(control) });
  for (const c of [c1, c2, newcomer]) c.close();
  return { sent, ids };
}

/** Hex and base64 (both alphabets) of a byte string: the ways a careless log would print it. */
const printedForms = (b: Uint8Array): string[] => {
  const buf = Buffer.from(b);
  return [buf.toString('hex'), buf.toString('base64').slice(0, 40), buf.toString('base64url').slice(0, 40)];
};

function checkLogs(logs: string, sent: Uint8Array[], ids: Uint8Array[]) {
  expect(logs).toMatch(/"msg":"auth"/); // the logs do record what happened…
  expect(logs).toMatch(/"acct":"[0-9a-f]{12}"/);
  for (const c of [...canaries, control]) for (const form of encodedForms(c)) expect(logs.includes(form.toString('latin1')), c).toBe(false);
  // …but never a payload, in any printable form, nor a whole id.
  for (const b of sent) for (const slice of [b.subarray(0, 24), b.subarray(30, 54)]) for (const f of printedForms(slice)) expect(logs).not.toContain(f);
  for (const id of ids) for (const f of printedForms(id)) expect(logs).not.toContain(f);
  expect(logs).not.toContain(Buffer.from(control).toString('base64').slice(0, 20));
}

describe('canaries on a relay process with SQLite', () => {
  let relay: RelayProcess;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = tempDir('relay-canary');
    relay = await spawnRelay(['--data', dataDir, '--log-level', 'debug']);
  });
  afterAll(async () => {
    relay?.child.kill('SIGTERM');
    await relay?.exited;
  });

  it('keeps canaries out of every file and every log line; logs carry no payloads or whole ids', async () => {
    const { sent, ids } = await exercise(relay.url);
    relay.child.kill('SIGTERM');
    await relay.exited;
    const logFile = join(dataDir, 'captured-stdout.log');
    writeFileSync(logFile, relay.output.join('\n'));
    // Control: the unencrypted body is in the database, so the scan works.
    expect(findSecrets(dataDir, [control]).map((h) => h.file).some((f) => f.includes('relay.sqlite'))).toBe(true);
    expect(findSecrets(dataDir, canaries)).toEqual([]);
    checkLogs(relay.output.join('\n'), sent, ids);
  });
});

const skipPg = postgresUnavailable();
describe.skipIf(skipPg !== null)(`canaries on PostgreSQL${skipPg ? ` (skipped: ${skipPg})` : ''}`, () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('keeps canaries out of every table and every file of the cluster', async () => {
    const url = await cluster.createDatabase('canary');
    const relay = await startTestRelay({ postgresUrl: url });
    const { sent, ids } = await exercise(relay.url);
    await relay.close();
    await cluster.query(url, 'CHECKPOINT');
    expect(findSecrets(cluster.dataDir, [control]).length).toBeGreaterThan(0);
    expect(findSecrets(cluster.dataDir, canaries)).toEqual([]);
    // Row by row, too: every column of every table, as text.
    for (const table of ['accounts', 'devices', 'items', 'pairings', 'wipes', 'relay_meta']) {
      const rows = await cluster.query<{ row: string }>(url, `SELECT t::text AS row FROM ${table} t`);
      const dump = rows.map((r) => r.row).join('\n');
      for (const c of canaries) expect(dump).not.toContain(Buffer.from(c).toString('hex'));
    }
    checkLogs(relay.logs.join(''), sent, ids);
  });
});
