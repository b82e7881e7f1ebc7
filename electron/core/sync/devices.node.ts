/**
 * The account's device list and removing devices (docs/sync-client.md, "Devices and removal").
 *
 * The relay admits only devices on the account's current signed device list, and accepts a new version only when a
 * device on the current one (or the recovery authority) signs it. Removing a device is such a version: the relay
 * then refuses it everything. Because the removed device still holds every key it had, everything it knew is
 * replaced: a new content epoch starts at once (a random key sealed to every remaining device and the recovery
 * recipient, published as a keyring item before anything else this device writes), and every remaining device
 * moves to a new vault key of its own (rotation.node.ts) — this one before it returns.
 */
import { MindstageError } from '../../../shared/result.std.ts';
import type { RelayConnection } from '../../../shared/sync/client.std.ts';
import type { DeviceList } from '../../../shared/sync/messages.std.ts';
import { deviceListStatement } from '../../../shared/sync/signing.std.ts';
import { fromHex, randomBytes, toHex, wipe } from '../crypto/sodium.node.ts';
import { recoveryRecipientKeys } from '../vault/key-wraps.node.ts';
import { encodeRecoveryCode } from '../vault/recovery-code.node.ts';
import type { SyncEngine } from './engine.node.ts';
import { rotate } from './keyring.node.ts';
import type { SigningKeys } from './keys.node.ts';
import { encodeOutboxItem } from './outbox.node.ts';
import { recoveryRecipient } from './recovery.node.ts';
import type { Replica } from './replica.node.ts';
import { ensureVaultRotated, recoveryRecipientFor } from './rotation.node.ts';
import { uploadOutbox } from './upload.node.ts';

export interface DeviceView {
  deviceId: string;
  enrolledAt: number;
  removedAt: number | null;
  thisDevice: boolean;
}

const sortDevices = (ids: Uint8Array[]): Uint8Array[] => {
  const byHex = new Map(ids.map((d) => [toHex(d), d]));
  return [...byHex.keys()].sort().map((h) => byHex.get(h)!);
};

/** Version 1 of a new account's list: this device alone, signed by the account id's key (the genesis). */
export function genesisList(r: Replica, devices: Uint8Array[]): Omit<DeviceList, 'sig' | 'issuedAt'> & { sign: SigningKeys['sign'] } {
  return { accountId: r.keys.accountId, version: 1, prev: new Uint8Array(64), devices: sortDevices(devices), recovery: recoveryRecipient(r), signer: r.keys.accountId, sign: r.keys.account.sign };
}

/**
 * Signs and sends the version after the current one with `change` applied, then refreshes the verified list.
 * `signer`: this device, or the recovery authority while restoring with the recovery key.
 */
export async function changeList(r: Replica, conn: RelayConnection, change: ListChange, signer: SigningKeys): Promise<void> {
  r.setDevices(await conn.devices());
  await conn.sendDevices(await nextList(r, change, signer));
  r.setDevices(await conn.devices());
}

export interface ListChange {
  add?: Uint8Array;
  remove?: Uint8Array;
  recovery?: Uint8Array;
}

/** The version after the newest one verified, with `change` applied, signed by `signer` — not sent. */
export async function nextList(r: Replica, change: ListChange, signer: SigningKeys): Promise<DeviceList> {
  const cur = r.list;
  if (!cur) throw new MindstageError('integrity', 'The relay holds no device list for this account.');
  const devices = sortDevices([...cur.devices, ...(change.add ? [change.add] : [])].filter((d) => !change.remove || toHex(d) !== toHex(change.remove)));
  const unsigned = { accountId: r.keys.accountId, version: cur.version + 1, prev: cur.sig, devices, recovery: change.recovery ?? cur.recovery, issuedAt: Date.now(), signer: signer.publicKey };
  return { ...unsigned, sig: await signer.sign(deviceListStatement(unsigned)) };
}

/** The account's devices as the relay's checked list has them; their names are in the settings document. */
export async function listDevices(engine: SyncEngine): Promise<Omit<DeviceView, 'name'>[]> {
  return engine.exclusive(async () => {
    const conn = await engine.connect();
    conn.close();
    const r = engine.replica;
    return [...r.devices.values()]
      .map((d) => ({ deviceId: toHex(d.deviceId), enrolledAt: d.enrolledAt, removedAt: d.revokedAt, thisDevice: toHex(d.deviceId) === r.deviceHex }))
      .sort((a, b) => a.enrolledAt - b.enrolledAt);
  });
}

/**
 * `recoveryKey` is set only when this account knew no recovery recipient (a vault from before header version 2
 * that never set up recovery): the new vault keys could not be wrapped for the old recovery key, so a new one was
 * made, named in the device list for the other devices, and must be shown to the user once.
 */
export async function removeDevice(engine: SyncEngine, deviceIdHex: string): Promise<{ removed: string; epoch: number; recoveryKey?: string }> {
  const r = engine.replica;
  if (!/^[0-9a-f]{64}$/.test(deviceIdHex)) throw new MindstageError('usage', 'That is not the id of a device on this account.');
  if (deviceIdHex === r.deviceHex) throw new MindstageError('usage', 'This is the device you are using; remove it from another device, or wipe it.');
  return engine.exclusive(async () => {
    const conn = await engine.connect();
    try {
      if (!r.devices.has(deviceIdHex)) throw new MindstageError('not_found', `No device ${deviceIdHex} in this account.`);
      let rcpt = recoveryRecipientFor(r);
      let recoveryKey: string | undefined;
      if (!rcpt) {
        const R = randomBytes(32);
        rcpt = recoveryRecipientKeys(R).publicKey;
        recoveryKey = encodeRecoveryCode(R);
        wipe(R);
      }
      if (r.devices.get(deviceIdHex)!.revokedAt === null) {
        // The other devices wrap their new vault keys for the account's recovery recipient: make sure the list names it.
        await changeList(r, conn, { remove: fromHex(deviceIdHex), ...(r.list?.recovery ? {} : { recovery: rcpt }) }, r.device);
      }
      const remaining = [...r.devices.values()].filter((d) => d.revokedAt === null).map((d) => d.deviceId);
      // The vault key first: the new content key is then kept only under it.
      ensureVaultRotated(r);
      const { epoch, body } = rotate(r, [...remaining, rcpt]);
      r.store.transaction(() => {
        const seq = r.state.lastSeq + 1;
        r.store.addOutbox(seq, encodeOutboxItem({ kind: 'update', docId: r.keys.keyringDocId, deviceSeq: seq, body, covers: [] }));
        r.state.lastSeq = seq;
      });
      await uploadOutbox(r, conn);
      return { removed: deviceIdHex, epoch, ...(recoveryKey ? { recoveryKey } : {}) };
    } finally {
      conn.close();
    }
  });
}
