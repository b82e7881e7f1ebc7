/**
 * What inbound.node.ts does once an item has passed its checks, each pinned by what a user (or a restart) would
 * see: an item from a device enrolled after the connection read the device list; an update that is not a valid
 * Yjs update; Yjs structs that wait for a dependency, across a restart (`reapplyHeld`); an asset's chunk and the
 * asset references of a record. Found by mutation testing (docs/testing.md, "sync inbound").
 */
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item } from '../../shared/sync/messages.std.ts';
import { writeFields } from '../../electron/core/docs/fields-doc.node.ts';
import { recordRef } from '../../electron/core/docs/ids.node.ts';
import { getAsset, putAsset } from '../../electron/core/docs/assets.node.ts';
import { randomBytes, toHex } from '../../electron/core/crypto/sodium.node.ts';
import { createSyncEngine } from '../../electron/core/sync/engine.node.ts';
import { chainHash, ZERO_HASH } from '../../electron/core/sync/format.node.ts';
import { assetRef } from '../../electron/core/sync/assets.node.ts';
import { keyFor, newKeyringBody } from '../../electron/core/sync/keyring.node.ts';
import { newDeviceSeed, signingKeysFromSeed } from '../../electron/core/sync/keys.node.ts';
import { Replica } from '../../electron/core/sync/replica.node.ts';
import { itemStatement } from '../../shared/sync/signing.std.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';
import { fieldsUpdate, forge } from './forge.node.ts';
import { close, deliver, fieldsOf, scene, Stage, storageOf, tipOf } from './inbound-scene.node.ts';
import { addDevice, enableAll, memoryDevices, until } from './support.node.ts';

let relay: TestRelay;
// One vault for the file's scenes, each scene on a relay of its own (inbound-scene.node.ts).
let stage: Stage;
beforeAll(async () => {
  relay = await startTestRelay();
  stage = new Stage();
});
afterAll(async () => {
  await relay?.close();
  await stage?.close();
});

const problemOf = (round: { problems: { serverSeq?: number; message: string }[] }, seq: number) => round.problems.find((p) => p.serverSeq === seq)?.message;

describe('inbound: applying what passed the checks', () => {
  it('an item pushed live by a device enrolled after the connection read the device list waits, the list is read again, and it applies', async () => {
    const [a, b, c] = memoryDevices(3, { idleMs: 200 });
    await enableAll([a!, b!], relay.url);
    b!.engine.watch();
    await until(() => b!.engine.status().state === 'watching', 60_000, 'watching');
    // C joins while B's connection stays open: B's list (read when it connected) does not name C.
    await c!.engine.enable({ relayUrl: relay.url, deviceSeed: await addDevice(a!.engine) });
    const id = c!.session.createRecord('character', 'From C', (doc) => writeFields(doc, { name: 'From C' }));
    await c!.engine.syncOnce();
    await until(() => b!.session.repo.exists(recordRef(id, 'character')), 60_000, 'C\'s record on B');
    expect(fieldsOf(b!, id)).toMatchObject({ name: 'From C' });
    expect(b!.store.quarantine()).toEqual([]);
    expect(b!.store.pending()).toEqual([]);
    await close([a!, b!, c!]);
  });

  it('a keyring entry sealed only to the recovery key is opened with it while restoring, and only then', async () => {
    const s = await scene(stage);
    const recovery = signingKeysFromSeed(newDeviceSeed());
    const entry = (epoch: number, key: Uint8Array) => (serverSeq: number): Item => {
      const r = s.a.engine.replica;
      const body = newKeyringBody(r.keys.accountId, epoch, key, [recovery.publicKey]);
      const fields = { kind: 'update' as const, accountId: r.keys.accountId, docId: r.keys.keyringDocId, deviceId: r.device.publicKey, deviceSeq: 900 + serverSeq, body, covers: [] };
      return { kind: 'update', serverSeq, docId: fields.docId, deviceId: fields.deviceId, deviceSeq: fields.deviceSeq, body, covers: [], sig: r.device.sign(itemStatement(fields)) as Uint8Array };
    };
    const [k1, k2] = [randomBytes(32), randomBytes(32)];
    expect((await deliver(s, [entry(71, k1)])).round.problems).toEqual([]);
    expect(keyFor(s.b.engine.replica, 71)).toBeNull();
    s.b.engine.replica.extraRecipients.push(recovery);
    expect((await deliver(s, [entry(72, k2)])).round.problems).toEqual([]);
    expect(toHex(keyFor(s.b.engine.replica, 72) ?? new Uint8Array())).toBe(toHex(k2));
    await close([s.a, s.b]);
  });

  it('an update that is not a valid Yjs update is refused naming the record, for a known and for a new document; the new one is not stored; a valid one applies', async () => {
    const s = await scene(stage);
    const docId = s.docOf(s.target);
    const tip = tipOf(s, docId);
    const doc = s.a.session.record(s.target, 'character').doc;
    const valid = fieldsUpdate(doc, { control: 'a valid update' });
    const broken = valid.subarray(0, valid.length - 3);
    const newStorage = randomBytes(16);
    const newDoc = s.a.engine.replica.keys.relayDocId({ kind: 'character', storageId: newStorage });
    const update = (target: Uint8Array, storageId: Uint8Array, docSeq: number, prevHash: Uint8Array, payload: Uint8Array) => (serverSeq: number) =>
      forge({ by: s.a.engine.replica, docId: target, kind: 'update', deviceSeq: 900 + serverSeq, serverSeq, inner: { storageId, docSeq, prevHash, payload } });
    const { round, serverSeqs } = await deliver(s, [
      update(docId, storageOf(s.target), tip.docSeq + 1, tip.hash, broken),
      update(newDoc, newStorage, 1, ZERO_HASH, broken),
      update(docId, storageOf(s.target), tip.docSeq + 1, tip.hash, valid),
    ]);
    expect(round.problems.find((p) => p.serverSeq === serverSeqs[0])).toMatchObject({ recordId: s.target, message: expect.stringMatching(/not a valid document update/) });
    expect(problemOf(round, serverSeqs[1]!)).toMatch(/not a valid document update/);
    expect(problemOf(round, serverSeqs[2]!)).toBeUndefined();
    expect(s.b.storage.docIds().map(toHex)).not.toContain(toHex(newStorage));
    expect(fieldsOf(s.b, s.target)).toMatchObject({ control: 'a valid update' });
    await close([s.a, s.b]);
  });

  it('Yjs structs waiting for a dependency are kept across a restart and applied when the dependency arrives', async () => {
    const s = await scene(stage);
    const docId = s.docOf(s.target);
    const tip = tipOf(s, docId);
    // Two changes by one Yjs client: the second depends on the first.
    const clone = new Y.Doc();
    Y.applyUpdate(clone, Y.encodeStateAsUpdate(s.a.session.record(s.target, 'character').doc));
    const sv0 = Y.encodeStateVector(clone);
    writeFields(clone, { first: 1, gone: 1 });
    const first = Y.encodeStateAsUpdate(clone, sv0);
    const sv1 = Y.encodeStateVector(clone);
    clone.getMap('fields').delete('gone');
    const deletion = Y.encodeStateAsUpdate(clone, sv1); // a delete set only
    writeFields(clone, { second: 2 });
    const second = Y.encodeStateAsUpdate(clone, sv1);

    // The chain carries the later changes first (a device's chain orders items, not Yjs dependencies): a deletion
    // of what B has not received (Yjs holds a delete set alone), then a change on top of it (structs too).
    const by = s.a.engine.replica;
    const item = (docSeq: number, prevHash: Uint8Array, payload: Uint8Array) => (serverSeq: number) =>
      forge({ by, docId, kind: 'update', deviceSeq: 900 + serverSeq, serverSeq, inner: { storageId: storageOf(s.target), docSeq, prevHash, payload } });
    let carried: Item | undefined;
    const r0 = await deliver(s, [(serverSeq) => (carried = item(tip.docSeq + 1, tip.hash, deletion)(serverSeq))]);
    expect(r0.round.problems).toEqual([]);
    const r1 = await deliver(s, [(serverSeq) => (carried = item(tip.docSeq + 2, chainHash(by.keys.accountId, carried!), second)(serverSeq))]);
    expect(r1.round.problems).toEqual([]);
    expect(fieldsOf(s.b, s.target)['second']).toBeUndefined();

    // A restart: the engine and every open document are gone; only the vault and the sync store remain.
    await s.b.engine.close();
    s.b.session.repo.close();
    s.b.engine = createSyncEngine({ session: s.b.session, store: s.b.store, socket: s.hostile.socket });
    const r2 = await deliver(s, [item(tip.docSeq + 3, chainHash(by.keys.accountId, carried!), first)]);
    expect(r2.round.problems).toEqual([]);
    expect(fieldsOf(s.b, s.target)).toMatchObject({ first: 1, second: 2 });
    expect(fieldsOf(s.b, s.target)['gone']).toBeUndefined();
    await close([s.a, s.b]);
  });

  it('an asset\'s chunk is counted and its chain stored with the round; a record\'s asset references are remembered, so replacing its avatar elsewhere deletes the old asset', async () => {
    const [a, b] = memoryDevices(2);
    await enableAll([a!, b!], relay.url);
    const id = a!.session.createRecord('character', 'Avatar', (doc) => writeFields(doc, { name: 'Avatar' }));
    await a!.engine.syncOnce();
    await b!.engine.syncOnce();
    const bytes = randomBytes(300);
    const old = putAsset(a!.session, { mime: 'image/png', bytes });
    writeFields(a!.session.record(id, 'character').doc, { avatar_asset: old });
    await a!.engine.syncOnce();
    // One update of the record, one chunk of the asset.
    expect(await b!.engine.syncOnce()).toMatchObject({ down: 2, problems: [] });
    expect(toHex(getAsset(b!.session, old).bytes)).toBe(toHex(bytes));
    const assetDoc = b!.engine.replica.keys.relayDocId(assetRef(old));
    expect(new Replica(b!.session, b!.store).state.doc(assetDoc)?.chains.size).toBe(1);

    // B replaces the avatar: B knows (from what it received) that the record referenced the old asset.
    const now = putAsset(b!.session, { mime: 'image/png', bytes: randomBytes(200) });
    writeFields(b!.session.record(id, 'character').doc, { avatar_asset: now });
    await b!.engine.syncOnce();
    expect(await a!.engine.syncOnce()).toMatchObject({ problems: [] });
    expect(getAsset(a!.session, now).bytes.length).toBe(200);
    expect(() => getAsset(a!.session, old)).toThrow(expect.objectContaining({ code: 'not_found' }));
    await close([a!, b!]);
  });
});
