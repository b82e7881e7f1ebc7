/**
 * The state one running sync client works on: the unlocked session, the keys, the sealed local rows, this
 * device's identity, the account's verified device list, and problems found so far. Outbound (outbox.node.ts) and
 * inbound (inbound.node.ts) logic are functions over it; the network loop is engine.node.ts.
 */
import type { SyncProblem } from '../../../shared/api/sync.std.ts';
import { toHex } from '../crypto/sodium.node.ts';
import type { DocRef } from '../docs/doc-store.node.ts';
import type { VaultSession } from '../session.node.ts';
import { enrollStatement } from '../../../shared/sync/signing.std.ts';
import type { DeviceInfo } from '../../../shared/sync/messages.std.ts';
import { SyncKeys, signingKeysFromSeed, verify, type SigningKeys } from './keys.node.ts';
import { LocalSealer, LocalState, newDocState, type DocState, type SyncConfig } from './local-state.node.ts';
import type { SyncStore } from './store.node.ts';

/** Transaction origin of updates applied from the relay: the outbox ignores them. */
export const FROM_SYNC = Symbol('from-sync');

/** A record sync could not apply (the API shows it as a SyncProblem). */
export type Problem = SyncProblem;

export interface KnownDevice {
  deviceId: Uint8Array;
  enrolledAt: number;
  revokedAt: number | null;
}

export const SYSTEM_KINDS: ReadonlySet<string> = new Set(['catalog', 'settings', 'ledger']);

export function refOf(ds: DocState): DocRef | null {
  if (!ds.kind || !ds.storageId) return null;
  return { storageId: ds.storageId, kind: ds.kind, recordId: SYSTEM_KINDS.has(ds.kind) ? ds.kind : toHex(ds.storageId) };
}

export class Replica {
  readonly session: VaultSession;
  readonly keys: SyncKeys;
  readonly state: LocalState;
  readonly store: SyncStore;
  readonly problems: Problem[] = [];
  readonly devices = new Map<string, KnownDevice>();
  onChange: (ids: string[]) => void = () => {};
  /** Other keys that may open keyring boxes (the recovery recipient, while restoring with the recovery key). */
  extraRecipients: SigningKeys[] = [];
  #device: SigningKeys | null = null;
  #config: SyncConfig | null = null;

  constructor(session: VaultSession, store: SyncStore) {
    this.session = session;
    this.store = store;
    this.keys = new SyncKeys(session.vault);
    this.state = new LocalState(store, new LocalSealer(this.keys.local, session.vault.vaultId));
    this.#config = this.state.config();
    if (this.#config) this.#device = signingKeysFromSeed(this.#config.deviceSeed);
  }

  get enabled(): boolean {
    return this.#config !== null;
  }

  get config(): SyncConfig {
    if (!this.#config) throw new Error('sync is not enabled');
    return this.#config;
  }

  get device(): SigningKeys {
    if (!this.#device) throw new Error('sync is not enabled');
    return this.#device;
  }

  setConfig(c: SyncConfig): void {
    this.state.putConfig(c);
    this.#config = c;
    this.#device = signingKeysFromSeed(c.deviceSeed);
  }

  get deviceHex(): string {
    return toHex(this.device.publicKey);
  }

  /** Document state, created on first use. */
  docState(docId: Uint8Array, ref?: DocRef): DocState {
    return this.state.doc(docId) ?? newDocState(ref?.kind ?? null, ref?.storageId ?? null);
  }

  /** Replaces the known device list with the relay's, keeping only entries the account key really signed. */
  setDevices(list: DeviceInfo[]): number {
    this.devices.clear();
    let refused = 0;
    for (const d of list) {
      if (!verify(d.enrollSig, enrollStatement({ accountId: this.keys.accountId, deviceId: d.deviceId, enrolledAt: d.enrolledAt }), this.keys.accountId)) {
        refused++;
        continue;
      }
      this.devices.set(toHex(d.deviceId), { deviceId: d.deviceId, enrolledAt: d.enrolledAt, revokedAt: d.revokedAt });
    }
    return refused;
  }

  problem(p: Problem): void {
    if (this.problems.some((q) => q.serverSeq === p.serverSeq && q.message === p.message)) return;
    this.problems.push(p);
  }

  close(): void {
    if (this.#device) this.#device.secretKey.fill(0);
    this.keys.wipe();
  }
}
