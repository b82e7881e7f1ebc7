/**
 * A hostile relay between an honest device and the real relay process: it drops, reorders, replays, duplicates,
 * flips bits in, withholds, forges and moves items between documents. Each is detected (pending with a gap, or
 * refused naming the record) or harmless; nothing it touched is applied; once the relay behaves, the device
 * converges to exactly the honest state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itemStatement } from '../../shared/sync/signing.std.ts';
import type { Item } from '../../shared/sync/messages.std.ts';
import { readFields, writeFields } from '../../electron/core/docs/fields-doc.node.ts';
import { recordRef } from '../../electron/core/docs/ids.node.ts';
import { toHex } from '../../electron/core/crypto/sodium.node.ts';
import { newKeys, spawnRelay, type RelayProcess } from '../support/relay-client.node.ts';
import { tempDir } from '../support/files.node.ts';
import { flipBit, hostileRelay } from './hostile-proxy.node.ts';
import { memoryDevices, picture, type TestDevice } from './support.node.ts';

let relay: RelayProcess;
beforeAll(async () => {
  relay = await spawnRelay(['--data', tempDir('hostile-relay'), '--log-level', 'info']);
});
afterAll(async () => {
  relay?.child.kill('SIGKILL');
  await relay?.exited;
});

interface Scene {
  a: TestDevice;
  b: TestDevice;
  honest: TestDevice;
  hostile: ReturnType<typeof hostileRelay>;
  id: string;
  other: string;
  docOf: (id: string) => string;
}

/** A writes two records in STEPS separate items each (one per round); B reads through the hostile relay. */
const STEPS = 6;
async function scene(): Promise<Scene> {
  const hostile = hostileRelay();
  const [a, b, honest] = memoryDevices(3, {});
  b!.engine = (await import('../../electron/core/sync/engine.node.ts')).createSyncEngine({ session: b!.session, store: b!.store, socket: hostile.socket });
  for (const d of [a!, b!, honest!]) await d.engine.enable({ relayUrl: relay.url });
  const id = a!.session.createRecord('character', 'Target', (doc) => writeFields(doc, { name: 'Target', step: 0 }));
  const other = a!.session.createRecord('character', 'Other', (doc) => writeFields(doc, { name: 'Other' }));
  await a!.engine.syncOnce();
  for (let i = 1; i <= STEPS; i++) {
    writeFields(a!.session.record(id, 'character').doc, { step: i, [`k${i}`]: `v${i}` });
    await a!.engine.syncOnce();
  }
  const docOf = (rid: string) => toHex(a!.engine.replica.keys.relayDocId(recordRef(rid, 'character')));
  return { a: a!, b: b!, honest: honest!, hostile, id, other, docOf };
}

const targetItems = (s: Scene, items: Item[]) => items.filter((i) => toHex(i.docId) === s.docOf(s.id) && i.kind === 'update');

/**
 * The target record's n-th update (0 = its creation), recognised by its device sequence number on every page, so a
 * hostile relay keeps attacking the same item when the client pulls again to repair a gap.
 */
function nth(s: Scene, n: number): (i: Item) => boolean {
  let seq: number | undefined;
  return (i) => {
    seq ??= targetItems(s, s.hostile.seen)[n]?.deviceSeq;
    return toHex(i.docId) === s.docOf(s.id) && i.deviceSeq === seq;
  };
}

/** After the attack: B converges to A's exact state once the relay behaves, and so does an untouched device. */
async function healsAndConverges(s: Scene): Promise<void> {
  s.hostile.rewrite = null;
  const healed = await s.b.engine.syncOnce();
  expect(healed.pending).toBe(0);
  await s.honest.engine.syncOnce();
  expect(picture(s.b.session)).toEqual(picture(s.a.session));
  expect(picture(s.honest.session)).toEqual(picture(s.a.session));
  expect(readFields<Record<string, unknown>>(s.b.session.record(s.id, 'character').doc)).toMatchObject({ step: STEPS, [`k${STEPS}`]: `v${STEPS}` });
  for (const d of [s.a, s.b, s.honest]) await d.engine.close();
}

/** What B holds of the target record must be exactly A's state after `upTo` steps: a prefix, never a mix. */
function holdsPrefix(s: Scene, upTo: number): void {
  const f = readFields<Record<string, unknown>>(s.b.session.record(s.id, 'character').doc);
  expect(f['step']).toBe(upTo);
  for (let i = 1; i <= STEPS; i++) expect(f[`k${i}`]).toBe(i <= upTo ? `v${i}` : undefined);
}

describe('hostile relay', () => {
  it('drop: a gap in the chain holds back later items (detected, not applied) until the missing one arrives', async () => {
    const s = await scene();
    const drop = nth(s, 3); // step 3 (index 0 is the creation)
    s.hostile.rewrite = (items) => items.filter((i) => !drop(i));
    const r = await s.b.engine.syncOnce();
    expect(r.pending).toBeGreaterThan(0);
    expect(r.problems).toEqual([]);
    holdsPrefix(s, 2);
    expect(s.b.engine.status().pendingMessage).toMatch(/waiting for earlier items/);
    await healsAndConverges(s);
  });

  it('reorder: items delivered backwards are applied in chain order; same result, nothing refused', async () => {
    const s = await scene();
    s.hostile.rewrite = (items) => [...items].reverse().map((i, k, all) => ({ ...i, serverSeq: all[all.length - 1 - k]!.serverSeq }));
    const r = await s.b.engine.syncOnce();
    expect(r).toMatchObject({ pending: 0, quarantined: 0, problems: [] });
    holdsPrefix(s, STEPS);
    await healsAndConverges(s);
  });

  it('replay and duplicate: old items again, and every item twice, change nothing', async () => {
    const s = await scene();
    s.hostile.rewrite = (items) => items.flatMap((i) => [i, i]);
    expect(await s.b.engine.syncOnce()).toMatchObject({ pending: 0, quarantined: 0, problems: [] });
    holdsPrefix(s, STEPS);
    // Later: the relay replays everything it ever sent, under new sequence numbers.
    const old = [...s.hostile.seen];
    const before = picture(s.b.session);
    s.hostile.rewrite = (items) => [...items, ...old.map((i, k) => ({ ...i, serverSeq: 10_000 + k }))];
    expect(await s.b.engine.syncOnce()).toMatchObject({ pending: 0, quarantined: 0, problems: [] });
    expect(picture(s.b.session)).toEqual(before);
    await healsAndConverges(s);
  });

  it('replay in place of another item: the replayed copy is ignored and the displaced item is a detected gap', async () => {
    const s = await scene();
    const displaced = nth(s, 4);
    const replayed = nth(s, 2);
    s.hostile.rewrite = (items) => items.map((i) => (displaced(i) ? { ...s.hostile.seen.find(replayed)!, serverSeq: i.serverSeq } : i));
    const r = await s.b.engine.syncOnce();
    expect(r.pending).toBeGreaterThan(0);
    holdsPrefix(s, 3);
    await healsAndConverges(s);
  });

  it('bit flip: the item is refused with an error naming the record; nothing of it or after it is applied', async () => {
    const s = await scene();
    const flip = nth(s, 2);
    s.hostile.rewrite = (items) => items.map((i) => (flip(i) ? flipBit(i, 60) : i));
    const r = await s.b.engine.syncOnce();
    expect(r.quarantined).toBe(1);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ code: 'integrity', recordId: s.id });
    expect(r.problems[0]!.message).toMatch(/signature does not verify/);
    holdsPrefix(s, 1);
    await healsAndConverges(s);
  });

  it('withhold: holding back an item is invisible until a later one of the same chain arrives, then a detected gap', async () => {
    const s = await scene();
    const held = nth(s, STEPS);
    s.hostile.rewrite = (items) => items.filter((i) => !held(i));
    expect(await s.b.engine.syncOnce()).toMatchObject({ pending: 0, problems: [] });
    holdsPrefix(s, STEPS - 1);
    writeFields(s.a.session.record(s.id, 'character').doc, { late: true });
    await s.a.engine.syncOnce();
    const r = await s.b.engine.syncOnce();
    expect(r.pending).toBeGreaterThan(0);
    expect(readFields<Record<string, unknown>>(s.b.session.record(s.id, 'character').doc)['late']).toBeUndefined();
    await healsAndConverges(s);
  });

  // The relay alone cannot get an item past the signature, which covers the document id; an item a device key sealed
  // for one document but names another inside is inbound-checks.test.ts ("document binding").
  it('move between documents (relay alone): an item re-filed under another record fails its signature, is refused naming that record; both stay intact', async () => {
    const s = await scene();
    const otherDoc = Uint8Array.from(Buffer.from(s.docOf(s.other), 'hex'));
    const moved = nth(s, 5);
    s.hostile.rewrite = (items) => items.map((i) => (moved(i) ? { ...i, docId: otherDoc } : i));
    const r = await s.b.engine.syncOnce();
    expect(r.problems.map((p) => p.recordId)).toEqual([s.other]);
    expect(r.problems[0]!.message).toMatch(/signature does not verify/);
    expect(readFields(s.b.session.record(s.other, 'character').doc)).toEqual({ name: 'Other' });
    holdsPrefix(s, 4);
    await healsAndConverges(s);
  });

  it('forgery: items signed by a key the account never enrolled are refused; a re-signed body from another document fails to open', async () => {
    const s = await scene();
    const stranger = newKeys();
    const accountId = s.a.engine.replica.keys.accountId;
    const otherDoc = Uint8Array.from(Buffer.from(s.docOf(s.other), 'hex'));
    const victim = nth(s, 1);
    s.hostile.rewrite = (items) =>
      items.map((i) => {
        if (!victim(i)) return i;
        const forged = { ...i, deviceId: stranger.publicKey };
        return { ...forged, sig: stranger.sign(itemStatement({ ...forged, accountId })) as Uint8Array };
      });
    const r = await s.b.engine.syncOnce();
    expect(r.problems[0]!.message).toMatch(/never enrolled/);
    // A device key that signs a body it took from another document: the AEAD binding (document id) refuses it.
    const { openBody } = await import('../../electron/core/sync/format.node.ts');
    const { keyFor } = await import('../../electron/core/sync/keyring.node.ts');
    const t = targetItems(s, s.hostile.seen)[2]!;
    expect(openBody((e) => keyFor(s.b.engine.replica, e), accountId, { ...t, docId: otherDoc })).toMatchObject({ ok: false, why: 'decrypt' });
    await healsAndConverges(s);
  });
});
