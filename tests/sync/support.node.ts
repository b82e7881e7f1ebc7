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

/** One vault key, `n` devices (memory storage), none enabled yet. */
export function memoryDevices(n: number, options: Partial<SyncEngineOptions> = {}): TestDevice[] {
  const first = createMemoryStorage();
  const { vault } = createVault(first, 'test passphrase');
  const key = vault.vaultKeyForWrap().slice();
  const out: TestDevice[] = [];
  for (let i = 0; i < n; i++) {
    const storage = i === 0 ? first : createMemoryStorage();
    if (i > 0) storage.writeHeader(first.readHeader()!);
    const session = new VaultSession(storage, i === 0 ? vault : new UnlockedVault(vault.vaultId, key.slice()));
    if (i === 0) session.catalog.getMap('meta').set('createdAt', 1);
    out.push(withEngine(session, storage, createMemorySyncStore(), options));
  }
  return out;
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
