/**
 * Initial sync through the client sync engine (electron/core/sync, docs/sync-client.md): real vaults on real SQLite
 * files, the real relay process, nothing bypassed.
 *
 *   Device A: a vault whose 1,000 conversations hold the benchmark's documents (the same Yjs states y-websocket
 *   moves), written through the session and compacted as the app stores them; sync enabled; one round uploads it.
 *   Device B: a new data folder holding the same vault key and nothing else — what pairing hands over, and how the
 *   engine's own tests make paired devices (tests/sync/support.node.ts); the key transfer itself is not timed.
 *   B's clock: enable (enroll, authenticate, pin the relay key) + one round (pull, verify signatures and hash chains,
 *   decrypt, apply, write B's encrypted store), then every conversation is checked outside the clock. Each call of
 *   newDevice() is a fresh device; the caller alternates them with y-websocket's and takes the best of each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import { callFor } from '../../../electron/core/cli/context.node.ts';
import { openCore } from '../../../electron/core/core.node.ts';
import { listCatalog } from '../../../electron/core/docs/catalog.node.ts';
import { messageCount } from '../../../electron/core/docs/conversation-doc.node.ts';
import { openSession, VaultSession } from '../../../electron/core/session.node.ts';
import { openDb } from '../../../electron/core/store/db.node.ts';
import { createSqliteStorage } from '../../../electron/core/store/sqlite-storage.node.ts';
import { addDevice } from '../../sync/support.node.ts';
import { createSyncEngine } from '../../../electron/core/sync/engine.node.ts';
import { openSqliteSyncStore } from '../../../electron/core/sync/sqlite-store.node.ts';
import { UnlockedVault, unlockVault } from '../../../electron/core/vault/vault.node.ts';
import { MESSAGES_PER_CONVERSATION } from './dataset.node.ts';
import { memoryOf, startMindstageRelay } from './processes.node.ts';

const PASS = 'benchmark passphrase';

export interface EngineSide {
  /** A's first round: reconcile, seal, sign and upload the whole vault. */
  uploadMs: number;
  uploaded: number;
  /** One new device B: enable + first round, checked afterwards; returns its time. */
  newDevice: () => Promise<number>;
  serverMB: () => number;
  stop: () => Promise<void>;
}

export async function engineSide(states: Uint8Array[]): Promise<EngineSide> {
  const root = mkdtempSync(join(tmpdir(), 'ms-bench-engine-'));
  const closers: (() => void | Promise<void>)[] = [];
  const stop = async () => {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch {
        // best effort: the folder is removed next
      }
    }
    closers.length = 0;
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const relay = await startMindstageRelay(join(root, 'relay'));
    closers.push(() => relay.stop());

    // ---- device A: a vault with the documents, on disk --------------------------------------------------------
    const dirA = join(root, 'a');
    const core = await openCore({ dataDir: dirA });
    await callFor(core)('vault.create', { passphrase: PASS });
    await core.close();
    const dbA = openDb(dirA, { create: false });
    closers.push(() => void dbA.close());
    const storageA = createSqliteStorage(dbA);
    const vaultA = unlockVault(storageA, PASS);
    const key = vaultA.vaultKeyForWrap().slice();
    const sessionA = openSession(storageA, vaultA);
    closers.push(() => sessionA.close());
    storageA.transaction(() => {
      states.forEach((state, c) => sessionA.createRecord('conversation', `Conversation ${c}`, (doc) => Y.applyUpdate(doc, state)));
    });
    sessionA.repo.compactAll();

    const engineA = createSyncEngine({ session: sessionA, store: openSqliteSyncStore(dirA) });
    closers.push(() => engineA.close());
    await engineA.enable({ relayUrl: relay.url });
    const t = performance.now();
    const up = await engineA.syncOnce();
    const uploadMs = performance.now() - t;
    if (up.problems.length) throw new Error(`device A: ${up.problems.map((p) => p.message).join('; ')}`);

    // ---- a new device: same vault key, empty folder ----------------------------------------------------------
    let devices = 0;
    const newDevice = async (): Promise<number> => {
      const dirB = join(root, `b${devices++}`);
      const dbB = openDb(dirB, { create: true });
      const storageB = createSqliteStorage(dbB);
      storageB.writeHeader(storageA.readHeader()!);
      const sessionB = new VaultSession(storageB, new UnlockedVault(vaultA.vaultId, key.slice()));
      const engineB = createSyncEngine({ session: sessionB, store: openSqliteSyncStore(dirB) });
      try {
        // A's device list names B's key first (pairing's step; not timed, like the key transfer).
        const deviceSeed = await addDevice(engineA);
        const t0 = performance.now();
        await engineB.enable({ relayUrl: relay.url, deviceSeed });
        const down = await engineB.syncOnce();
        const ms = performance.now() - t0;
        if (down.problems.length || down.pending || down.quarantined) throw new Error(`device B: ${JSON.stringify({ ...down, problems: down.problems.slice(0, 3) })}`);
        const entries = listCatalog(sessionB.catalog).filter((e) => e.kind === 'conversation');
        const messages = entries.reduce((n, e) => n + messageCount(sessionB.record(e.id, 'conversation').doc), 0);
        if (entries.length !== states.length || messages !== states.length * MESSAGES_PER_CONVERSATION) {
          throw new Error(`device B holds ${entries.length} conversations / ${messages} messages after its first sync, expected ${states.length} / ${states.length * MESSAGES_PER_CONVERSATION}`);
        }
        return ms;
      } finally {
        await engineB.close();
        sessionB.close();
        dbB.close();
        rmSync(dirB, { recursive: true, force: true });
      }
    };
    return { uploadMs, uploaded: up.up, newDevice, serverMB: () => memoryOf(relay.pid).peakMB, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
