/**
 * Listing and removing devices. Removal is signed by the account key; the relay then refuses the device's every
 * connection. Because the removed device may still hold the current content key, a new epoch starts at once: a
 * random key sealed to every remaining device (and the recovery key, when set up) and published as a keyring item
 * before anything else this device writes. What rotation does not do is in docs/sync-client.md.
 */
import { MindstageError } from '../../../shared/result.std.ts';
import { fromHex, toHex } from '../crypto/sodium.node.ts';
import type { SyncEngine } from './engine.node.ts';
import { rotate } from './keyring.node.ts';
import { encodeOutboxItem } from './outbox.node.ts';
import { recoveryRecipient } from './recovery.node.ts';
import { uploadOutbox } from './upload.node.ts';

export interface DeviceView {
  deviceId: string;
  enrolledAt: number;
  removedAt: number | null;
  thisDevice: boolean;
}

export async function listDevices(engine: SyncEngine): Promise<DeviceView[]> {
  return engine.exclusive(async () => {
    const conn = await engine.connect();
    conn.close();
    const r = engine.replica;
    return [...r.devices.values()]
      .map((d) => ({ deviceId: toHex(d.deviceId), enrolledAt: d.enrolledAt, removedAt: d.revokedAt, thisDevice: toHex(d.deviceId) === r.deviceHex }))
      .sort((a, b) => a.enrolledAt - b.enrolledAt);
  });
}

export async function removeDevice(engine: SyncEngine, deviceIdHex: string): Promise<{ removed: string; epoch: number }> {
  const r = engine.replica;
  if (!/^[0-9a-f]{64}$/.test(deviceIdHex)) throw new MindstageError('usage', 'That is not the id of a device on this account.');
  if (deviceIdHex === r.deviceHex) throw new MindstageError('usage', 'This is the device you are using; remove it from another device, or wipe it.');
  return engine.exclusive(async () => {
    const conn = await engine.connect();
    try {
      if (!r.devices.has(deviceIdHex)) throw new MindstageError('not_found', `No device ${deviceIdHex} in this account.`);
      await conn.removeDevice({ accountId: r.keys.accountId, deviceId: fromHex(deviceIdHex), signAccount: r.keys.account.sign });
      r.setDevices(await conn.devices());
      const remaining = [...r.devices.values()].filter((d) => d.revokedAt === null).map((d) => d.deviceId);
      const rcpt = recoveryRecipient(r);
      const { epoch, body } = rotate(r, rcpt ? [...remaining, rcpt] : remaining);
      r.store.transaction(() => {
        const seq = r.state.lastSeq + 1;
        r.store.addOutbox(seq, encodeOutboxItem({ kind: 'update', docId: r.keys.keyringDocId, deviceSeq: seq, body, covers: [] }));
        r.state.lastSeq = seq;
      });
      await uploadOutbox(r, conn);
      return { removed: deviceIdHex, epoch };
    } finally {
      conn.close();
    }
  });
}
