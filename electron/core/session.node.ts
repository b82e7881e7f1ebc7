/**
 * An unlocked vault: the open database, the keys, and the live documents. Exactly one exists while the vault is
 * unlocked; locking closes it, wipes the keys and drops every decrypted document from memory.
 */
import type * as Y from 'yjs';
import { MindstageError } from '../../shared/result.std.ts';
import type { RecordKind } from '../../shared/domain.std.ts';
import { EncryptedDocStore, type DocRef } from './docs/doc-store.node.ts';
import { DocRepo, type LiveDoc } from './docs/repo.node.ts';
import { newRecordId, recordRef, systemRef, type SystemDoc } from './docs/ids.node.ts';
import { Conversations } from './docs/conversations.node.ts';
import { addCatalogEntry, getCatalogEntry, markCatalogDeleted, touchCatalogEntry } from './docs/catalog.node.ts';
import { checkManifest } from './docs/manifest.node.ts';
import { PublishingKeys } from './gallery/publisher.node.ts';
import type { VaultStorage } from './store/storage.node.ts';
import type { UnlockedVault } from './vault/vault.node.ts';

export class VaultSession {
  readonly storage: VaultStorage;
  readonly vault: UnlockedVault;
  readonly repo: DocRepo;
  readonly now: () => number;
  /** Conversations' messages, in segment documents (docs/conversations.node.ts). */
  readonly conversations: Conversations;
  /** The gallery publishing key, made when first needed and zeroed on close like the vault's own keys. */
  readonly publishing: PublishingKeys;

  constructor(storage: VaultStorage, vault: UnlockedVault, now: () => number = Date.now) {
    this.storage = storage;
    this.vault = vault;
    this.repo = new DocRepo(new EncryptedDocStore(storage, vault));
    this.now = now;
    this.conversations = new Conversations({
      repo: this.repo,
      idKey: () => vault.subkey('idHash'),
      head: (id) => this.record(id, 'conversation').doc,
      transaction: (fn) => storage.transaction(fn),
    });
    this.publishing = new PublishingKeys(() => this.systemDoc('settings').doc);
  }

  systemDoc(name: SystemDoc): LiveDoc {
    return this.repo.open(systemRef(this.vault.subkey('idHash'), name));
  }

  get catalog(): Y.Doc {
    return this.systemDoc('catalog').doc;
  }

  /** Creates a record: its document (initialised by `init`) and its catalog entry, as two commits. */
  createRecord(kind: RecordKind, title: string, init: (doc: Y.Doc) => void, id: string = newRecordId(), createdAt = this.now()): string {
    const live = this.repo.open(recordRef(id, kind));
    live.doc.transact(() => init(live.doc));
    addCatalogEntry(this.catalog, id, kind, title, createdAt);
    return id;
  }

  /** Opens a record, checking it exists and is of the expected kind. */
  record(id: string, kind: RecordKind): LiveDoc {
    const entry = getCatalogEntry(this.catalog, id);
    if (!entry || entry.kind !== kind) throw new MindstageError('not_found', `No ${kind} with id ${id}.`, { recordId: id });
    const live = this.repo.open(recordRef(id, kind));
    // Every record is written when it is created, so an empty one listed in the catalog lost its rows. (No client
    // in the store is what an empty state vector encodes; asked on every operation, so without encoding one.)
    if (live.doc.store.clients.size === 0) {
      throw new MindstageError('integrity', `Record ${id} is listed but its data is missing from the vault file.`, { recordId: id });
    }
    return live;
  }

  touch(id: string, title?: string): void {
    touchCatalogEntry(this.catalog, id, this.now(), title);
  }

  deleteRecord(id: string, kind: RecordKind): void {
    this.record(id, kind);
    const ref: DocRef = recordRef(id, kind);
    this.storage.transaction(() => {
      if (kind === 'conversation') this.conversations.deleteSegments(id, this.repo.open(ref).doc);
      this.repo.delete(ref);
      markCatalogDeleted(this.catalog, id, this.now());
    });
  }

  close(): void {
    this.conversations.clear();
    this.repo.close();
    this.publishing.wipe();
    this.vault.lock();
  }
}

/**
 * Starts a session and checks that the vault's catalog is there (every vault has one from its first second) and
 * that the record manifest matches its sealed sum. A vault from before the manifest (its catalog head has no
 * manifest mark) gets one built from what is on disk, and its catalog is rewritten so it carries the mark.
 */
export function openSession(storage: VaultStorage, vault: UnlockedVault): VaultSession {
  const session = new VaultSession(storage, vault);
  const catalogRef = systemRef(vault.subkey('idHash'), 'catalog');
  try {
    if (!session.repo.exists(catalogRef)) {
      throw new MindstageError('integrity', 'The vault\'s catalog is missing: the vault file was altered or truncated.');
    }
    if (checkManifest(storage, vault, () => !session.repo.store.marked(catalogRef)) === 'built') session.repo.compact(catalogRef);
  } catch (e) {
    session.close();
    throw e;
  }
  return session;
}
