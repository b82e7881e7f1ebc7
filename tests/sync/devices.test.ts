/**
 * Devices end to end: pairing with a one-time code (the relay forwards only ciphertext), listing, removal (the
 * removed device can no longer authenticate and cannot read anything written after: a new content-key epoch it
 * never receives), and restoring from the relay with the recovery key alone — including content of later epochs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFields } from '../../electron/core/docs/fields-doc.node.ts';
import { openBody, bodyEpoch } from '../../electron/core/sync/format.node.ts';
import { keyFor } from '../../electron/core/sync/keyring.node.ts';
import { processBatch } from '../../electron/core/sync/batch.node.ts';
import { removeDevice, listDevices } from '../../electron/core/sync/devices.node.ts';
import { spawnRelay, type RelayProcess } from '../support/relay-client.node.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';
import { tempDir } from '../support/files.node.ts';
import { firstDevice, openDevice, refusal } from './core-support.node.ts';
import { enableAll, memoryDevices, picture } from './support.node.ts';

describe('pairing, devices and recovery (relay process)', () => {
  let relay: RelayProcess;
  beforeAll(async () => {
    relay = await spawnRelay(['--data', tempDir('devices-relay'), '--log-level', 'info']);
  });
  afterAll(async () => {
    relay?.child.kill('SIGKILL');
    await relay?.exited;
  });

  it('pairs a new device with a one-time code, lists and removes devices, and restores from the recovery key', async () => {
    const a = await firstDevice(relay.url, { recovery: true });
    const { id } = await a.call('character.create', { name: 'Before removal' });
    const askedAt = Date.now();
    const { code, expiresAt } = await a.call('pair.create', {});
    expect(code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{1,4}){6}$/);
    // Ten minutes from when it was asked for (the default), whatever the time the call took.
    expect(expiresAt).toBeGreaterThanOrEqual(askedAt + 10 * 60_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 10 * 60_000);
    const b = await openDevice();
    const joined = await b.call('pair.join', { code, relayUrl: relay.url, passphrase: 'b passphrase' });
    expect(joined.round.down).toBeGreaterThan(0);
    expect((await b.call('character.get', { id })).name).toBe('Before removal');
    // One use only.
    const c = await openDevice();
    expect(await refusal(c.call('pair.join', { code, relayUrl: relay.url, passphrase: 'x passphrase' }))).toMatchObject({ code: 'not_found' });
    expect(await c.call('vault.status', {})).toMatchObject({ exists: false });
    // A wrong code (right shape) finds nothing.
    expect(await refusal(c.call('pair.join', { code: code.replace(/^./, code[0] === 'A' ? 'B' : 'A'), relayUrl: relay.url, passphrase: 'x passphrase' }))).toMatchObject({ code: 'not_found' });

    // B's own passphrase opens B; A's does not.
    await b.call('vault.lock', {});
    expect(await refusal(b.call('vault.unlock', { passphrase: 'correct horse battery staple' }))).toMatchObject({ code: 'wrong_secret' });
    await b.call('vault.unlock', { passphrase: 'b passphrase' });

    const list = await a.call('devices.list', {});
    expect(list).toHaveLength(2);
    expect(list.filter((d) => d.thisDevice)).toHaveLength(1);
    const bId = list.find((d) => !d.thisDevice)!.deviceId;
    const removed = await a.call('devices.remove', { deviceId: bId });
    expect(removed.epoch).toBe(1);
    expect((await a.call('devices.list', {})).find((d) => d.deviceId === bId)!.removedAt).not.toBeNull();
    expect(await refusal(b.call('sync.now', {}))).toMatchObject({ code: 'device_removed', message: expect.stringMatching(/removed/) });

    // After removal: new content, under the new epoch. The recovery key alone restores all of it on a new folder.
    const after = await a.call('character.create', { name: 'After removal' });
    await a.call('sync.now', {});
    const r = await openDevice();
    const restored = await r.call('vault.recoverFromRelay', { recoveryKey: a.recoveryKey, relayUrl: relay.url, newPassphrase: 'restored passphrase' });
    expect(restored.round.problems).toEqual([]);
    expect(restored.round.pending).toBe(0);
    expect((await r.call('character.get', { id: after.id })).name).toBe('After removal');
    expect((await r.call('character.get', { id })).name).toBe('Before removal');
    expect(await refusal(openDevice().then((x) => x.call('vault.recoverFromRelay', { recoveryKey: a.recoveryKey.replace(/^./, a.recoveryKey[0] === 'A' ? 'B' : 'A'), relayUrl: relay.url, newPassphrase: 'zzz passphrase' })))).toMatchObject({ code: 'not_found' });
    for (const d of [a, b, c, r]) await d.core.close();
  });

  it('an unused pairing code leaves no device on the list; a code made before the list changed is refused plainly', async () => {
    const a = await firstDevice(relay.url);
    const listedAfterSync = async () => {
      await a.call('sync.now', {});
      return (await a.call('devices.list', {})).length;
    };
    // Codes made and never used: nothing is listed (the version that adds the device travels inside the code).
    await a.call('pair.create', {});
    const first = await a.call('pair.create', {});
    const second = await a.call('pair.create', {});
    expect(await listedAfterSync()).toBe(1);
    expect(await a.call('devices.list', {})).toEqual([expect.objectContaining({ thisDevice: true, removedAt: null })]);
    // Joining lists exactly the device that joined.
    const b = await openDevice();
    await b.call('pair.join', { code: first.code, relayUrl: relay.url, passphrase: 'b passphrase' });
    const listed = await a.call('devices.list', {});
    expect(listed).toHaveLength(2);
    expect(listed.map((d) => d.removedAt)).toEqual([null, null]);
    expect(listed.find((d) => !d.thisDevice)!.deviceId).toBe((await b.call('devices.list', {})).find((d) => d.thisDevice)!.deviceId);
    // A code made before that join follows an older list: refused in plain words, nothing left behind.
    const c = await openDevice();
    expect(await refusal(c.call('pair.join', { code: second.code, relayUrl: relay.url, passphrase: 'c passphrase' }))).toMatchObject({ code: 'not_found', message: expect.stringMatching(/no longer fits.*Make a new code/) });
    expect(await c.call('vault.status', {})).toMatchObject({ exists: false });
    expect(await a.call('devices.list', {})).toHaveLength(2);
    for (const d of [a, b, c]) await d.core.close();
  });

  it('a wrong recovery key given to sync.enable changes nothing; a round by hand keeps live sync on', async () => {
    const d = await openDevice();
    const { recoveryKey } = await d.call('vault.create', { passphrase: 'wrong key test' });
    const typo = recoveryKey.replace(/^./, recoveryKey[0] === 'A' ? 'B' : 'A');
    expect(await refusal(d.call('sync.enable', { relayUrl: relay.url, recoveryKey: typo }))).toMatchObject({ code: 'wrong_secret' });
    expect((await d.call('sync.status', {})).enabled).toBe(false);

    await d.call('sync.enable', { relayUrl: relay.url, recoveryKey });
    expect((await d.call('sync.status', {})).recoveryReady).toBe(true);
    await d.call('sync.setWatch', { on: true });
    await expect.poll(async () => (await d.call('sync.status', {})).state).toBe('watching');
    await d.call('sync.now', {});
    expect((await d.call('sync.status', {})).state).toBe('watching');
    await d.call('sync.setWatch', { on: false });
    await d.core.close();
  });
});

describe('content-key rotation (in-process relay)', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await startTestRelay();
  });
  afterAll(async () => {
    await relay?.close();
  });

  it('a removed device cannot authenticate, and holds no key for anything written after its removal', async () => {
    const [a, b, gone, late] = memoryDevices(4);
    await enableAll([a!, b!, gone!, late!], relay.url);
    a!.session.createRecord('character', 'Shared', (doc) => writeFields(doc, { name: 'Shared' }));
    await a!.engine.syncOnce();
    for (const d of [b!, gone!, late!]) await d.engine.syncOnce();
    expect((await listDevices(a!.engine)).map((d) => d.removedAt)).toEqual([null, null, null, null]);

    await removeDevice(a!.engine, gone!.engine.replica.deviceHex);
    const secret = a!.session.createRecord('character', 'Secret', (doc) => writeFields(doc, { name: 'Secret', plan: 'after removal' }));
    await a!.engine.syncOnce();
    // The remaining device gets the new epoch from the keyring and reads everything.
    const rb = await b!.engine.syncOnce();
    expect(rb.problems).toEqual([]);
    expect(picture(b!.session)).toEqual(picture(a!.session));
    // The removed one is refused at the door…
    expect(await refusal(gone!.engine.syncOnce())).toMatchObject({ message: expect.stringMatching(/removed/) });
    // …and even handed every item (a colluding relay), it has no key for what came after.
    const items = await relay.storage.itemsAfter(a!.engine.replica.keys.accountId, 0, 10_000, 1 << 26);
    const later = items.filter((i) => i.kind !== 'tombstone' && i.body && bodyEpoch(i.body) === 1);
    expect(later.length).toBeGreaterThan(0);
    for (const i of later) {
      expect(openBody((e) => keyFor(gone!.engine.replica, e), gone!.engine.replica.keys.accountId, { ...i, body: i.body!, covers: i.covers, sig: i.sig })).toMatchObject({ ok: false, why: 'no_key' });
      expect(openBody((e) => keyFor(b!.engine.replica, e), b!.engine.replica.keys.accountId, { ...i, body: i.body!, covers: i.covers, sig: i.sig })).toMatchObject({ ok: true });
    }
    // The keyring item the relay carries is what matters: handed everything on the relay through the path every
    // pulled page takes, the removed device learns no new key and reads nothing written after its removal — while a
    // device still on the list, handed the same items the same way, reads all of it.
    processBatch(gone!.engine.replica, items, true);
    expect(later.every((i) => openBody((e) => keyFor(gone!.engine.replica, e), gone!.engine.replica.keys.accountId, i).ok === false)).toBe(true);
    expect(picture(gone!.session)).not.toEqual(picture(a!.session));
    expect((picture(gone!.session) as { id: string }[]).map((e) => e.id)).not.toContain(secret);
    processBatch(late!.engine.replica, items, true);
    expect((picture(late!.session) as { id: string }[]).map((e) => e.id)).toContain(secret);
    for (const d of [a!, b!, gone!, late!]) await d.engine.close();
  });
});
