/**
 * Assets (avatars, card images) travel through the relay: sealed and signed like documents, byte-identical on the
 * paired device, chunked when large, deleted on the relay and on the other device when replaced or when their record
 * is deleted — and a canary inside the image bytes never appears in the relay's files or logs, nor in plaintext in
 * either device's folder. Core API, real SQLite vaults, real relay process.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodedForms, findSecrets, tempDir } from '../support/files.node.ts';
import { spawnRelay, type RelayProcess } from '../support/relay-client.node.ts';
import { firstDevice, pairedDevice, refusal } from './core-support.node.ts';
import { itemStatement } from '../../shared/sync/signing.std.ts';
import type { Item } from '../../shared/sync/messages.std.ts';
import { toHex } from '../../electron/core/crypto/sodium.node.ts';
import { getAsset, putAsset } from '../../electron/core/docs/assets.node.ts';
import { writeFields } from '../../electron/core/docs/fields-doc.node.ts';
import { assetRef } from '../../electron/core/sync/assets.node.ts';
import { openBody, sealBody } from '../../electron/core/sync/format.node.ts';
import { keyFor } from '../../electron/core/sync/keyring.node.ts';
import { flipBit, hostileRelay } from './hostile-proxy.node.ts';
import { enableAll, memoryDevices, type TestDevice } from './support.node.ts';

const FIXTURE = '/work/shared/fixtures/cards/v2-pure-melina.png';
const canary = `ASSETCANARY-${randomBytes(6).toString('hex')}`;

/** A PNG-looking image with the canary inside; `size` bytes in all. */
function canaryImage(size: number): Buffer {
  const b = randomBytes(size);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  for (const at of [16, Math.floor(size / 2), size - canary.length - 1]) Buffer.from(canary).copy(b, at);
  return b;
}

describe('assets through the engine, relay process', () => {
  let relay: RelayProcess;
  let relayDir: string;
  beforeAll(async () => {
    relayDir = tempDir('sync-assets-relay');
    relay = await spawnRelay(['--data', relayDir, '--log-level', 'debug']);
  });
  afterAll(async () => {
    relay?.child.kill('SIGKILL');
    await relay?.exited;
  });

  it('an avatar set or imported on A is byte-identical through assets.get on B; replaced and deleted ones go away', async () => {
    const a = await firstDevice(relay.url);
    // A card import (its image becomes the avatar), a small avatar with a canary, and a large one (chunked).
    const card = readFileSync(FIXTURE);
    const imported = await a.call('cards.import', { fileName: 'melina.png', bytesBase64: card.toString('base64') });
    const small = await a.call('character.create', { name: 'Small avatar' });
    const big = await a.call('character.create', { name: 'Big avatar' });
    const smallBytes = canaryImage(50_000);
    const bigBytes = canaryImage(9 * 1024 * 1024 + 12_345);
    const smallAsset = (await a.call('assets.setAvatar', { recordId: small.id, kind: 'character', mime: 'image/png', bytesBase64: smallBytes.toString('base64') })).assetId;
    const bigAsset = (await a.call('assets.setAvatar', { recordId: big.id, kind: 'character', mime: 'image/webp', bytesBase64: bigBytes.toString('base64') })).assetId;
    const importedAsset = (await a.call('character.get', { id: imported.id })).avatar_asset!;
    expect(importedAsset).toMatch(/^[0-9a-f]{32}$/);
    await a.call('sync.now', {});

    const b = await pairedDevice(a, relay.url);
    for (const [id, expected] of [[importedAsset, null], [smallAsset, smallBytes], [bigAsset, bigBytes]] as const) {
      const onA = await a.call('assets.get', { id });
      const onB = await b.call('assets.get', { id });
      expect(onB).toEqual(onA);
      if (expected) expect(Buffer.from(onB.bytesBase64, 'base64').equals(expected)).toBe(true);
    }
    expect((await b.call('character.get', { id: big.id })).avatar_asset).toBe(bigAsset);
    const exported = await b.call('cards.export', { id: imported.id, format: 'png' });
    expect(exported.mime).toBe('image/png');

    // Replacing an avatar: the new one arrives, the old one is deleted on B and leaves only a tombstone on the relay.
    const newBytes = canaryImage(30_000);
    const replaced = (await a.call('assets.setAvatar', { recordId: small.id, kind: 'character', mime: 'image/png', bytesBase64: newBytes.toString('base64') })).assetId;
    // Deleting a record deletes its avatar too.
    await a.call('character.delete', { id: imported.id });
    await a.call('sync.now', {});
    const down = await b.call('sync.now', {});
    expect(down.problems).toEqual([]);
    expect(Buffer.from((await b.call('assets.get', { id: replaced })).bytesBase64, 'base64').equals(newBytes)).toBe(true);
    expect(await refusal(b.call('assets.get', { id: smallAsset }))).toMatchObject({ code: 'not_found' });
    expect(await refusal(b.call('assets.get', { id: importedAsset }))).toMatchObject({ code: 'not_found' });
    expect((await b.call('assets.get', { id: bigAsset })).bytesBase64).toBe(bigBytes.toString('base64'));

    // B's avatar change travels back to A the same way.
    const fromB = canaryImage(20_000);
    const bAsset = (await b.call('assets.setAvatar', { recordId: big.id, kind: 'character', mime: 'image/png', bytesBase64: fromB.toString('base64') })).assetId;
    await b.call('sync.now', {});
    await a.call('sync.now', {});
    expect(Buffer.from((await a.call('assets.get', { id: bAsset })).bytesBase64, 'base64').equals(fromB)).toBe(true);
    expect(await refusal(a.call('assets.get', { id: bigAsset }))).toMatchObject({ code: 'not_found' });

    for (const d of [a, b]) await d.core.close();
    relay.child.kill('SIGTERM');
    await relay.exited;
    // The relay holds only tombstones of the removed assets and the deleted record, nothing else of them.
    const db = new Database(join(relayDir, 'relay.sqlite'), { readonly: true });
    const tombstoned = db.prepare("SELECT doc_id FROM items WHERE kind = 'tombstone'").pluck().all() as Buffer[];
    expect(tombstoned).toHaveLength(4); // small's first avatar, the imported record and its avatar, big's first avatar
    for (const doc of tombstoned) expect(db.prepare("SELECT count(*) FROM items WHERE doc_id = ? AND kind != 'tombstone'").pluck().get(doc)).toBe(0);
    db.close();
    // The canary inside the images: never on the relay, in its logs, or in plaintext on either device.
    const logs = relay.output.join('\n');
    for (const f of encodedForms(canary)) expect(logs.includes(f.toString('latin1'))).toBe(false);
    expect(findSecrets(relayDir, [canary])).toEqual([]);
    expect(findSecrets(a.dir, [canary])).toEqual([]);
    expect(findSecrets(b.dir, [canary])).toEqual([]);
  });
});

describe('assets through a hostile relay', () => {
  let relay: RelayProcess;
  beforeAll(async () => {
    relay = await spawnRelay(['--data', tempDir('sync-assets-hostile'), '--log-level', 'info']);
  });
  afterAll(async () => {
    relay?.child.kill('SIGKILL');
    await relay?.exited;
  });

  /** A sets a 9 MB avatar (three chunks); B reads through a rewriting proxy. */
  async function scene(): Promise<{ a: TestDevice; b: TestDevice; hostile: ReturnType<typeof hostileRelay>; asset: string; bytes: Buffer; chunks: () => Item[] }> {
    const hostile = hostileRelay();
    const [a, b] = memoryDevices(2);
    b!.engine = (await import('../../electron/core/sync/engine.node.ts')).createSyncEngine({ session: b!.session, store: b!.store, socket: hostile.socket });
    await enableAll([a!, b!], relay.url);
    const bytes = canaryImage(9 * 1024 * 1024);
    const asset = putAsset(a!.session, { mime: 'image/png', bytes });
    a!.session.createRecord('character', 'Pictured', (doc) => writeFields(doc, { name: 'Pictured', avatar_asset: asset }));
    await a!.engine.syncOnce();
    const docId = toHex(a!.engine.replica.keys.relayDocId(assetRef(asset)));
    const chunks = () => [...new Map(hostile.seen.filter((i) => toHex(i.docId) === docId).map((i) => [i.deviceSeq, i])).values()].sort((x, y) => x.deviceSeq - y.deviceSeq);
    return { a: a!, b: b!, hostile, asset, bytes, chunks };
  }
  const absent = (d: TestDevice, id: string) => expect(() => getAsset(d.session, id)).toThrow(/No asset/);
  async function heals(s: Awaited<ReturnType<typeof scene>>): Promise<void> {
    s.hostile.rewrite = null;
    const r = await s.b.engine.syncOnce();
    expect(r.pending).toBe(0);
    expect(Buffer.from(getAsset(s.b.session, s.asset).bytes).equals(s.bytes)).toBe(true);
    for (const d of [s.a, s.b]) await d.engine.close();
  }

  it('drop: a missing chunk holds the asset back (nothing stored) until it arrives', async () => {
    const s = await scene();
    let dropped: number | undefined;
    s.hostile.rewrite = (items) => items.filter((i) => i.deviceSeq !== (dropped ??= s.chunks()[1]?.deviceSeq) || toHex(i.docId) !== toHex(s.chunks()[1]!.docId));
    const r = await s.b.engine.syncOnce();
    expect(s.chunks()).toHaveLength(3);
    expect(r.pending).toBeGreaterThan(0);
    expect(r.problems).toEqual([]);
    absent(s.b, s.asset);
    await heals(s);
  });

  it('bit flip in a chunk: refused, nothing stored; the good copy completes it later', async () => {
    const s = await scene();
    let target: string | undefined;
    s.hostile.rewrite = (items) => items.map((i) => {
      const c = s.chunks()[1];
      target ??= c && `${toHex(c.docId)}/${c.deviceSeq}`;
      return `${toHex(i.docId)}/${i.deviceSeq}` === target ? flipBit(i, 5000) : i;
    });
    const r = await s.b.engine.syncOnce();
    expect(r.quarantined).toBeGreaterThan(0);
    expect(r.problems[0]!.message).toMatch(/signature does not verify/);
    absent(s.b, s.asset);
    await heals(s);
  });

  it('an enrolled device that signs a chunk whose content does not match the asset hash: refused, nothing stored', async () => {
    const s = await scene();
    const rep = s.a.engine.replica;
    const accountId = rep.keys.accountId;
    s.hostile.rewrite = (items) => items.map((i) => {
      const last = s.chunks()[2];
      if (!last || toHex(i.docId) !== toHex(last.docId) || i.deviceSeq !== last.deviceSeq) return i;
      const opened = openBody((e) => keyFor(rep, e), accountId, i);
      if (!opened.ok) throw new Error('cannot open the chunk');
      const payload = opened.inner.payload.slice();
      payload[100]! ^= 0xff;
      const body = sealBody(keyFor(rep, opened.epoch)!, opened.epoch, accountId, { ...opened.inner, payload });
      const forged = { ...i, body };
      return { ...forged, sig: rep.device.sign(itemStatement({ ...forged, accountId })) as Uint8Array };
    });
    const r = await s.b.engine.syncOnce();
    expect(r.problems.map((p) => p.message).join('\n')).toMatch(/does not match its own hash/);
    absent(s.b, s.asset);
    for (const d of [s.a, s.b]) await d.engine.close();
  });

  it('a chunk moved to another asset fails to open (bound to its document); neither asset is stored wrongly', async () => {
    const s = await scene();
    const other = putAsset(s.a.session, { mime: 'image/png', bytes: canaryImage(1000) });
    s.a.session.createRecord('character', 'Other', (doc) => writeFields(doc, { name: 'Other', avatar_asset: other }));
    await s.a.engine.syncOnce();
    const otherDoc = s.a.engine.replica.keys.relayDocId(assetRef(other));
    s.hostile.rewrite = (items) => items.map((i) => {
      const first = s.chunks()[0];
      return first && toHex(i.docId) === toHex(first.docId) && i.deviceSeq === first.deviceSeq ? { ...i, docId: otherDoc } : i;
    });
    const r = await s.b.engine.syncOnce();
    expect(r.quarantined).toBeGreaterThan(0);
    absent(s.b, s.asset);
    expect(Buffer.from(getAsset(s.b.session, other).bytes).length).toBe(1000);
    await heals(s);
  });
});
