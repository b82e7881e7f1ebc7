/**
 * The one place the core touches libsodium. Everything here works on Uint8Array and fails with
 * MindstageError('integrity') when authenticated data does not verify.
 *
 * Nonces and random keys come from node:crypto: libsodium.js's randombytes_buf is slow for many small calls, and
 * both draw from the OS CSPRNG.
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import sodiumModule from 'libsodium-wrappers-sumo';
import { checkKdfParams, KDF_MIN, type KdfParams } from './kdf-params.std.ts';
import { rawKeyCall } from './raw-key.std.ts';

await sodiumModule.ready;
export const sodium = sodiumModule;

/*
 * libsodium.js copies every argument (keys included) into its WebAssembly heap and frees it after the call without
 * zeroing, so freed heap kept key copies after lock (issue 15). Every block the wrappers allocate is zeroed when
 * they free it: keys, plaintexts and outputs alike. What the C code allocates itself (Argon2's memory) and what it
 * leaves on its own stack are scrubbed by scrubSodium() and after each Argon2 run.
 */
interface SodiumWasm {
  _malloc(size: number): number;
  _free(ptr: number): void;
  HEAPU8: Uint8Array;
  // libsodium's C functions as the WebAssembly module exports them: pointers, and 64-bit integers as two halves.
  _crypto_core_hchacha20(out: number, input: number, key: number, constant: number): number;
  _crypto_kdf_derive_from_key(out: number, outLen: number, idLow: number, idHigh: number, ctx: number, key: number): number;
  _crypto_generichash(out: number, outLen: number, input: number, inLenLow: number, inLenHigh: number, key: number, keyLen: number): number;
  _crypto_sign_seed_keypair(publicKey: number, secretKey: number, seed: number): number;
  _crypto_pwhash(out: number, outLenLow: number, outLenHigh: number, pwd: number, pwdLenLow: number, pwdLenHigh: number, salt: number, opsLow: number, opsHigh: number, memlimit: number, alg: number): number;
}
const wasm = (sodiumModule as unknown as { libsodium: SodiumWasm }).libsodium;
const allocated = new Map<number, number>();
const wasmMalloc = wasm._malloc.bind(wasm);
const wasmFree = wasm._free.bind(wasm);
wasm._malloc = (size) => {
  const ptr = wasmMalloc(size);
  if (ptr) allocated.set(ptr, size);
  return ptr;
};
wasm._free = (ptr) => {
  const size = allocated.get(ptr);
  if (size !== undefined) {
    // HEAPU8 is read each time: a growing heap replaces it.
    wasm.HEAPU8.fill(0, ptr, ptr + size);
    allocated.delete(ptr);
  }
  wasmFree(ptr);
};

/*
 * Keys live outside V8's heap (issue 15). libsodium.js returns every result as `new Uint8Array(n)`, which V8 stores
 * inside its own heap when n ≤ 64: a 32-byte key is then an object the garbage collector moves (promotion to the
 * old generation, compaction), and the place it moved from is not cleared in the old generation (--clear-free-memory
 * clears only the young one). Zeroing a key on lock reached only its latest place, so on a loaded machine, where
 * timers set off more collections while the vault was open, the key-encryption key and subkeys were still found
 * after lock. An ArrayBuffer's memory is allocated outside the heap and never moves: zeroing it in place is final.
 * So every key is made here, in such memory, by calling libsodium's C functions on the WebAssembly heap (whose
 * blocks are zeroed when freed, above) and copying the result straight across; no JavaScript copy is ever made.
 */

/** Memory outside V8's heap for secret bytes: never moved by the garbage collector, so zeroing it is final. */
export function secretBytes(length: number): Uint8Array {
  return new Uint8Array(new ArrayBuffer(length));
}

/** A copy of `bytes` in memory outside V8's heap (see secretBytes). */
export function secretCopy(bytes: Uint8Array): Uint8Array {
  const out = secretBytes(bytes.length);
  out.set(bytes);
  return out;
}

/** A WebAssembly heap block (zeroed when freed); throws when the heap cannot grow. */
function wasmBlock(size: number): number {
  const ptr = wasm._malloc(Math.max(1, size));
  if (!ptr) throw new Error('libsodium is out of memory');
  return ptr;
}

/** Copies `bytes` into a WebAssembly heap block (zeroed when freed). */
function wasmIn(bytes: Uint8Array): number {
  const ptr = wasmBlock(bytes.length);
  wasm.HEAPU8.set(bytes, ptr);
  return ptr;
}

/**
 * Runs a libsodium C function that writes `length` bytes at its output pointer, with `inputs` copied into the
 * WebAssembly heap, and returns the output in memory outside V8's heap.
 */
function wasmCall(length: number, inputs: Uint8Array[], run: (out: number, ...inputs: number[]) => number): Uint8Array {
  const ptrs: number[] = [];
  const out = wasmBlock(length);
  try {
    for (const input of inputs) ptrs.push(wasmIn(input));
    if (run(out, ...ptrs) !== 0) throw new Error('libsodium refused the operation');
    const result = secretBytes(length);
    result.set(wasm.HEAPU8.subarray(out, out + length));
    return result;
  } finally {
    wasm._free(out);
    for (const ptr of ptrs) wasm._free(ptr);
  }
}

const utf8 = new TextEncoder();

/** Zeroes `size` bytes of free WebAssembly heap by taking them, so what the C code freed there is gone. */
function zeroFreeHeap(size: number): void {
  const ptr = wasmMalloc(size);
  if (!ptr) return;
  wasm.HEAPU8.fill(0, ptr, ptr + size);
  wasmFree(ptr);
}

/**
 * Overwrites what libsodium's own stack frames kept of the last keys it saw: each function that takes a key runs
 * once more with a zero key, so the same frames at the same depths are rewritten with values of no use. Called on
 * lock.
 */
export function scrubSodium(): void {
  const zero = new Uint8Array(64);
  sodium.crypto_core_hchacha20(zero.subarray(0, 16), zero.subarray(0, 32), null);
  sodium.crypto_kdf_derive_from_key(32, 1, 'mstage01', zero.subarray(0, 32));
  sodium.crypto_generichash(32, zero, zero.subarray(0, 32));
  const pair = sodium.crypto_sign_seed_keypair(zero.subarray(0, 32));
  sodium.crypto_sign_detached(zero, pair.privateKey);
  sodium.crypto_sign_ed25519_sk_to_curve25519(pair.privateKey);
  const boxPk = sodium.crypto_sign_ed25519_pk_to_curve25519(pair.publicKey);
  sodium.crypto_box_seal_open(sodium.crypto_box_seal(zero, boxPk), boxPk, sodium.crypto_sign_ed25519_sk_to_curve25519(pair.privateKey));
  sodium.crypto_pwhash(32, 'x', zero.subarray(0, 16), sodium.crypto_pwhash_OPSLIMIT_MIN, sodium.crypto_pwhash_MEMLIMIT_MIN, sodium.crypto_pwhash_ALG_ARGON2ID13);
  wipe(pair.privateKey);
}

export const KEY_BYTES = 32;
export const NONCE_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES; // 24
export const TAG_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES; // 16

/** Random bytes (keys among them), in memory outside V8's heap. */
export function randomBytes(length: number): Uint8Array {
  return randomFillSync(secretBytes(length));
}

/*
 * XChaCha20-Poly1305 (IETF), exactly libsodium's crypto_aead_xchacha20poly1305_ietf construction: HChaCha20 (from
 * libsodium) derives a subkey from the key and the first 16 nonce bytes, then ChaCha20-Poly1305 from OpenSSL
 * (node:crypto) runs with nonce 0⁴ ‖ last 8 nonce bytes. OpenSSL's native code is ~7× faster than libsodium's
 * WebAssembly on multi-megabyte snapshots (it decides how fast a long conversation opens); crypto.test.ts checks
 * byte-for-byte compatibility with libsodium's own implementation in both directions.
 */
function subkeyAndNonce(key: Uint8Array, nonce: Uint8Array): { subkey: Uint8Array; iv: Uint8Array } {
  const subkey = wasmCall(32, [nonce.subarray(0, 16), key], (out, input, k) => wasm._crypto_core_hchacha20(out, input, k, 0));
  const iv = new Uint8Array(12);
  iv.set(nonce.subarray(16, 24), 4);
  return { subkey, iv };
}

/** XChaCha20-Poly1305: returns nonce ‖ ciphertext ‖ tag (libsodium's combined layout). */
export function aeadSeal(key: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE_BYTES);
  const { subkey, iv } = subkeyAndNonce(key, nonce);
  const cipher = rawKeyCall(() => createCipheriv('chacha20-poly1305', subkey, iv, { authTagLength: TAG_BYTES }));
  cipher.setAAD(ad, { plaintextLength: plaintext.length });
  const out = new Uint8Array(NONCE_BYTES + plaintext.length + TAG_BYTES);
  out.set(nonce, 0);
  const body = cipher.update(plaintext);
  out.set(body, NONCE_BYTES);
  cipher.final();
  out.set(cipher.getAuthTag(), NONCE_BYTES + body.length);
  wipe(subkey);
  return out;
}

/** Opens nonce ‖ ciphertext ‖ tag; returns null when it does not authenticate (callers decide what that means). */
export function aeadOpen(key: Uint8Array, sealed: Uint8Array, ad: Uint8Array): Uint8Array | null {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return null;
  const { subkey, iv } = subkeyAndNonce(key, sealed.subarray(0, NONCE_BYTES));
  try {
    const decipher = rawKeyCall(() => createDecipheriv('chacha20-poly1305', subkey, iv, { authTagLength: TAG_BYTES }));
    decipher.setAAD(ad, { plaintextLength: sealed.length - NONCE_BYTES - TAG_BYTES });
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const plain = decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES));
    decipher.final(); // throws when the tag does not verify
    return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
  } catch {
    return null;
  } finally {
    wipe(subkey);
  }
}

/** One purpose per subkey (design §2). Ids are stable forever: never renumber. */
export const subkeyIds = {
  localStore: 1,
  idHash: 2,
  accountSigning: 3,
  syncContent: 4,
  ledger: 5,
  manifest: 6,
} as const;
export type SubkeyPurpose = keyof typeof subkeyIds;

const KDF_CONTEXT = utf8.encode('mstage01\0'); // crypto_kdf contexts are exactly 8 bytes (C string)

/** crypto_kdf_derive_from_key (BLAKE2b), into memory outside V8's heap. */
export function deriveSubkey(vaultKey: Uint8Array, purpose: SubkeyPurpose): Uint8Array {
  if (vaultKey.length !== KEY_BYTES) throw new Error('a vault key is 32 bytes');
  return wasmCall(KEY_BYTES, [KDF_CONTEXT, vaultKey], (out, ctx, key) => wasm._crypto_kdf_derive_from_key(out, KEY_BYTES, subkeyIds[purpose], 0, ctx, key));
}

/** Keyed BLAKE2b, for ids that must not reveal what they name and for keys derived from keys. */
export function keyedHash(key: Uint8Array, data: Uint8Array | string, bytes = 16): Uint8Array {
  const input = typeof data === 'string' ? utf8.encode(data) : data;
  return wasmCall(bytes, [input, key], (out, d, k) => wasm._crypto_generichash(out, bytes, d, input.length, 0, k, key.length));
}

/** Ed25519 keys from a 32-byte seed; the secret key (seed ‖ public key) in memory outside V8's heap. */
export function signSeedKeypair(seed: Uint8Array): { publicKey: Uint8Array; privateKey: Uint8Array } {
  if (seed.length !== 32) throw new Error('an Ed25519 seed is 32 bytes');
  let publicKey: Uint8Array | null = null;
  const privateKey = wasmCall(64, [seed], (sk, seedPtr) => {
    const pk = wasmBlock(32);
    try {
      const rc = wasm._crypto_sign_seed_keypair(pk, sk, seedPtr);
      publicKey = wasm.HEAPU8.slice(pk, pk + 32);
      return rc;
    } finally {
      wasm._free(pk);
    }
  });
  return { publicKey: publicKey!, privateKey };
}

export function wipe(...buffers: (Uint8Array | null | undefined)[]): void {
  for (const b of buffers) if (b) sodium.memzero(b);
}

export { checkKdfParams, KDF_MAX, KDF_MIN, type KdfParams } from './kdf-params.std.ts';

export function newKdfParams(): KdfParams {
  return { alg: 'argon2id13', opslimit: KDF_MIN.opslimit, memlimit: KDF_MIN.memlimit, salt: randomBytes(16) };
}

/**
 * Argon2id: passphrase → key-encryption key, in memory outside V8's heap. Slow on purpose (≈0.4 s here). The
 * passphrase is encoded straight into the WebAssembly heap (zeroed when freed).
 */
export function deriveKek(passphrase: string, p: KdfParams): Uint8Array {
  checkKdfParams(p);
  const room = passphrase.length * 3 + 1;
  const pwd = wasmBlock(room);
  try {
    const { written } = utf8.encodeInto(passphrase, wasm.HEAPU8.subarray(pwd, pwd + room));
    return wasmCall(KEY_BYTES, [p.salt], (out, salt) =>
      wasm._crypto_pwhash(out, KEY_BYTES, 0, pwd, written, 0, salt, p.opslimit, 0, p.memlimit, sodium.crypto_pwhash_ALG_ARGON2ID13),
    );
  } finally {
    wasm._free(pwd);
    // libsodium frees Argon2's memory without clearing it, and the last block gives the key-encryption key: the
    // block just freed is the top of the heap, so taking the same amount again reuses it without growing the heap.
    zeroFreeHeap(p.memlimit);
  }
}

export const toBase64 = (b: Uint8Array): string => sodium.to_base64(b, sodium.base64_variants.URLSAFE_NO_PADDING);
export const fromBase64 = (s: string): Uint8Array => sodium.from_base64(s, sodium.base64_variants.URLSAFE_NO_PADDING);
export const toHex = (b: Uint8Array): string => sodium.to_hex(b);
export const fromHex = (s: string): Uint8Array => sodium.from_hex(s);
