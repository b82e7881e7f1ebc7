/**
 * Wipe end to end (core API, real SQLite vaults, real relay process): remote first with the receipt verified
 * against the pinned relay key, then local files; the other device verifies the marker on its next connection and
 * wipes itself; a forged or misdirected marker is refused and changes nothing; offline, the local part happens at
 * once and the remote part waits in pending-wipe.json until the relay is back.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayAuthority, wipeStatement } from '../../shared/sync/signing.std.ts';
import { createSyncEngine } from '../../electron/core/sync/engine.node.ts';
import { removeDevice } from '../../electron/core/sync/devices.node.ts';
import { sendWipe, signWipe } from '../../electron/core/sync/wipe.node.ts';
import { randomBytes, toHex } from '../../electron/core/crypto/sodium.node.ts';
import { writeFields } from '../../electron/core/docs/fields-doc.node.ts';
import { newKeys, spawnRelay, type RelayProcess } from '../support/relay-client.node.ts';
import { tempDir } from '../support/files.node.ts';
import { hostileRelay } from './hostile-proxy.node.ts';
import { firstDevice, openDevice, pairedDevice, refusal } from './core-support.node.ts';
import { enableAll, memoryDevices, picture, until } from './support.node.ts';
import { REMOVED_MESSAGE } from '../../electron/core/sync/connection.node.ts';
import type { SocketFactory, SocketLike } from '../../shared/sync/client.std.ts';
import { freePort } from '../support/net.node.ts';

let relay: RelayProcess;
let relayDir: string;
beforeAll(async () => {
  relayDir = tempDir('wipe-relay');
  relay = await spawnRelay(['--data', relayDir, '--log-level', 'info']);
});
afterAll(async () => {
  relay?.child.kill('SIGKILL');
  await relay?.exited;
});

const dbFiles = (dir: string) => ['mindstage.db', 'mindstage.db-wal', 'mindstage.db-shm'].filter((f) => existsSync(join(dir, f)));

describe('wipe', () => {
  it('wipes the relay (verified receipt) then this device; the other device wipes itself on its next connection', async () => {
    const a = await firstDevice(relay.url);
    await a.call('character.create', { name: 'Soon gone' });
    await a.call('sync.now', {});
    const b = await pairedDevice(a, relay.url);
    const { accountId } = await a.call('sync.status', {});
    expect(dbFiles(a.dir)).toContain('mindstage.db');

    const report = await a.call('vault.wipe', {});
    expect(report.remote).toBe('wiped');
    expect(report.receipt).toMatchObject({ accountId, relay: relayAuthority(relay.url) });
    expect(report.receipt!.counts.devices).toBe(2);
    expect(report.receipt!.counts.updates).toBeGreaterThan(0);
    expect(report.local).toBe('wiped');
    expect(dbFiles(a.dir)).toEqual([]);
    expect(await a.call('vault.status', {})).toMatchObject({ exists: false });
    // The relay keeps no item, device or pairing of the account.
    const db = new Database(join(relayDir, 'relay.sqlite'), { readonly: true });
    const acct = Buffer.from(accountId!, 'hex');
    for (const table of ['items', 'devices', 'pairings']) expect(db.prepare(`SELECT count(*) FROM ${table} WHERE account_id = ?`).pluck().get(acct), table).toBe(0);
    db.close();

    const locked: string[] = [];
    b.core.on('vault.locked', (e) => locked.push(e.reason));
    const r = await b.call('sync.now', {});
    expect(r.wiped).toBe(true);
    expect(locked).toContain('wipe');
    expect(dbFiles(b.dir)).toEqual([]);
    await a.core.close();
    await b.core.close();
  });

  it('the recovery key alone wipes the account from any folder; every device wipes itself; a removed device still cannot', async () => {
    const a = await firstDevice(relay.url, { recovery: true });
    await a.call('character.create', { name: 'Soon gone' });
    await a.call('sync.now', {});
    const b = await pairedDevice(a, relay.url);
    const gone = await pairedDevice(a, relay.url);
    const goneId = (await gone.call('devices.list', {})).find((d) => d.thisDevice)!.deviceId;
    await a.call('devices.remove', { deviceId: goneId });
    const { accountId } = await a.call('sync.status', {});
    // The removed device's own wipe stays refused, and changes nothing.
    expect(await refusal(gone.call('vault.wipe', {}))).toMatchObject({ code: 'device_removed' });

    // A folder with no vault at all (every device lost): a wrong recovery key finds nothing and wipes nothing.
    const x = await openDevice();
    const wrong = a.recoveryKey.replace(/^./, a.recoveryKey[0] === 'A' ? 'B' : 'A');
    expect(await refusal(x.call('account.wipeWithRecoveryKey', { recoveryKey: wrong, relayUrl: relay.url }))).toMatchObject({ code: 'not_found' });
    expect((await a.call('sync.now', {})).wiped).toBeUndefined();

    const receipt = await x.call('account.wipeWithRecoveryKey', { recoveryKey: a.recoveryKey, relayUrl: relay.url });
    expect(receipt).toMatchObject({ accountId, relay: relayAuthority(relay.url) });
    expect(receipt.counts.devices).toBeGreaterThanOrEqual(3);
    expect(receipt.counts.updates).toBeGreaterThan(0);
    const db = new Database(join(relayDir, 'relay.sqlite'), { readonly: true });
    for (const table of ['items', 'devices', 'pairings']) expect(db.prepare(`SELECT count(*) FROM ${table} WHERE account_id = ?`).pluck().get(Buffer.from(accountId!, 'hex')), table).toBe(0);
    db.close();
    // The devices verify the marker (signed by the recovery authority their list names) and wipe themselves.
    for (const d of [a, b]) {
      expect((await d.call('sync.now', {})).wiped).toBe(true);
      expect(dbFiles(d.dir)).toEqual([]);
    }
    // Nothing is left to restore from: the recovery bundle went with it.
    expect(await refusal(x.call('vault.recoverFromRelay', { recoveryKey: a.recoveryKey, relayUrl: relay.url, newPassphrase: 'too late passphrase' }))).toMatchObject({ code: 'not_found', message: expect.stringMatching(/wiped/) });
    for (const d of [a, b, gone, x]) await d.core.close();
  });

  it('refuses a forged marker, and one signed for another relay; nothing is wiped', async () => {
    const hostile = hostileRelay();
    const [a, b] = memoryDevices(2);
    let wiped = 0;
    b!.engine = createSyncEngine({ session: b!.session, store: b!.store, socket: hostile.socket, onWiped: () => void wiped++ });
    await enableAll([a!, b!], relay.url);
    a!.session.createRecord('character', 'Kept', (doc) => writeFields(doc, { name: 'Kept' }));
    await a!.engine.syncOnce();
    await b!.engine.syncOnce();
    const before = picture(b!.session);
    const accountId = a!.engine.replica.keys.accountId;

    const stranger = newKeys();
    const unsigned = { accountId, issuedAt: Date.now(), authority: relayAuthority(relay.url), signer: stranger.publicKey };
    hostile.forgedWipe = { ...unsigned, sig: stranger.sign(wipeStatement(unsigned)) as Uint8Array };
    expect(await refusal(b!.engine.syncOnce())).toMatchObject({ code: 'integrity', message: expect.stringMatching(/not signed by a device of this account/) });
    // Signed by the account key, which every device that ever held the vault key can derive: it is no authority.
    const byAccount = { ...unsigned, signer: accountId };
    hostile.forgedWipe = { ...byAccount, sig: a!.engine.replica.keys.account.sign(wipeStatement(byAccount)) as Uint8Array };
    expect(await refusal(b!.engine.syncOnce())).toMatchObject({ code: 'integrity' });
    // Genuinely signed by device A, but for another relay: also refused.
    const elsewhere = { ...unsigned, authority: 'other.example:443', signer: a!.engine.replica.device.publicKey };
    hostile.forgedWipe = { ...elsewhere, sig: a!.engine.replica.device.sign(wipeStatement(elsewhere)) as Uint8Array };
    expect(await refusal(b!.engine.syncOnce())).toMatchObject({ code: 'integrity' });
    expect(wiped).toBe(0);
    expect(picture(b!.session)).toEqual(before);
    hostile.forgedWipe = null;
    expect(await b!.engine.syncOnce()).toMatchObject({ problems: [] });
    for (const d of [a!, b!]) await d.engine.close();
  });

  it('sending a signed wipe: a removed device is told so, an account the relay does not hold is not found, silence times out, a receipt not from the pinned relay key is refused', async () => {
    const [a, b] = memoryDevices(2);
    await enableAll([a!, b!], relay.url);
    await removeDevice(a!.engine, b!.engine.replica.deviceHex);
    expect(await refusal(sendWipe(signWipe(b!.engine)))).toMatchObject({ code: 'device_removed', message: REMOVED_MESSAGE });
    // Signed by a real device key, for an account the relay never saw.
    const stranger = newKeys();
    const mine = signWipe(a!.engine);
    const unknown = { ...mine.marker, accountId: randomBytes(32), signer: stranger.publicKey };
    expect(await refusal(sendWipe({ ...mine, marker: { ...unknown, sig: stranger.sign(wipeStatement(unknown)) as Uint8Array } }))).toMatchObject({ code: 'not_found', message: expect.stringMatching(/no such account/) });
    // Any other refusal is passed on as the relay said it: a wipe addressed to another relay is not "no such account".
    const elsewhere = { ...mine.marker, authority: 'other.example:443' };
    const misaddressed = await refusal(sendWipe({ ...mine, marker: { ...elsewhere, sig: a!.engine.replica.device.sign(wipeStatement(elsewhere)) as Uint8Array } }));
    expect(misaddressed).toMatchObject({ code: 'network', message: expect.stringMatching(/addressed to other\.example:443/) });
    const silent = hostileRelay();
    silent.swallow = 'wipe';
    // Every connection it opens is closed again, answered or not.
    const sockets: SocketLike[] = [];
    const tracked: SocketFactory = (url) => {
      const sock = silent.socket(url);
      sockets.push(sock);
      return sock;
    };
    expect(await refusal(sendWipe(mine, tracked, 300))).toMatchObject({ code: 'network', message: expect.stringMatching(/did not answer the wipe in time/) });
    silent.swallow = null;
    expect(await refusal(sendWipe({ ...mine, marker: { ...elsewhere, sig: a!.engine.replica.device.sign(wipeStatement(elsewhere)) as Uint8Array } }, tracked))).toMatchObject({ code: 'network' });
    expect(sockets).toHaveLength(2);
    await until(() => sockets.every((sock) => sock.readyState === WebSocket.CLOSED), 60_000, 'connections closed');
    // The relay wipes, but its receipt is not signed by the key pinned at enable time: the wipe is not confirmed.
    expect(await refusal(sendWipe({ ...mine, relayKey: randomBytes(32) }))).toMatchObject({ code: 'integrity', message: expect.stringMatching(/not signed by the relay key pinned/) });
    // The same request again, with the pinned key: the receipt names this relay, its key and the account.
    const receipt = await sendWipe(mine);
    expect(receipt).toMatchObject({ relay: relayAuthority(relay.url), relayKey: toHex(a!.engine.replica.config.relayKey), accountId: toHex(mine.marker.accountId) });
    expect(receipt.wipedAt).toBeGreaterThanOrEqual(mine.marker.issuedAt);
    for (const d of [a!, b!]) await d.engine.close();
  });

  it('offline: wipes this device at once, keeps the signed request, and finishes on the relay later', async () => {
    const port = await freePort();
    const dir = tempDir('wipe-offline-relay');
    let offline = await spawnRelay(['--data', dir, '--port', String(port), '--log-level', 'info']);
    const a = await firstDevice(offline.url);
    await a.call('character.create', { name: 'Offline' });
    await a.call('sync.now', {});
    offline.child.kill('SIGKILL');
    await offline.exited;

    const report = await a.call('vault.wipe', {});
    expect(report).toMatchObject({ remote: 'pending', local: 'wiped', pendingFile: 'pending-wipe.json' });
    expect(report.remoteError).toMatch(/Cannot reach/);
    expect(dbFiles(a.dir)).toEqual([]);
    const pending = JSON.parse(readFileSync(join(a.dir, 'pending-wipe.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(pending).sort()).toEqual(['format', 'marker', 'note', 'relayKey', 'relayUrl']);
    await a.core.close();

    offline = await spawnRelay(['--data', dir, '--port', String(port), '--log-level', 'info']);
    try {
      const again = await openDevice(a.dir);
      const done = await again.call('vault.wipe', {});
      expect(done.remote).toBe('wiped');
      expect(done.receipt!.counts.updates).toBeGreaterThan(0);
      expect(existsSync(join(a.dir, 'pending-wipe.json'))).toBe(false);
      await again.core.close();
    } finally {
      offline.child.kill('SIGKILL');
      await offline.exited;
    }
  });
});
