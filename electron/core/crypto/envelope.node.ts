/**
 * Every payload the store writes is an envelope: version ‖ nonce ‖ XChaCha20-Poly1305 ciphertext of the padded
 * plaintext. The associated data binds it to vault, document, kind, part and sequence number, so a blob cannot be
 * moved to another record, another position, or another vault without failing to open.
 */
import { MindstageError } from '../../../shared/result.std.ts';
import { aeadOpen, aeadSeal } from './sodium.node.ts';
import { pad, unpad } from './padding.std.ts';

export const ENVELOPE_VERSION = 1;

/** Stable codes; never renumber. */
export const docKindCodes = {
  character: 1,
  scenario: 2,
  persona: 3,
  conversation: 4,
  asset: 5,
  /** Part of a conversation's messages (docs/storage.md). */
  segment: 6,
  /** A lorebook of its own (World Info), not one inside a card or scenario. */
  lorebook: 7,
  catalog: 16,
  settings: 17,
  ledger: 18,
} as const;
export type DocKind = keyof typeof docKindCodes;

export const partCodes = { head: 1, update: 2, snapshot: 3, asset: 4 } as const;
export type Part = keyof typeof partCodes;

export interface EnvelopeBinding {
  vaultId: Uint8Array; // 16 bytes
  docId: Uint8Array; // 16 bytes
  kind: DocKind;
  part: Part;
  seq: number;
}

const AD_PREFIX = new TextEncoder().encode('mindstage.store.v1\0');

export function associatedData(b: EnvelopeBinding): Uint8Array {
  const ad = new Uint8Array(AD_PREFIX.length + 16 + 16 + 1 + 1 + 8);
  let o = 0;
  ad.set(AD_PREFIX, o);
  o += AD_PREFIX.length;
  ad.set(b.vaultId, o);
  o += 16;
  ad.set(b.docId, o);
  o += 16;
  ad[o++] = docKindCodes[b.kind];
  ad[o++] = partCodes[b.part];
  new DataView(ad.buffer).setBigUint64(o, BigInt(b.seq));
  return ad;
}

export function sealEnvelope(key: Uint8Array, plaintext: Uint8Array, binding: EnvelopeBinding): Uint8Array {
  const sealed = aeadSeal(key, pad(plaintext), associatedData(binding));
  const out = new Uint8Array(1 + sealed.length);
  out[0] = ENVELOPE_VERSION;
  out.set(sealed, 1);
  return out;
}

/**
 * Opens an envelope or throws MindstageError('integrity') naming the record. `recordId` is the id to name in the
 * error (the public record id, not the storage id).
 */
export function openEnvelope(key: Uint8Array, envelope: Uint8Array, binding: EnvelopeBinding, recordId: string): Uint8Array {
  if (envelope[0] !== ENVELOPE_VERSION) {
    throw new MindstageError('integrity', `Record ${recordId} is damaged: unknown envelope version.`, { recordId });
  }
  const padded = aeadOpen(key, envelope.subarray(1), associatedData(binding));
  const plain = padded && unpad(padded);
  if (!plain) {
    throw new MindstageError('integrity', `Record ${recordId} failed its integrity check (${binding.part} ${binding.seq}): it was altered, moved or corrupted.`, { recordId });
  }
  return plain;
}
