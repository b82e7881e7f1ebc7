import { describe, expect, it } from 'vitest';
import { MindstageError } from '../../../shared/result.std.ts';
import { aeadOpen, aeadSeal, checkKdfParams, deriveKek, deriveSubkey, fromBase64, fromHex, KDF_MAX, KDF_MIN, keyedHash, newKdfParams, randomBytes, scrubSodium, secretCopy, signSeedKeypair, sodium, subkeyIds, toBase64, toHex, wipe, type KdfParams } from './sodium.node.ts';

// libsodium.js's WebAssembly module, reached the way sodium.node.ts reaches it: its linear memory is what a memory
// dump of the process would show of libsodium.

const wasm = (sodium as unknown as { libsodium: { HEAPU8: Uint8Array; _malloc(n: number): number; _free(p: number): void } }).libsodium;
const heap = () => Buffer.from(wasm.HEAPU8.buffer, wasm.HEAPU8.byteOffset, wasm.HEAPU8.length);
const utf8 = (s: string) => new TextEncoder().encode(s);
/** How many bytes are not zero, a 32-bit word at a time (a heap of tens of MiB, mostly zeros; the heap's length is a multiple of 64 KiB). */
function nonZeroBytes(bytes: Uint8Array): number {
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
  let n = 0;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w !== 0) n += Number((w & 0xff) !== 0) + Number((w & 0xff00) !== 0) + Number((w & 0xff0000) !== 0) + Number(w >>> 24 !== 0);
  }
  return n;
}

describe('keys made on the WebAssembly heap and copied out of it (issue 15)', () => {
  // These call libsodium's C functions directly so no key is ever a JavaScript copy; a slip in an argument would
  // derive other keys and lock every existing vault out, so each is compared with libsodium.js's own wrapper.
  it('derive exactly what libsodium.js derives', () => {
    const key = randomBytes(32);
    for (const [purpose, id] of Object.entries(subkeyIds)) {
      expect(toHex(deriveSubkey(key, purpose as keyof typeof subkeyIds))).toBe(toHex(sodium.crypto_kdf_derive_from_key(32, id, 'mstage01', key)));
    }
    for (const bytes of [16, 32, 64]) {
      for (const data of ['', 'x', 'mindstage.sync.local.v1', new Uint8Array(300).fill(7)]) {
        expect(toHex(keyedHash(key, data, bytes))).toBe(toHex(sodium.crypto_generichash(bytes, data, key)));
      }
    }
    const seed = randomBytes(32);
    const ours = signSeedKeypair(seed);
    const theirs = sodium.crypto_sign_seed_keypair(seed);
    expect([toHex(ours.publicKey), toHex(ours.privateKey)]).toEqual([toHex(theirs.publicKey), toHex(theirs.privateKey)]);
    const kdf = newKdfParams();
    // '✓✓✓' is 3 bytes per UTF-16 unit, the most UTF-8 needs: the passphrase must not be cut to fit.
    for (const passphrase of ['correct horse', 'pässwörd ✓ 🔑', '', '✓✓✓']) {
      expect(toHex(deriveKek(passphrase, kdf))).toBe(toHex(sodium.crypto_pwhash(32, passphrase, kdf.salt, kdf.opslimit, kdf.memlimit, sodium.crypto_pwhash_ALG_ARGON2ID13)));
    }
  }, 60_000);

  it('secretCopy is an equal copy with its own memory: zeroing one leaves the other', () => {
    const bytes = randomBytes(40).map((b) => b | 1);
    const copy = secretCopy(bytes.subarray(4, 36));
    expect(toHex(copy)).toBe(toHex(bytes.subarray(4, 36)));
    expect(copy.buffer).not.toBe(bytes.buffer);
    expect([copy.byteOffset, copy.buffer.byteLength]).toEqual([0, 32]);
    wipe(bytes);
    expect(copy.every((b) => b !== 0)).toBe(true);
  });

  it('say which way a call failed: no memory, or libsodium refusing its arguments', () => {
    const key = randomBytes(32);
    // An output larger than the 32-bit WebAssembly heap can hold: the allocation fails before libsodium runs.
    expect(() => keyedHash(key, 'x', 0xffff_fff0)).toThrow(/out of memory/);
    // BLAKE2b gives at most 64 bytes: libsodium's C function returns -1.
    expect(() => keyedHash(key, 'x', 65)).toThrow(/libsodium refused the operation/);
    // free(NULL) stays a no-op after a failed allocation (it must not zero the heap from address 0).
    wasm._free(0);
    expect(toHex(keyedHash(key, 'x'))).toBe(toHex(sodium.crypto_generichash(16, 'x', key)));
  });

  it('leave no copy of a key, input or output in the WebAssembly heap once scrubbed (issue 15)', () => {
    const key = randomBytes(32);
    const seed = randomBytes(32);
    const passphrase = 'zebra quokka ✓✓✓ passphrase';
    const kdf = newKdfParams();
    // malloc writes its free-list pointers over the first bytes of a freed block: look for the last 16 bytes.
    const found = (...secrets: Uint8Array[]) => secrets.map((b) => heap().indexOf(Buffer.from(b.subarray(b.length - 16))) >= 0);
    const input = randomBytes(100);
    const kek = deriveKek(passphrase, kdf);
    const pair = signSeedKeypair(seed);
    const sealed = aeadSeal(key, input, new Uint8Array());
    const subkey = deriveSubkey(key, 'ledger');
    const hash = keyedHash(key, input, 32);
    // The blocks the wrappers allocated (key, input, output, passphrase, salt) were zeroed when freed...
    expect(found(key, input, seed, pair.privateKey, pair.publicKey, utf8(passphrase))).toEqual([false, false, false, false, false, false]);
    // ...and what libsodium's own stack frames kept of the outputs goes with scrubSodium (run on lock).
    scrubSodium();
    expect(found(hash, subkey, kek, sealed.subarray(24, 124))).toEqual([false, false, false, false]);
    // Argon2's 64 MiB, freed by libsodium without clearing, was zeroed: the heap is almost all zeros.
    expect(heap().length % 4).toBe(0);
    expect(nonZeroBytes(heap())).toBeLessThan(4 * 1024 * 1024);
  }, 60_000);

  it('give every block back: the heap stops growing and a freed block is reused', () => {
    const kdf = newKdfParams();
    deriveKek('p', kdf);
    const size = wasm.HEAPU8.length;
    deriveKek('p', kdf);
    for (let i = 0; i < 100; i++) keyedHash(randomBytes(32), randomBytes(4096), 64);
    expect(wasm.HEAPU8.length).toBe(size);
    const a = wasm._malloc(4096);
    wasm._free(a);
    const b = wasm._malloc(4096);
    wasm._free(b);
    expect(b).toBe(a);
  }, 60_000);

  it('refuse a key of the wrong length instead of reading past it', () => {
    expect(() => deriveSubkey(new Uint8Array(16), 'localStore')).toThrow(/32 bytes/);
    expect(() => signSeedKeypair(new Uint8Array(31))).toThrow(/32 bytes/);
  });
});

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
    // Nonce and tag alone: an empty plaintext, which opens; one byte less is refused, not thrown.
    const empty = aeadSeal(key, new Uint8Array(0), new Uint8Array());
    expect(empty).toHaveLength(40);
    expect(aeadOpen(key, empty, new Uint8Array())).toEqual(new Uint8Array(0));
    expect(aeadOpen(key, empty.subarray(0, 39), new Uint8Array())).toBeNull();
  });

  it('uses a fresh nonce each time', () => {
    const key = randomBytes(32);
    const a = aeadSeal(key, new Uint8Array(10), new Uint8Array());
    const b = aeadSeal(key, new Uint8Array(10), new Uint8Array());
    expect(Buffer.from(a.subarray(0, 24)).equals(Buffer.from(b.subarray(0, 24)))).toBe(false);
  });
});

describe('keys and encodings', () => {
  it('derives each purpose\'s subkey with its fixed id under context "mstage01" (a protocol vector: renumbering loses every vault)', () => {
    const vaultKey = randomBytes(32);
    const ids = { localStore: 1, idHash: 2, accountSigning: 3, syncContent: 4, ledger: 5 } as const;
    for (const [purpose, id] of Object.entries(ids)) {
      expect(toHex(deriveSubkey(vaultKey, purpose as keyof typeof ids))).toBe(toHex(sodium.crypto_kdf_derive_from_key(32, id, 'mstage01', vaultKey)));
    }
  });

  it('keyed hashes are keyed BLAKE2b, 16 bytes unless asked for more', () => {
    const key = randomBytes(32);
    expect(toHex(keyedHash(key, 'name'))).toBe(toHex(sodium.crypto_generichash(16, 'name', key)));
    expect(keyedHash(key, new Uint8Array([1]), 32)).toHaveLength(32);
  });

  it('wipe zeroes every buffer it is given and passes over missing ones', () => {
    const a = randomBytes(32).map((b) => b | 1);
    const b = randomBytes(8).map((x) => x | 1);
    wipe(a, null, undefined, b);
    expect([...a, ...b].every((x) => x === 0)).toBe(true);
  });

  it('base64 is URL-safe without padding; hex round-trips', () => {
    expect(toBase64(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
    expect(fromBase64('-_8')).toEqual(new Uint8Array([0xfb, 0xff]));
    expect(toHex(new Uint8Array([0, 0xab]))).toBe('00ab');
    expect(fromHex('00ab')).toEqual(new Uint8Array([0, 0xab]));
  });

  it('new KDF settings are Argon2id at the minimums with a fresh 16-byte salt; settings outside the bounds are refused before deriving', () => {
    const p = newKdfParams();
    expect(p).toMatchObject({ alg: 'argon2id13', opslimit: KDF_MIN.opslimit, memlimit: KDF_MIN.memlimit });
    expect(p.salt).toHaveLength(16);
    expect(toHex(newKdfParams().salt)).not.toBe(toHex(p.salt));
    const refused = (over: Partial<KdfParams>) => {
      try {
        checkKdfParams({ ...p, ...over });
      } catch (e) {
        if (e instanceof MindstageError) return `${e.code}: ${e.message}`;
        throw e;
      }
      return 'accepted';
    };
    expect(refused({ alg: 'scrypt' as 'argon2id13' })).toMatch(/^integrity: .*unknown key-derivation function \(scrypt\)/);
    expect(refused({ salt: new Uint8Array(15) })).toMatch(/^integrity: .*malformed salt/);
    expect(refused({ opslimit: KDF_MIN.opslimit - 1 })).toMatch(/^integrity: .*weaker/);
    expect(refused({ memlimit: KDF_MIN.memlimit - 1024 })).toMatch(/^integrity: .*weaker/);
    expect(refused({ opslimit: KDF_MAX.opslimit + 1 })).toMatch(/^integrity: .*unreasonably expensive/);
    expect(refused({ memlimit: KDF_MAX.memlimit + 1024 })).toMatch(/^integrity: .*unreasonably expensive/);
    expect(refused({ opslimit: KDF_MAX.opslimit, memlimit: KDF_MAX.memlimit })).toBe('accepted');
    expect(refused({})).toBe('accepted');
    // Deriving checks the settings first (a weakened header costs nothing), then runs Argon2id with them.
    expect(() => deriveKek('p', { ...p, opslimit: 1 })).toThrow(/weaker/);
    expect(toHex(deriveKek('p', p))).toBe(toHex(sodium.crypto_pwhash(32, 'p', p.salt, p.opslimit, p.memlimit, sodium.crypto_pwhash_ALG_ARGON2ID13)));
    expect([KDF_MIN, KDF_MAX]).toEqual([{ opslimit: 3, memlimit: 64 * 1024 * 1024 }, { opslimit: 20, memlimit: 1024 * 1024 * 1024 }]);
  });
});

// Last in the file: it takes libsodium's heap to its 2 GiB maximum, which it never gives back to the process.
describe('when libsodium cannot get memory', () => {
  it('deriving a key-encryption key fails with a clear error, and libsodium keeps working', () => {
    const kdf = newKdfParams();
    const key = randomBytes(32);
    const reference = toHex(keyedHash(key, 'x'));
    // Take the heap up to its maximum in 32 MiB blocks, so Argon2id cannot get its 64 MiB.
    const taken: number[] = [];
    for (let p = wasm._malloc(32 << 20); p; p = wasm._malloc(32 << 20)) taken.push(p);
    try {
      expect(() => deriveKek('p', kdf)).toThrow(/libsodium refused the operation/);
      expect(toHex(keyedHash(key, 'x'))).toBe(reference);
    } finally {
      for (const p of taken) wasm._free(p);
    }
    expect(toHex(deriveKek('p', kdf))).toBe(toHex(sodium.crypto_pwhash(32, 'p', kdf.salt, kdf.opslimit, kdf.memlimit, sodium.crypto_pwhash_ALG_ARGON2ID13)));
  }, 60_000);
});
