/** Random edits for convergence tests: field edits, chat messages, new and deleted records, on any device. */
import { writeFields } from '../../electron/core/docs/fields-doc.node.ts';
import { writeMeta } from '../../electron/core/docs/conversation-doc.node.ts';
import { getCatalogEntry } from '../../electron/core/docs/catalog.node.ts';
import type { TestDevice } from './support.node.ts';
import { seededRandom } from '../../shared/macros.std.ts';

export type Op =
  | { t: 'set'; d: number; rec: number; key: string; value: number }
  | { t: 'say'; d: number; text: string }
  | { t: 'create'; d: number }
  | { t: 'delete'; d: number; rec: number }
  | { t: 'sync'; d: number };

/** Records every device knows about, by creation order (ids are shared once synced). */
export class World {
  readonly ids: string[] = [];
  conversation = '';
  readonly devices: TestDevice[];
  constructor(devices: TestDevice[]) {
    this.devices = devices;
  }

  /** One shared conversation and two characters, created on device 0 and synced everywhere first. */
  async seed(): Promise<void> {
    const s = this.devices[0]!.session;
    this.conversation = s.createRecord('conversation', 'Chat', (doc) => writeMeta(doc, { title: 'Chat', createdAt: 1 }));
    for (let i = 0; i < 2; i++) this.ids.push(s.createRecord('character', `C${i}`, (doc) => writeFields(doc, { name: `C${i}` })));
    await this.devices[0]!.engine.syncOnce();
    for (const d of this.devices.slice(1)) await d.engine.syncOnce();
  }

  async apply(op: Op): Promise<void> {
    const dev = this.devices[op.d % this.devices.length]!;
    const s = dev.session;
    const live = (id: string | undefined) => (id && getCatalogEntry(s.catalog, id) ? id : undefined);
    switch (op.t) {
      case 'set': {
        const id = live(this.ids[op.rec % Math.max(1, this.ids.length)]);
        if (id) writeFields(s.record(id, 'character').doc, { [op.key]: op.value });
        return;
      }
      case 'say': {
        const id = live(this.conversation);
        if (id) s.conversations.append(id, { id: `${op.d}-${op.text}-${Math.random()}`, role: 'user', createdAt: 1, alt: { id: 'a', text: op.text, createdAt: 1 } });
        return;
      }
      case 'create':
        this.ids.push(s.createRecord('character', `N${this.ids.length}`, (doc) => writeFields(doc, { name: `N${this.ids.length}` })));
        return;
      case 'delete': {
        const id = live(this.ids[op.rec % Math.max(1, this.ids.length)]);
        if (id) s.deleteRecord(id, 'character');
        return;
      }
      case 'sync': {
        const r = await dev.engine.syncOnce();
        if (r.problems.length) throw new Error(`device ${op.d} refused items: ${r.problems.map((p) => p.message).join('; ')}`);
      }
    }
  }

  /** Everyone syncs, in the given order, until a full pass moves nothing. */
  async settle(order: number[]): Promise<void> {
    for (let pass = 0; pass < 6; pass++) {
      let moved = 0;
      for (const i of order) {
        const r = await this.devices[i]!.engine.syncOnce();
        if (r.problems.length) throw new Error(`device ${i} refused items: ${r.problems.map((p) => p.message).join('; ')}`);
        moved += r.up + r.down;
      }
      if (moved === 0) return;
    }
    throw new Error('devices did not settle after 6 passes');
  }
}

/** A small deterministic PRNG (mulberry32), so a failing case replays exactly. */
export const prng = seededRandom;
