/**
 * More inbound checks past the signature and the AEAD (inbound.node.ts `handleItem`, `checkSnapshot`), each reached
 * with items forged with an enrolled device's REAL keys and slipped into B's pull by the hostile relay, each beside a
 * control that is applied: a second item in a place its device's chain already holds, a snapshot that does not
 * continue its device's chain or claims what it cannot contain, an asset sent as a snapshot, an item for a deleted
 * record. Found by mutation testing (docs/testing.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item } from '../../shared/sync/messages.std.ts';
import { recordRef } from '../../electron/core/docs/ids.node.ts';
import { writeFields } from '../../electron/core/docs/fields-doc.node.ts';
import { randomBytes, toHex } from '../../electron/core/crypto/sodium.node.ts';
import { docKindCodes } from '../../electron/core/crypto/envelope.node.ts';
import type { ChainHead } from '../../electron/core/sync/format.node.ts';
import { Replica } from '../../electron/core/sync/replica.node.ts';
import { fieldsUpdate, forge } from './forge.node.ts';
import { close, deliver, fieldsOf, scene, Stage, storageOf, tipOf, type Scene } from './inbound-scene.node.ts';
import type { TestDevice } from './support.node.ts';

// One vault for the file's scenes, each scene on a relay of its own (inbound-scene.node.ts).
let stage: Stage;
beforeAll(() => {
  stage = new Stage();
});
afterAll(async () => {
  await stage?.close();
});

const coversOf = (heads: ChainHead[]): Item['covers'] => heads.map((h) => ({ deviceId: h.deviceId, from: 1, to: h.deviceSeq }));

/** A snapshot of Target by A: docSeq and prevHash continue A's chain unless told otherwise; covers agree with heads. */
function snapshot(s: Scene, o: { heads: (tip: ChainHead) => ChainHead[]; docSeq?: (tip: ChainHead) => number; prevHash?: (tip: ChainHead) => Uint8Array; fields: Record<string, unknown> }) {
  const docId = s.docOf(s.target);
  const tip = tipOf(s, docId);
  const heads = o.heads(tip);
  const doc = s.a.session.record(s.target, 'character').doc;
  return (serverSeq: number) =>
    forge({ by: s.a.engine.replica, docId, kind: 'snapshot', deviceSeq: 900 + serverSeq, serverSeq, covers: coversOf(heads), inner: { storageId: storageOf(s.target), docSeq: o.docSeq?.(tip) ?? tip.docSeq + 1, prevHash: o.prevHash?.(tip) ?? tip.hash, heads, payload: fieldsUpdate(doc, o.fields, true) } });
}

const problemOf = (round: { problems: { serverSeq?: number; message: string }[] }, seq: number) => round.problems.find((p) => p.serverSeq === seq)?.message;

describe('inbound chain checks past the signature and the AEAD (forged with a device\'s real keys)', () => {
  it('fork: a different item in a chain place already taken is refused naming the record; the same item again is ignored quietly', async () => {
    const s = await scene(stage);
    const docId = s.docOf(s.target);
    const tip = tipOf(s, docId);
    const honest = s.hostile.seen.find((i) => toHex(i.docId) === toHex(docId) && i.deviceSeq === tip.deviceSeq)!;
    const doc = s.a.session.record(s.target, 'character').doc;
    const { round, serverSeqs } = await deliver(s, [
      (serverSeq) => forge({ by: s.a.engine.replica, docId, kind: 'update', deviceSeq: 900 + serverSeq, serverSeq, inner: { storageId: storageOf(s.target), docSeq: tip.docSeq, prevHash: randomBytes(32), payload: fieldsUpdate(doc, { forged: 'a second item in a taken place' }) } }),
      (serverSeq) => ({ ...honest, serverSeq }),
    ]);
    expect(round.problems.find((p) => p.serverSeq === serverSeqs[0])).toMatchObject({ recordId: s.target, message: expect.stringMatching(new RegExp(`already holds its place \\(#${tip.docSeq}\\).*forked or forged`)) });
    expect(problemOf(round, serverSeqs[1]!)).toBeUndefined();
    expect(round.problems).toHaveLength(1);
    expect(fieldsOf(s.b, s.target)['forged']).toBeUndefined();
    await close([s.a, s.b]);
  });

  it('snapshot chain: a snapshot whose own head or prevHash does not continue its device\'s chain is refused; one that skips ahead without its own head waits; a continuing one applies', async () => {
    const s = await scene(stage);
    const { round, serverSeqs } = await deliver(s, [
      snapshot(s, { heads: (t) => [{ ...t, hash: randomBytes(32) }], fields: { forged: 'own head hash' } }),
      snapshot(s, { heads: (t) => [{ ...t, docSeq: t.docSeq - 1 }], fields: { forged: 'own head number' } }),
      snapshot(s, { heads: () => [], prevHash: () => randomBytes(32), fields: { forged: 'no heads, wrong prevHash' } }),
      snapshot(s, { heads: () => [], docSeq: (t) => t.docSeq + 5, fields: { forged: 'skips ahead' } }),
      snapshot(s, { heads: (t) => [t], fields: { control: 'continues the chain' } }),
    ]);
    for (const k of [0, 1, 2]) expect(problemOf(round, serverSeqs[k]!)).toMatch(/does not continue its device's hash chain/);
    expect(problemOf(round, serverSeqs[3]!)).toBeUndefined();
    expect(round.pending).toBeGreaterThan(0);
    expect(fieldsOf(s.b, s.target)).toMatchObject({ control: 'continues the chain' });
    expect(fieldsOf(s.b, s.target)['forged']).toBeUndefined();
    await close([s.a, s.b]);
  });

  it('snapshot heads: one naming a device never enrolled, claiming updates this device never wrote, or disagreeing with a chain it knows is refused', async () => {
    const s = await scene(stage);
    // B writes to Target once, so A's snapshot can name B's chain (and get it right or wrong).
    writeFields(s.b.session.record(s.target, 'character').doc, { byB: 1 });
    await s.b.engine.syncOnce();
    await s.a.engine.syncOnce();
    const bTip = tipOf(s, s.docOf(s.target), s.b);
    expect(bTip.docSeq).toBe(1);
    const b = s.b.engine.replica.device.publicKey;
    const stranger = { deviceId: randomBytes(32), docSeq: 1, deviceSeq: 1, hash: randomBytes(32) };
    const { round, serverSeqs } = await deliver(s, [
      snapshot(s, { heads: (t) => [t, stranger], fields: { forged: 'stranger' } }),
      snapshot(s, { heads: (t) => [t, { ...bTip, docSeq: 2, deviceSeq: bTip.deviceSeq + 1 }], fields: { forged: 'more of B than B wrote' } }),
      snapshot(s, { heads: (t) => [t, { ...bTip, hash: randomBytes(32) }], fields: { forged: 'forked B' } }),
      snapshot(s, { heads: (t) => [t, bTip], fields: { control: 'names B rightly' } }),
    ]);
    expect(problemOf(round, serverSeqs[0]!)).toMatch(/never enrolled/);
    expect(problemOf(round, serverSeqs[1]!)).toMatch(/updates this device never wrote/);
    expect(problemOf(round, serverSeqs[2]!)).toMatch(new RegExp(`disagrees with the chain of device ${toHex(b).slice(0, 12)} \\(forked or forged\\)`));
    expect(fieldsOf(s.b, s.target)).toMatchObject({ control: 'names B rightly', byB: 1 });
    expect(fieldsOf(s.b, s.target)['forged']).toBeUndefined();
    await close([s.a, s.b]);
  });

  it('an asset sent as a snapshot is refused; an item for a record B deleted is ignored and stores nothing', async () => {
    const s = await scene(stage);
    const assetStorage = randomBytes(16);
    const assetDoc = s.a.engine.replica.keys.relayDocId({ kind: 'asset', storageId: assetStorage });
    const otherDoc = s.docOf(s.other);
    const otherTip = tipOf(s, otherDoc);
    s.b.session.deleteRecord(s.other, 'character');
    await s.b.engine.syncOnce();
    const gone = toHex(recordRef(s.other, 'character').storageId);
    expect(s.b.storage.docIds().map(toHex)).not.toContain(gone);
    const doc = s.a.session.record(s.other, 'character').doc;
    const { round, serverSeqs } = await deliver(s, [
      (serverSeq) => forge({ by: s.a.engine.replica, docId: assetDoc, kind: 'snapshot', deviceSeq: 900 + serverSeq, serverSeq, inner: { storageId: assetStorage, kindCode: docKindCodes.asset, docSeq: 1, prevHash: new Uint8Array(32), payload: randomBytes(100) } }),
      (serverSeq) => forge({ by: s.a.engine.replica, docId: otherDoc, kind: 'update', deviceSeq: 900 + serverSeq, serverSeq, inner: { storageId: storageOf(s.other), docSeq: otherTip.docSeq + 1, prevHash: otherTip.hash, payload: fieldsUpdate(doc, { forged: 'into a deleted record' }) } }),
    ]);
    expect(problemOf(round, serverSeqs[0]!)).toMatch(/asset sent as a snapshot/);
    expect(problemOf(round, serverSeqs[1]!)).toBeUndefined();
    expect(s.b.storage.docIds().map(toHex)).not.toContain(gone);
    await close([s.a, s.b]);
  });

  it('a snapshot teaches the chains it contains: the next item of another device it names applies at once', async () => {
    const s = await scene(stage, 1);
    const [c] = s.more as [TestDevice];
    const docId = s.docOf(s.target);
    // C's place in Target's chain as A's snapshot states it (B has never seen an item of C there).
    const cHead: ChainHead = { deviceId: c.engine.replica.device.publicKey, docSeq: 1, deviceSeq: 5, hash: randomBytes(32) };
    const doc = s.a.session.record(s.target, 'character').doc;
    const { round, serverSeqs } = await deliver(s, [
      snapshot(s, { heads: (t) => [t, cHead], fields: { fromSnapshot: 'A, holding C' } }),
      (serverSeq) => forge({ by: c.engine.replica, docId, kind: 'update', deviceSeq: 900 + serverSeq, serverSeq, inner: { storageId: storageOf(s.target), docSeq: 2, prevHash: cHead.hash, payload: fieldsUpdate(doc, { fromC: 'next after the snapshot' }) } }),
    ]);
    expect(problemOf(round, serverSeqs[1]!)).toBeUndefined();
    expect(round.pending).toBe(0);
    expect(fieldsOf(s.b, s.target)).toMatchObject({ fromSnapshot: 'A, holding C', fromC: 'next after the snapshot' });
    await close([s.a, s.b, c]);
  });

  it('an update for a record known only by its tombstone is ignored quietly and stores nothing', async () => {
    const s = await scene(stage);
    const storageId = randomBytes(16);
    const docId = s.a.engine.replica.keys.relayDocId({ kind: 'character', storageId });
    const doc = s.a.session.record(s.target, 'character').doc;
    const { round } = await deliver(s, [
      (serverSeq) => forge({ by: s.a.engine.replica, docId, kind: 'tombstone', deviceSeq: 900 + serverSeq, serverSeq }),
      (serverSeq) => forge({ by: s.a.engine.replica, docId, kind: 'update', deviceSeq: 900 + serverSeq, serverSeq, inner: { storageId, docSeq: 1, prevHash: new Uint8Array(32), payload: fieldsUpdate(doc, { late: 'after its deletion' }) } }),
    ]);
    expect(round.problems).toEqual([]);
    expect(s.b.storage.docIds().map(toHex)).not.toContain(toHex(storageId));
    await close([s.a, s.b]);
  });

  it('where each chain stands is stored with the round: a new replica over the same store knows it', async () => {
    const s = await scene(stage);
    const docId = s.docOf(s.target);
    const tip = tipOf(s, docId);
    expect(tip.docSeq).toBeGreaterThan(1);
    const stored = new Replica(s.b.session, s.b.store).state.doc(docId)?.chains.get(toHex(s.a.engine.replica.device.publicKey));
    expect({ docSeq: stored?.docSeq, hash: toHex(stored?.hash ?? new Uint8Array()) }).toEqual({ docSeq: tip.docSeq, hash: toHex(tip.hash) });
    await close([s.a, s.b]);
  });
});
