/**
 * What the outbox puts on the wire (outbox.node.ts `prepare`, `chunks`, `maybeSnapshot`, `Capture`, `reconcile`),
 * read item by item from a device's real outbox: each item is opened with the device's real content key and its
 * chain checked with the real chain hash, so every field the relay and the other devices rely on is pinned —
 * sequence numbers, document binding, hash chain, how queued changes are merged and split, when a snapshot is made
 * and what it names, tombstones, and asset uploads.
 *
 * No relay: a device is a vault session with a real sync store and real keys (sync enabled by setting its
 * configuration, as `enable` does once the relay answered). Where a test needs what another device sent, that
 * device's outbox items are signed with its real device key, as the connection signs them on upload, and handed to
 * the receiver's inbound path (`processBatch`/`commitBatch`) as a relay would serve them. Mutation testing runs
 * these fast tests for the whole file (docs/testing.md, "sync outbox"); tests/sync/outbox.test.ts takes deletions
 * through a real relay.
 */
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item } from '../../shared/sync/messages.std.ts';
import { deviceListStatement, itemStatement } from '../../shared/sync/signing.std.ts';
import { createMemoryStorage } from '../../electron/core/store/storage.node.ts';
import { createVault, UnlockedVault } from '../../electron/core/vault/vault.node.ts';
import { VaultSession } from '../../electron/core/session.node.ts';
import { docKindCodes } from '../../electron/core/crypto/envelope.node.ts';
import { randomBytes, toHex } from '../../electron/core/crypto/sodium.node.ts';
import { readFields, writeFields } from '../../electron/core/docs/fields-doc.node.ts';
import { writeMeta } from '../../electron/core/docs/conversation-doc.node.ts';
import { newRecordId, recordRef, systemRef } from '../../electron/core/docs/ids.node.ts';
import { putAsset } from '../../electron/core/docs/assets.node.ts';
import { segmentRef } from '../../electron/core/docs/conversations.node.ts';
import { createMemorySyncStore, type SyncStore } from '../../electron/core/sync/store.node.ts';
import { FROM_SYNC, Replica } from '../../electron/core/sync/replica.node.ts';
import { Capture, decodeOutboxItem, localDocs, maybeSnapshot, prepare, reconcile, SNAPSHOT_EVERY, type OutboxItem } from '../../electron/core/sync/outbox.node.ts';
import { chainHash, openBody, ZERO_HASH, type Inner } from '../../electron/core/sync/format.node.ts';
import { keyFor } from '../../electron/core/sync/keyring.node.ts';
import { newDeviceSeed } from '../../electron/core/sync/keys.node.ts';
import { genesisList } from '../../electron/core/sync/devices.node.ts';
import { commitBatch, processBatch } from '../../electron/core/sync/batch.node.ts';
import { assetRef } from '../../electron/core/sync/assets.node.ts';

const MiB = 1024 * 1024;

interface Dev {
  session: VaultSession;
  store: SyncStore;
  r: Replica;
  capture: Capture;
}

let header: string;
let vaultId: Uint8Array;
let vaultKey: Uint8Array;
const segmentSize = process.env['MINDSTAGE_TEST_SEGMENT_SIZE'];
beforeAll(() => {
  process.env['MINDSTAGE_TEST_SEGMENT_SIZE'] = '2'; // a conversation of 5 messages has 3 segments
  const storage = createMemoryStorage();
  const { vault } = createVault(storage, 'test passphrase');
  header = storage.readHeader()!;
  vaultId = vault.vaultId;
  vaultKey = vault.vaultKeyForWrap().slice();
});
afterAll(() => {
  if (segmentSize === undefined) delete process.env['MINDSTAGE_TEST_SEGMENT_SIZE'];
  else process.env['MINDSTAGE_TEST_SEGMENT_SIZE'] = segmentSize;
});

/** A device of the one test vault with sync turned on (no relay) and nothing captured yet. */
function device(): Dev {
  const storage = createMemoryStorage();
  storage.writeHeader(header);
  const session = new VaultSession(storage, new UnlockedVault(vaultId, vaultKey.slice()));
  session.catalog.getMap('meta').set('createdAt', 1);
  const store = createMemorySyncStore();
  const r = new Replica(session, store);
  r.setConfig({ relayUrl: 'ws://127.0.0.1:9', relayKey: randomBytes(32), deviceSeed: newDeviceSeed(), enrolledAt: 1 });
  return { session, store, r, capture: new Capture(r) };
}

/** A device that reconciled (so it captures) and whose first items (the catalog) went out. */
function started(): Dev {
  const d = device();
  reconcile(d.r, d.capture);
  prepare(d.r);
  take(d);
  return d;
}

/** Writes what was captured and turns it into items, as a sync round does before uploading. */
function round(d: Dev): number {
  d.capture.flush();
  return prepare(d.r);
}

/** The outbox's items, oldest first, removed from it as an acknowledged upload removes them. */
function take(d: Dev): OutboxItem[] {
  const rows = d.store.outbox(1_000_000);
  for (const row of rows) d.store.deleteOutbox(row.seq);
  return rows.map((row) => {
    const it = decodeOutboxItem(row.frame);
    expect(it.deviceSeq).toBe(row.seq);
    return it;
  });
}

const asItem = (d: Dev, it: OutboxItem, serverSeq = 1): Item => ({ ...it, serverSeq, deviceId: d.r.device.publicKey, sig: new Uint8Array(64) });

/** Opens an item with the device's real content key. */
function open(d: Dev, it: OutboxItem): Inner {
  const o = openBody((e) => keyFor(d.r, e), d.r.keys.accountId, asItem(d, it));
  if (!o.ok) throw new Error(`item ${it.deviceSeq} does not open: ${o.why}`);
  return o.inner;
}

const hashOf = (d: Dev, it: OutboxItem) => chainHash(d.r.keys.accountId, { ...it, deviceId: d.r.device.publicKey });
const docOf = (d: Dev, id: string, kind: 'character' | 'conversation' = 'character') => d.r.keys.relayDocId(recordRef(id, kind));
const of = (items: OutboxItem[], docId: Uint8Array) => items.filter((i) => toHex(i.docId) === toHex(docId));
const catalogDoc = (d: Dev) => d.r.keys.relayDocId(systemRef(d.session.vault.subkey('idHash'), 'catalog'));

/** The document a payload (an update or a snapshot's state) makes when applied to an empty one. */
function fieldsFrom(...payloads: Uint8Array[]): Record<string, unknown> {
  const doc = new Y.Doc();
  for (const p of payloads) Y.applyUpdate(doc, p);
  return readFields(doc);
}

const character = (d: Dev, fields: Record<string, unknown> = { name: 'Ada' }) => d.session.createRecord('character', 'Ada', (doc) => writeFields(doc, fields));
const docOfRecord = (d: Dev, id: string) => d.session.record(id, 'character').doc;

/** Signs each item with the writer's device key as the connection does on upload, numbered as a relay would. */
let serverSeq = 0;
function served(from: Dev, items: OutboxItem[]): Item[] {
  return items.map((it) => {
    const sig = from.r.device.sign(itemStatement({ kind: it.kind, accountId: from.r.keys.accountId, docId: it.docId, deviceId: from.r.device.publicKey, deviceSeq: it.deviceSeq, body: it.body, covers: it.covers })) as Uint8Array;
    return { ...asItem(from, it, ++serverSeq), sig };
  });
}

/** `to` learns the account's device list (version 1, signed with the account key, as `enable` creates it). */
function trust(to: Dev, devices: Dev[]): void {
  const { sign, ...unsigned } = { ...genesisList(to.r, devices.map((d) => d.r.device.publicKey)), issuedAt: 1 };
  to.r.setDevices({ lists: [{ ...unsigned, sig: sign(deviceListStatement(unsigned)) as Uint8Array }], legacy: [] });
}

/** Two devices of the account, each trusting both, each holding the other's catalog (as after a first round). */
function pair(): [Dev, Dev] {
  const a = device();
  const b = device();
  for (const d of [a, b]) {
    reconcile(d.r, d.capture);
    prepare(d.r);
    trust(d, [a, b]);
  }
  const fromA = take(a);
  receive(b, a, fromA);
  receive(a, b, take(b));
  return [a, b];
}

/** `to` applies what `from` sent, as a pull does. */
function receive(to: Dev, from: Dev, items: OutboxItem[]): void {
  const { fx, cursor } = processBatch(to.r, served(from, items), true);
  commitBatch(to.r, fx, cursor, to.capture);
}

/**
 * Writes `field` on a record so that the change (one Yjs update) is exactly `size` bytes: the same write is tried
 * first on a copy with the same Yjs client, and the string is shortened by the update's overhead.
 */
function writeUpdateOfSize(doc: Y.Doc, field: string, size: number): void {
  const probe = new Y.Doc();
  Y.applyUpdate(probe, Y.encodeStateAsUpdate(doc));
  probe.clientID = doc.clientID; // after: Yjs gives a document a new client id when a remote update carries its own
  let got = 0;
  probe.on('update', (u: Uint8Array) => (got = u.length));
  writeFields(probe, { [field]: 'x'.repeat(size) });
  writeFields(doc, { [field]: 'x'.repeat(size - (got - size)) });
}

/** The queued (captured, not yet prepared) changes' sizes, as the outbox will read them. */
function queuedSizes(d: Dev): number[] {
  d.capture.flush();
  return d.store.raws(1_000).map((row) => d.r.state.sealer.open('raw', row.doc, row.body).length - 1);
}

/** A started device with a record that has `n` items (its creation and n − 1 changes), all prepared. */
function busy(n: number): { d: Dev; id: string; docId: Uint8Array; last: OutboxItem } {
  const d = started();
  const id = character(d, { n: 0 });
  const docId = docOf(d, id);
  round(d);
  let last = of(take(d), docId)[0]!;
  for (let i = 1; i < n; i++) {
    writeFields(docOfRecord(d, id), { n: i });
    expect(round(d)).toBe(1);
    last = take(d)[0]!;
  }
  return { d, id, docId, last };
}

describe('sync outbox: the items it prepares', () => {
  it('seals each change as the next item of this device and of the document\'s hash chain, bound to the document', () => {
    const d = device();
    expect(reconcile(d.r, d.capture)).toBe(1); // the catalog: all a new vault holds
    expect(prepare(d.r)).toBe(1);
    const [cat] = take(d);
    expect(cat).toMatchObject({ kind: 'update', deviceSeq: 1, covers: [] });
    expect(toHex(cat!.docId)).toBe(toHex(catalogDoc(d)));
    expect(open(d, cat!)).toMatchObject({ type: 'update', kindCode: docKindCodes.catalog, docSeq: 1, heads: [] });

    const id = character(d);
    expect(d.store.outboxCount()).toBe(0); // captured, not prepared
    expect(round(d)).toBe(2);
    expect(d.store.raws(10)).toHaveLength(0);
    const items = take(d);
    expect(items.map((i) => i.deviceSeq)).toEqual([2, 3]);
    const [first] = of(items, docOf(d, id));
    const inner = open(d, first!);
    expect(inner.type).toBe('update');
    expect(toHex(inner.deviceId)).toBe(d.r.deviceHex);
    expect(inner.deviceSeq).toBe(first!.deviceSeq);
    expect(toHex(inner.docId)).toBe(toHex(docOf(d, id)));
    expect(inner.kindCode).toBe(docKindCodes.character);
    expect(toHex(inner.storageId)).toBe(toHex(recordRef(id, 'character').storageId));
    expect(inner.docSeq).toBe(1);
    expect(toHex(inner.prevHash)).toBe(toHex(ZERO_HASH));
    expect(fieldsFrom(inner.payload)).toEqual({ name: 'Ada' });
    expect(first!.covers).toEqual([]);

    writeFields(docOfRecord(d, id), { name: 'Ada L' });
    expect(round(d)).toBe(1);
    const [second] = take(d);
    expect(second!.deviceSeq).toBe(4);
    const inner2 = open(d, second!);
    expect(inner2.docSeq).toBe(2);
    expect(toHex(inner2.prevHash)).toBe(toHex(hashOf(d, first!)));
    expect(fieldsFrom(inner.payload, inner2.payload)).toEqual({ name: 'Ada L' });
    expect(d.r.state.lastSeq).toBe(4);
    expect(d.r.docState(docOf(d, id)).chains.get(d.r.deviceHex)).toMatchObject({ docSeq: 2, deviceSeq: 4, hash: hashOf(d, second!) });
    // Nothing new: nothing prepared.
    expect(round(d)).toBe(0);
    expect(take(d)).toEqual([]);
  });

  it('merges consecutive changes of one document into one item, every change in it', () => {
    const d = started();
    const id = character(d);
    round(d);
    const [created] = of(take(d), docOf(d, id));
    const doc = docOfRecord(d, id);
    writeFields(doc, { a: 1 });
    writeFields(doc, { b: 2 });
    writeFields(doc, { c: 3 });
    expect(queuedSizes(d)).toHaveLength(3);
    expect(round(d)).toBe(1);
    const [it] = take(d);
    // The item carries the three changes: applied after the record's first item, it gives every field.
    expect(fieldsFrom(open(d, created!).payload, open(d, it!).payload)).toEqual({ name: 'Ada', a: 1, b: 2, c: 3 });
  });

  it('splits queued changes of one document into items of at most 4 MiB, in order; a larger single change is one item', () => {
    const d = started();
    const id = character(d);
    round(d);
    const [created] = of(take(d), docOf(d, id));
    const base = open(d, created!).payload;
    const doc = docOfRecord(d, id);
    writeUpdateOfSize(doc, 'big', 4 * MiB + 1); // alone: one item, however large
    writeFields(doc, { a: 'a'.repeat(2.5 * MiB) });
    const [big, first] = queuedSizes(d);
    writeUpdateOfSize(doc, 'b', 4 * MiB - first!); // with a: exactly 4 MiB, one item
    writeFields(doc, { c: 'small' });
    writeFields(doc, { d: 'small too' }); // with c: the next item
    const sizes = queuedSizes(d);
    expect(big).toBe(4 * MiB + 1);
    expect(sizes[1]! + sizes[2]!).toBe(4 * MiB);
    expect(round(d)).toBe(3);
    const items = take(d);
    const payloads = items.map((i) => open(d, i).payload);
    expect(Object.keys(fieldsFrom(base, payloads[0]!)).sort()).toEqual(['big', 'name']);
    expect(Object.keys(fieldsFrom(base, payloads[0]!, payloads[1]!)).sort()).toEqual(['a', 'b', 'big', 'name']);
    expect(fieldsFrom(base, ...payloads)).toMatchObject({ c: 'small', d: 'small too' });
    expect(items.map((i) => open(d, i).docSeq)).toEqual([2, 3, 4]);
    expect(toHex(open(d, items[2]!).prevHash)).toBe(toHex(hashOf(d, items[1]!)));
  });
});

describe('sync outbox: snapshots', () => {
  it(`after ${SNAPSHOT_EVERY} items of a document, adds a snapshot of its whole state naming this device's chain head; then counts again`, () => {
    const { d, id, docId, last } = busy(SNAPSHOT_EVERY - 1);
    expect(open(d, last).docSeq).toBe(SNAPSHOT_EVERY - 1);
    writeFields(docOfRecord(d, id), { n: 'last', more: true });
    expect(round(d)).toBe(2);
    const [update, snap] = take(d);
    expect(update!.kind).toBe('update');
    expect(snap!.kind).toBe('snapshot');
    expect(snap!.deviceSeq).toBe(update!.deviceSeq + 1);
    expect(toHex(snap!.docId)).toBe(toHex(docId));
    expect(d.r.state.lastSeq).toBe(snap!.deviceSeq);
    const head = { deviceId: d.r.device.publicKey, docSeq: SNAPSHOT_EVERY, deviceSeq: update!.deviceSeq, hash: hashOf(d, update!) };
    expect(snap!.covers).toEqual([{ deviceId: d.r.device.publicKey, from: 1, to: update!.deviceSeq }]);
    const inner = open(d, snap!);
    expect(inner.type).toBe('snapshot');
    expect(inner.deviceSeq).toBe(snap!.deviceSeq);
    expect(inner.heads).toEqual([head]);
    expect(inner.docSeq).toBe(SNAPSHOT_EVERY + 1);
    expect(toHex(inner.prevHash)).toBe(toHex(head.hash));
    expect(inner.kindCode).toBe(docKindCodes.character);
    // The whole state, not a change: an empty document made from it alone has every field.
    expect(fieldsFrom(inner.payload)).toEqual({ n: 'last', more: true });
    expect(d.r.docState(docId).chains.get(d.r.deviceHex)).toMatchObject({ docSeq: SNAPSHOT_EVERY + 1, deviceSeq: snap!.deviceSeq, hash: hashOf(d, snap!) });

    // The count starts again: the next change is an update continuing the chain from the snapshot, alone.
    writeFields(docOfRecord(d, id), { n: 'after' });
    expect(round(d)).toBe(1);
    const [next] = take(d);
    expect(next!.deviceSeq).toBe(snap!.deviceSeq + 1);
    expect(open(d, next!)).toMatchObject({ docSeq: SNAPSHOT_EVERY + 2, prevHash: hashOf(d, snap!) });
  });

  it('names every device whose items the document holds, and never snapshots a document it deleted', () => {
    const [a, b] = pair();
    const id = character(a, { from: 'a' });
    round(a);
    const all = take(a);
    const fromA = of(all, docOf(a, id));
    receive(b, a, all);
    expect(readFields(docOfRecord(b, id))).toEqual({ from: 'a' });
    let last: OutboxItem | undefined;
    for (let i = 1; !last || last.kind !== 'snapshot'; i++) {
      writeFields(docOfRecord(b, id), { n: i });
      round(b);
      [, last] = take(b);
      expect(i).toBeLessThan(SNAPSHOT_EVERY); // A's item counts towards the snapshot
    }
    const heads = open(b, last).heads.map((h) => ({ ...h, deviceId: toHex(h.deviceId), hash: toHex(h.hash) }));
    expect(heads).toContainEqual({ deviceId: a.r.deviceHex, docSeq: 1, deviceSeq: fromA[0]!.deviceSeq, hash: toHex(hashOf(a, fromA[0]!)) });
    expect(heads.map((h) => h.deviceId).sort()).toEqual([a.r.deviceHex, b.r.deviceHex].sort());
    expect(last.covers.map((c) => toHex(c.deviceId)).sort()).toEqual([a.r.deviceHex, b.r.deviceHex].sort());

    // Deleted (and its tombstone prepared) while a snapshot would be due: asked again, there is none.
    const docId = docOf(b, id);
    b.session.deleteRecord(id, 'character');
    round(b);
    expect(of(take(b), docId).map((i) => i.kind)).toEqual(['tombstone']);
    const ds = b.r.docState(docId);
    ds.since = SNAPSHOT_EVERY;
    expect(maybeSnapshot(b.r, docId, b.r.state.lastSeq + 1)).toBeNull();
  });

  it('makes none while Yjs holds changes whose dependencies have not arrived (structs or deletions), and makes it once they arrive', () => {
    for (const waiting of ['structs', 'deletions'] as const) {
      const { d, id, docId } = busy(SNAPSHOT_EVERY - 2);
      const doc = docOfRecord(d, id);
      // Another writer's two changes, the second depending on the first; only the second arrives.
      const other = new Y.Doc();
      Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
      const changes: Uint8Array[] = [];
      other.on('update', (u: Uint8Array) => changes.push(u));
      writeFields(other, { theirs: 1 });
      if (waiting === 'structs') writeFields(other, { also: 2 });
      else other.getMap('fields').delete('theirs');
      Y.applyUpdate(doc, changes[1]!, FROM_SYNC);
      expect(doc.store.pendingStructs !== null).toBe(waiting === 'structs');
      expect(doc.store.pendingDs !== null).toBe(waiting === 'deletions');
      expect(round(d)).toBe(0); // what arrives from sync is not sent back
      for (let i = 0; i < 3; i++) {
        writeFields(doc, { mine: i });
        expect(round(d)).toBe(1);
        expect(take(d).map((it) => it.kind)).toEqual(['update']);
      }
      expect(d.r.docState(docId).since).toBe(SNAPSHOT_EVERY + 1);
      Y.applyUpdate(doc, changes[0]!, FROM_SYNC);
      expect(round(d)).toBe(0);
      writeFields(doc, { mine: 'last' });
      expect(round(d)).toBe(2);
      const [, snap] = take(d);
      expect(fieldsFrom(open(d, snap!).payload)).toEqual(waiting === 'structs' ? { n: SNAPSHOT_EVERY - 3, theirs: 1, also: 2, mine: 'last' } : { n: SNAPSHOT_EVERY - 3, mine: 'last' });
    }
  });

});

describe('sync outbox: deletions', () => {
  it('a deleted record\'s queued changes are replaced by one tombstone, without a body; a second deletion sends nothing', () => {
    const d = started();
    const id = character(d);
    round(d);
    take(d);
    const docId = docOf(d, id);
    writeFields(docOfRecord(d, id), { name: 'changed' });
    d.session.deleteRecord(id, 'character');
    expect(round(d)).toBe(2);
    const items = take(d);
    const tomb = of(items, docId);
    expect(tomb).toEqual([{ kind: 'tombstone', docId, deviceSeq: expect.any(Number), covers: [] }]);
    expect(tomb[0]!.body).toBeUndefined();
    expect(of(items, catalogDoc(d)).map((i) => i.kind)).toEqual(['update']); // the catalog's deletion mark
    expect(d.r.docState(docId).tombstoned).toBe(true);
    expect(d.r.state.lastSeq).toBe(Math.max(...items.map((i) => i.deviceSeq)));
    expect(d.capture.tombstone(recordRef(id, 'character'))).toBe(true); // sent already
    expect(d.capture.queued).toBe(0);
    // A record the relay never knew needs none.
    expect(d.capture.tombstone(recordRef(newRecordId(), 'character'))).toBe(false);
    expect(d.capture.queued).toBe(0);
  });

  it('changes queued for a record another device deleted meanwhile are dropped, not sent', () => {
    const [a, b] = pair();
    const id = character(a);
    round(a);
    receive(b, a, take(a));
    writeFields(docOfRecord(a, id), { name: 'edited on A' }); // captured on A, not prepared yet
    a.capture.flush();
    expect(a.store.raws(10)).toHaveLength(1);
    b.session.deleteRecord(id, 'character');
    round(b);
    receive(a, b, take(b));
    expect(a.r.docState(docOf(a, id)).tombstoned).toBe(true);
    const docId = docOf(a, id);
    round(a);
    expect(of(take(a), docId)).toEqual([]);
    expect(a.store.raws(10)).toHaveLength(0);
  });

  it('a deleted conversation gets a tombstone for its head and for each segment', () => {
    const d = started();
    const id = d.session.createRecord('conversation', 'Chat', (doc) => writeMeta(doc, { title: 'Chat', createdAt: 1 }));
    for (let i = 0; i < 5; i++) d.session.conversations.append(id, { id: `m${i}`, role: 'user', createdAt: i, alt: { id: `a${i}`, text: `text ${i}`, createdAt: i } });
    round(d);
    take(d);
    const idKey = d.session.vault.subkey('idHash');
    const segments = [0, 1, 2].map((k) => toHex(d.r.keys.relayDocId(segmentRef(idKey, id, k))));
    d.session.deleteRecord(id, 'conversation');
    expect(round(d)).toBe(5);
    const items = take(d);
    const tombs = items.filter((i) => i.kind === 'tombstone').map((i) => toHex(i.docId));
    expect(tombs.sort()).toEqual([toHex(docOf(d, id, 'conversation')), ...segments].sort());
  });

  it('reconcile: a record deleted while nothing captured gets its tombstone; a conversation\'s known segments too', () => {
    const d = device();
    const kept = character(d, { name: 'Kept' });
    const gone = character(d, { name: 'Gone' });
    const chat = d.session.createRecord('conversation', 'Chat', (doc) => writeMeta(doc, { title: 'Chat', createdAt: 1 }));
    for (let i = 0; i < 3; i++) d.session.conversations.append(chat, { id: `m${i}`, role: 'user', createdAt: i, alt: { id: `a${i}`, text: `t ${i}`, createdAt: i } });
    const idKey = d.session.vault.subkey('idHash');
    expect(localDocs(d.r).live).toHaveLength(1 + 3 + 2); // catalog, three records, two segments
    expect(reconcile(d.r, d.capture)).toBe(6);
    expect(prepare(d.r)).toBe(6);
    take(d);
    // Sync stops (no capture), two records are deleted, then sync starts again.
    const again = new Capture(d.r);
    d.capture.close();
    d.session.deleteRecord(gone, 'character');
    d.session.deleteRecord(chat, 'conversation');
    expect(again.queued).toBe(0);
    const { deleted } = localDocs(d.r);
    expect(deleted.map((ref) => ref.recordId).sort()).toEqual([gone, chat, segmentRef(idKey, chat, 0).recordId, segmentRef(idKey, chat, 1).recordId].sort());
    expect(reconcile(d.r, again)).toBe(1 + 4); // the catalog's change, and four tombstones
    expect(round({ ...d, capture: again })).toBe(5);
    const items = take(d);
    expect(items.filter((i) => i.kind === 'tombstone').map((i) => toHex(i.docId)).sort()).toEqual(
      [docOf(d, gone), docOf(d, chat, 'conversation'), d.r.keys.relayDocId(segmentRef(idKey, chat, 0)), d.r.keys.relayDocId(segmentRef(idKey, chat, 1))].map(toHex).sort(),
    );
    expect(of(items, docOf(d, kept))).toEqual([]);
    expect(of(items, catalogDoc(d)).map((i) => i.kind)).toEqual(['update']);
  });
});

describe('sync outbox: reconcile', () => {
  it('queues what changed while nothing captured, once; a deletion alone (same state vector) is found by its delete set', () => {
    const d = started();
    const id = character(d, { name: 'Ada', note: 'x' });
    round(d);
    const [created] = of(take(d), docOf(d, id));
    d.capture.close();
    writeFields(docOfRecord(d, id), { offline: 'edit' }); // a new field: nothing deleted
    let capture = new Capture(d.r);
    expect(reconcile(d.r, capture)).toBe(1);
    capture.flush();
    expect(prepare(d.r)).toBe(1);
    const [edit] = take(d);
    expect(toHex(edit!.docId)).toBe(toHex(docOf(d, id)));
    expect(fieldsFrom(open(d, created!).payload, open(d, edit!).payload)).toEqual({ name: 'Ada', note: 'x', offline: 'edit' });
    capture.close();
    capture = new Capture(d.r);
    expect(reconcile(d.r, capture)).toBe(0);
    capture.close();

    // A deletion only: the state vector does not move, the delete set does.
    const doc = docOfRecord(d, id);
    const sv = Y.encodeStateVector(doc);
    doc.getMap('fields').delete('note');
    expect(Y.encodeStateVector(doc)).toEqual(sv);
    capture = new Capture(d.r);
    expect(reconcile(d.r, capture)).toBe(1);
    expect(prepare(d.r)).toBe(1);
    const [del] = take(d);
    const replay = new Y.Doc();
    Y.applyUpdate(replay, Y.encodeStateAsUpdate(doc));
    Y.applyUpdate(replay, open(d, del!).payload);
    expect(readFields(replay)).toEqual({ name: 'Ada', offline: 'edit' });
    capture.close();
    // Sent once: the same delete set is not sent again.
    capture = new Capture(d.r);
    expect(reconcile(d.r, capture)).toBe(0);
    expect(d.store.raws(10)).toHaveLength(0);
    capture.close();
  });

  it('does not capture before reconcile, nor changes applied from sync or loaded from the store', () => {
    const d = device();
    character(d);
    d.capture.flush();
    expect(d.store.raws(10)).toHaveLength(0);
    expect(d.capture.queued).toBe(0);
    reconcile(d.r, d.capture);
    expect(d.capture.active).toBe(true);
    expect(prepare(d.r)).toBe(2);
  });
});

describe('sync outbox: assets', () => {
  it('uploads a referenced asset once, with the record; a second reference and a restart send it no more; dropping it tombstones it', () => {
    const d = started();
    const bytes = randomBytes(1000);
    const asset = putAsset(d.session, { mime: 'image/png', bytes });
    const assetDoc = d.r.keys.relayDocId(assetRef(asset));
    const id = character(d, { name: 'With avatar', avatar_asset: asset });
    expect(round(d)).toBe(3); // the record, the catalog and the asset's one chunk
    const items = take(d);
    const [chunk] = of(items, assetDoc);
    const inner = open(d, chunk!);
    expect(inner).toMatchObject({ type: 'update', kindCode: docKindCodes.asset, docSeq: 1 });
    expect(toHex(inner.storageId)).toBe(asset);
    expect(inner.payload.subarray(inner.payload.length - bytes.length)).toEqual(bytes);
    expect(d.r.docState(docOf(d, id)).assets).toEqual([asset]);

    const second = character(d, { name: 'Same avatar', avatar_asset: asset });
    round(d);
    expect(of(take(d), assetDoc)).toEqual([]);
    expect(d.r.docState(docOf(d, second)).assets).toEqual([asset]);
    d.capture.close();
    const again = new Capture(d.r);
    writeFields(docOfRecord(d, id), { name: 'offline' });
    reconcile(d.r, again);
    expect(prepare(d.r)).toBe(1);
    expect(of(take(d), assetDoc)).toEqual([]);

    const other = putAsset(d.session, { mime: 'image/png', bytes: randomBytes(10) });
    writeFields(docOfRecord(d, id), { avatar_asset: other });
    again.flush();
    expect(prepare(d.r)).toBe(3); // the record, the new asset, the old one's tombstone
    const changed = take(d);
    expect(of(changed, assetDoc).map((i) => i.kind)).toEqual(['tombstone']);
    expect(of(changed, d.r.keys.relayDocId(assetRef(other))).map((i) => i.kind)).toEqual(['update']);
    expect(d.r.docState(docOf(d, id)).assets).toEqual([other]);
    // A change that leaves the references alone queues no asset work.
    writeFields(docOfRecord(d, id), { name: 'again' });
    expect(again.queued).toBe(1);
    again.close();
  });

  it('an asset another device uploaded before this one prepared its own upload is not uploaded again', () => {
    const [a, b] = pair();
    const bytes = randomBytes(500);
    const asset = putAsset(a.session, { mime: 'image/png', bytes });
    const assetDoc = a.r.keys.relayDocId(assetRef(asset));
    character(a, { name: 'A', avatar_asset: asset });
    round(a);
    const fromA = take(a);
    // B holds the same asset and references it too; its upload is queued, not prepared, when A's arrives.
    putAsset(b.session, { mime: 'image/png', bytes }, asset);
    character(b, { name: 'B', avatar_asset: asset });
    b.capture.flush();
    receive(b, a, of(fromA, assetDoc));
    expect(b.r.docState(assetDoc).chains.size).toBe(1);
    round(b);
    expect(of(take(b), assetDoc)).toEqual([]);
  });
});

// Last: the slowest (12 MiB of state), so mutation runs reach the fast tests first.
describe('sync outbox: snapshot size', () => {
  it('makes none of a state larger than 12 MiB (a frame holds 16), and makes one at exactly 12 MiB', () => {
    const { d, id } = busy(SNAPSHOT_EVERY - 10);
    const doc = docOfRecord(d, id);
    for (const f of ['a', 'b', 'c']) writeFields(doc, { [f]: f.repeat(3.5 * MiB) });
    /** Rewrites field d until the whole state is `size` bytes (each rewrite leaves a deleted value behind). */
    const stateOf = (size: number) => {
      for (let len = MiB, i = 0; Y.encodeStateAsUpdate(doc).length !== size; i++) {
        expect(i).toBeLessThan(10);
        writeFields(doc, { d: 'd'.repeat(len) });
        len += size - Y.encodeStateAsUpdate(doc).length;
      }
    };
    stateOf(12 * MiB + 1);
    round(d);
    expect(take(d).every((i) => i.kind === 'update')).toBe(true);
    for (let since = d.r.docState(docOf(d, id)).since; since < SNAPSHOT_EVERY; since++) {
      writeFields(doc, { small: since });
      expect(round(d)).toBe(1);
      expect(take(d)[0]!.kind).toBe('update');
    }
    expect(d.r.docState(docOf(d, id)).since).toBe(SNAPSHOT_EVERY); // due, but too large
    stateOf(12 * MiB);
    round(d);
    const snap = take(d).at(-1)!;
    expect(snap.kind).toBe('snapshot');
    expect(open(d, snap).payload.length).toBe(12 * MiB);
  });
});

describe('sync outbox: capture', () => {
  it('writes what it captured a moment later by itself, tells its owner, and on close writes what is left and stops capturing', async () => {
    const d = device();
    let flushed = 0;
    const capture = new Capture(d.r, () => flushed++);
    reconcile(d.r, capture);
    expect(flushed).toBe(1);
    prepare(d.r);
    take(d);
    const id = character(d);
    expect(d.store.raws(10)).toHaveLength(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(d.store.raws(10)).toHaveLength(2); // the record and the catalog
    expect(flushed).toBe(2);
    capture.flush(); // nothing queued: nothing written, nobody told
    expect(flushed).toBe(2);
    writeFields(docOfRecord(d, id), { name: 'before close' });
    capture.close();
    expect(d.store.raws(10)).toHaveLength(3);
    writeFields(docOfRecord(d, id), { name: 'after close' });
    capture.flush();
    expect(capture.queued).toBe(0);
    expect(d.store.raws(10)).toHaveLength(3);
  });

  it('a restarted device continues its sequence numbers and every chain, and reconciles its settings too', () => {
    const d = started();
    const id = character(d);
    round(d);
    const last = of(take(d), docOf(d, id))[0]!;
    d.capture.close();
    const seq = d.r.state.lastSeq;
    d.session.systemDoc('settings').doc.getMap('prefs').set('theme', 'dark'); // while sync was not running
    const r = new Replica(d.session, d.store);
    const capture = new Capture(r);
    const again = { ...d, r, capture };
    expect(reconcile(r, capture)).toBe(1);
    writeFields(docOfRecord(d, id), { name: 'after restart' });
    expect(round(again)).toBe(2);
    const items = take(again);
    const settingsDoc = r.keys.relayDocId(systemRef(d.session.vault.subkey('idHash'), 'settings'));
    expect(of(items, settingsDoc)).toHaveLength(1);
    const [next] = of(items, docOf(d, id));
    expect(items.map((i) => i.deviceSeq)).toEqual([seq + 1, seq + 2]); // the settings first: queued first
    expect(r.state.lastSeq).toBe(seq + 2);
    expect(open(again, next!)).toMatchObject({ docSeq: 2, prevHash: hashOf(d, last) });
  });

  it('an avatar set and replaced twice before anything was written: the last one is uploaded, the others only tombstoned', () => {
    const d = started();
    const [x, y, z] = [1, 2, 3].map((n) => putAsset(d.session, { mime: 'image/png', bytes: randomBytes(10 * n) }));
    const id = character(d, { name: 'Avatar' });
    round(d);
    take(d);
    const doc = docOfRecord(d, id);
    for (const a of [x!, y!, z!]) writeFields(doc, { avatar_asset: a });
    expect(round(d)).toBe(4); // the record's changes, z's chunk, the tombstones of x and y
    const items = take(d);
    const kindsOf = (a: string) => of(items, d.r.keys.relayDocId(assetRef(a))).map((i) => i.kind);
    expect([kindsOf(x!), kindsOf(y!), kindsOf(z!)]).toEqual([['tombstone'], ['tombstone'], ['update']]);
    expect(d.r.docState(docOf(d, id)).assets).toEqual([z]);
  });

  it('a record referencing an asset this device does not hold uploads nothing for it', () => {
    const d = started();
    const missing = toHex(randomBytes(16));
    const id = character(d, { name: 'Dangling', avatar_asset: missing });
    expect(round(d)).toBe(2); // the record and the catalog
    expect(of(take(d), d.r.keys.relayDocId(assetRef(missing)))).toEqual([]);
    expect(d.r.docState(docOf(d, id)).assets).toEqual([missing]);
  });
});

describe('sync outbox: asset references', () => {
  it('an asset missing when first referenced is uploaded at the next reconcile once it is here', () => {
    const d = started();
    const bytes = randomBytes(64);
    const missing = toHex(randomBytes(16));
    const id = character(d, { name: 'Dangling', avatar_asset: missing });
    round(d);
    expect(of(take(d), d.r.keys.relayDocId(assetRef(missing)))).toEqual([]);
    d.capture.close();
    putAsset(d.session, { mime: 'image/png', bytes }, missing); // it arrives (copied back into the vault)
    writeFields(docOfRecord(d, id), { name: 'edited while sync was off' });
    const capture = new Capture(d.r);
    reconcile(d.r, capture);
    expect(prepare(d.r)).toBe(2);
    const [chunk] = of(take(d), d.r.keys.relayDocId(assetRef(missing)));
    expect(open(d, chunk!).payload.subarray(-bytes.length)).toEqual(bytes);
    capture.close();
  });

  it('a record created with an avatar and deleted before anything was written: the avatar gets a tombstone, no upload', () => {
    const d = started();
    const asset = putAsset(d.session, { mime: 'image/png', bytes: randomBytes(32) });
    const id = character(d, { name: 'Brief', avatar_asset: asset });
    d.session.deleteRecord(id, 'character');
    round(d);
    const items = take(d);
    expect(of(items, d.r.keys.relayDocId(assetRef(asset))).map((i) => i.kind)).toEqual(['tombstone']);
    expect(of(items, docOf(d, id)).map((i) => i.kind)).toEqual(['tombstone']);
  });

  it('a change that leaves a record\'s references alone keeps its asset list, so a later change still tombstones the old asset', () => {
    const d = started();
    const [x, y] = [1, 2].map(() => putAsset(d.session, { mime: 'image/png', bytes: randomBytes(16) }));
    const id = character(d, { name: 'Kept', avatar_asset: x });
    round(d);
    take(d);
    writeFields(docOfRecord(d, id), { name: 'renamed' });
    round(d);
    take(d);
    expect(d.r.docState(docOf(d, id)).assets).toEqual([x]);
    writeFields(docOfRecord(d, id), { avatar_asset: y });
    round(d);
    expect(of(take(d), d.r.keys.relayDocId(assetRef(x!))).map((i) => i.kind)).toEqual(['tombstone']);
  });
});

describe('sync outbox: what is not sent', () => {
  it('a deletion that arrives from another device is not sent back as this device\'s own tombstone', () => {
    const [a, b] = pair();
    const id = character(a);
    round(a);
    receive(b, a, take(a));
    b.session.deleteRecord(id, 'character');
    round(b);
    // Only B's catalog change (the deletion mark) reaches A this time; its tombstone comes on a later page.
    receive(a, b, of(take(b), catalogDoc(b)));
    expect(a.session.repo.exists(recordRef(id, 'character'))).toBe(true);
    a.capture.flush();
    expect(a.capture.queued).toBe(0);
    expect(round(a)).toBe(0);
  });

  it('a record created and deleted before anything was written gets one tombstone and nothing else; one never synced gets none at reconcile', () => {
    const d = started();
    const id = character(d);
    d.session.deleteRecord(id, 'character');
    round(d);
    expect(of(take(d), docOf(d, id)).map((i) => i.kind)).toEqual(['tombstone']);

    d.capture.close();
    const offline = character(d, { name: 'Never synced' });
    d.session.deleteRecord(offline, 'character');
    const capture = new Capture(d.r);
    expect(reconcile(d.r, capture)).toBe(1); // the catalog only
    capture.flush();
    expect(of(take({ ...d, capture }), docOf(d, offline))).toEqual([]);
    prepare(d.r);
    expect(of(take(d), docOf(d, offline))).toEqual([]);
    capture.close();
  });

  it('after close, a deletion is not captured either', () => {
    const d = started();
    const id = character(d);
    round(d);
    take(d);
    d.capture.close();
    d.session.deleteRecord(id, 'character');
    expect(d.capture.queued).toBe(0);
  });

  it('a record the relay never knew needs no tombstone even while other changes are queued; a conversation deleted then gets exactly its own', () => {
    const d = started();
    const other = character(d, { name: 'Other' });
    const chat = d.session.createRecord('conversation', 'Chat', (doc) => writeMeta(doc, { title: 'Chat', createdAt: 1 }));
    for (let i = 0; i < 3; i++) d.session.conversations.append(chat, { id: `m${i}`, role: 'user', createdAt: i, alt: { id: `a${i}`, text: `t ${i}`, createdAt: i } });
    round(d);
    take(d);
    writeFields(docOfRecord(d, other), { name: 'queued change' });
    expect(d.capture.tombstone(recordRef(newRecordId(), 'character'))).toBe(false);
    d.session.deleteRecord(chat, 'conversation');
    round(d);
    const tombs = take(d).filter((i) => i.kind === 'tombstone');
    expect(tombs).toHaveLength(1 + 2); // the head and two segments
  });

  it('removing an avatar, or swapping one of two, updates the record\'s asset list', () => {
    const d = started();
    const [x, y, z] = [1, 2, 3].map(() => putAsset(d.session, { mime: 'image/png', bytes: randomBytes(16) }));
    const id = character(d, { name: 'Two', avatar_asset: x, banner_asset: y });
    round(d);
    take(d);
    writeFields(docOfRecord(d, id), { banner_asset: z });
    round(d);
    expect(of(take(d), d.r.keys.relayDocId(assetRef(y!))).map((i) => i.kind)).toEqual(['tombstone']);
    expect([...d.r.docState(docOf(d, id)).assets!].sort()).toEqual([x, z].sort());
    docOfRecord(d, id).getMap('fields').delete('banner_asset');
    round(d);
    expect(of(take(d), d.r.keys.relayDocId(assetRef(z!))).map((i) => i.kind)).toEqual(['tombstone']);
    expect(d.r.docState(docOf(d, id)).assets).toEqual([x]);
  });

  it('reconcile keeps only a few segments of a long conversation decoded', () => {
    const d = device();
    const chat = d.session.createRecord('conversation', 'Long', (doc) => writeMeta(doc, { title: 'Long', createdAt: 1 }));
    for (let i = 0; i < 24; i++) d.session.conversations.append(chat, { id: `m${i}`, role: 'user', createdAt: i, alt: { id: `a${i}`, text: `t ${i}`, createdAt: i } });
    const segments = d.session.conversations.segmentRefs(chat, d.session.record(chat, 'conversation').doc);
    expect(segments).toHaveLength(12);
    for (const ref of segments) d.session.repo.open(ref);
    reconcile(d.r, d.capture);
    expect(segments.filter((ref) => d.session.repo.isOpen(ref)).length).toBeLessThanOrEqual(8);
    expect(prepare(d.r)).toBe(1 + 1 + 12);
  });
});

describe('sync outbox: reopened vault', () => {
  it('reconcile after the vault was reopened (its documents load under new Yjs clients) sends the offline edit', () => {
    const d = started();
    const id = character(d, { name: 'Before' });
    round(d);
    const [created] = of(take(d), docOf(d, id));
    d.capture.close();
    // The app closes and opens the vault again; an edit is made before sync starts.
    const session = new VaultSession(d.session.storage, new UnlockedVault(vaultId, vaultKey.slice()));
    writeFields(session.record(id, 'character').doc, { name: 'After' });
    const r = new Replica(session, d.store);
    const again = { session, store: d.store, r, capture: new Capture(r) };
    expect(reconcile(r, again.capture)).toBe(1);
    prepare(r);
    const [edit] = of(take(again), docOf(again, id));
    expect(fieldsFrom(open(again, created!).payload, open(again, edit!).payload)).toEqual({ name: 'After' });
  });
});

describe('sync outbox: two records in one moment', () => {
  it('a record deleted right after another record\'s avatar changed tombstones its own avatar, not the other\'s', () => {
    const d = started();
    const [x, y, x2, y2] = [1, 2, 3, 4].map(() => putAsset(d.session, { mime: 'image/png', bytes: randomBytes(16) }));
    const a = character(d, { name: 'A', avatar_asset: x });
    const b = character(d, { name: 'B', avatar_asset: y });
    round(d);
    take(d);
    writeFields(docOfRecord(d, a), { avatar_asset: x2 });
    writeFields(docOfRecord(d, b), { avatar_asset: y2 });
    d.session.deleteRecord(a, 'character');
    round(d);
    const items = take(d);
    const kindsOf = (asset: string) => of(items, d.r.keys.relayDocId(assetRef(asset))).map((i) => i.kind);
    expect([kindsOf(x!), kindsOf(x2!), kindsOf(y!), kindsOf(y2!)]).toEqual([['tombstone'], ['tombstone'], ['tombstone'], ['update']]);
  });
});
