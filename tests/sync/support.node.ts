/**
 * Test helpers for the sync client: vaults that share one vault key (as paired devices do), each with its own
 * engine, in memory (fast; for property tests) or on real SQLite files (for crash and canary tests).
 */
import { createMemoryStorage, type VaultStorage } from '../../electron/core/store/storage.node.ts';
import { createVault, UnlockedVault } from '../../electron/core/vault/vault.node.ts';
import { VaultSession } from '../../electron/core/session.node.ts';
import { createMemorySyncStore, type SyncStore } from '../../electron/core/sync/store.node.ts';
import { createSyncEngine, type SyncEngine, type SyncEngineOptions } from '../../electron/core/sync/engine.node.ts';
import { readFields } from '../../electron/core/docs/fields-doc.node.ts';
import { changeList } from '../../electron/core/sync/devices.node.ts';
import { newDeviceSeed, signingKeysFromSeed } from '../../electron/core/sync/keys.node.ts';
import { listCatalog } from '../../electron/core/docs/catalog.node.ts';
import { recordRef } from '../../electron/core/docs/ids.node.ts';

export interface TestDevice {
  session: VaultSession;
  engine: SyncEngine;
  storage: VaultStorage;
  store: SyncStore;
  changed: string[];
}

/**
 * One vault key, `n` devices (memory storage), none enabled yet. Made by createVault, unless `from` (testVault) is
 * given: then every device has the vault key alone, as the devices after the first always have.
 */
export function memoryDevices(n: number, options: Partial<SyncEngineOptions> = {}, from?: TestVault): TestDevice[] {
  if (from) return Array.from({ length: n }, (_, i) => deviceOf(from, i === 0, options));
  // The first device keeps the vault createVault returned (with its passphrase wrapping, which rotations use).
  const { made, storage, vault } = createdVault();
  return Array.from({ length: n }, (_, i) => (i === 0 ? deviceOf(made, true, options, storage, vault) : deviceOf(made, false, options)));
}

/**
 * A vault made once by createVault (one Argon2id run, at the product's parameters) from which memoryDevices makes
 * fresh devices again and again, each with empty storage and sync state: for a file whose every run starts its own
 * relay (the relay account and the document ids derive from the vault key, so runs on one relay would meet).
 */
export interface TestVault {
  header: string;
  vaultId: Uint8Array;
  key: Uint8Array;
}

export function testVault(): TestVault {
  const { made, vault } = createdVault();
  vault.lock();
  return made;
}

function createdVault(): { made: TestVault; storage: VaultStorage; vault: UnlockedVault } {
  const storage = createMemoryStorage();
  const { vault } = createVault(storage, 'test passphrase');
  return { made: { header: storage.readHeader()!, vaultId: vault.vaultId, key: vault.vaultKeyForWrap().slice() }, storage, vault };
}

function deviceOf(v: TestVault, first: boolean, options: Partial<SyncEngineOptions>, storage = createMemoryStorage(), vault = new UnlockedVault(v.vaultId, v.key.slice())): TestDevice {
  if (storage.readHeader() === null) storage.writeHeader(v.header);
  const session = new VaultSession(storage, vault);
  if (first) session.catalog.getMap('meta').set('createdAt', 1);
  return withEngine(session, storage, createMemorySyncStore(), options);
}

/**
 * Enables sync on every device of one vault: the first creates the account (version 1 of its device list), each
 * other is put on the list by the first, as pairing does, then joins with that key.
 */
export async function enableAll(devices: TestDevice[], relayUrl: string): Promise<void> {
  const [first, ...rest] = devices;
  await first!.engine.enable({ relayUrl });
  for (const d of rest) await d.engine.enable({ relayUrl, deviceSeed: await addDevice(first!.engine) });
}

/** Puts a new device key on the account's list (signed by `by`), as pairing does; returns its seed. */
export async function addDevice(by: SyncEngine): Promise<Uint8Array> {
  const seed = newDeviceSeed();
  await by.exclusive(async () => {
    const conn = await by.connect();
    try {
      await changeList(by.replica, conn, { add: signingKeysFromSeed(seed).publicKey }, by.replica.device);
    } finally {
      conn.close();
    }
  });
  return seed;
}

export function withEngine(session: VaultSession, storage: VaultStorage, store: SyncStore, options: Partial<SyncEngineOptions> = {}): TestDevice {
  const changed: string[] = [];
  const engine = createSyncEngine({ session, store, onChange: (ids) => changed.push(...ids), ...options });
  return { session, engine, storage, store, changed };
}

/** A comparable picture of everything a device holds: catalog and every record's fields/content. */
export function picture(s: VaultSession): unknown {
  const entries = listCatalog(s.catalog).sort((a, b) => a.id.localeCompare(b.id));
  return entries.map((e) => {
    const doc = s.repo.open(recordRef(e.id, e.kind)).doc;
    return { id: e.id, kind: e.kind, title: e.title, fields: e.kind === 'conversation' ? s.conversations.all(e.id) : readFields(doc) };
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for something that will happen; the limit only ends a hung test (vitest's own is 300 s), it times nothing. */
export async function until(cond: () => boolean, timeoutMs = 60_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
