/**
 * The relay's only cryptography: Ed25519 verification of what devices and account keys sign, and the relay's own
 * Ed25519 key for wipe receipts. The relay holds no key that could open a user's data.
 */
import sodiumModule from 'libsodium-wrappers-sumo';
import { randomFillSync } from 'node:crypto';
import { verify } from '../shared/sync/ed25519.node.ts';
import type { Signer, Verifier } from '../shared/sync/signing.std.ts';

await sodiumModule.ready;
const sodium = sodiumModule;

/** Ed25519 verification through node:crypto (OpenSSL, outside the wasm heap; ~10× libsodium's wasm on big bodies). */
export const verifyEd25519: Verifier = verify;

export const newSeed = (): Uint8Array => randomFillSync(new Uint8Array(sodium.crypto_sign_SEEDBYTES));

export interface RelayIdentity {
  publicKey: Uint8Array;
  sign: Signer;
  /** Short, stable, non-reversible tag for an id in logs: ids are never logged whole. */
  tag: (id: Uint8Array) => string;
}

export function relayIdentity(seed: Uint8Array): RelayIdentity {
  const pair = sodium.crypto_sign_seed_keypair(seed);
  // The log key is derived from the seed so tags stay stable across restarts and instances, yet only the relay
  // operator (who holds the seed) could link a tag back to an id.
  const logKey = sodium.crypto_generichash(32, seed, new TextEncoder().encode('mindstage.relay.log-tags'));
  return {
    publicKey: pair.publicKey,
    sign: (message) => sodium.crypto_sign_detached(message, pair.privateKey),
    tag: (id) => sodium.to_hex(sodium.crypto_generichash(6, id, logKey)),
  };
}

export const randomNonce = (): Uint8Array => randomFillSync(new Uint8Array(32));
