/**
 * Sync, devices, pairing, recovery from the relay and wipe, for every transport. One engine per unlocked session
 * (closed when the vault locks); it owns its own connection to the vault file (sync/sqlite-store.node.ts).
 */
import * as Y from 'yjs';
import type { Handlers } from '../../../shared/api/contract.std.ts';
import type { SyncRound, SyncStatusView, syncCommands, WipeReport } from '../../../shared/api/sync.std.ts';
import { MindstageError } from '../../../shared/result.std.ts';
import { relayAuthority } from '../../../shared/sync/signing.std.ts';
import { defaultDeviceName, readDeviceNames, setDeviceName } from '../docs/settings-doc.node.ts';
import { VaultSession } from '../session.node.ts';
import { WipedError } from '../sync/connection.node.ts';
import { listDevices, relayUsage, removeDevice } from '../sync/devices.node.ts';
import { createSyncEngine, type RoundResult, type SyncEngine, type SyncStatus } from '../sync/engine.node.ts';
import { learnEpoch } from '../sync/keyring.node.ts';
import type { SigningKeys } from '../sync/keys.node.ts';
import { installVault, type VaultMaterial } from '../sync/local-vault.node.ts';
import type { DeviceList } from '../../../shared/sync/messages.std.ts';
import { createPairing, takePairing } from '../sync/pairing.node.ts';
import { fetchRecoveryBundle, recoveryRecipient, setRecoveryRecipient, setupRecovery, verifyRecoveryKey, wipeWithRecoveryKey } from '../sync/recovery.node.ts';
import { openSqliteSyncStore } from '../sync/sqlite-store.node.ts';
import { clearPendingWipe, deleteVaultFiles, readPendingWipe, sendWipe, signWipe, writePendingWipe } from '../sync/wipe.node.ts';
import { emitGone } from './conversation-events.node.ts';
import type { CoreState } from './state.node.ts';

interface Slot {
  engine: SyncEngine;
  timer: NodeJS.Timeout;
  wiping: Promise<string[]> | null;
}
const slots = new WeakMap<CoreState, Slot>();

function view(state: CoreState, s: SyncStatus): SyncStatusView {
  const pending = readPendingWipe(state.dataDir);
  const names = s.problems.some((p) => p.deviceId) && state.session ? readDeviceNames(state.session.systemDoc('settings').doc) : null;
  const problems = names ? s.problems.map((p) => (p.deviceId && names.has(p.deviceId) ? { ...p, deviceName: names.get(p.deviceId)! } : p)) : s.problems;
  return { ...s, problems, ...(pending ? { pendingWipe: { relay: relayAuthority(pending.relayUrl) } } : {}) };
}

async function closeEngine(state: CoreState): Promise<void> {
  const slot = slots.get(state);
  if (!slot) return;
  slots.delete(state);
  clearInterval(slot.timer);
  await slot.engine.close();
}

function engineFor(state: CoreState): SyncEngine {
  const session = state.requireSession();
  const slot = slots.get(state);
  if (slot && slot.engine.session === session) return slot.engine;
  if (slot) void closeEngine(state);
  const engine = createSyncEngine({
    session,
    store: openSqliteSyncStore(state.dataDir),
    onChange: (ids) => {
      emitGone(state, session, ids);
      state.emit('records.changed', { ids });
    },
    onStatus: (s) => state.emit('sync.status', view(state, s)),
    // Called from inside the engine's own loop: finish the wipe once it has unwound.
    onWiped: () => void setImmediate(() => void wipeFromMarker(state)),
  });
  // Locking (by hand, idle, or closing the core) ends the session: the engine goes with it, keys zeroed.
  const timer = setInterval(() => {
    if (session.vault.locked) void closeEngine(state);
  }, 1_000);
  timer.unref();
  slots.set(state, { engine, timer, wiping: null });
  return engine;
}

/** This device's id (hex), or null while sync is off here: a device has an id only once it joins an account. */
export function thisDeviceId(state: CoreState): string | null {
  const engine = engineFor(state);
  return engine.enabled ? engine.replica.deviceHex : null;
}

/** The relay's own count of this account's data (privacy center), or null while sync is off here. */
export async function relayUsageFor(state: CoreState): Promise<Awaited<ReturnType<typeof relayUsage>> | null> {
  const engine = engineFor(state);
  return engine.enabled ? relayUsage(engine) : null;
}

/** Another device wiped the account and the marker verified: wipe this device too. */
function wipeFromMarker(state: CoreState): Promise<string[]> {
  const slot = slots.get(state);
  if (slot?.wiping) return slot.wiping;
  const p = wipeLocal(state).then((files) => {
    state.wipedRemotelyAt = Date.now();
    return files;
  });
  if (slot) slot.wiping = p;
  return p;
}

async function wipeLocal(state: CoreState): Promise<string[]> {
  await closeEngine(state);
  state.close();
  const files = deleteVaultFiles(state.dataDir);
  state.emit('vault.locked', { reason: 'wipe' });
  return files;
}

const round = (r: RoundResult): SyncRound => ({ up: r.up, down: r.down, pending: r.pending, quarantined: r.quarantined, cursor: r.cursor, problems: r.problems });

async function syncNow(state: CoreState, engine: SyncEngine): Promise<SyncRound> {
  try {
    return round(await engine.syncOnce());
  } catch (e) {
    if (e instanceof WipedError) {
      await wipeFromMarker(state);
      return { up: 0, down: 0, pending: 0, quarantined: 0, cursor: 0, problems: [], wiped: true };
    }
    throw e;
  }
}

/** A new device from vault material (pairing or recovery): vault, session, enrolled engine, first round. */
async function newDevice(
  state: CoreState,
  m: VaultMaterial,
  passphrase: string,
  a: { relayUrl: string; relayKey: Uint8Array; epochs: [number, Uint8Array][]; recipient: Uint8Array | null; deviceSeed?: Uint8Array; admit?: DeviceList; extra?: Parameters<typeof setupExtra>[1] },
) {
  if (state.hasVault() && state.storage().readHeader() !== null) throw new MindstageError('exists', `A vault already exists in ${state.dataDir}; use a new --data folder for the new device.`);
  const storage = state.storage(true);
  try {
    const vault = installVault(storage, m, passphrase);
    state.lock('manual');
    state.session = new VaultSession(storage, vault);
    const engine = engineFor(state);
    for (const [n, k] of a.epochs) learnEpoch(engine.replica, n, k);
    if (a.recipient) setRecoveryRecipient(engine.replica, a.recipient);
    // A fresh vault key of its own (local-vault.node.ts) post-dates every removal so far.
    if (vault.generation > 0) engine.replica.state.vaultRotatedFor = -1;
    setupExtra(engine, a.extra);
    const enabled = await engine.enable({
      relayUrl: a.relayUrl,
      expectRelayKey: a.relayKey,
      ...(a.deviceSeed ? { deviceSeed: a.deviceSeed } : {}),
      ...(a.admit ? { admit: a.admit } : {}),
      ...(a.extra ? { enrolWith: a.extra.recipient } : {}),
    });
    nameThisDevice(state, engine.replica.deviceHex);
    const r = await syncNow(state, engine);
    if (Y.encodeStateVector(state.session.catalog).length <= 1) {
      // The other devices never synced a catalog (should not happen): start one so the vault opens.
      state.session.catalog.getMap('meta').set('createdAt', Date.now());
    }
    return { vaultId: vault.vaultIdHex, deviceId: enabled.deviceId, round: r };
  } catch (e) {
    await closeEngine(state);
    state.close();
    deleteVaultFiles(state.dataDir);
    throw e;
  }
}

/**
 * A device names itself after its computer when it joins (or, for devices from before names, when it first lists
 * the devices), so the list reads "Anna's laptop" rather than an id; the user can rename it. An existing name,
 * perhaps given on another device, is kept.
 */
function nameThisDevice(state: CoreState, deviceIdHex: string): void {
  const doc = state.requireSession().systemDoc('settings').doc;
  if (readDeviceNames(doc).has(deviceIdHex)) return;
  setDeviceName(doc, deviceIdHex, defaultDeviceName());
}

function setupExtra(engine: SyncEngine, extra: { recipient: SigningKeys } | undefined): void {
  if (extra) engine.replica.extraRecipients.push(extra.recipient);
}

export function syncHandlers(state: CoreState): Handlers<typeof syncCommands> {
  return {
    'sync.status': async () => {
      const engine = engineFor(state);
      return { ...view(state, engine.status()), recoveryReady: engine.enabled && recoveryRecipient(engine.replica) !== null };
    },
    'sync.enable': async ({ relayUrl, recoveryKey }) => {
      const engine = engineFor(state);
      if (recoveryKey) verifyRecoveryKey(engine, recoveryKey);
      const out = await engine.enable({ relayUrl });
      nameThisDevice(state, engine.replica.deviceHex);
      if (recoveryKey) await setupRecovery(engine, recoveryKey);
      return { ...out, recoveryReady: recoveryRecipient(engine.replica) !== null };
    },
    'sync.now': async () => {
      const engine = engineFor(state);
      if (!engine.enabled) throw new MindstageError('not_found', 'Sync is not turned on for this device yet.');
      return syncNow(state, engine);
    },
    'sync.setWatch': async ({ on }) => {
      const engine = engineFor(state);
      if (on) engine.watch();
      else await engine.stopWatch();
      return view(state, engine.status());
    },
    'devices.list': async () => {
      const engine = engineFor(state);
      const list = await listDevices(engine);
      if (list.some((d) => d.thisDevice)) nameThisDevice(state, engine.replica.deviceHex);
      const names = readDeviceNames(state.requireSession().systemDoc('settings').doc);
      return list.map((d) => ({ ...d, name: names.get(d.deviceId) ?? '' }));
    },
    'devices.rename': async ({ deviceId, name }) => {
      if (!engineFor(state).replica.devices.has(deviceId)) throw new MindstageError('not_found', 'That is not the id of a device on this account.');
      setDeviceName(state.requireSession().systemDoc('settings').doc, deviceId, name);
      return null;
    },
    'devices.remove': async ({ deviceId }) => removeDevice(engineFor(state), deviceId),
    'pair.create': async ({ ttlMinutes }) => {
      const engine = engineFor(state);
      if (!engine.enabled) throw new MindstageError('not_found', 'Turn on sync first: pairing goes through the relay.');
      // The new device pulls everything from the relay, so bring the relay up to date first.
      await syncNow(state, engine);
      return createPairing(engine, ttlMinutes === undefined ? undefined : ttlMinutes * 60_000);
    },
    'pair.join': async ({ code, relayUrl, passphrase }) => {
      if (state.hasVault() && state.storage().readHeader() !== null) throw new MindstageError('exists', `A vault already exists in ${state.dataDir}; pair into a new --data folder.`);
      const p = await takePairing(code, relayUrl);
      return newDevice(state, p.material, passphrase, { relayUrl: p.relayUrl, relayKey: p.relayKey, epochs: p.epochs, recipient: p.recipient, deviceSeed: p.deviceSeed, admit: p.admit });
    },
    'vault.recoverFromRelay': async ({ recoveryKey, relayUrl, newPassphrase }) => {
      if (state.hasVault() && state.storage().readHeader() !== null) throw new MindstageError('exists', `A vault already exists in ${state.dataDir}; restore into a new --data folder (or use "recover" without --relay to reset this vault's passphrase).`);
      const b = await fetchRecoveryBundle(relayUrl, recoveryKey);
      return newDevice(state, b.material, newPassphrase, { relayUrl, relayKey: b.relayKey, epochs: [], recipient: b.recipient.publicKey, extra: { recipient: b.recipient } });
    },
    'vault.wipe': async ({ localOnly }) => wipe(state, localOnly === true),
    'account.wipeWithRecoveryKey': async ({ recoveryKey, relayUrl }) => wipeWithRecoveryKey(relayUrl, recoveryKey),
  };
}

async function wipe(state: CoreState, localOnly: boolean): Promise<WipeReport> {
  const exists = state.hasVault() && state.storage().readHeader() !== null;
  const pending = readPendingWipe(state.dataDir);
  if (localOnly) {
    const files = exists ? await wipeLocal(state) : [];
    return { remote: 'skipped', local: files.length ? 'wiped' : 'nothing', files, ...(pending ? { pendingFile: 'pending-wipe.json' } : {}) };
  }
  let report: Pick<WipeReport, 'remote' | 'receipt' | 'remoteError' | 'pendingFile'>;
  if (!exists) {
    if (!pending) throw new MindstageError('not_found', `There is no vault in ${state.dataDir} and no pending remote wipe: nothing to wipe.`);
    // Finishing an earlier wipe's remote part; failures leave the file for the next try.
    const receipt = await sendWipe(pending);
    clearPendingWipe(state.dataDir);
    return { remote: 'wiped', receipt, local: 'nothing', files: [] };
  }
  // Public cards first, while the publishing key still exists (electron/core/gallery/withdraw.node.ts).
  const { withdrawAllPublished } = await import('../gallery/withdraw.node.ts');
  const publicCards = await withdrawAllPublished(state.requireSession());
  const cards = publicCards.withdrawn + publicCards.failed > 0 ? { publicCards } : {};
  const engine = engineFor(state);
  if (!engine.enabled) report = { remote: 'not_enabled' };
  else {
    const signed = signWipe(engine);
    try {
      report = { remote: 'wiped', receipt: await sendWipe(signed) };
    } catch (e) {
      if (!(e instanceof MindstageError) || (e.code !== 'network' && e.code !== 'integrity')) throw e;
      writePendingWipe(state.dataDir, signed);
      report = { remote: 'pending', remoteError: e.message, pendingFile: 'pending-wipe.json' };
    }
  }
  const files = await wipeLocal(state);
  return { ...report, local: 'wiped', files, ...cards };
}

