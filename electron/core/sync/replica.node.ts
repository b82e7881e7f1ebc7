/**
 * The state one running sync client works on: the unlocked session, the keys, the sealed local rows, this
 * device's identity, the account's verified device list, and problems found so far. Outbound (outbox.node.ts) and
 * inbound (inbound.node.ts) logic are functions over it; the network loop is engine.node.ts.
 */
import type { SyncProblem } from '../../../shared/api/sync.std.ts';
import { MindstageError } from '../../../shared/result.std.ts';
import { fromHex, toHex } from '../crypto/sodium.node.ts';
import type { DocRef } from '../docs/doc-store.node.ts';
import type { VaultSession } from '../session.node.ts';
import { enrollStatement, equalBytes, verifyDeviceChain } from '../../../shared/sync/signing.std.ts';
import type { DeviceInfo, DeviceList } from '../../../shared/sync/messages.std.ts';
import { SyncKeys, signingKeysFromSeed, verify, type SigningKeys } from './keys.node.ts';
import { Freshness } from './freshness.node.ts';
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
  /** Peers' head statements and whether the relay looked like it was holding back (freshness.node.ts). */
  readonly freshness: Freshness;
  /** Other keys that may open keyring boxes (the recovery recipient, while restoring with the recovery key). */
  extraRecipients: SigningKeys[] = [];
  /** The newest device-list version that removed a device (0: none in the verified chain). */
  lastRemovalVersion = 0;
  #device: SigningKeys | null = null;
  #config: SyncConfig | null = null;

  constructor(session: VaultSession, store: SyncStore) {
    this.session = session;
    this.store = store;
    this.keys = new SyncKeys(session.vault);
    this.state = new LocalState(store, new LocalSealer(this.keys, session.vault.vaultId));
    this.#config = this.state.config();
    this.freshness = new Freshness(this);
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

  /**
   * The newest device-list version this device verified, kept sealed in sync_meta: wipe markers are checked against
   * it (they arrive when the relay no longer holds a list), and a relay can never serve an older chain than this.
   */
  get list(): DeviceList | null {
    const v = this.store.getMeta('devlist');
    if (!v) return null;
    const j = this.state.sealer.openJson<{ version: number; prev: string; devices: string[]; recovery: string | null; issuedAt: number; signer: string; sig: string }>('meta', 'devlist', v);
    return { accountId: this.keys.accountId, version: j.version, prev: fromHex(j.prev), devices: j.devices.map(fromHex), recovery: j.recovery === null ? null : fromHex(j.recovery), issuedAt: j.issuedAt, signer: fromHex(j.signer), sig: fromHex(j.sig) };
  }

  #putList(l: DeviceList): void {
    const json = { version: l.version, prev: toHex(l.prev), devices: l.devices.map(toHex), recovery: l.recovery && toHex(l.recovery), issuedAt: l.issuedAt, signer: toHex(l.signer), sig: toHex(l.sig) };
    this.store.putMeta('devlist', this.state.sealer.sealJson('meta', 'devlist', json));
  }

  /**
   * Replaces the known devices with the relay's verified device-list chain: every version must follow from version 1
   * (signed by the account id's key) through signers on the version before, and the chain must contain the newest
   * version seen before unchanged (no rollback to a list where a removed device was still on it). A device's
   * enrollment is the first version naming it; its removal the first later version leaving it out. `legacy`: the
   * rows of a v1 account not migrated yet, kept when their enrollment verifies with the account key.
   */
  setDevices(dl: { lists: DeviceList[]; legacy: DeviceInfo[] }): void {
    const v = verifyDeviceChain(verify, this.keys.accountId, dl.lists);
    if (!v.ok) throw new MindstageError('integrity', `The relay served a device list that does not verify (${v.why}). Nothing was changed.`);
    const known = this.list;
    if (known && !(dl.lists[known.version - 1] && equalBytes(dl.lists[known.version - 1]!.sig, known.sig))) {
      throw new MindstageError('integrity', `The relay served an older or different device list than the one this device already verified (version ${known.version}). It was refused; nothing was changed.`);
    }
    this.devices.clear();
    if (dl.lists.length === 0) {
      for (const d of dl.legacy) {
        if (!verify(d.enrollSig, enrollStatement({ accountId: this.keys.accountId, deviceId: d.deviceId, enrolledAt: d.enrolledAt }), this.keys.accountId)) continue;
        this.devices.set(toHex(d.deviceId), { deviceId: d.deviceId, enrolledAt: d.enrolledAt, revokedAt: d.revokedAt });
      }
      return;
    }
    for (const l of dl.lists) {
      const on = new Set(l.devices.map(toHex));
      for (const d of l.devices) if (!this.devices.has(toHex(d))) this.devices.set(toHex(d), { deviceId: d, enrolledAt: l.issuedAt, revokedAt: null });
      for (const [hex, d] of this.devices) {
        if (d.revokedAt === null && !on.has(hex)) {
          d.revokedAt = l.issuedAt;
          this.lastRemovalVersion = l.version;
        }
      }
    }
    if (!known || v.current!.version > known.version) this.#putList(v.current!);
  }

  /** This device was on the list once and is not any more (set from the verified list, or the relay's refusal). */
  get removed(): boolean {
    return this.store.getMeta('removed') !== null;
  }

  markRemoved(): void {
    this.store.putMeta('removed', this.state.sealer.sealJson('meta', 'removed', { at: Date.now() }));
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
