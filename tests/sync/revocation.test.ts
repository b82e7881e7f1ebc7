/**
 * Issue 13: a removed device is locked out for good. Through a real relay process:
 * - a modified client that signs with every key the removed device holds (its device key, and the account key it
 *   can derive from the vault key it keeps) is refused everything: authenticate (so sync, pull, pairing), a new
 *   device-list version (enrol, re-admit itself), version 1 again, and wipe;
 * - nothing written after the removal opens with any key the removed device ever held, and neither the content
 *   nor the new content key appears anywhere in its folder;
 * - a v1 account (devices enrolled with the account key, no device list) migrates once, over one of its own
 *   devices' connections, and from then on the account key has no authority.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayConnection, RelayError } from '../../shared/sync/client.std.ts';
import { enrollStatement, verifyDeviceChain } from '../../shared/sync/signing.std.ts';
import { subkeyIds, type SubkeyPurpose } from '../../electron/core/crypto/sodium.node.ts';
import { writeFields } from '../../electron/core/docs/fields-doc.node.ts';
import { removeDevice } from '../../electron/core/sync/devices.node.ts';
import { bodyEpoch, openBody } from '../../electron/core/sync/format.node.ts';
import { epochs } from '../../electron/core/sync/keyring.node.ts';
import { signingKeysFromSeed, verify, type SigningKeys } from '../../electron/core/sync/keys.node.ts';
import { sqliteStorage } from '../../sync-server/storage/sqlite.node.ts';
import { newKeys, spawnRelay, type RelayProcess } from '../support/relay-client.node.ts';
import { tempDir } from '../support/files.node.ts';
import { firstDevice, openDevice, pairedDevice, refusal } from './core-support.node.ts';
import { enableAll, memoryDevices } from './support.node.ts';

const kill = async (r: RelayProcess | undefined) => {
  r?.child.kill('SIGKILL');
  await r?.exited;
};

async function relayCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RelayError) return e.relayCode;
    throw e;
  }
  throw new Error('expected the relay to refuse');
}

/** Every file under a folder, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('a removed device (relay process)', () => {
  let relay: RelayProcess;
  beforeAll(async () => {
    relay = await spawnRelay(['--data', tempDir('revocation-relay'), '--log-level', 'info']);
  });
  afterAll(() => kill(relay));

  it('is refused everything, whatever key it signs with', async () => {
    const [a, b, gone] = memoryDevices(3);
    await enableAll([a!, b!, gone!], relay.url);
    a!.session.createRecord('character', 'Shared', (doc) => writeFields(doc, { name: 'Shared' }));
    await a!.engine.syncOnce();
    await gone!.engine.syncOnce();
    const accountId = a!.engine.replica.keys.accountId;
    // Everything the removed device can sign with: its device key, and the account key from the vault key.
    const goneKeys: SigningKeys[] = [signingKeysFromSeed(gone!.engine.replica.config.deviceSeed), signingKeysFromSeed(gone!.session.vault.subkey('accountSigning'))];
    await removeDevice(a!.engine, gone!.engine.replica.deviceHex);

    // Through the engine: sync, list, pairing and wipe all end in the removed-device error.
    expect(await refusal(gone!.engine.syncOnce())).toMatchObject({ code: 'device_removed' });
    expect(gone!.engine.status().state).toBe('removed');

    const current = a!.engine.replica.list!;
    const fresh = newKeys().publicKey;
    for (const k of goneKeys) {
      const c = await RelayConnection.connect(relay.url);
      expect(['revoked', 'unknown_device']).toContain(await relayCode(c.authenticate({ accountId, deviceId: k.publicKey, sign: k.sign })));
      const d = await RelayConnection.connect(relay.url);
      // Unauthenticated, nothing a device does is served.
      expect(await relayCode(d.pull(0))).toBe('auth_required');
      expect(await relayCode(d.pairPut({ mailbox: fresh, body: new Uint8Array(8), ttlMs: 60_000 }))).toBe('auth_required');
      // Enrol a new identity, or re-admit itself, as the next version.
      for (const devices of [[...current.devices, fresh], [...current.devices, k.publicKey]]) {
        const sorted = devices.sort((x, y) => Buffer.compare(x, y));
        const next = { accountId, version: current.version + 1, prev: current.sig, devices: sorted, recovery: current.recovery, signer: k.publicKey, sign: k.sign };
        expect(['revoked', 'auth_failed']).toContain(await relayCode(d.setDevices(next)));
        expect(['revoked', 'auth_failed']).toContain(await relayCode(d.setDevices({ ...next, version: 1, prev: new Uint8Array(64) })));
      }
      // Wipe.
      expect(['revoked', 'auth_failed']).toContain(await relayCode(d.wipe({ accountId, signer: k.publicKey, sign: k.sign })));
      // A marker claiming a device still on the list, signed with the removed device's key, does not verify.
      expect(await relayCode(d.wipe({ accountId, signer: a!.engine.replica.device.publicKey, sign: k.sign }))).toBe('auth_failed');
      c.close();
      d.close();
    }
    // The account is whole: A and B still sync, the chain still verifies and does not name the removed device.
    expect((await a!.engine.syncOnce()).problems).toEqual([]);
    expect((await b!.engine.syncOnce()).problems).toEqual([]);
    const c = await a!.engine.connect();
    const { lists } = await c.devices();
    c.close();
    expect(verifyDeviceChain(verify, accountId, lists)).toMatchObject({ ok: true });
    expect(lists.at(-1)!.devices.map((d) => Buffer.from(d).toString('hex'))).not.toContain(gone!.engine.replica.deviceHex);
    for (const d of [a!, b!, gone!]) await d.engine.close();
  });

  it('holds no key, anywhere in its folder or memory, for anything written after its removal', async () => {
    const a = await firstDevice(relay.url, { recovery: true });
    const before = await a.call('character.create', { name: 'Before' });
    const b = await pairedDevice(a, relay.url);
    await b.call('sync.now', {});
    const bId = (await a.call('devices.list', {})).find((d) => !d.thisDevice)!.deviceId;
    await a.call('devices.remove', { deviceId: bId });
    // Issue 13's sequence: the removed device asks to wipe the account. Refused with the removed-device error; the
    // account, A's vault and B's own copy stay as they were.
    expect(await refusal(b.call('vault.wipe', {}))).toMatchObject({ code: 'device_removed', message: expect.stringMatching(/removed from your account/) });
    expect(await b.call('vault.status', {})).toMatchObject({ exists: true });
    expect(await refusal(b.call('pair.create', {}))).toMatchObject({ code: 'device_removed' });
    expect((await a.call('sync.now', {})).problems).toEqual([]);
    expect((await a.call('character.get', { id: before.id })).name).toBe('Before');
    expect((await b.call('character.get', { id: before.id })).name).toBe('Before');
    const CANARY = 'after-removal-canary-7f3a';
    const { id } = await a.call('character.create', { name: CANARY });
    await a.call('sync.now', {});
    // B, removed, cannot fetch it, and its folder holds it nowhere (ciphertext or plaintext).
    expect(await refusal(b.call('sync.now', {}))).toMatchObject({ code: 'device_removed' });
    expect((await b.call('sync.status', {})).state).toBe('removed');
    for (const f of filesUnder(b.dir)) expect(readFileSync(f).includes(Buffer.from(CANARY)), f).toBe(false);
    expect(await refusal(b.call('character.get', { id }))).toMatchObject({ code: 'not_found' });
    // Recovery with the recovery key still works after the removal and rotation, and reads what came after.
    const r = await openDevice();
    const restored = await r.call('vault.recoverFromRelay', { recoveryKey: a.recoveryKey, relayUrl: relay.url, newPassphrase: 'restored passphrase' });
    expect(restored.round.problems).toEqual([]);
    expect((await r.call('character.get', { id })).name).toBe(CANARY);
    for (const d of [a, b, r]) await d.core.close();
  });

  it('cannot open items written after its removal with any key it held, even handed every item', async () => {
    const [a, gone] = memoryDevices(2);
    await enableAll([a!, gone!], relay.url);
    a!.session.createRecord('character', 'Before', (doc) => writeFields(doc, { name: 'Before' }));
    await a!.engine.syncOnce();
    await gone!.engine.syncOnce();
    const r = gone!.engine.replica;
    const held: Uint8Array[] = [
      ...[...epochs(r).keys.values()],
      r.keys.epochZero,
      r.keys.docIdKey,
      r.keys.local,
      r.config.deviceSeed,
      gone!.session.vault.vaultKeyForWrap(),
      ...(Object.keys(subkeyIds) as SubkeyPurpose[]).map((p) => gone!.session.vault.subkey(p)),
    ].map((k) => k.slice());
    await removeDevice(a!.engine, r.deviceHex);
    a!.session.createRecord('character', 'After', (doc) => writeFields(doc, { name: 'After' }));
    await a!.engine.syncOnce();
    const newKey = [...epochs(a!.engine.replica).keys.entries()].find(([n]) => n === 1)![1];
    expect(held.some((k) => Buffer.from(k).equals(Buffer.from(newKey)))).toBe(false);
    const c = await a!.engine.connect();
    const { items } = await c.pullAll(0);
    c.close();
    const later = items.filter((i) => i.body && bodyEpoch(i.body) === 1);
    expect(later.length).toBeGreaterThan(0);
    for (const i of later) {
      for (const k of held) expect(openBody(() => k, r.keys.accountId, { ...i, body: i.body!, covers: i.covers, sig: i.sig })).toMatchObject({ ok: false });
      expect(openBody(() => newKey, r.keys.accountId, { ...i, body: i.body!, covers: i.covers, sig: i.sig })).toMatchObject({ ok: true });
    }
    for (const d of [a!, gone!]) await d.engine.close();
  });
});

describe('migrating a v1 account to a device list', () => {
  let relay: RelayProcess | undefined;
  afterAll(() => kill(relay));

  it('happens once, over an active device, listing exactly the active devices; the account key loses its authority', async () => {
    const dir = tempDir('revocation-v1-relay');
    const [a, old] = memoryDevices(2);
    const account = signingKeysFromSeed(a!.session.vault.subkey('accountSigning'));
    const accountId = account.publicKey;
    // A v1 relay database: A and an old device enrolled with the account key; the old device removed.
    const seedA = new Uint8Array(32).fill(7);
    const keysA = signingKeysFromSeed(seedA);
    const keysOld = signingKeysFromSeed(new Uint8Array(32).fill(9));
    const v1 = sqliteStorage(dir);
    const t = Date.now() - 60_000; // recent: the relay's retention sweep keeps it
    for (const k of [keysA, keysOld]) await v1.enroll(accountId, { deviceId: k.publicKey, enrolledAt: t, enrollSig: account.sign(enrollStatement({ accountId, deviceId: k.publicKey, enrolledAt: t })) as Uint8Array }, t);
    await v1.revoke(accountId, keysOld.publicKey, t + 1);
    await v1.close();
    relay = await spawnRelay(['--data', dir, '--log-level', 'info']);

    // The removed v1 device holds the account key too, but cannot migrate the account its way.
    const anon = await RelayConnection.connect(relay.url);
    const grab = { accountId, version: 1, prev: new Uint8Array(64), devices: [keysOld.publicKey], recovery: null, signer: accountId, sign: account.sign };
    expect(await relayCode(anon.setDevices(grab))).toBe('auth_failed');
    expect(await relayCode(anon.authenticate({ accountId, deviceId: keysOld.publicKey, sign: keysOld.sign }))).toBe('revoked');

    // A (upgraded) connects: it migrates, listing itself only.
    await a!.engine.enable({ relayUrl: relay.url, deviceSeed: seedA });
    a!.session.createRecord('character', 'Kept', (doc) => writeFields(doc, { name: 'Kept' }));
    expect((await a!.engine.syncOnce()).problems).toEqual([]);
    const c = await a!.engine.connect();
    const { lists, legacy } = await c.devices();
    c.close();
    expect(legacy).toEqual([]);
    expect(lists).toHaveLength(1);
    expect(lists[0]!.devices.map((d) => Buffer.from(d).toString('hex'))).toEqual([Buffer.from(keysA.publicKey).toString('hex')]);
    expect(verifyDeviceChain(verify, accountId, lists)).toMatchObject({ ok: true });

    // From now on the account key is no authority: neither a new version nor a wipe.
    const d = await RelayConnection.connect(relay.url);
    const next = { accountId, version: 2, prev: lists[0]!.sig, devices: [keysA.publicKey, newKeys().publicKey].sort((x, y) => Buffer.compare(x, y)), recovery: null, signer: accountId, sign: account.sign };
    expect(await relayCode(d.setDevices(next))).toBe('auth_failed');
    expect(await relayCode(d.wipe({ accountId, signer: accountId, sign: account.sign }))).toBe('auth_failed');
    d.close();
    anon.close();
    // The old device (same vault key) stays out.
    await old!.engine.enable({ relayUrl: relay.url, deviceSeed: new Uint8Array(32).fill(9) }).catch(() => undefined);
    expect((await a!.engine.syncOnce()).problems).toEqual([]);
    for (const x of [a!, old!]) await x.engine.close();
  });
});
