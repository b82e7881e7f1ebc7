/**
 * Restoring from the relay with nothing but the recovery key (docs/sync-client.md, "Recovery from the relay").
 *
 * Devices never keep the recovery key, and the relay serves nothing without authentication, so `sync enable
 * --recovery-key` (or `sync recovery --recovery-key`) sets up a second, tiny relay account whose keys all derive
 * from the recovery key R:
 *
 *   locator account / device = Ed25519 from BLAKE2b(R, "mindstage.recovery.account.v1" / ".device.v1")
 *   bundle key               = BLAKE2b(R, "mindstage.recovery.bundle.v1")
 *   recipient                = Ed25519 from BLAKE2b(R, "mindstage.recovery.recipient.v1"); its X25519 form
 *                              receives every later content-key epoch (keyring.node.ts)
 *
 * It holds one item: the bundle {vaultId, createdAt, wrappedByRecovery, relayKey}, sealed with the bundle key. The
 * recipient is also the main account's recovery authority: its public key is named in the device list, so whoever
 * holds R (and only they: devices never keep it) may sign the list's next version. A new device given R derives
 * the locator, authenticates, takes the bundle, unwraps the vault key with R exactly as the local `recover` does,
 * adds its own new key to the device list as the recovery authority, and from then on is an ordinary device.
 */
import { MindstageError } from '../../../shared/result.std.ts';
import { RelayError, type SocketFactory } from '../../../shared/sync/client.std.ts';
import { aeadOpen, aeadSeal, fromBase64, fromHex, sodium, toBase64, toHex } from '../crypto/sodium.node.ts';
import { decodeHeader } from '../vault/header.node.ts';
import { openWithRecoveryKey, setHeaderRecoveryRecipient } from '../vault/vault.node.ts';
import { decodeRecoveryCode } from '../vault/recovery-code.node.ts';
import { deriveSubkey, keyedHash } from '../crypto/sodium.node.ts';
import { itemStatement, relayAuthority, wipeStatement } from '../../../shared/sync/signing.std.ts';
import { sendWipe, type VerifiedReceipt } from './wipe.node.ts';
import { changeList } from './devices.node.ts';
import { dial, type SyncEngine } from './engine.node.ts';
import { signingKeysFromSeed, verify, type SigningKeys } from './keys.node.ts';
import type { VaultMaterial } from './local-vault.node.ts';
import type { Replica } from './replica.node.ts';

const label = (s: string) => new TextEncoder().encode(s);
const derive = (R: Uint8Array, what: string) => keyedHash(R, label(`mindstage.recovery.${what}.v1`), 32);

export interface RecoveryIdentity {
  account: SigningKeys;
  device: SigningKeys;
  bundleKey: Uint8Array;
  bundleDocId: Uint8Array;
  recipient: SigningKeys;
}

export function recoveryIdentity(R: Uint8Array): RecoveryIdentity {
  return {
    account: signingKeysFromSeed(derive(R, 'account')),
    device: signingKeysFromSeed(derive(R, 'device')),
    bundleKey: derive(R, 'bundle'),
    bundleDocId: derive(R, 'bundle-doc'),
    recipient: signingKeysFromSeed(derive(R, 'recipient')),
  };
}

export function recoveryRecipient(r: Replica): Uint8Array | null {
  const v = r.store.getMeta('recovery');
  return v ? fromHex(r.state.sealer.openJson<{ recipient: string }>('meta', 'recovery', v).recipient) : null;
}

export function setRecoveryRecipient(r: Replica, recipient: Uint8Array): void {
  r.store.putMeta('recovery', r.state.sealer.sealJson('meta', 'recovery', { recipient: toHex(recipient) }));
}

const bundleAd = (docId: Uint8Array) => {
  const p = label('mindstage.recovery.bundle.v1\0');
  const out = new Uint8Array(p.length + 32);
  out.set(p, 0);
  out.set(docId, p.length);
  return out;
};

/** Throws wrong_secret unless R opens this vault's root key; returns the vault header. */
function checkRecoveryKey(session: SyncEngine['session'], R: Uint8Array): ReturnType<typeof decodeHeader> {
  const header = decodeHeader(session.storage.readHeader()!);
  const root = openWithRecoveryKey(header, R)?.get(0);
  if (!root || !sodium.memcmp(root, session.vault.vaultKeyForWrap())) throw new MindstageError('wrong_secret', 'Wrong recovery key.');
  return header;
}

/** Checks a recovery key before anything is enabled, so a typo changes nothing. */
export function verifyRecoveryKey(engine: SyncEngine, code: string): void {
  const R = decodeRecoveryCode(code);
  try {
    checkRecoveryKey(engine.session, R);
  } finally {
    sodium.memzero(R);
  }
}

export async function setupRecovery(engine: SyncEngine, code: string, socket?: SocketFactory): Promise<{ recipient: string }> {
  const r = engine.replica;
  const session = engine.session;
  const R = decodeRecoveryCode(code);
  try {
    const id = recoveryIdentity(R);
    // A header from before version 2 wraps for the recovery key itself; wrap for its recipient instead, so a later
    // rotation can re-wrap without it.
    if (session.vault.canRotate) {
      checkRecoveryKey(session, R);
      setHeaderRecoveryRecipient(session.storage, session.vault, id.recipient.publicKey);
    }
    const header = checkRecoveryKey(session, R);
    const conn = await dial(r.config.relayUrl, socket);
    try {
      // The locator account's own device list: its one device, signed by its account key. Set up before: fine.
      const locator = { accountId: id.account.publicKey, version: 1, prev: new Uint8Array(64), devices: [id.device.publicKey], recovery: null, issuedAt: header.createdAt, signer: id.account.publicKey, sign: id.account.sign };
      await conn.setDevices(locator).catch((e: unknown) => {
        if (!(e instanceof RelayError && e.relayCode === 'conflict')) throw e;
      });
      const { relayKey } = await conn.authenticate({ accountId: id.account.publicKey, deviceId: id.device.publicKey, sign: id.device.sign });
      if (!sodium.memcmp(relayKey, r.config.relayKey)) throw new MindstageError('integrity', 'The relay presented a different key than the one pinned; recovery was not set up.');
      const json = {
        vaultId: toBase64(header.vaultId),
        createdAt: header.createdAt,
        wrappedByRecovery: toBase64(header.wrappedByRecovery),
        generation: header.generation ?? 0,
        history: header.history ? toBase64(header.history) : null,
        recoveryRecipient: header.recoveryRecipient ? toBase64(header.recoveryRecipient) : null,
        relayKey: toHex(relayKey),
      };
      const body = aeadSeal(id.bundleKey, label(JSON.stringify(json)), bundleAd(id.bundleDocId));
      await conn.upload({ docId: id.bundleDocId, deviceSeq: Date.now(), body });
    } finally {
      conn.close();
    }
    setRecoveryRecipient(r, id.recipient.publicKey);
    await engine.exclusive(async () => {
      const main = await engine.connect();
      try {
        if (!r.list?.recovery || !sodium.memcmp(r.list.recovery, id.recipient.publicKey)) await changeList(r, main, { recovery: id.recipient.publicKey }, r.device);
      } finally {
        main.close();
      }
    });
    return { recipient: toHex(id.recipient.publicKey) };
  } finally {
    sodium.memzero(R);
  }
}

/** Fetches and opens the recovery bundle: the vault material, the relay key to pin, and the recipient keys. */
export async function fetchRecoveryBundle(relayUrl: string, code: string, socket?: SocketFactory): Promise<{ material: VaultMaterial; relayKey: Uint8Array; recipient: SigningKeys }> {
  const R = decodeRecoveryCode(code);
  try {
    const id = recoveryIdentity(R);
    const conn = await dial(relayUrl, socket);
    let items;
    let relayKey: Uint8Array;
    try {
      relayKey = (await conn.authenticate({ accountId: id.account.publicKey, deviceId: id.device.publicKey, sign: id.device.sign })).relayKey;
      items = (await conn.pullAll(0)).items;
    } catch (e) {
      if (e instanceof RelayError && (e.relayCode === 'unknown_account' || e.relayCode === 'unknown_device')) {
        throw new MindstageError('not_found', 'This relay holds no recovery bundle for that recovery key (a wrong key, another relay, or restoring from the relay was never turned on).');
      }
      if (e instanceof RelayError && e.relayCode === 'wiped') {
        throw new MindstageError('not_found', 'This account was wiped on this relay; there is nothing left to restore.');
      }
      throw e;
    } finally {
      conn.close();
    }
    for (const item of items.sort((a, b) => b.deviceSeq - a.deviceSeq)) {
      if (!item.body || !sodium.memcmp(item.docId, id.bundleDocId)) continue;
      const st = itemStatement({ kind: item.kind, accountId: id.account.publicKey, docId: item.docId, deviceId: item.deviceId, deviceSeq: item.deviceSeq, body: item.body, covers: item.covers });
      if (!verify(item.sig, st, id.device.publicKey)) continue;
      const plain = aeadOpen(id.bundleKey, item.body, bundleAd(id.bundleDocId));
      if (!plain) continue;
      const j = JSON.parse(new TextDecoder().decode(plain)) as { vaultId: string; createdAt: number; wrappedByRecovery: string; relayKey: string; generation?: number; history?: string | null; recoveryRecipient?: string | null };
      if (toHex(relayKey) !== j.relayKey) throw new MindstageError('integrity', 'The relay presents a different key than the one recorded in the recovery bundle.');
      const vaultId = fromBase64(j.vaultId);
      const wrappedByRecovery = fromBase64(j.wrappedByRecovery);
      // Bundles from before vault-key rotation hold the root key wrapped under R; later ones the header's
      // wrapping for the recipient and the history behind it. Either way what a new device needs is the root.
      const keys = openWithRecoveryKey(
        {
          vaultId,
          createdAt: j.createdAt,
          kdf: { alg: 'argon2id13', opslimit: 0, memlimit: 0, salt: new Uint8Array(16) },
          wrappedByPassphrase: new Uint8Array(0),
          wrappedByRecovery,
          generation: j.generation ?? 0,
          ...(j.history ? { history: fromBase64(j.history) } : {}),
          ...(j.recoveryRecipient ? { recoveryRecipient: fromBase64(j.recoveryRecipient) } : {}),
        },
        R,
      );
      const vaultKey = keys?.get(0);
      if (!vaultKey) throw new MindstageError('wrong_secret', 'Wrong recovery key.');
      return { material: { vaultId, vaultKey, createdAt: j.createdAt, wrappedByRecovery, recoveryRecipient: id.recipient.publicKey }, relayKey, recipient: id.recipient };
    }
    throw new MindstageError('not_found', 'This relay holds no readable recovery bundle for that recovery key.');
  } finally {
    sodium.memzero(R);
  }
}

/**
 * Wipes the account with nothing but the recovery key (every device lost, say): the recovery authority — named in
 * the device list, so the relay accepts its marker as it would a device's — signs the wipe; the relay key to check
 * the receipt with comes from the recovery bundle. The locator account holding the bundle is wiped afterwards with
 * its own key, so nothing of the account is left on the relay.
 */
export async function wipeWithRecoveryKey(relayUrl: string, code: string, socket?: SocketFactory): Promise<VerifiedReceipt> {
  const bundle = await fetchRecoveryBundle(relayUrl, code, socket);
  const accountId = signingKeysFromSeed(deriveSubkey(bundle.material.vaultKey, 'accountSigning')).publicKey;
  sodium.memzero(bundle.material.vaultKey);
  const sign = (signer: SigningKeys, account: Uint8Array) => {
    const unsigned = { accountId: account, issuedAt: Date.now(), authority: relayAuthority(relayUrl), signer: signer.publicKey };
    return { relayUrl, relayKey: bundle.relayKey, marker: { ...unsigned, sig: signer.sign(wipeStatement(unsigned)) as Uint8Array } };
  };
  const receipt = await sendWipe(sign(bundle.recipient, accountId), socket);
  const R = decodeRecoveryCode(code);
  const id = recoveryIdentity(R);
  sodium.memzero(R);
  await sendWipe(sign(id.device, id.account.publicKey), socket);
  return receipt;
}
