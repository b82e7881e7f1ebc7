/**
 * The outbox's deletions (outbox.node.ts `Capture.tombstone`, `tombstoneConversation`, `reconcile`): what one
 * device deletes is deleted on the others — a conversation with every segment, a record with its avatar, and a
 * record deleted while sync was not running. Found unreached by mutation testing (docs/testing.md, "sync outbox").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFields } from '../../electron/core/docs/fields-doc.node.ts';
import { writeMeta } from '../../electron/core/docs/conversation-doc.node.ts';
import { getAsset, putAsset } from '../../electron/core/docs/assets.node.ts';
import { getCatalogEntry } from '../../electron/core/docs/catalog.node.ts';
import { recordRef } from '../../electron/core/docs/ids.node.ts';
import { randomBytes } from '../../electron/core/crypto/sodium.node.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';
import { enableAll, memoryDevices, withEngine, type TestDevice } from './support.node.ts';

let relay: TestRelay;
const segmentSize = process.env['MINDSTAGE_TEST_SEGMENT_SIZE'];
beforeAll(async () => {
  process.env['MINDSTAGE_TEST_SEGMENT_SIZE'] = '2'; // a conversation of 5 messages has 3 segments
  relay = await startTestRelay();
});
afterAll(async () => {
  if (segmentSize === undefined) delete process.env['MINDSTAGE_TEST_SEGMENT_SIZE'];
  else process.env['MINDSTAGE_TEST_SEGMENT_SIZE'] = segmentSize;
  await relay?.close();
});

const close = async (devices: TestDevice[]) => {
  for (const d of devices) await d.engine.close();
};
const gone = (d: TestDevice, id: string, kind: 'character' | 'conversation') => getCatalogEntry(d.session.catalog, id) === undefined && !d.session.repo.exists(recordRef(id, kind));

describe('sync outbox: deletions reach every device', () => {
  it('a deleted conversation is deleted on the other device with every segment', async () => {
    const [a, b] = memoryDevices(2);
    await enableAll([a!, b!], relay.url);
    const id = a!.session.createRecord('conversation', 'Chat', (doc) => writeMeta(doc, { title: 'Chat', createdAt: 1 }));
    for (let i = 0; i < 5; i++) a!.session.conversations.append(id, { id: `m${i}`, role: 'user', createdAt: i, alt: { id: `a${i}`, text: `text ${i}`, createdAt: i } });
    await a!.engine.syncOnce();
    await b!.engine.syncOnce();
    const segments = b!.session.conversations.segmentRefs(id, b!.session.record(id, 'conversation').doc);
    expect(segments).toHaveLength(3);
    expect(b!.session.conversations.count(id)).toBe(5);

    a!.session.deleteRecord(id, 'conversation');
    const up = await a!.engine.syncOnce();
    expect(up.up).toBe(2 + segments.length); // the catalog change, the head's tombstone and one per segment
    expect(await b!.engine.syncOnce()).toMatchObject({ problems: [] });
    expect(gone(b!, id, 'conversation')).toBe(true);
    for (const ref of segments) expect(b!.session.repo.exists(ref)).toBe(false);
    await close([a!, b!]);
  });

  it('a record deleted while sync was not running is deleted on the other device once sync starts again', async () => {
    const [a, b] = memoryDevices(2);
    await enableAll([a!, b!], relay.url);
    const id = a!.session.createRecord('character', 'Offline', (doc) => writeFields(doc, { name: 'Offline' }));
    const kept = a!.session.createRecord('character', 'Kept', (doc) => writeFields(doc, { name: 'Kept' }));
    await a!.engine.syncOnce();
    await b!.engine.syncOnce();
    await a!.engine.close();
    a!.session.deleteRecord(id, 'character'); // no engine listening
    const again = withEngine(a!.session, a!.storage, a!.store);
    await again.engine.syncOnce();
    expect(await b!.engine.syncOnce()).toMatchObject({ problems: [] });
    expect(gone(b!, id, 'character')).toBe(true);
    expect(gone(b!, kept, 'character')).toBe(false);
    // Nothing more to send: the deletion is not sent again.
    expect(await again.engine.syncOnce()).toMatchObject({ up: 0 });
    await close([again, b!]);
  });

  it('deleting a record deletes its avatar on the other device too', async () => {
    const [a, b] = memoryDevices(2);
    await enableAll([a!, b!], relay.url);
    const asset = putAsset(a!.session, { mime: 'image/png', bytes: randomBytes(100) });
    const id = a!.session.createRecord('character', 'With avatar', (doc) => writeFields(doc, { name: 'With avatar', avatar_asset: asset }));
    await a!.engine.syncOnce();
    await b!.engine.syncOnce();
    expect(getAsset(b!.session, asset).bytes.length).toBe(100);
    a!.session.deleteRecord(id, 'character');
    await a!.engine.syncOnce();
    expect(await b!.engine.syncOnce()).toMatchObject({ problems: [] });
    expect(gone(b!, id, 'character')).toBe(true);
    expect(() => getAsset(b!.session, asset)).toThrow(expect.objectContaining({ code: 'not_found' }));
    await close([a!, b!]);
  });
});
