/**
 * The vault header: the only row stored without encryption. It holds nothing secret — the vault id, the Argon2id
 * parameters and salt, and the vault key wrapped twice (by the passphrase's key and by the recovery key). The
 * passphrase wrapping binds the KDF parameters as associated data, so editing them breaks the unwrap, and minimums
 * are also checked before deriving.
 */
import { z } from 'zod';
import { MindstageError } from '../../../shared/result.std.ts';
import { fromBase64, toBase64, type KdfParams } from '../crypto/sodium.node.ts';

export const HEADER_FORMAT = 'mindstage-vault';
export const HEADER_VERSION = 1;

const b64 = z.string().regex(/^[A-Za-z0-9_-]+$/);
const HeaderJson = z.object({
  format: z.literal(HEADER_FORMAT),
  version: z.number().int(),
  vaultId: b64,
  createdAt: z.number(),
  kdf: z.object({ alg: z.string(), opslimit: z.number().int(), memlimit: z.number().int(), salt: b64 }),
  wrappedByPassphrase: b64,
  wrappedByRecovery: b64,
});

export interface VaultHeader {
  vaultId: Uint8Array;
  createdAt: number;
  kdf: KdfParams;
  wrappedByPassphrase: Uint8Array;
  wrappedByRecovery: Uint8Array;
}

export function encodeHeader(h: VaultHeader): string {
  return JSON.stringify({
    format: HEADER_FORMAT,
    version: HEADER_VERSION,
    vaultId: toBase64(h.vaultId),
    createdAt: h.createdAt,
    kdf: { alg: h.kdf.alg, opslimit: h.kdf.opslimit, memlimit: h.kdf.memlimit, salt: toBase64(h.kdf.salt) },
    wrappedByPassphrase: toBase64(h.wrappedByPassphrase),
    wrappedByRecovery: toBase64(h.wrappedByRecovery),
  });
}

export function decodeHeader(text: string): VaultHeader {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new MindstageError('integrity', 'The vault header is damaged (not valid JSON).');
  }
  const parsed = HeaderJson.safeParse(json);
  if (!parsed.success) throw new MindstageError('integrity', 'The vault header is damaged (unexpected structure).');
  const h = parsed.data;
  if (h.version > HEADER_VERSION) {
    throw new MindstageError('unsupported', `This vault header is version ${h.version}; update Mindstage to open it.`);
  }
  const vaultId = fromBase64(h.vaultId);
  if (vaultId.length !== 16) throw new MindstageError('integrity', 'The vault header is damaged (bad vault id).');
  return {
    vaultId,
    createdAt: h.createdAt,
    kdf: { alg: h.kdf.alg as KdfParams['alg'], opslimit: h.kdf.opslimit, memlimit: h.kdf.memlimit, salt: fromBase64(h.kdf.salt) },
    wrappedByPassphrase: fromBase64(h.wrappedByPassphrase),
    wrappedByRecovery: fromBase64(h.wrappedByRecovery),
  };
}

const enc = new TextEncoder();

export function passphraseWrapAd(vaultId: Uint8Array, kdf: KdfParams): Uint8Array {
  return enc.encode(
    `mindstage.wrap.passphrase.v1|${toBase64(vaultId)}|${kdf.alg}|${kdf.opslimit}|${kdf.memlimit}|${toBase64(kdf.salt)}`,
  );
}

export function recoveryWrapAd(vaultId: Uint8Array): Uint8Array {
  return enc.encode(`mindstage.wrap.recovery.v1|${toBase64(vaultId)}`);
}
