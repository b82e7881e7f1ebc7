/**
 * What the relay needs from storage. Every method is one atomic step: the invariants that must hold under
 * concurrent writers (per-account sequence numbers without gaps or reordering, a device's sequence numbers only
 * rising, a snapshot pruning exactly what it names, a tombstone taking every blob of its document with it, a wipe
 * taking every row of the account) are enforced here, inside a transaction, not by the caller.
 *
 * Signatures are checked by the relay before anything reaches storage; storage only keeps them so devices can check
 * them again. Implementations: memory.node.ts, sqlite.node.ts (default), postgres.node.ts. One shared suite
 * (tests/relay/storage-suite.node.ts) runs against all three.
 */
import type { CoverRange, DeviceList, Item, ItemKind, WipeCounts, WipeMarker } from '../../shared/sync/messages.std.ts';
import type { GalleryStorage } from './gallery-types.node.ts';

export interface DeviceRow {
  deviceId: Uint8Array;
  enrolledAt: number;
  enrollSig: Uint8Array;
  revokedAt: number | null;
  /** Highest device sequence number accepted from this device (0 before its first write). */
  lastSeq: number;
}

export interface AccountRow {
  createdAt: number;
  lastActiveAt: number;
  /** Highest server sequence number assigned in this account. */
  head: number;
  /** Bytes of stored bodies, counted against the per-account quota. */
  bytesUsed: number;
}

export interface NewItem {
  kind: ItemKind;
  docId: Uint8Array;
  deviceId: Uint8Array;
  deviceSeq: number;
  body?: Uint8Array | undefined;
  covers: CoverRange[];
  sig: Uint8Array;
}

export type StoredItem = Item;

export type WriteRefusal = 'unknown_account' | 'unknown_device' | 'revoked' | 'quota' | 'replay' | 'conflict' | 'deleted';
export type WriteOutcome =
  | { ok: true; item: StoredItem; duplicate: boolean; removed: number }
  | { ok: false; reason: WriteRefusal };

export interface StoredWipe {
  marker: WipeMarker;
  wipedAt: number;
  counts: WipeCounts;
}

export type RelayEvent =
  | { type: 'item'; accountId: Uint8Array; serverSeq: number; origin: string; item?: StoredItem }
  | { type: 'revoked'; accountId: Uint8Array; deviceId: Uint8Array; origin: string }
  | { type: 'wiped'; accountId: Uint8Array; origin: string };

/** What the relay holds for one account, reported to the account's own devices (docs/sync-protocol.md "Usage"). */
export interface AccountUsage {
  updates: number;
  snapshots: number;
  tombstones: number;
  /** Bytes of stored bodies (ciphertext). */
  bytes: number;
  /** Devices on the account that are not removed. */
  devices: number;
}

export interface SweepResult {
  accounts: number;
  pairings: number;
  markers: number;
}

export interface RelayStorage {
  /** 'memory' | 'sqlite' | 'postgres', for logs. */
  readonly kind: string;
  /** The relay's Ed25519 seed: created once by `create` and shared by every instance on the same storage. */
  relaySeed(create: () => Uint8Array): Promise<Uint8Array>;
  /** The public gallery: plaintext cards, in tables of their own (gallery-types.node.ts). */
  readonly gallery: GalleryStorage;

  /**
   * Protocol v1 (account-key enrollment), kept only so tests can build a v1 account to migrate; the relay no longer
   * offers it. Creates the account on its first enrollment. A wiped account stays closed; a removed device stays removed.
   */
  enroll(accountId: Uint8Array, device: { deviceId: Uint8Array; enrolledAt: number; enrollSig: Uint8Array }, now: number): Promise<'enrolled' | 'already' | 'revoked' | 'wiped'>;
  account(accountId: Uint8Array): Promise<AccountRow | null>;
  /** The account's stored items by kind, their bytes and its active devices; null for no such account. */
  usage(accountId: Uint8Array): Promise<AccountUsage | null>;
  /** Bytes stored over all accounts (the sum the per-account quota counts), for the relay-wide storage limit. */
  totalBytes(): Promise<number>;
  device(accountId: Uint8Array, deviceId: Uint8Array): Promise<DeviceRow | null>;
  devices(accountId: Uint8Array): Promise<DeviceRow[]>;
  revoke(accountId: Uint8Array, deviceId: Uint8Array, now: number): Promise<'revoked' | 'already' | 'not_found'>;
  /** Every version of the account's device list, oldest first (empty for a v1 account not yet migrated). */
  deviceLists(accountId: Uint8Array): Promise<DeviceList[]>;
  /**
   * Stores the next version of the device list, atomically with its effect on the device rows: devices new to the
   * account are enrolled, active devices it leaves out are removed (for good). Signatures and who may sign are the
   * relay's business (checked before); this only makes sure the version follows the stored one (compare-and-set:
   * 'stale' otherwise), that no removed device comes back, and that version 1 creates the account when there is none.
   */
  putDeviceList(accountId: Uint8Array, list: DeviceList, now: number): Promise<{ ok: true; removed: Uint8Array[] } | { ok: false; reason: 'stale' | 'revoked' | 'wiped' }>;
  /** Records activity, which keeps the account from the retention sweep. */
  touch(accountId: Uint8Array, now: number): Promise<void>;

  /**
   * Stores one item under the next server sequence number. Re-sending an item already stored (same device and
   * device sequence number, same signature) is answered with the stored item and `duplicate: true`, so a client
   * that lost an acknowledgement can retry safely. Snapshots delete the items of their document that their covers
   * name, tombstones every update and snapshot of their document, in the same transaction.
   */
  write(accountId: Uint8Array, item: NewItem, quotaBytes: number): Promise<WriteOutcome>;
  /** Items with serverSeq > after, in order: at most `limit` of them, and stopping once `maxBytes` is reached. */
  itemsAfter(accountId: Uint8Array, after: number, limit: number, maxBytes: number): Promise<StoredItem[]>;

  /** Deletes every row of the account and keeps the marker. Repeating a wipe returns the first one's record. */
  wipe(marker: WipeMarker, now: number): Promise<StoredWipe | 'unknown_account'>;
  wipeRecord(accountId: Uint8Array): Promise<StoredWipe | null>;

  /** A one-time mailbox; `body` counts against the account's quota while it waits. */
  putPairing(accountId: Uint8Array, mailbox: Uint8Array, body: Uint8Array, expiresAt: number, quotaBytes: number): Promise<'stored' | 'exists' | 'quota' | 'unknown_account'>;
  /** Returns the body once and deletes it; expired mailboxes read as empty. */
  takePairing(mailbox: Uint8Array, now: number): Promise<Uint8Array | null>;

  /** Deletes accounts inactive since before `inactiveBefore`, expired mailboxes and markers older than `markersBefore`. */
  sweep(now: number, inactiveBefore: number, markersBefore: number): Promise<SweepResult>;

  /** Live fan-out: delivered to this process's subscribers at once and (PostgreSQL) to other relay instances. */
  publish(event: RelayEvent): Promise<void>;
  subscribe(listener: (event: RelayEvent) => void): () => void;

  close(): Promise<void>;
}
