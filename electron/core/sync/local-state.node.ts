/**
 * The client's own rows, sealed at rest with the local sync key (keys.node.ts), and the typed views over them:
 * the configuration (relay, pinned relay key, this device's key), counters, content-key epochs, and one state per
 * document (its local identity, what was last synced, and every device's chain position in it).
 */
import { aeadOpen, aeadSeal, fromBase64, toBase64 } from '../crypto/sodium.node.ts';
import type { DocKind } from '../crypto/envelope.node.ts';
import { MindstageError } from '../../../shared/result.std.ts';
import type { SyncStore } from './store.node.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Seals with the current vault generation's local key; opens with any generation's (newest first). */
export interface LocalKeys {
  readonly local: Uint8Array;
  localKeys(): Uint8Array[];
}

export class LocalSealer {
  readonly #keys: LocalKeys;
  readonly #vaultId: Uint8Array;
  constructor(keys: LocalKeys, vaultId: Uint8Array) {
    this.#keys = keys;
    this.#vaultId = vaultId;
  }

  #ad(what: string, id: Uint8Array | string): Uint8Array {
    const idBytes = typeof id === 'string' ? enc.encode(id) : id;
    const prefix = enc.encode(`mindstage.sync.local.v1\0${what}\0`);
    const ad = new Uint8Array(prefix.length + 16 + idBytes.length);
    ad.set(prefix, 0);
    ad.set(this.#vaultId, prefix.length);
    ad.set(idBytes, prefix.length + 16);
    return ad;
  }

  seal(what: string, id: Uint8Array | string, plain: Uint8Array): Uint8Array {
    return aeadSeal(this.#keys.local, plain, this.#ad(what, id));
  }

  open(what: string, id: Uint8Array | string, sealed: Uint8Array): Uint8Array {
    const ad = this.#ad(what, id);
    let plain = aeadOpen(this.#keys.local, sealed, ad);
    // A row written before the vault key last rotated: the rows carry no generation, and rotations are rare.
    for (const k of plain ? [] : this.#keys.localKeys().slice(1)) if ((plain = aeadOpen(k, sealed, ad))) break;
    if (!plain) throw new MindstageError('integrity', `The sync state (${what}) in the vault file failed its integrity check: it was altered or corrupted.`);
    return plain;
  }

  sealJson(what: string, id: Uint8Array | string, value: unknown): Uint8Array {
    return this.seal(what, id, enc.encode(JSON.stringify(value)));
  }

  openJson<T>(what: string, id: Uint8Array | string, sealed: Uint8Array): T {
    return JSON.parse(dec.decode(this.open(what, id, sealed))) as T;
  }
}

export interface SyncConfig {
  relayUrl: string;
  /** The relay key pinned when sync was enabled; every later connection must present the same one. */
  relayKey: Uint8Array;
  deviceSeed: Uint8Array;
  enrolledAt: number;
}

export interface Epochs {
  current: number;
  /** Epochs ≥ 1 (epoch 0 is derived from the vault key). */
  keys: Map<number, Uint8Array>;
}

export interface ChainPos {
  docSeq: number;
  deviceSeq: number;
  hash: Uint8Array;
  /** Relay sequence number of the item that set this position (0 when unknown): where to re-pull from after a gap. */
  serverSeq?: number;
}

export interface DocState {
  /** Unknown for a document we only ever saw a tombstone of. */
  kind: DocKind | null;
  storageId: Uint8Array | null;
  /** Yjs state vector of everything queued for upload or received (what reconciliation diffs against). */
  sentSv: Uint8Array | null;
  /** Items stored on the relay since the last snapshot (ours and others'), to decide when to snapshot. */
  since: number;
  tombstoned: boolean;
  /** Chain position of every device in this document, by device id (hex). */
  chains: Map<string, ChainPos>;
  /** Yjs structs waiting for causal dependencies not yet received (reapplied on start). */
  held: Uint8Array | null;
  /** Asset ids this record referenced when last captured or received (assets.node.ts). */
  assets?: string[];
}

type DocJson = {
  kind: DocKind | null;
  storageId: string | null;
  sentSv: string | null;
  since: number;
  tombstoned: boolean;
  chains: [string, number, number, string, number?][];
  held: string | null;
  assets?: string[];
};

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Typed, cached access to the sealed rows. */
export class LocalState {
  readonly store: SyncStore;
  readonly sealer: LocalSealer;
  readonly #docs = new Map<string, DocState>();

  constructor(store: SyncStore, sealer: LocalSealer) {
    this.store = store;
    this.sealer = sealer;
  }

  config(): SyncConfig | null {
    const v = this.store.getMeta('config');
    if (!v) return null;
    const j = this.sealer.openJson<{ relayUrl: string; relayKey: string; deviceSeed: string; enrolledAt: number }>('meta', 'config', v);
    return { relayUrl: j.relayUrl, relayKey: fromBase64(j.relayKey), deviceSeed: fromBase64(j.deviceSeed), enrolledAt: j.enrolledAt };
  }

  putConfig(c: SyncConfig): void {
    this.store.putMeta('config', this.sealer.sealJson('meta', 'config', { relayUrl: c.relayUrl, relayKey: toBase64(c.relayKey), deviceSeed: toBase64(c.deviceSeed), enrolledAt: c.enrolledAt }));
  }

  #num(key: string): number {
    const v = this.store.getMeta(key);
    return v ? this.sealer.openJson<number>('meta', key, v) : 0;
  }

  #putNum(key: string, n: number): void {
    this.store.putMeta(key, this.sealer.sealJson('meta', key, n));
  }

  /** Highest server sequence number fully processed. */
  get cursor(): number {
    return this.#num('cursor');
  }
  set cursor(n: number) {
    this.#putNum('cursor', n);
  }

  /** Last device sequence number this device used. */
  get lastSeq(): number {
    return this.#num('seq');
  }
  set lastSeq(n: number) {
    this.#putNum('seq', n);
  }

  /**
   * The device-list version whose removals this device's vault key already post-dates (rotation.node.ts); -1 for a
   * vault set up with a fresh key of its own, which covers every removal up to the first list it sees.
   */
  get vaultRotatedFor(): number {
    return this.#num('vault-rotated');
  }
  set vaultRotatedFor(n: number) {
    this.#putNum('vault-rotated', n);
  }

  epochs(): Epochs {
    const v = this.store.getMeta('epochs');
    if (!v) return { current: 0, keys: new Map() };
    const j = this.sealer.openJson<{ current: number; keys: [number, string][] }>('meta', 'epochs', v);
    return { current: j.current, keys: new Map(j.keys.map(([n, k]) => [n, fromBase64(k)])) };
  }

  putEpochs(e: Epochs): void {
    this.store.putMeta('epochs', this.sealer.sealJson('meta', 'epochs', { current: e.current, keys: [...e.keys].map(([n, k]) => [n, toBase64(k)]) }));
  }

  doc(docId: Uint8Array): DocState | null {
    const k = hexOf(docId);
    const cached = this.#docs.get(k);
    if (cached) return cached;
    const v = this.store.getDoc(docId);
    if (!v) return null;
    const j = this.sealer.openJson<DocJson>('doc', docId, v);
    const ds: DocState = {
      kind: j.kind,
      storageId: j.storageId === null ? null : fromBase64(j.storageId),
      sentSv: j.sentSv === null ? null : fromBase64(j.sentSv),
      since: j.since,
      tombstoned: j.tombstoned,
      chains: new Map(j.chains.map(([d, s, ds2, h, ss]) => [d, { docSeq: s, deviceSeq: ds2, hash: fromBase64(h), serverSeq: ss ?? 0 }])),
      held: j.held === null ? null : fromBase64(j.held),
      ...(j.assets ? { assets: j.assets } : {}),
    };
    this.#docs.set(k, ds);
    return ds;
  }

  putDoc(docId: Uint8Array, ds: DocState): void {
    const j: DocJson = {
      kind: ds.kind,
      storageId: ds.storageId && toBase64(ds.storageId),
      sentSv: ds.sentSv && toBase64(ds.sentSv),
      since: ds.since,
      tombstoned: ds.tombstoned,
      chains: [...ds.chains].map(([d, c]) => [d, c.docSeq, c.deviceSeq, toBase64(c.hash), c.serverSeq ?? 0]),
      held: ds.held && toBase64(ds.held),
      ...(ds.assets?.length ? { assets: ds.assets } : {}),
    };
    this.store.putDoc(docId, this.sealer.sealJson('doc', docId, j));
    this.#docs.set(hexOf(docId), ds);
  }

  /** Updates the cached state only; flushDoc writes it (inbound items are written once per page). */
  putDocCached(docId: Uint8Array, ds: DocState): void {
    this.#docs.set(hexOf(docId), ds);
  }

  flushDoc(docId: Uint8Array): void {
    const ds = this.#docs.get(hexOf(docId));
    if (ds) this.putDoc(docId, ds);
  }

  /** Forgets cached states (after a failed transaction rolled the rows back). */
  dropCache(): void {
    this.#docs.clear();
  }
}

export const newDocState = (kind: DocKind | null, storageId: Uint8Array | null): DocState => ({
  kind,
  storageId,
  sentSv: null,
  since: 0,
  tombstoned: false,
  chains: new Map(),
  held: null,
});
