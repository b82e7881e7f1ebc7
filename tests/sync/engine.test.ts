/**
 * The engine against a real relay on loopback (in-process here; process-level tests are in the other files):
 * enable, upload, download, convergence, live updates, tombstones, snapshots pruning the relay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFields, readFields } from '../../electron/core/docs/fields-doc.node.ts';
import { getCatalogEntry } from '../../electron/core/docs/catalog.node.ts';
import { appendMessage, readMessages } from '../../electron/core/docs/conversation-doc.node.ts';
import { recordRef } from '../../electron/core/docs/ids.node.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';
import { enableAll, memoryDevices, picture, until } from './support.node.ts';

let relay: TestRelay;
beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(async () => {
  await relay?.close();
});

describe('sync engine', () => {
  it('moves records between two devices and reports what moved', async () => {
    const [a, b] = memoryDevices(2);
    await enableAll([a!, b!], relay.url);
    const id = a!.session.createRecord('character', 'Ada', (doc) => writeFields(doc, { name: 'Ada', description: 'first' }));
    const up = await a!.engine.syncOnce();
    expect(up.up).toBeGreaterThan(0);
    expect(up.down).toBe(0);
    const down = await b!.engine.syncOnce();
    expect(down.down).toBeGreaterThan(0);
    expect(down.problems).toEqual([]);
    expect(getCatalogEntry(b!.session.catalog, id)?.title).toBe('Ada');
    expect(readFields(b!.session.record(id, 'character').doc)).toMatchObject({ name: 'Ada', description: 'first' });
    expect(b!.changed).toContain(id);

    // Concurrent edits of different fields merge; both converge.
    writeFields(a!.session.record(id, 'character').doc, { description: 'from a' });
    writeFields(b!.session.record(id, 'character').doc, { scenario: 'from b' });
    await a!.engine.syncOnce();
    await b!.engine.syncOnce();
    await a!.engine.syncOnce();
    expect(picture(a!.session)).toEqual(picture(b!.session));
    expect(readFields(a!.session.record(id, 'character').doc)).toMatchObject({ description: 'from a', scenario: 'from b' });
    // Nothing left to move.
    expect((await a!.engine.syncOnce())).toMatchObject({ up: 0, down: 0, pending: 0, quarantined: 0 });
    await a!.engine.close();
    await b!.engine.close();
  });

  it('applies to documents already open on the receiving device, stores new ones as received, and both reload from the store', async () => {
    const [a, b] = memoryDevices(2);
    await enableAll([a!, b!], relay.url);
    const x = a!.session.createRecord('character', 'Open early', (doc) => writeFields(doc, { name: 'X', description: 'filled later' }));
    const c = a!.session.createRecord('conversation', 'New here', (doc) => {
      for (let i = 0; i < 5; i++) appendMessage(doc, { id: `m${i}`, role: 'user', createdAt: i, alt: { id: `a${i}`, text: `hello ${i}`, createdAt: i } });
    });
    await a!.engine.syncOnce();
    // B opens X before its content arrives (as a record() call that then fails does): an empty document in memory
    // that the store does not hold.
    const early = b!.session.repo.open(recordRef(x, 'character')).doc;
    expect(readFields(early)).toEqual({});
    const r = await b!.engine.syncOnce();
    expect(r.problems).toEqual([]);
    expect(readFields(early)).toMatchObject({ name: 'X', description: 'filled later' }); // the open document got it
    expect(readMessages(b!.session.record(c, 'conversation').doc).map((m) => m.id)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    // A local edit on B after the first sync, then everything reloads from B's store.
    appendMessage(b!.session.record(c, 'conversation').doc, { id: 'b1', role: 'user', createdAt: 9, alt: { id: 'ab1', text: 'from b', createdAt: 9 } });
    b!.session.repo.close();
    expect(readFields(b!.session.record(x, 'character').doc)).toMatchObject({ name: 'X', description: 'filled later' });
    expect(readMessages(b!.session.record(c, 'conversation').doc).map((m) => m.id)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'b1']);
    await b!.engine.syncOnce();
    await a!.engine.syncOnce();
    expect(picture(a!.session)).toEqual(picture(b!.session));
    await a!.engine.close();
    await b!.engine.close();
  });

  it('delivers live updates in watch mode and deletes records everywhere with a tombstone', async () => {
    const [a, b] = memoryDevices(2, { idleMs: 200 });
    await enableAll([a!, b!], relay.url);
    a!.engine.watch();
    b!.engine.watch();
    await until(() => a!.engine.status().state === 'watching' && b!.engine.status().state === 'watching', 60_000, 'watching');
    const id = a!.session.createRecord('persona', 'Me', (doc) => writeFields(doc, { name: 'Me' }));
    await until(() => getCatalogEntry(b!.session.catalog, id) !== undefined && b!.session.repo.exists({ storageId: Buffer.from(id, 'hex'), kind: 'persona', recordId: id }), 60_000, 'live update');
    expect(readFields(b!.session.record(id, 'persona').doc)).toMatchObject({ name: 'Me' });

    b!.session.deleteRecord(id, 'persona');
    await until(() => getCatalogEntry(a!.session.catalog, id) === undefined, 60_000, 'deletion on a');
    await until(() => !a!.session.repo.exists({ storageId: Buffer.from(id, 'hex'), kind: 'persona', recordId: id }), 60_000, 'doc gone on a');
    await a!.engine.close();
    await b!.engine.close();
  });

  it('snapshots a busy document so the relay prunes what the snapshot covers, and a new device still gets everything', async () => {
    const [a, b, c] = memoryDevices(3);
    await enableAll([a!, b!, c!], relay.url);
    const id = a!.session.createRecord('character', 'Busy', (doc) => writeFields(doc, { name: 'Busy', n: 0 }));
    await a!.engine.syncOnce();
    await b!.engine.syncOnce();
    for (let i = 1; i <= 130; i++) {
      const d = i % 2 ? a! : b!;
      writeFields(d.session.record(id, 'character').doc, { [`f${i % 7}`]: i, n: i });
      await d.engine.syncOnce();
    }
    await a!.engine.syncOnce();
    await b!.engine.syncOnce();
    const r = await c!.engine.syncOnce();
    expect(r.problems).toEqual([]);
    expect(r.pending).toBe(0);
    expect(picture(c!.session)).toEqual(picture(a!.session));
    expect(picture(b!.session)).toEqual(picture(a!.session));
    // The relay kept fewer items than were written: the snapshot pruned what it covered.
    const stored = await relay.storage.itemsAfter(a!.engine.replica.keys.accountId, 0, 10_000, 64 * 1024 * 1024);
    expect(stored.some((i) => i.kind === 'snapshot')).toBe(true);
    expect(stored.length).toBeLessThan(100);
    for (const d of [a!, b!, c!]) await d.engine.close();
  });

  it('a connected device in watch mode gets the wipe live, verifies it and hands it over; closing zeroes the keys', async () => {
    const wipedWith: unknown[] = [];
    const [a, b] = memoryDevices(2, { idleMs: 200 });
    const { createSyncEngine } = await import('../../electron/core/sync/engine.node.ts');
    const { signWipe, sendWipe } = await import('../../electron/core/sync/wipe.node.ts');
    b!.engine = createSyncEngine({ session: b!.session, store: b!.store, idleMs: 200, onWiped: (m) => void wipedWith.push(m) });
    await enableAll([a!, b!], relay.url);
    b!.engine.watch();
    await until(() => b!.engine.status().state === 'watching', 60_000, 'watching');
    const receipt = await sendWipe(signWipe(a!.engine));
    expect(receipt.counts.devices).toBe(2);
    await until(() => wipedWith.length === 1, 60_000, 'live wipe');
    expect(b!.engine.status().state).toBe('wiped');
    const keys = b!.engine.replica.keys;
    const local = keys.localKeys();
    await b!.engine.close();
    await a!.engine.close();
    for (const k of [...local, keys.epochZero, keys.docIdKey, keys.account.secretKey]) expect(k.every((x) => x === 0)).toBe(true);
  });
});
