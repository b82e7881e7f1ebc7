/**
 * Every payload the store writes is an envelope: version ‖ nonce ‖ XChaCha20-Poly1305 ciphertext of the padded
 * plaintext. Version 2 adds the vault-key generation (u32 BE) after the version byte: removing a device gives
 * every remaining device a new at-rest key (docs/decisions.md #16), and older rows stay readable under the key of
 * the generation that sealed them. The associated data binds it to vault, document, kind, part and sequence number, so a blob cannot be
 * moved to another record, another position, or another vault without failing to open.
 */
import { MindstageError } from '../../../shared/result.std.ts';
import { aeadOpen, aeadSeal, wipe } from './sodium.node.ts';
import { pad, unpad } from './padding.std.ts';

export const ENVELOPE_VERSION = 1;
/** Envelope with a key generation: version ‖ generation (u32 BE) ‖ nonce ‖ ciphertext. */
export const ENVELOPE_VERSION_GEN = 2;

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

/** A key, or the at-rest key of each vault-key generation (throws for one it does not hold). */
export type EnvelopeKeys = Uint8Array | { generation: number; key(generation: number): Uint8Array };

export function sealEnvelope(keys: EnvelopeKeys, plaintext: Uint8Array, binding: EnvelopeBinding): Uint8Array {
  const gen = keys instanceof Uint8Array ? 0 : keys.generation;
  const key = keys instanceof Uint8Array ? keys : keys.key(gen);
  const padded = pad(plaintext);
  const sealed = aeadSeal(key, padded, associatedData(binding));
  // Our own plaintext copy: zeroed now rather than left in freed memory until it is reused.
  wipe(padded);
  // Generation 0 keeps the original layout, so a vault that never lost a device reads as before.
  const head = gen === 0 ? 1 : 5;
  const out = new Uint8Array(head + sealed.length);
  out[0] = gen === 0 ? ENVELOPE_VERSION : ENVELOPE_VERSION_GEN;
  if (gen !== 0) new DataView(out.buffer).setUint32(1, gen);
  out.set(sealed, head);
  return out;
}

/**
 * Opens an envelope or throws MindstageError('integrity') naming the record. `recordId` is the id to name in the
 * error (the public record id, not the storage id).
 */
export function openEnvelope(keys: EnvelopeKeys, envelope: Uint8Array, binding: EnvelopeBinding, recordId: string): Uint8Array {
  const v = envelope[0];
  if ((v !== ENVELOPE_VERSION && v !== ENVELOPE_VERSION_GEN) || (v === ENVELOPE_VERSION_GEN && envelope.length < 5)) {
    throw new MindstageError('integrity', `Record ${recordId} is damaged: unknown envelope version.`, { recordId });
  }
  const gen = v === ENVELOPE_VERSION ? 0 : new DataView(envelope.buffer, envelope.byteOffset, envelope.byteLength).getUint32(1);
  let key: Uint8Array;
  if (keys instanceof Uint8Array) key = keys;
  else {
    try {
      key = keys.key(gen);
    } catch {
      throw new MindstageError('integrity', `Record ${recordId} is sealed under a vault key this device does not hold (generation ${gen}).`, { recordId });
    }
  }
  if (keys instanceof Uint8Array && gen !== 0) throw new MindstageError('integrity', `Record ${recordId} is damaged: unexpected key generation.`, { recordId });
  const padded = aeadOpen(key, envelope.subarray(v === ENVELOPE_VERSION ? 1 : 5), associatedData(binding));
  const plain = padded && unpad(padded);
  if (!plain) {
    throw new MindstageError('integrity', `Record ${recordId} failed its integrity check (${binding.part} ${binding.seq}): it was altered, moved or corrupted.`, { recordId });
  }
  return plain;
}
