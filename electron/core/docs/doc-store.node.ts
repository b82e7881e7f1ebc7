/**
 * Encryption layer over VaultStorage: each document is a head (its latest sequence numbers), an optional snapshot
 * and the updates after it, every one an envelope bound to (vault, document, kind, part, seq).
 *
 * Loading checks the whole shape, not just each blob: the snapshot must be the one the head names and the updates
 * must be exactly snapshotSeq+1 … headSeq. So a deleted, replayed, swapped or truncated row is an integrity error
 * that names the record, while other records keep opening. The head must also match the record manifest
 * (manifest.node.ts), which catches a record rolled back to an older copy of itself.
 */
import { MindstageError } from '../../../shared/result.std.ts';
import { openEnvelope, sealEnvelope, type DocKind, type EnvelopeBinding } from '../crypto/envelope.node.ts';
import type { VaultStorage } from '../store/storage.node.ts';
import { moveManifest } from './manifest.node.ts';
import type { UnlockedVault } from '../vault/vault.node.ts';

export interface DocRef {
  /** 16-byte storage id. */
  storageId: Uint8Array;
  kind: DocKind;
  /** Public id used in error messages. */
  recordId: string;
}

interface Head {
  seq: number;
  snapshotSeq: number;
  /** Written while the record manifest existed (every head written since); a vault with none is legacy. */
  m?: 1;
}

export interface LoadedDoc {
  /** Decrypted Yjs updates in order, snapshot first. */
  updates: Uint8Array[];
  head: Head;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export class EncryptedDocStore {
  readonly #storage: VaultStorage;
  readonly #vault: UnlockedVault;
  readonly #heads = new Map<string, Head>();

  constructor(storage: VaultStorage, vault: UnlockedVault) {
    this.#storage = storage;
    this.#vault = vault;
  }

  get storage(): VaultStorage {
    return this.#storage;
  }

  /** Seals with the current vault-key generation's at-rest key; opens with the one that sealed each row. */
  #key(): UnlockedVault['atRest'] {
    return this.#vault.atRest;
  }

  #binding(ref: DocRef, part: EnvelopeBinding['part'], seq: number): EnvelopeBinding {
    return { vaultId: this.#vault.vaultId, docId: ref.storageId, kind: ref.kind, part, seq };
  }

  #sealHead(ref: DocRef, head: Head): Uint8Array {
    return sealEnvelope(this.#key(), enc.encode(JSON.stringify({ seq: head.seq, snapshotSeq: head.snapshotSeq, m: 1 })), this.#binding(ref, 'head', 0));
  }

  /** Returns null when the document does not exist at all. */
  load(ref: DocRef): LoadedDoc | null {
    const stored = this.#storage.readDoc(ref.storageId);
    const bad = (why: string): never => {
      throw new MindstageError('integrity', `Record ${ref.recordId} failed its integrity check: ${why}.`, { recordId: ref.recordId });
    };
    const listed = this.#storage.manifestSeq(ref.storageId);
    if (!stored.head) {
      if (stored.snapshot || stored.updates.length) bad('its rows exist but its head is missing');
      if (listed !== null) bad('its rows were removed from the vault file');
      return null;
    }
    const headText = dec.decode(openEnvelope(this.#key(), stored.head, this.#binding(ref, 'head', 0), ref.recordId));
    let head: Head;
    try {
      head = JSON.parse(headText) as Head;
    } catch {
      return bad('its head is unreadable');
    }
    if (!Number.isSafeInteger(head.seq) || !Number.isSafeInteger(head.snapshotSeq) || head.snapshotSeq > head.seq) bad('its head is malformed');
    const updates: Uint8Array[] = [];
    if (head.snapshotSeq > 0) {
      if (!stored.snapshot) bad('its snapshot is missing');
      if (stored.snapshot!.seq !== head.snapshotSeq) bad('its snapshot is not the one it should be');
      updates.push(openEnvelope(this.#key(), stored.snapshot!.body, this.#binding(ref, 'snapshot', head.snapshotSeq), ref.recordId));
    } else if (stored.snapshot) {
      bad('it has a snapshot it should not have');
    }
    let expected = head.snapshotSeq + 1;
    for (const u of stored.updates) {
      if (u.seq !== expected) bad(u.seq < expected ? `update ${u.seq} is out of place` : `update ${expected} is missing`);
      updates.push(openEnvelope(this.#key(), u.body, this.#binding(ref, 'update', u.seq), ref.recordId));
      expected++;
    }
    if (expected !== head.seq + 1) bad(`updates ${expected}–${head.seq} are missing`);
    if (listed === null ? head.m === 1 : listed !== head.seq) {
      bad(listed !== null && listed > head.seq ? 'it was replaced by an older copy of itself' : 'it does not match the vault\'s record manifest');
    }
    this.#heads.set(ref.recordId, head);
    return { updates, head };
  }

  #head(ref: DocRef): Head {
    return this.#heads.get(ref.recordId) ?? { seq: 0, snapshotSeq: 0 };
  }

  /** Encrypts and commits one update; returns its sequence number. */
  append(ref: DocRef, update: Uint8Array): number {
    const head = this.#head(ref);
    const next = { seq: head.seq + 1, snapshotSeq: head.snapshotSeq };
    const body = sealEnvelope(this.#key(), update, this.#binding(ref, 'update', next.seq));
    this.#storage.transaction(() => {
      this.#storage.appendUpdate(ref.storageId, next.seq, body, this.#sealHead(ref, next));
      moveManifest(this.#storage, this.#vault, ref.storageId, head.seq, next.seq);
    });
    this.#heads.set(ref.recordId, next);
    return next.seq;
  }

  /** Replaces every update so far with one snapshot of the full state. */
  compact(ref: DocRef, state: Uint8Array): void {
    const head = this.#head(ref);
    const next = { seq: head.seq, snapshotSeq: head.seq };
    if (head.seq === 0) return;
    const body = sealEnvelope(this.#key(), state, this.#binding(ref, 'snapshot', next.snapshotSeq));
    this.#storage.writeSnapshot(ref.storageId, next.snapshotSeq, body, this.#sealHead(ref, next));
    this.#heads.set(ref.recordId, next);
  }

  updatesSinceSnapshot(ref: DocRef): number {
    const h = this.#head(ref);
    return h.seq - h.snapshotSeq;
  }

  /** Whether the document's head was written by a version that keeps the record manifest (false if not loaded). */
  marked(ref: DocRef): boolean {
    return this.#heads.get(ref.recordId)?.m === 1;
  }

  delete(ref: DocRef): void {
    this.#storage.transaction(() => {
      this.#storage.deleteDoc(ref.storageId);
      moveManifest(this.#storage, this.#vault, ref.storageId, this.#storage.manifestSeq(ref.storageId) ?? 0, 0);
    });
    this.#heads.delete(ref.recordId);
  }
}
