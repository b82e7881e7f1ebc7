/**
 * The vault header: the only row stored without encryption. It holds nothing secret — the vault id, the Argon2id
 * parameters and salt, and the vault key wrapped twice (by the passphrase's key and by the recovery key). The
 * passphrase wrapping binds the KDF parameters as associated data, so editing them breaks the unwrap, and minimums
 * are also checked before deriving.
 *
 * Version 2 (docs/decisions.md #16) adds what a rotated vault key needs: `generation` (the current key's number;
 * 0 is the vault's first key, its root), `history` (every older generation's key, sealed under the current one, so
 * older rows still open), and `recoveryRecipient` (a public key derived from the recovery key). With a recipient,
 * `wrappedByRecovery` is a sealed box to it rather than a wrapping under the recovery key itself, so a device that
 * does not hold the recovery key — none does — can still re-wrap a new vault key for it.
 */
import { z } from 'zod';
import { MindstageError } from '../../../shared/result.std.ts';
import { fromBase64, toBase64, type KdfParams } from '../crypto/sodium.node.ts';

export const HEADER_FORMAT = 'mindstage-vault';
export const HEADER_VERSION = 2;

const b64 = z.string().regex(/^[A-Za-z0-9_-]+$/);
const HeaderJson = z.object({
  format: z.literal(HEADER_FORMAT),
  version: z.number().int(),
  vaultId: b64,
  createdAt: z.number(),
  kdf: z.object({ alg: z.string(), opslimit: z.number().int(), memlimit: z.number().int(), salt: b64 }),
  wrappedByPassphrase: b64,
  wrappedByRecovery: b64,
  generation: z.number().int().min(0).max(0xffffffff).optional(),
  history: b64.optional(),
  recoveryRecipient: b64.optional(),
});

export interface VaultHeader {
  vaultId: Uint8Array;
  createdAt: number;
  kdf: KdfParams;
  wrappedByPassphrase: Uint8Array;
  wrappedByRecovery: Uint8Array;
  /** Current vault-key generation (0 when never rotated). */
  generation?: number;
  /** Older generations' keys, sealed under the current key (absent at generation 0). */
  history?: Uint8Array;
  /** Ed25519 public key derived from the recovery key; present when wrappedByRecovery is a sealed box to it. */
  recoveryRecipient?: Uint8Array;
}

export function encodeHeader(h: VaultHeader): string {
  const v2 = (h.generation ?? 0) > 0 || h.recoveryRecipient !== undefined;
  return JSON.stringify({
    format: HEADER_FORMAT,
    // A vault that needs nothing of version 2 stays readable by the previous release.
    version: v2 ? HEADER_VERSION : 1,
    vaultId: toBase64(h.vaultId),
    createdAt: h.createdAt,
    kdf: { alg: h.kdf.alg, opslimit: h.kdf.opslimit, memlimit: h.kdf.memlimit, salt: toBase64(h.kdf.salt) },
    wrappedByPassphrase: toBase64(h.wrappedByPassphrase),
    wrappedByRecovery: toBase64(h.wrappedByRecovery),
    ...(v2 ? { generation: h.generation ?? 0 } : {}),
    ...(h.history ? { history: toBase64(h.history) } : {}),
    ...(h.recoveryRecipient ? { recoveryRecipient: toBase64(h.recoveryRecipient) } : {}),
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
    generation: h.generation ?? 0,
    ...(h.history ? { history: fromBase64(h.history) } : {}),
    ...(h.recoveryRecipient ? { recoveryRecipient: fromBase64(h.recoveryRecipient) } : {}),
  };
}

const enc = new TextEncoder();

/** The generation is bound from 1 on, so a wrapping cannot be swapped for an older generation's. */
export function passphraseWrapAd(vaultId: Uint8Array, kdf: KdfParams, generation = 0): Uint8Array {
  return enc.encode(
    `mindstage.wrap.passphrase.v1|${toBase64(vaultId)}|${kdf.alg}|${kdf.opslimit}|${kdf.memlimit}|${toBase64(kdf.salt)}${generation ? `|${generation}` : ''}`,
  );
}

export function historyAd(vaultId: Uint8Array, generation: number): Uint8Array {
  return enc.encode(`mindstage.wrap.history.v1|${toBase64(vaultId)}|${generation}`);
}

export function recoveryWrapAd(vaultId: Uint8Array): Uint8Array {
  return enc.encode(`mindstage.wrap.recovery.v1|${toBase64(vaultId)}`);
}
