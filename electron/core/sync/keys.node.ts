/**
 * Every key the sync client uses, and where it comes from (docs/sync-client.md, "Keys"):
 *
 * - account key: Ed25519 from the vault's accountSigning subkey — every device holding the vault key has it, a
 *   removed one included, so it signs only version 1 of the device list and has no authority after that.
 *   Account id = its public key. Devices on the list sign list changes and wipes with their own keys.
 * - device key: Ed25519 from 32 random bytes made on this device, stored sealed in sync_meta; never leaves it.
 *   Its X25519 form (libsodium's Ed25519→Curve25519 conversion) receives new content-key epochs.
 * - document ids on the relay: keyed BLAKE2b-256 of (kind, storage id) under a key derived from syncContent.
 * - content keys: epoch 0 is derived from syncContent; later epochs are random (keyring.node.ts).
 * - local key: seals the client's own rows (sync_meta, sync_docs, sync_raw) at rest, derived from the current
 *   vault-key generation's localStore key; rows sealed under an older generation still open (decision 16).
 */
import { sodium, keyedHash, randomBytes, signSeedKeypair } from '../crypto/sodium.node.ts';
import { docKindCodes, type DocKind } from '../crypto/envelope.node.ts';
import type { DocRef } from '../docs/doc-store.node.ts';
import type { Signer, Verifier } from '../../../shared/sync/signing.std.ts';
import type { UnlockedVault } from '../vault/vault.node.ts';

export interface SigningKeys {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
  sign: Signer;
}

export function signingKeysFromSeed(seed: Uint8Array): SigningKeys {
  const { publicKey, privateKey } = signSeedKeypair(seed);
  return { publicKey, secretKey: privateKey, sign: (m) => sodium.crypto_sign_detached(m, privateKey) };
}

export { verify } from '../../../shared/sync/ed25519.node.ts';

/** libsodium's own verification: kept for the cross-check test. */
export const sodiumVerify: Verifier = (sig, message, publicKey) => {
  try {
    return sig.length === 64 && publicKey.length === 32 && sodium.crypto_sign_verify_detached(sig, message, publicKey);
  } catch {
    return false;
  }
};

export const newDeviceSeed = (): Uint8Array => randomBytes(32);

export function accountKeys(vault: UnlockedVault): SigningKeys {
  return signingKeysFromSeed(vault.subkey('accountSigning'));
}

/** Ed25519 public key → X25519 public key, for sealing epoch keys to a device. Null for keys that do not convert. */
export function boxPublicKey(ed25519Public: Uint8Array): Uint8Array | null {
  try {
    return sodium.crypto_sign_ed25519_pk_to_curve25519(ed25519Public);
  } catch {
    return null;
  }
}

export function boxKeyPair(keys: SigningKeys): { publicKey: Uint8Array; privateKey: Uint8Array } {
  return {
    publicKey: sodium.crypto_sign_ed25519_pk_to_curve25519(keys.publicKey),
    privateKey: sodium.crypto_sign_ed25519_sk_to_curve25519(keys.secretKey),
  };
}

const label = (s: string) => new TextEncoder().encode(s);

export class SyncKeys {
  readonly account: SigningKeys;
  readonly docIdKey: Uint8Array;
  readonly epochZero: Uint8Array;
  readonly vaultId: Uint8Array;
  readonly #vault: UnlockedVault;
  readonly #local = new Map<number, Uint8Array>();

  constructor(vault: UnlockedVault) {
    this.vaultId = vault.vaultId;
    this.#vault = vault;
    this.account = accountKeys(vault);
    const content = vault.subkey('syncContent');
    this.docIdKey = keyedHash(content, label('mindstage.sync.docid.v1'), 32);
    this.epochZero = keyedHash(content, label('mindstage.sync.epoch0.v1'), 32);
  }

  #localOf(generation: number): Uint8Array {
    let k = this.#local.get(generation);
    if (!k) this.#local.set(generation, (k = keyedHash(this.#vault.localKey(generation), label('mindstage.sync.local.v1'), 32)));
    return k;
  }

  /** The local key of the vault's current generation: what new rows are sealed with. */
  get local(): Uint8Array {
    return this.#localOf(this.#vault.generation);
  }

  /** Every generation's local key, newest first: rows sealed before a rotation open under their own. */
  localKeys(): Uint8Array[] {
    return [...this.#vault.generations().keys()].sort((a, b) => b - a).map((g) => this.#localOf(g));
  }

  get accountId(): Uint8Array {
    return this.account.publicKey;
  }

  /** The relay's id for a local document: reveals nothing about which record, or even which kind, it is. */
  relayDocId(ref: Pick<DocRef, 'kind' | 'storageId'>): Uint8Array {
    const input = new Uint8Array(1 + ref.storageId.length);
    input[0] = docKindCodes[ref.kind];
    input.set(ref.storageId, 1);
    return keyedHash(this.docIdKey, input, 32);
  }

  /** The document that carries content-key epochs (keyring.node.ts). */
  get keyringDocId(): Uint8Array {
    return keyedHash(this.docIdKey, label('mindstage.sync.keyring.v1'), 32);
  }

  /** The document that carries every device's head statements (freshness.node.ts). */
  get headsDocId(): Uint8Array {
    return keyedHash(this.docIdKey, label('mindstage.sync.heads.v1'), 32);
  }

  /** Zeroes what this object derived (the vault's own subkeys are zeroed when it locks). */
  wipe(): void {
    sodium.memzero(this.docIdKey);
    sodium.memzero(this.epochZero);
    for (const k of this.#local.values()) sodium.memzero(k);
    this.#local.clear();
    sodium.memzero(this.account.secretKey);
  }
}

const kindByCode = new Map<number, DocKind>(Object.entries(docKindCodes).map(([k, v]) => [v, k as DocKind]));
export const docKindFromCode = (code: number): DocKind | undefined => kindByCode.get(code);
