/**
 * Opening an authenticated connection for a replica: dial, authenticate with the device key, insist on the pinned
 * relay key, refresh the verified device list, and turn a wipe answer into a verified marker (or a refusal).
 */
import { RelayConnection, RelayError, type ConnectOptions, type SocketFactory } from '../../../shared/sync/client.std.ts';
import type { WipeMarker } from '../../../shared/sync/messages.std.ts';
import { relayAuthority, verifyWipeMarker } from '../../../shared/sync/signing.std.ts';
import { MindstageError } from '../../../shared/result.std.ts';
import { sodium } from '../crypto/sodium.node.ts';
import { genesisList } from './devices.node.ts';
import { verify } from './keys.node.ts';
import type { Replica } from './replica.node.ts';
import { ensureVaultRotated } from './rotation.node.ts';

/** The account was wiped and the marker verified: signed for this relay by a device on the account's list. */
export class WipedError extends MindstageError {
  readonly marker: WipeMarker;
  constructor(marker: WipeMarker) {
    super('network', 'This account was wiped from another of your devices (the wipe is signed by a device on your account).');
    this.name = 'WipedError';
    this.marker = marker;
  }
}

/** Genuine when a device on the list this device last verified (or its recovery authority) signed it for this relay. */
export function checkMarker(r: Replica, marker: WipeMarker, relayUrl = r.config.relayUrl): boolean {
  const list = r.list;
  return list !== null && verifyWipeMarker(verify, marker, { accountId: r.keys.accountId, authority: relayAuthority(relayUrl), list });
}

/** A marker that does not verify is refused loudly and changes nothing. */
export function forgedMarker(): MindstageError {
  return new MindstageError('integrity', 'The relay sent a wipe marker that is not signed by a device of this account. It was refused; nothing was wiped.');
}

export const REMOVED_MESSAGE =
  'This device was removed from your account by another of your devices. It can no longer sync, pair or change the account; the data already on it stays here until you delete it.';

/** The relay refused this device because it is not on the account's device list any more. */
export function removedError(): MindstageError {
  return new MindstageError('device_removed', REMOVED_MESSAGE);
}

/**
 * Brings an account made by protocol v1 (no device list yet) onto one: version 1 lists exactly its active devices
 * whose enrollment the account key signed, with the recovery recipient if this device has one, signed by the
 * account key. The relay accepts this once, only over a connection of one of those devices; from then on the
 * account key — which every device that ever held the vault key can derive — has no authority left.
 */
async function migrate(r: Replica, conn: RelayConnection): Promise<void> {
  const dl = await conn.devices();
  if (dl.lists.length > 0) return r.setDevices(dl);
  r.setDevices(dl);
  const active = [...r.devices.values()].filter((d) => d.revokedAt === null).map((d) => d.deviceId);
  try {
    await conn.setDevices({ ...genesisList(r, active) });
  } catch (e) {
    // Another device migrated it first: fine, read what it made.
    if (!(e instanceof RelayError && e.relayCode === 'conflict')) throw e;
  }
  r.setDevices(await conn.devices());
}

export async function openConnection(r: Replica, socket: SocketFactory | undefined, handlers: Omit<ConnectOptions, 'socket'> = {}): Promise<RelayConnection> {
  const url = checkRelayUrl(r.config.relayUrl);
  let conn: RelayConnection;
  try {
    conn = await RelayConnection.connect(url, { ...handlers, ...(socket ? { socket } : {}) });
  } catch (e) {
    if (e instanceof RelayError) throw new MindstageError('network', `Cannot reach the sync relay at ${relayAuthority(url)}.`);
    throw e;
  }
  try {
    const { relayKey, head } = await conn.authenticate({ accountId: r.keys.accountId, deviceId: r.device.publicKey, sign: r.device.sign });
    r.freshness.reset();
    r.freshness.sawHead(head, r.state.cursor);
    if (!sodium.memcmp(relayKey, r.config.relayKey)) {
      throw new MindstageError('integrity', `The relay at ${relayAuthority(url)} presented a different key than the one pinned when sync was enabled. Nothing was sent. If the relay was really replaced, disable and re-enable sync.`);
    }
    await migrate(r, conn);
    if (!r.devices.get(r.deviceHex) || r.devices.get(r.deviceHex)!.revokedAt !== null) throw removedError();
    ensureVaultRotated(r);
    return conn;
  } catch (e) {
    conn.close();
    if (e instanceof RelayError && e.relayCode === 'wiped' && e.marker) {
      if (checkMarker(r, e.marker)) throw new WipedError(e.marker);
      throw forgedMarker();
    }
    if ((e instanceof RelayError && e.relayCode === 'revoked') || (e instanceof MindstageError && e.code === 'device_removed')) {
      r.markRemoved();
      throw removedError();
    }
    throw e;
  }
}

export function checkRelayUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new MindstageError('usage', `${url} is not a relay URL (expected ws://host:port or wss://host).`);
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new MindstageError('usage', `${url} is not a relay URL (expected ws:// or wss://).`);
  // The relay key is pinned on first use, so an attacker on the path at that moment could substitute their own:
  // off this machine, only TLS keeps the path honest.
  if (u.protocol === 'ws:' && !isLoopbackHost(u.hostname)) {
    throw new MindstageError('usage', `The relay at ${u.host} must be reached with wss:// (encrypted). Plain ws:// is only allowed for a relay on this computer (127.0.0.1, ::1 or localhost).`);
  }
  return u.toString().replace(/\/$/, '');
}

/** 127.0.0.0/8, ::1 and localhost: addresses that never leave this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}
