/**
 * The scene for inbound checks only a device key can reach (inbound-checks.test.ts, inbound-chain.test.ts): device A
 * writes three records; device B reads through a hostile relay that can hand it, in place of A's honest items,
 * items forged with A's (or another enrolled device's) real keys (forge.node.ts).
 */
import { expect } from 'vitest';
import type { Item } from '../../shared/sync/messages.std.ts';
import { readFields, writeFields } from '../../electron/core/docs/fields-doc.node.ts';
import { recordRef } from '../../electron/core/docs/ids.node.ts';
import { toHex } from '../../electron/core/crypto/sodium.node.ts';
import { createSyncEngine } from '../../electron/core/sync/engine.node.ts';
import { hostileRelay, type Hostile } from './hostile-proxy.node.ts';
import { chainTip } from './forge.node.ts';
import { enableAll, memoryDevices, testVault, type TestDevice, type TestVault } from './support.node.ts';
import { startTestRelay, type TestRelay } from '../support/relay-harness.node.ts';

export interface Scene {
  a: TestDevice;
  /** Reads through the hostile relay. */
  b: TestDevice;
  more: TestDevice[];
  hostile: Hostile;
  target: string;
  other: string;
  carrier: string;
  docOf: (id: string) => Uint8Array;
}

/**
 * A file's scenes: one vault made once (testVault: one Argon2id instead of one per scene) and, since the relay
 * account derives from the vault key, an in-process relay of its own for each scene. Make it in beforeAll, close
 * it in afterAll.
 */
export class Stage {
  readonly vault: TestVault = testVault();
  readonly #relays: TestRelay[] = [];

  async relayUrl(): Promise<string> {
    const relay = await startTestRelay();
    this.#relays.push(relay);
    return relay.url;
  }

  async close(): Promise<void> {
    for (const r of this.#relays.splice(0)) await r.close();
  }
}

/**
 * A writes Target, Other and Carrier; B (behind the hostile relay) has synced all of it honestly. On `where`: a
 * relay's address (a new vault), or a Stage (its vault, on a relay of the scene's own).
 */
export async function scene(where: string | Stage, extra = 0): Promise<Scene> {
  const hostile = hostileRelay();
  const relayUrl = typeof where === 'string' ? where : await where.relayUrl();
  const [a, b, ...more] = memoryDevices(2 + extra, {}, typeof where === 'string' ? undefined : where.vault);
  b!.engine = createSyncEngine({ session: b!.session, store: b!.store, socket: hostile.socket });
  await enableAll([a!, b!, ...more], relayUrl);
  const target = a!.session.createRecord('character', 'Target', (doc) => writeFields(doc, { name: 'Target', step: 0 }));
  const other = a!.session.createRecord('character', 'Other', (doc) => writeFields(doc, { name: 'Other' }));
  const carrier = a!.session.createRecord('character', 'Carrier', (doc) => writeFields(doc, { name: 'Carrier' }));
  await a!.engine.syncOnce();
  writeFields(a!.session.record(target, 'character').doc, { step: 1 });
  await a!.engine.syncOnce();
  expect(await b!.engine.syncOnce()).toMatchObject({ pending: 0, quarantined: 0, problems: [] });
  const docOf = (id: string) => a!.engine.replica.keys.relayDocId(recordRef(id, 'character'));
  return { a: a!, b: b!, more, hostile, target, other, carrier, docOf };
}

export const fieldsOf = (d: TestDevice, id: string) => readFields<Record<string, unknown>>(d.session.record(id, 'character').doc);
export const storageOf = (id: string) => recordRef(id, 'character').storageId;
export const tipOf = (s: Scene, docId: Uint8Array, by: TestDevice = s.a) => chainTip(s.b.engine.replica, s.hostile.seen, docId, by.engine.replica.device.publicKey);

/**
 * A writes one Carrier change per forgery (each its own item); the hostile relay hands B forgery k in place of the
 * k-th carrier item, under its relay sequence number (the same one again when B pulls again to repair).
 */
export async function deliver(s: Scene, forgeries: ((serverSeq: number) => Item)[]) {
  for (let k = 0; k < forgeries.length; k++) {
    writeFields(s.a.session.record(s.carrier, 'character').doc, { n: k + 1 });
    await s.a.engine.syncOnce();
  }
  const carrierDoc = toHex(s.docOf(s.carrier));
  const bySeq = new Map<number, Item>();
  s.hostile.rewrite = (items) =>
    items.map((i) => {
      if (toHex(i.docId) !== carrierDoc) return i;
      let f = bySeq.get(i.serverSeq);
      if (!f && bySeq.size < forgeries.length) bySeq.set(i.serverSeq, (f = forgeries[bySeq.size]!(i.serverSeq)));
      return f ?? i;
    });
  const round = await s.b.engine.syncOnce();
  s.hostile.rewrite = null;
  return { round, serverSeqs: [...bySeq.keys()] };
}

export const close = async (devices: TestDevice[]) => {
  for (const d of devices) await d.engine.close();
};

