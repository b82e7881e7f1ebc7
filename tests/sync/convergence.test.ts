/**
 * Two and three devices edit the same records while offline from each other, then sync in every order: all end with
 * the same state, nothing refused, nothing waiting. Real relay process on loopback. Segments of two messages, so
 * devices begin new segments of the same conversation at once (docs/storage.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFields } from '../../electron/core/docs/fields-doc.node.ts';
import { spawnRelay, type RelayProcess } from '../support/relay-client.node.ts';
import { tempDir } from '../support/files.node.ts';
import { enableAll, memoryDevices, picture } from './support.node.ts';
import { World } from './ops.node.ts';

let relay: RelayProcess;
beforeAll(async () => {
  process.env['MINDSTAGE_TEST_SEGMENT_SIZE'] = '2';
  relay = await spawnRelay(['--data', tempDir('converge-relay'), '--log-level', 'info']);
});
afterAll(async () => {
  delete process.env['MINDSTAGE_TEST_SEGMENT_SIZE'];
  relay?.child.kill('SIGKILL');
  await relay?.exited;
});

const permutations = (n: number): number[][] => (n <= 1 ? [[0]] : permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)])));

async function offlineEdits(n: number, order: number[]) {
  const devices = memoryDevices(n);
  await enableAll(devices, relay.url);
  const w = new World(devices);
  await w.seed();
  // Offline: every device edits the same two characters and the same conversation; device 1 deletes one character
  // that device 0 is editing; device 0 creates a new one.
  for (let d = 0; d < n; d++) {
    await w.apply({ t: 'set', d, rec: 0, key: 'shared', value: d });
    await w.apply({ t: 'set', d, rec: 0, key: `only${d}`, value: d });
    for (let m = 0; m < 3; m++) await w.apply({ t: 'say', d, text: `d${d}m${m}` });
  }
  await w.apply({ t: 'delete', d: 1, rec: 1 });
  await w.apply({ t: 'set', d: 0, rec: 1, key: 'late', value: 1 });
  await w.apply({ t: 'create', d: 0 });
  await w.settle(order);
  const pics = devices.map((d) => picture(d.session));
  for (const p of pics.slice(1)) expect(p).toEqual(pics[0]);
  const s0 = devices[0]!.session;
  expect(s0.conversations.count(w.conversation)).toBe(3 * n);
  expect(s0.conversations.all(w.conversation)).toHaveLength(3 * n);
  const f = readFields<Record<string, unknown>>(s0.record(w.ids[0]!, 'character').doc);
  for (let d = 0; d < n; d++) expect(f[`only${d}`]).toBe(d);
  expect((pics[0] as { id: string }[]).map((e) => e.id)).not.toContain(w.ids[1]);
  for (const d of devices) {
    expect(d.engine.status()).toMatchObject({ pending: 0, quarantined: 0, outbox: 0 });
    // An honest relay is never reported as holding changes back (head statements give no false alarm).
    expect(d.engine.status().withheld).toBeUndefined();
    await d.engine.close();
  }
}

describe('convergence', () => {
  for (const order of permutations(2)) it(`two devices, offline edits, synced in order ${order.join(',')}`, () => offlineEdits(2, order));
  for (const order of permutations(3)) it(`three devices, offline edits, synced in order ${order.join(',')}`, () => offlineEdits(3, order));
});
