/**
 * node:crypto's key object for 32 raw Ed25519 public-key bytes, without libsodium: shared by the sync client and
 * relay (ed25519.node.ts, which first checks the point with libsodium) and the relay's verifier thread
 * (sync-server/item-verifier.worker.node.ts, which must not load libsodium's wasm a second time; its caller checked
 * the key).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';

/** SPKI DER prefix of an Ed25519 public key (RFC 8410): the 32 key bytes follow. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Keys kept per cache: a stream of made-up device ids must not grow a process's or thread's memory without end. */
export const KEY_CACHE_LIMIT = 1024;

export const ed25519KeyObject = (publicKey: Uint8Array): KeyObject =>
  createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
