import { describe, expect, it } from 'vitest';
import { aeadOpen, aeadSeal, randomBytes, sodium } from './sodium.node.ts';

describe('XChaCha20-Poly1305 (OpenSSL ChaCha20-Poly1305 + libsodium HChaCha20)', () => {
  it('is byte-compatible with libsodium in both directions, at every size', () => {
    for (const size of [0, 1, 63, 64, 65, 1000, 70_000]) {
      const key = randomBytes(32);
      const ad = randomBytes(size % 50);
      const msg = randomBytes(size);
      const ours = aeadSeal(key, msg, ad);
      const nonce = ours.subarray(0, 24);
      const reference = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(msg, ad, null, nonce, key);
      expect(Buffer.from(ours.subarray(24)).equals(Buffer.from(reference))).toBe(true);
      const theirs = new Uint8Array(24 + reference.length);
      theirs.set(nonce);
      theirs.set(reference, 24);
      expect(Buffer.from(aeadOpen(key, theirs, ad)!).equals(Buffer.from(msg))).toBe(true);
    }
  });

  it('refuses a wrong key, wrong associated data, or any flipped bit', () => {
    const key = randomBytes(32);
    const sealed = aeadSeal(key, new TextEncoder().encode('hello'), new Uint8Array([1]));
    expect(aeadOpen(randomBytes(32), sealed, new Uint8Array([1]))).toBeNull();
    expect(aeadOpen(key, sealed, new Uint8Array([2]))).toBeNull();
    for (let i = 0; i < sealed.length; i++) {
      const bad = sealed.slice();
      bad[i]! ^= 0x80;
      expect(aeadOpen(key, bad, new Uint8Array([1]))).toBeNull();
    }
    expect(aeadOpen(key, sealed.subarray(0, 20), new Uint8Array([1]))).toBeNull();
  });

  it('uses a fresh nonce each time', () => {
    const key = randomBytes(32);
    const a = aeadSeal(key, new Uint8Array(10), new Uint8Array());
    const b = aeadSeal(key, new Uint8Array(10), new Uint8Array());
    expect(Buffer.from(a.subarray(0, 24)).equals(Buffer.from(b.subarray(0, 24)))).toBe(false);
  });
});
