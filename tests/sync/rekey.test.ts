/**
 * Issue 13: removing a device replaces every key it knew (docs/decisions.md #16). Through a relay process and real
 * data folders:
 * - after a removal, nothing written on the remaining devices — their vault files, their sync state, the relay's
 *   items — opens with any key the removed device ever held: every key in its folder (opened with its passphrase)
 *   and every key derivable from those; none of the new keys, the new records' ids or their content appear in its
 *   folder;
 * - recovery with the recovery key (in place, and from the relay onto a new folder) still works after several
 *   removals and rotations, and reads what was written after each;
 * - an account whose devices were removed by an earlier version (content keys rotated, vault keys not) is
 *   migrated: every device moves to a new vault key on its next sync.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayConnection } from '../../shared/sync/client.std.ts';
import { docKindCodes, openEnvelope, type DocKind } from '../../electron/core/crypto/envelope.node.ts';
import { aeadSeal, deriveKek, newKdfParams, randomBytes, subkeyIds, type SubkeyPurpose } from '../../electron/core/crypto/sodium.node.ts';
import { VaultSession } from '../../electron/core/session.node.ts';
import { openDb } from '../../electron/core/store/db.node.ts';
import { createSqliteStorage } from '../../electron/core/store/sqlite-storage.node.ts';
import type { VaultStorage } from '../../electron/core/store/storage.node.ts';
import { changeList } from '../../electron/core/sync/devices.node.ts';
import { bodyEpoch, openBody } from '../../electron/core/sync/format.node.ts';
import { epochs, rotate } from '../../electron/core/sync/keyring.node.ts';
import { signingKeysFromSeed } from '../../electron/core/sync/keys.node.ts';
import { encodeOutboxItem } from '../../electron/core/sync/outbox.node.ts';
import { uploadOutbox } from '../../electron/core/sync/upload.node.ts';
import { LocalSealer } from '../../electron/core/sync/local-state.node.ts';
import { Replica } from '../../electron/core/sync/replica.node.ts';
import { recoveryRecipientFor } from '../../electron/core/sync/rotation.node.ts';
import { openSqliteSyncStore } from '../../electron/core/sync/sqlite-store.node.ts';
import { decodeHeader, encodeHeader, passphraseWrapAd, recoveryWrapAd } from '../../electron/core/vault/header.node.ts';
import { encodeRecoveryCode } from '../../electron/core/vault/recovery-code.node.ts';
import { unlockVault } from '../../electron/core/vault/vault.node.ts';
import { spawnRelay, type RelayProcess } from '../support/relay-client.node.ts';
import { tempDir } from '../support/files.node.ts';
import { firstDevice, openDevice, pairedDevice, PASS, refusal, type CoreDevice } from './core-support.node.ts';
import { withEngine } from './support.node.ts';

const PAIRED = 'another passphrase';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** A closed device's folder, opened offline with its passphrase: its vault, its sync state and every key in them. */
interface Opened {
  storage: VaultStorage;
  replica: Replica;
  close(): void;
}

function openFolder(dir: string, passphrase: string): Opened {
  const db = openDb(dir, { create: false });
  const storage = createSqliteStorage(db);
  const session = new VaultSession(storage, unlockVault(storage, passphrase));
  const store = openSqliteSyncStore(dir);
  const replica = new Replica(session, store);
  return {
    storage,
    replica,
    close: () => {
      session.vault.lock();
      try {
        store.close();
      } catch {
        // already closed by an engine
      }
      db.close();
    },
  };
}

/** Every key a folder holds or derives: each vault generation and its subkeys, sync keys, epochs, device and account keys. */
function everyKey(o: Opened): Uint8Array[] {
  const v = o.replica.session.vault;
  const r = o.replica;
  const out: Uint8Array[] = [];
  for (const [g, k] of v.generations()) {
    out.push(k, v.localKey(g));
    for (const p of Object.keys(subkeyIds) as SubkeyPurpose[]) out.push(p === 'localStore' ? v.localKey(g) : v.subkey(p));
  }
  out.push(...r.keys.localKeys(), r.keys.docIdKey, r.keys.epochZero, r.keys.account.secretKey.subarray(0, 32), ...epochs(r).keys.values());
  if (r.enabled) out.push(r.config.deviceSeed);
  return out.map((k) => k.slice());
}

/** Every envelope in a vault file, with what it is bound to except the kind (not stored in the clear). */
function envelopes(storage: VaultStorage): { docId: Uint8Array; part: 'head' | 'snapshot' | 'update' | 'asset'; seq: number; body: Uint8Array }[] {
  const out: ReturnType<typeof envelopes> = [];
  for (const docId of storage.docIds()) {
    const d = storage.readDoc(docId);
    if (d.head) out.push({ docId, part: 'head', seq: 0, body: d.head });
    if (d.snapshot) out.push({ docId, part: 'snapshot', seq: d.snapshot.seq, body: d.snapshot.body });
    for (const u of d.updates) out.push({ docId, part: 'update', seq: u.seq, body: u.body });
  }
  return out;
}

/** Whether the envelope opens under `key` as generation `generation`, for any kind. */
function opensWith(o: Opened, e: ReturnType<typeof envelopes>[number], key: Uint8Array): boolean {
  const gen = e.body[0] === 2 ? Buffer.from(e.body).readUInt32BE(1) : 0;
  for (const kind of Object.keys(docKindCodes) as DocKind[]) {
    try {
      openEnvelope({ generation: gen, key: () => key }, e.body, { vaultId: o.replica.session.vault.vaultId, docId: e.docId, kind, part: e.part, seq: e.seq }, 'x');
      return true;
    } catch {
      // wrong kind or wrong key
    }
  }
  return false;
}

async function deviceId(d: CoreDevice): Promise<string> {
  return (await d.call('devices.list', {})).find((x) => x.thisDevice)!.deviceId;
}

describe('removing a device replaces every key it knew (relay process)', () => {
  let relay: RelayProcess;
  beforeAll(async () => {
    relay = await spawnRelay(['--data', tempDir('rekey-relay'), '--log-level', 'info']);
  });
  afterAll(async () => {
    relay?.child.kill('SIGKILL');
    await relay?.exited;
  });

  it('nothing written after the removal opens with anything in the removed device\'s folder', async () => {
    const a = await firstDevice(relay.url, { recovery: true });
    await a.call('character.create', { name: 'Before the removal' });
    const b = await pairedDevice(a, relay.url);
    const c = await pairedDevice(a, relay.url);
    await b.call('sync.now', {});
    await c.call('sync.now', {});
    const generationBefore = { a: decodeHeader(readHeaderOf(a.dir)).generation!, c: decodeHeader(readHeaderOf(c.dir)).generation! };
    // A paired device starts on a vault key of its own, never the root key the others share.
    expect(generationBefore.c).toBe(1);
    await a.call('devices.remove', { deviceId: await deviceId(b) });
    await c.call('sync.now', {});
    const CANARY_A = 'written-on-a-after-removal-5d1e';
    const CANARY_C = 'written-on-c-after-removal-88b2';
    const { id: idA } = await a.call('character.create', { name: CANARY_A });
    const { id: idC } = await c.call('character.create', { name: CANARY_C });
    await a.call('sync.now', {});
    await c.call('sync.now', {});
    await a.call('sync.now', {});
    expect((await c.call('character.get', { id: idA })).name).toBe(CANARY_A);
    for (const d of [a, b, c]) await d.core.close();

    // Everything the removed device holds: its whole folder, opened with its passphrase, and what derives from it.
    const gone = openFolder(b.dir, PAIRED);
    const held = everyKey(gone);
    const goneFiles = filesUnder(b.dir).map((f) => readFileSync(f));
    gone.close();
    const heldHex = new Set(held.map(hex));

    for (const [d, pass, before] of [[a, PASS, generationBefore.a], [c, PAIRED, generationBefore.c]] as const) {
      const o = openFolder(d.dir, pass);
      const v = o.replica.session.vault;
      // Each remaining device moved to a newer vault key of its own, which the removed device never held.
      expect(v.generation).toBeGreaterThan(before);
      const fresh = [v.generations().get(v.generation)!, v.localKey(v.generation), o.replica.keys.local, epochs(o.replica).keys.get(epochs(o.replica).current)!];
      for (const k of fresh) {
        expect(heldHex.has(hex(k))).toBe(false);
        for (const f of goneFiles) expect(f.includes(Buffer.from(k))).toBe(false);
      }
      // Its vault file: every row sealed since the rotation opens with its own key and with nothing the removed
      // device holds (tried as every kind, so the binding is right for the control and for the attempt).
      const rows = envelopes(o.storage).filter((e) => e.body[0] === 2 && Buffer.from(e.body).readUInt32BE(1) === v.generation);
      expect(rows.length).toBeGreaterThan(0);
      for (const e of rows) {
        expect(opensWith(o, e, v.localKey(v.generation))).toBe(true);
        for (const k of held) expect(opensWith(o, e, k)).toBe(false);
      }
      // Its sync state's keys — the content epochs (the new one included) and this device's own key — likewise.
      const sealedEpochs = o.replica.store.getMeta('epochs')!;
      expect(o.replica.state.sealer.openJson<{ current: number }>('meta', 'epochs', sealedEpochs).current).toBeGreaterThan(0);
      for (const what of ['epochs', 'config']) {
        const sealed = o.replica.store.getMeta(what)!;
        expect(() => o.replica.state.sealer.open('meta', what, sealed)).not.toThrow();
        for (const k of held) expect(() => new LocalSealer({ local: k, localKeys: () => [k] }, v.vaultId).open('meta', what, sealed)).toThrow(/integrity/);
      }
      o.close();
    }

    // The relay's items written after the removal (a later epoch) open with the remaining devices' keys only.
    const o = openFolder(a.dir, PASS);
    const r = o.replica;
    const conn = await RelayConnection.connect(relay.url);
    await conn.authenticate({ accountId: r.keys.accountId, deviceId: r.device.publicKey, sign: signingKeysFromSeed(r.config.deviceSeed).sign });
    const { items } = await conn.pullAll(0);
    conn.close();
    const later = items.filter((i) => i.body && (bodyEpoch(i.body) ?? 0) > 0);
    expect(later.length).toBeGreaterThan(0);
    for (const i of later) {
      const item = { ...i, body: i.body!, covers: i.covers, sig: i.sig };
      expect(openBody((n) => epochs(r).keys.get(n) ?? null, r.keys.accountId, item)).toMatchObject({ ok: true });
      for (const k of held) expect(openBody(() => k, r.keys.accountId, item)).toMatchObject({ ok: false });
    }
    o.close();
    // Nor does the removed device's folder hold the new records' content or ids (which would let it name them).
    for (const f of goneFiles) {
      for (const s of [CANARY_A, CANARY_C, idA, idC]) expect(f.includes(Buffer.from(s))).toBe(false);
      for (const id of [idA, idC]) expect(f.includes(Buffer.from(id, 'hex'))).toBe(false);
    }
  });

  it('recovery with the recovery key works after several removals and rotations, in place and from the relay', async () => {
    const a = await firstDevice(relay.url, { recovery: true });
    const b = await pairedDevice(a, relay.url);
    const c = await pairedDevice(a, relay.url);
    const d = await pairedDevice(a, relay.url);
    const names: { id: string; name: string }[] = [];
    const write = async (on: CoreDevice, name: string) => {
      const { id } = await on.call('character.create', { name });
      names.push({ id, name });
      await on.call('sync.now', {});
    };
    await write(a, 'before any removal');
    await a.call('devices.remove', { deviceId: await deviceId(b) });
    await write(a, 'after the first removal');
    await d.call('sync.now', {});
    // The second removal is made by another device, which has moved to its own new key meanwhile.
    await d.call('devices.remove', { deviceId: await deviceId(c) });
    await write(d, 'after the second removal');
    await a.call('sync.now', {});
    await write(a, 'after both');
    await d.call('sync.now', {});
    for (const x of [a, b, c, d]) await x.core.close();
    expect(decodeHeader(readHeaderOf(a.dir)).generation).toBe(2);
    expect(decodeHeader(readHeaderOf(d.dir)).generation).toBe(3);

    // In place: the recovery key opens each remaining device's newest key and every older one.
    for (const dir of [a.dir, d.dir]) {
      const x = await openDevice(dir);
      await x.call('vault.recover', { recoveryKey: a.recoveryKey, newPassphrase: 'recovered in place' });
      for (const n of names) expect((await x.call('character.get', { id: n.id })).name).toBe(n.name);
      await x.call('vault.lock', {});
      await x.call('vault.unlock', { passphrase: 'recovered in place' });
      expect((await x.call('sync.now', {})).problems).toEqual([]);
      await x.core.close();
    }
    // From the relay onto a new folder: everything, including what was written after both removals.
    const r = await openDevice();
    const restored = await r.call('vault.recoverFromRelay', { recoveryKey: a.recoveryKey, relayUrl: relay.url, newPassphrase: 'restored' });
    expect(restored.round.problems).toEqual([]);
    for (const n of names) expect((await r.call('character.get', { id: n.id })).name).toBe(n.name);
    await r.core.close();
    // The restored device has a key of its own too, and the recovery key opens it.
    const h = decodeHeader(readHeaderOf(r.dir));
    expect(h.generation).toBeGreaterThan(0);
    const again = await openDevice(r.dir);
    await again.call('vault.recover', { recoveryKey: a.recoveryKey, newPassphrase: 'restored again' });
    for (const n of names) expect((await again.call('character.get', { id: n.id })).name).toBe(n.name);
    await again.core.close();
  });

  it('a vault from before recovery recipients: removal makes a new recovery key, shown once, that opens every remaining device', async () => {
    const a = await firstDevice(relay.url);
    await a.core.close();
    const oldRecovery = randomBytes(32);
    makeLegacyHeader(a.dir, PASS, oldRecovery);
    const a2 = await openDevice(a.dir);
    await a2.call('vault.unlock', { passphrase: PASS });
    const { id } = await a2.call('character.create', { name: 'Kept through it all' });
    const b = await pairedDevice(a2, relay.url);
    const c = await pairedDevice(a2, relay.url);
    // Paired from a vault that knows no recipient: they keep the root key and the old wrapping, as before.
    expect(decodeHeader(readHeaderOf(b.dir)).generation).toBe(0);
    const removed = await a2.call('devices.remove', { deviceId: await deviceId(b) });
    expect(removed.recoveryKey).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{1,4})+$/);
    await c.call('sync.now', {});
    const { id: after } = await a2.call('character.create', { name: 'After the removal' });
    await a2.call('sync.now', {});
    await c.call('sync.now', {});
    for (const x of [a2, b, c]) await x.core.close();
    for (const [dir, gen] of [[a.dir, 1], [c.dir, 1]] as const) {
      expect(decodeHeader(readHeaderOf(dir)).generation).toBe(gen);
      const x = await openDevice(dir);
      // The old recovery key cannot open the new vault keys; the new one, shown once, opens everything.
      expect(await refusal(x.call('vault.recover', { recoveryKey: encodeRecoveryCode(oldRecovery), newPassphrase: 'old key passphrase' }))).toMatchObject({ code: 'wrong_secret' });
      await x.call('vault.recover', { recoveryKey: removed.recoveryKey!, newPassphrase: 'new key passphrase' });
      expect((await x.call('character.get', { id })).name).toBe('Kept through it all');
      expect((await x.call('character.get', { id: after })).name).toBe('After the removal');
      await x.core.close();
    }
  });

  it('migrates an account whose device was removed by an earlier version: each device moves to a new vault key', async () => {
    const a = await firstDevice(relay.url, { recovery: true });
    const b = await pairedDevice(a, relay.url);
    const c = await pairedDevice(a, relay.url);
    const bId = await deviceId(b);
    for (const x of [a, b, c]) await x.core.close();
    // The earlier version's removal, on A's folder: the list version without B and a new content epoch — no vault key.
    const o = openFolder(a.dir, PASS);
    const dev = withEngine(o.replica.session, o.storage, o.replica.store);
    await dev.engine.exclusive(async () => {
      const conn = await dev.engine.connect();
      const r = dev.engine.replica;
      await changeList(r, conn, { remove: Buffer.from(bId, 'hex') }, r.device);
      const { body } = rotate(r, [...[...r.devices.values()].filter((x) => x.revokedAt === null).map((x) => x.deviceId), recoveryRecipientFor(r)!]);
      r.store.transaction(() => {
        const seq = r.state.lastSeq + 1;
        r.store.addOutbox(seq, encodeOutboxItem({ kind: 'update', docId: r.keys.keyringDocId, deviceSeq: seq, body, covers: [] }));
        r.state.lastSeq = seq;
      });
      await uploadOutbox(r, conn);
      conn.close();
    });
    expect(o.replica.session.vault.generation).toBe(0);
    await dev.engine.close();
    o.close();
    // The new version, on its next sync, moves each remaining device to a vault key of its own.
    for (const [dir, pass, before] of [[a.dir, PASS, 0], [c.dir, PAIRED, 1]] as const) {
      const x = await openDevice(dir);
      await x.call('vault.unlock', { passphrase: pass });
      expect((await x.call('sync.now', {})).problems).toEqual([]);
      await x.core.close();
      expect(decodeHeader(readHeaderOf(dir)).generation).toBe(before + 1);
    }
  });
});

/** Rewrites a closed device's header as the previous release wrote it: version 1, wrapped under the recovery key itself. */
function makeLegacyHeader(dir: string, passphrase: string, recovery: Uint8Array): void {
  const db = openDb(dir, { create: false });
  try {
    const storage = createSqliteStorage(db);
    const vault = unlockVault(storage, passphrase);
    const root = vault.vaultKeyForWrap();
    expect(vault.generation).toBe(0);
    const kdf = newKdfParams();
    const kek = deriveKek(passphrase, kdf);
    const h = decodeHeader(storage.readHeader()!);
    storage.writeHeader(encodeHeader({ vaultId: h.vaultId, createdAt: h.createdAt, kdf, wrappedByPassphrase: aeadSeal(kek, root, passphraseWrapAd(h.vaultId, kdf)), wrappedByRecovery: aeadSeal(recovery, root, recoveryWrapAd(h.vaultId)) }));
    expect(JSON.parse(storage.readHeader()!).version).toBe(1);
    vault.lock();
  } finally {
    db.close();
  }
}

function readHeaderOf(dir: string): string {
  const db = openDb(dir, { create: false });
  try {
    return createSqliteStorage(db).readHeader()!;
  } finally {
    db.close();
  }
}
