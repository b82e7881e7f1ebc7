/**
 * The recovery key as a human-typable code: 32 random bytes in Crockford base32 (no I, L, O, U; case-insensitive),
 * in groups of four. Typing mistakes are caught by the unwrap itself: a wrong code is simply a wrong key.
 */
import { base32crockford } from '@scure/base';
import { MindstageError } from '../../../shared/result.std.ts';

export function encodeRecoveryCode(key: Uint8Array): string {
  const text = base32crockford.encode(key).replace(/=+$/, '');
  return text.match(/.{1,4}/g)!.join('-');
}

export function decodeRecoveryCode(code: string): Uint8Array {
  const cleaned = code
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  let key: Uint8Array;
  try {
    key = base32crockford.decode(cleaned);
  } catch {
    throw new MindstageError('wrong_secret', 'That is not a recovery key: it has characters a recovery key never contains.');
  }
  if (key.length !== 32) throw new MindstageError('wrong_secret', 'That is not a recovery key: it has the wrong length.');
  return key;
}
