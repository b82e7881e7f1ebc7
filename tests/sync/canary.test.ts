/**
 * Canaries written through the real engine (core API, real SQLite vaults, real relay process at debug log level):
 * they arrive intact on the other device — so they really travelled — yet appear in no file under the relay's data
 * folder, no relay log line, no PostgreSQL table or file, and in plaintext nowhere in either device's data folder
 * (the sync client's own tables included).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodedForms, findSecrets, tempDir } from '../support/files.node.ts';
import { postgresUnavailable, startPostgres, type PgCluster } from '../support/postgres.node.ts';
import { spawnRelay, type RelayProcess } from '../support/relay-client.node.ts';
import { startTestRelay } from '../support/relay-harness.node.ts';
import { firstDevice, pairedDevice, type CoreDevice } from './core-support.node.ts';
import { enableAll, memoryDevices } from './support.node.ts';
import { writeFields } from '../../electron/core/docs/fields-doc.node.ts';

const run = randomBytes(6).toString('hex');
const canaries = ['name', 'description', 'message', 'title', 'edit'].map((w) => `SYNCCANARY-${w}-${run}`);

async function write(d: CoreDevice): Promise<string> {
  const { id } = await d.call('character.create', { name: canaries[0]!, description: canaries[1]! });
  const conv = await d.call('conversation.create', { title: canaries[3]!, characterIds: [id] });
  for (let i = 0; i < 5; i++) await d.call('conversation.addMessage', { id: conv.id, role: 'user', text: `${canaries[2]} #${i}` });
  await d.call('character.update', { id, patch: { personality: canaries[4]! } });
  return conv.id;
}

describe('canaries through the engine, relay process with SQLite', () => {
  let relay: RelayProcess;
  let relayDir: string;
  beforeAll(async () => {
    relayDir = tempDir('sync-canary-relay');
    relay = await spawnRelay(['--data', relayDir, '--log-level', 'debug']);
  });
  afterAll(async () => {
    relay?.child.kill('SIGKILL');
    await relay?.exited;
  });

  it('moves canaries between devices without them ever being readable outside the devices', async () => {
    const a = await firstDevice(relay.url);
    const conv = await write(a);
    await a.call('sync.now', {});
    const b = await pairedDevice(a, relay.url);
    // They really travelled: B reads them.
    const got = await b.call('conversation.get', { id: conv });
    expect(got.title).toBe(canaries[3]);
    expect(got.messages.map((m) => m.alternatives[0]!.text)).toContain(`${canaries[2]} #4`);
    // Deleting a record removes its blobs from the relay within one sync.
    await a.call('conversation.delete', { id: conv });
    await a.call('sync.now', {});
    await b.call('sync.now', {});
    await expect(b.call('conversation.get', { id: conv })).rejects.toMatchObject({ code: 'not_found' });
    for (const d of [a, b]) await d.core.close();
    relay.child.kill('SIGTERM');
    await relay.exited;
    const logs = relay.output.join('\n');
    expect(logs).toMatch(/"msg":"auth"/);
    for (const c of canaries) for (const f of encodedForms(c)) expect(logs.includes(f.toString('latin1')), c).toBe(false);
    expect(findSecrets(relayDir, canaries)).toEqual([]);
    // The deleted conversation (its head and its one message segment): their tombstones are all the relay keeps.
    const db = new Database(join(relayDir, 'relay.sqlite'), { readonly: true });
    const tombstoned = db.prepare("SELECT doc_id FROM items WHERE kind = 'tombstone'").pluck().all() as Buffer[];
    expect(tombstoned).toHaveLength(2);
    for (const doc of tombstoned) expect(db.prepare("SELECT count(*) FROM items WHERE doc_id = ? AND kind != 'tombstone'").pluck().get(doc)).toBe(0);
    db.close();
    expect(findSecrets(a.dir, canaries)).toEqual([]);
    expect(findSecrets(b.dir, canaries)).toEqual([]);
  });
});

const skipPg = postgresUnavailable();
describe.skipIf(skipPg !== null)(`canaries through the engine on PostgreSQL${skipPg ? ` (skipped: ${skipPg})` : ''}`, () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('keeps canaries out of every table and file of the cluster', async () => {
    const url = await cluster.createDatabase('synccanary');
    const relay = await startTestRelay({ postgresUrl: url });
    const [a, b] = memoryDevices(2);
    await enableAll([a!, b!], relay.url);
    const id = a!.session.createRecord('character', canaries[0]!, (doc) => writeFields(doc, { name: canaries[0], description: canaries[1] }));
    for (let i = 0; i < 120; i++) {
      writeFields(a!.session.record(id, 'character').doc, { [`f${i % 5}`]: `${canaries[2]} ${i}` });
      await a!.engine.syncOnce();
    }
    await b!.engine.syncOnce();
    expect(b!.session.catalog.getMap('records').toJSON()[id]).toMatchObject({ title: canaries[0] });
    const stored = await relay.storage.itemsAfter(a!.engine.replica.keys.accountId, 0, 10_000, 1 << 26);
    expect(stored.some((i) => i.kind === 'snapshot')).toBe(true);
    for (const d of [a!, b!]) await d.engine.close();
    await relay.close();
    await cluster.query(url, 'CHECKPOINT');
    expect(findSecrets(cluster.dataDir, canaries)).toEqual([]);
    for (const table of ['accounts', 'devices', 'items', 'pairings', 'wipes', 'relay_meta']) {
      const rows = await cluster.query<{ row: string }>(url, `SELECT t::text AS row FROM ${table} t`);
      const dump = rows.map((r) => r.row).join('\n');
      for (const c of canaries) expect(dump).not.toContain(Buffer.from(c).toString('hex'));
    }
    const logs = relay.logs.join('');
    for (const c of canaries) expect(logs).not.toContain(c);
  });
});
