/**
 * Pairing codes: 16 random bytes (128 bits) in Crockford base32, grouped by four. Two keys come from the code with
 * keyed BLAKE2b (the code is the key; distinct labels): the relay mailbox id and the XChaCha20-Poly1305 key for the
 * payload. With 128 bits of entropy, guessing the code or testing guesses against the mailbox id or the ciphertext
 * offline is out of reach, which is why no PAKE is needed: a PAKE protects low-entropy codes (docs/sync-client.md).
 */
import { base32crockford } from '@scure/base';
import { MindstageError } from '../../../shared/result.std.ts';
import { aeadOpen, aeadSeal, keyedHash, randomBytes } from '../crypto/sodium.node.ts';

export const PAIR_CODE_BYTES = 16;

export function newPairCode(): { code: string; secret: Uint8Array } {
  const secret = randomBytes(PAIR_CODE_BYTES);
  // Crockford base32 has no padding: 26 characters for 16 bytes.
  return { code: base32crockford.encode(secret).match(/.{1,4}/g)!.join('-'), secret };
}

export function parsePairCode(code: string): Uint8Array {
  let secret: Uint8Array;
  try {
    // The decoder itself reads any case, O as 0, and I or L as 1 (Crockford's rules); people add spaces and dashes.
    secret = base32crockford.decode(code.replace(/[\s-]/g, ''));
  } catch {
    throw new MindstageError('usage', 'That is not a pairing code: it has characters a pairing code never contains.');
  }
  if (secret.length !== PAIR_CODE_BYTES) throw new MindstageError('usage', 'That is not a pairing code: it has the wrong length.');
  return secret;
}

const label = (s: string) => new TextEncoder().encode(s);

export function pairKeys(secret: Uint8Array): { mailbox: Uint8Array; key: Uint8Array } {
  return {
    mailbox: keyedHash(secret, label('mindstage.pair.mailbox.v1'), 32),
    key: keyedHash(secret, label('mindstage.pair.key.v1'), 32),
  };
}

const ad = (mailbox: Uint8Array) => {
  const prefix = label('mindstage.pair.payload.v1\0');
  const out = new Uint8Array(prefix.length + 32);
  out.set(prefix, 0);
  out.set(mailbox, prefix.length);
  return out;
};

export const sealPairPayload = (secret: Uint8Array, plain: Uint8Array): Uint8Array => {
  const { mailbox, key } = pairKeys(secret);
  return aeadSeal(key, plain, ad(mailbox));
};

export function openPairPayload(secret: Uint8Array, sealed: Uint8Array): Uint8Array {
  const { mailbox, key } = pairKeys(secret);
  const plain = aeadOpen(key, sealed, ad(mailbox));
  if (!plain) throw new MindstageError('integrity', 'The pairing payload did not decrypt with this code: it was altered, or the code is wrong.');
  return plain;
}
