/**
 * Ed25519 verification through node:crypto (OpenSSL), shared by the sync client and the relay. It is an order of
 * magnitude faster than libsodium's WebAssembly on large messages (item statements include the whole sealed body),
 * and it runs outside the wasm heap. Ed25519 is deterministic and standard, so signatures made by libsodium verify
 * here and the other way round (electron/core/sync/keys.test.ts checks both ways).
 */
import sodiumModule from 'libsodium-wrappers-sumo';
import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { ed25519KeyObject, KEY_CACHE_LIMIT } from './ed25519-key.node.ts';
import type { Verifier } from './signing.std.ts';

await sodiumModule.ready;
const sodium = sodiumModule;

const publicKeys = new Map<string, KeyObject | null>();

/**
 * The node:crypto key object of an Ed25519 public key, or null when libsodium would refuse the key (not a canonical
 * encoding of a point of the main subgroup, or of small order — crypto_core_ed25519_is_valid_point). Cached: a
 * device list is small, and every item of a page is signed by one of a few keys.
 */
function publicKeyObject(publicKey: Uint8Array): KeyObject | null {
  const hex = Buffer.from(publicKey).toString('hex');
  let k = publicKeys.get(hex);
  if (k !== undefined) return k;
  let valid: boolean;
  try {
    valid = sodium.crypto_core_ed25519_is_valid_point(publicKey);
  } catch {
    valid = false;
  }
  k = valid ? ed25519KeyObject(publicKey) : null;
  if (publicKeys.size >= KEY_CACHE_LIMIT) publicKeys.clear();
  publicKeys.set(hex, k);
  return k;
}

/**
 * Ed25519 verification through node:crypto (OpenSSL; an order of magnitude faster than libsodium's WebAssembly on
 * large messages such as item statements, which include the whole sealed body). Ed25519 is deterministic and
 * standard, so signatures made by libsodium verify here and the other way round (keys.test.ts checks both ways).
 * Keys libsodium refuses (small order, non-canonical) are refused here too; OpenSSL refuses S ≥ L as libsodium does.
 */
export const verify: Verifier = (sig, message, publicKey) => {
  const key = keyFor(sig, publicKey);
  if (!key) return false;
  try {
    return cryptoVerify(null, message, key, sig);
  } catch {
    return false;
  }
};

/** The key object to verify `sig` with, or null when the signature or key cannot verify anything. */
export function keyFor(sig: Uint8Array, publicKey: Uint8Array): KeyObject | null {
  if (sig.length !== 64 || publicKey.length !== 32) return null;
  return publicKeyObject(publicKey);
}
