/**
 * The record manifest: what stops a whole-record rollback (a record's rows replaced by an older, self-consistent
 * copy of themselves), which every per-document check passes.
 *
 * Each document's latest sequence number is kept in its own manifest row, written in the same transaction as the
 * document. Loading a document compares its head with its row (so a rolled-back record is an integrity error naming
 * it, and the others open). The rows themselves are bound by one sealed sum, the XOR of HMAC(manifest key,
 * doc ‖ seq) over every row (an incremental MAC: one write changes two terms, not the whole list), checked at
 * unlock: rolling a manifest row back with its record breaks the sum. The sum is sealed, not just stored, because
 * XOR sums seen in the clear could be combined from older copies of the file into a valid one.
 *
 * What it cannot catch: the whole file (or every row that changed since some moment) replaced by an older copy.
 * That needs a counter outside the file; sync catches it across devices (docs/storage.md).
 */
import { createHmac } from 'node:crypto';
import { MindstageError } from '../../../shared/result.std.ts';
import { rawKeyCall } from '../crypto/raw-key.std.ts';
import { aeadOpen, aeadSeal, wipe } from '../crypto/sodium.node.ts';
import type { VaultStorage } from '../store/storage.node.ts';
import type { UnlockedVault } from '../vault/vault.node.ts';

const SUM_BYTES = 32;
const AD_PREFIX = 'mindstage.manifest.v1\0';

export const MANIFEST_ALTERED =
  'The vault file was altered: its record manifest does not match, so a record was replaced by an older copy of itself or removed. Restore the vault file from a backup or another device; nothing was changed.';

function term(key: Uint8Array, doc: Uint8Array, seq: number): Buffer {
  const seqBytes = Buffer.alloc(8);
  seqBytes.writeBigUInt64BE(BigInt(seq));
  return rawKeyCall(() => createHmac('sha256', key)).update(doc).update(seqBytes).digest();
}

function xorInto(sum: Uint8Array, t: Uint8Array): void {
  for (let i = 0; i < SUM_BYTES; i++) sum[i]! ^= t[i]!;
}

const ad = (vault: UnlockedVault) => Buffer.concat([Buffer.from(AD_PREFIX), vault.vaultId]);

/** The stored sum, opened; all zeros when there is none (an empty or legacy vault). */
function readSum(storage: VaultStorage, vault: UnlockedVault): Uint8Array {
  const sealed = storage.readManifestSum();
  if (!sealed) return new Uint8Array(SUM_BYTES);
  // Sealed under the at-rest key of the generation current when it was last written: after a vault-key rotation
  // (a removed device) that is an older one until the next write reseals it under the current key.
  for (let generation = vault.generation; generation >= 0; generation--) {
    let key: Uint8Array;
    try {
      key = vault.localKey(generation);
    } catch {
      continue; // a device set up by pairing or recovery holds no root-generation key
    }
    const sum = aeadOpen(key, sealed, ad(vault));
    if (sum && sum.length === SUM_BYTES) return sum;
  }
  throw new MindstageError('integrity', MANIFEST_ALTERED);
}

function writeSum(storage: VaultStorage, vault: UnlockedVault, sum: Uint8Array): void {
  storage.writeManifestSum(aeadSeal(vault.subkey('localStore'), sum, ad(vault)));
}

/** Records that `doc` moved from `from` to `to` (0 = absent). Call inside the transaction that writes the doc. */
export function moveManifest(storage: VaultStorage, vault: UnlockedVault, doc: Uint8Array, from: number, to: number): void {
  if (from === to) return;
  const key = vault.subkey('manifest');
  const sum = readSum(storage, vault);
  if (from > 0) xorInto(sum, term(key, doc, from));
  if (to > 0) xorInto(sum, term(key, doc, to));
  storage.setManifestSeq(doc, to > 0 ? to : null);
  writeSum(storage, vault, sum);
  wipe(sum);
}

/** The sum the manifest rows should have. */
function sumOf(key: Uint8Array, entries: { doc: Uint8Array; seq: number }[]): Uint8Array {
  const sum = new Uint8Array(SUM_BYTES);
  for (const e of entries) xorInto(sum, term(key, e.doc, e.seq));
  return sum;
}

/**
 * Checks the manifest rows against their sealed sum (at unlock). `legacy` says the vault was written before the
 * manifest existed (no head carries the manifest mark); its manifest is then built from what is on disk, once.
 */
export function checkManifest(storage: VaultStorage, vault: UnlockedVault, legacy: () => boolean): 'ok' | 'built' {
  const entries = storage.manifestEntries();
  const key = vault.subkey('manifest');
  if (entries.length === 0 && storage.readManifestSum() === null && storage.docIds().length > 0) {
    if (!legacy()) throw new MindstageError('integrity', MANIFEST_ALTERED);
    storage.transaction(() => {
      const built: { doc: Uint8Array; seq: number }[] = [];
      for (const doc of storage.docIds()) {
        const d = storage.readDoc(doc);
        const seq = Math.max(d.snapshot?.seq ?? 0, d.updates.at(-1)?.seq ?? 0);
        if (seq > 0) built.push({ doc, seq });
      }
      for (const e of built) storage.setManifestSeq(e.doc, e.seq);
      writeSum(storage, vault, sumOf(key, built));
    });
    return 'built';
  }
  const expected = sumOf(key, entries);
  const stored = readSum(storage, vault);
  const same = Buffer.compare(Buffer.from(expected), Buffer.from(stored)) === 0;
  wipe(expected, stored);
  if (!same) throw new MindstageError('integrity', MANIFEST_ALTERED);
  return 'ok';
}
