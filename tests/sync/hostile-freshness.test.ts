/**
 * Freshness against a hostile relay (relay process behind a rewriting proxy): withholding the newest item of a
 * device's chain — which no hash chain can reveal, since nothing later in that chain arrives — is reported in the
 * sync status within the round in which the writer's next signed head statement arrives; a relay that shows an
 * older head than it showed before is reported as a rollback. Reports are plain words and clear once the relay
 * behaves. With an honest relay nothing is reported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item } from '../../shared/sync/messages.std.ts';
import { toHex } from '../../electron/core/crypto/sodium.node.ts';
import { readFields, writeFields } from '../../electron/core/docs/fields-doc.node.ts';
import { recordRef } from '../../electron/core/docs/ids.node.ts';
import { createSyncEngine, type SyncStatus } from '../../electron/core/sync/engine.node.ts';
import { spawnRelay, type RelayProcess } from '../support/relay-client.node.ts';
import { tempDir } from '../support/files.node.ts';
import { hostileRelay } from './hostile-proxy.node.ts';
import { enableAll, memoryDevices, picture, until, type TestDevice } from './support.node.ts';

let relay: RelayProcess;
beforeAll(async () => {
  relay = await spawnRelay(['--data', tempDir('freshness-relay'), '--log-level', 'info']);
});
afterAll(async () => {
  relay?.child.kill('SIGKILL');
  await relay?.exited;
});

async function scene(live = false) {
  const hostile = hostileRelay();
  const [a, b] = memoryDevices(2);
  const statuses: SyncStatus[] = [];
  // Live: statements follow changes after 100 ms, and B's status events are what the UI would show.
  const opts = live ? { statementDelayMs: 100, idleMs: 200 } : {};
  a!.engine = createSyncEngine({ session: a!.session, store: a!.store, ...opts });
  b!.engine = createSyncEngine({ session: b!.session, store: b!.store, socket: hostile.socket, onStatus: (st) => statuses.push(st), ...opts });
  await enableAll([a!, b!], relay.url);
  const id = a!.session.createRecord('character', 'Target', (doc) => writeFields(doc, { name: 'Target', step: 0 }));
  const other = a!.session.createRecord('character', 'Other', (doc) => writeFields(doc, { name: 'Other', step: 0 }));
  await a!.engine.syncOnce();
  const r = await b!.engine.syncOnce();
  expect(r.problems).toEqual([]);
  expect(b!.engine.status().withheld).toBeUndefined();
  const docOf = (rid: string) => toHex(a!.engine.replica.keys.relayDocId(recordRef(rid, 'character')));
  return { a: a!, b: b!, hostile, id, other, docOf, statuses };
}

const step = (d: TestDevice, id: string) => readFields<{ step: number }>(d.session.record(id, 'character').doc).step;

describe('freshness against a hostile relay', () => {
  it('withholding the newest item of a chain is reported once a later statement from its device arrives', async () => {
    const s = await scene();
    // A's newest change to Target is withheld, for good: nothing later in Target's chain will ever reveal the gap.
    let hidden: number | null = null;
    s.hostile.rewrite = (items: Item[]) => items.filter((i) => !(toHex(i.docId) === s.docOf(s.id) && i.kind === 'update' && (hidden ??= i.deviceSeq) === i.deviceSeq));
    writeFields(s.a.session.record(s.id, 'character').doc, { step: 1 });
    await s.a.engine.syncOnce();
    // Even with the statement of that same round, B is told within its next round.
    const r1 = await s.b.engine.syncOnce();
    expect(r1.pending).toBe(0); // no hash chain sees anything wrong
    expect(step(s.b, s.id)).toBe(0);
    expect(s.b.engine.status().withheld).toMatch(/holding back recent changes/);

    // A later honest statement (after a change elsewhere) keeps it reported; Other arrives as usual.
    writeFields(s.a.session.record(s.other, 'character').doc, { step: 1 });
    await s.a.engine.syncOnce();
    await s.b.engine.syncOnce();
    expect(step(s.b, s.other)).toBe(1);
    expect(s.b.engine.status().withheld).toMatch(/holding back/);
    // No protocol jargon in what the user reads.
    expect(s.b.engine.status().withheld).not.toMatch(/statement|chain|serverSeq|deviceSeq|relay #/);

    // Once the relay behaves: the change arrives and the report clears.
    s.hostile.rewrite = null;
    s.b.engine.replica.state.cursor = 0; // (a relay that "finds" the item serves it again; here: pull everything)
    await s.b.engine.syncOnce();
    expect(step(s.b, s.id)).toBe(1);
    expect(s.b.engine.status().withheld).toBeUndefined();
    expect(picture(s.b.session)).toEqual(picture(s.a.session));
    for (const d of [s.a, s.b]) await d.engine.close();
  });

  it('a statement withheld along with the item is caught by the next one', async () => {
    const s = await scene();
    const statementsDoc = toHex(s.a.engine.replica.keys.headsDocId);
    // Withhold Target's newest item and every statement for now.
    let hidden: number | null = null;
    s.hostile.rewrite = (items: Item[]) =>
      items.filter((i) => toHex(i.docId) !== statementsDoc && !(toHex(i.docId) === s.docOf(s.id) && i.kind === 'update' && (hidden ??= i.deviceSeq) === i.deviceSeq));
    writeFields(s.a.session.record(s.id, 'character').doc, { step: 1 });
    await s.a.engine.syncOnce();
    await s.b.engine.syncOnce();
    expect(s.b.engine.status().withheld).toBeUndefined(); // nothing to tell yet: this is the limit
    // The next statement A publishes is let through: B reports within that round.
    s.hostile.rewrite = (items: Item[]) => items.filter((i) => !(toHex(i.docId) === s.docOf(s.id) && i.deviceSeq === hidden));
    writeFields(s.a.session.record(s.other, 'character').doc, { step: 2 });
    await s.a.engine.syncOnce();
    await s.b.engine.syncOnce();
    expect(s.b.engine.status().withheld).toMatch(/holding back/);
    for (const d of [s.a, s.b]) await d.engine.close();
  });

  it('a relay showing an older head than before is reported as a rollback; an honest one reports nothing', async () => {
    const s = await scene();
    writeFields(s.a.session.record(s.id, 'character').doc, { step: 1 });
    await s.a.engine.syncOnce();
    await s.b.engine.syncOnce();
    expect(s.b.engine.status().withheld).toBeUndefined();
    const cursor = s.b.engine.replica.state.cursor;
    expect(cursor).toBeGreaterThan(1);
    s.hostile.head = 1; // e.g. restored from an old backup
    await s.b.engine.syncOnce();
    expect(s.b.engine.status().withheld).toMatch(/older state than it showed before/);
    s.hostile.head = null;
    await s.b.engine.syncOnce();
    expect(s.b.engine.status().withheld).toBeUndefined();
    for (const d of [s.a, s.b]) await d.engine.close();
  });

  it('in live sync, a statement published after live changes reveals a withheld newest change, and the report clears when it arrives', async () => {
    const s = await scene(true);
    s.a.engine.watch();
    s.b.engine.watch();
    await until(() => s.a.engine.status().state === 'watching' && s.b.engine.status().state === 'watching', 60_000, 'both watching');
    let hidden: number | null = null;
    s.hostile.rewrite = (items: Item[]) => items.filter((i) => !(toHex(i.docId) === s.docOf(s.id) && i.kind === 'update' && (hidden ??= i.deviceSeq) === i.deviceSeq));
    // No round runs from here on: A sends its change live, then (100 ms later) its statement.
    writeFields(s.a.session.record(s.id, 'character').doc, { step: 1 });
    await until(() => /holding back/.test(s.b.engine.status().withheld ?? ''), 60_000, 'withheld reported live');
    expect(hidden).not.toBeNull();
    expect(step(s.b, s.id)).toBe(0);
    // Reported through the status events the UI listens to, not only when asked.
    expect(s.statuses.some((st) => /holding back/.test(st.withheld ?? ''))).toBe(true);
    // The relay behaves again; A's next change to the same record reveals the gap, B fetches both, the report clears.
    s.hostile.rewrite = null;
    writeFields(s.a.session.record(s.id, 'character').doc, { step: 2 });
    await until(() => step(s.b, s.id) === 2 && s.b.engine.status().withheld === undefined, 60_000, 'caught up and cleared');
    expect(s.statuses.at(-1)?.withheld).toBeUndefined();
    for (const d of [s.a, s.b]) await d.engine.close();
  });

  it('in live sync, a relay that answers with an older head than it already served is reported', async () => {
    const s = await scene(true);
    s.a.engine.watch();
    s.b.engine.watch();
    await until(() => s.b.engine.status().state === 'watching', 60_000, 'B watching');
    const cursor = s.b.engine.replica.state.cursor;
    // One push goes missing, so B pulls; the relay answers that pull with an old head, as if restored from a backup.
    let dropped = false;
    s.hostile.rewrite = (items: Item[], where) => items.filter((i) => where !== 'push' || dropped || !(dropped = toHex(i.docId) === s.docOf(s.id)));
    s.hostile.head = cursor - 1;
    writeFields(s.a.session.record(s.id, 'character').doc, { step: 1 });
    writeFields(s.a.session.record(s.other, 'character').doc, { step: 1 });
    await until(() => /older state than it showed before/.test(s.b.engine.status().withheld ?? ''), 60_000, 'rollback reported live');
    expect(s.statuses.some((st) => /older state/.test(st.withheld ?? ''))).toBe(true);
    for (const d of [s.a, s.b]) await d.engine.close();
  });
});
