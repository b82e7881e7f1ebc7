/**
 * Pairing a new device (docs/sync-client.md, "Pairing"). The existing device seals the vault's root key material,
 * the relay's pinned key, every content-key epoch and the recovery recipient under a key derived from a fresh
 * one-time code, and leaves the ciphertext in the relay's mailbox (at most 24 h; 10 minutes by default). The new
 * device takes it — the relay deletes it on that read — sets up its vault with its own passphrase (and a vault key
 * of its own) and pulls everything.
 *
 * Only a device on the list may add one, and the new device has no key yet, so `pair create` makes the new
 * device's key itself and signs the device-list version that adds it — but does not send it: the version travels in
 * the sealed payload and the new device sends it when it joins. A code never used therefore leaves nothing on the
 * list: once the mailbox expires, the signed version is gone with it. The cost: the version names the list it
 * follows, so a code made before another device joined or was removed no longer fits and must be made again.
 */
import { MindstageError } from '../../../shared/result.std.ts';
import { RelayError, type SocketFactory } from '../../../shared/sync/client.std.ts';
import type { DeviceList } from '../../../shared/sync/messages.std.ts';
import { fromBase64, fromHex, toBase64, toHex } from '../crypto/sodium.node.ts';
import { decodeHeader } from '../vault/header.node.ts';
import { dial, type SyncEngine } from './engine.node.ts';
import { nextList } from './devices.node.ts';
import { epochs } from './keyring.node.ts';
import { newDeviceSeed, signingKeysFromSeed } from './keys.node.ts';
import type { VaultMaterial } from './local-vault.node.ts';
import { newPairCode, openPairPayload, pairKeys, parsePairCode, sealPairPayload } from './pair-code.node.ts';
import { recoveryRecipient } from './recovery.node.ts';
import { recoveryRecipientFor } from './rotation.node.ts';

export const DEFAULT_PAIR_TTL_MS = 10 * 60_000;

export interface PairPayload {
  material: VaultMaterial;
  relayUrl: string;
  relayKey: Uint8Array;
  epochs: [number, Uint8Array][];
  recipient: Uint8Array | null;
  /** The new device's key seed. */
  deviceSeed: Uint8Array;
  /** The device-list version that adds it, signed by the device that made the code; the new device sends it. */
  admit: DeviceList;
}

export async function createPairing(engine: SyncEngine, ttlMs = DEFAULT_PAIR_TTL_MS): Promise<{ code: string; expiresAt: number; relayUrl: string }> {
  const r = engine.replica;
  const s = engine.session;
  const header = decodeHeader(s.storage.readHeader()!);
  const { code, secret } = newPairCode();
  const deviceSeed = newDeviceSeed();
  const json = {
    v: 3,
    deviceSeed: toBase64(deviceSeed),
    vaultId: toBase64(header.vaultId),
    vaultKey: toBase64(s.vault.vaultKeyForWrap()),
    createdAt: header.createdAt,
    wrappedByRecovery: toBase64(header.wrappedByRecovery),
    relayUrl: r.config.relayUrl,
    relayKey: toHex(r.config.relayKey),
    epochs: [...epochs(r).keys].map(([n, k]) => [n, toBase64(k)]),
    recipient: recoveryRecipient(r) && toHex(recoveryRecipient(r)!),
    // The new device wraps a fresh vault key of its own for this recovery recipient.
    wrapFor: recoveryRecipientFor(r) && toHex(recoveryRecipientFor(r)!),
  };
  await engine.exclusive(async () => {
    const conn = await engine.connect();
    try {
      const device = signingKeysFromSeed(deviceSeed);
      device.secretKey.fill(0);
      const admit = await nextList(r, { add: device.publicKey }, r.device);
      const body = sealPairPayload(secret, new TextEncoder().encode(JSON.stringify({ ...json, admit: listToJson(admit) })));
      await conn.pairPut({ mailbox: pairKeys(secret).mailbox, body, ttlMs });
    } finally {
      conn.close();
    }
  });
  return { code, expiresAt: Date.now() + ttlMs, relayUrl: r.config.relayUrl };
}

/** Takes (and so consumes) the payload for a code. */
export async function takePairing(code: string, relayUrl: string, socket?: SocketFactory): Promise<PairPayload> {
  const secret = parsePairCode(code);
  const conn = await dial(relayUrl, socket);
  let sealed: Uint8Array;
  try {
    sealed = await conn.pairTake(pairKeys(secret).mailbox);
  } catch (e) {
    if (e instanceof RelayError && e.relayCode === 'not_found') throw new MindstageError('not_found', 'No pairing is waiting for this code: it is wrong, expired, or was already used.');
    throw e;
  } finally {
    conn.close();
  }
  const j = JSON.parse(new TextDecoder().decode(openPairPayload(secret, sealed))) as {
    v: number;
    vaultId: string;
    vaultKey: string;
    createdAt: number;
    wrappedByRecovery: string;
    relayUrl: string;
    relayKey: string;
    epochs: [number, string][];
    recipient: string | null;
    wrapFor: string | null;
    deviceSeed: string;
    admit: ListJson;
  };
  if (j.v !== 3) throw new MindstageError('unsupported', 'The other device uses a different version of Mindstage; update both to the same version.');
  return {
    material: {
      vaultId: fromBase64(j.vaultId),
      vaultKey: fromBase64(j.vaultKey),
      createdAt: j.createdAt,
      wrappedByRecovery: fromBase64(j.wrappedByRecovery),
      recoveryRecipient: j.wrapFor ? fromHex(j.wrapFor) : null,
    },
    relayUrl: j.relayUrl,
    relayKey: fromHex(j.relayKey),
    epochs: j.epochs.map(([n, k]) => [n, fromBase64(k)]),
    recipient: j.recipient === null ? null : fromHex(j.recipient),
    deviceSeed: fromBase64(j.deviceSeed),
    admit: listFromJson(j.admit),
  };
}

interface ListJson {
  accountId: string;
  version: number;
  prev: string;
  devices: string[];
  recovery: string | null;
  issuedAt: number;
  signer: string;
  sig: string;
}

const listToJson = (l: DeviceList): ListJson => ({ accountId: toHex(l.accountId), version: l.version, prev: toHex(l.prev), devices: l.devices.map(toHex), recovery: l.recovery && toHex(l.recovery), issuedAt: l.issuedAt, signer: toHex(l.signer), sig: toHex(l.sig) });

const listFromJson = (j: ListJson): DeviceList => ({ accountId: fromHex(j.accountId), version: j.version, prev: fromHex(j.prev), devices: j.devices.map(fromHex), recovery: j.recovery === null ? null : fromHex(j.recovery), issuedAt: j.issuedAt, signer: fromHex(j.signer), sig: fromHex(j.sig) });
