/**
 * The inbound checks that only a device key can reach. A hostile relay cannot get past the signature and the AEAD,
 * so these items are forged with a device's REAL keys (sealed under its content key, signed by its device key) and
 * slipped into another device's pull in place of an honest item. Each test also delivers a control: the same forgery
 * without the defect, which IS applied — so what refuses the bad one is the check under test, not a broken forgery.
 * docs/testing.md lists which protection each test pins.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item } from '../../shared/sync/messages.std.ts';
import { listCatalog } from '../../electron/core/docs/catalog.node.ts';
import { randomBytes, toHex } from '../../electron/core/crypto/sodium.node.ts';
import { removeDevice } from '../../electron/core/sync/devices.node.ts';
import { ZERO_HASH } from '../../electron/core/sync/format.node.ts';
import { contentKey, keyFor, newKeyringBody } from '../../electron/core/sync/keyring.node.ts';
import { Replica } from '../../electron/core/sync/replica.node.ts';
import { itemStatement } from '../../shared/sync/signing.std.ts';
import { fieldsUpdate, forge } from './forge.node.ts';
import { close, deliver, fieldsOf, scene, Stage, storageOf, tipOf } from './inbound-scene.node.ts';
import type { TestDevice } from './support.node.ts';

// One vault for the file's scenes, each scene on a relay of its own (inbound-scene.node.ts).
let stage: Stage;
beforeAll(() => {
  stage = new Stage();
});
afterAll(async () => {
  await stage?.close();
});

describe('inbound checks past the signature and the AEAD (forged with a device\'s real keys)', () => {
  it('hash chain: the next item of a device that names another prevHash is refused naming the record; one that continues the chain applies', async () => {
    const s = await scene(stage);
    const tip = tipOf(s, s.docOf(s.target));
    const doc = s.a.session.record(s.target, 'character').doc;
    const next = (prevHash: Uint8Array, fields: Record<string, unknown>) => (serverSeq: number) =>
      forge({ by: s.a.engine.replica, docId: s.docOf(s.target), kind: 'update', deviceSeq: 900 + serverSeq, serverSeq, inner: { storageId: storageOf(s.target), docSeq: tip.docSeq + 1, prevHash, payload: fieldsUpdate(doc, fields) } });
    const { round, serverSeqs } = await deliver(s, [next(randomBytes(32), { forged: 'off the chain' }), next(tip.hash, { control: 'on the chain' })]);
    const refused = round.problems.filter((p) => p.serverSeq === serverSeqs[0]);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]).toMatchObject({ code: 'integrity', recordId: s.target, message: expect.stringMatching(/hash chain/) });
    expect(fieldsOf(s.b, s.target)).toMatchObject({ control: 'on the chain' });
    expect(fieldsOf(s.b, s.target)['forged']).toBeUndefined();
    await close([s.a, s.b]);
  });

  it('document binding: an item sealed and signed for one relay document but naming another record inside is refused; both records stay intact', async () => {
    const s = await scene(stage);
    const doc = s.a.session.record(s.target, 'character').doc;
    const unseen = randomBytes(32); // a relay document B never met
    const otherTip = tipOf(s, s.docOf(s.other));
    const targetTip = tipOf(s, s.docOf(s.target));
    const item = (docId: Uint8Array, tip: { docSeq: number; hash: Uint8Array }, fields: Record<string, unknown>) => (serverSeq: number) =>
      forge({ by: s.a.engine.replica, docId, kind: 'update', deviceSeq: 900 + serverSeq, serverSeq, inner: { storageId: storageOf(s.target), docSeq: tip.docSeq + 1, prevHash: tip.hash, payload: fieldsUpdate(doc, fields) } });
    const { round, serverSeqs } = await deliver(s, [
      item(unseen, { docSeq: 0, hash: ZERO_HASH }, { forged: 'filed under a new relay document' }),
      item(s.docOf(s.other), otherTip, { forged: 'filed under Other' }),
      item(s.docOf(s.target), targetTip, { control: 'filed where it belongs' }),
    ]);
    const why = (seq: number) => round.problems.find((p) => p.serverSeq === seq)?.message;
    expect(why(serverSeqs[0]!)).toMatch(/not the document it was filed under/);
    expect(why(serverSeqs[1]!)).toMatch(/not the document it was filed under|different local document/);
    expect(round.problems.find((p) => p.serverSeq === serverSeqs[1])?.recordId).toBe(s.other);
    expect(fieldsOf(s.b, s.target)).toMatchObject({ control: 'filed where it belongs' });
    expect(fieldsOf(s.b, s.target)['forged']).toBeUndefined();
    expect(fieldsOf(s.b, s.other)).toEqual({ name: 'Other' });
    await close([s.a, s.b]);
  });

  it('tombstone signature: a tombstone the device signed for one record, re-filed under another, is refused and deletes nothing; the genuine one applies', async () => {
    const s = await scene(stage);
    const tomb = (docId: Uint8Array, filedUnder: Uint8Array) => (serverSeq: number) => ({ ...forge({ by: s.a.engine.replica, docId, kind: 'tombstone', deviceSeq: 900 + serverSeq, serverSeq }), docId: filedUnder });
    const { round, serverSeqs } = await deliver(s, [tomb(s.docOf(s.other), s.docOf(s.target)), tomb(s.docOf(s.other), s.docOf(s.other))]);
    expect(round.problems.find((p) => p.serverSeq === serverSeqs[0])?.message).toMatch(/signature does not verify/);
    const ids = listCatalog(s.b.session.catalog).map((e) => e.id);
    expect(ids).toContain(s.target);
    expect(fieldsOf(s.b, s.target)).toMatchObject({ name: 'Target', step: 1 });
    expect(ids).not.toContain(s.other);
    await close([s.a, s.b]);
  });

  it('snapshot covers: a snapshot whose prune ranges differ from the heads it contains is refused (every way they can differ); an agreeing one applies', async () => {
    const s = await scene(stage);
    const docId = s.docOf(s.target);
    const tip = tipOf(s, docId);
    const doc = s.a.session.record(s.target, 'character').doc;
    const a = s.a.engine.replica.device.publicKey;
    const right = { deviceId: a, from: 1, to: tip.deviceSeq };
    const snap = (covers: Item['covers'], fields: Record<string, unknown>) => (serverSeq: number) =>
      forge({ by: s.a.engine.replica, docId, kind: 'snapshot', deviceSeq: 900 + serverSeq, serverSeq, covers, inner: { storageId: storageOf(s.target), docSeq: tip.docSeq + 1, prevHash: tip.hash, heads: [tip], payload: fieldsUpdate(doc, fields, true) } });
    const wrong: Item['covers'][] = [
      [],
      [right, { deviceId: s.b.engine.replica.device.publicKey, from: 1, to: 1 }],
      [{ ...right, to: tip.deviceSeq + 50 }],
      [{ ...right, from: 2 }],
      [{ ...right, deviceId: s.b.engine.replica.device.publicKey }],
    ];
    const { round, serverSeqs } = await deliver(s, [...wrong.map((c, k) => snap(c, { forged: `covers ${k}` })), snap([right], { control: 'covers agree' })]);
    for (const seq of serverSeqs.slice(0, wrong.length)) expect(round.problems.find((p) => p.serverSeq === seq)?.message).toMatch(/ranges it asks the relay to prune differ/);
    expect(fieldsOf(s.b, s.target)).toMatchObject({ control: 'covers agree' });
    expect(fieldsOf(s.b, s.target)['forged']).toBeUndefined();
    await close([s.a, s.b]);
  });

  it('malformed from a real device: a keyring entry that is a tombstone, a snapshot or has no body, a body that does not open, an unknown kind are refused; an unknown key epoch waits', async () => {
    const s = await scene(stage);
    const tip = tipOf(s, s.docOf(s.target));
    const doc = s.a.session.record(s.target, 'character').doc;
    const update = (extra: { sealWith?: { epoch: number; key: Uint8Array }; kindCode?: number }) => (serverSeq: number) =>
      forge({ by: s.a.engine.replica, docId: s.docOf(s.target), kind: 'update', deviceSeq: 900 + serverSeq, serverSeq, sealWith: extra.sealWith, inner: { storageId: storageOf(s.target), kindCode: extra.kindCode, docSeq: tip.docSeq + 1, prevHash: tip.hash, payload: fieldsUpdate(doc, { forged: 'malformed' }) } });
    const bodiless = (serverSeq: number): Item => {
      const r = s.a.engine.replica;
      const fields = { kind: 'update' as const, accountId: r.keys.accountId, docId: r.keys.keyringDocId, deviceId: r.device.publicKey, deviceSeq: 900 + serverSeq, covers: [] };
      return { kind: 'update', serverSeq, docId: fields.docId, deviceId: fields.deviceId, deviceSeq: fields.deviceSeq, covers: [], sig: r.device.sign(itemStatement(fields)) as Uint8Array };
    };
    // A snapshot on the keyring document carrying a well-formed keyring body addressed to B.
    const keyringSnapshot = (serverSeq: number): Item => {
      const r = s.a.engine.replica;
      const body = newKeyringBody(r.keys.accountId, 77, randomBytes(32), [s.b.engine.replica.device.publicKey]);
      const fields = { kind: 'snapshot' as const, accountId: r.keys.accountId, docId: r.keys.keyringDocId, deviceId: r.device.publicKey, deviceSeq: 900 + serverSeq, body, covers: [] };
      return { kind: 'snapshot', serverSeq, docId: fields.docId, deviceId: fields.deviceId, deviceSeq: fields.deviceSeq, body, covers: [], sig: r.device.sign(itemStatement(fields)) as Uint8Array };
    };
    const { round, serverSeqs } = await deliver(s, [
      (serverSeq) => forge({ by: s.a.engine.replica, docId: s.a.engine.replica.keys.keyringDocId, kind: 'tombstone', deviceSeq: 900 + serverSeq, serverSeq }),
      bodiless,
      keyringSnapshot,
      update({ sealWith: { epoch: 0, key: randomBytes(32) } }),
      update({ kindCode: 99 }),
      update({ sealWith: { epoch: 7, key: randomBytes(32) } }),
    ]);
    const why = (k: number) => round.problems.find((p) => p.serverSeq === serverSeqs[k])?.message;
    expect(why(0)).toMatch(/malformed keyring entry/);
    expect(why(1)).toMatch(/malformed keyring entry/);
    expect(why(2)).toMatch(/malformed keyring entry/);
    expect(keyFor(s.b.engine.replica, 77)).toBeNull();
    expect(why(3)).toMatch(/failed to decrypt/);
    expect(why(4)).toMatch(/unknown kind of document/);
    expect(why(5)).toBeUndefined();
    expect(round.pending).toBeGreaterThan(0);
    expect(fieldsOf(s.b, s.target)['forged']).toBeUndefined();
    await close([s.a, s.b]);
  });

  it('removed device: an item signed with the key of a device removed from the account is not applied; the same item from a device still on the list is', async () => {
    const s = await scene(stage, 2);
    const [kept, gone] = s.more as [TestDevice, TestDevice];
    for (const d of [kept, gone]) await d.engine.syncOnce();
    await removeDevice(s.a.engine, gone.engine.replica.deviceHex);
    await kept.engine.syncOnce(); // learns whatever the removal changed (a new content key)
    const doc = s.a.session.record(s.target, 'character').doc;
    const from = (d: TestDevice, fields: Record<string, unknown>) => (serverSeq: number) =>
      forge({ by: d.engine.replica, docId: s.docOf(s.target), kind: 'update', deviceSeq: 900 + serverSeq, serverSeq, inner: { storageId: storageOf(s.target), docSeq: 1, prevHash: ZERO_HASH, payload: fieldsUpdate(doc, fields) } });
    await deliver(s, [from(gone, { forged: 'written by a removed device' }), from(kept, { control: 'written by a device on the list' })]);
    expect(fieldsOf(s.b, s.target)).toMatchObject({ control: 'written by a device on the list' });
    expect(fieldsOf(s.b, s.target)['forged']).toBeUndefined();
    await close([s.a, s.b, kept, gone]);
  });

  it('a content key learned from a keyring item is stored with the round, not only held in memory', async () => {
    const s = await scene(stage, 1);
    const [gone] = s.more as [TestDevice];
    await removeDevice(s.a.engine, gone.engine.replica.deviceHex); // a new content key, sealed to A and B
    const { epoch, key } = contentKey(s.a.engine.replica);
    expect(epoch).toBeGreaterThan(0);
    expect(await s.b.engine.syncOnce()).toMatchObject({ pending: 0, problems: [] });
    // What a restart would read: a new replica over the same vault and sync store (nothing cached in memory).
    expect(toHex(keyFor(new Replica(s.b.session, s.b.store), epoch) ?? new Uint8Array())).toBe(toHex(key));
    await close([s.a, s.b, gone]);
  });
});
