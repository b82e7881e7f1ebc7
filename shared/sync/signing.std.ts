/**
 * The exact bytes every signature in the protocol covers. Each statement starts with its own domain label, so a
 * signature made for one purpose (say, an upload) can never be presented as another (an enrollment, a wipe); every
 * field is length-prefixed (byte strings, strings) or fixed-width (numbers as u64), so no two different statements
 * share an encoding. Everything signed by a device also names the account, so nothing can move between accounts;
 * everything the relay checks against a connection also names the relay's authority (host[:port]), so a signature
 * made for one relay is useless at another.
 *
 * Signing and verifying are injected (libsodium Ed25519 in Node: sync-server/crypto.node.ts and
 * tests/support/relay-client.node.ts), which keeps this file pure.
 */
import type { CoverRange, DeviceList, WipeCounts, WipeMarker, WipeReceipt } from './messages.std.ts';

export type Signer = (message: Uint8Array) => Uint8Array | Promise<Uint8Array>;
export type Verifier = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean;

type Field = Uint8Array | string | number;
const encoder = new TextEncoder();

function statement(label: string, fields: Field[]): Uint8Array {
  return domainStatement('mindstage.sync.v1', label, fields);
}

/** A statement under another protocol's domain (e.g. the public gallery's), with the same unambiguous encoding. */
export function domainStatement(domain: string, label: string, fields: Field[]): Uint8Array {
  const parts: Uint8Array[] = [encoder.encode(`${domain}\0${label}\0`)];
  for (const f of fields) {
    if (typeof f === 'number') {
      if (!Number.isSafeInteger(f) || f < 0) throw new RangeError('signed numbers must be non-negative safe integers');
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, BigInt(f));
      parts.push(b);
    } else {
      const bytes = typeof f === 'string' ? encoder.encode(f) : f;
      const len = new Uint8Array(4);
      new DataView(len.buffer).setUint32(0, bytes.length);
      parts.push(len, bytes);
    }
  }
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A device answers the relay's challenge. */
export const authStatement = (a: { nonce: Uint8Array; accountId: Uint8Array; deviceId: Uint8Array; authority: string }) =>
  statement('auth', [a.nonce, a.accountId, a.deviceId, a.authority]);

/** Protocol v1: the account key admitted a device. Only read now, to migrate v1 accounts to a device list. */
export const enrollStatement = (a: { accountId: Uint8Array; deviceId: Uint8Array; enrolledAt: number }) =>
  statement('enroll', [a.accountId, a.deviceId, a.enrolledAt]);

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/** One version of the device list (messages.std.ts, DeviceList). */
export const deviceListStatement = (l: Omit<DeviceList, 'sig'>) =>
  statement('device-list', [l.accountId, l.version, l.prev, concat(l.devices), l.recovery ?? new Uint8Array(0), l.issuedAt, l.signer]);

/** A device on the current list (or the recovery authority) asks one relay to delete everything; the same signature is the marker other devices verify. */
export const wipeStatement = (m: Omit<WipeMarker, 'sig'>) => statement('wipe', [m.accountId, m.issuedAt, m.authority, m.signer]);

const coversField = (covers: CoverRange[]): Uint8Array => {
  const out = new Uint8Array(covers.length * 48);
  const view = new DataView(out.buffer);
  covers.forEach((c, i) => {
    out.set(c.deviceId, i * 48);
    view.setBigUint64(i * 48 + 32, BigInt(c.from));
    view.setBigUint64(i * 48 + 40, BigInt(c.to));
  });
  return out;
};

/** What a device signs for every item it writes: updates, snapshots (with what they cover) and tombstones. */
export const itemStatement = (a: {
  kind: 'update' | 'snapshot' | 'tombstone';
  accountId: Uint8Array;
  docId: Uint8Array;
  deviceId: Uint8Array;
  deviceSeq: number;
  body?: Uint8Array | undefined;
  covers?: CoverRange[];
}) => statement(`item-${a.kind}`, [a.accountId, a.docId, a.deviceId, a.deviceSeq, a.body ?? new Uint8Array(0), coversField(a.covers ?? [])]);

const countsFields = (c: WipeCounts): number[] => [c.updates, c.snapshots, c.tombstones, c.devices, c.pairings, c.bytes];

/** The relay states what it deleted, bound to the marker it answers. */
export const receiptStatement = (r: Omit<WipeReceipt, 'sig'>) =>
  statement('wipe-receipt', [r.accountId, r.wipedAt, ...countsFields(r.counts), r.markerSig, r.relayKey]);

/** May `key` speak for the account under this list version: a device on it, or its recovery authority? */
export function mayAct(list: Pick<DeviceList, 'devices' | 'recovery'>, key: Uint8Array): boolean {
  return list.devices.some((d) => equalBytes(d, key)) || (list.recovery !== null && equalBytes(list.recovery, key));
}

/**
 * A marker is genuine when a device on the list this device last verified (or that list's recovery authority)
 * signed it for this relay. A removed device's marker never is, whatever keys it kept.
 */
export function verifyWipeMarker(verify: Verifier, marker: WipeMarker, expected: { accountId: Uint8Array; authority: string; list: Pick<DeviceList, 'devices' | 'recovery'> }): boolean {
  return (
    equalBytes(marker.accountId, expected.accountId) &&
    marker.authority === expected.authority &&
    mayAct(expected.list, marker.signer) &&
    verify(marker.sig, wipeStatement(marker), marker.signer)
  );
}

const hexOf = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/**
 * Why `next` may not follow `prev` (null: it may). Version 1 must be signed by the account id's key; each later
 * version by a device on the previous one or its recovery authority, naming the previous signature. Devices must be
 * sorted ascending without repeats, so one list has one encoding.
 */
export function listStepError(verify: Verifier, accountId: Uint8Array, prev: DeviceList | null, next: DeviceList): string | null {
  if (!equalBytes(next.accountId, accountId)) return 'it names another account';
  for (let i = 1; i < next.devices.length; i++) if (hexOf(next.devices[i - 1]!) >= hexOf(next.devices[i]!)) return 'its devices are not sorted or repeat';
  if (prev === null) {
    if (next.version !== 1 || !next.prev.every((b) => b === 0)) return 'the first version must be version 1';
    if (!equalBytes(next.signer, accountId)) return 'version 1 must be signed by the account key';
  } else {
    if (next.version !== prev.version + 1 || !equalBytes(next.prev, prev.sig)) return `it does not follow version ${prev.version}`;
    if (!mayAct(prev, next.signer)) return 'its signer is not on the previous version';
  }
  if (!verify(next.sig, deviceListStatement(next), next.signer)) return 'its signature does not verify';
  return null;
}

/** Verifies a whole chain from version 1; returns the newest version, or why the chain is not genuine. */
export function verifyDeviceChain(verify: Verifier, accountId: Uint8Array, lists: DeviceList[]): { ok: true; current: DeviceList | null } | { ok: false; why: string } {
  let prev: DeviceList | null = null;
  for (const l of lists) {
    const why = listStepError(verify, accountId, prev, l);
    if (why) return { ok: false, why: `device list version ${l.version}: ${why}` };
    prev = l;
  }
  return { ok: true, current: prev };
}

/** A receipt is genuine when the pinned relay key signed it for this account and this marker. */
export function verifyWipeReceipt(verify: Verifier, receipt: WipeReceipt, expected: { accountId: Uint8Array; relayKey: Uint8Array; marker: WipeMarker }): boolean {
  return (
    equalBytes(receipt.accountId, expected.accountId) &&
    equalBytes(receipt.relayKey, expected.relayKey) &&
    equalBytes(receipt.markerSig, expected.marker.sig) &&
    verify(receipt.sig, receiptStatement(receipt), receipt.relayKey)
  );
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** host[:port] of a relay URL, lowercased: what clients sign and relays compare with their own. */
export function relayAuthority(url: string): string {
  return new URL(url).host.toLowerCase();
}
