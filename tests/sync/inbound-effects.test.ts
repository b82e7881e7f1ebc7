/**
 * What inbound.node.ts keeps and reports around the checks: a document first met in a batch (`targetDoc`,
 * `storeRaw`), the quarantine record (`quarantine`), and a tombstone's effects (`tombstone`). Each reached with
 * items forged with a device's REAL keys (forge.node.ts) and slipped into B's pull by the hostile relay, or with
 * honest deletions, and each pinned by what B stores or reports. Found by mutation testing (docs/testing.md,
 * "sync inbound, rest of the file").
 */
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item } from '../../shared/sync/messages.std.ts';
import { readFields, writeFields } from '../../electron/core/docs/fields-doc.node.ts';
import { getCatalogEntry } from '../../electron/core/docs/catalog.node.ts';
import { recordRef } from '../../electron/core/docs/ids.node.ts';
import { COMPACT_EVERY } from '../../electron/core/docs/repo.node.ts';
import { docKindCodes } from '../../electron/core/crypto/envelope.node.ts';
import { randomBytes, toHex } from '../../electron/core/crypto/sodium.node.ts';
import { chainHash, ZERO_HASH } from '../../electron/core/sync/format.node.ts';
import { Replica } from '../../electron/core/sync/replica.node.ts';
import { forge } from './forge.node.ts';
import { close, scene, Stage, type Scene } from './inbound-scene.node.ts';

// One vault for the file's scenes, each scene on a relay of its own (inbound-scene.node.ts).
let stage: Stage;
beforeAll(() => {
  stage = new Stage();
});
afterAll(async () => {
  await stage?.close();
});

/**
 * A writes one Carrier change; the hostile relay hands B, in place of that one item, every item `make` returns
 * (all under the carrier item's relay sequence number, so they arrive in one page and are applied in one batch).
 */
async function deliverBatch(s: Scene, make: (serverSeq: number) => Item[]) {
  writeFields(s.a.session.record(s.carrier, 'character').doc, { batch: Date.now() });
  await s.a.engine.syncOnce();
  const carrierDoc = toHex(s.docOf(s.carrier));
  let made: Item[] | null = null;
  s.hostile.rewrite = (items) =>
    items.flatMap((i) => {
      if (toHex(i.docId) !== carrierDoc || made) return [i];
      return (made = make(i.serverSeq));
    });
  const round = await s.b.engine.syncOnce();
  s.hostile.rewrite = null;
  return round;
}

/** B's sync state as stored (not the engine's cache): what a restart would find. */
const stored = (s: Scene, docId: Uint8Array) => new Replica(s.b.session, s.b.store).state.doc(docId);

/** An update item by A, continuing `prev` (null: the first of its chain). */
function chained(s: Scene, docId: Uint8Array, storageId: Uint8Array, kindCode: number) {
  const by = s.a.engine.replica;
  let prev: Item | null = null;
  let docSeq = 0;
  return (serverSeq: number, payload: Uint8Array): Item => {
    docSeq++;
    const prevHash = prev ? chainHash(by.keys.accountId, prev) : ZERO_HASH;
    prev = forge({ by, docId, kind: 'update', deviceSeq: 5000 + docSeq, serverSeq, inner: { storageId, kindCode, docSeq, prevHash, payload } });
    return prev;
  };
}

const tombstoneOf = (s: Scene, docId: Uint8Array, serverSeq: number, deviceSeq: number) => forge({ by: s.a.engine.replica, docId, kind: 'tombstone', deviceSeq, serverSeq });

/** The item with one byte of its signature flipped (signed by A's real key, then altered). */
const badSig = (item: Item): Item => {
  const sig = item.sig.slice();
  sig[0]! ^= 1;
  return { ...item, sig };
};

describe('inbound: a document first met in a batch', () => {
  it(`a new record arriving as ${COMPACT_EVERY + 1} updates in one batch: each continues the same document, it is compacted after ${COMPACT_EVERY}, and nothing is left held`, async () => {
    const s = await scene(stage);
    const storageId = randomBytes(16);
    const ref = recordRef(toHex(storageId), 'character');
    const docId = s.a.engine.replica.keys.relayDocId(ref);
    // One Yjs client writing in turn: each update depends on the one before it.
    const source = new Y.Doc();
    const payloads: Uint8Array[] = [];
    for (let n = 1; n <= COMPACT_EVERY + 1; n++) {
      const sv = Y.encodeStateVector(source);
      writeFields(source, n === 1 ? { name: 'Met in one batch', n } : { n, [`f${n}`]: n });
      payloads.push(Y.encodeStateAsUpdate(source, sv));
    }
    const next = chained(s, docId, storageId, docKindCodes.character);
    const round = await deliverBatch(s, (serverSeq) => payloads.map((p) => next(serverSeq, p)));
    expect(round).toMatchObject({ problems: [], pending: 0, quarantined: 0 });
    expect(round.down).toBe(COMPACT_EVERY + 1);
    // Compacted when the 300th update was stored: one update since.
    expect(s.b.session.repo.store.updatesSinceSnapshot(ref)).toBe(1);
    expect(stored(s, docId)?.held).toBeNull();
    // The sync state vector is the whole document's (what B tells the outbox it has).
    expect(toHex(stored(s, docId)!.sentSv!)).toBe(toHex(Y.encodeStateVector(source)));
    // Read back from the vault after every open document is dropped: the compacted state holds every update.
    s.b.session.repo.close();
    const fields = readFields<Record<string, unknown>>(s.b.session.repo.open(ref).doc);
    expect(fields).toMatchObject({ name: 'Met in one batch', n: COMPACT_EVERY + 1, f2: 2, [`f${COMPACT_EVERY}`]: COMPACT_EVERY, [`f${COMPACT_EVERY + 1}`]: COMPACT_EVERY + 1 });
    expect(fields).toEqual(readFields(source));
    await close([s.a, s.b]);
  });

  it('a record deleted in the batch that created it is not brought back by a later item of the same batch filed under another kind', async () => {
    const s = await scene(stage);
    const storageId = randomBytes(16);
    const asCharacter = recordRef(toHex(storageId), 'character');
    const asLorebook = recordRef(toHex(storageId), 'lorebook');
    const charDoc = s.a.engine.replica.keys.relayDocId(asCharacter);
    const loreDoc = s.a.engine.replica.keys.relayDocId(asLorebook);
    const write = (fields: Record<string, unknown>) => {
      const d = new Y.Doc();
      writeFields(d, fields);
      return Y.encodeStateAsUpdate(d);
    };
    const charNext = chained(s, charDoc, storageId, docKindCodes.character);
    const loreNext = chained(s, loreDoc, storageId, docKindCodes.lorebook);
    const round = await deliverBatch(s, (serverSeq) => [
      charNext(serverSeq, write({ deleted: 'written, then deleted' })),
      tombstoneOf(s, charDoc, serverSeq, 7000),
      loreNext(serverSeq, write({ later: 'filed under another kind' })),
    ]);
    expect(round.problems).toEqual([]);
    expect(stored(s, charDoc)?.tombstoned).toBe(true);
    s.b.session.repo.close();
    // The later item starts a document of its own: nothing of the deleted one comes back with it.
    expect(readFields(s.b.session.repo.open(asLorebook).doc)).toEqual({ later: 'filed under another kind' });
    await close([s.a, s.b]);
  });
});

describe('inbound: the quarantine record', () => {
  it('names the record, or the relay document and device by a short prefix, in what is reported and in what is kept (sealed, with the record and the time)', async () => {
    const s = await scene(stage);
    const by = s.a.engine.replica;
    const targetDoc = s.docOf(s.target);
    const unknownDoc = randomBytes(32);
    const nameless = randomBytes(32); // known only by a tombstone: a sync state without a kind or storage id
    const payload = Y.encodeStateAsUpdate(new Y.Doc());
    const inner = (storageId: Uint8Array) => ({ storageId, docSeq: 99, prevHash: ZERO_HASH, payload });
    const before = Date.now();
    let seqs: number[] = [];
    const round = await deliverBatch(s, (serverSeq) => {
      seqs = [serverSeq, serverSeq + 1000, serverSeq + 2000];
      return [
        badSig(forge({ by, docId: targetDoc, kind: 'update', deviceSeq: 6001, serverSeq: seqs[0]!, inner: inner(randomBytes(16)) })),
        badSig(forge({ by, docId: unknownDoc, kind: 'update', deviceSeq: 6002, serverSeq: seqs[1]!, inner: inner(randomBytes(16)) })),
        tombstoneOf(s, nameless, serverSeq, 6003),
        badSig(forge({ by, docId: nameless, kind: 'update', deviceSeq: 6004, serverSeq: seqs[2]!, inner: inner(randomBytes(16)) })),
      ];
    });
    const after = Date.now();
    const dev = toHex(by.device.publicKey).slice(0, 12);
    const why = 'its signature does not verify (forged or altered in transit or at rest)';
    const expected = [
      { serverSeq: seqs[0]!, recordId: s.target, message: `Refused an item for record ${s.target} from device ${dev} (relay #${seqs[0]}): ${why}. It was not applied; your data is unchanged.` },
      { serverSeq: seqs[1]!, recordId: null, message: `Refused an item for relay document ${toHex(unknownDoc).slice(0, 12)} from device ${dev} (relay #${seqs[1]}): ${why}. It was not applied; your data is unchanged.` },
      { serverSeq: seqs[2]!, recordId: null, message: `Refused an item for relay document ${toHex(nameless).slice(0, 12)} from device ${dev} (relay #${seqs[2]}): ${why}. It was not applied; your data is unchanged.` },
    ];
    expect(round.problems).toEqual(
      expected.map((e) => ({ code: 'integrity', message: e.message, serverSeq: e.serverSeq, reason: why, deviceId: toHex(by.device.publicKey), ...(e.recordId ? { recordId: e.recordId } : {}) })),
    );
    const kept = s.b.store.quarantine();
    expect(kept.map((q) => q.serverSeq)).toEqual(expected.map((e) => e.serverSeq));
    for (const [i, q] of kept.entries()) {
      const info = s.b.engine.replica.state.sealer.openJson<{ message: string; recordId: string | null; at: number }>('quarantine', String(q.serverSeq), q.info);
      expect(info).toEqual({ message: expected[i]!.message, recordId: expected[i]!.recordId, at: expect.any(Number) });
      expect(info.at).toBeGreaterThanOrEqual(before);
      expect(info.at).toBeLessThanOrEqual(after);
    }
    await close([s.a, s.b]);
  });
});

describe('inbound: tombstones', () => {
  it('a deleted record: counted once (a replayed tombstone is not), its tombstone stored with the round, the change reported, and the catalog not edited again by the receiver', async () => {
    const s = await scene(stage);
    const docId = s.docOf(s.other);
    s.a.session.deleteRecord(s.other, 'character');
    await s.a.engine.syncOnce();
    // The relay hands B the catalog's change first, then the tombstone twice (a replay).
    s.hostile.rewrite = (items) => [...items.filter((i) => i.kind !== 'tombstone'), ...items.filter((i) => i.kind === 'tombstone').flatMap((i) => [i, { ...i }])];
    const changed: string[] = [];
    s.b.engine.replica.onChange = (ids) => void changed.push(...ids);
    const round = await s.b.engine.syncOnce();
    s.hostile.rewrite = null;
    // The catalog's change and the tombstone; the replay is ignored.
    expect(round).toMatchObject({ down: 2, up: 0, problems: [], quarantined: 0 });
    expect(stored(s, docId)?.tombstoned).toBe(true);
    expect(changed).toContain(s.other);
    expect(getCatalogEntry(s.b.session.catalog, s.other)).toBeUndefined();
    expect(s.b.session.repo.exists(recordRef(s.other, 'character'))).toBe(false);
    // Nothing for B to send: the receiver did not re-mark the catalog entry A already marked deleted.
    expect(await s.b.engine.syncOnce()).toMatchObject({ up: 0, down: 0 });
    await close([s.a, s.b]);
  });
});

describe('inbound: a tombstone without its catalog change', () => {
  it('marks the receiver\'s catalog entry deleted (its own edit, sent on), so every catalog agrees the record is gone', async () => {
    const s = await scene(stage);
    s.a.session.deleteRecord(s.other, 'character');
    await s.a.engine.syncOnce();
    // The relay withholds A's catalog change: only the tombstone reaches B.
    s.hostile.rewrite = (items) => items.filter((i) => i.kind === 'tombstone');
    const round = await s.b.engine.syncOnce();
    s.hostile.rewrite = null;
    expect(round).toMatchObject({ down: 1, problems: [] });
    expect(getCatalogEntry(s.b.session.catalog, s.other)).toBeUndefined();
    expect(getCatalogEntry(s.b.session.catalog, s.target)).toBeDefined();
    await close([s.a, s.b]);
  });
});
