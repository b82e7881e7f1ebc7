/**
 * The vault header's key-derivation parameters and the bounds every reader holds them to. Apart from libsodium
 * (crypto/sodium.node.ts) so the CLI can check a header before it starts deriving ahead (cli/kek-ahead.node.ts)
 * without waiting for libsodium to load.
 */
import { MindstageError } from '../../../shared/result.std.ts';

export interface KdfParams {
  alg: 'argon2id13';
  opslimit: number;
  memlimit: number;
  salt: Uint8Array;
}

/** Minimums are enforced when a vault is read, so a tampered header cannot downgrade them (design §2). */
export const KDF_MIN = { opslimit: 3, memlimit: 64 * 1024 * 1024 } as const;
/** Maximums keep a tampered header from making unlock take hours or exhaust memory. */
export const KDF_MAX = { opslimit: 20, memlimit: 1024 * 1024 * 1024 } as const;

export function checkKdfParams(p: KdfParams): void {
  if (p.alg !== 'argon2id13') throw new MindstageError('integrity', `The vault asks for an unknown key-derivation function (${p.alg}).`);
  if (p.salt.length !== 16) throw new MindstageError('integrity', 'The vault header has a malformed salt.');
  if (p.opslimit < KDF_MIN.opslimit || p.memlimit < KDF_MIN.memlimit) {
    throw new MindstageError('integrity', 'The vault header asks for weaker key derivation than Mindstage allows; it may have been tampered with.');
  }
  if (p.opslimit > KDF_MAX.opslimit || p.memlimit > KDF_MAX.memlimit) {
    throw new MindstageError('integrity', 'The vault header asks for unreasonably expensive key derivation; it may have been tampered with.');
  }
}
