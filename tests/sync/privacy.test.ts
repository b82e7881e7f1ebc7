/**
 * The privacy center against a real relay (issue 14): what the relay says it holds for the account is what its
 * SQLite file holds (read here directly), the processors table names that relay while sync is on, and consent
 * changes sync — a grant on one device and a later revoke on another end revoked on both, each change naming its
 * device by the name the user gave it.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SQLITE_FILE } from '../../sync-server/storage/sqlite.node.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';
import { firstDevice, pairedDevice, type CoreDevice } from './core-support.node.ts';

let relay: TestRelay;
let a: CoreDevice;
let b: CoreDevice;

beforeAll(async () => {
  relay = await startTestRelay();
  a = await firstDevice(relay.url);
  await a.call('character.create', { name: 'Held one' });
  const { id } = await a.call('conversation.create', { title: 'held', characterIds: [] });
  await a.call('conversation.addMessage', { id, role: 'user', text: 'one' });
  await a.call('conversation.addMessage', { id, role: 'user', text: 'two' });
  await a.call('sync.now', {});
  b = await pairedDevice(a, relay.url);
});

afterAll(async () => {
  await a?.core.close();
  await b?.core.close();
  await relay?.close();
});

/** What the relay's database holds, read straight from its file. */
function relayRows() {
  const db = new Database(join(relay.dataDir, SQLITE_FILE), { readonly: true });
  try {
    const kinds = db.prepare<[], { kind: string; n: number; bytes: number }>('SELECT kind, count(*) AS n, coalesce(sum(length(body)), 0) AS bytes FROM items GROUP BY kind').all();
    const n = (k: string) => kinds.find((r) => r.kind === k)?.n ?? 0;
    const devices = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM devices WHERE revoked_at IS NULL').get()!.n;
    return { updates: n('update'), snapshots: n('snapshot'), tombstones: n('tombstone'), bytes: kinds.reduce((s, r) => s + r.bytes, 0), devices };
  } finally {
    db.close();
  }
}

describe('privacy center with a relay', () => {
  it('shows the relay\'s own count of this account, matching its database, beside the local counts', async () => {
    await a.call('sync.now', {});
    const held = await a.call('privacy.held', {});
    expect(held.relay).toEqual(relayRows());
    expect(held.relay).toMatchObject({ devices: 2 });
    expect((held.relay as { updates: number }).updates + (held.relay as { snapshots: number }).snapshots).toBeGreaterThan(0);
    expect(held.local).toMatchObject({ records: { character: 1, conversation: 1, scenario: 0 }, messages: 2 });
    expect(held.local.documents).toBeGreaterThan(0);
    expect(held.local.documentBytes).toBeGreaterThan(0);
    // The paired device asks for the same account and gets the same answer.
    expect((await b.call('privacy.held', {})).relay).toEqual(relayRows());
  });

  it('names the relay it actually talks to in the processors table', async () => {
    const rows = await a.call('privacy.processors', {});
    const row = rows.find((r) => r.party === 'sync relay');
    expect(row?.host).toBe(new URL(relay.url).host);
    expect(row?.lastUsedAt).toBeGreaterThan(0);
  });

  it('syncs consent: granted on one device, revoked later on the other, revoked on both, each named as the user named it', async () => {
    // Both devices run on this one computer: only the names the user gives them tell them apart.
    const idOf = async (d: CoreDevice) => (await d.call('devices.list', {})).find((x) => x.thisDevice)!.deviceId;
    const [aId, bId] = [await idOf(a), await idOf(b)];
    await a.call('devices.rename', { deviceId: aId, name: 'Anna\'s laptop' });
    await a.call('devices.rename', { deviceId: bId, name: 'Desk computer' });
    await a.call('sync.now', {});
    await b.call('sync.now', {});
    const portraits = async (d: CoreDevice) => (await d.call('consent.list', {})).find((c) => c.name === 'portraits-in-chat');

    expect(await a.call('consent.set', { name: 'portraits-in-chat', granted: true })).toMatchObject({ granted: true, device: 'Anna\'s laptop' });
    await a.call('sync.now', {});
    await b.call('sync.now', {});
    expect(await portraits(b)).toMatchObject({ granted: true, device: 'Anna\'s laptop' });
    const revoked = await b.call('consent.set', { name: 'portraits-in-chat', granted: false });
    expect(revoked.device).toBe('Desk computer');
    await b.call('sync.now', {});
    await a.call('sync.now', {});
    expect(await portraits(a)).toMatchObject({ granted: false, changedAt: revoked.changedAt, device: 'Desk computer' });
    // A later rename shows on the record too: it names the device, not the text it was called by then.
    await a.call('devices.rename', { deviceId: bId, name: 'Upstairs desk' });
    expect(await portraits(a)).toMatchObject({ device: 'Upstairs desk' });
  });
});
