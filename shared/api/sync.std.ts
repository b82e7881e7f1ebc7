/**
 * Sync, devices, pairing, recovery from the relay and wipe (docs/sync-client.md). The relay protocol itself is
 * shared/sync/; these are the commands the UI and the CLI use.
 */
import { z } from 'zod';
import { returns, type CommandDefs } from './contract.std.ts';

const relayUrl = z.string().min(1).max(2048);
const passphrase = z.string().min(1, 'the passphrase is empty').max(1024, 'the passphrase is too long');
const recoveryKey = z.string().min(1).max(200);

export interface SyncProblem {
  code: 'integrity' | 'network' | 'not_found';
  /** The whole story, ids included (the CLI prints it). */
  message: string;
  recordId?: string;
  serverSeq?: number;
  /** A refused item: why, in words, and the device that wrote it (the UI tells it with names, not ids). */
  reason?: string;
  deviceId?: string;
  /** That device's name, when the account has one for it. */
  deviceName?: string;
}

export interface SyncStatusView {
  enabled: boolean;
  /** `removed`: another device removed this one from the account; the relay refuses it for good (lastError says so). */
  state: 'off' | 'idle' | 'syncing' | 'watching' | 'offline' | 'wiped' | 'removed' | 'closed';
  relayUrl?: string;
  accountId?: string;
  deviceId?: string;
  outbox: number;
  pending: number;
  pendingMessage?: string;
  quarantined: number;
  cursor: number;
  lastSyncAt?: number;
  lastError?: { code: string; message: string };
  retryInMs?: number;
  /**
   * Set when the relay looks like it is holding changes back (another device's signed statement names changes this
   * one did not receive) or showed an older state than before; a plain sentence for the UI.
   */
  withheld?: string;
  problems: SyncProblem[];
  /** Set when a wipe's remote part is still waiting for the relay (pending-wipe.json in the data folder). */
  pendingWipe?: { relay: string };
  recoveryReady?: boolean;
}

export interface SyncRound {
  up: number;
  down: number;
  pending: number;
  quarantined: number;
  cursor: number;
  problems: SyncProblem[];
  /** The account was wiped from another device: the marker verified and this device wiped itself. */
  wiped?: boolean;
}

export interface DeviceView {
  deviceId: string;
  /** The name the user gave it (each device names itself after its computer when it joins); '' when none. */
  name: string;
  enrolledAt: number;
  removedAt: number | null;
  thisDevice: boolean;
}

export interface WipeReceiptView {
  relay: string;
  relayKey: string;
  accountId: string;
  wipedAt: number;
  counts: { updates: number; snapshots: number; tombstones: number; devices: number; pairings: number; bytes: number };
}

export interface WipeReport {
  remote: 'wiped' | 'pending' | 'not_enabled' | 'skipped';
  receipt?: WipeReceiptView;
  /** Why the remote part is pending (the relay could not be reached). */
  remoteError?: string;
  local: 'wiped' | 'nothing';
  files: string[];
  pendingFile?: string;
  /** Cards this vault had published to public galleries: withdrawn before the wipe, or left public (unreachable). */
  publicCards?: { withdrawn: number; failed: number };
}

export const syncCommands = {
  'sync.status': { input: z.object({}), output: returns<SyncStatusView>() },
  /** Enrolls this device (creating the account on first use) and pins the relay's key. With the recovery key, also sets up restoring from the relay. */
  'sync.enable': {
    input: z.object({ relayUrl, recoveryKey: recoveryKey.optional() }),
    output: returns<{ accountId: string; deviceId: string; relayKey: string; recoveryReady: boolean }>(),
  },
  /** One round: upload what is waiting, download what is new. */
  'sync.now': { input: z.object({}), output: returns<SyncRound>() },
  /** Stay connected (live updates both ways, backoff when offline) or stop. */
  'sync.setWatch': { input: z.object({ on: z.boolean() }), output: returns<SyncStatusView>() },
  'devices.list': { input: z.object({}), output: returns<DeviceView[]>() },
  /** Removes a device: it can no longer authenticate, and content keys rotate to a new epoch it never gets. */
  /** Names a device, as every device of the account will show it (the name stays in the encrypted vault). */
  'devices.rename': { input: z.object({ deviceId: z.string().regex(/^[0-9a-f]{64}$/, 'a device id is 64 hex characters'), name: z.string().trim().min(1, 'a name cannot be empty').max(60) }), output: returns<null>() },
  'devices.remove': { input: z.object({ deviceId: z.string().regex(/^[0-9a-f]{64}$/, 'a device id is 64 hex characters') }), output: returns<{ removed: string; epoch: number; /** A new recovery key, shown once: set only when the old one could not be kept (docs/sync-client.md). */ recoveryKey?: string }>() },
  /** A one-time, expiring code for a new device; the vault key material waits, encrypted, in the relay's mailbox. */
  'pair.create': { input: z.object({ ttlMinutes: z.number().int().min(1).max(24 * 60).optional() }), output: returns<{ code: string; expiresAt: number; relayUrl: string }>() },
  /** On a data folder without a vault: receive the vault, set a local passphrase, enroll, pull everything. */
  'pair.join': { input: z.object({ code: z.string().min(1).max(100), relayUrl, passphrase }), output: returns<{ vaultId: string; deviceId: string; round: SyncRound }>() },
  /** On a data folder without a vault: restore from the relay with the recovery key (no other device needed). */
  'vault.recoverFromRelay': { input: z.object({ recoveryKey, relayUrl, newPassphrase: passphrase }), output: returns<{ vaultId: string; deviceId: string; round: SyncRound }>() },
  /** Remote first (signed wipe, verified receipt), then local; offline, the remote part waits in pending-wipe.json. */
  'vault.wipe': { input: z.object({ localOnly: z.boolean().optional() }), output: returns<WipeReport>() },
  /** From any folder, with the recovery key alone (every device lost): wipes the account on the relay; devices wipe themselves when they next connect. */
  'account.wipeWithRecoveryKey': { input: z.object({ recoveryKey, relayUrl }), output: returns<WipeReceiptView>() },
} satisfies CommandDefs;
