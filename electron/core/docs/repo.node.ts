/**
 * Live Yjs documents of the unlocked vault. A document is loaded (decrypted) once and kept in memory; every local
 * change is encrypted and committed the moment its Yjs transaction ends, and every few hundred updates the document
 * is compacted into one encrypted snapshot.
 */
import * as Y from 'yjs';
import type { DocRef, EncryptedDocStore } from './doc-store.node.ts';

/** Transaction origin for applying stored updates: they are already on disk. */
export const FROM_STORE = Symbol('from-store');
/** How many updates may pile up before a document is compacted. */
export const COMPACT_EVERY = 300;

export interface LiveDoc {
  ref: DocRef;
  doc: Y.Doc;
}

export class DocRepo {
  readonly store: EncryptedDocStore;
  readonly #live = new Map<string, LiveDoc>();
  readonly #listeners = new Set<(ref: DocRef, update: Uint8Array, origin: unknown) => void>();
  readonly #openers = new Set<(live: LiveDoc) => void>();

  constructor(store: EncryptedDocStore) {
    this.store = store;
  }

  /** Called after every committed local update (sync uses it to fill its outbox). */
  onCommitted(fn: (ref: DocRef, update: Uint8Array, origin: unknown) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Called whenever a document is decoded into memory, after its stored state is applied (for observers). */
  onOpened(fn: (live: LiveDoc) => void): () => void {
    this.#openers.add(fn);
    return () => this.#openers.delete(fn);
  }

  /** Opens a document, creating an empty one in memory if it does not exist on disk. */
  open(ref: DocRef): LiveDoc {
    return this.#open(ref, this.#live.has(ref.recordId) ? null : this.store.load(ref));
  }

  /** Opens a document that exists in memory or on disk; null when it does not exist at all. */
  openExisting(ref: DocRef): LiveDoc | null {
    if (this.#live.has(ref.recordId)) return this.#open(ref, null);
    const loaded = this.store.load(ref);
    return loaded ? this.#open(ref, loaded) : null;
  }

  #open(ref: DocRef, loaded: ReturnType<EncryptedDocStore['load']>): LiveDoc {
    const cached = this.#live.get(ref.recordId);
    if (cached) {
      // Most recently used last: trim() drops from the front.
      this.#live.delete(ref.recordId);
      this.#live.set(ref.recordId, cached);
      return cached;
    }
    const doc = new Y.Doc();
    if (loaded) {
      // Applying in one transaction is far cheaper than Y.mergeUpdates first (measured: 110 ms vs 6 ms at 10k messages).
      doc.transact(() => {
        for (const u of loaded.updates) Y.applyUpdate(doc, u, FROM_STORE);
      }, FROM_STORE);
      // The decrypted bytes are in the document now; zero them rather than leave copies in freed memory.
      for (const u of loaded.updates) u.fill(0);
    }
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === FROM_STORE) return;
      this.store.append(ref, update);
      if (this.store.updatesSinceSnapshot(ref) >= COMPACT_EVERY) this.store.compact(ref, Y.encodeStateAsUpdate(doc));
      for (const l of this.#listeners) l(ref, update, origin);
    });
    const live = { ref, doc };
    this.#live.set(ref.recordId, live);
    for (const fn of this.#openers) fn(live);
    return live;
  }

  /**
   * Drops documents of one kind from memory, least recently used first, until `keep` remain. Safe because every
   * change is on disk when its transaction ends; a document holding structs that wait for missing dependencies
   * (sync) stays, since they live only in memory until it is complete. Callers trim between operations, never
   * while they hold a document.
   */
  trim(kind: DocRef['kind'], keep: number): void {
    let n = 0;
    for (const live of this.#live.values()) if (live.ref.kind === kind) n++;
    for (const [id, live] of this.#live) {
      if (n <= keep) break;
      if (live.ref.kind !== kind || live.doc.store.pendingStructs || live.doc.store.pendingDs) continue;
      live.doc.destroy();
      this.#live.delete(id);
      n--;
    }
  }

  /** The documents of one kind decoded in memory now (at most a few segments: trim() bounds them). */
  *decoded(kind: DocRef['kind']): Iterable<LiveDoc> {
    for (const live of this.#live.values()) if (live.ref.kind === kind) yield live;
  }

  /** Whether the document is open in memory (loaded, or created empty by open()), without loading it. */
  isOpen(ref: DocRef): boolean {
    return this.#live.has(ref.recordId);
  }

  exists(ref: DocRef): boolean {
    if (this.#live.has(ref.recordId)) return true;
    const loaded = this.store.load(ref);
    for (const u of loaded?.updates ?? []) u.fill(0);
    return loaded !== null;
  }

  /** Compacts now, whatever the count (used before export, after passphrase change, and by tests). */
  compact(ref: DocRef): void {
    const live = this.open(ref);
    this.store.compact(ref, Y.encodeStateAsUpdate(live.doc));
  }

  compactAll(): void {
    for (const live of this.#live.values()) if (this.store.updatesSinceSnapshot(live.ref) > 0) this.compact(live.ref);
  }

  delete(ref: DocRef): void {
    this.#live.get(ref.recordId)?.doc.destroy();
    this.#live.delete(ref.recordId);
    this.store.delete(ref);
  }

  /** Drops every document from memory (on lock). */
  close(): void {
    for (const live of this.#live.values()) live.doc.destroy();
    this.#live.clear();
  }
}
