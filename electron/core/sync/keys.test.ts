import { createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { randomBytes, sodium } from '../crypto/sodium.node.ts';
import { signingKeysFromSeed, sodiumVerify, verify } from './keys.node.ts';

/** PKCS#8 DER prefix of an Ed25519 private key (RFC 8410): the 32-byte seed follows. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const nodeSign = (seed: Uint8Array, message: Uint8Array): Uint8Array =>
  new Uint8Array(cryptoSign(null, message, createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })));

// Group order L of Ed25519, little-endian (the S half of a signature must be below it).
const L = Buffer.from('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010', 'hex');
function addL(s: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  let carry = 0;
  for (let i = 0; i < 32; i++) {
    const v = s[i]! + L[i]! + carry;
    out[i] = v & 0xff;
    carry = v >> 8;
  }
  return out;
}

describe('Ed25519 through node:crypto is byte-compatible with libsodium', () => {
  const sizes = [0, 1, 63, 64, 1000, 100_000, 2_000_000];

  it('libsodium signatures verify with node:crypto and node:crypto signatures with libsodium; both are the same bytes', () => {
    for (const n of sizes) {
      for (let k = 0; k < 3; k++) {
        const seed = randomBytes(32);
        const keys = signingKeysFromSeed(seed);
        const message = randomBytes(n);
        const bySodium = sodium.crypto_sign_detached(message, keys.secretKey);
        const byNode = nodeSign(seed, message);
        expect(Buffer.from(byNode).equals(Buffer.from(bySodium))).toBe(true); // deterministic, standard Ed25519
        expect(verify(bySodium, message, keys.publicKey)).toBe(true);
        expect(sodiumVerify(byNode, message, keys.publicKey)).toBe(true);
      }
    }
  });

  it('both refuse the same altered signatures, messages and keys', () => {
    const seed = randomBytes(32);
    const keys = signingKeysFromSeed(seed);
    const other = signingKeysFromSeed(randomBytes(32));
    const message = randomBytes(5000);
    const sig = sodium.crypto_sign_detached(message, keys.secretKey);
    const cases: [string, Uint8Array, Uint8Array, Uint8Array][] = [];
    for (let bit = 0; bit < 512; bit += 37) {
      const s = sig.slice();
      s[bit >> 3]! ^= 1 << (bit & 7);
      cases.push([`signature bit ${bit}`, s, message, keys.publicKey]);
    }
    const m = message.slice();
    m[4321]! ^= 0x10;
    cases.push(['message bit', sig, m, keys.publicKey]);
    cases.push(['other key', sig, message, other.publicKey]);
    cases.push(['short signature', sig.subarray(0, 63), message, keys.publicKey]);
    cases.push(['short key', sig, message, keys.publicKey.subarray(0, 31)]);
    // Malleated S (S + L): a different encoding of the same scalar; both libraries refuse it.
    const mall = sig.slice();
    mall.set(addL(sig.subarray(32)), 32);
    cases.push(['S + L', mall, message, keys.publicKey]);
    // Small-order and non-canonical public keys: the identity point, and the all-zero / all-ones encodings.
    const identity = new Uint8Array(32);
    identity[0] = 1;
    for (const [name, pk] of [['identity key', identity], ['zero key', new Uint8Array(32)], ['0xff key', new Uint8Array(32).fill(0xff)]] as const) {
      cases.push([name, sig, message, pk]);
    }
    for (const [name, s, msg, pk] of cases) {
      expect([name, verify(s, msg, pk)]).toEqual([name, false]);
      expect([name, sodiumVerify(s, msg, pk)]).toEqual([name, false]);
    }
    expect(verify(sig, message, keys.publicKey)).toBe(true);
  });
});
